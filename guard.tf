# The guard against the wrong target. The `local` workspace holds the local
# cloud's state and the `aws` workspace the AWS stack's; a plan that mixes them
# up (a plain `terraform apply` in the local workspace from a shell holding
# real AWS credentials, say) fails here, while reading who the provider talks
# to, before anything is created. `eval "$(make env)"` sets a shell up right.

locals {
  # The account every MiniStack answers with for test credentials.
  local_cloud_account_id = "000000000000"
  targets_local_cloud    = var.local_endpoint != null
}

data "aws_caller_identity" "target" {
  lifecycle {
    precondition {
      condition     = terraform.workspace != "local" || local.targets_local_cloud
      error_message = "Workspace local holds the local cloud's stack, but local_endpoint is not set: run eval \"$(make env)\" first (it passes -var-file=targets/local.tfvars), or select the aws workspace to deploy to AWS."
    }

    precondition {
      condition     = terraform.workspace != "aws" || !local.targets_local_cloud
      error_message = "Workspace aws holds the AWS stack, but local_endpoint is set: run eval \"$(make env TARGET=aws)\" first, or select the local workspace to deploy to the local cloud."
    }

    postcondition {
      condition     = !local.targets_local_cloud || self.account_id == local.local_cloud_account_id
      error_message = "local_endpoint is set, but the AWS provider reaches a real AWS account, not the local cloud: set AWS_ENDPOINT_URL and the test credentials with eval \"$(make env)\"."
    }

    postcondition {
      condition     = local.targets_local_cloud || self.account_id != local.local_cloud_account_id
      error_message = "The AWS provider reaches a local cloud (AWS_ENDPOINT_URL is set), but local_endpoint is not: deploy there with make deploy, or unset AWS_ENDPOINT_URL (eval \"$(make env TARGET=aws)\") to deploy to AWS."
    }
  }
}
