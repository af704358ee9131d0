# A Cloud Run job that runs one `fluxori` command on a schedule, and the Cloud Scheduler trigger that starts it
# with its own service account. The same pattern as modules/ingest_job, without the per-organisation sharding:
# the billing export uses it, and any other single-task daily command can.

locals {
  plain_env = { for k, v in var.env : k => v if v != null }
}

resource "google_cloud_run_v2_job" "this" {
  project             = var.project_id
  name                = var.name
  location            = var.region
  deletion_protection = var.deletion_protection
  labels              = var.labels

  template {
    task_count  = var.task_count
    parallelism = var.task_count
    labels      = var.labels

    template {
      service_account       = var.service_account_email
      execution_environment = "EXECUTION_ENVIRONMENT_GEN2"
      timeout               = "${var.task_timeout_seconds}s"
      max_retries           = var.max_retries

      containers {
        image   = var.image
        command = var.command
        args    = var.args

        resources {
          limits = {
            cpu    = var.cpu
            memory = var.memory
          }
        }

        dynamic "env" {
          for_each = local.plain_env
          content {
            name  = env.key
            value = env.value
          }
        }
      }
    }
  }

  lifecycle {
    ignore_changes = [client, client_version]

    precondition {
      condition     = var.image != null
      error_message = "No image to run: build and push one, then set image_tag (docs/deploy.md, step 5)."
    }
  }
}

# Only the scheduler's service account may start this job (roles/run.invoker includes run.jobs.run).
resource "google_cloud_run_v2_job_iam_member" "scheduler_invoker" {
  project  = google_cloud_run_v2_job.this.project
  location = google_cloud_run_v2_job.this.location
  name     = google_cloud_run_v2_job.this.name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${var.scheduler_service_account_email}"
}

resource "google_cloud_scheduler_job" "this" {
  project          = var.project_id
  region           = var.scheduler_region
  name             = "${var.name}-schedule"
  description      = var.description
  schedule         = var.schedule
  time_zone        = var.time_zone
  paused           = var.schedule_paused
  attempt_deadline = "60s"

  retry_config {
    retry_count          = 2
    min_backoff_duration = "30s"
  }

  http_target {
    http_method = "POST"
    uri         = "https://run.googleapis.com/v2/${google_cloud_run_v2_job.this.id}:run"

    oauth_token {
      service_account_email = var.scheduler_service_account_email
      scope                 = "https://www.googleapis.com/auth/cloud-platform"
    }
  }

  depends_on = [google_cloud_run_v2_job_iam_member.scheduler_invoker]
}
