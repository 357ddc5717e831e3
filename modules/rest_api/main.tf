locals {
  # arn:<partition>:sqs:<region>:<account>:<name>
  input_queue = {
    partition = split(":", var.input_queue_arn)[1]
    region    = split(":", var.input_queue_arn)[3]
    account   = split(":", var.input_queue_arn)[4]
    name      = split(":", var.input_queue_arn)[5]
  }

  # SendMessage takes a form-encoded body; urlEncode keeps &, +, % and
  # non-ASCII text intact inside MessageBody.
  send_message_template = "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"
}

# ---------------------------------------------------------------- AWS readiness
# IAM is global, so role names carry the region: the same name deployed in a
# second region does not collide. The trust policy's condition is the
# confused-deputy guard AWS recommends: only API Gateway acting for this
# account may assume the role. IfExists, because a service that does not send
# the key must not be denied; aws:SourceArn is left out, as the form API
# Gateway sends for integration credentials is not documented (docs/aws.md).
locals {
  integration_role_name = "${var.name}-${local.input_queue.region}-sqs-send"

  apigateway_trust_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "apigateway.amazonaws.com" }
      Condition = {
        StringEqualsIfExists = { "aws:SourceAccount" = local.input_queue.account }
      }
    }]
  })
}

resource "aws_api_gateway_rest_api" "this" {
  name        = var.name
  description = "POST /inbox enqueues a message; GET /outbox returns one result."
  tags        = var.tags

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  lifecycle {
    create_before_destroy = true
    # A new authorization mode builds a new API (auth.tf says why).
    replace_triggered_by = [terraform_data.authorization]
  }
}

resource "aws_api_gateway_request_validator" "body" {
  rest_api_id           = aws_api_gateway_rest_api.this.id
  name                  = "validate-body"
  validate_request_body = true
}

resource "aws_api_gateway_model" "inbox_message" {
  rest_api_id  = aws_api_gateway_rest_api.this.id
  name         = "InboxMessage"
  description  = "A message for the pipeline: a string message, optional string id and type; other fields pass through."
  content_type = "application/json"
  schema       = jsonencode(jsondecode(file("${path.module}/inbox_message.schema.json")))
}

# ---------------------------------------------------------------- POST /inbox

resource "aws_api_gateway_resource" "inbox" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "inbox"
}

# The method itself (open or guarded, by var.authorization) is in auth.tf.

resource "aws_iam_role" "sqs_integration" {
  name               = local.integration_role_name
  description        = "Lets the ${var.name} API send messages to its input queue, and nothing else."
  tags               = var.tags
  assume_role_policy = local.apigateway_trust_policy

  lifecycle {
    precondition {
      condition     = length(local.integration_role_name) <= 64
      error_message = "The integration role's name ${local.integration_role_name} is longer than IAM's 64 characters: shorten name."
    }
  }
}

resource "aws_iam_role_policy" "sqs_send" {
  name = "send-to-input-queue"
  role = aws_iam_role.sqs_integration.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "SendToInputQueue"
      Effect   = "Allow"
      Action   = ["sqs:SendMessage"]
      Resource = [var.input_queue_arn]
    }]
  })
}

# A template change updates the integration in place (UpdateIntegration), as it
# must on AWS: a replacement would put the new integration and then delete it,
# because the deployment's create_before_destroy propagates to what it depends
# on and both name the same method (hashicorp/terraform-provider-aws#21907).
# The local cloud misreads the update's patch path; our layer repairs that
# after each local apply (localcloud/templates.py, docs/fidelity.md).
resource "aws_api_gateway_integration" "inbox_sqs" {
  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = aws_api_gateway_resource.inbox.id
  http_method             = local.inbox_post.http_method
  type                    = "AWS"
  integration_http_method = "POST"
  uri                     = "arn:${local.input_queue.partition}:apigateway:${local.input_queue.region}:sqs:path/${local.input_queue.account}/${local.input_queue.name}"
  credentials             = aws_iam_role.sqs_integration.arn
  passthrough_behavior    = "NEVER"

  request_parameters = {
    "integration.request.header.Content-Type" = "'application/x-www-form-urlencoded'"
    "integration.request.header.Accept"       = "'application/json'"
  }

  request_templates = {
    "application/json" = local.send_message_template
  }
}

locals {
  # Status code -> integration response. SQS answers a rejected message with a
  # 4xx and an outage with a 5xx; both become a JSON body that says which. A
  # 403 (AccessDenied) means the integration role is broken: our fault, so it
  # goes with the outages, not to the client's 400. The bodies are fixed text:
  # SQS's error details come as XML or JSON depending on the target, and would
  # need VTL the local cloud lacks (docs/fidelity.md). The 400 names the
  # queues' MaximumMessageSize: the provider's default, 262144 bytes.
  #
  # For AWS integrations other than Lambda, AWS matches a selection pattern
  # against the whole status code, as the local cloud does (re.fullmatch in
  # ministack/services/apigateway_v1.py), so the patterns need no anchors.
  # They are disjoint, so no status depends on the order they are tried in.
  inbox_responses = {
    "200" = {
      selection_pattern = null
      template          = "{\"messageId\": \"$input.path('$.SendMessageResponse.SendMessageResult.MessageId')\"}"
    }
    "400" = {
      selection_pattern = "40[0-24-9]|4[1-9]\\d"
      template          = "{\"message\": \"The input queue rejected the message: SQS takes at most 256 KiB per message and refuses some characters (e.g. U+FFFE, U+FFFF)\"}"
    }
    "502" = {
      selection_pattern = "5\\d{2}|403"
      template          = "{\"message\": \"The input queue is unavailable, retry later\"}"
    }
  }

}

resource "aws_api_gateway_method_response" "inbox_post" {
  for_each = local.inbox_responses

  rest_api_id     = aws_api_gateway_rest_api.this.id
  resource_id     = aws_api_gateway_resource.inbox.id
  http_method     = local.inbox_post.http_method
  status_code     = each.key
  response_models = { "application/json" = "Empty" }
}

resource "aws_api_gateway_integration_response" "inbox_sqs" {
  for_each = local.inbox_responses

  rest_api_id        = aws_api_gateway_rest_api.this.id
  resource_id        = aws_api_gateway_resource.inbox.id
  http_method        = local.inbox_post.http_method
  status_code        = aws_api_gateway_method_response.inbox_post[each.key].status_code
  selection_pattern  = each.value.selection_pattern
  response_templates = { "application/json" = each.value.template }

  depends_on = [aws_api_gateway_integration.inbox_sqs]
}

# ---------------------------------------------------------------- GET /outbox

resource "aws_api_gateway_resource" "outbox" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "outbox"
}

# The method itself (open or guarded, by var.authorization) is in auth.tf.

resource "aws_api_gateway_integration" "outbox_lambda" {
  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = aws_api_gateway_resource.outbox.id
  http_method             = local.outbox_get.http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = var.outbox_function_invoke_arn
}

resource "aws_lambda_permission" "outbox" {
  statement_id  = "AllowGetOutboxFrom-${var.name}" # one per API, so several may front one function
  action        = "lambda:InvokeFunction"
  function_name = var.outbox_function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/*/${local.outbox_get.http_method}${aws_api_gateway_resource.outbox.path}"
}

# ---------------------------------------------------------------- deployment

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id

  # Ids and the settings we choose, never whole resources: the computed
  # fields of a whole resource differ between reads on some targets and would
  # redeploy an unchanged API.
  triggers = {
    redeployment = sha1(jsonencode([
      jsondecode(aws_api_gateway_model.inbox_message.schema),
      aws_api_gateway_request_validator.body.id,
      aws_api_gateway_resource.inbox.id,
      local.inbox_post.id,
      local.inbox_post.request_models,
      aws_api_gateway_integration.inbox_sqs.id,
      aws_api_gateway_integration.inbox_sqs.uri,
      aws_api_gateway_integration.inbox_sqs.credentials,
      aws_api_gateway_integration.inbox_sqs.passthrough_behavior,
      aws_api_gateway_integration.inbox_sqs.request_parameters,
      # The template as configured: the local cloud reads an updated one back
      # under an escaped key until our layer repairs it (docs/fidelity.md).
      local.send_message_template,
      local.inbox_responses,
      aws_api_gateway_resource.outbox.id,
      local.outbox_get.id,
      local.outbox_get.request_parameters,
      aws_api_gateway_integration.outbox_lambda.id,
      aws_api_gateway_integration.outbox_lambda.uri,
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [aws_api_gateway_integration_response.inbox_sqs]
}

resource "aws_cloudwatch_log_group" "access" {
  # checkov:skip=CKV_AWS_158:Logs are encrypted with the CloudWatch Logs service key; a customer key is a policy choice left to the deployer.
  # checkov:skip=CKV_AWS_338:Retention is a variable (default 14 days) so short-lived test stacks do not keep logs for a year.
  name              = "/aws/apigateway/${var.name}/access"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

# With execution logging on, API Gateway writes to this group and creates it
# itself, with no retention or tags, unless it exists first: the stage
# depends on it.
resource "aws_cloudwatch_log_group" "execution" {
  # checkov:skip=CKV_AWS_158:Logs are encrypted with the CloudWatch Logs service key; a customer key is a policy choice left to the deployer.
  # checkov:skip=CKV_AWS_338:Retention is a variable (default 14 days) so short-lived test stacks do not keep logs for a year.
  name              = "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.this.id}/${var.stage_name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_api_gateway_stage" "this" {
  # checkov:skip=CKV_AWS_120:Responses must not be cached: every GET /outbox takes a different message off the queue.
  # checkov:skip=CKV2_AWS_29:A WAF web ACL is an account-level choice with its own cost; throttling is configured here.
  # checkov:skip=CKV2_AWS_51:Client certificates authenticate API Gateway to HTTP backends; these backends are SQS and Lambda.
  rest_api_id          = aws_api_gateway_rest_api.this.id
  deployment_id        = aws_api_gateway_deployment.this.id
  stage_name           = var.stage_name
  xray_tracing_enabled = var.xray_tracing_enabled
  tags                 = var.tags

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId          = "$context.requestId"
      sourceIp           = "$context.identity.sourceIp"
      requestTime        = "$context.requestTime"
      httpMethod         = "$context.httpMethod"
      resourcePath       = "$context.resourcePath"
      status             = "$context.status"
      responseLength     = "$context.responseLength"
      responseLatency    = "$context.responseLatency"
      integrationStatus  = "$context.integration.status"
      integrationLatency = "$context.integration.latency"
      error              = "$context.error.message"
    })
  }

  depends_on = [aws_cloudwatch_log_group.execution]
}

resource "aws_api_gateway_method_settings" "all" {
  # checkov:skip=CKV_AWS_225:Caching stays off: every GET /outbox takes a different message off the queue.
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled        = true
    logging_level          = var.logging_level
    throttling_rate_limit  = var.throttling_rate_limit
    throttling_burst_limit = var.throttling_burst_limit
  }
}
