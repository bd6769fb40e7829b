"""`aimarket strategies`: the registered strategies, one per line, name first."""

from __future__ import annotations

import argparse

from aimarket.errors import UserError
from aimarket.strategies import plugins
from aimarket.strategies.registry import AGENT_TYPES, REGISTRY


def listing(agent_type: str | None = None, long: bool = False) -> list[str]:
    """Lines ``name  agent_type  description`` (with ``long``: classifier and parameters too)."""
    if agent_type is not None and agent_type not in AGENT_TYPES:
        raise UserError(f"--type {agent_type}: expected one of {', '.join(AGENT_TYPES)}")
    lines = []
    for (kind, name), cls in sorted(
        REGISTRY.items(), key=lambda i: (AGENT_TYPES.index(i[0][0]), i[0][1])
    ):
        if agent_type not in (None, kind):
            continue
        lines.append(f"{name:24s} {kind:12s} {cls.description}")
        if long:
            lines.append(f"    class {cls.__module__}.{cls.__qualname__}")
            for key, value in cls.classifier.items():
                lines.append(f"    {key}: {value}")
            for key, p in cls.params.items():
                lines.append(
                    f"    param {key} = {p.default!r} [{p.unit}] {p.meaning}; {p.describe()}"
                )
    return lines


def _cmd(args: argparse.Namespace) -> int:
    print("\n".join(listing(args.type, args.long)))
    return 0


def register_cli(sub: argparse._SubParsersAction) -> None:
    """Add the `aimarket strategies` subcommand."""
    p = sub.add_parser(
        "strategies",
        description="One strategy per line: name, agent type, description.",
    )
    p.add_argument(
        "--type", metavar="TYPE", help=f"only this agent type ({', '.join(AGENT_TYPES)})"
    )
    p.add_argument(
        "--long", "--verbose", action="store_true", help="also classifier and parameters"
    )
    plugins.add_option(p)
    p.set_defaults(func=_cmd)
