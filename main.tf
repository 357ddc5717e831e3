locals {
  processor_name = "${var.name_prefix}-process-input-queue"
  outbox_name    = "${var.name_prefix}-check-output-queue"
}

module "input_queue" {
  source = "./modules/queue"

  name                       = "${var.name_prefix}-input"
  visibility_timeout_seconds = var.input_visibility_timeout_seconds
  max_receive_count          = var.max_receive_count
  dlq_alarm_enabled          = var.dlq_alarms_enabled
  alarm_actions              = var.alarm_actions
}

module "output_queue" {
  source = "./modules/queue"

  name                       = "${var.name_prefix}-output"
  visibility_timeout_seconds = var.output_visibility_timeout_seconds
  max_receive_count          = var.output_max_receive_count
  dlq_alarm_enabled          = var.dlq_alarms_enabled
  alarm_actions              = var.alarm_actions
}

module "process_input_queue" {
  source = "./modules/function"

  name               = local.processor_name
  description        = "Processes batches from the input queue and sends each result to the output queue."
  filename           = "${var.build_dir}/process_input_queue.zip"
  handler            = "app.handler"
  runtime            = var.lambda_runtime
  memory_size        = var.process_memory_mb
  timeout            = var.process_timeout_seconds
  log_retention_days = var.log_retention_days

  local_runner_url = var.local_runner_url

  sqs_batch_action_aliases = var.sqs_batch_action_aliases

  # Queue names and ARNs are known at plan time, so the functions deploy
  # while the queues are still being created; each function looks its queue's
  # URL up once per cold start.
  environment = {
    OUTPUT_QUEUE_NAME = module.output_queue.name
    POISON_MARKER     = var.poison_marker
  }

  policy_statements = [
    {
      # What the event source mapping polls with (AWS's documented set); the
      # handler itself never calls the input queue.
      sid       = "ConsumeInputQueue"
      actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
      resources = [module.input_queue.arn]
    },
    {
      sid       = "SendResults"
      actions   = ["sqs:GetQueueUrl", "sqs:SendMessage"]
      resources = [module.output_queue.arn]
    },
  ]
}

resource "aws_lambda_event_source_mapping" "input_queue" {
  event_source_arn                   = module.input_queue.arn
  function_name                      = module.process_input_queue.arn
  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = var.maximum_batching_window_seconds
  function_response_types            = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = var.maximum_concurrency
  }

  # The module's ARN output is known before the queue exists; the mapping
  # needs the queue itself.
  depends_on = [module.input_queue]

  lifecycle {
    precondition {
      condition     = var.input_visibility_timeout_seconds >= 6 * var.process_timeout_seconds
      error_message = "input_visibility_timeout_seconds must be at least 6 x process_timeout_seconds, or records are received again while a retry is still running (AWS's guidance for SQS event sources)."
    }

    precondition {
      condition     = var.batch_size <= 10 || var.maximum_batching_window_seconds >= 1
      error_message = "A batch_size above 10 needs maximum_batching_window_seconds of at least 1 (an SQS event source limit)."
    }
  }
}

module "check_output_queue" {
  source = "./modules/function"

  name               = local.outbox_name
  description        = "GET /outbox: takes one result off the output queue."
  filename           = "${var.build_dir}/check_output_queue.zip"
  handler            = "app.handler"
  runtime            = var.lambda_runtime
  timeout            = var.outbox_wait_seconds + 5
  log_retention_days = var.log_retention_days

  local_runner_url = var.local_runner_url

  sqs_batch_action_aliases = var.sqs_batch_action_aliases

  environment = {
    OUTPUT_QUEUE_NAME   = module.output_queue.name
    OUTBOX_WAIT_SECONDS = tostring(var.outbox_wait_seconds)
  }

  policy_statements = [
    {
      sid       = "TakeResults"
      actions   = ["sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"]
      resources = [module.output_queue.arn]
    },
  ]
}

module "rest_api" {
  source = "./modules/rest_api"

  name                       = var.name_prefix
  input_queue_arn            = module.input_queue.arn
  outbox_function_name       = module.check_output_queue.function_name
  outbox_function_invoke_arn = module.check_output_queue.invoke_arn
  throttling_rate_limit      = var.throttling_rate_limit
  throttling_burst_limit     = var.throttling_burst_limit
  log_retention_days         = var.log_retention_days

  authorization        = var.api_authorization
  api_key_rate_limit   = var.api_key_rate_limit
  api_key_burst_limit  = var.api_key_burst_limit
  api_key_quota_limit  = var.api_key_quota_limit
  api_key_quota_period = var.api_key_quota_period
}
