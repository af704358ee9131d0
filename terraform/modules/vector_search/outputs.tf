output "index_id" {
  description = "Full resource name of the index (FLUXORI_VECTOR_INDEX_ID)."
  value       = google_vertex_ai_index.this.id
}

output "index_endpoint_id" {
  description = "Full resource name of the index endpoint (FLUXORI_VECTOR_ENDPOINT_ID)."
  value       = google_vertex_ai_index_endpoint.this.id
}

output "deployed_index_id" {
  description = "Id of the deployed index within the endpoint (FLUXORI_VECTOR_DEPLOYED_INDEX_ID)."
  value       = google_vertex_ai_index_endpoint_deployed_index.this.deployed_index_id
}

output "public_endpoint_domain_name" {
  description = "Domain of the public endpoint that serves queries."
  value       = google_vertex_ai_index_endpoint.this.public_endpoint_domain_name
}
