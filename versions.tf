terraform {
  # 1.7: the tests in tests/terraform use mock_provider with a shared mocks/ folder and override_resource.
  required_version = ">= 1.7"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0, < 6.0"
    }
  }
}

# Credentials, and on the local cloud the endpoint, come from the standard
# AWS_* environment variables, so this block is the same for every target.
provider "aws" {
  region = var.region

  default_tags {
    tags = merge({ Project = var.name_prefix }, var.tags)
  }
}
