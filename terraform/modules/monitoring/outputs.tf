output "notification_channel_id" {
  description = "Email notification channel (also used by the budget)."
  value       = google_monitoring_notification_channel.email.id
}

output "alert_policy_ids" {
  description = "Alert policy ids: the two on Cloud Run's metrics, and the burn-rate alerts by SLO and speed."
  value = merge(
    {
      error_rate  = google_monitoring_alert_policy.error_rate.id
      latency_p95 = google_monitoring_alert_policy.latency_p95.id
    },
    { for k, policy in google_monitoring_alert_policy.burn_rate : "burn-${k}" => policy.id },
  )
}

output "slo_names" {
  description = "Full resource names of the SLOs, by key (select_slo_* filters take them)."
  value       = { for k, slo in local.slos : k => slo.name }
}

output "dashboard_id" {
  description = "Resource id of the service-health dashboard."
  value       = google_monitoring_dashboard.health.id
}
