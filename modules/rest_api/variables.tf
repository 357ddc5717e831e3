variable "name" {
  description = "Name of the REST API; also prefixes its integration role and access log group."
  type        = string
}

variable "stage_name" {
  description = "Name of the deployed stage, the first path segment of the invoke URL."
  type        = string
  default     = "api"
}

variable "input_queue_arn" {
  description = "ARN of the SQS queue POST /inbox sends messages to; the integration role may send to this queue only."
  type        = string
}

variable "outbox_function_name" {
  description = "Name of the Lambda function GET /outbox proxies to."
  type        = string
}

variable "outbox_function_invoke_arn" {
  description = "Invoke ARN of the Lambda function GET /outbox proxies to."
  type        = string
}

variable "throttling_rate_limit" {
  description = "Steady-state requests per second the stage accepts across all methods before answering 429 (0 or more)."
  type        = number
  default     = 1000

  validation {
    condition     = var.throttling_rate_limit >= 0
    error_message = "throttling_rate_limit must be 0 or more."
  }
}

variable "throttling_burst_limit" {
  description = "Requests the stage accepts in a burst above the steady rate (token bucket size, 0 or more)."
  type        = number
  default     = 500

  validation {
    condition     = var.throttling_burst_limit >= 0
    error_message = "throttling_burst_limit must be 0 or more."
  }
}

variable "logging_level" {
  description = "Execution logging of every method: OFF, ERROR or INFO. Any level but OFF needs the account's API Gateway CloudWatch role."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["OFF", "ERROR", "INFO"], var.logging_level)
    error_message = "logging_level must be OFF, ERROR or INFO."
  }
}

variable "xray_tracing_enabled" {
  description = "Whether the stage traces requests with X-Ray."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps the access logs: one of the periods it accepts (the root module validates its log_retention_days; the AWS provider checks this one at plan)."
  type        = number
  default     = 14
}

variable "tags" {
  description = "Tags for every resource of the module."
  type        = map(string)
  default     = {}
}
