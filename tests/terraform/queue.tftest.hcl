# modules/queue with a mocked provider: wiring and limits, no AWS calls.

mock_provider "aws" {
  source = "./tests/terraform/mocks"
}

override_resource {
  target = aws_sqs_queue.this
  values = { arn = "arn:aws:sqs:us-east-1:123456789012:orders" }
}

variables {
  name = "orders"
}

run "dlq_is_wired_with_redrive_and_allow_policies" {
  command = apply

  module {
    source = "./modules/queue"
  }

  assert {
    condition     = aws_sqs_queue.dlq.name == "orders-dlq"
    error_message = "The DLQ must be named after its queue."
  }

  assert {
    condition     = jsondecode(aws_sqs_queue.this.redrive_policy).deadLetterTargetArn == aws_sqs_queue.dlq.arn
    error_message = "The redrive policy must target the module's own DLQ."
  }

  assert {
    condition     = jsondecode(aws_sqs_queue.this.redrive_policy).maxReceiveCount == 5
    error_message = "maxReceiveCount must default to 5, AWS's floor for a queue feeding a Lambda event source mapping."
  }

  assert {
    condition     = jsondecode(aws_sqs_queue.dlq.redrive_allow_policy).redrivePermission == "byQueue"
    error_message = "Only named queues may redrive into the DLQ."
  }

  assert {
    condition     = jsondecode(aws_sqs_queue.dlq.redrive_allow_policy).sourceQueueArns == [aws_sqs_queue.this.arn]
    error_message = "The DLQ must accept only its own source queue."
  }

  assert {
    condition     = aws_sqs_queue.this.sqs_managed_sse_enabled && aws_sqs_queue.dlq.sqs_managed_sse_enabled
    error_message = "Both queues must be encrypted at rest."
  }

  assert {
    condition     = aws_sqs_queue.dlq.message_retention_seconds == 1209600
    error_message = "The DLQ must keep messages 14 days by default."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.dlq_not_empty[0].dimensions.QueueName == "orders-dlq" && aws_cloudwatch_metric_alarm.dlq_not_empty[0].threshold == 0
    error_message = "The alarm must fire on any message in the DLQ."
  }
}

run "max_receive_count_is_passed_through" {
  command = plan

  module {
    source = "./modules/queue"
  }

  variables {
    max_receive_count = 7
  }

  assert {
    condition     = jsondecode(aws_sqs_queue.this.redrive_policy).maxReceiveCount == 7
    error_message = "maxReceiveCount must follow the variable."
  }
}

run "the_alarm_can_be_turned_off" {
  command = plan

  module {
    source = "./modules/queue"
  }

  variables {
    dlq_alarm_enabled = false
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.dlq_not_empty) == 0
    error_message = "dlq_alarm_enabled = false must drop the alarm."
  }
}

run "max_receive_count_zero_is_rejected" {
  command = plan

  module {
    source = "./modules/queue"
  }

  variables {
    max_receive_count = 0
  }

  expect_failures = [var.max_receive_count]
}

run "fractional_max_receive_count_is_rejected" {
  command = plan

  module {
    source = "./modules/queue"
  }

  variables {
    max_receive_count = 2.5
  }

  expect_failures = [var.max_receive_count]
}

run "dlq_shorter_retention_than_source_is_rejected" {
  command = plan

  module {
    source = "./modules/queue"
  }

  variables {
    message_retention_seconds     = 1209600
    dlq_message_retention_seconds = 86400
  }

  expect_failures = [aws_sqs_queue.this]
}

run "bad_name_is_rejected" {
  command = plan

  module {
    source = "./modules/queue"
  }

  variables {
    name = "has spaces"
  }

  expect_failures = [var.name]
}

run "retention_below_a_minute_is_rejected" {
  command = plan

  module {
    source = "./modules/queue"
  }

  variables {
    message_retention_seconds = 30
  }

  expect_failures = [var.message_retention_seconds]
}

run "a_long_poll_over_twenty_seconds_is_rejected" {
  command = plan

  module {
    source = "./modules/queue"
  }

  variables {
    receive_wait_time_seconds = 21
  }

  expect_failures = [var.receive_wait_time_seconds]
}
