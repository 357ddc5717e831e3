# API Gateway writes stage logs through one CloudWatch role per account and
# region: account-wide state that every REST API there shares. It lives in a
# stack of its own (account/, make account-setup), so no deploy or destroy of
# this stack can remove it. Stacks that created it here with
# manage_api_gateway_account=true forget it without deleting it; docs/aws.md
# tells how the account stack adopts it.

removed {
  from = aws_api_gateway_account.this

  lifecycle {
    destroy = false
  }
}

removed {
  from = aws_iam_role_policy_attachment.apigateway_cloudwatch

  lifecycle {
    destroy = false
  }
}

removed {
  from = aws_iam_role.apigateway_cloudwatch

  lifecycle {
    destroy = false
  }
}
