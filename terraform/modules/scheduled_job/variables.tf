variable "project_id" {
  description = "Google Cloud project id."
  type        = string
}

variable "region" {
  description = "Cloud Run region of the job."
  type        = string
}

variable "scheduler_region" {
  description = "Cloud Scheduler region (any region offering Cloud Scheduler; it only sends the run request)."
  type        = string
}

variable "name" {
  description = "Job name."
  type        = string

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$", var.name))
    error_message = "name must be 1-63 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "description" {
  description = "What the job does (shown on the Cloud Scheduler trigger)."
  type        = string
}

variable "image" {
  description = "Container image (the same build as the service)."
  type        = string
}

variable "command" {
  description = "Entrypoint of the container."
  type        = list(string)
  default     = ["fluxori"]
}

variable "args" {
  description = "Arguments of the command (Cloud Run does not expand $VARS in them)."
  type        = list(string)

  validation {
    condition     = length(var.args) > 0
    error_message = "args must name the command to run."
  }
}

variable "service_account_email" {
  description = "Runtime service account of the job's tasks."
  type        = string
}

variable "scheduler_service_account_email" {
  description = "Service account Cloud Scheduler uses to start the job."
  type        = string
}

variable "env" {
  description = "Plain environment variables (FLUXORI_* settings). Null values are left out."
  type        = map(string)
  default     = {}
}

variable "task_count" {
  description = "Number of tasks, all run in parallel."
  type        = number
  default     = 1

  validation {
    condition     = var.task_count >= 1 && var.task_count <= 100 && floor(var.task_count) == var.task_count
    error_message = "task_count must be a whole number from 1 to 100."
  }
}

variable "max_retries" {
  description = "Retries of a failed task."
  type        = number
  default     = 2

  validation {
    condition     = var.max_retries >= 0 && var.max_retries <= 10
    error_message = "max_retries must be between 0 and 10."
  }
}

variable "task_timeout_seconds" {
  description = "Time limit of one task."
  type        = number
  default     = 1800

  validation {
    condition     = var.task_timeout_seconds >= 60 && var.task_timeout_seconds <= 86400
    error_message = "task_timeout_seconds must be between 60 and 86400."
  }
}

variable "cpu" {
  description = "vCPU limit per task."
  type        = string
  default     = "1"
}

variable "memory" {
  description = "Memory limit per task (the image is the service's: its imports need more than the smallest size)."
  type        = string
  default     = "2Gi"
}

variable "schedule" {
  description = "Cron schedule (in time_zone)."
  type        = string

  validation {
    condition     = length(split(" ", var.schedule)) == 5
    error_message = "schedule must be a five-field cron expression."
  }
}

variable "time_zone" {
  description = "Time zone of the schedule."
  type        = string
  default     = "Africa/Johannesburg"
}

variable "schedule_paused" {
  description = "Create the trigger paused (run the job by hand only)."
  type        = bool
  default     = false
}

variable "deletion_protection" {
  description = "Refuse `terraform destroy` of the job."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels for the job and its executions."
  type        = map(string)
  default     = {}
}
