variable "project_number" {
  description = "Number (not id) of the project whose spend the budget tracks."
  type        = string

  validation {
    condition     = can(regex("^[0-9]+$", var.project_number))
    error_message = "project_number must be the numeric project number."
  }
}

variable "billing_account" {
  description = "Billing account id (XXXXXX-XXXXXX-XXXXXX)."
  type        = string

  validation {
    condition     = can(regex("^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$", var.billing_account))
    error_message = "billing_account must look like 012345-6789AB-CDEF01."
  }
}

variable "name" {
  description = "Budget display name."
  type        = string
}

variable "monthly_amount" {
  description = "Monthly budget in whole units of currency_code."
  type        = number

  validation {
    condition     = var.monthly_amount > 0 && floor(var.monthly_amount) == var.monthly_amount
    error_message = "monthly_amount must be a positive whole number."
  }
}

variable "currency_code" {
  description = "Currency of the billing account (a budget must use the account's currency)."
  type        = string
  default     = "USD"

  validation {
    condition     = can(regex("^[A-Z]{3}$", var.currency_code))
    error_message = "currency_code must be a three-letter ISO 4217 code such as USD or ZAR."
  }
}

variable "alert_thresholds" {
  description = "Fractions of the budget at which actual spend alerts (1.0 = 100%)."
  type        = list(number)
  default     = [0.5, 0.9, 1.0]

  validation {
    condition     = alltrue([for t in var.alert_thresholds : t > 0 && t <= 5])
    error_message = "Each threshold must be a fraction above 0 and at most 5."
  }
}

variable "notification_channels" {
  description = "Cloud Monitoring notification channel ids that receive budget alerts (at most 5)."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.notification_channels) <= 5
    error_message = "A budget accepts at most 5 notification channels."
  }
}
