# Private buckets: uniform bucket-level access, public access prevention enforced, object versioning,
# and lifecycle rules that bound what old versions and old exports cost.

resource "google_storage_bucket" "this" {
  for_each = var.buckets

  #checkov:skip=CKV_GCP_62:Usage/storage access logs are legacy; object reads and writes are recorded by Cloud Audit Logs (DATA_READ/DATA_WRITE for storage.googleapis.com), enabled in google_project_iam_audit_config.storage below.

  project                     = var.project_id
  name                        = each.value.name
  location                    = var.location
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = !var.deletion_protection
  labels                      = merge(var.labels, { purpose = each.key })

  versioning {
    enabled = true
  }

  # Object versions that were overwritten or deleted are kept for a while, then removed.
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = each.value.noncurrent_days
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  # Keep at most a few old versions of any object, whatever their age.
  lifecycle_rule {
    condition {
      num_newer_versions = each.value.max_noncurrent_versions
      with_state         = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      age = 1
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }

  # Live objects: optionally cool down, optionally expire (Firestore exports do both; KB documents neither).
  dynamic "lifecycle_rule" {
    for_each = each.value.coldline_after_days == null ? [] : [each.value.coldline_after_days]
    content {
      condition {
        age        = lifecycle_rule.value
        with_state = "LIVE"
      }
      action {
        type          = "SetStorageClass"
        storage_class = "COLDLINE"
      }
    }
  }

  dynamic "lifecycle_rule" {
    for_each = each.value.delete_after_days == null ? [] : [each.value.delete_after_days]
    content {
      condition {
        age        = lifecycle_rule.value
        with_state = "LIVE"
      }
      action {
        type = "Delete"
      }
    }
  }

  soft_delete_policy {
    retention_duration_seconds = var.soft_delete_days * 86400
  }
}

# Data Access audit logs for Cloud Storage (who read or wrote which object). Admin Activity logs are always on.
resource "google_project_iam_audit_config" "storage" {
  count = var.enable_data_access_logs ? 1 : 0

  project = var.project_id
  service = "storage.googleapis.com"

  audit_log_config {
    log_type = "DATA_READ"
  }
  audit_log_config {
    log_type = "DATA_WRITE"
  }
}
