# One stage of Fluxori Assistant: everything envs/dev and envs/prod deploy, wired from the small modules.
# Data (Firestore, buckets), the image repository and Cloud Run live in var.region (africa-south1);
# Vertex AI Vector Search lives in var.vertex_region (europe-west4).

locals {
  name = "fluxori-${var.stage}"

  # The UI's session-token key is always a secret: instances behind one URL must share it (a token signed by
  # one is checked by another), and a generated one would live on an instance's ephemeral disk.
  secrets = merge(var.secrets, { FLUXORI_SESSION_SECRET = "${local.name}-session-secret" }, local.payfast_secrets)

  # The PayFast merchant account (id, key, passphrase): created empty, the operator adds the values
  # (terraform/README.md, "Billing").
  payfast_secrets = {
    FLUXORI_PAYFAST_MERCHANT_ID  = "${local.name}-payfast-merchant-id"
    FLUXORI_PAYFAST_MERCHANT_KEY = "${local.name}-payfast-merchant-key"
    FLUXORI_PAYFAST_PASSPHRASE   = "${local.name}-payfast-passphrase"
  }

  labels = merge(var.labels, {
    app        = "fluxori-assistant"
    stage      = var.stage
    managed-by = "terraform"
  })

  # Knowledge-base documents: one folder per organisation, gs://BUCKET/kb/ORG/. Each organisation's job reads
  # only its own folder, so one organisation's documents can never be indexed under another's id.
  kb_source_uri = "gs://${module.storage.names["kb"]}/${var.kb_prefix}"

  # Until the first image is pushed (image_tag unset) only the infrastructure is created; the service and the
  # ingestion jobs are deployed by the first apply that sets image_tag (docs/deploy.md).
  deploy_app = var.image_tag != null
  image      = local.deploy_app ? "${module.artifact_registry.image_repository}/${var.image_name}:${var.image_tag}" : null

  services = [
    "aiplatform.googleapis.com",
    "artifactregistry.googleapis.com",
    "bigquery.googleapis.com",
    "billingbudgets.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "cloudscheduler.googleapis.com",
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
  ]
}

data "google_project" "this" {
  project_id = var.project_id
}

module "project_services" {
  source = "../project_services"

  project_id = var.project_id
  services   = local.services
}

module "firestore" {
  source = "../firestore"

  project_id          = var.project_id
  location            = var.region
  database_name       = var.firestore_database
  deletion_protection = var.deletion_protection
  # Both ways back, in every stage: PITR (7 days, to the minute) and the daily backup (docs/operations.md).
  point_in_time_recovery = true
  backup_retention_days  = var.firestore_backup_retention_days

  depends_on = [module.project_services]
}

module "storage" {
  source = "../storage"

  project_id          = var.project_id
  location            = var.region
  deletion_protection = var.deletion_protection
  labels              = local.labels

  buckets = {
    kb = {
      name            = "${var.project_id}-${local.name}-kb"
      noncurrent_days = 30
    }
    firestore-exports = {
      name                    = "${var.project_id}-${local.name}-firestore-exports"
      noncurrent_days         = 7
      max_noncurrent_versions = 1
      # Coldline bills at least 90 days per object: only worth it when exports live well beyond that.
      coldline_after_days = var.firestore_export_retention_days >= 120 ? 30 : null
      delete_after_days   = var.firestore_export_retention_days
    }
    # The daily ledger export (gs://BUCKET/ledger/day=YYYY-MM-DD/ledger.ndjson), read by BigQuery in place:
    # kept as long as the margin history is wanted, so no expiry of live objects.
    billing = {
      name            = "${var.project_id}-${local.name}-billing"
      noncurrent_days = 30
    }
  }

  depends_on = [module.project_services]
}

module "artifact_registry" {
  source = "../artifact_registry"

  project_id     = var.project_id
  location       = var.region
  repository_id  = "fluxori"
  immutable_tags = var.immutable_image_tags
  labels         = local.labels

  depends_on = [module.project_services]
}

module "secrets" {
  source = "../secrets"

  project_id = var.project_id
  location   = var.region
  secret_ids = values(local.secrets)
  labels     = local.labels
  accessors  = { api = "serviceAccount:${google_service_account.this["api"].email}" }

  depends_on = [module.project_services]
}

module "vector_search" {
  source = "../vector_search"

  project_id      = var.project_id
  region          = var.vertex_region
  name            = local.name
  embedding_model = local.embedding_model
  dimensions      = local.embedding_dimensions
  machine_type    = var.vector_machine_type
  min_replicas    = var.vector_min_replicas
  max_replicas    = var.vector_max_replicas
  labels          = local.labels

  depends_on = [module.project_services]
}

module "api" {
  source = "../cloud_run_service"
  count  = local.deploy_app ? 1 : 0

  project_id            = var.project_id
  region                = var.region
  name                  = local.name
  image                 = local.image
  service_account_email = google_service_account.this["api"].email
  env                   = merge(local.app_env, local.service_env, local.billing_env, local.payfast_env)
  secret_env            = local.service_secret_env
  min_instances         = var.min_instances
  max_instances         = var.max_instances
  concurrency           = var.concurrency
  cpu                   = var.cpu
  memory                = var.memory
  cpu_idle              = var.cpu_idle
  allow_unauthenticated = var.allow_unauthenticated
  deletion_protection   = var.deletion_protection
  labels                = local.labels

  # Roles and secret access first, so the first revision can start.
  depends_on = [google_project_iam_member.runtime, google_storage_bucket_iam_member.kb_readers, module.secrets]
}

module "ingest_job" {
  source   = "../ingest_job"
  for_each = local.deploy_app ? toset(var.ingest_orgs) : toset([])

  project_id                      = var.project_id
  region                          = var.region
  scheduler_region                = coalesce(var.scheduler_region, var.region)
  name                            = "${local.name}-kb-${each.value}"
  org_id                          = each.value
  source_uri                      = "${local.kb_source_uri}/${each.value}"
  image                           = local.image
  service_account_email           = google_service_account.this["ingest"].email
  scheduler_service_account_email = google_service_account.this["scheduler"].email
  env                             = local.app_env
  task_count                      = var.ingest_task_count
  schedule                        = var.ingest_schedule
  schedule_paused                 = var.ingest_schedule_paused
  deletion_protection             = var.deletion_protection
  labels                          = local.labels

  depends_on = [google_project_iam_member.runtime, google_storage_bucket_iam_member.kb_readers]
}

module "billing_analytics" {
  source = "../billing_analytics"

  project_id           = var.project_id
  location             = var.region
  dataset_id           = "${replace(local.name, "-", "_")}_billing"
  bucket               = module.storage.names["billing"]
  billing_export_table = var.billing_export_table
  zar_per_usd          = var.zar_per_usd
  deletion_protection  = var.deletion_protection
  labels               = local.labels

  depends_on = [module.project_services]
}

# `fluxori billing export` without --day exports yesterday (SAST): run at 02:00 Johannesburg time, after the day's
# last requests have settled.
module "billing_export" {
  source = "../scheduled_job"
  count  = local.deploy_app ? 1 : 0

  project_id                      = var.project_id
  region                          = var.region
  scheduler_region                = coalesce(var.scheduler_region, var.region)
  name                            = "${local.name}-billing-export"
  description                     = "Runs ${local.name}-billing-export (yesterday's credit ledger to gs://${module.storage.names["billing"]}/ledger/)"
  image                           = local.image
  args                            = ["billing", "export"]
  service_account_email           = google_service_account.this["billing"].email
  scheduler_service_account_email = google_service_account.this["billing-sched"].email
  env                             = merge(local.app_env, local.billing_env)
  # A rerun after a successful upload cannot replace the file (objectCreator): one retry covers transient errors.
  max_retries         = 1
  schedule            = var.billing_export_schedule
  time_zone           = "Africa/Johannesburg"
  schedule_paused     = var.billing_export_schedule_paused
  deletion_protection = var.deletion_protection
  labels              = local.labels

  depends_on = [google_project_iam_member.runtime, google_storage_bucket_iam_member.billing_writer]
}

# `fluxori briefing send` posts each organisation's briefing of the day to its webhook, once a day per
# organisation (a per-day delivery record claimed in a transaction: a retried or repeated run posts nothing twice).
module "briefing" {
  source = "../scheduled_job"
  count  = local.deploy_app ? 1 : 0

  project_id                      = var.project_id
  region                          = var.region
  scheduler_region                = coalesce(var.scheduler_region, var.region)
  name                            = "${local.name}-briefing"
  description                     = "Runs ${local.name}-briefing (the daily briefing to each organisation's webhook)"
  image                           = local.image
  args                            = ["briefing", "send"]
  service_account_email           = google_service_account.this["brief"].email
  scheduler_service_account_email = google_service_account.this["brief-sched"].email
  env                             = local.app_env
  # A run that died before claiming a day is worth one more; a claimed day is never posted twice.
  max_retries          = 1
  task_timeout_seconds = 900
  schedule             = var.briefing_schedule
  time_zone            = "Africa/Johannesburg"
  schedule_paused      = var.briefing_schedule_paused
  deletion_protection  = var.deletion_protection
  labels               = local.labels

  depends_on = [google_project_iam_member.runtime]
}

module "monitoring" {
  source = "../monitoring"

  project_id               = var.project_id
  name                     = local.name
  service_name             = local.name # the service's name, known before it exists
  alert_email              = var.alert_email
  latency_p95_threshold_ms = var.latency_p95_threshold_ms
  latency_slo_seconds      = var.latency_slo_seconds
  ttft_slo_seconds         = var.ttft_slo_seconds
  enable_slos              = var.enable_slos
  labels                   = local.labels

  depends_on = [module.project_services]
}

module "budget" {
  source = "../budget"

  project_number        = data.google_project.this.number
  billing_account       = var.billing_account
  name                  = "${local.name} monthly budget"
  monthly_amount        = var.budget_monthly_amount
  currency_code         = var.budget_currency
  notification_channels = [module.monitoring.notification_channel_id]

  depends_on = [module.project_services]
}

# Settings that only make sense together (variable validations cannot see each other before Terraform 1.9):
# checked at plan time, before anything is deployed with a configuration the app would refuse to start with.
resource "terraform_data" "settings_check" {
  input = var.llm_provider

  lifecycle {
    precondition {
      condition     = var.llm_provider != "openai-compatible" || var.openai_base_url != null
      error_message = "llm_provider = \"openai-compatible\" needs openai_base_url (FLUXORI_OPENAI_BASE_URL)."
    }
  }
}
