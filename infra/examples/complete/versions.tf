terraform {
  required_version = ">= 1.5.0"

  # Configured at init: terraform init -backend-config="bucket=..." -backend-config="key=..." -backend-config="region=..."
  backend "s3" {}

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.28.0, < 7.0.0" # see modules/gate/versions.tf for why 6.28
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = var.tags
  }
}
