variable "project_id" {
  description = "Google Cloud project id."
  type        = string
}

variable "location" {
  description = "Bucket location (region)."
  type        = string
}

variable "buckets" {
  description = <<-EOT
    Buckets by purpose (the key becomes the `purpose` label). Lifecycle: noncurrent versions are deleted after
    noncurrent_days or when more than max_noncurrent_versions newer ones exist; live objects move to COLDLINE after
    coldline_after_days and are deleted after delete_after_days (null disables either rule).
  EOT
  type = map(object({
    name                    = string
    noncurrent_days         = optional(number, 30)
    max_noncurrent_versions = optional(number, 5)
    coldline_after_days     = optional(number)
    delete_after_days       = optional(number)
  }))

  validation {
    condition     = alltrue([for b in values(var.buckets) : can(regex("^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$", b.name))])
    error_message = "Bucket names must be 3-63 characters of lowercase letters, digits, dots, underscores and hyphens."
  }

  validation {
    condition = alltrue([
      for b in values(var.buckets) :
      b.coldline_after_days == null || b.delete_after_days == null || coalesce(b.delete_after_days, 0) > coalesce(b.coldline_after_days, 0)
    ])
    error_message = "delete_after_days must be later than coldline_after_days."
  }
}

variable "deletion_protection" {
  description = "When true, `terraform destroy` refuses to delete non-empty buckets (force_destroy = false)."
  type        = bool
  default     = true
}

variable "soft_delete_days" {
  description = "Soft-delete retention: deleted objects stay restorable this many days (0 disables, else 7-90)."
  type        = number
  default     = 7

  validation {
    condition     = var.soft_delete_days == 0 || (var.soft_delete_days >= 7 && var.soft_delete_days <= 90)
    error_message = "soft_delete_days must be 0 or between 7 and 90."
  }
}

variable "enable_data_access_logs" {
  description = "Turn on DATA_READ/DATA_WRITE audit logs for Cloud Storage in the project."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels applied to every bucket."
  type        = map(string)
  default     = {}
}
