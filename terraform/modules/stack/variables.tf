# Inputs of one stage. The env roots (envs/dev, envs/prod) validate what users type; the checks here keep the
# module safe to call from elsewhere too.

variable "project_id" {
  description = "Google Cloud project id of the stage."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be 6-30 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "stage" {
  description = "Stage name, used in resource names and labels."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,7}$", var.stage))
    error_message = "stage must be 2-8 lowercase letters and digits, e.g. dev or prod."
  }
}

variable "region" {
  description = "Region of Cloud Run, Firestore, Cloud Storage, Artifact Registry and Secret Manager."
  type        = string
  default     = "africa-south1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must be a Google Cloud region such as africa-south1."
  }
}

variable "vertex_region" {
  description = "Region of Vertex AI Vector Search and the Vertex AI models."
  type        = string
  default     = "europe-west4"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.vertex_region))
    error_message = "vertex_region must be a Google Cloud region such as europe-west4."
  }
}

variable "scheduler_region" {
  description = "Cloud Scheduler region; null means var.region."
  type        = string
  default     = null
}

variable "labels" {
  description = "Extra labels for every resource (app, stage and managed-by are always added)."
  type        = map(string)
  default     = {}
}

variable "deletion_protection" {
  description = "Protect Firestore, buckets, the Cloud Run service and jobs against deletion (true in prod)."
  type        = bool
  default     = true
}

# --- Image -----------------------------------------------------------------------------------------------

variable "image_name" {
  description = "Image name inside the Artifact Registry repository."
  type        = string
  default     = "fluxori"
}

variable "image_tag" {
  description = "Tag of the image the service and jobs run (e.g. the git commit). Null: infrastructure only, no service or jobs yet."
  type        = string
  default     = null
}

variable "immutable_image_tags" {
  description = "Refuse to move an existing image tag."
  type        = bool
  default     = true
}

# --- Firestore -------------------------------------------------------------------------------------------

variable "firestore_database" {
  description = "Firestore database id."
  type        = string
  default     = "(default)"
}

variable "firestore_backup_retention_days" {
  description = "Retention of the daily Firestore backups (1-7 days)."
  type        = number
  default     = 7
}

variable "firestore_export_retention_days" {
  description = "Age at which objects in the Firestore exports bucket are deleted (from 120 days on, they move to Coldline after 30)."
  type        = number
  default     = 90

  validation {
    condition     = var.firestore_export_retention_days >= 7
    error_message = "firestore_export_retention_days must be at least 7."
  }
}

# --- Cloud Run service -----------------------------------------------------------------------------------

# Capacity, from the load benchmark with the Gemini fake (BENCHMARKS.md, "HTTP API under load": load_chat.py
# --model-latency 1|2, turn_cpu.py): a turn costs the server 30-32 ms of CPU alone and 34-40 ms under load, so a
# vCPU serves at most ~28 turns/s; nearly all of it is Python under one GIL, so the one process per instance uses
# about one vCPU whatever the size (the second of 2 runs gRPC, TLS and the threads that release the GIL). At 70%
# of that ceiling (~20 turns/s) and 2-6 s of Gemini per turn (two calls), 40-120 turns are in flight; one process
# held 60 in flight without an error (16.8 turns/s at 1 s per model call, on a shared 2-core machine).

variable "min_instances" {
  description = "Minimum instances of the service (BENCHMARKS.md, load: a new instance takes ~20 s to /readyz, so one stays warm where merchants wait)."
  type        = number
  default     = 1
}

variable "max_instances" {
  description = "Maximum instances of the service (BENCHMARKS.md, load: ~20 turns/s per instance at 70% of one vCPU, so 10 instances cap near 200 turns/s; also the cost cap)."
  type        = number
  default     = 10
}

variable "concurrency" {
  description = "Concurrent requests per instance (BENCHMARKS.md, load: ~28 turns/s per vCPU at 34-40 ms of server CPU per turn; 40-120 turns in flight at 70% and 2-6 s of Gemini per turn; 60 held without an error)."
  type        = number
  default     = 60

  validation {
    # Below the app's own bound on chat turns in flight (FLUXORI_CHAT_CONCURRENCY, 128 by default), with a
    # margin for streamed turns that run on after their client has gone (Cloud Run no longer counts them):
    # Cloud Run spreads the load instead of the instance answering 503.
    condition     = var.concurrency >= 1 && var.concurrency <= 100
    error_message = "concurrency must be from 1 to 100 (the app runs at most 128 chat turns at once)."
  }
}

variable "cpu" {
  description = "vCPUs per instance (BENCHMARKS.md, load: 34-40 ms of process CPU per turn, ~28 turns/s per vCPU, mostly under one GIL; the second vCPU takes gRPC, TLS and background indexing, and one busy process stays under Cloud Run's 60% CPU target, so requests in flight scale it)."
  type        = string
  default     = "2"
}

variable "memory" {
  description = "Memory per instance."
  type        = string
  default     = "2Gi"
}

variable "cpu_idle" {
  description = "Request-based billing (CPU throttled between requests)."
  type        = bool
  default     = true
}

variable "allow_unauthenticated" {
  description = "Let anyone reach the service; the app itself checks API keys."
  type        = bool
  default     = true
}

# --- App settings (FLUXORI_*) ----------------------------------------------------------------------------

variable "log_level" {
  description = "FLUXORI_LOG_LEVEL."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "llm_provider" {
  description = "FLUXORI_LLM_PROVIDER: vertex (Gemini), openai-compatible, or offline (no model calls)."
  type        = string
  default     = "vertex"

  validation {
    condition     = contains(["vertex", "openai-compatible", "offline"], var.llm_provider)
    error_message = "llm_provider must be vertex, openai-compatible or offline."
  }
}

variable "llm_model" {
  description = "FLUXORI_LLM_MODEL."
  type        = string
  default     = "gemini-2.5-flash"
}

variable "openai_base_url" {
  description = "FLUXORI_OPENAI_BASE_URL (required when llm_provider is openai-compatible)."
  type        = string
  default     = null
}

variable "secrets" {
  description = <<-EOT
    Settings read from Secret Manager: FLUXORI_* name => secret id. Terraform creates the (empty) secret and lets
    the service read it; add the value with `gcloud secrets versions add` before the service uses it.
  EOT
  type        = map(string)
  default     = {}

  validation {
    # Only settings that are secrets in assistant/settings.py (SecretStr fields).
    condition     = alltrue([for k in keys(var.secrets) : contains(["FLUXORI_OPENAI_API_KEY"], k)])
    error_message = "Only FLUXORI_OPENAI_API_KEY is read from Secret Manager."
  }
}

variable "rate_limit_per_minute" {
  description = "FLUXORI_RATE_LIMIT_PER_MINUTE."
  type        = number
  default     = 600
}

variable "confirmation_ttl_seconds" {
  description = "FLUXORI_CONFIRMATION_TTL_SECONDS: how long a proposed write action waits for confirmation."
  type        = number
  default     = 900
}

variable "audit_retention_days" {
  description = "FLUXORI_AUDIT_RETENTION_DAYS: days an audit record is kept before Firestore's TTL policy deletes it (null: the app's default)."
  type        = number
  default     = null

  validation {
    condition     = var.audit_retention_days == null || coalesce(var.audit_retention_days, 0) >= 1
    error_message = "audit_retention_days must be at least 1."
  }
}

variable "answer_retention_days" {
  description = "FLUXORI_ANSWER_RETENTION_DAYS: days an answer record (the questions report's source) is kept before Firestore's TTL policy deletes it (null: the app's default)."
  type        = number
  default     = null

  validation {
    condition     = var.answer_retention_days == null || coalesce(var.answer_retention_days, 0) >= 1
    error_message = "answer_retention_days must be at least 1."
  }
}

variable "feedback_retention_days" {
  description = "FLUXORI_FEEDBACK_RETENTION_DAYS: days a rating of an answer is kept before Firestore's TTL policy deletes it (null: the app's default)."
  type        = number
  default     = null

  validation {
    condition     = var.feedback_retention_days == null || coalesce(var.feedback_retention_days, 0) >= 1
    error_message = "feedback_retention_days must be at least 1."
  }
}

variable "max_message_chars" {
  description = "FLUXORI_MAX_MESSAGE_CHARS."
  type        = number
  default     = 4000
}

# --- Ingestion -------------------------------------------------------------------------------------------

variable "kb_prefix" {
  description = "Folder of the knowledge-base documents in the kb bucket (each organisation has a subfolder)."
  type        = string
  default     = "kb"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$", var.kb_prefix))
    error_message = "kb_prefix must be a folder path without leading or trailing slash, e.g. kb."
  }
}

variable "ingest_orgs" {
  description = "Organisations with a scheduled knowledge-base ingestion job (one job each)."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.ingest_orgs) == length(distinct(var.ingest_orgs))
    error_message = "ingest_orgs lists an organisation twice."
  }
}

variable "ingest_task_count" {
  description = "Parallel tasks (shards) per ingestion run."
  type        = number
  default     = 4
}

variable "ingest_schedule" {
  description = "Cron schedule of the ingestion (Africa/Johannesburg time)."
  type        = string
  default     = "0 2 * * *"
}

variable "ingest_schedule_paused" {
  description = "Create the ingestion triggers paused."
  type        = bool
  default     = false
}

# --- Vector Search ---------------------------------------------------------------------------------------

variable "vector_machine_type" {
  description = "Machine type of the deployed index."
  type        = string
  default     = "e2-standard-2"
}

variable "vector_min_replicas" {
  description = "Minimum replicas of the deployed index."
  type        = number
  default     = 1
}

variable "vector_max_replicas" {
  description = "Maximum replicas of the deployed index."
  type        = number
  default     = 2
}

# --- Monitoring and budget -------------------------------------------------------------------------------

variable "alert_email" {
  description = "Email address for alerts and budget notifications."
  type        = string
}

variable "latency_p95_threshold_ms" {
  description = "p95 latency alert threshold in milliseconds."
  type        = number
  default     = 10000
}

variable "latency_slo_seconds" {
  description = "Latency SLO threshold: 95% of non-chat, non-streaming /v1 requests within this many seconds (from BENCHMARKS.md, SLO thresholds: search p95 36.6 ms at 100,000 chunks; credits, billing, documents a few Firestore reads; 1 s leaves room for a cold instance)."
  type        = number
  default     = 1
}

variable "ttft_slo_seconds" {
  description = "Chat SLO threshold: 95% of turns reach their first token within this many seconds (from BENCHMARKS.md, SLO thresholds: with the Gemini fake at 1 s a call (a tool turn: 1.5 s of model time to its first token) the first token came at p95 1.6-2.3 s after the model's own, 20-60 clients on a loaded 2-core machine)."
  type        = number
  default     = 5
}

variable "enable_slos" {
  description = "Create the SLOs and their burn-rate alerts. Cloud Monitoring refuses an SLO on a metric it has not received: true once the deployed service has answered a chat (docs/deploy.md, step 8)."
  type        = bool
  default     = false
}

variable "billing_account" {
  description = "Billing account id the budget is created on."
  type        = string
}

variable "budget_monthly_amount" {
  description = "Monthly budget in budget_currency."
  type        = number
}

variable "budget_currency" {
  description = "Currency of the billing account."
  type        = string
  default     = "USD"
}

# --- Billing ---------------------------------------------------------------------------------------------

variable "payfast_mode" {
  description = "FLUXORI_PAYFAST_MODE: sandbox (sandbox.payfast.co.za) or live (www.payfast.co.za, real money)."
  type        = string
  default     = "sandbox"

  validation {
    condition     = contains(["sandbox", "live"], var.payfast_mode)
    error_message = "payfast_mode must be sandbox or live (local is the offline sandbox of `fluxori serve`)."
  }
}

variable "public_url" {
  description = "FLUXORI_PUBLIC_URL: the address PayFast and buyers' browsers reach the service at (a custom domain, e.g. https://assistant.fluxori.co.za). Null: the service's deterministic run.app URL."
  type        = string
  default     = null

  validation {
    condition     = var.public_url == null || can(regex("^https://[A-Za-z0-9.-]+(:[0-9]+)?(/[^/]+)*$", var.public_url))
    error_message = "public_url must be an https:// URL without a trailing slash."
  }
}

variable "supplier_name" {
  description = "FLUXORI_SUPPLIER_NAME: the supplier on every tax invoice (null: the app's demo value)."
  type        = string
  default     = null
}

variable "supplier_address" {
  description = "FLUXORI_SUPPLIER_ADDRESS: the supplier's address on every tax invoice (null: the app's demo value)."
  type        = string
  default     = null
}

variable "supplier_vat_number" {
  description = "FLUXORI_SUPPLIER_VAT_NUMBER: the supplier's South African VAT number (null: the app's demo value)."
  type        = string
  default     = null

  validation {
    condition     = var.supplier_vat_number == null || can(regex("^4[0-9]{9}$", var.supplier_vat_number))
    error_message = "supplier_vat_number must be a South African VAT number: 10 digits starting with 4."
  }
}

variable "billing_export_table" {
  description = "Full id of the Cloud Billing detailed usage cost export table (PROJECT.DATASET.gcp_billing_export_resource_v1_XXXXXX), in the same BigQuery location as the stage's region. Null: no margin view yet."
  type        = string
  default     = null
}

variable "zar_per_usd" {
  description = "Rand per US dollar for the margin view when the billing account does not bill in ZAR (null: no ZAR cost for such rows)."
  type        = number
  default     = null
}

variable "billing_export_schedule" {
  description = "Cron schedule of the daily billing export (Africa/Johannesburg time); it exports the previous day."
  type        = string
  default     = "0 2 * * *"
}

variable "billing_export_schedule_paused" {
  description = "Create the billing export trigger paused."
  type        = bool
  default     = false
}

variable "briefing_schedule" {
  description = "Cron schedule of the daily briefing to the organisations' webhooks (Africa/Johannesburg time)."
  type        = string
  default     = "0 7 * * *"
}

variable "briefing_schedule_paused" {
  description = "Create the daily briefing trigger paused."
  type        = bool
  default     = false
}
