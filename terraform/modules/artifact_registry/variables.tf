variable "project_id" {
  description = "Google Cloud project id."
  type        = string
}

variable "location" {
  description = "Repository location (same region as Cloud Run, so pulls stay in-region)."
  type        = string
}

variable "repository_id" {
  description = "Repository id."
  type        = string
  default     = "fluxori"

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$", var.repository_id))
    error_message = "repository_id must be lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "immutable_tags" {
  description = "Refuse to move an existing tag to another image."
  type        = bool
  default     = true
}

variable "untagged_retention_days" {
  description = "Delete untagged images older than this."
  type        = number
  default     = 14

  validation {
    condition     = var.untagged_retention_days >= 1
    error_message = "untagged_retention_days must be at least 1."
  }
}

variable "image_retention_days" {
  description = "Delete images older than this, except the keep_recent_versions most recent ones."
  type        = number
  default     = 90

  validation {
    condition     = var.image_retention_days >= 7
    error_message = "image_retention_days must be at least 7."
  }
}

variable "keep_recent_versions" {
  description = "Always keep this many most recent versions (rollback targets), whatever other policies say."
  type        = number
  default     = 20

  validation {
    condition     = var.keep_recent_versions >= 1
    error_message = "keep_recent_versions must be at least 1."
  }
}

variable "labels" {
  description = "Labels for the repository."
  type        = map(string)
  default     = {}
}
