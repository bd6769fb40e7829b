"""The strategy registry: every strategy class by agent type and name.

Built-in strategy modules register their classes on import (``aimarket.strategies``); user code
registers with the ``register`` decorator (``aimarket.strategies.plugins``).
"""

from __future__ import annotations

from typing import Any

from aimarket.strategies import plugins
from aimarket.strategies.base import Strategy

AGENT_TYPES = ("hyperscaler", "lab", "chipmaker", "open_source", "regulator")
REGISTRY: dict[tuple[str, str], type[Strategy]] = {}


def register(cls: type[Strategy]) -> type[Strategy]:
    """Class decorator adding a strategy to the registry."""
    if cls.agent_type not in AGENT_TYPES:
        raise ValueError(f"{cls.__name__}: agent_type must be one of {AGENT_TYPES}")
    if not getattr(cls, "description", ""):
        raise ValueError(f"{cls.__name__}: a strategy needs a one-line description")
    known = REGISTRY.get((cls.agent_type, cls.name))
    if known is not None and _origin(known) != _origin(cls):
        raise ValueError(
            f"{cls.__name__}: {cls.agent_type} strategy {cls.name!r} is already registered "
            f"by {_origin(known)}"
        )
    REGISTRY[(cls.agent_type, cls.name)] = cls
    return cls


def _origin(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def names(agent_type: str) -> list[str]:
    """Registered strategy names of ``agent_type``, installed plugins included."""
    load_entry_points()
    return sorted(name for kind, name in REGISTRY if kind == agent_type)


def make(agent_type: str, name: str, params: dict[str, Any]) -> Strategy:
    """Instantiate a registered strategy; ``KeyError`` with a readable message if unknown."""
    if name == "default":
        name = DEFAULTS[agent_type]
    if (agent_type, name) not in REGISTRY:
        load_entry_points()
    try:
        cls = REGISTRY[(agent_type, name)]
    except KeyError:
        raise KeyError(
            f"unknown strategy {name!r} (known: {', '.join(names(agent_type))})"
        ) from None
    return cls(**params)


def load_entry_points() -> None:
    """Register the strategy classes installed packages declare as entry points (once)."""
    for cls in plugins.entry_point_strategies():
        register(cls)


#: Strategy each agent type plays when a scenario says ``default``.
DEFAULTS = {
    "hyperscaler": "capacity-planner",
    "lab": "balanced",
    "chipmaker": "merchant-seller",
    "open_source": "community-funded",
    "regulator": "threshold",
}
