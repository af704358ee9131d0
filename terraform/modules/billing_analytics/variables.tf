variable "project_id" {
  description = "Google Cloud project id (of the dataset, and the project whose Vertex AI cost the view counts)."
  type        = string
}

variable "location" {
  description = "BigQuery location; the same region as the billing bucket (an external table must be colocated)."
  type        = string
}

variable "dataset_id" {
  description = "Dataset id."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_]{1,1024}$", var.dataset_id))
    error_message = "dataset_id may contain letters, digits and underscores only."
  }
}

variable "bucket" {
  description = "Billing bucket the export job writes to (name, without gs://)."
  type        = string
}

variable "ledger_prefix" {
  description = "Folder of the ledger export in the bucket (files at PREFIX/day=YYYY-MM-DD/ledger.ndjson)."
  type        = string
  default     = "ledger"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$", var.ledger_prefix))
    error_message = "ledger_prefix must be a folder path without leading or trailing slash."
  }
}

variable "billing_export_table" {
  description = <<-EOT
    Full id of the Cloud Billing detailed usage cost export table, PROJECT.DATASET.gcp_billing_export_resource_v1_XXXXXX
    (set up in the console: Billing > Billing export). Its dataset must be in the same location as this one. Null:
    no margin view yet (BigQuery refuses a view over a table that does not exist).
  EOT
  type        = string
  default     = null

  validation {
    condition     = var.billing_export_table == null || can(regex("^[A-Za-z0-9.:-]+\\.[A-Za-z0-9_]+\\.[A-Za-z0-9_]+$", var.billing_export_table))
    error_message = "billing_export_table must be PROJECT.DATASET.TABLE, e.g. my-billing-project.billing.gcp_billing_export_resource_v1_0123AB_456789_ABCDEF."
  }
}

variable "vertex_service_description" {
  description = "service.description of Vertex AI rows in the billing export."
  type        = string
  default     = "Vertex AI"
}

variable "zar_per_usd" {
  description = "Rand per US dollar, to price Vertex AI cost in ZAR when the billing account does not bill in ZAR (null: vertex_cost_zar and margin stay NULL for such rows)."
  type        = number
  default     = null

  validation {
    condition     = var.zar_per_usd == null || coalesce(var.zar_per_usd, 0) > 0
    error_message = "zar_per_usd must be a positive number."
  }
}

variable "deletion_protection" {
  description = "Refuse `terraform destroy` of the tables and keep the dataset's contents on destroy."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels for the dataset and tables."
  type        = map(string)
  default     = {}
}
