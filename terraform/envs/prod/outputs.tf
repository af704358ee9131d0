output "service_url" {
  description = "HTTPS URL of the API and UI."
  value       = module.stack.service_url
}

output "service_name" {
  description = "Cloud Run service name."
  value       = module.stack.service_name
}

output "vector_index_id" {
  description = "FLUXORI_VECTOR_INDEX_ID."
  value       = module.stack.vector_index_id
}

output "vector_endpoint_id" {
  description = "FLUXORI_VECTOR_ENDPOINT_ID."
  value       = module.stack.vector_endpoint_id
}

output "vector_deployed_index_id" {
  description = "FLUXORI_VECTOR_DEPLOYED_INDEX_ID."
  value       = module.stack.vector_deployed_index_id
}

output "kb_bucket" {
  description = "FLUXORI_KB_BUCKET."
  value       = module.stack.kb_bucket
}

output "kb_source_uri" {
  description = "Root of the knowledge-base documents; the job of organisation ORG reads KB_SOURCE_URI/ORG/."
  value       = module.stack.kb_source_uri
}

output "firestore_exports_bucket" {
  description = "Bucket for Firestore exports."
  value       = module.stack.firestore_exports_bucket
}

output "firestore_database" {
  description = "FLUXORI_FIRESTORE_DATABASE."
  value       = module.stack.firestore_database
}

output "image_repository" {
  description = "Docker repository to push images to."
  value       = module.stack.image_repository
}

output "image" {
  description = "Image the service and jobs run."
  value       = module.stack.image
}

output "ingest_jobs" {
  description = "Ingestion job names by organisation."
  value       = module.stack.ingest_jobs
}

output "ingest_sources" {
  description = "gs:// folder each organisation's ingestion job reads (upload its documents there)."
  value       = module.stack.ingest_sources
}

output "service_accounts" {
  description = "Service account emails by workload."
  value       = module.stack.service_accounts
}

output "app_env" {
  description = "FLUXORI_* settings of the service and jobs."
  value       = module.stack.app_env
}

output "workstation_env" {
  description = "eval \"$(terraform output -raw workstation_env)\" to point the CLI at this stage."
  value       = module.stack.workstation_env
}

output "billing_bucket" {
  description = "FLUXORI_BILLING_BUCKET: bucket of the daily ledger export."
  value       = module.stack.billing_bucket
}

output "billing_dataset" {
  description = "BigQuery dataset of the billing tables."
  value       = module.stack.billing_dataset
}

output "billing_ledger_table" {
  description = "BigQuery external table over the ledger export."
  value       = module.stack.billing_ledger_table
}

output "billing_margin_view" {
  description = "BigQuery view of credits, rand value, Vertex AI cost and margin per organisation and day."
  value       = module.stack.billing_margin_view
}

output "billing_export_job" {
  description = "Cloud Run job of the daily billing export."
  value       = module.stack.billing_export_job
}

output "briefing_job" {
  description = "Cloud Run job of the daily briefing to the webhooks."
  value       = module.stack.briefing_job
}

output "public_url" {
  description = "FLUXORI_PUBLIC_URL: where PayFast and buyers reach the service."
  value       = module.stack.public_url
}

output "payfast_secrets" {
  description = "Secret Manager secrets of the PayFast merchant account (add their values with gcloud)."
  value       = module.stack.payfast_secrets
}
