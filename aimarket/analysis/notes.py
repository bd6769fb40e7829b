"""`Skipped`: an analysis that cannot run on this run store; its message becomes a report note."""


class Skipped(Exception):
    """Raised by an analysis whose inputs are missing or unsuitable (never a user mistake)."""
