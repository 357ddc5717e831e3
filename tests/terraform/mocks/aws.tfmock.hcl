# The AWS provider's mocked values, shared by every file in tests/terraform
# (mock_provider "aws" { source = "./tests/terraform/mocks" }). A test that
# needs a value of its own overrides one resource with override_resource.

mock_data "aws_caller_identity" {
  defaults = { account_id = "123456789012" }
}

mock_data "aws_partition" {
  defaults = { partition = "aws" }
}

mock_data "aws_region" {
  defaults = { name = "us-east-1" }
}

mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::123456789012:role/mocked"
  }
}

mock_resource "aws_sqs_queue" {
  defaults = {
    arn = "arn:aws:sqs:us-east-1:123456789012:mocked"
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/mocked"
  }
}

mock_resource "aws_cloudwatch_log_group" {
  defaults = {
    arn = "arn:aws:logs:us-east-1:123456789012:log-group:mocked"
  }
}

mock_resource "aws_api_gateway_rest_api" {
  defaults = {
    id            = "abc123"
    execution_arn = "arn:aws:execute-api:us-east-1:123456789012:abc123"
  }
}

mock_resource "aws_api_gateway_stage" {
  defaults = {
    invoke_url = "https://abc123.execute-api.us-east-1.amazonaws.com/api"
  }
}
