data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  # Known before the queue exists, so the DLQ can name its only source in its
  # own redrive allow policy: a separate policy resource would add another of
  # the provider's ~25 s attribute-propagation waits to every deploy.
  queue_arn = "arn:${data.aws_partition.current.partition}:sqs:${data.aws_region.current.id}:${data.aws_caller_identity.current.account_id}:${var.name}"
}

resource "aws_sqs_queue" "dlq" {
  name                      = "${var.name}-dlq"
  message_retention_seconds = var.dlq_message_retention_seconds
  sqs_managed_sse_enabled   = true
  tags                      = var.tags

  # Only this module's queue may use the DLQ, so a stray redrive policy
  # elsewhere cannot pour another queue's failures into it.
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [local.queue_arn]
  })
}

resource "aws_sqs_queue" "this" {
  name                       = var.name
  visibility_timeout_seconds = var.visibility_timeout_seconds
  message_retention_seconds  = var.message_retention_seconds
  receive_wait_time_seconds  = var.receive_wait_time_seconds
  sqs_managed_sse_enabled    = true

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = var.max_receive_count
  })

  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.dlq_message_retention_seconds >= var.message_retention_seconds
      error_message = "The dead-letter queue must keep messages at least as long as the source queue (dlq_message_retention_seconds >= message_retention_seconds)."
    }

    postcondition {
      condition     = self.arn == local.queue_arn
      error_message = "The queue's ARN differs from the one its DLQ's redrive allow policy names."
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "dlq_not_empty" {
  count = var.dlq_alarm_enabled ? 1 : 0

  alarm_name          = "${aws_sqs_queue.dlq.name}-not-empty"
  alarm_description   = "Messages failed processing and wait in ${aws_sqs_queue.dlq.name}; fix the cause, then redrive them."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq.name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}
