output "notification_channel_id" {
  description = "Email notification channel (also used by the budget)."
  value       = google_monitoring_notification_channel.email.id
}

output "alert_policy_ids" {
  description = "Alert policy ids."
  value = {
    error_rate  = google_monitoring_alert_policy.error_rate.id
    latency_p95 = google_monitoring_alert_policy.latency_p95.id
  }
}
