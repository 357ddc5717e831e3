# What the contract suite needs besides the deployed pipeline: the probe
# function (behaviour chosen by its event, plain text logs), the same zip with
# JSON logs, the same zip behind a handler that imports a package the zip lacks,
# and a REST API proxying every path to the
# probe. Tests create their own queues and event source mappings with boto3;
# those are named <name_prefix>-contract-*, which is all the probe may touch.

# As in the root module: credentials, and on the local cloud the endpoint,
# come from the standard AWS_* environment variables.
provider "aws" {
  region = var.region

  default_tags {
    tags = { Project = var.name_prefix, Purpose = "contract-tests" }
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  api             = aws_api_gateway_rest_api.probe.id
  test_queues_arn = "arn:${data.aws_partition.current.partition}:sqs:${var.region}:${data.aws_caller_identity.current.account_id}:${var.name_prefix}-contract-*"
}

module "probe" {
  source = "../../../modules/function"

  name               = "${var.name_prefix}-contract-probe"
  description        = "Contract suite probe: echoes, sleeps, raises or returns what its event asks for."
  filename           = var.zip_path
  handler            = "app.handler"
  timeout            = var.timeout_seconds
  log_retention_days = 1
  log_format         = "Text"
  tracing_mode       = "PassThrough"

  local_runner_url = var.local_runner_url

  sqs_batch_action_aliases = var.sqs_batch_action_aliases

  policy_statements = [
    {
      sid       = "ConsumeTestQueues"
      actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
      resources = [local.test_queues_arn]
    },
    {
      sid       = "RecordToTestQueues"
      actions   = ["sqs:SendMessage"]
      resources = [local.test_queues_arn]
    },
  ]
}

module "missing_dependency" {
  source = "../../../modules/function"

  name               = "${var.name_prefix}-contract-missing-dep"
  description        = "Contract suite: a handler importing a package its zip lacks."
  filename           = var.zip_path
  handler            = "missing_dependency.handler"
  timeout            = var.timeout_seconds
  log_retention_days = 1
  tracing_mode       = "PassThrough"
  local_runner_url   = var.local_runner_url
  policy_statements  = []
}

module "json_logs" {
  source = "../../../modules/function"

  name               = "${var.name_prefix}-contract-json-logs"
  description        = "Contract suite: the probe with Lambda's JSON log format."
  filename           = var.zip_path
  handler            = "app.handler"
  timeout            = var.timeout_seconds
  log_retention_days = 1
  log_format         = "JSON"
  tracing_mode       = "PassThrough"
  local_runner_url   = var.local_runner_url
  policy_statements  = []
}

resource "aws_api_gateway_rest_api" "probe" {
  name        = "${var.name_prefix}-contract-probe"
  description = "Contract suite: every path and method proxied to the probe."

  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

resource "aws_api_gateway_resource" "any_path" {
  rest_api_id = local.api
  parent_id   = aws_api_gateway_rest_api.probe.root_resource_id
  path_part   = "{proxy+}"
}

resource "aws_api_gateway_method" "any_path" {
  rest_api_id   = local.api
  resource_id   = aws_api_gateway_resource.any_path.id
  http_method   = "ANY"
  authorization = "NONE"
}

resource "aws_api_gateway_integration" "any_path" {
  type                    = "AWS_PROXY"
  uri                     = module.probe.invoke_arn
  integration_http_method = "POST"
  rest_api_id             = local.api
  resource_id             = aws_api_gateway_method.any_path.resource_id
  http_method             = aws_api_gateway_method.any_path.http_method
}

resource "aws_lambda_permission" "api" {
  statement_id  = "AllowProbeApi"
  action        = "lambda:InvokeFunction"
  function_name = module.probe.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.probe.execution_arn}/*/*"
}

resource "aws_api_gateway_deployment" "probe" {
  rest_api_id = local.api

  triggers = {
    redeployment = sha1(jsonencode([aws_api_gateway_integration.any_path.id, aws_api_gateway_integration.any_path.uri]))
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_stage" "probe" {
  rest_api_id   = local.api
  deployment_id = aws_api_gateway_deployment.probe.id
  stage_name    = "probe"
}
