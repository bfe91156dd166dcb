"""The one exception the faces (UI and CLI) show to a person as a single line."""


class BackendError(Exception):
    """Something the user can act on; the message says what was wrong and what to do."""
