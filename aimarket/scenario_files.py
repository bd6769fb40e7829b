"""Scenario files as TOML: where the shipped ones live, reading a file with its ``extends`` chain,
and ``aimarket scenarios``.

Kept free of the schema (``aimarket.scenario``: pydantic, the strategy registry, numpy) so that
listing the scenarios starts instantly: the listing reads each file's name and one-line
``description`` only; ``aimarket validate`` checks a file against the schema.
"""

from __future__ import annotations

import argparse
import copy
import tomllib
from pathlib import Path
from typing import Any

from aimarket.errors import ScenarioError

# The shipped scenarios: top-level scenarios/ of a source checkout, else the copy in the wheel.
_CHECKOUT_SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
SCENARIO_DIR = (
    _CHECKOUT_SCENARIOS
    if _CHECKOUT_SCENARIOS.is_dir()
    else Path(__file__).resolve().parent / "scenarios"
)
MAX_FILE_BYTES = 2_000_000  # a scenario file
MAX_DEPTH = 8  # nesting of tables and arrays (a scenario needs 5)


def _merge(parent: Any, child: Any) -> Any:
    """Deep-merge ``child`` onto ``parent``; lists of named tables merge on ``name``/``id``."""
    if isinstance(parent, dict) and isinstance(child, dict):
        out = dict(parent)
        for key, value in child.items():
            out[key] = _merge(parent[key], value) if key in parent else copy.deepcopy(value)
        return out
    if isinstance(parent, list) and isinstance(child, list) and _named(parent) and _named(child):
        key = _name_key(child[0])
        out = [copy.deepcopy(p) for p in parent]
        index = {p.get(key): i for i, p in enumerate(out)}
        for item in child:
            if item.get(key) in index:
                out[index[item[key]]] = _merge(out[index[item[key]]], item)
            else:
                out.append(copy.deepcopy(item))
        return out
    return copy.deepcopy(child)


def _name_key(item: dict) -> str:
    return "name" if "name" in item else "id"


def _named(items: list) -> bool:
    return bool(items) and all(isinstance(i, dict) and ("name" in i or "id" in i) for i in items)


def _resolve_path(source: str | Path) -> Path:
    path = Path(source)
    if path.suffix != ".toml" and not path.exists():
        path = _inside(SCENARIO_DIR, str(source)) or Path(f"{source}.toml")
    if not path.is_file():
        raise ScenarioError(f"{source}: (file): no such scenario file")
    return path


def _inside(folder: Path, name: str) -> Path | None:
    """``folder/NAME.toml`` if it is a file inside ``folder`` (subfolders allowed), else None."""
    root = folder.resolve()
    candidate = (root / f"{name}.toml").resolve()
    return candidate if candidate.is_relative_to(root) and candidate.is_file() else None


def _depth(data: Any) -> int:
    """Nesting depth of tables and arrays (iterative: hostile input cannot exhaust the stack)."""
    deepest, stack = 0, [(data, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth <= MAX_DEPTH:
            children = node.values() if isinstance(node, dict) else node
            if isinstance(node, dict | list):
                stack.extend((child, depth + 1) for child in children)
    return deepest


def _read(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    """Read a TOML file (size and nesting limited) and resolve its ``extends`` chain."""
    if path in seen:
        raise ScenarioError(f"{path}: extends: circular inheritance")
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ScenarioError(f"{path}: (file): larger than {MAX_FILE_BYTES:,} bytes")
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{path}: (syntax): {err}") from None
    except RecursionError:
        raise ScenarioError(f"{path}: (syntax): nested too deeply") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(f"{path}: (file): {err}") from None
    if _depth(data) > MAX_DEPTH:
        raise ScenarioError(f"{path}: (syntax): tables and arrays nested deeper than {MAX_DEPTH}")
    parent_name = data.get("extends")
    if parent_name is None:
        return data
    if not isinstance(parent_name, str) or not parent_name:
        raise ScenarioError(f"{path}: extends: must be a scenario name")
    parent_path = _inside(path.parent, parent_name) or _inside(SCENARIO_DIR, parent_name)
    if parent_path is None:
        raise ScenarioError(
            f"{path}: extends: no scenario {parent_name!r} in this file's folder (or below it)"
            f" or in {SCENARIO_DIR}"
        )
    merged = _merge(_read(parent_path, (*seen, path)), data)
    for key in ("description", "question", "sweep"):  # not inherited: they describe the child
        if key in data:
            merged[key] = copy.deepcopy(data[key])
        else:
            merged.pop(key, None)
    return merged


def list_scenarios(directory: Path = SCENARIO_DIR) -> list[tuple[str, str]]:
    """(name, one-line description) of every scenario file in ``directory``; ``INVALID: ...``
    for a file that cannot be read (syntax, size, nesting, ``extends``). The schema is not
    checked here (``aimarket validate`` does)."""
    out = []
    for path in sorted(directory.glob("*.toml")):
        try:
            description = _read(path).get("description", "")
        except ScenarioError as err:
            description = f"INVALID: {err}"
        out.append((path.stem, description if isinstance(description, str) else ""))
    return out


def _cmd_scenarios(args: argparse.Namespace) -> int:
    for name, description in list_scenarios():
        print(f"{name:22s} {description}")
    return 0


def register_cli(sub: argparse._SubParsersAction) -> None:
    """Add the `aimarket scenarios` subcommand."""
    lst = sub.add_parser("scenarios", help="list the shipped scenarios")
    lst.set_defaults(func=_cmd_scenarios)
