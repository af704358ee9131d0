# Burn-rate alerts on every SLO, as Google's SRE workbook recommends ("Alerting on SLOs", multiwindow,
# multi-burn-rate alerts): an alert fires when the error budget burns fast over a long window AND is still
# burning over a short one (the short window makes it stop soon after the problem does).
#   fast: 14.4x over 1 h and 5 min (2% of a 30-day budget in one hour): someone looks now;
#   slow: 6x over 6 h and 30 min (5% of the budget in six hours): someone looks today.
# Cloud Monitoring computes the burn rate itself: select_slo_burn_rate(SLO, LOOKBACK).

locals {
  burn_rates = {
    fast = { burn_rate = 14.4, long_window_s = 3600, short_window_s = 300, severity = "CRITICAL" }
    slow = { burn_rate = 6, long_window_s = 21600, short_window_s = 1800, severity = "WARNING" }
  }

  burn_rate_alerts = {
    for pair in setproduct(keys(local.slos), keys(local.burn_rates)) :
    "${pair[0]}-${pair[1]}" => merge(local.burn_rates[pair[1]], { slo = pair[0], speed = pair[1] })
  }
}

resource "google_monitoring_alert_policy" "burn_rate" {
  for_each = local.burn_rate_alerts

  project               = var.project_id
  display_name          = "${var.name}: ${each.value.speed} error-budget burn (${each.value.burn_rate}x), ${local.slos[each.value.slo].title}"
  combiner              = "AND"
  severity              = each.value.severity
  notification_channels = [google_monitoring_notification_channel.email.id]
  user_labels           = var.labels

  dynamic "conditions" {
    for_each = { long = each.value.long_window_s, short = each.value.short_window_s }
    content {
      display_name = "burn rate > ${each.value.burn_rate} over ${conditions.value >= 3600 ? "${conditions.value / 3600} h" : "${conditions.value / 60} min"}"

      condition_threshold {
        filter          = "select_slo_burn_rate(\"${local.slos[each.value.slo].name}\", \"${conditions.value}s\")"
        comparison      = "COMPARISON_GT"
        threshold_value = each.value.burn_rate
        duration        = "0s"

        trigger {
          count = 1
        }
      }
    }
  }

  alert_strategy {
    auto_close = "${each.value.long_window_s}s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = <<-EOT
      The error budget of "${local.slos[each.value.slo].title}" is burning ${each.value.burn_rate} times faster
      than the SLO allows, over the last ${each.value.long_window_s / 60} minutes and still over the last
      ${each.value.short_window_s / 60} minutes. Dashboard "${var.name}: service health" shows which SLO and since
      when; then the service logs, recent deploys (docs/deploy.md, "Roll back") and Vertex AI's status.
    EOT
  }
}
