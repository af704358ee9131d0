variable "project_id" {
  description = "Google Cloud project id of this stage."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be 6-30 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "region" {
  description = "Region of Cloud Run, Firestore, Cloud Storage and Artifact Registry (data stays in South Africa)."
  type        = string
  default     = "africa-south1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must be a Google Cloud region name such as africa-south1."
  }
}

variable "vertex_region" {
  description = "Region of Vertex AI (Vector Search, Gemini, embeddings)."
  type        = string
  default     = "europe-west4"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.vertex_region))
    error_message = "vertex_region must be a Google Cloud region name such as europe-west4."
  }
}

variable "scheduler_region" {
  description = "Cloud Scheduler region; null uses region."
  type        = string
  default     = null

  validation {
    condition     = var.scheduler_region == null || can(regex("^[a-z]+-[a-z]+[0-9]$", var.scheduler_region))
    error_message = "scheduler_region must be null or a Google Cloud region name."
  }
}

variable "labels" {
  description = "Extra labels for every resource."
  type        = map(string)
  default     = {}
}

variable "image_tag" {
  description = "Image tag the service and jobs run (e.g. the git commit). Unset on the first apply: infrastructure only."
  type        = string
  default     = null

  validation {
    condition     = var.image_tag == null || can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag))
    error_message = "image_tag must be a valid Docker tag."
  }
}

variable "min_instances" {
  description = "Minimum Cloud Run instances (prod keeps at least one warm: a new instance takes ~20 s to be ready, BENCHMARKS.md, load)."
  type        = number
  default     = 1

  validation {
    condition     = var.min_instances >= 1 && var.min_instances <= 20 && floor(var.min_instances) == var.min_instances
    error_message = "min_instances must be a whole number from 1 to 20 in prod."
  }
}

variable "max_instances" {
  description = "Maximum Cloud Run instances (BENCHMARKS.md, load: ~20 turns/s per 2-vCPU instance, so 10 cap prod near 200 turns/s; also the cost cap)."
  type        = number
  default     = 10

  validation {
    condition     = var.max_instances >= 1 && var.max_instances <= 100 && floor(var.max_instances) == var.max_instances
    error_message = "max_instances must be a whole number from 1 to 100."
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
  description = "FLUXORI_OPENAI_BASE_URL (only with llm_provider = openai-compatible)."
  type        = string
  default     = null
}

variable "secrets" {
  # Only SecretStr settings of assistant/settings.py (today FLUXORI_OPENAI_API_KEY); the stack validates it.
  description = "FLUXORI_* settings read from Secret Manager, e.g. { FLUXORI_OPENAI_API_KEY = \"fluxori-prod-openai-api-key\" }."
  type        = map(string)
  default     = {}
}

variable "ingest_orgs" {
  description = "Organisations with a scheduled knowledge-base ingestion job (add each customer organisation)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for o in var.ingest_orgs : can(regex("^[a-z][a-z0-9-]{1,38}[a-z0-9]$", o))])
    error_message = "Organisation ids are 3-40 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "ingest_task_count" {
  description = "Parallel tasks (shards) per ingestion run."
  type        = number
  default     = 4

  validation {
    condition     = var.ingest_task_count >= 1 && var.ingest_task_count <= 50 && floor(var.ingest_task_count) == var.ingest_task_count
    error_message = "ingest_task_count must be a whole number from 1 to 50."
  }
}

variable "alert_email" {
  description = "Email address for alerts and budget notifications."
  type        = string

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alert_email))
    error_message = "alert_email must be an email address."
  }
}

variable "enable_slos" {
  description = "Create the SLOs (availability, latency, time to first token) and their burn-rate alerts: set true once the deployed service has answered a chat, because Cloud Monitoring refuses an SLO on a metric it has not received yet (docs/deploy.md, step 8)."
  type        = bool
  default     = false
}

variable "billing_account" {
  description = "Billing account id of the project (gcloud billing projects describe PROJECT_ID)."
  type        = string

  validation {
    condition     = can(regex("^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$", var.billing_account))
    error_message = "billing_account must look like 012345-6789AB-CDEF01."
  }
}

variable "budget_monthly_amount" {
  description = "Monthly budget in budget_currency."
  type        = number
  default     = 1000

  validation {
    condition     = var.budget_monthly_amount > 0 && floor(var.budget_monthly_amount) == var.budget_monthly_amount
    error_message = "budget_monthly_amount must be a positive whole number."
  }
}

variable "budget_currency" {
  description = "Currency of the billing account (USD, ZAR, EUR...)."
  type        = string
  default     = "USD"

  validation {
    condition     = can(regex("^[A-Z]{3}$", var.budget_currency))
    error_message = "budget_currency must be a three-letter currency code."
  }
}

# --- Billing ---------------------------------------------------------------------------------------------

variable "payfast_mode" {
  description = "FLUXORI_PAYFAST_MODE: live (real payments) in prod; sandbox to try PayFast's sandbox first."
  type        = string
  default     = "live"

  validation {
    condition     = contains(["sandbox", "live"], var.payfast_mode)
    error_message = "payfast_mode must be sandbox or live."
  }
}

variable "public_url" {
  description = "FLUXORI_PUBLIC_URL: custom domain of the service, e.g. https://assistant.fluxori.co.za (null: its run.app URL)."
  type        = string
  default     = null

  validation {
    condition     = var.public_url == null || can(regex("^https://[A-Za-z0-9.-]+(:[0-9]+)?(/[^/]+)*$", var.public_url))
    error_message = "public_url must be an https:// URL without a trailing slash."
  }
}

# Tax invoices (SA VAT Act s20(4)) carry the supplier's registered name, address and VAT number: prod has no
# fallback to the app's demo values.
variable "supplier_name" {
  description = "FLUXORI_SUPPLIER_NAME: the registered name on every tax invoice."
  type        = string

  validation {
    condition     = length(trimspace(var.supplier_name)) > 0
    error_message = "supplier_name must not be empty."
  }
}

variable "supplier_address" {
  description = "FLUXORI_SUPPLIER_ADDRESS: the supplier's address on every tax invoice."
  type        = string

  validation {
    condition     = length(trimspace(var.supplier_address)) > 0
    error_message = "supplier_address must not be empty."
  }
}

variable "supplier_vat_number" {
  description = "FLUXORI_SUPPLIER_VAT_NUMBER: the supplier's South African VAT number."
  type        = string

  validation {
    condition     = can(regex("^4[0-9]{9}$", var.supplier_vat_number))
    error_message = "supplier_vat_number must be a South African VAT number: 10 digits starting with 4."
  }
}

variable "billing_export_table" {
  description = "Cloud Billing detailed usage cost export table, PROJECT.DATASET.gcp_billing_export_resource_v1_XXXXXX (its dataset in region's BigQuery location). Null: no margin view yet."
  type        = string
  default     = null

  validation {
    condition     = var.billing_export_table == null || can(regex("^[A-Za-z0-9.:-]+\\.[A-Za-z0-9_]+\\.[A-Za-z0-9_]+$", var.billing_export_table))
    error_message = "billing_export_table must be PROJECT.DATASET.TABLE."
  }
}

variable "zar_per_usd" {
  description = "Rand per US dollar for the margin view when the billing account does not bill in ZAR (null: no ZAR cost for such rows)."
  type        = number
  default     = null

  validation {
    condition     = var.zar_per_usd == null || coalesce(var.zar_per_usd, 0) > 0
    error_message = "zar_per_usd must be a positive number."
  }
}
