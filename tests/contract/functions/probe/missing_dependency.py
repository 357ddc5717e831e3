"""A handler whose module imports a package its zip does not hold.

PyYAML is not in AWS's Python runtime, so there every invocation fails with
Runtime.ImportModuleError; MiniStack's own workers run in its interpreter,
which has PyYAML, and would import it.
"""

import yaml  # noqa: F401 - the missing dependency is the point


def handler(event: object, context: object) -> None:
    return None
