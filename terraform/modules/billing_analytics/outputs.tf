output "dataset_id" {
  description = "BigQuery dataset of the billing tables."
  value       = google_bigquery_dataset.this.dataset_id
}

output "ledger_table" {
  description = "External table over the daily ledger export (PROJECT.DATASET.TABLE)."
  value       = "${var.project_id}.${google_bigquery_dataset.this.dataset_id}.${google_bigquery_table.ledger.table_id}"
}

output "margin_view" {
  description = "View of credits, rand value, Vertex AI cost and margin per organisation and day (null until billing_export_table is set)."
  value       = one([for v in google_bigquery_table.margin : "${var.project_id}.${v.dataset_id}.${v.table_id}"])
}
