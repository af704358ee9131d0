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
