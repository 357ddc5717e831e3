resource "aws_cloudwatch_log_group" "this" {
  # checkov:skip=CKV_AWS_158:Logs are encrypted with the CloudWatch Logs service key; a customer key is a policy choice left to the deployer.
  # checkov:skip=CKV_AWS_338:Retention is a variable (default 14 days) so short-lived test stacks do not keep logs for a year.
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

locals {
  log_statement = {
    Sid      = "WriteOwnLogs"
    Effect   = "Allow"
    Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    Resource = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  # X-Ray has no resource-level permissions: "*" is the only resource it accepts.
  trace_statements = var.tracing_mode == "Active" ? [{
    Sid      = "WriteTraces"
    Effect   = "Allow"
    Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    Resource = ["*"]
  }] : []

  # On the local cloud only: the variable by which MiniStack forwards this
  # function's invocations to our runner (docs/local-runtime.md).
  environment = merge(var.environment, var.local_runner_url == null ? {} : {
    MINISTACK_LAMBDA_PROXY_URL = "${trimsuffix(var.local_runner_url, "/")}/functions/${var.name}"
  })

  batchable_sqs_actions = ["sqs:SendMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"]

  caller_statements = [for statement in var.policy_statements : {
    Sid    = statement.sid
    Effect = "Allow"
    Action = concat(statement.actions, [
      for action in statement.actions : "${action}Batch"
      if var.sqs_batch_action_aliases && contains(local.batchable_sqs_actions, action)
    ])
    Resource = statement.resources
  }]
}

# IAM is global: the role's name carries the region, so the same function
# name deployed in a second region does not collide. `id` is the region's
# name in provider 5 and 6 alike (`name` is deprecated in 6).
data "aws_region" "current" {}

locals {
  role_name = "${var.name}-${data.aws_region.current.id}-exec"
}

resource "aws_iam_role" "this" {
  name        = local.role_name
  description = "Execution role of the ${var.name} Lambda function."
  tags        = var.tags

  # One file, also read by the benchmark's probe functions (bench/lambda_overhead.py).
  assume_role_policy = file("${path.module}/lambda_trust_policy.json")

  lifecycle {
    precondition {
      condition     = length(local.role_name) <= 64
      error_message = "The execution role's name ${local.role_name} is longer than IAM's 64 characters: shorten the function's name."
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name = "${var.name}-least-privilege"
  role = aws_iam_role.this.id

  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = concat([local.log_statement], local.trace_statements, local.caller_statements)
  })
}

resource "aws_lambda_function" "this" {
  # checkov:skip=CKV_AWS_116:Only synchronous and event-source-mapping invocations; failed SQS records go to the source queue's DLQ, not a function DLQ.
  # checkov:skip=CKV_AWS_117:The function calls only public AWS endpoints; a VPC would add NAT cost and cold-start time for no isolation gain.
  # checkov:skip=CKV_AWS_173:The environment holds queue names and settings (POISON_MARKER, OUTBOX_WAIT_SECONDS), no secrets; Lambda encrypts it at rest with its service key.
  # checkov:skip=CKV_AWS_272:Zips are built reproducibly from this repository; code signing is left to deployers with a signing profile.
  # checkov:skip=CKV_AWS_115:Reserved concurrency is a variable; capping it by default would throttle the event source mapping's own scaling limit.
  function_name    = var.name
  description      = var.description
  role             = aws_iam_role.this.arn
  filename         = var.filename
  source_code_hash = filebase64sha256(var.filename)
  handler          = var.handler
  runtime          = var.runtime
  memory_size      = var.memory_size
  timeout          = var.timeout

  reserved_concurrent_executions = var.reserved_concurrent_executions == null ? -1 : var.reserved_concurrent_executions

  dynamic "environment" {
    for_each = length(local.environment) > 0 ? [1] : []

    content {
      variables = local.environment
    }
  }

  tracing_config {
    mode = var.tracing_mode
  }

  # Lambda's advanced logging controls: the runtime formats the function's logging
  # records and its own START/REPORT lines as JSON, filtered by the levels.
  logging_config {
    log_format            = var.log_format
    log_group             = aws_cloudwatch_log_group.this.name
    application_log_level = var.log_format == "JSON" ? var.application_log_level : null
    system_log_level      = var.log_format == "JSON" ? var.system_log_level : null
  }

  tags = var.tags

  # The log group and the permission to write to it must exist before the
  # first invocation, or Lambda creates an unmanaged group with no retention.
  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.this]
}
