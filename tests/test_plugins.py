"""User strategies: plugin files and modules, entry points, listing, batches in worker processes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from aimarket import strategies
from aimarket.cli import main
from aimarket.errors import UserError
from aimarket.scenario import load_scenario
from aimarket.store import read_manifest, read_outcomes
from aimarket.strategies import plugins
from aimarket.strategies.conformance import check

PLUGIN = Path(__file__).parent / "plugins" / "steady.py"


def fails_with_one_line(capsys, *args: str) -> str:
    """Run the command in this process; it must exit 2 with a one-line error."""
    assert main(list(args)) == 2
    err = capsys.readouterr().err
    assert err.startswith("aimarket: error:") and len(err.strip().splitlines()) == 1
    return err


def test_a_plugin_file_registers_its_strategies_once():
    names = plugins.load([str(PLUGIN)])
    assert names == [str(PLUGIN.resolve())]
    assert {"test-steady", "test-wasteful"} <= set(strategies.names("hyperscaler"))
    first = strategies.REGISTRY[("hyperscaler", "test-steady")]
    plugins.load([str(PLUGIN), str(PLUGIN)])
    assert strategies.REGISTRY[("hyperscaler", "test-steady")] is first
    check(first, ticks=12)


def test_plugin_modules_and_entry_points(tmp_path, monkeypatch):
    (tmp_path / "ep_strategy.py").write_text(
        "from aimarket.strategies.base import OpenSourceDecision, Strategy\n"
        "class Hoarder(Strategy):\n"
        "    name = 'test-hoarder'\n"
        "    agent_type = 'open_source'\n"
        "    description = 'spends nothing'\n"
        "    def decide(self, obs, rng):\n"
        "        return OpenSourceDecision()\n"
    )
    (tmp_path / "module_strategy.py").write_text(
        "from aimarket.strategies import register\n"
        "import ep_strategy\n"
        "@register\n"
        "class Hoarder2(ep_strategy.Hoarder):\n"
        "    name = 'test-hoarder-2'\n"
    )
    dist = tmp_path / "aimarket_test_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: aimarket-test-plugin\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text("[aimarket.strategies]\nhoarder = ep_strategy:Hoarder\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(plugins, "_entry_points_loaded", False)
    with pytest.raises(UserError, match="unknown strategy 'test-hoarder'"):  # not asked for
        load_scenario("baseline", {"open_source.OpenWeights.strategy": "test-hoarder"})
    assert "ep_strategy" not in sys.modules
    assert plugins.load(["entry-points"]) == ["entry-points"]
    scenario = load_scenario("baseline", {"open_source.OpenWeights.strategy": "test-hoarder"})
    assert scenario.data["open_source"][0]["strategy"] == "test-hoarder"
    assert plugins.load(["module_strategy"]) == ["module_strategy"]
    assert "test-hoarder-2" in strategies.names("open_source")


def test_bad_plugins_are_one_line_errors(tmp_path, capsys):
    broken = tmp_path / "broken.py"
    broken.write_text("raise RuntimeError('boom')\n")
    clash = tmp_path / "clash.py"
    clash.write_text(
        "from aimarket.strategies import register\n"
        "from aimarket.strategies.hyperscaler import CapacityPlanner\n"
        "@register\n"
        "class Mine(CapacityPlanner):\n"
        "    pass\n"
    )
    with pytest.raises(UserError, match="RuntimeError: boom"):
        plugins.load([str(broken)])
    with pytest.raises(UserError, match="already registered"):
        plugins.load([str(clash)])
    with pytest.raises(UserError, match="no such file"):
        plugins.load([str(tmp_path / "missing.py")])
    with pytest.raises(UserError, match="ModuleNotFoundError"):
        plugins.load(["no_such_module_anywhere"])
    fails_with_one_line(capsys, "strategies", "--plugin", str(broken))
    fails_with_one_line(capsys, "validate", "symmetric", "--plugin", "no_such_module_anywhere")
    fails_with_one_line(capsys, "strategies", "--type", "bank")


def test_strategies_lists_one_per_line_name_first(capsys):
    assert main(["strategies", "--plugin", str(PLUGIN)]) == 0
    lines = capsys.readouterr().out.splitlines()
    first = {line.split()[0]: line.split()[1] for line in lines}
    assert first["capacity-planner"] == "hyperscaler" and first["test-steady"] == "hyperscaler"
    assert first["threshold"] == "regulator"
    assert main(["strategies", "--type", "regulator", "--long"]) == 0
    out = capsys.readouterr().out
    assert "param hhi_high = 1800.0 [HHI points]" in out
    assert "capacity-planner" not in out


def test_a_batch_in_two_processes_loads_the_plugin_and_records_it(tmp_path, capsys):
    out = tmp_path / "b"
    args = ["batch", "symmetric", "-r", "2", "--jobs", "2", "--ticks", "6", "--seed", "3"]
    args += ["--sweep", "hyperscalers.CloudA.strategy=test-steady,test-wasteful"]
    assert main([*args, "--plugin", str(PLUGIN), "--out", str(out)]) == 0, capsys.readouterr()
    assert "batch: 4/4 runs (100%)" in capsys.readouterr().err  # its progress lines
    table = read_outcomes(out)
    assert (table["status"] == "ok").all() and len(table) == 4
    assert read_manifest(out)["plugins"] == [str(PLUGIN.resolve())]
    steady, wasteful = (
        table[table["hyperscalers.CloudA.strategy"] == s].set_index("replication")["payoff.CloudA"]
        for s in ("test-steady", "test-wasteful")
    )
    assert (steady - wasteful).round(9).tolist() == [3.0, 3.0]  # 6 months x 0.5 USD bn
    resume = [*args, "--resume", "--out", str(out)]
    assert "the plugins differ" in fails_with_one_line(capsys, *resume)
    assert main([*resume, "--plugin", str(PLUGIN)]) == 0


def test_an_unknown_strategy_is_a_one_line_error(tmp_path, capsys):
    out = tmp_path / "r"
    args = ["run", "symmetric", "--set", "hyperscalers.CloudA.strategy=nobody", "--out", str(out)]
    assert "unknown strategy 'nobody'" in fails_with_one_line(capsys, *args)
    assert not out.exists()


QUITTER = """
import os
import sys

from aimarket.strategies import register
from aimarket.strategies.base import Param
from aimarket.strategies.hyperscaler import CapacityPlanner


@register
class Quitter(CapacityPlanner):
    name = "test-quitter"
    description = "plans capacity, then leaves the process in month 5 as told"
    params = {
        **CapacityPlanner.params,
        "how": Param("stay", "-", "how to leave", choices=("stay", "exit", "interrupt", "die")),
    }

    def decide(self, obs, rng):
        if obs.public.tick == 5:
            if self.p["how"] == "exit":
                sys.exit(3)
            if self.p["how"] == "interrupt":
                raise KeyboardInterrupt
            if self.p["how"] == "die":
                os._exit(4)
        return super().decide(obs, rng)
"""


@pytest.fixture(scope="module")
def quitter(tmp_path_factory) -> Path:
    plugin = tmp_path_factory.mktemp("plugin") / "quitter.py"
    plugin.write_text(QUITTER)
    return plugin


@pytest.mark.parametrize(
    ("jobs", "hows"), [("1", ["stay", "exit"]), ("2", ["stay", "exit", "interrupt", "die"])]
)
def test_user_code_leaving_the_process_fails_its_runs_not_the_batch(tmp_path, quitter, jobs, hows):
    plugin = quitter
    out = tmp_path / "b"
    args = ["batch", "baseline", "-r", "2", "--ticks", "8", "--jobs", jobs, "--seed", "1"]
    args += ["--set", "hyperscalers.AWS.strategy=test-quitter", "--plugin", str(plugin)]
    args += ["--sweep", f"hyperscalers.AWS.strategy_params.how={','.join(hows)}", "--out", str(out)]
    assert main(args) == 1
    table = read_outcomes(out)
    errors = dict(zip(table["hyperscalers.AWS.strategy_params.how"], table["error"], strict=False))
    assert list(table["status"]) == ["ok"] * 2 + ["failed"] * (2 * len(hows) - 2)
    assert errors["exit"] == "SystemExit: 3"
    if "die" in hows:
        assert errors["interrupt"] == "KeyboardInterrupt: "
        assert errors["die"].startswith("worker process died")
    manifest = read_manifest(out)
    assert manifest["status"] == "complete" and manifest["counts"]["failed"] == 2 * len(hows) - 2
