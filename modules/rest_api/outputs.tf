output "id" {
  description = "Id of the REST API."
  value       = aws_api_gateway_rest_api.this.id
}

output "stage_name" {
  description = "Name of the deployed stage."
  value       = aws_api_gateway_stage.this.stage_name
}

output "invoke_url" {
  description = "Base URL of the stage on AWS (https://<id>.execute-api.<region>.amazonaws.com/<stage>)."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "execution_arn" {
  description = "Execution ARN of the REST API, for scoping invoke permissions."
  value       = aws_api_gateway_rest_api.this.execution_arn
}

output "integration_role_arn" {
  description = "ARN of the role API Gateway uses to send to the input queue."
  value       = aws_iam_role.sqs_integration.arn
}

output "access_log_group_name" {
  description = "Name of the CloudWatch log group holding the stage's access logs."
  value       = aws_cloudwatch_log_group.access.name
}

output "authorization" {
  description = "Who may call the routes: NONE, AWS_IAM or API_KEY."
  value       = var.authorization
}

output "invoke_policy" {
  description = "IAM policy document (JSON) allowing execute-api:Invoke on exactly POST /inbox and GET /outbox of this stage: what an AWS_IAM caller needs."
  value       = local.invoke_policy
}

output "invoke_policy_arn" {
  description = "ARN of the managed policy holding invoke_policy, to attach to callers; null unless authorization is AWS_IAM."
  value       = one(aws_iam_policy.invoke[*].arn)
}

output "api_key" {
  description = "The clients' API key (send it as x-api-key); null unless authorization is API_KEY."
  value       = one(aws_api_gateway_api_key.this[*].value)
  sensitive   = true
}

output "execution_log_group_name" {
  description = "Name of the CloudWatch log group API Gateway writes the stage's execution logs to."
  value       = aws_cloudwatch_log_group.execution.name
}

output "integration_role_name" {
  description = "Name of the role API Gateway uses to send to the input queue (<name>-<region>-sqs-send)."
  value       = aws_iam_role.sqs_integration.name
}
