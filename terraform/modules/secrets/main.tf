# Secret Manager secrets (containers only). Values are added out of band with
# `gcloud secrets versions add`, so no secret value ever reaches Terraform state.

resource "google_secret_manager_secret" "this" {
  for_each = toset(var.secret_ids)

  project   = var.project_id
  secret_id = each.value
  labels    = var.labels

  # Replicated only in the app's region (data residency).
  replication {
    user_managed {
      replicas {
        location = var.location
      }
    }
  }
}

# Per-secret access for the runtime service accounts, never project-wide secretAccessor.
resource "google_secret_manager_secret_iam_member" "accessor" {
  for_each = {
    for pair in setproduct(var.secret_ids, keys(var.accessors)) : "${pair[0]}/${pair[1]}" => {
      secret = pair[0]
      member = var.accessors[pair[1]]
    }
  }

  project   = var.project_id
  secret_id = google_secret_manager_secret.this[each.value.secret].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = each.value.member
}
