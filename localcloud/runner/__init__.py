"""Runs our Lambda functions as AWS's Python runtime would, behind MiniStack's proxy mode.

MiniStack forwards each invocation over HTTP; the runner hands it to a warm
execution environment: a process of the runtime's Python in isolated mode,
running AWS's runtime interface client (awslambdaric) against a Runtime API the
runner serves, with only the function's zip and the runtime's own folder
(boto3, awslambdaric) on its path. docs/local-runtime.md tells the whole story.
"""
