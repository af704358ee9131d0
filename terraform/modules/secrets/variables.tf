variable "project_id" {
  description = "Google Cloud project id."
  type        = string
}

variable "location" {
  description = "Region the secrets are replicated in."
  type        = string
}

variable "secret_ids" {
  description = "Secret ids to create."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.secret_ids : can(regex("^[A-Za-z0-9_-]{1,255}$", s))])
    error_message = "Secret ids may contain letters, digits, underscores and hyphens only."
  }
}

variable "accessors" {
  description = "IAM members granted secretAccessor on every secret, keyed by a static name (values may be unknown until apply)."
  type        = map(string)
  default     = {}
}

variable "labels" {
  description = "Labels for the secrets."
  type        = map(string)
  default     = {}
}
