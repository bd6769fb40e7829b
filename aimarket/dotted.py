"""Dotted keys over scenario data: ``market.demand_growth_per_year``, ``labs.OpenAI.price``.

A dotted key addresses nested tables; an element of a list of named tables is addressed by its
``name`` (agents) or ``id`` (deals). Text values from the command line parse as TOML values.
"""

from __future__ import annotations

import tomllib
from typing import Any

from aimarket.errors import ScenarioError


def parse_value(value: Any) -> Any:
    """Parse a command-line string as a TOML value; keep bare words as strings."""
    if not isinstance(value, str):
        return value
    try:
        return tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        return value


def set_key(data: dict, key: str, value: Any, origin: str) -> None:
    """Set dotted ``key`` in ``data``; list elements are addressed by their name or id."""
    parts = key.split(".")
    node: Any = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            match = [
                x for x in node if isinstance(x, dict) and part in (x.get("name"), x.get("id"))
            ]
            if not match:
                raise ScenarioError(f"{origin}: {key}: no element named {part!r}")
            if last:
                raise ScenarioError(f"{origin}: {key}: cannot replace a whole element")
            node = match[0]
        elif isinstance(node, dict):
            if last:
                node[part] = parse_value(value)
            else:
                node = node.setdefault(part, {})
        else:
            raise ScenarioError(f"{origin}: {key}: {'.'.join(parts[:i])} is not a table")


def value_at(data: dict, key: str) -> Any:
    """The value at dotted ``key`` of scenario data (list elements by name or id), None if
    absent."""
    node: Any = data
    for part in key.split("."):
        if isinstance(node, list):
            named = (
                x for x in node if isinstance(x, dict) and part in (x.get("name"), x.get("id"))
            )
            node = next(named, None)
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            node = None
        if node is None:
            return None
    return node
