"""Fault injection against a deployed stack: every accepted message still ends exactly once."""
