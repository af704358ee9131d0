# dev: scales to zero, can be destroyed, smallest vector deployment.

module "stack" {
  source = "../../modules/stack"

  project_id       = var.project_id
  stage            = "dev"
  region           = var.region
  vertex_region    = var.vertex_region
  scheduler_region = var.scheduler_region
  labels           = var.labels

  deletion_protection = false

  image_tag = var.image_tag

  # One vCPU (BENCHMARKS.md, "HTTP API under load"): 34-40 ms of process CPU per turn, ~20 turns/s at 70% of the
  # vCPU, which here also runs the uploads' indexing: 30 in flight, half the 2-vCPU figure (the stack's 60).
  min_instances = var.min_instances
  max_instances = var.max_instances
  concurrency   = 30
  cpu           = "1"
  memory        = "2Gi"

  log_level       = "DEBUG"
  llm_provider    = var.llm_provider
  llm_model       = var.llm_model
  openai_base_url = var.openai_base_url
  secrets         = var.secrets

  ingest_orgs       = var.ingest_orgs
  ingest_task_count = var.ingest_task_count
  ingest_schedule   = "0 3 * * *"

  vector_min_replicas = 1
  vector_max_replicas = 1

  firestore_backup_retention_days = 3
  firestore_export_retention_days = 30

  payfast_mode         = var.payfast_mode
  public_url           = var.public_url
  supplier_name        = var.supplier_name
  supplier_address     = var.supplier_address
  supplier_vat_number  = var.supplier_vat_number
  billing_export_table = var.billing_export_table
  zar_per_usd          = var.zar_per_usd

  alert_email              = var.alert_email
  enable_slos              = var.enable_slos
  latency_p95_threshold_ms = 15000
  billing_account          = var.billing_account
  budget_monthly_amount    = var.budget_monthly_amount
  budget_currency          = var.budget_currency
}
