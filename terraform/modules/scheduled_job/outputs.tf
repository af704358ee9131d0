output "job_name" {
  description = "Cloud Run job name (gcloud run jobs execute NAME --region REGION)."
  value       = google_cloud_run_v2_job.this.name
}

output "job_id" {
  description = "Full resource name of the job."
  value       = google_cloud_run_v2_job.this.id
}

output "scheduler_job_id" {
  description = "Full resource name of the Cloud Scheduler trigger."
  value       = google_cloud_scheduler_job.this.id
}
