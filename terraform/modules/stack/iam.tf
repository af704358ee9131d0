# One service account per workload, each with only the roles it needs:
#   api       - the Cloud Run service: Firestore data, Vertex AI (Gemini, embeddings, vector queries),
#               read knowledge-base files, read its secrets (granted per secret in module.secrets),
#               write its logs and metrics.
#   ingest    - the ingestion job: Firestore data, Vertex AI (embeddings, index upserts), read knowledge-base
#               files, write its logs and metrics.
#   scheduler - Cloud Scheduler: may only run the ingestion jobs (granted per job in module.ingest_job).
#   billing   - the daily billing export job: read Firestore (the credit ledger), create objects in the billing
#               bucket. Nothing else: no Vertex AI, no secrets, no other bucket.
#   billing-sched - Cloud Scheduler: may only run the billing export job (granted in module.billing_export).
#   brief     - the daily briefing job: read the plans' data and write the day's delivery records in Firestore,
#               post to the organisations' webhooks. No Vertex AI, no secrets, no bucket.
#   brief-sched - Cloud Scheduler: may only run the briefing job (granted in module.briefing).
# No workload gets a project-wide Storage, Secret Manager, Run or IAM role.

locals {
  service_accounts = {
    api       = "Fluxori Assistant API and UI (Cloud Run service)"
    ingest    = "Fluxori knowledge-base ingestion (Cloud Run job)"
    scheduler = "Cloud Scheduler trigger of the ingestion jobs"
    # account_id is fluxori-STAGE-KEY, at most 30 characters: keys stay within 13 for 8-character stages.
    billing         = "Fluxori daily billing export (Cloud Run job)"
    "billing-sched" = "Cloud Scheduler trigger of the billing export"
    brief           = "Fluxori daily briefing to the webhooks (Cloud Run job)"
    "brief-sched"   = "Cloud Scheduler trigger of the daily briefing"
  }

  # datastore.user: read/write Firestore documents (no index or database admin).
  # aiplatform.user: call Gemini and text-embedding-005, query and upsert Vector Search datapoints.
  # logging.logWriter / monitoring.metricWriter: structured logs and custom metrics of the process itself
  # (Cloud Run's own request logs and metrics need no role).
  runtime_roles = [
    "roles/datastore.user",
    "roles/aiplatform.user",
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
  ]

  project_roles = {
    api    = local.runtime_roles
    ingest = local.runtime_roles
    # datastore.viewer: read the ledger (no writes). The job's stdout goes to Cloud Logging without a role.
    billing = ["roles/datastore.viewer"]
    # datastore.user: the briefing reads stock, orders, shipments and credits, and claims the day's delivery.
    brief = ["roles/datastore.user"]
  }
}

resource "google_service_account" "this" {
  for_each = local.service_accounts

  project      = var.project_id
  account_id   = "${local.name}-${each.key}"
  display_name = each.value

  depends_on = [module.project_services]
}

resource "google_project_iam_member" "runtime" {
  for_each = merge([
    for sa, roles in local.project_roles : { for role in roles : "${sa}/${role}" => { sa = sa, role = role } }
  ]...)

  project = var.project_id
  role    = each.value.role
  member  = "serviceAccount:${google_service_account.this[each.value.sa].email}"
}

# Read access to the knowledge-base bucket only (not project-wide storage access).
resource "google_storage_bucket_iam_member" "kb_readers" {
  for_each = toset(["api", "ingest"])

  bucket = module.storage.names["kb"]
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.this[each.key].email}"
}

# The billing export job writes gs://BILLING_BUCKET/ledger/day=.../ledger.ndjson, replacing the file when a day
# is exported again (a re-run is safe): objectUser, because replacing needs storage.objects.delete, on this bucket
# only.
resource "google_storage_bucket_iam_member" "billing_writer" {
  bucket = module.storage.names["billing"]
  role   = "roles/storage.objectUser"
  member = "serviceAccount:${google_service_account.this["billing"].email}"
}

# Managed exports (`gcloud firestore export gs://EXPORTS_BUCKET/...`) are written by the Firestore service agent,
# which already has access to buckets of its own project: no binding is needed here (a bucket in another project
# would need roles/storage.admin for service-PROJECT_NUMBER@gcp-sa-firestore.iam.gserviceaccount.com there).
