# The app's configuration. Every name is FLUXORI_<FIELD> for a field of one of the app's settings classes
# (assistant.settings.Settings, app.api.config.ApiSettings, assistant.billing.settings.BillingSettings;
# tests/test_terraform.py fails the build otherwise). Null values are dropped by the Cloud Run modules,
# so the app's own default applies.

locals {
  # The vector index stores text-embedding-005 vectors; the model and the index dimensions change together.
  embedding_model      = "text-embedding-005"
  embedding_dimensions = 768

  # Shared by the API service and the ingestion jobs.
  app_env = {
    FLUXORI_MODE                     = "gcp"
    FLUXORI_PROJECT                  = var.project_id
    FLUXORI_REGION                   = var.region
    FLUXORI_VERTEX_REGION            = var.vertex_region
    FLUXORI_FIRESTORE_DATABASE       = module.firestore.database_name
    FLUXORI_KB_BUCKET                = module.storage.names["kb"]
    FLUXORI_LOG_LEVEL                = var.log_level
    FLUXORI_LLM_PROVIDER             = var.llm_provider
    FLUXORI_LLM_MODEL                = var.llm_model
    FLUXORI_OPENAI_BASE_URL          = var.openai_base_url
    FLUXORI_EMBEDDING_PROVIDER       = "vertex"
    FLUXORI_EMBEDDING_MODEL          = local.embedding_model
    FLUXORI_VECTOR_BACKEND           = "vertex"
    FLUXORI_VECTOR_INDEX_ID          = module.vector_search.index_id
    FLUXORI_VECTOR_ENDPOINT_ID       = module.vector_search.index_endpoint_id
    FLUXORI_VECTOR_DEPLOYED_INDEX_ID = module.vector_search.deployed_index_id
    # Every process that can write an audit record stamps its expiry from this; Firestore's TTL policy on
    # `audit.expires_at` (modules/firestore) deletes it then.
    FLUXORI_AUDIT_RETENTION_DAYS = var.audit_retention_days
    # The same for the answer log and the ratings of answers (`answer_log` and `feedback`, on `expires_at`).
    FLUXORI_ANSWER_RETENTION_DAYS   = var.answer_retention_days
    FLUXORI_FEEDBACK_RETENTION_DAYS = var.feedback_retention_days
  }

  # The API service only. The port is not set here: Cloud Run sets PORT and the image runs
  # `fluxori serve --port $PORT`.
  service_env = {
    FLUXORI_HOST                     = "0.0.0.0"
    FLUXORI_RATE_LIMIT_PER_MINUTE    = var.rate_limit_per_minute
    FLUXORI_CONFIRMATION_TTL_SECONDS = var.confirmation_ttl_seconds
    FLUXORI_MAX_MESSAGE_CHARS        = var.max_message_chars
  }

  # Billing (assistant/billing/settings.py), for the service and the billing export job. The public URL is the
  # custom domain when there is one, else the service's deterministic run.app URL (known before the service
  # exists, so the service can be given its own address).
  billing_env = {
    FLUXORI_BILLING_BUCKET      = module.storage.names["billing"]
    FLUXORI_PUBLIC_URL          = local.public_url
    FLUXORI_SUPPLIER_NAME       = var.supplier_name
    FLUXORI_SUPPLIER_ADDRESS    = var.supplier_address
    FLUXORI_SUPPLIER_VAT_NUMBER = var.supplier_vat_number
  }
  public_url = coalesce(var.public_url, "https://${local.name}-${data.google_project.this.number}.${var.region}.run.app")

  # PayFast, for the service only: it takes payments and ITNs. Live mode needs the merchant secrets, which only
  # the service reads, so the export job (no PayFast access) keeps the app's default mode.
  payfast_env = {
    FLUXORI_PAYFAST_MODE = var.payfast_mode
    # Cloud Run's front end appends the caller's address to X-Forwarded-For: the last hop is the client.
    FLUXORI_TRUSTED_PROXY_HOPS = 1
  }

  # Settings read from Secret Manager (local.secrets), always the latest version. Same project, so the short
  # secret id is the reference.
  service_secret_env = {
    for env_name, secret_id in local.secrets : env_name => { secret = module.secrets.secret_ids[secret_id] }
  }

  # For a workstation: the same settings, to run `fluxori admin ...` or `fluxori billing export --day ...`
  # against this stage (docs/deploy.md).
  workstation_env = join("\n", [
    for k, v in merge(local.app_env, local.billing_env) : "export ${k}=${jsonencode(v)}" if v != null
  ])
}
