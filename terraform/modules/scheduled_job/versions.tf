# Modules state the minimum provider they need; the env roots pin the range (~> 6.30).
terraform {
  required_version = ">= 1.5.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.0"
    }
  }
}
