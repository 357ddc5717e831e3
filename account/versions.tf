terraform {
  required_version = ">= 1.7"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.31, < 7.0"
    }
  }
}

# Credentials, and on the local cloud the endpoint, come from the standard
# AWS_* environment variables, as for the pipeline's stack.
provider "aws" {
  region = var.region

  default_tags {
    tags = var.tags
  }
}
