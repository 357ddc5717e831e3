# The account-level setting API Gateway needs before any stage can log:
# the role it writes CloudWatch Logs with, one per account and region, shared
# by every REST API there. Its own stack and state, applied once
# (make account-setup), so no pipeline deploy or destroy can change it.
# Destroying it would break logging for every API in the region, so both
# resources refuse to be destroyed; remove them by hand if you must.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  # IAM is global: the region in the name lets every region have its own.
  role_name = "apigateway-cloudwatch-logs-${var.region}"
  account   = data.aws_caller_identity.current.account_id
}

resource "aws_iam_role" "cloudwatch" {
  name        = local.role_name
  description = "Lets API Gateway write execution and access logs in ${var.region}."

  # Only API Gateway acting for this account (the confused-deputy guard);
  # IfExists, because a service that does not send the key must not be denied.
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "apigateway.amazonaws.com" }
      Condition = {
        StringEqualsIfExists = { "aws:SourceAccount" = local.account }
      }
    }]
  })

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_iam_role_policy_attachment" "cloudwatch" {
  role       = aws_iam_role.cloudwatch.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

# No reset_on_delete: deprecated in provider 5.100 and gone in 6.0, and the
# setting is never meant to be deleted from here (prevent_destroy).
resource "aws_api_gateway_account" "this" {
  cloudwatch_role_arn = aws_iam_role.cloudwatch.arn

  lifecycle {
    prevent_destroy = true
  }

  depends_on = [aws_iam_role_policy_attachment.cloudwatch]
}
