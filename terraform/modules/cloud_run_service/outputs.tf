output "name" {
  description = "Service name."
  value       = google_cloud_run_v2_service.this.name
}

output "uri" {
  description = "HTTPS URL of the service."
  value       = google_cloud_run_v2_service.this.uri
}

output "latest_ready_revision" {
  description = "Revision currently serving (rollback target for the next deploy)."
  value       = google_cloud_run_v2_service.this.latest_ready_revision
}

output "metrics_scrape" {
  description = "What the metrics sidecar scrapes in each instance (port, path, interval), or null without the sidecar."
  value       = var.metrics_sidecar ? local.metrics_scrape : null
}
