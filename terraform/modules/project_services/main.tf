# Enables the Google APIs the stack uses. APIs stay enabled on destroy: turning an API off can break
# resources outside this configuration and is rarely what `terraform destroy` of one stage should do.
resource "google_project_service" "this" {
  for_each = toset(var.services)

  project                    = var.project_id
  service                    = each.value
  disable_on_destroy         = false
  disable_dependent_services = false
}
