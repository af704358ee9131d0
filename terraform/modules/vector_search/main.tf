# Vertex AI Vector Search: a streaming index of knowledge-base chunk embeddings, a public index endpoint and
# the deployed index the app queries. Vectors come from text-embedding-005 (768 dimensions); with unit-L2
# normalisation, DOT_PRODUCT_DISTANCE ranks exactly like cosine similarity.

resource "google_vertex_ai_index" "this" {
  project             = var.project_id
  region              = var.region
  display_name        = "${var.name}-kb"
  description         = "Fluxori knowledge-base chunks (${var.embedding_model}, ${var.dimensions} dimensions)"
  index_update_method = "STREAM_UPDATE"
  labels              = var.labels

  metadata {
    config {
      dimensions                  = var.dimensions
      approximate_neighbors_count = var.approximate_neighbors_count
      distance_measure_type       = "DOT_PRODUCT_DISTANCE"
      feature_norm_type           = "UNIT_L2_NORM"
      shard_size                  = var.shard_size

      algorithm_config {
        tree_ah_config {
          leaf_node_embedding_count    = 1000
          leaf_nodes_to_search_percent = 10
        }
      }
    }
  }
}

resource "google_vertex_ai_index_endpoint" "this" {
  #checkov:skip=CKV2_GCP_34:A public endpoint is the design choice: Cloud Run (africa-south1) queries it without a VPC, and every call is still authenticated with IAM (only the api and ingest service accounts hold roles/aiplatform.user). A private endpoint needs VPC peering or PSC plus Direct VPC egress routed to europe-west4.

  project                 = var.project_id
  region                  = var.region
  display_name            = "${var.name}-kb-endpoint"
  description             = "Public endpoint of the Fluxori knowledge-base index (callers authenticate with IAM)"
  public_endpoint_enabled = true
  labels                  = var.labels
}

resource "google_vertex_ai_index_endpoint_deployed_index" "this" {
  region            = var.region
  index_endpoint    = google_vertex_ai_index_endpoint.this.id
  index             = google_vertex_ai_index.this.id
  deployed_index_id = local.deployed_index_id
  display_name      = "${var.name}-kb"

  dedicated_resources {
    machine_spec {
      machine_type = var.machine_type
    }
    min_replica_count = var.min_replicas
    max_replica_count = var.max_replicas
  }

  lifecycle {
    precondition {
      condition     = var.max_replicas >= var.min_replicas
      error_message = "max_replicas must be at least min_replicas."
    }
  }

  # Deploying an index takes 20-40 minutes.
  timeouts {
    create = "90m"
    update = "90m"
    delete = "60m"
  }
}

locals {
  # Deployed index ids allow letters, digits and underscores only.
  deployed_index_id = replace("${var.name}_kb", "-", "_")
}
