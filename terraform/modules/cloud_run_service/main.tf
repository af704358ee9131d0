# The Fluxori API + UI service (one container: FastAPI and Gradio in one process).
# Environment variables come in as maps so the caller names every FLUXORI_* setting in one place;
# null values are dropped so optional settings keep the app's defaults.

locals {
  plain_env  = { for k, v in var.env : k => v if v != null }
  secret_env = var.secret_env

  app_container     = "app"
  metrics_container = "collector"
  # What the sidecar's default RunMonitoring scrapes (see the sidecar below): port, path, interval.
  metrics_scrape = { port = 8080, path = "/metrics", interval = "30s" }
}

resource "google_cloud_run_v2_service" "this" {
  project             = var.project_id
  name                = var.name
  location            = var.region
  description         = "Fluxori Assistant API and UI"
  ingress             = var.ingress
  deletion_protection = var.deletion_protection
  labels              = var.labels

  template {
    service_account                  = var.service_account_email
    execution_environment            = "EXECUTION_ENVIRONMENT_GEN2"
    timeout                          = "${var.request_timeout_seconds}s"
    max_instance_request_concurrency = var.concurrency
    labels                           = var.labels

    # The Gradio UI keeps per-session state in the instance (its queue streams events over one connection and
    # takes inputs over others): a browser must keep reaching the same instance. The API is stateless.
    session_affinity = true

    scaling {
      min_instance_count = var.min_instances
      max_instance_count = var.max_instances
    }

    containers {
      name  = local.app_container
      image = var.image

      ports {
        container_port = var.port
      }

      resources {
        limits = {
          cpu    = var.cpu
          memory = var.memory
        }
        cpu_idle          = var.cpu_idle
        startup_cpu_boost = true
      }

      dynamic "env" {
        for_each = local.plain_env
        content {
          name  = env.key
          value = env.value
        }
      }

      dynamic "env" {
        for_each = local.secret_env
        content {
          name = env.key
          value_source {
            secret_key_ref {
              secret  = env.value.secret
              version = env.value.version
            }
          }
        }
      }

      # Traffic is routed to a new instance once /readyz answers 2xx (models loaded, backends reachable).
      startup_probe {
        initial_delay_seconds = 0
        period_seconds        = 5
        timeout_seconds       = 3
        failure_threshold     = var.startup_failure_threshold
        http_get {
          path = var.startup_probe_path
          port = var.port
        }
      }

      # An instance whose /healthz stops answering is restarted.
      liveness_probe {
        initial_delay_seconds = 0
        period_seconds        = 30
        timeout_seconds       = 5
        failure_threshold     = 3
        http_get {
          path = var.liveness_probe_path
          port = var.port
        }
      }
    }

    # Managed Service for Prometheus: Google's collector as a sidecar scrapes the app's GET /metrics over the
    # instance's shared loopback (the app serves it to loopback callers without a key) and writes the series to
    # Cloud Monitoring as prometheus.googleapis.com/NAME/KIND, which the SLOs and the dashboard of
    # modules/monitoring read. No config file is mounted: per Google's "Write Prometheus metrics by using the
    # Prometheus sidecar" (https://cloud.google.com/run/docs/monitoring-managed-prometheus-sidecar) and the
    # sidecar's own DefaultRunMonitoringConfig (github.com/GoogleCloudPlatform/run-gmp-sidecar,
    # confgenerator/config.go), a container without /etc/rungmp/config.yaml runs the default RunMonitoring,
    # which scrapes port 8080, path /metrics, every 30 s: exactly our endpoint (the precondition below keeps the
    # port at 8080). It writes with the service account's roles/monitoring.metricWriter (modules/stack/iam.tf).
    # It starts after the app (depends_on, Cloud Run's container dependencies), so its first scrape finds the
    # app ready. Its CPU and memory are Cloud Run's defaults for a container (billed with the instance); CPU
    # throttled between requests (cpu_idle) can make some scrapes fail, which Google's page notes.
    dynamic "containers" {
      for_each = var.metrics_sidecar ? [var.metrics_sidecar_image] : []
      content {
        name       = local.metrics_container
        image      = containers.value
        depends_on = [local.app_container]
      }
    }
  }

  traffic {
    type    = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
    percent = 100
  }

  lifecycle {
    # gcloud and the console write these on every deploy; they carry no configuration.
    ignore_changes = [client, client_version]

    precondition {
      condition     = var.max_instances >= var.min_instances
      error_message = "max_instances must be at least min_instances."
    }

    precondition {
      condition     = !var.metrics_sidecar || var.port == local.metrics_scrape.port
      error_message = "The metrics sidecar's default RunMonitoring scrapes port 8080: keep port = 8080 or set metrics_sidecar = false."
    }

    precondition {
      condition     = var.image != null
      error_message = "No image to run: build and push one, then set image_tag (docs/deploy.md, step 5)."
    }
  }
}

# Deliberately public: the API and UI authenticate every caller themselves (per-organisation API keys and
# roles), and Cloud Run IAM cannot authenticate browsers or merchants' integrations.
resource "google_cloud_run_v2_service_iam_member" "public" {
  count = var.allow_unauthenticated ? 1 : 0

  project  = google_cloud_run_v2_service.this.project
  location = google_cloud_run_v2_service.this.location
  name     = google_cloud_run_v2_service.this.name
  role     = "roles/run.invoker"
  member   = "allUsers"
}
