"""Strict JSON: every JSON file aimarket writes parses with any JSON parser.

Non-finite floats (NaN, the model's marker of an undefined value) are written as ``null``;
``NaN`` and ``Infinity`` never appear.
"""

from __future__ import annotations

import json
import math
from typing import Any


def defined(value: Any) -> Any:
    """``value`` with every non-finite float inside (dicts, lists, tuples) replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: defined(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [defined(v) for v in value]
    return value


def dumps(data: Any, indent: int | None = None) -> str:
    """Strict JSON text of ``data`` (non-finite floats as null, other objects as strings)."""
    return json.dumps(defined(data), indent=indent, allow_nan=False, default=str)
