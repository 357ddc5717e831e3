# modules/function with a mocked provider: least privilege and logging.

mock_provider "aws" {
  source = "./tests/terraform/mocks"
}

# A longest region name (14 characters), so the role-name tests below check IAM's limit where it binds.
override_data {
  target = data.aws_region.current
  values = { id = "ap-southeast-4" }
}

override_resource {
  target = aws_cloudwatch_log_group.this
  values = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/worker" }
}

variables {
  name     = "worker"
  filename = "build/process_input_queue.zip"
  handler  = "app.handler"
  policy_statements = [{
    sid       = "Send"
    actions   = ["sqs:SendMessage"]
    resources = ["arn:aws:sqs:us-east-1:123456789012:out"]
  }]
}

run "role_allows_only_own_logs_traces_and_given_statements" {
  command = apply

  module {
    source = "./modules/function"
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Sid] == ["WriteOwnLogs", "WriteTraces", "Send"]
    error_message = "The policy must hold logging, tracing and the caller's statements, nothing else."
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.this.policy).Statement[0].Resource == ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/worker:*"]
    error_message = "Logging must be scoped to the function's own log group."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.this.policy).Statement :
      !contains(s.Resource, "*") if anytrue([for a in s.Action : startswith(a, "sqs:") || startswith(a, "logs:")])
    ])
    error_message = "No sqs or logs action may name the \"*\" resource."
  }

  assert {
    condition     = jsondecode(aws_iam_role.this.assume_role_policy).Statement[0].Principal.Service == "lambda.amazonaws.com"
    error_message = "Only Lambda may assume the execution role."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.name == "/aws/lambda/worker" && aws_cloudwatch_log_group.this.retention_in_days == 14
    error_message = "The function must own /aws/lambda/<name> with a retention."
  }

  assert {
    condition     = aws_lambda_function.this.runtime == "python3.12" && aws_lambda_function.this.tracing_config[0].mode == "Active"
    error_message = "Defaults must be python3.12 with X-Ray tracing."
  }

  assert {
    condition     = aws_lambda_function.this.source_code_hash == filebase64sha256("build/process_input_queue.zip")
    error_message = "A code change must change source_code_hash."
  }

  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == -1
    error_message = "No reserved concurrency unless asked for."
  }
}

run "pass_through_tracing_drops_the_xray_statement" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    tracing_mode = "PassThrough"
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Sid] == ["WriteOwnLogs", "Send"]
    error_message = "Without active tracing the role needs no X-Ray permission."
  }
}

run "timeout_above_fifteen_minutes_is_rejected" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    timeout = 901
  }

  expect_failures = [var.timeout]
}

run "memory_below_128_is_rejected" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    memory_size = 64
  }

  expect_failures = [var.memory_size]
}

run "batch_aliases_follow_their_single_message_actions" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    sqs_batch_action_aliases = true
    policy_statements = [{
      sid       = "Consume"
      actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:SendMessage"]
      resources = ["arn:aws:sqs:us-east-1:123456789012:q"]
    }]
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.this.policy).Statement[2].Action == ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:SendMessage", "sqs:DeleteMessageBatch", "sqs:SendMessageBatch"]
    error_message = "Each batchable action must gain its Batch name, and nothing else."
  }
}

run "no_batch_aliases_by_default" {
  command = plan

  module {
    source = "./modules/function"
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.this.policy).Statement[2].Action == ["sqs:SendMessage"]
    error_message = "AWS needs no Batch action names."
  }
}

# ------------------------------------------------ AWS readiness (issue 16)

run "the_role_name_carries_the_region" {
  command = plan

  module {
    source = "./modules/function"
  }

  assert {
    condition     = aws_iam_role.this.name == "worker-ap-southeast-4-exec"
    error_message = "IAM is global: the execution role's name must carry the region, or a second region collides."
  }
}

# 44 characters, plus -ap-southeast-4-exec (a longest region name): IAM's 64.
run "the_longest_name_fits_iam_in_the_longest_region" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    name = "a23456789012345678901234567890123456789012_4"
  }
}

run "a_name_whose_role_would_pass_iam_s_64_is_rejected" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    name = "a23456789012345678901234567890123456789012345"
  }

  expect_failures = [var.name]
}

run "logs_are_json_in_the_functions_own_group_by_default" {
  command = plan

  module {
    source = "./modules/function"
  }

  assert {
    condition     = aws_lambda_function.this.logging_config[0].log_format == "JSON"
    error_message = "Functions log JSON records (with the request id) unless told otherwise."
  }

  assert {
    condition     = aws_lambda_function.this.logging_config[0].log_group == "/aws/lambda/worker"
    error_message = "The function must log to the group the module creates, with its retention."
  }

  assert {
    condition     = aws_lambda_function.this.logging_config[0].application_log_level == "INFO"
    error_message = "JSON logs keep INFO records and above by default."
  }
}

run "text_logs_set_no_log_levels" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    log_format = "Text"
  }

  assert {
    condition     = aws_lambda_function.this.logging_config[0].application_log_level == null
    error_message = "Lambda accepts log levels only with JSON logs."
  }
}

run "an_unknown_log_format_is_rejected" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    log_format = "XML"
  }

  expect_failures = [var.log_format]
}

run "no_runner_address_by_default" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    environment = { MINE = "on" }
  }

  assert {
    condition     = var.local_runner_url == null && aws_lambda_function.this.environment[0].variables == tomap({ MINE = "on" })
    error_message = "On AWS (local_runner_url null) the function's environment must be exactly the caller's."
  }
}

run "no_environment_block_without_variables_or_runner" {
  command = plan

  module {
    source = "./modules/function"
  }

  assert {
    condition     = length(aws_lambda_function.this.environment) == 0
    error_message = "A function without variables and without the local runner gets no environment block."
  }
}

run "the_local_runner_address_names_the_function" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    environment      = { MINE = "on" }
    local_runner_url = "http://127.0.0.1:4567/"
  }

  assert {
    condition = aws_lambda_function.this.environment[0].variables == tomap({
      MINE                       = "on"
      MINISTACK_LAMBDA_PROXY_URL = "http://127.0.0.1:4567/functions/worker"
    })
    error_message = "With local_runner_url the local cloud must be told to post the function's invocations to <runner>/functions/<name>."
  }

  assert {
    condition     = output.environment.MINISTACK_LAMBDA_PROXY_URL == "http://127.0.0.1:4567/functions/worker"
    error_message = "The environment output must show the variables as deployed."
  }
}
