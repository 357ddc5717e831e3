# Renders every IAM policy the stacks hold, for `make lint`'s parliament pass
# (tools/lint_policies.py reads them from this file's -json -verbose output).
# Defaults everywhere, so what is rendered is what deploys.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }

  mock_data "aws_region" {
    defaults = { id = "us-east-1", name = "us-east-1" }
  }

  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mocked" }
  }

  mock_resource "aws_sqs_queue" {
    defaults = {
      arn = "arn:aws:sqs:us-east-1:123456789012:mocked"
      url = "https://sqs.us-east-1.amazonaws.com/123456789012/mocked"
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:mocked" }
  }

  mock_resource "aws_api_gateway_rest_api" {
    defaults = {
      id            = "abc123"
      execution_arn = "arn:aws:execute-api:us-east-1:123456789012:abc123"
    }
  }
}

override_resource {
  target = module.input_queue.aws_sqs_queue.this
  values = { arn = "arn:aws:sqs:us-east-1:123456789012:inbox-pipeline-input" }
}

override_resource {
  target = module.output_queue.aws_sqs_queue.this
  values = { arn = "arn:aws:sqs:us-east-1:123456789012:inbox-pipeline-output" }
}

run "the_pipeline_s_policies" {
  command = apply
}

# A plan: the account stack's resources refuse to be destroyed, also by a test's teardown.
run "the_account_stack_s_policies" {
  command = plan

  module {
    source = "./account"
  }
}
