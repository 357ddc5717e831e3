# API Gateway writes stage logs through one role per account and region. It is
# account-wide state, so the stack only manages it when asked to.

resource "aws_iam_role" "apigateway_cloudwatch" {
  count = var.manage_api_gateway_account ? 1 : 0

  name        = "${var.name_prefix}-apigateway-cloudwatch"
  description = "Lets API Gateway write execution and access logs in this account and region."

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "apigateway.amazonaws.com" }
    }]
  })
}

resource "aws_iam_role_policy_attachment" "apigateway_cloudwatch" {
  count = var.manage_api_gateway_account ? 1 : 0

  role       = aws_iam_role.apigateway_cloudwatch[0].name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  count = var.manage_api_gateway_account ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.apigateway_cloudwatch[0].arn

  # Destroy clears the account's CloudWatch role setting, which would
  # otherwise name the role destroyed with it. Deprecated in provider 5.x
  # because 6.0 always resets (drop it on moving to 6); written as a
  # conditional so stacks that leave the account alone see no warning.
  reset_on_delete = var.manage_api_gateway_account ? true : null

  depends_on = [aws_iam_role_policy_attachment.apigateway_cloudwatch]
}
