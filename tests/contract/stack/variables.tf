variable "region" {
  description = "AWS region of the deployed pipeline the contract suite checks."
  type        = string
  default     = "us-east-1"
}

variable "name_prefix" {
  description = "Prefix of the pipeline's resources; the probe adds -contract-*, and the queues the tests create share it."
  type        = string
  default     = "inbox-pipeline"
}

variable "local_endpoint" {
  description = "Base URL of the local cloud when testing there; null on AWS. It only decides the form of api_url."
  type        = string
  default     = null
}

variable "local_runner_url" {
  description = "Base URL of the local cloud's Lambda runner (its port is the local cloud's + 1) when deploying there; null on AWS. Every function gets it, so the local cloud runs them all in the runner; targets/local-contract.tfvars sets it."
  type        = string
  default     = null
}

variable "zip_path" {
  description = "Path of the probe's zip (make test-contract builds it)."
  type        = string
}

variable "timeout_seconds" {
  description = "Timeout of the probe; the queues the tests map to it need a visibility timeout at least this long (an SQS event source rule)."
  type        = number
  default     = 3
}

variable "sqs_batch_action_aliases" {
  description = "Also grant the sqs:*Batch action names (the local target turns it on, as for the pipeline)."
  type        = bool
  default     = false
}
