"""Strategy registry: every strategy by agent type and name.

Built-in strategies register themselves on import of this package. User strategies register with
the ``register`` decorator from Python code the user loads explicitly (``aimarket.strategies.plugins``:
``--plugin`` modules, files or ``entry-points``); scenario text only names strategies and never executes code.
"""

from __future__ import annotations

from typing import Any

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
    """Registered strategy names of ``agent_type`` (built in and loaded plugins)."""
    return sorted(name for kind, name in REGISTRY if kind == agent_type)


def make(agent_type: str, name: str, params: dict[str, Any]) -> Strategy:
    """Instantiate a registered strategy; ``KeyError`` with a readable message if unknown."""
    if name == "default":
        name = DEFAULTS[agent_type]
    try:
        cls = REGISTRY[(agent_type, name)]
    except KeyError:
        raise KeyError(
            f"unknown strategy {name!r} (known: {', '.join(names(agent_type))})"
        ) from None
    return cls(**params)


from aimarket.strategies import (  # noqa: E402  (built-ins register on import)
    chipmaker,
    hyperscaler,
    lab,
    learning,
    open_source,
    regulator,
)

learning.register_learners()  # last: their default menus list every built-in

DEFAULTS = {
    "hyperscaler": hyperscaler.CapacityPlanner.name,
    "lab": lab.Balanced.name,
    "chipmaker": chipmaker.MerchantSeller.name,
    "open_source": open_source.CommunityFunded.name,
    "regulator": regulator.ThresholdBased.name,
}
__all__ = ["AGENT_TYPES", "DEFAULTS", "REGISTRY", "Strategy", "make", "names", "register"]
