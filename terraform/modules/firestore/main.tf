# Firestore (Native mode) database, the composite indexes the app queries (indexes.tf), and a daily managed
# backup (google_firestore_backup_schedule; restore with `gcloud firestore databases restore`, docs/deploy.md).

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
# some time after the timestamp in its `delete_after` field (assistant/service.py: stored answers after 7 days,
# confirmation records after 90, ingestion jobs after 30). Nothing queries that field, so its single-field indexes
# are off.
resource "google_firestore_field" "ttl" {
  for_each = toset(["responses", "confirmations", "ingest_jobs"])

  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = each.value
  field      = "delete_after"

  index_config {}
  ttl_config {}
}

resource "google_firestore_backup_schedule" "daily" {
  project   = var.project_id
  database  = google_firestore_database.this.name
  retention = "${var.backup_retention_days * 86400}s"

  daily_recurrence {}
}
