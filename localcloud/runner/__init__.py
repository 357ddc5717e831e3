"""Runs our Lambda functions as AWS's Python runtime would, behind MiniStack's proxy mode.

MiniStack forwards each invocation over HTTP; the runner hands it to a warm
worker process of the runtime's Python, started in isolated mode with only the
function's zip and the runtime's boto3 on its path.
"""
