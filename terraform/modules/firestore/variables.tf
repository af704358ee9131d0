variable "project_id" {
  description = "Google Cloud project id."
  type        = string
}

variable "location" {
  description = "Firestore location (a region or multi-region). The app's data stays in South Africa."
  type        = string
  default     = "africa-south1"
}

variable "database_name" {
  description = "Firestore database id; the app reads it from FLUXORI_FIRESTORE_DATABASE."
  type        = string
  default     = "(default)"

  validation {
    condition     = var.database_name == "(default)" || can(regex("^[a-z][a-z0-9-]{2,61}[a-z0-9]$", var.database_name))
    error_message = "Use \"(default)\" or 4-63 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "deletion_protection" {
  description = "Enable Firestore delete protection and keep the database when the resource is destroyed."
  type        = bool
  default     = true
}

variable "point_in_time_recovery" {
  description = "Keep 7 days of point-in-time recovery versions (billed as storage)."
  type        = bool
  default     = true
}

variable "backup_retention_days" {
  description = "How long each daily backup is kept (Firestore allows at most 7 days for daily schedules)."
  type        = number
  default     = 7

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 7 && floor(var.backup_retention_days) == var.backup_retention_days
    error_message = "backup_retention_days must be a whole number from 1 to 7."
  }
}
