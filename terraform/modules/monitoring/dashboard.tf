# One dashboard for the on-call: each SLO's compliance and the error budget left, then what explains them: time
# to first token by model, credits burned by model, requests by status class, open credit reservations.
# SLO tiles use Cloud Monitoring's SLO selectors; the rest is PromQL over the sidecar's series of this service
# (`namespace` is the Cloud Run service).

locals {
  ns = "namespace=\"${var.service_name}\""

  slo_tiles = flatten([
    for index, key in keys(local.slos) : [
      {
        xPos   = 0
        yPos   = index * 4
        width  = 4
        height = 4
        widget = {
          title = "Compliance: ${local.slos[key].title}"
          scorecard = {
            timeSeriesQuery = {
              timeSeriesFilter = {
                filter      = "select_slo_compliance(\"${local.slos[key].name}\")"
                aggregation = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_NEXT_OLDER" }
              }
            }
          }
        }
      },
      {
        xPos   = 4
        yPos   = index * 4
        width  = 8
        height = 4
        widget = {
          title = "Error budget left: ${local.slos[key].title}"
          xyChart = {
            dataSets = [{
              plotType = "LINE"
              timeSeriesQuery = {
                timeSeriesFilter = {
                  filter      = "select_slo_budget_fraction(\"${local.slos[key].name}\")"
                  aggregation = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_NEXT_OLDER" }
                }
              }
            }]
            thresholds = [{ value = 0, label = "budget spent" }]
            yAxis      = { label = "fraction of the budget left", scale = "LINEAR" }
          }
        }
      },
    ]
  ])

  # Below the SLO rows, two charts per row.
  detail_top = length(keys(local.slos)) * 4
  detail_charts = [
    {
      title = "Time to first token p50 / p95 by model (s)"
      dataSets = [
        for q in [0.5, 0.95] : {
          plotType = "LINE"
          timeSeriesQuery = {
            # The quantile as a label, so the legend tells p50 from p95.
            prometheusQuery = "label_replace(histogram_quantile(${q}, sum by (model, le) (rate(fluxori_chat_time_to_first_token_seconds_bucket{${local.ns}}[5m]))), \"quantile\", \"${q}\", \"\", \"\")"
          }
        }
      ]
    },
    {
      title = "Credits burned per hour by model"
      dataSets = [{
        plotType        = "STACKED_BAR"
        timeSeriesQuery = { prometheusQuery = "sum by (model) (increase(fluxori_credits_used_total{${local.ns}}[1h]))" }
      }]
    },
    {
      title = "Requests per second by status class"
      dataSets = [{
        plotType        = "STACKED_AREA"
        timeSeriesQuery = { prometheusQuery = "sum by (status_class) (rate(fluxori_http_requests_total{${local.ns}}[5m]))" }
      }]
    },
    {
      # Every instance counts the whole database's open reservations: the maximum, not the sum.
      title = "Open credit reservations (all organisations)"
      dataSets = [{
        plotType        = "LINE"
        timeSeriesQuery = { prometheusQuery = "max(fluxori_open_reservations{${local.ns}})" }
      }]
    },
  ]

  detail_tiles = [
    for index, chart in local.detail_charts : {
      xPos   = (index % 2) * 6
      yPos   = local.detail_top + floor(index / 2) * 4
      width  = 6
      height = 4
      widget = { title = chart.title, xyChart = { dataSets = chart.dataSets } }
    }
  ]
}

resource "google_monitoring_dashboard" "health" {
  project = var.project_id
  dashboard_json = jsonencode({
    displayName  = "${var.name}: service health"
    mosaicLayout = { columns = 12, tiles = concat(local.slo_tiles, local.detail_tiles) }
  })
}
