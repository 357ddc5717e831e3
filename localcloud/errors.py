"""The one exception our commands turn into a one-line message."""


class LocalCloudError(Exception):
    """Something the user can fix; its message says what and how."""
