variable "project_id" {
  description = "Google Cloud project id."
  type        = string
}

variable "name" {
  description = "Name prefix shown in alert titles, e.g. fluxori-dev."
  type        = string
}

variable "service_name" {
  description = "Cloud Run service the policies watch."
  type        = string
}

variable "alert_email" {
  description = "Email address that receives alerts."
  type        = string

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alert_email))
    error_message = "alert_email must be an email address."
  }
}

variable "error_rate_percent" {
  description = "Alert when 5xx responses exceed this percentage of all responses."
  type        = number
  default     = 5

  validation {
    condition     = var.error_rate_percent > 0 && var.error_rate_percent < 100
    error_message = "error_rate_percent must be between 0 and 100."
  }
}

variable "latency_p95_threshold_ms" {
  description = "Alert when the p95 request latency exceeds this many milliseconds (chat answers call an LLM)."
  type        = number
  default     = 10000

  validation {
    condition     = var.latency_p95_threshold_ms > 0
    error_message = "latency_p95_threshold_ms must be positive."
  }
}

variable "evaluation_window_seconds" {
  description = "How long a condition must hold before the alert fires."
  type        = number
  default     = 300

  validation {
    condition     = var.evaluation_window_seconds >= 60 && var.evaluation_window_seconds % 60 == 0
    error_message = "evaluation_window_seconds must be a whole number of minutes (multiple of 60)."
  }
}

variable "labels" {
  description = "User labels for the channel and policies."
  type        = map(string)
  default     = {}
}
