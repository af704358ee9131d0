output "database_name" {
  description = "Firestore database id (FLUXORI_FIRESTORE_DATABASE)."
  value       = google_firestore_database.this.name
}

output "database_id" {
  description = "Full resource id of the database."
  value       = google_firestore_database.this.id
}

output "index_names" {
  description = "Server-side names of the composite indexes, by key."
  value       = { for k, v in google_firestore_index.composite : k => v.name }
}

output "backup_schedule_id" {
  description = "Resource id of the daily backup schedule."
  value       = google_firestore_backup_schedule.daily.id
}

output "point_in_time_recovery" {
  description = "Point-in-time recovery: whether it is on, how long versions are kept and the earliest time a read, export or clone can ask for."
  value = {
    enabled                  = google_firestore_database.this.point_in_time_recovery_enablement == "POINT_IN_TIME_RECOVERY_ENABLED"
    version_retention_period = google_firestore_database.this.version_retention_period
    earliest_version_time    = google_firestore_database.this.earliest_version_time
  }
}
