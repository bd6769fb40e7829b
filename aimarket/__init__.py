"""aimarket: an agent-based strategic game simulator of the AI industry."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("aimarket")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"
