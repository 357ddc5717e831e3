variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"
}

variable "name_prefix" {
  description = "Prefix of every resource name, so several stacks can share an account."
  type        = string
  default     = "inbox-pipeline"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,23}$", var.name_prefix))
    error_message = "name_prefix must start with a lowercase letter and hold at most 24 lowercase letters, digits and '-' (IAM role names carry the region too, within 64 characters)."
  }
}

variable "local_endpoint" {
  description = "Base URL of the local cloud (e.g. http://localhost:4566) when deploying there; null on AWS. It decides the form of api_url and which target the guard (guard.tf) expects; targets/local.tfvars sets it."
  type        = string
  default     = null
}

variable "local_runner_url" {
  description = "Base URL of the local cloud's Lambda runner (its port is the local cloud's + 1) when deploying there; null on AWS. Every function gets it, so the local cloud runs them all in the runner; targets/local.tfvars sets it."
  type        = string
  default     = null
}

variable "build_dir" {
  description = "Folder holding the function zips written by make build."
  type        = string
  default     = "build"
}

variable "lambda_runtime" {
  description = "Lambda runtime of both functions: python3.11 or later (the handlers use datetime.UTC)."
  type        = string
  default     = "python3.12"

  validation {
    condition     = try(tonumber(regex("^python3\\.(\\d+)$", var.lambda_runtime)[0]) >= 11, false)
    error_message = "lambda_runtime must be python3.N with N of at least 11: the handlers use datetime.UTC, new in Python 3.11."
  }
}

variable "process_timeout_seconds" {
  description = "Timeout of process_input_queue in seconds; the input queue's visibility timeout must be at least six times this."
  type        = number
  default     = 10
}

variable "process_memory_mb" {
  description = "Memory of process_input_queue in MB."
  type        = number
  default     = 256
}

variable "input_visibility_timeout_seconds" {
  description = "Visibility timeout of the input queue in seconds; at least six times process_timeout_seconds, as AWS advises for Lambda consumers."
  type        = number
  default     = 60
}

variable "output_visibility_timeout_seconds" {
  description = "Visibility timeout of the output queue in seconds: how long a result GET /outbox took stays hidden if the function fails before deleting it."
  type        = number
  default     = 30
}

variable "max_receive_count" {
  description = "Receives after which an input message that keeps failing moves to the input DLQ (1-1000). AWS advises at least 5 for a queue that feeds a Lambda event source mapping: records returned unprocessed while the function is throttled count as receives too, and must not reach the DLQ early."
  type        = number
  default     = 5
}

variable "output_max_receive_count" {
  description = "Receives after which a result moves to the output DLQ (1-1000). Every GET /outbox?id=<id> receives, then releases, the results it looks through, and each look counts: keep this high so results are not dead-lettered for being looked at."
  type        = number
  default     = 1000
}

variable "poison_marker" {
  description = "Text that makes process_input_queue reject a message (the seed's test marker). Empty turns the rule off, e.g. to redrive the messages it sent to the input DLQ (make redrive)."
  type        = string
  default     = "MALFORMED_MASSAGE"
}

variable "batch_size" {
  description = "Most records per process_input_queue invocation (1-10000; above 10 needs a batching window of at least 1 s)."
  type        = number
  default     = 10

  validation {
    condition     = var.batch_size >= 1 && var.batch_size <= 10000
    error_message = "batch_size must be between 1 and 10000."
  }
}

variable "maximum_batching_window_seconds" {
  description = "Seconds the event source mapping may wait to fill a batch (0-300)."
  type        = number
  default     = 0

  validation {
    condition     = var.maximum_batching_window_seconds >= 0 && var.maximum_batching_window_seconds <= 300
    error_message = "maximum_batching_window_seconds must be between 0 and 300."
  }
}

variable "maximum_concurrency" {
  description = "Most concurrent process_input_queue invocations the event source mapping starts (2-1000). A new account's Lambda concurrency quota can be as low as 10, which the default then uses up (docs/aws.md)."
  type        = number
  default     = 10

  validation {
    condition     = var.maximum_concurrency >= 2 && var.maximum_concurrency <= 1000
    error_message = "maximum_concurrency must be between 2 and 1000."
  }
}

variable "outbox_wait_seconds" {
  description = "Long-poll wait of GET /outbox on the output queue in seconds (0-20): how long it waits for a result before answering 404."
  type        = number
  default     = 1

  validation {
    condition     = var.outbox_wait_seconds >= 0 && var.outbox_wait_seconds <= 20
    error_message = "outbox_wait_seconds must be between 0 and 20."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps function and access logs: one of the periods it accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  type        = number
  default     = 14

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the retention periods CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "throttling_rate_limit" {
  description = "Requests per second the API stage accepts before answering 429 (0 or more)."
  type        = number
  default     = 1000

  validation {
    condition     = var.throttling_rate_limit >= 0
    error_message = "throttling_rate_limit must be 0 or more."
  }
}

variable "throttling_burst_limit" {
  description = "Requests the API stage accepts in a burst above the steady rate (0 or more)."
  type        = number
  default     = 500

  validation {
    condition     = var.throttling_burst_limit >= 0
    error_message = "throttling_burst_limit must be 0 or more."
  }
}

variable "manage_api_gateway_account" {
  description = "Retired: the account's API Gateway CloudWatch role is set up once per account and region by the account stack (make account-setup, docs/aws.md)."
  type        = bool
  default     = false

  validation {
    condition     = !var.manage_api_gateway_account
    error_message = "manage_api_gateway_account moved to its own stack so no deploy or destroy can remove it: run make account-setup TARGET=aws once per account and region (docs/aws.md)."
  }
}

variable "dlq_alarms_enabled" {
  description = "Whether each dead-letter queue gets a CloudWatch alarm. Keep it on AWS; the local cloud cannot read alarms back and turns it off (docs/fidelity.md)."
  type        = bool
  default     = true
}

variable "sqs_batch_action_aliases" {
  description = "Grant the functions sqs:<Action>Batch names beside the single-message actions. AWS needs only the latter; the local cloud checks the batch names, so only the local target sets this (docs/fidelity.md)."
  type        = bool
  default     = false
}

variable "alarm_actions" {
  description = "ARNs (e.g. an SNS topic) notified when a dead-letter queue holds a message."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

variable "api_authorization" {
  description = "Who may POST /inbox and GET /outbox: NONE (anyone who reaches the URL, as in the sample), AWS_IAM (SigV4-signed requests from principals granted the api_invoke_policy) or API_KEY (requests carrying the api_key output in x-api-key). See docs/security.md."
  type        = string
  default     = "NONE"

  validation {
    condition     = contains(["NONE", "AWS_IAM", "API_KEY"], var.api_authorization)
    error_message = "api_authorization must be NONE, AWS_IAM or API_KEY."
  }
}

variable "api_key_rate_limit" {
  description = "With api_authorization API_KEY: steady-state requests per second the key's usage plan allows before answering 429 (above 0)."
  type        = number
  default     = 100
}

variable "api_key_burst_limit" {
  description = "With api_authorization API_KEY: requests the key's usage plan allows in a burst above the steady rate (1 or more)."
  type        = number
  default     = 200
}

variable "api_key_quota_limit" {
  description = "With api_authorization API_KEY: requests the key may make per api_key_quota_period (1 or more)."
  type        = number
  default     = 1000000
}

variable "api_key_quota_period" {
  description = "With api_authorization API_KEY: the period of api_key_quota_limit: DAY, WEEK or MONTH."
  type        = string
  default     = "DAY"
}
