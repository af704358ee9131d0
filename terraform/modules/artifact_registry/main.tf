# Docker repository for the service image, with cleanup policies so old builds do not accumulate.

resource "google_artifact_registry_repository" "this" {
  #checkov:skip=CKV_GCP_84:Images hold only code and public dependencies (no customer data, no secrets) and are encrypted at rest with Google-managed keys, like every other resource of the stack; a CMEK would add a KMS key to rotate and a key-loss outage risk without reducing exposure.

  project       = var.project_id
  location      = var.location
  repository_id = var.repository_id
  description   = "Container images of Fluxori Assistant"
  format        = "DOCKER"
  labels        = var.labels

  docker_config {
    # Tags are never moved: a tag names exactly one build, so a rollback redeploys exactly what ran before.
    immutable_tags = var.immutable_tags
  }

  cleanup_policy_dry_run = false

  cleanup_policies {
    id     = "delete-untagged"
    action = "DELETE"
    condition {
      tag_state  = "UNTAGGED"
      older_than = "${var.untagged_retention_days * 86400}s"
    }
  }

  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      tag_state  = "ANY"
      older_than = "${var.image_retention_days * 86400}s"
    }
  }

  # KEEP wins over DELETE: the most recent versions (rollback targets) survive whatever their age.
  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = var.keep_recent_versions
    }
  }
}

# No IAM here: Cloud Run pulls with its service agent, which can read same-project repositories, so the
# runtime service accounts need no Artifact Registry role. CI that pushes gets roles/artifactregistry.writer.
