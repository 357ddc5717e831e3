# modules/rest_api with a mocked provider. The local cloud never evaluates the
# SQS integration's credentials role, so this is where that role is guarded.

mock_provider "aws" {
  source = "./tests/terraform/mocks"
}

variables {
  name                       = "pipeline"
  input_queue_arn            = "arn:aws:sqs:eu-west-1:123456789012:pipeline-input"
  outbox_function_name       = "pipeline-check-output-queue"
  outbox_function_invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:pipeline-check-output-queue/invocations"
}

run "sqs_integration_role_allows_exactly_send_to_the_input_queue" {
  command = apply

  module {
    source = "./modules/rest_api"
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.sqs_send.policy).Statement == [{
      Sid      = "SendToInputQueue"
      Effect   = "Allow"
      Action   = ["sqs:SendMessage"]
      Resource = ["arn:aws:sqs:eu-west-1:123456789012:pipeline-input"]
    }]
    error_message = "The integration role must allow sqs:SendMessage on the input queue's ARN and nothing else."
  }

  assert {
    condition     = aws_iam_role_policy.sqs_send.role == aws_iam_role.sqs_integration.id
    error_message = "The send policy must be attached to the integration role."
  }

  assert {
    condition     = aws_api_gateway_integration.inbox_sqs.credentials == aws_iam_role.sqs_integration.arn
    error_message = "The SQS integration must call SQS with its own role."
  }

  assert {
    condition     = jsondecode(aws_iam_role.sqs_integration.assume_role_policy).Statement[0].Principal.Service == "apigateway.amazonaws.com"
    error_message = "Only API Gateway may assume the integration role."
  }
}

run "inbox_is_a_validated_sqs_send_message_integration" {
  command = apply

  module {
    source = "./modules/rest_api"
  }

  assert {
    condition     = aws_api_gateway_integration.inbox_sqs.type == "AWS" && aws_api_gateway_integration.inbox_sqs.uri == "arn:aws:apigateway:eu-west-1:sqs:path/123456789012/pipeline-input"
    error_message = "POST /inbox must call SQS directly on the input queue's path."
  }

  assert {
    condition     = aws_api_gateway_integration.inbox_sqs.passthrough_behavior == "NEVER"
    error_message = "Unmapped content types must get 415, not reach SQS."
  }

  assert {
    condition     = aws_api_gateway_integration.inbox_sqs.request_parameters["integration.request.header.Content-Type"] == "'application/x-www-form-urlencoded'"
    error_message = "SQS's query API needs a form-encoded body."
  }

  assert {
    condition     = aws_api_gateway_integration.inbox_sqs.request_templates["application/json"] == "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"
    error_message = "The body must go to MessageBody URL-encoded."
  }

  assert {
    condition     = aws_api_gateway_method.inbox_post.request_validator_id == aws_api_gateway_request_validator.body.id && aws_api_gateway_request_validator.body.validate_request_body
    error_message = "POST /inbox must validate its body."
  }

  assert {
    condition     = jsondecode(aws_api_gateway_model.inbox_message.schema).required == ["message"] && jsondecode(aws_api_gateway_model.inbox_message.schema).properties.message.type == "string"
    error_message = "The model must require a string message."
  }

  assert {
    condition     = toset(keys(aws_api_gateway_integration_response.inbox_sqs)) == toset(["200", "400", "502"])
    error_message = "SQS answers must map to 200, a 4xx and a 5xx."
  }
}

# AWS and the local cloud match a non-Lambda integration's selection pattern
# against the whole status code; "^(?:...)$" does the same in Terraform's regex.
run "sqs_statuses_select_the_right_inbox_response" {
  command = plan

  module {
    source = "./modules/rest_api"
  }

  assert {
    condition = {
      for status in ["200", "400", "403", "404", "413", "429", "499", "500", "503", "599"] : status => [
        for key, response in aws_api_gateway_integration_response.inbox_sqs : key
        if can(regex("^(?:${response.selection_pattern})$", status))
      ]
      } == {
      "200" = [], "400" = ["400"], "403" = ["502"], "404" = ["400"], "413" = ["400"], "429" = ["400"], "499" = ["400"],
      "500" = ["502"], "503" = ["502"], "599" = ["502"],
    }
    error_message = "Each SQS error status must select exactly one response (403, a broken integration role, and 5xx the 502; other 4xx the 400), a 200 none."
  }

  assert {
    condition     = aws_api_gateway_integration_response.inbox_sqs["200"].selection_pattern == null
    error_message = "A 200 must fall through to the default response that returns the message id."
  }

  assert {
    condition     = strcontains(aws_api_gateway_integration_response.inbox_sqs["400"].response_templates["application/json"], "at most 256 KiB per message")
    error_message = "The 400 must name the queues' real limit, the provider's default 262144 bytes."
  }
}

run "outbox_is_a_lambda_proxy_with_a_scoped_permission" {
  command = apply

  module {
    source = "./modules/rest_api"
  }

  assert {
    condition     = aws_api_gateway_integration.outbox_lambda.type == "AWS_PROXY" && aws_api_gateway_integration.outbox_lambda.uri == var.outbox_function_invoke_arn
    error_message = "GET /outbox must proxy to the outbox function."
  }

  assert {
    condition     = startswith(aws_lambda_permission.outbox.source_arn, "arn:aws:execute-api:us-east-1:123456789012:abc123/*/GET")
    error_message = "The invoke permission must be scoped to this API's GET method."
  }

  assert {
    condition     = aws_lambda_permission.outbox.principal == "apigateway.amazonaws.com" && aws_lambda_permission.outbox.function_name == var.outbox_function_name
    error_message = "Only API Gateway may invoke the outbox function."
  }
}

run "stage_logs_traces_and_throttles" {
  command = apply

  module {
    source = "./modules/rest_api"
  }

  variables {
    throttling_rate_limit  = 25
    throttling_burst_limit = 50
  }

  assert {
    condition     = aws_api_gateway_stage.this.xray_tracing_enabled && aws_api_gateway_stage.this.access_log_settings[0].destination_arn == aws_cloudwatch_log_group.access.arn
    error_message = "The stage must trace and write access logs to its log group."
  }

  assert {
    condition     = jsondecode(aws_api_gateway_stage.this.access_log_settings[0].format).requestId == "$context.requestId"
    error_message = "Access logs must be JSON with the request id."
  }

  assert {
    condition     = aws_api_gateway_method_settings.all.settings[0].throttling_rate_limit == 25 && aws_api_gateway_method_settings.all.settings[0].throttling_burst_limit == 50
    error_message = "Throttling must follow the variables."
  }

  assert {
    condition     = aws_api_gateway_method_settings.all.settings[0].metrics_enabled
    error_message = "Method metrics must be on."
  }
}

run "a_negative_burst_is_rejected" {
  command = plan

  module {
    source = "./modules/rest_api"
  }

  variables {
    throttling_burst_limit = -1
  }

  expect_failures = [var.throttling_burst_limit]
}
