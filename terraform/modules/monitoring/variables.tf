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

variable "latency_slo_seconds" {
  description = "Latency SLO: 95% of non-streaming /v1 requests finish within this many seconds (a bucket bound of fluxori_http_request_duration_seconds)."
  type        = number

  validation {
    condition     = contains([0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60], var.latency_slo_seconds)
    error_message = "latency_slo_seconds must be a histogram bucket bound: 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30 or 60."
  }
}

variable "ttft_slo_seconds" {
  description = "Chat SLO: 95% of turns reach their first answer token within this many seconds (a bucket bound of fluxori_chat_time_to_first_token_seconds)."
  type        = number

  validation {
    condition     = contains([0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60], var.ttft_slo_seconds)
    error_message = "ttft_slo_seconds must be a histogram bucket bound: 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30 or 60."
  }
}

variable "enable_slos" {
  description = "Create the SLOs, their burn-rate alerts and the SLO tiles of the dashboard. Cloud Monitoring refuses an SLO on a metric it has not received yet: true once the service has answered a chat."
  type        = bool
  default     = false
}
