output "probe_function_name" {
  description = "The probe function."
  value       = module.probe.function_name
}

output "probe_function_arn" {
  description = "ARN of the probe function, as Invoke reports it in the context object."
  value       = module.probe.arn
}

output "missing_dependency_function_name" {
  description = "The function whose handler imports a package its zip lacks."
  value       = module.missing_dependency.function_name
}

output "json_logs_function_name" {
  description = "The probe with Lambda's JSON log format."
  value       = module.json_logs.function_name
}

output "probe_api_url" {
  description = "Base URL of the REST API proxying every path to the probe."
  value = (var.local_endpoint == null
    ? aws_api_gateway_stage.probe.invoke_url
    : "${trimsuffix(var.local_endpoint, "/")}/_aws/execute-api/${aws_api_gateway_rest_api.probe.id}/${aws_api_gateway_stage.probe.stage_name}"
  )
}

output "test_queue_prefix" {
  description = "Prefix of the queues the tests create; the only queues the probe may use."
  value       = "${var.name_prefix}-contract-"
}

output "region" {
  description = "Region of the probe."
  value       = var.region
}

output "guarded_apis" {
  description = "Per guarded authorization mode (AWS_IAM, API_KEY): its API's base URL, the queue POST /inbox feeds, and the policy a caller needs (AWS_IAM)."
  value = {
    for mode, api in module.guarded_api : mode => {
      api_url = (var.local_endpoint == null
        ? api.invoke_url
        : "${trimsuffix(var.local_endpoint, "/")}/_aws/execute-api/${api.id}/${api.stage_name}"
      )
      inbox_queue_url   = aws_sqs_queue.guarded_inbox[mode].url
      invoke_policy_arn = api.invoke_policy_arn
    }
  }
}

output "guarded_api_key" {
  description = "The API_KEY mode API's key."
  value       = module.guarded_api["API_KEY"].api_key
  sensitive   = true
}
