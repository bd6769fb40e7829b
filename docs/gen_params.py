"""Write the scenario parameter tables (markdown) from the pydantic schema into docs/ODD.md.

    python docs/gen_params.py          # rewrite the block in docs/ODD.md
    python docs/gen_params.py --print  # print it instead

The block sits between the markers ``<!-- params:begin -->`` and ``<!-- params:end -->``; a test
regenerates it and fails when docs/ODD.md is stale. Each row gives the dotted key
(``[]`` marks an element of a list of named tables), the default, the unit and the meaning, both
taken from the field's description ``"[unit] meaning"``; then one table per built-in
strategy from its declared ``params`` (with type and bounds).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from aimarket import scenario as s
from aimarket.generated import replace_block

SECTIONS: list[tuple[str, type[BaseModel]]] = [
    ("", s.ScenarioSpec),
    ("technology", s.Technology),
    ("market", s.Market),
    ("monopoly", s.Monopoly),
    ("regime", s.Regime),
    ("hyperscalers[]", s.Hyperscaler),
    ("labs[]", s.Lab),
    ("chipmakers[]", s.Chipmaker),
    ("open_source[]", s.OpenSource),
    ("regulators[]", s.Regulator),
    ("deals[]", s.InitialDeal),
    ("events[]", s.Event),
    ("shocks[]", s.Shock),
]
NESTED = {"technology", "market", "monopoly", "regime", "hyperscalers", "labs", "chipmakers"}
NESTED |= {"open_source", "regulators", "deals", "events", "shocks"}
UNIT = re.compile(r"^\[([^\]]*)\]\s*(.*)$", re.S)


def _default(field) -> str:
    if field.is_required():
        return "(required)"
    value = field.default
    if value is PydanticUndefined:
        return ""
    if value is None:
        return "none"
    if isinstance(value, str):
        return f'"{value}"' if value else '""'
    if isinstance(value, bool):
        return str(value).lower()
    return str(value).replace("'", '"')


def table(prefix: str, model: type[BaseModel]) -> str:
    lines = ["| key | default | unit | meaning |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        if not prefix and name in NESTED:
            continue
        key = f"{prefix}.{name}" if prefix else name
        match = UNIT.match(" ".join((field.description or "").split()))
        unit, meaning = match.groups() if match else ("", field.description or "")
        meaning = meaning.replace("|", "\\|")
        lines.append(f"| `{key}` | {_default(field)} | {unit} | {meaning} |")
    return "\n".join(lines)


def strategy_tables() -> list[str]:
    """One table per registered built-in strategy, from its declared ``params``."""
    from aimarket.strategies import REGISTRY

    parts = []
    for (agent_type, name), cls in sorted(REGISTRY.items()):
        if not cls.__module__.startswith("aimarket.strategies."):
            continue  # user plugins are not part of the model description
        lines = [
            f"#### strategy `{name}` ({agent_type}): {cls.description}",
            "",
            "| strategy_params key | default | type and bounds | unit | meaning |",
            "|---|---|---|---|---|",
        ]
        for key, param in cls.params.items():
            default = param.default
            if isinstance(default, bool):
                default = str(default).lower()
            elif isinstance(default, list | str):
                default = json.dumps(default)  # as written in a scenario file
            kind = param.describe()
            lines.append(f"| `{key}` | {default} | {kind} | {param.unit} | {param.meaning} |")
        parts.append("\n".join(lines))
    return parts


ODD = Path(__file__).with_name("ODD.md")


def tables() -> str:
    parts = []
    for prefix, model in SECTIONS:
        title = prefix or "top level"
        parts.append(f"#### `{title}` ({model.__name__})\n\n{table(prefix, model)}")
    parts += strategy_tables()
    return "\n\n".join(parts)


def with_tables(text: str) -> str:
    """``text`` (docs/ODD.md) with the generated block replaced by the current tables."""
    return replace_block(text, "params", tables())


def main() -> None:
    if "--print" in sys.argv[1:]:
        print(tables())
    else:
        ODD.write_text(with_tables(ODD.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()
