provider "google" {
  project = var.project_id
  region  = var.region

  # Bill API calls made with user credentials to this project; the Billing Budgets API requires a quota project.
  user_project_override = true
  billing_project       = var.project_id
}
