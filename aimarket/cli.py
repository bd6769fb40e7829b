"""The `aimarket` command. Each subcommand is registered by the module that owns its concept."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from aimarket import __version__
from aimarket.errors import UserError

Register = Callable[[argparse._SubParsersAction], None]


def _registrations() -> list[Register]:
    """Subcommand registrations, one per owning module (imported lazily to keep start-up fast)."""
    from aimarket import batch, simulation, tournament
    from aimarket.analysis import cli as analysis_cli
    from aimarket.strategies import cli as strategies_cli

    return [
        simulation.register_cli,
        batch.register_cli,
        tournament.register_cli,
        strategies_cli.register_cli,
        analysis_cli.register_cli,
    ]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aimarket", description="Agent-based strategic game simulator of the AI industry."
    )
    parser.add_argument("--version", action="version", version=f"aimarket {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in _registrations():
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse arguments, run the command, turn user mistakes into exit code 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
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
