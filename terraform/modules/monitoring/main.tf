# An email notification channel and two alert policies on Cloud Run's own request metrics (they work without
# the app's metrics): the share of 5xx responses and the 95th percentile of request latency. The SLOs on the
# app's metrics, their burn-rate alerts and the dashboard are in slo.tf, burn_rate.tf and dashboard.tf.

locals {
  service_filter = join(" AND ", [
    "resource.type = \"cloud_run_revision\"",
    "resource.labels.service_name = \"${var.service_name}\"",
  ])
}

resource "google_monitoring_notification_channel" "email" {
  project      = var.project_id
  display_name = "${var.name} on-call email"
  type         = "email"
  user_labels  = var.labels

  labels = {
    email_address = var.alert_email
  }
}

resource "google_monitoring_alert_policy" "error_rate" {
  project               = var.project_id
  display_name          = "${var.name}: Cloud Run 5xx rate above ${var.error_rate_percent}%"
  combiner              = "OR"
  notification_channels = [google_monitoring_notification_channel.email.id]
  user_labels           = var.labels

  conditions {
    display_name = "5xx responses > ${var.error_rate_percent}% of all responses"

    condition_threshold {
      filter          = "${local.service_filter} AND metric.type = \"run.googleapis.com/request_count\" AND metric.labels.response_code_class = \"5xx\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.error_rate_percent / 100
      duration        = "${var.evaluation_window_seconds}s"

      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_RATE"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.service_name"]
      }

      denominator_filter = "${local.service_filter} AND metric.type = \"run.googleapis.com/request_count\""

      denominator_aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_RATE"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.service_name"]
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = <<-EOT
      More than ${var.error_rate_percent}% of requests to Cloud Run service `${var.service_name}` failed with 5xx
      for ${var.evaluation_window_seconds / 60} minutes. Check the service logs, then consider rolling back
      (docs/deploy.md, "Roll back").
    EOT
  }
}

resource "google_monitoring_alert_policy" "latency_p95" {
  project               = var.project_id
  display_name          = "${var.name}: Cloud Run p95 latency above ${var.latency_p95_threshold_ms} ms"
  combiner              = "OR"
  notification_channels = [google_monitoring_notification_channel.email.id]
  user_labels           = var.labels

  conditions {
    display_name = "p95 request latency > ${var.latency_p95_threshold_ms} ms"

    condition_threshold {
      filter          = "${local.service_filter} AND metric.type = \"run.googleapis.com/request_latencies\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.latency_p95_threshold_ms
      duration        = "${var.evaluation_window_seconds}s"

      # Sum the latency distributions of all revisions, then take their 95th percentile.
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_PERCENTILE_95"
        group_by_fields      = ["resource.label.service_name"]
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = <<-EOT
      The 95th percentile latency of Cloud Run service `${var.service_name}` stayed above
      ${var.latency_p95_threshold_ms} ms for ${var.evaluation_window_seconds / 60} minutes. Usual causes: a slow
      model (Vertex AI quota or region), cold starts (raise min instances), or instances at max_instances.
    EOT
  }
}
