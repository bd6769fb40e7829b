"""aimarket: an agent-based strategic game simulator of the AI industry."""

from typing import Any


def __getattr__(name: str) -> Any:
    """``__version__`` is read from the installed metadata on first use (importing
    ``importlib.metadata`` costs ~0.1 s of every command's start-up otherwise)."""
    if name != "__version__":
        raise AttributeError(f"module 'aimarket' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("aimarket")
    except PackageNotFoundError:  # running from a source tree without installation
        return "0.0.0"
