# Firestore (Native mode) database, the composite indexes the app queries (indexes.tf), TTL policies, and two
# ways back: point-in-time recovery (the last 7 days, to the minute: read, export or clone the database as of a
# past time) next to a daily managed backup (google_firestore_backup_schedule; `gcloud firestore databases
# restore` into a new database id, docs/deploy.md and docs/operations.md).

resource "google_firestore_database" "this" {
  project     = var.project_id
  name        = var.database_name
  location_id = var.location
  type        = "FIRESTORE_NATIVE"

  # Pessimistic (Firestore Native's default, and what the emulator in the test suite does): a transaction locks
  # what it reads; domain/transactions.py is written for that (in-process lock striping, retries on Aborted).
  concurrency_mode                  = "PESSIMISTIC"
  app_engine_integration_mode       = "DISABLED"
  point_in_time_recovery_enablement = var.point_in_time_recovery ? "POINT_IN_TIME_RECOVERY_ENABLED" : "POINT_IN_TIME_RECOVERY_DISABLED"

  # Server-side protection (blocks deletion through any API) plus what `terraform destroy` does.
  delete_protection_state = var.deletion_protection ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED"
  deletion_policy         = var.deletion_protection ? "ABANDON" : "DELETE"
}

resource "google_firestore_index" "composite" {
  for_each = local.indexes

  project     = var.project_id
  database    = google_firestore_database.this.name
  collection  = each.value.collection
  query_scope = "COLLECTION"

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path = fields.value.path
      order      = fields.value.order
    }
  }
}

# Time-to-live: Firestore deletes a document of these collections (every organisation's, as collection groups)
# some time (typically within a day) after the timestamp in its TTL field: stored answers after 7 days,
# confirmation records after 90, ingestion jobs after 30 (`delete_after`, assistant/service.py), and audit-log
# records, answer records (domain/answer_log.py) and feedback on answers (domain/feedback.py) once their retention
# setting has passed (`expires_at`, written on each record). Nothing queries these fields, so their single-field
# indexes are off.
locals {
  ttl_fields = {
    responses     = "delete_after"
    confirmations = "delete_after"
    ingest_jobs   = "delete_after"
    audit         = "expires_at"
    answer_log    = "expires_at"
    feedback      = "expires_at"
  }
}

resource "google_firestore_field" "ttl" {
  for_each = local.ttl_fields

  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = each.key
  field      = each.value

  index_config {}
  ttl_config {}
}

resource "google_firestore_backup_schedule" "daily" {
  project   = var.project_id
  database  = google_firestore_database.this.name
  retention = "${var.backup_retention_days * 86400}s"

  daily_recurrence {}
}
