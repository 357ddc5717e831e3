variable "name" {
  description = "Name of the Lambda function; also names its role (<name>-<region>-exec) and its log group /aws/lambda/<name>."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,44}$", var.name))
    error_message = "name must be 1-44 characters of letters, digits, '-' and '_' (its role adds '-<region>-exec', at most 20 characters, within IAM's 64)."
  }
}

variable "description" {
  description = "What the function does, shown in the Lambda console."
  type        = string
  default     = ""
}

variable "filename" {
  description = "Path of the deployment zip, built before Terraform runs (make build)."
  type        = string
}

variable "handler" {
  description = "Entry point as <module>.<function>, e.g. app.handler."
  type        = string
}

variable "runtime" {
  description = "Lambda runtime identifier."
  type        = string
  default     = "python3.12"
}

variable "memory_size" {
  description = "Memory in MB (128-10240); CPU scales with it."
  type        = number
  default     = 128

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be between 128 and 10240 MB."
  }
}

variable "timeout" {
  description = "Seconds an invocation may run before Lambda stops it (1-900)."
  type        = number
  default     = 3

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900
    error_message = "timeout must be between 1 and 900 seconds."
  }
}

variable "environment" {
  description = "Environment variables of the function. No secrets: they are visible to anyone who can read the function's configuration."
  type        = map(string)
  default     = {}
}

variable "local_runner_url" {
  description = "Base URL of the local cloud's Lambda runner (e.g. http://127.0.0.1:4567); null on AWS. When set, the function's environment gains MINISTACK_LAMBDA_PROXY_URL=<this>/functions/<name>, which makes the local cloud hand its invocations to the runner; the runner hides that variable from the handler."
  type        = string
  default     = null
}

variable "reserved_concurrent_executions" {
  description = "Concurrent executions reserved for (and capping) this function; null leaves it on the account's unreserved pool."
  type        = number
  default     = null
}

variable "tracing_mode" {
  description = "X-Ray tracing: Active samples and traces invocations, PassThrough only follows upstream decisions."
  type        = string
  default     = "Active"

  validation {
    condition     = contains(["Active", "PassThrough"], var.tracing_mode)
    error_message = "tracing_mode must be Active or PassThrough."
  }
}

variable "policy_statements" {
  description = "IAM statements the function needs beyond writing its own logs; name exact resource ARNs."
  type = list(object({
    sid       = string
    actions   = list(string)
    resources = list(string)
  }))
  default = []
}

variable "sqs_batch_action_aliases" {
  description = "Also grant sqs:<Action>Batch beside each granted sqs:SendMessage, sqs:DeleteMessage and sqs:ChangeMessageVisibility. AWS authorizes batch calls by the single-message action, so leave this false on AWS; the local cloud checks the batch name (docs/fidelity.md)."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps the function's logs: one of the periods it accepts (the root module validates its log_retention_days; the AWS provider checks this one at plan)."
  type        = number
  default     = 14
}

variable "log_format" {
  description = "Format of the function's logs in CloudWatch Logs: JSON (structured records carrying the request id, filtered by the log levels below) or Text (plain lines)."
  type        = string
  default     = "JSON"

  validation {
    condition     = contains(["JSON", "Text"], var.log_format)
    error_message = "log_format must be JSON or Text."
  }
}

variable "application_log_level" {
  description = "With JSON logs, the lowest level of the function's own log records that reach CloudWatch Logs: TRACE, DEBUG, INFO, WARN, ERROR or FATAL. Ignored with Text logs."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"], var.application_log_level)
    error_message = "application_log_level must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL."
  }
}

variable "system_log_level" {
  description = "With JSON logs, the lowest level of Lambda's own records (platform.start, platform.report...) that reach CloudWatch Logs: DEBUG, INFO or WARN. Ignored with Text logs."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARN"], var.system_log_level)
    error_message = "system_log_level must be one of DEBUG, INFO, WARN."
  }
}

variable "tags" {
  description = "Tags for every resource of the module."
  type        = map(string)
  default     = {}
}
