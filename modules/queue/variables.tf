variable "name" {
  description = "Name of the queue. Its dead-letter queue is named \"<name>-dlq\"."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,76}$", var.name))
    error_message = "name must be 1-76 characters of letters, digits, '-' and '_' (80 with the \"-dlq\" suffix is SQS's limit)."
  }
}

variable "visibility_timeout_seconds" {
  description = "Seconds a received message stays hidden from other consumers (0-43200). Give a Lambda consumer at least six times its timeout."
  type        = number
  default     = 30

  validation {
    condition     = var.visibility_timeout_seconds >= 0 && var.visibility_timeout_seconds <= 43200
    error_message = "visibility_timeout_seconds must be between 0 and 43200."
  }
}

variable "message_retention_seconds" {
  description = "Seconds the queue keeps a message (60-1209600)."
  type        = number
  default     = 345600

  validation {
    condition     = var.message_retention_seconds >= 60 && var.message_retention_seconds <= 1209600
    error_message = "message_retention_seconds must be between 60 and 1209600."
  }
}

variable "dlq_message_retention_seconds" {
  description = "Seconds the dead-letter queue keeps a message (60-1209600). It must be at least message_retention_seconds, because a message keeps its original enqueue time when it moves."
  type        = number
  default     = 1209600

  validation {
    condition     = var.dlq_message_retention_seconds >= 60 && var.dlq_message_retention_seconds <= 1209600
    error_message = "dlq_message_retention_seconds must be between 60 and 1209600."
  }
}

variable "receive_wait_time_seconds" {
  description = "Default long-poll wait of ReceiveMessage in seconds (0-20)."
  type        = number
  default     = 0

  validation {
    condition     = var.receive_wait_time_seconds >= 0 && var.receive_wait_time_seconds <= 20
    error_message = "receive_wait_time_seconds must be between 0 and 20."
  }
}

variable "max_receive_count" {
  description = "Receives after which a message moves to the dead-letter queue (1-1000). For a queue feeding a Lambda event source mapping AWS advises at least 5, since batches returned unprocessed while the function is throttled count as receives too."
  type        = number
  default     = 5

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000 && floor(var.max_receive_count) == var.max_receive_count
    error_message = "max_receive_count must be a whole number between 1 and 1000."
  }
}

variable "dlq_alarm_enabled" {
  description = "Whether to create the CloudWatch alarm on a non-empty dead-letter queue. Keep it on AWS; the local cloud turns it off (see docs/fidelity.md)."
  type        = bool
  default     = true
}

variable "alarm_actions" {
  description = "ARNs notified when the dead-letter queue holds a message (e.g. an SNS topic). Empty: the alarm only changes state."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags for every resource of the module."
  type        = map(string)
  default     = {}
}
