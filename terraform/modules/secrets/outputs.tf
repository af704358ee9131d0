output "ids" {
  description = "Secret resource ids by secret id."
  value       = { for k, s in google_secret_manager_secret.this : k => s.id }
}

output "secret_ids" {
  description = "Secret ids (short names) by secret id, for references from the same project."
  value       = { for k, s in google_secret_manager_secret.this : k => s.secret_id }
}
