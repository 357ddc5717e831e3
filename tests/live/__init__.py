"""Helpers for tests against a deployed stack, on the local cloud or on AWS."""
