terraform {
  required_version = ">= 1.5.0"

  required_providers {
    google = {
      source = "hashicorp/google"
      # 6.30 or later within major 6: google_vertex_ai_index accepts an index without contents_delta_uri
      # (an empty STREAM_UPDATE index) only since 6.x releases of early 2025; 7.x has breaking changes.
      version = "~> 6.30"
    }
  }

  # State lives in a versioned bucket created once by hand (docs/deploy.md, step 2). The bucket is given at
  # init time (partial backend configuration), so this file names no project:
  #   terraform init -backend-config="bucket=PROJECT_ID-tfstate"      (or -backend-config=backend.hcl)
  # To keep state locally instead (a throwaway experiment), comment out this block.
  backend "gcs" {
    prefix = "fluxori/prod"
  }
}
