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
