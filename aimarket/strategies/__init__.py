"""Strategies: protocol (``base``), registry (``registry``), built-ins (one module per agent type),
the ``roth-erev`` learner, user plugins and the conformance suite.

Built-in strategies register themselves on import of this package. User strategies register with
the ``register`` decorator from Python code the user loads explicitly (``aimarket.strategies.plugins``:
entry points and ``--plugin``); scenario text only names strategies and never executes code.
"""

from __future__ import annotations

from aimarket.strategies import (  # built-ins register on import
    chipmaker,
    hyperscaler,
    lab,
    learning,
    open_source,
    regulator,
)
from aimarket.strategies.base import ParamError, Strategy
from aimarket.strategies.registry import AGENT_TYPES, DEFAULTS, REGISTRY, make, names, register

learning.register_learners()  # last: their default menus list every built-in

__all__ = [
    "AGENT_TYPES",
    "DEFAULTS",
    "REGISTRY",
    "ParamError",
    "Strategy",
    "chipmaker",
    "hyperscaler",
    "lab",
    "make",
    "names",
    "open_source",
    "register",
    "regulator",
]
