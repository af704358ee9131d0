output "budget_id" {
  description = "Budget resource name."
  value       = google_billing_budget.this.name
}
