terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0, < 6.0"
    }
  }
}

# As in the root module: credentials, and on the local cloud the endpoint,
# come from the standard AWS_* environment variables.
provider "aws" {
  region = var.region

  default_tags {
    tags = { Project = var.name_prefix, Purpose = "contract-tests" }
  }
}
