"""Write the calibrated-parameter tables of docs/calibration.md from the scenario files' comments.

    python docs/gen_calibration.py          # rewrite the block in docs/calibration.md
    python docs/gen_calibration.py --print  # print it instead

Every value line of ``scenarios/baseline.toml`` and ``scenarios/history-2019.toml`` that carries
a comment becomes a row: dotted key, value, unit (from the schema, or the strategy's ``Param``),
source, confidence and what was assumed. The comment decides the rest:

- ``CALIBRATED ...``: confidence ``fitted``, the comment is the source;
- ``DEFINITION: ...``: confidence ``definition`` (a unit choice or a structural fact);
- ``ASSUMPTION: ...`` (leading): confidence ``assumed``, the rest says what was assumed;
- a source that mentions ``ASSUMPTION`` further on: ``assumed``, the comment is the source;
- otherwise the comment is the source and the confidence is the label of the first reference row
  it cites (``deals.csv D013``, ``regulation.csv R005``, ``scale.csv parameter[/period]``,
  ``shares.csv metric/.../entity/period``) in ``../shared/reference/``.

An uncommented value line inside an ``[[events]]`` element takes its ``id`` line's comment (the
deal's reference row). The block sits between ``<!-- calibration:begin -->`` and
``<!-- calibration:end -->``; a test regenerates it and fails when docs/calibration.md is stale.
"""

from __future__ import annotations

import csv
import json
import re
import sys
import tomllib
from functools import cache
from pathlib import Path

from aimarket import scenario as s
from aimarket.generated import replace_block
from aimarket.strategies import make

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "calibration.md"
REFERENCE = ROOT.parent / "shared" / "reference"
SCENARIOS = {
    "baseline": "baseline (start of 2024)",
    "history-2019": "history-2019 (mid-2019, the calibration window)",
}
ARRAYS = {
    "hyperscalers": s.Hyperscaler,
    "labs": s.Lab,
    "chipmakers": s.Chipmaker,
    "open_source": s.OpenSource,
    "regulators": s.Regulator,
    "deals": s.InitialDeal,
    "events": s.Event,
}
TABLES = {"technology": s.Technology, "market": s.Market, "monopoly": s.Monopoly}
TABLES["regime"] = s.Regime
AGENT_TYPE = {"hyperscalers": "hyperscaler", "labs": "lab", "chipmakers": "chipmaker"}
AGENT_TYPE |= {"open_source": "open_source", "regulators": "regulator"}
IDENTITY = {"name", "id", "description", "question", "start", "ticks", "extends", "month", "type"}
IDENTITY |= {"kind", "investor", "target", "strategy"}
CITATION = re.compile(r"\b(deals|regulation|scale|shares)\.csv:? ([^\s,;()]+)")
UNIT = re.compile(r"^\[([^\]]*)\]")
HEADER = "| scenario | parameter | value | unit | source | confidence | assumed |\n" + "|---|" * 7


@cache
def reference(name: str) -> list[dict[str, str]]:
    with (REFERENCE / f"{name}.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def confidence_of(comment: str) -> str:
    """The confidence label of the first reference row ``comment`` cites ('' if none)."""
    for file, token in CITATION.findall(comment):
        parts = token.rstrip(":.").split("/")
        rows = reference(file)
        if file in ("deals", "regulation"):
            key = "deal_id" if file == "deals" else "reg_id"
            rows = [r for r in rows if r[key] == parts[0]]
        else:
            rows = [r for r in rows if r["metric" if file == "shares" else "parameter"] == parts[0]]
            rows = [r for r in rows if r["period"] == parts[-1]] or rows
            rows = [r for r in rows if r["entity"] in parts] or rows
        if rows:
            return rows[0]["confidence"].split("-")[0]  # 'medium-high' -> 'medium'
    return ""


def unit_of(section: str, agent: dict, key: str) -> str:
    """Unit of ``key`` in a scenario table (strategy params: the agent's strategy's Param)."""
    field, _, inner = key.partition(".")
    if field == "strategy_params":
        strategy = make(AGENT_TYPE[section], agent.get("strategy", "default"), {})
        return strategy.params[inner].unit
    model = ARRAYS.get(section) or TABLES[section]
    match = UNIT.match(model.model_fields[field].description or "")
    return match.group(1) if match else ""


def _fmt(value: object) -> str:
    return json.dumps(value) if isinstance(value, str | list) else str(value)


def _row(name: str, key: str, value: object, unit: str, comment: str) -> str:
    if comment.startswith("CALIBRATED"):
        source, confidence, assumed = comment, "fitted", "-"
    elif comment.startswith("DEFINITION"):
        source, confidence, assumed = (
            comment.removeprefix("DEFINITION").lstrip(" :"),
            "definition",
            "-",
        )
    elif comment.startswith("ASSUMPTION"):
        rest = comment.removeprefix("ASSUMPTION").lstrip(" :")
        source, confidence, assumed = "-", "assumed", rest or "no source"
    elif "ASSUMPTION" in comment:
        source, confidence, assumed = comment, "assumed", "see source"
    else:
        source, confidence, assumed = comment, confidence_of(comment), "-"
        if not confidence:
            raise ValueError(f"{name}: {key}: source cites no reference row: {comment!r}")
    cells = [name, f"`{key}`", _fmt(value), unit or "-", source, confidence, assumed]
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def rows(name: str) -> list[str]:
    """One table row per commented value line of ``scenarios/<name>.toml``, in file order."""
    out: list[str] = []
    section, agent, element_comment = "", {}, ""
    lines = (ROOT / "scenarios" / f"{name}.toml").read_text(encoding="utf-8").splitlines()
    for line in lines:
        if header := re.match(r"^\[\[?([\w.]+)\]\]?", line):
            section, agent, element_comment = header.group(1), {}, ""
            continue
        code, _, comment = line.partition(" #")
        if not code.strip() or code.lstrip().startswith("#"):
            continue
        parsed = tomllib.loads(code)
        agent.update(parsed)
        ((key, value),) = parsed.items()
        comment = comment.strip()
        if key in ("name", "id"):
            element_comment = comment
            continue
        if key in IDENTITY or section not in (*ARRAYS, *TABLES):
            continue
        comment = comment or (element_comment if section == "events" else "")
        if not comment:
            continue
        label = agent.get("name") or agent.get("id")
        prefix = f"{section}.{label}" if section in ARRAYS else section
        flat = (
            {f"{key}.{k}": v for k, v in value.items()} if isinstance(value, dict) else {key: value}
        )
        for k, v in flat.items():
            out.append(_row(name, f"{prefix}.{k}", v, unit_of(section, agent, k), comment))
    return out


def tables() -> str:
    parts = [f"### {title}\n\n{HEADER}\n" + "\n".join(rows(n)) for n, title in SCENARIOS.items()]
    return "\n\n".join(parts) + "\n"


def with_tables(text: str) -> str:
    """``text`` (docs/calibration.md) with the generated block replaced by the current tables."""
    return replace_block(text, "calibration", tables().removesuffix("\n"))


def main() -> None:
    if "--print" in sys.argv[1:]:
        print(tables())
    else:
        DOC.write_text(with_tables(DOC.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()
