# Service-level objectives over the app's own Prometheus metrics (domain/metrics.py), which the Managed Service
# for Prometheus sidecar of the Cloud Run service (modules/cloud_run_service) writes to Cloud Monitoring as
# prometheus.googleapis.com/NAME/KIND on the prometheus_target resource, `namespace` = the Cloud Run service.
# Request-based SLIs: each request or turn counts once, whichever instance served it. The latency thresholds are
# bounds of the histograms' buckets (variables.tf): a cut between two bounds could only be interpolated.
# Cloud Monitoring refuses an SLO whose filter names a metric (or label) it has not received yet ("The metric
# referenced by the provided filter is unknown"), and a labelled series exists only once the app has recorded
# it: hence var.enable_slos, set once the deployed service has answered a chat (docs/deploy.md).

locals {
  # The series of this service only (another service in the project could export the same names).
  prometheus_target = "resource.type = \"prometheus_target\" AND resource.labels.namespace = \"${var.service_name}\""
  api_routes        = "metric.labels.route = starts_with(\"/v1/\")"

  requests_total    = "metric.type = \"prometheus.googleapis.com/fluxori_http_requests_total/counter\""
  request_duration  = "metric.type = \"prometheus.googleapis.com/fluxori_http_request_duration_seconds/histogram\""
  first_token_delay = "metric.type = \"prometheus.googleapis.com/fluxori_chat_time_to_first_token_seconds/histogram\""

  # Every SLO, for the burn-rate alerts and the dashboard: full resource name and title (none until enabled).
  slos = var.enable_slos ? {
    availability = { name = google_monitoring_slo.availability[0].name, title = google_monitoring_slo.availability[0].display_name }
    latency      = { name = google_monitoring_slo.latency[0].name, title = google_monitoring_slo.latency[0].display_name }
    first_token  = { name = google_monitoring_slo.first_token[0].name, title = google_monitoring_slo.first_token[0].display_name }
  } : {}
}

resource "google_monitoring_custom_service" "this" {
  project      = var.project_id
  service_id   = var.name
  display_name = "${var.name}: Fluxori Assistant (Cloud Run ${var.service_name})"
  user_labels  = var.labels
}

# Availability: 99.9% of the API's requests that are not the client's fault succeed, over 28 days. A 4xx (bad
# key, bad input, rate limit) counts neither way; a 5xx, including a 503 of a full instance, counts against.
resource "google_monitoring_slo" "availability" {
  count = var.enable_slos ? 1 : 0

  project             = var.project_id
  service             = google_monitoring_custom_service.this.service_id
  slo_id              = "availability"
  display_name        = "99.9% of /v1 requests succeed (4xx excluded), 28 days"
  goal                = 0.999
  rolling_period_days = 28
  user_labels         = var.labels

  request_based_sli {
    good_total_ratio {
      good_service_filter = join(" AND ", [
        local.prometheus_target, local.requests_total, local.api_routes,
        "metric.labels.status_class = one_of(\"2xx\", \"3xx\")",
      ])
      total_service_filter = join(" AND ", [
        local.prometheus_target, local.requests_total, local.api_routes,
        "metric.labels.status_class = one_of(\"2xx\", \"3xx\", \"5xx\")",
      ])
    }
  }
}

# Latency: 95% of the API's non-streaming requests finish within var.latency_slo_seconds. Chat turns (streamed or
# not) last as long as the model takes, two calls for a tool turn: the chat SLO below covers them.
resource "google_monitoring_slo" "latency" {
  count = var.enable_slos ? 1 : 0

  project             = var.project_id
  service             = google_monitoring_custom_service.this.service_id
  slo_id              = "latency"
  display_name        = "95% of non-chat /v1 requests within ${var.latency_slo_seconds} s, 28 days"
  goal                = 0.95
  rolling_period_days = 28
  user_labels         = var.labels

  request_based_sli {
    distribution_cut {
      distribution_filter = join(" AND ", [
        local.prometheus_target, local.request_duration, local.api_routes, "metric.labels.streaming = \"false\"",
        "NOT metric.labels.route = one_of(\"/v1/chat\", \"/v1/chat/confirm\")",
      ])

      range {
        max = var.latency_slo_seconds
      }
    }
  }
}

# Chat: 95% of turns show their first answer token within var.ttft_slo_seconds (every model).
resource "google_monitoring_slo" "first_token" {
  count = var.enable_slos ? 1 : 0

  project             = var.project_id
  service             = google_monitoring_custom_service.this.service_id
  slo_id              = "chat-first-token"
  display_name        = "95% of chat turns reach their first token within ${var.ttft_slo_seconds} s, 28 days"
  goal                = 0.95
  rolling_period_days = 28
  user_labels         = var.labels

  request_based_sli {
    distribution_cut {
      distribution_filter = join(" AND ", [local.prometheus_target, local.first_token_delay])

      range {
        max = var.ttft_slo_seconds
      }
    }
  }
}
