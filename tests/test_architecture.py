"""The package's shape: no import cycles, and the Mesa idioms the model promises."""

from __future__ import annotations

import ast
from pathlib import Path

import mesa
import pandas as pd
import pytest

from aimarket.model import AIMarket

PACKAGE = Path(__file__).resolve().parent.parent / "aimarket"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> package modules it imports anywhere (top level, in functions, under
    TYPE_CHECKING); ``from pkg import name`` counts as importing ``pkg.name`` when that is a
    module, else ``pkg``."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges: set[str] = set()
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                    base = f"{base}.{node.module}" if node.module else base
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                           for a in node.names]  # fmt: skip
            else:
                continue
            edges.update(t for t in targets if t in modules and t != name)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules, or None (depth-first search)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_package_has_no_import_cycle():
    assert find_cycle(import_graph()) is None


def test_the_cycle_finder_finds_cycles_including_imports_inside_functions(tmp_path):
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    graph = import_graph()
    assert "aimarket.agents.base" in graph["aimarket.agents.lab"]
    assert "aimarket.information" in graph["aimarket.agents.lab"]  # under TYPE_CHECKING


def test_mesa_batch_run_sweeps_a_dotted_scenario_key_on_the_plain_model_class():
    rows = mesa.batch_run(
        AIMarket,
        parameters={
            "scenario": ["symmetric"],
            "overrides": [{"market.demand_growth_per_year": g} for g in (1.5, 6.0)],
        },
        rng=[1, 2],
        max_steps=12,
        number_processes=1,
        data_collection_period=-1,
        display_progress=False,
    )
    assert len(rows) == 4  # 2 settings x 2 seeds, last step only
    for row in rows:
        assert row["Step"] == 12
        assert {"hhi_cloud", "bloc_hhi_models", "compute_price", "consumer_surplus"} <= set(row)
    usage = {
        (row["overrides"]["market.demand_growth_per_year"], row["rng"]): row["usage_units"]
        for row in rows
    }
    assert usage[(6.0, 1)] > usage[(1.5, 1)] and usage[(6.0, 2)] > usage[(1.5, 2)]
    assert usage[(1.5, 1)] != usage[(1.5, 2)]  # the seed reaches the demand path


def test_running_turns_false_at_the_horizon_and_steps_is_the_clock():
    model = AIMarket("symmetric", overrides={"ticks": 5}, rng=3)
    model.run_model()  # returns because ``running`` turns False
    assert model.steps == 5 and not model.running
    ticks = model.datacollector.get_model_vars_dataframe()["tick"].tolist()
    assert ticks == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("detail", [False, True])
def test_the_datacollector_is_the_one_recorder(detail):
    model = AIMarket("symmetric", rng=1, detail=detail)
    for _ in range(3):
        model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    assert frame.equals(pd.DataFrame(model.rows)) and len(frame) == 3
    agents = model.agent_rows
    if detail:
        assert len(agents) == 3 * len(model.firms) and {r["type"] for r in agents} <= {
            "hyperscaler",
            "lab",
            "chipmaker",
            "open_source",
        }
    else:
        assert agents == []
