# Billing analytics in BigQuery: the daily ledger export (NDJSON files the billing job writes to
# gs://BUCKET/ledger/day=YYYY-MM-DD/ledger.ndjson) as an external table, and a view that puts next to it what
# Vertex AI cost for the same organisation and day, from Google's Cloud Billing export (the service labels every
# Vertex AI call with org_id). Nothing is copied into BigQuery storage: the files stay the record.

locals {
  ledger_uri = "gs://${var.bucket}/${var.ledger_prefix}"

  # Columns of ledger.ndjson (assistant/billing/export.py). `day` is not among them: it is the Hive partition key,
  # read from the folder name (day=YYYY-MM-DD) as a DATE, and BigQuery does not let a partition key also be a
  # column of the files' schema. INTEGER and FLOAT are the API's names of INT64 and FLOAT64.
  ledger_schema = [
    { name = "org_id", type = "STRING", mode = "NULLABLE", description = "Organisation charged or credited." },
    { name = "entry_id", type = "STRING", mode = "NULLABLE", description = "Ledger entry id (unique per organisation)." },
    { name = "kind", type = "STRING", mode = "NULLABLE", description = "settle (a request charged), grant (credits added) or refund." },
    { name = "at", type = "TIMESTAMP", mode = "NULLABLE", description = "When the entry was written." },
    { name = "request_id", type = "STRING", mode = "NULLABLE", description = "Request the entry settles." },
    { name = "key_id", type = "STRING", mode = "NULLABLE", description = "API key that made the request." },
    { name = "model", type = "STRING", mode = "NULLABLE", description = "Chat model that answered." },
    { name = "tools", type = "STRING", mode = "REPEATED", description = "Tools the answer called." },
    { name = "tool_calls", type = "INTEGER", mode = "NULLABLE", description = "Number of tool calls." },
    { name = "input_tokens", type = "INTEGER", mode = "NULLABLE", description = "Model input tokens." },
    { name = "output_tokens", type = "INTEGER", mode = "NULLABLE", description = "Model output tokens." },
    { name = "credits_mc", type = "INTEGER", mode = "NULLABLE", description = "Credits in millicredits (settle: charged; grant: added)." },
    { name = "credits", type = "FLOAT", mode = "NULLABLE", description = "The same in credits." },
    { name = "rand_value", type = "FLOAT", mode = "NULLABLE", description = "ZAR excluding VAT at the list rate (1 credit = R0.10)." },
  ]

  # What Vertex AI cost in rand, per row of the billing export: as is when the billing account bills in ZAR,
  # else through USD (cost / currency_conversion_rate is USD) at var.zar_per_usd; unknown without that rate.
  zar_per_usd = var.zar_per_usd == null ? "CAST(NULL AS FLOAT64)" : tostring(var.zar_per_usd)
}

resource "google_bigquery_dataset" "this" {
  #checkov:skip=CKV_GCP_81:The dataset holds no data of its own (an external table over the billing bucket and a view); like every other resource of the stack it is encrypted at rest with Google-managed keys, and a CMEK would add a KMS key to rotate and a key-loss outage risk without reducing exposure.

  project       = var.project_id
  dataset_id    = var.dataset_id
  friendly_name = "Fluxori billing"
  description   = "Daily credit ledger export (external table over the billing bucket) and cost/margin per organisation and day."
  location      = var.location
  labels        = var.labels

  # Only definitions live here (the data stays in the bucket): deleting the dataset loses no record.
  delete_contents_on_destroy = !var.deletion_protection
}

resource "google_bigquery_table" "ledger" {
  #checkov:skip=CKV_GCP_80:An external table stores nothing in BigQuery (a table CMEK would not apply to its data); its files live in the billing bucket, encrypted at rest with Google-managed keys like every other resource of the stack.
  #checkov:skip=CKV_GCP_121:Deletion protection follows var.deletion_protection (true in prod; dev is destroyable on purpose). The table is only a definition: its rows are files in the versioned billing bucket, which a destroy of the table does not touch.

  project             = var.project_id
  dataset_id          = google_bigquery_dataset.this.dataset_id
  table_id            = "ledger"
  description         = "One row per charged request (settle) and credit grant, from ${local.ledger_uri}/day=YYYY-MM-DD/ledger.ndjson."
  deletion_protection = var.deletion_protection
  labels              = var.labels

  external_data_configuration {
    source_format = "NEWLINE_DELIMITED_JSON"
    source_uris   = ["${local.ledger_uri}/*"]
    autodetect    = false
    schema        = jsonencode(local.ledger_schema)
    # Each row repeats its `day`, which the folder already gives (the partition key); fields the exporter may add
    # later do not break queries either.
    ignore_unknown_values = true

    hive_partitioning_options {
      mode                     = "CUSTOM"
      source_uri_prefix        = "${local.ledger_uri}/{day:DATE}"
      require_partition_filter = false
    }
  }
}

# Per organisation and SAST day: requests and credits charged, their rand value, what Vertex AI cost for that
# organisation (its org_id label, this project only) and the margin. Created once the Cloud Billing export exists
# (var.billing_export_table): BigQuery checks a view's tables when it is created.
resource "google_bigquery_table" "margin" {
  #checkov:skip=CKV_GCP_80:A view stores no data (a table CMEK would not apply to it); the tables it reads keep their own encryption.
  #checkov:skip=CKV_GCP_121:Deletion protection follows var.deletion_protection (true in prod; dev is destroyable on purpose). The table is only a definition: its rows are files in the versioned billing bucket, which a destroy of the table does not touch.
  count = var.billing_export_table == null ? 0 : 1

  project             = var.project_id
  dataset_id          = google_bigquery_dataset.this.dataset_id
  table_id            = "org_day_margin"
  description         = "Credits, rand value sold, Vertex AI cost and margin per organisation and day (ZAR excluding VAT)."
  deletion_protection = var.deletion_protection
  labels              = var.labels

  view {
    use_legacy_sql = false
    query          = <<-SQL
      WITH sold AS (
        SELECT
          org_id,
          day,
          COUNTIF(kind = 'settle') AS requests,
          SUM(IF(kind = 'settle', input_tokens, 0)) AS input_tokens,
          SUM(IF(kind = 'settle', output_tokens, 0)) AS output_tokens,
          SUM(IF(kind = 'settle', credits_mc, 0)) AS credits_mc,
          SUM(IF(kind = 'settle', credits, 0)) AS credits,
          SUM(IF(kind = 'settle', rand_value, 0)) AS rand_value,
          SUM(IF(kind = 'grant', credits, 0)) AS credits_granted
        FROM `${var.project_id}.${google_bigquery_dataset.this.dataset_id}.${google_bigquery_table.ledger.table_id}`
        GROUP BY org_id, day
      ),
      vertex_rows AS (
        SELECT
          (SELECT l.value FROM UNNEST(b.labels) AS l WHERE l.key = 'org_id') AS org_id,
          DATE(b.usage_start_time, 'Africa/Johannesburg') AS day,
          b.currency,
          b.cost,
          IFNULL((SELECT SUM(c.amount) FROM UNNEST(b.credits) AS c), 0) AS credits,
          b.currency_conversion_rate
        FROM `${var.billing_export_table}` AS b
        WHERE b.project.id = '${var.project_id}'
          AND b.service.description = '${var.vertex_service_description}'
          AND EXISTS (SELECT 1 FROM UNNEST(b.labels) AS l WHERE l.key = 'org_id')
      ),
      spent AS (
        SELECT
          org_id,
          day,
          ANY_VALUE(currency) AS currency,
          SUM(cost) AS vertex_cost,
          SUM(credits) AS vertex_credits,
          SUM(IF(currency = 'ZAR', cost + credits, (cost + credits) / currency_conversion_rate * ${local.zar_per_usd})) AS vertex_cost_zar
        FROM vertex_rows
        GROUP BY org_id, day
      )
      SELECT
        COALESCE(s.org_id, v.org_id) AS org_id,
        COALESCE(s.day, v.day) AS day,
        IFNULL(s.requests, 0) AS requests,
        IFNULL(s.input_tokens, 0) AS input_tokens,
        IFNULL(s.output_tokens, 0) AS output_tokens,
        IFNULL(s.credits_mc, 0) AS credits_mc,
        IFNULL(s.credits, 0) AS credits,
        IFNULL(s.credits_granted, 0) AS credits_granted,
        IFNULL(s.rand_value, 0) AS rand_value_sold,
        v.currency AS billing_currency,
        IFNULL(v.vertex_cost, 0) AS vertex_cost,
        IFNULL(v.vertex_credits, 0) AS vertex_credits,
        IF(v.org_id IS NULL, 0, v.vertex_cost_zar) AS vertex_cost_zar,
        IFNULL(s.rand_value, 0) - IF(v.org_id IS NULL, 0, v.vertex_cost_zar) AS margin_zar,
        SAFE_DIVIDE(IFNULL(s.rand_value, 0) - IF(v.org_id IS NULL, 0, v.vertex_cost_zar), s.rand_value) AS margin_ratio
      FROM sold AS s
      FULL OUTER JOIN spent AS v
        ON s.org_id = v.org_id AND s.day = v.day
    SQL
  }
}
