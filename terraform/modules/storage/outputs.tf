output "names" {
  description = "Bucket names by purpose."
  value       = { for k, b in google_storage_bucket.this : k => b.name }
}

output "urls" {
  description = "gs:// URLs by purpose."
  value       = { for k, b in google_storage_bucket.this : k => b.url }
}
