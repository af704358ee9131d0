variable "project_id" {
  description = "Google Cloud project id."
  type        = string
}

variable "region" {
  description = "Vertex AI region of the index, endpoint and deployment."
  type        = string
  default     = "europe-west4"
}

variable "name" {
  description = "Name prefix, e.g. fluxori-dev."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,40}$", var.name))
    error_message = "name must start with a letter and contain only lowercase letters, digits and hyphens (max 41)."
  }
}

variable "embedding_model" {
  description = "Embedding model whose vectors the index stores (documentation only; dimensions must match it)."
  type        = string
  default     = "text-embedding-005"
}

variable "dimensions" {
  description = "Vector dimensions (text-embedding-005 produces 768)."
  type        = number
  default     = 768

  validation {
    condition     = var.dimensions > 0 && floor(var.dimensions) == var.dimensions
    error_message = "dimensions must be a positive whole number."
  }
}

variable "approximate_neighbors_count" {
  description = "Neighbours found by approximate search before exact reordering."
  type        = number
  default     = 150
}

variable "shard_size" {
  description = "Index shard size; SMALL (up to ~2 GB of vectors) can be served by e2-standard-2."
  type        = string
  default     = "SHARD_SIZE_SMALL"

  validation {
    condition     = contains(["SHARD_SIZE_SMALL", "SHARD_SIZE_MEDIUM", "SHARD_SIZE_LARGE"], var.shard_size)
    error_message = "shard_size must be SHARD_SIZE_SMALL, SHARD_SIZE_MEDIUM or SHARD_SIZE_LARGE."
  }
}

variable "machine_type" {
  description = "Machine type of the deployed index replicas (e2-standard-2 is the cheapest for SMALL shards)."
  type        = string
  default     = "e2-standard-2"
}

variable "min_replicas" {
  description = "Minimum replicas of the deployed index (Google gives no SLA for 1)."
  type        = number
  default     = 1

  validation {
    condition     = var.min_replicas >= 1 && floor(var.min_replicas) == var.min_replicas
    error_message = "min_replicas must be a whole number of at least 1."
  }
}

variable "max_replicas" {
  description = "Maximum replicas of the deployed index."
  type        = number
  default     = 2

  validation {
    condition     = var.max_replicas >= 1 && var.max_replicas <= 100 && floor(var.max_replicas) == var.max_replicas
    error_message = "max_replicas must be a whole number from 1 to 100."
  }
}

variable "labels" {
  description = "Labels for the index and endpoint."
  type        = map(string)
  default     = {}
}
