variable "project_id" {
  description = "Google Cloud project id."
  type        = string
}

variable "region" {
  description = "Cloud Run region."
  type        = string
}

variable "name" {
  description = "Service name."
  type        = string

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,47}[a-z0-9])?$", var.name))
    error_message = "name must be 1-49 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "image" {
  description = "Container image, e.g. africa-south1-docker.pkg.dev/PROJECT/fluxori/fluxori:GIT_SHA (null fails the plan)."
  type        = string
}

variable "service_account_email" {
  description = "Runtime service account of the service."
  type        = string
}

variable "env" {
  description = "Plain environment variables (FLUXORI_* settings). Null values are left out."
  type        = map(string)
  default     = {}
}

variable "secret_env" {
  description = "Environment variables read from Secret Manager: name => { secret (id or resource name), version }."
  type = map(object({
    secret  = string
    version = optional(string, "latest")
  }))
  default = {}
}

variable "port" {
  description = "Container port; Cloud Run passes it to the container as PORT."
  type        = number
  default     = 8080
}

variable "min_instances" {
  description = "Instances kept warm (0 lets the service scale to zero)."
  type        = number
  default     = 0

  validation {
    condition     = var.min_instances >= 0 && var.min_instances <= 100 && floor(var.min_instances) == var.min_instances
    error_message = "min_instances must be a whole number from 0 to 100."
  }
}

variable "max_instances" {
  description = "Upper bound on instances (also a cost cap)."
  type        = number
  default     = 4

  validation {
    condition     = var.max_instances >= 1 && var.max_instances <= 1000 && floor(var.max_instances) == var.max_instances
    error_message = "max_instances must be a whole number from 1 to 1000."
  }
}

variable "concurrency" {
  description = "Concurrent requests per instance."
  type        = number
  default     = 40

  validation {
    condition     = var.concurrency >= 1 && var.concurrency <= 1000 && floor(var.concurrency) == var.concurrency
    error_message = "concurrency must be a whole number from 1 to 1000."
  }
}

variable "cpu" {
  description = "vCPU limit per instance."
  type        = string
  default     = "1"

  validation {
    condition     = contains(["1", "2", "4", "6", "8"], var.cpu)
    error_message = "cpu must be one of 1, 2, 4, 6, 8."
  }
}

variable "memory" {
  description = "Memory limit per instance (Cloud Run quantity, e.g. 2Gi)."
  type        = string
  default     = "2Gi"

  validation {
    condition     = can(regex("^[0-9]+(Mi|Gi)$", var.memory))
    error_message = "memory must be a quantity such as 512Mi or 2Gi."
  }
}

variable "cpu_idle" {
  description = "Throttle CPU outside requests (request-based billing). Set false for instance-based billing."
  type        = bool
  default     = true
}

variable "request_timeout_seconds" {
  description = "Request timeout (chat answers stream for a while)."
  type        = number
  default     = 300

  validation {
    condition     = var.request_timeout_seconds >= 1 && var.request_timeout_seconds <= 3600
    error_message = "request_timeout_seconds must be between 1 and 3600."
  }
}

variable "startup_probe_path" {
  description = "HTTP path of the startup probe."
  type        = string
  default     = "/readyz"
}

variable "liveness_probe_path" {
  description = "HTTP path of the liveness probe."
  type        = string
  default     = "/healthz"
}

variable "startup_failure_threshold" {
  description = "Startup probe attempts (5 s apart) before the instance is declared failed."
  type        = number
  default     = 36

  validation {
    condition     = var.startup_failure_threshold >= 1 && var.startup_failure_threshold <= 48
    error_message = "startup_failure_threshold must be between 1 and 48 (Cloud Run allows 240 s of startup probing)."
  }
}

variable "ingress" {
  description = "Who may reach the service at the network level."
  type        = string
  default     = "INGRESS_TRAFFIC_ALL"

  validation {
    condition     = contains(["INGRESS_TRAFFIC_ALL", "INGRESS_TRAFFIC_INTERNAL_ONLY", "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"], var.ingress)
    error_message = "ingress must be INGRESS_TRAFFIC_ALL, INGRESS_TRAFFIC_INTERNAL_ONLY or INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER."
  }
}

variable "allow_unauthenticated" {
  description = "Grant roles/run.invoker to allUsers (the app checks API keys itself)."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Refuse `terraform destroy` of the service."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels for the service and its revisions."
  type        = map(string)
  default     = {}
}

variable "metrics_sidecar" {
  description = "Run Google's Managed Service for Prometheus sidecar, which sends the app's /metrics to Cloud Monitoring (the SLOs read them)."
  type        = bool
  default     = true
}

variable "metrics_sidecar_image" {
  description = "Image of the Managed Service for Prometheus sidecar for Cloud Run (a pinned release, as Google's page shows)."
  type        = string
  default     = "us-docker.pkg.dev/cloud-ops-agents-artifacts/cloud-run-gmp-sidecar/cloud-run-gmp-sidecar:1.2.0"

  validation {
    condition     = can(regex("^us-docker\\.pkg\\.dev/cloud-ops-agents-artifacts/cloud-run-gmp-sidecar/cloud-run-gmp-sidecar(:[0-9]+\\.[0-9]+\\.[0-9]+|@sha256:[0-9a-f]{64})$", var.metrics_sidecar_image))
    error_message = "metrics_sidecar_image must be Google's cloud-run-gmp-sidecar image with a release tag (x.y.z) or a digest, never latest."
  }
}
