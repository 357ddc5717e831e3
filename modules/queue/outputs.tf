output "url" {
  description = "URL of the queue."
  value       = aws_sqs_queue.this.url
}

output "arn" {
  description = "ARN of the queue, known at plan time so that policies and integrations naming it need not wait for its creation. To wait for the queue itself, depend on the module."
  value       = local.queue_arn
}

output "name" {
  description = "Name of the queue, known at plan time."
  value       = var.name
}

output "dlq_url" {
  description = "URL of the dead-letter queue."
  value       = aws_sqs_queue.dlq.url
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue."
  value       = aws_sqs_queue.dlq.arn
}

output "dlq_name" {
  description = "Name of the dead-letter queue."
  value       = aws_sqs_queue.dlq.name
}

output "dlq_alarm_arn" {
  description = "ARN of the alarm that fires when the dead-letter queue holds a message; null when dlq_alarm_enabled is false."
  value       = one(aws_cloudwatch_metric_alarm.dlq_not_empty[*].arn)
}

output "redrive_policy" {
  description = "The queue's redrive policy document (JSON): its DLQ and maxReceiveCount."
  value       = aws_sqs_queue.this.redrive_policy
}
