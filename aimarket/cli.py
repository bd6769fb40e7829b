"""The `aimarket` command. Each subcommand is registered by the module that owns its concept.

Start-up stays instant: ``--help`` and ``--version`` import no subcommand module, and a
subcommand imports only its own module (``COMMANDS``), which defers heavy imports (pandas,
matplotlib, SALib, scikit-learn, Mesa) to the functions that need them.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from aimarket.errors import UserError

#: Subcommand → (module whose ``register_cli`` adds it, one-line help in ``aimarket --help``).
COMMANDS: dict[str, tuple[str, str]] = {
    "scenarios": ("aimarket.scenario_files", "list the scenarios in scenarios/"),
    "validate": ("aimarket.batch", "check scenario files"),
    "run": ("aimarket.simulation", "run one scenario and write its outputs"),
    "explore": ("aimarket.explore", "watch one run unfold in the browser (SolaraViz)"),
    "batch": ("aimarket.batch", "run a scenario many times over a design into a run store"),
    "tournament": (
        "aimarket.tournament",
        "strategy profiles for a role over common seeds: payoffs, ranking, stability",
    ),
    "strategies": (
        "aimarket.strategies.cli",
        "list registered strategies (built-in and user plugins)",
    ),
    "analyze": ("aimarket.analysis.cli", "statistics, figures and an HTML report of a run store"),
    "compare": (
        "aimarket.analysis.cli",
        "outcome differences between two run stores or two settings of one",
    ),
}

log = logging.getLogger("aimarket")


class _Version(argparse.Action):
    """``--version``: looks the version up only when asked."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        import aimarket

        print(f"aimarket {aimarket.__version__}")
        parser.exit()


def _command_of(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv`` (the first word not starting with ``-``), if known."""
    word = next((a for a in argv if not a.startswith("-")), None)
    return word if word in COMMANDS else None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of ``command`` (its module's subcommands with all their options); without a
    known command, every subcommand by name and help only, importing no subcommand module."""
    parser = argparse.ArgumentParser(
        prog="aimarket", description="Agent-based strategic game simulator of the AI industry."
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument(
        "-q", "--quiet", action="store_true", help="only warnings and errors on stderr"
    )
    verbosity.add_argument("-v", "--verbose", action="store_true", help="also debug messages")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    if command is not None:
        importlib.import_module(COMMANDS[command][0]).register_cli(sub)
    else:
        for name, (_, text) in COMMANDS.items():
            sub.add_parser(name, help=text, add_help=False)
    return parser


def configure_logging(quiet: bool = False, verbose: bool = False) -> None:
    """Messages of the ``aimarket`` loggers (progress, stages) to stderr, one line each."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse arguments, run the command, turn user mistakes into exit code 2."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        parser = build_parser(_command_of(argv))
    except ModuleNotFoundError as err:  # e.g. the system python3 outside the project's .venv
        print(
            f"aimarket: error: missing dependency {err.name!r} for {sys.executable}; activate "
            "the project's environment (source .venv/bin/activate) or pip install -e .",
            file=sys.stderr,
        )
        return 2
    args = parser.parse_args(argv)
    configure_logging(args.quiet, args.verbose)
    try:
        if getattr(args, "plugin", None):
            from aimarket.strategies import plugins

            args.plugin = plugins.load(args.plugin)
        return int(args.func(args) or 0)
    except UserError as err:
        print(f"aimarket: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("aimarket: interrupted", file=sys.stderr)
        return 130
