"""User-facing errors: bad scenario files, bad command-line values, refused batch folders."""


class UserError(Exception):
    """A mistake in the user's input. The CLI prints the one-line message and exits with code 2."""

    exit_code = 2


class ScenarioError(UserError):
    """A scenario file or override is invalid: ``file: key: reason``."""
