locals {
  # On AWS the stage's own URL; on the local cloud its execute-api path.
  api_url = (var.local_endpoint == null
    ? module.rest_api.invoke_url
    : "${trimsuffix(var.local_endpoint, "/")}/_aws/execute-api/${module.rest_api.id}/${module.rest_api.stage_name}"
  )
}

output "api_url" {
  description = "Base URL of the API: POST $api_url/inbox, GET $api_url/outbox."
  value       = local.api_url
}

output "inbox_url" {
  description = "URL to POST messages to."
  value       = "${local.api_url}/inbox"
}

output "outbox_url" {
  description = "URL to GET results from; ?id=<id> returns only the result of that message id."
  value       = "${local.api_url}/outbox"
}

output "input_queue_url" {
  description = "URL of the input queue."
  value       = module.input_queue.url
}

output "input_dlq_url" {
  description = "URL of the input queue's dead-letter queue."
  value       = module.input_queue.dlq_url
}

output "output_queue_url" {
  description = "URL of the output queue."
  value       = module.output_queue.url
}

output "output_dlq_url" {
  description = "URL of the output queue's dead-letter queue."
  value       = module.output_queue.dlq_url
}

output "process_function_name" {
  description = "Name of the function that processes the input queue."
  value       = module.process_input_queue.function_name
}

output "outbox_function_name" {
  description = "Name of the function behind GET /outbox."
  value       = module.check_output_queue.function_name
}

output "region" {
  description = "Region the stack is deployed in."
  value       = var.region
}

output "api_authorization" {
  description = "Who may call the API: NONE, AWS_IAM (sign with SigV4 for execute-api) or API_KEY (send api_key as x-api-key)."
  value       = module.rest_api.authorization
}

output "api_invoke_policy" {
  description = "IAM policy document (JSON) a caller needs with AWS_IAM: execute-api:Invoke on exactly POST /inbox and GET /outbox of this stage."
  value       = module.rest_api.invoke_policy
}

output "api_invoke_policy_arn" {
  description = "ARN of the managed policy holding api_invoke_policy, to attach to callers' roles or users; null unless api_authorization is AWS_IAM."
  value       = module.rest_api.invoke_policy_arn
}

output "api_key" {
  description = "The clients' API key, for x-api-key (terraform output -raw api_key); null unless api_authorization is API_KEY."
  value       = module.rest_api.api_key
  sensitive   = true
}
