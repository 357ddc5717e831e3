# Renders every IAM policy the stacks hold, for `make lint`'s parliament pass
# (tools/lint_policies.py reads them from this file's -json -verbose output).
# Defaults everywhere, so what is rendered is what deploys.

mock_provider "aws" {
  source = "./tests/terraform/mocks"
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
