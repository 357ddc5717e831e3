# The root module with a mocked provider: how the modules are wired.

mock_provider "aws" {
  source = "./tests/terraform/mocks"
}

override_resource {
  target = module.input_queue.aws_sqs_queue.this
  values = { arn = "arn:aws:sqs:us-east-1:123456789012:inbox-pipeline-input" }
}

override_resource {
  target = module.output_queue.aws_sqs_queue.this
  values = { arn = "arn:aws:sqs:us-east-1:123456789012:inbox-pipeline-output" }
}

run "event_source_mapping_reports_item_failures" {
  command = apply

  assert {
    condition     = aws_lambda_event_source_mapping.input_queue.function_response_types == toset(["ReportBatchItemFailures"])
    error_message = "The mapping must report per-record failures."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.input_queue.event_source_arn == module.input_queue.arn
    error_message = "The mapping must read the input queue."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.input_queue.batch_size == 10 && aws_lambda_event_source_mapping.input_queue.maximum_batching_window_in_seconds == 0
    error_message = "Default batch settings changed."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.input_queue.scaling_config[0].maximum_concurrency == 10
    error_message = "The mapping must cap its concurrency."
  }
}

run "functions_get_least_privilege_on_their_queues" {
  command = apply

  assert {
    condition = {
      for s in jsondecode(module.process_input_queue.policy).Statement : s.Sid => s.Resource if s.Sid != "WriteTraces"
      } == {
      WriteOwnLogs      = ["arn:aws:logs:us-east-1:123456789012:log-group:mocked:*"]
      ConsumeInputQueue = [module.input_queue.arn]
      SendResults       = [module.output_queue.arn]
    }
    error_message = "process_input_queue may only consume the input queue, send to the output queue and write its logs."
  }

  assert {
    condition = [
      for s in jsondecode(module.process_input_queue.policy).Statement : s.Action if s.Sid == "SendResults"
    ] == [["sqs:GetQueueUrl", "sqs:SendMessage"]]
    error_message = "process_input_queue may only send to the output queue."
  }

  # The event source mapping polls with the function's role; the local cloud never checks it.
  assert {
    condition = [
      for s in jsondecode(module.process_input_queue.policy).Statement : s.Action if s.Sid == "ConsumeInputQueue"
    ] == [["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]]
    error_message = "process_input_queue's role must hold exactly what the input queue's event source mapping needs: sqs:ReceiveMessage, DeleteMessage and GetQueueAttributes."
  }

  assert {
    condition = {
      for s in jsondecode(module.check_output_queue.policy).Statement : s.Sid => s.Resource if s.Sid != "WriteTraces"
      } == {
      WriteOwnLogs = ["arn:aws:logs:us-east-1:123456789012:log-group:mocked:*"]
      TakeResults  = [module.output_queue.arn]
    }
    error_message = "check_output_queue may only read the output queue and write its logs."
  }

  assert {
    condition = alltrue([
      for s in concat(jsondecode(module.process_input_queue.policy).Statement, jsondecode(module.check_output_queue.policy).Statement) :
      !contains(s.Resource, "*") if anytrue([for a in s.Action : startswith(a, "sqs:")])
    ])
    error_message = "No sqs action may name the \"*\" resource."
  }

  assert {
    condition     = output.process_function_name == "inbox-pipeline-process-input-queue" && output.outbox_function_name == "inbox-pipeline-check-output-queue"
    error_message = "Function names must follow name_prefix."
  }
}

run "api_url_is_the_stage_url_on_aws" {
  command = apply

  assert {
    condition     = output.api_url == "https://abc123.execute-api.us-east-1.amazonaws.com/api"
    error_message = "On AWS api_url must be the stage's invoke URL."
  }

  assert {
    condition     = output.inbox_url == "${output.api_url}/inbox" && output.outbox_url == "${output.api_url}/outbox"
    error_message = "Route URLs must extend api_url."
  }
}

run "api_url_is_the_execute_api_path_on_the_local_cloud" {
  command = apply

  variables {
    local_endpoint = "http://localhost:4566/"
  }

  override_data {
    target = data.aws_caller_identity.target
    values = { account_id = "000000000000" }
  }

  assert {
    condition     = output.api_url == "http://localhost:4566/_aws/execute-api/abc123/api"
    error_message = "On the local cloud api_url must be its execute-api URL."
  }
}

run "visibility_timeout_below_six_function_timeouts_is_rejected" {
  command = plan

  variables {
    process_timeout_seconds          = 20
    input_visibility_timeout_seconds = 60
  }

  expect_failures = [aws_lambda_event_source_mapping.input_queue]
}

run "large_batches_without_a_window_are_rejected" {
  command = plan

  variables {
    batch_size = 100
  }

  expect_failures = [aws_lambda_event_source_mapping.input_queue]
}

run "concurrency_below_two_is_rejected" {
  command = plan

  variables {
    maximum_concurrency = 1
  }

  expect_failures = [var.maximum_concurrency]
}

run "output_queue_tolerates_being_scanned" {
  command = plan

  assert {
    condition     = jsondecode(module.output_queue.redrive_policy).maxReceiveCount == 1000
    error_message = "GET /outbox?id scans count as receives; the output queue must not dead-letter results for being looked at."
  }

  assert {
    condition     = jsondecode(module.input_queue.redrive_policy).maxReceiveCount == 5
    error_message = "Input messages must reach the DLQ only after 5 receives: AWS's floor for a queue feeding a Lambda event source mapping, so batches returned while the function is throttled are not dead-lettered early."
  }
}

run "the_poison_marker_reaches_the_function" {
  command = plan

  assert {
    condition     = module.process_input_queue.environment.POISON_MARKER == "MALFORMED_MASSAGE"
    error_message = "process_input_queue must reject the seed's marker by default."
  }
}

run "functions_carry_no_runner_address_on_aws" {
  command = plan

  assert {
    condition = var.local_runner_url == null && !anytrue([
      for environment in [module.process_input_queue.environment, module.check_output_queue.environment] :
      contains(keys(environment), "MINISTACK_LAMBDA_PROXY_URL")
    ])
    error_message = "On AWS (local_runner_url null) no function may carry the local runner's address."
  }
}

run "every_function_names_the_local_runner_on_the_local_cloud" {
  command = plan

  variables {
    local_runner_url = "http://127.0.0.1:4567"
  }

  assert {
    condition = (
      module.process_input_queue.environment.MINISTACK_LAMBDA_PROXY_URL == "http://127.0.0.1:4567/functions/inbox-pipeline-process-input-queue"
      && module.check_output_queue.environment.MINISTACK_LAMBDA_PROXY_URL == "http://127.0.0.1:4567/functions/inbox-pipeline-check-output-queue"
    )
    error_message = "On the local cloud each function must route itself to the runner under its own name."
  }
}

run "an_empty_poison_marker_turns_the_rule_off" {
  command = plan

  variables {
    poison_marker = ""
  }

  assert {
    condition     = module.process_input_queue.environment.POISON_MARKER == ""
    error_message = "An empty marker must reach the function, which then rejects nothing for it."
  }
}

run "a_runtime_before_python_3_11_is_rejected" {
  command = plan

  variables {
    lambda_runtime = "python3.10"
  }

  expect_failures = [var.lambda_runtime]
}

run "a_runtime_that_is_not_python_is_rejected" {
  command = plan

  variables {
    lambda_runtime = "nodejs20.x"
  }

  expect_failures = [var.lambda_runtime]
}

# No assertion: the plan succeeding is the check.
run "python_3_11_is_accepted" {
  command = plan

  variables {
    lambda_runtime = "python3.11"
  }
}

run "a_retention_cloudwatch_logs_refuses_is_rejected" {
  command = plan

  variables {
    log_retention_days = 0
  }

  expect_failures = [var.log_retention_days]
}

run "negative_throttling_is_rejected" {
  command = plan

  variables {
    throttling_rate_limit = -1
  }

  expect_failures = [var.throttling_rate_limit]
}

# ------------------------------------------------ AWS readiness (issue 16)

run "the_account_role_is_no_longer_managed_by_the_pipeline" {
  command = plan

  variables {
    manage_api_gateway_account = true
  }

  expect_failures = [var.manage_api_gateway_account]
}

run "iam_role_names_carry_the_region" {
  command = plan

  assert {
    condition     = module.process_input_queue.role_name == "inbox-pipeline-process-input-queue-us-east-1-exec"
    error_message = "IAM is global: function roles must carry the region, or a second region collides."
  }

  assert {
    condition     = module.rest_api.integration_role_name == "inbox-pipeline-us-east-1-sqs-send"
    error_message = "IAM is global: the API's role must carry the region, or a second region collides."
  }
}

# The function module's tests show that its longest name fits IAM in the longest region.
run "a_prefix_too_long_for_regional_role_names_is_rejected" {
  command = plan

  variables {
    name_prefix = "a234567890123456789012345"
  }

  expect_failures = [var.name_prefix]
}

run "api_authorization_reaches_the_api" {
  command = apply

  variables {
    api_authorization = "AWS_IAM"
  }

  assert {
    condition     = output.api_authorization == "AWS_IAM" && output.api_invoke_policy_arn != null
    error_message = "api_authorization must reach the API, and AWS_IAM must give callers a policy to attach."
  }

  assert {
    condition     = toset(jsondecode(output.api_invoke_policy).Statement[0].Resource) == toset(["arn:aws:execute-api:us-east-1:123456789012:abc123/api/POST/inbox", "arn:aws:execute-api:us-east-1:123456789012:abc123/api/GET/outbox"])
    error_message = "The invoke policy must name exactly the two routes of the stage."
  }
}

run "the_api_key_output_is_sensitive" {
  command = apply

  variables {
    api_authorization = "API_KEY"
  }

  assert {
    condition     = issensitive(output.api_key) && length(nonsensitive(output.api_key)) >= 20
    error_message = "API_KEY must output the key, marked sensitive."
  }
}

run "an_unknown_api_authorization_is_rejected" {
  command = plan

  variables {
    api_authorization = "OPEN"
  }

  expect_failures = [var.api_authorization]
}

# The guard against the wrong target (guard.tf). The workspace half runs in
# tests/integration/test_plain_shell.py: terraform test always plans in the
# default workspace.
run "local_endpoint_with_the_provider_on_real_aws_is_refused" {
  command = plan

  variables {
    local_endpoint = "http://localhost:4566"
  }

  expect_failures = [data.aws_caller_identity.target]
}

run "the_provider_on_a_local_cloud_without_local_endpoint_is_refused" {
  command = plan

  override_data {
    target = data.aws_caller_identity.target
    values = { account_id = "000000000000" }
  }

  expect_failures = [data.aws_caller_identity.target]
}
