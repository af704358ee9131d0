# prod: always one warm instance, deletion protection on everything that holds data, two vector replicas
# (Vertex AI gives no SLA for one).

module "stack" {
  source = "../../modules/stack"

  project_id       = var.project_id
  stage            = "prod"
  region           = var.region
  vertex_region    = var.vertex_region
  scheduler_region = var.scheduler_region
  labels           = var.labels

  deletion_protection = true

  # Uploaded knowledge-base files are indexed by a worker thread after the 202 answer (assistant/application/
  # ingest_jobs.py): with CPU throttled between requests it would crawl. Instance-based billing keeps the CPU.
  cpu_idle = false

  image_tag = var.image_tag

  # Capacity: the stack's defaults, measured for this instance shape (modules/stack/variables.tf, BENCHMARKS.md
  # "HTTP API under load"): 2 vCPU, 60 requests in flight per instance (~20 turns/s at 70% of the one process's
  # vCPU, 2-6 s of Gemini per turn); min 1 (a new instance takes ~20 s to be ready) and max 10 (~200 turns/s).
  min_instances = var.min_instances
  max_instances = var.max_instances
  memory        = "4Gi"

  log_level       = "INFO"
  llm_provider    = var.llm_provider
  llm_model       = var.llm_model
  openai_base_url = var.openai_base_url
  secrets         = var.secrets

  ingest_orgs       = var.ingest_orgs
  ingest_task_count = var.ingest_task_count
  ingest_schedule   = "0 2 * * *"

  vector_min_replicas = 2
  vector_max_replicas = 4

  firestore_backup_retention_days = 7
  firestore_export_retention_days = 365

  payfast_mode         = var.payfast_mode
  public_url           = var.public_url
  supplier_name        = var.supplier_name
  supplier_address     = var.supplier_address
  supplier_vat_number  = var.supplier_vat_number
  billing_export_table = var.billing_export_table
  zar_per_usd          = var.zar_per_usd

  alert_email              = var.alert_email
  enable_slos              = var.enable_slos
  latency_p95_threshold_ms = 10000
  billing_account          = var.billing_account
  budget_monthly_amount    = var.budget_monthly_amount
  budget_currency          = var.budget_currency
}
