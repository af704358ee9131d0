output "service_url" {
  description = "HTTPS URL of the API and UI (null until image_tag is set)."
  value       = one(module.api[*].uri)
}

output "service_name" {
  description = "Cloud Run service name."
  value       = local.name
}

output "vector_index_id" {
  description = "FLUXORI_VECTOR_INDEX_ID."
  value       = module.vector_search.index_id
}

output "vector_endpoint_id" {
  description = "FLUXORI_VECTOR_ENDPOINT_ID."
  value       = module.vector_search.index_endpoint_id
}

output "vector_deployed_index_id" {
  description = "FLUXORI_VECTOR_DEPLOYED_INDEX_ID."
  value       = module.vector_search.deployed_index_id
}

output "kb_bucket" {
  description = "FLUXORI_KB_BUCKET: bucket of knowledge-base documents (without gs://)."
  value       = module.storage.names["kb"]
}

output "kb_source_uri" {
  description = "Root of the knowledge-base documents: each organisation's job reads KB_SOURCE_URI/ORG/."
  value       = local.kb_source_uri
}

output "firestore_exports_bucket" {
  description = "Bucket for `gcloud firestore export`."
  value       = module.storage.names["firestore-exports"]
}

output "firestore_database" {
  description = "FLUXORI_FIRESTORE_DATABASE."
  value       = module.firestore.database_name
}

output "image_repository" {
  description = "Push images here: docker push IMAGE_REPOSITORY/fluxori:TAG."
  value       = module.artifact_registry.image_repository
}

output "image" {
  description = "Image the service and jobs run (null before the first image_tag is set)."
  value       = local.image
}

output "ingest_jobs" {
  description = "Ingestion job names by organisation."
  value       = { for org, job in module.ingest_job : org => job.job_name }
}

output "ingest_sources" {
  description = "gs:// folder each organisation's ingestion job reads."
  value       = { for org in keys(module.ingest_job) : org => "${local.kb_source_uri}/${org}" }
}

output "service_accounts" {
  description = "Service account emails by workload."
  value       = { for k, sa in google_service_account.this : k => sa.email }
}

output "app_env" {
  description = "The FLUXORI_* settings the service and jobs run with (secrets excluded)."
  value       = { for k, v in local.app_env : k => v if v != null }
}

output "workstation_env" {
  description = "Shell exports of app_env, for running `fluxori admin ...` against this stage."
  value       = local.workstation_env
}

output "billing_bucket" {
  description = "FLUXORI_BILLING_BUCKET: bucket of the daily ledger export (ledger/day=YYYY-MM-DD/ledger.ndjson)."
  value       = module.storage.names["billing"]
}

output "billing_dataset" {
  description = "BigQuery dataset of the billing tables."
  value       = module.billing_analytics.dataset_id
}

output "billing_ledger_table" {
  description = "BigQuery external table over the ledger export."
  value       = module.billing_analytics.ledger_table
}

output "billing_margin_view" {
  description = "BigQuery view of credits, rand value, Vertex AI cost and margin per organisation and day (null until billing_export_table is set)."
  value       = module.billing_analytics.margin_view
}

output "billing_export_job" {
  description = "Cloud Run job of the daily billing export (null before the first image_tag is set)."
  value       = one(module.billing_export[*].job_name)
}

output "briefing_job" {
  description = "Cloud Run job of the daily briefing to the webhooks (null before the first image_tag is set)."
  value       = one(module.briefing[*].job_name)
}

output "public_url" {
  description = "FLUXORI_PUBLIC_URL: where PayFast and buyers reach the service."
  value       = local.public_url
}

output "payfast_secrets" {
  description = "Secret Manager secrets of the PayFast merchant account, by setting (add their values with gcloud)."
  value       = local.payfast_secrets
}
