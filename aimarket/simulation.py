"""One run of a scenario: ``simulate`` returns a ``RunResult``; ``write_run`` saves its folder.

Also the single-run commands: ``aimarket run``, ``aimarket validate``, ``aimarket scenarios``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aimarket
from aimarket.errors import UserError
from aimarket.scenario import list_scenarios, load_scenario
from aimarket.strategies import plugins

if TYPE_CHECKING:
    from aimarket.scenario import Scenario


@dataclass
class RunResult:
    """What one run produced. ``agents`` and ``ledger`` are filled only with ``detail``."""

    scenario: str
    seed: int
    outcome: dict[str, Any]
    timeseries: list[dict]
    events: list[dict]
    agents: list[dict] = field(default_factory=list)
    ledger: list[tuple] = field(default_factory=list)


def simulate(
    scenario: Scenario, seed: int, *, ticks: int | None = None, detail: bool = False
) -> RunResult:
    """Run ``scenario`` for ``ticks`` months (default: the scenario's horizon) with ``seed``."""
    from aimarket.model import AIMarket

    model = AIMarket(scenario, rng=seed, detail=detail)
    for _ in range(scenario.ticks if ticks is None else ticks):
        model.step()
    return RunResult(
        scenario=scenario.name,
        seed=seed,
        outcome=model.outcome(),
        timeseries=model.rows,
        events=model.events.rows,
        agents=model.agent_rows,
        ledger=model.ledger.rows,
    )


def write_run(result: RunResult, scenario: Scenario, out: Path) -> None:
    """Write a run folder atomically: built in a temporary sibling, then renamed into place."""
    import pandas as pd

    out = Path(out)
    if out.exists():
        raise UserError(f"{out}: output folder exists; choose another --out or remove it")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        pd.DataFrame(result.timeseries).to_parquet(tmp / "timeseries.parquet", index=False)
        pd.DataFrame(result.agents).to_parquet(tmp / "agents.parquet", index=False)
        pd.DataFrame(
            result.events,
            columns=["tick", "date", "kind", "deal_id", "agent", "counterparty", "cause", "value"],
        ).to_parquet(tmp / "events.parquet", index=False)
        pd.DataFrame(
            result.ledger, columns=["tick", "source", "target", "amount", "kind"]
        ).to_parquet(tmp / "ledger.parquet", index=False)
        summary = {
            "outcome": result.outcome,
            "scenario": scenario.name,
            "scenario_hash": scenario.content_hash,
            "scenario_data": scenario.data,
            "seed": result.seed,
            "ticks": len(result.timeseries),
            "version": aimarket.__version__,
        }
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def parse_sets(pairs: list[str]) -> dict[str, str]:
    """``KEY=VALUE`` strings from ``--set`` into a dict (values parsed later as TOML)."""
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--set {pair}: expected KEY=VALUE")
        out[key.strip()] = value.strip()
    return out


def summary_lines(result: RunResult) -> list[str]:
    o = result.outcome
    first = o["first_breakdown_tick"]
    return [
        f"scenario {result.scenario}, seed {result.seed}, {o['ticks']} months",
        f"regime: {o['regime']}"
        + (
            f" ({o['monopoly_layer']} from month {o['monopoly_onset_tick']})"
            if o["monopoly_like"]
            else ""
        ),
        f"HHI final  cloud {o['hhi_cloud_final']:7.0f}  models {o['hhi_models_final']:7.0f}  chips {o['hhi_chips_final']:7.0f}",
        f"bloc HHI   cloud {o['bloc_hhi_cloud_final']:7.0f}  models {o['bloc_hhi_models_final']:7.0f}  chips {o['bloc_hhi_chips_final']:7.0f}",
        f"exclusivity breakdowns: {o['exclusivity_breakdowns']} of {o['exclusive_deals']} clauses"
        f" ({o['arrangement_breakdowns']} of {o['exclusive_arrangements']} cloud-lab arrangements)"
        + (f", first in month {first} ({o['first_breakdown_cause']})" if first is not None else ""),
        f"circular revenue share: {o['circular_revenue_share']:.1%}   open-weight share: {o['open_share_final']:.1%}",
        f"regulators: {o['regulator_reviews']} reviews, {o['regulator_blocks']} blocks, {o['regulator_remedies']} remedies",
        f"consumer surplus: {o['consumer_surplus']:.1f} USD bn over the run",
    ]


def _cmd_run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario, parse_sets(args.set))
    if args.ticks is not None and args.ticks < 1:
        raise UserError(f"--ticks {args.ticks}: must be at least 1")
    out = Path(args.out) if args.out else Path("runs") / f"{scenario.name}-seed{args.seed}"
    if out.exists():
        raise UserError(f"{out}: output folder exists; choose another --out or remove it")
    result = simulate(scenario, args.seed, ticks=args.ticks, detail=True)
    write_run(result, scenario, out)
    print("\n".join(summary_lines(result)))
    print(f"outputs: {out}/ (timeseries, agents, events, ledger .parquet; summary.json)")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from aimarket.model import AIMarket

    for source in args.scenarios:
        scenario = load_scenario(source)
        AIMarket(scenario, rng=0)  # strategies and deals resolve
        print(f"ok  {scenario.origin}  ({scenario.name}, {scenario.ticks} months)")
    return 0


def _cmd_scenarios(args: argparse.Namespace) -> int:
    for name, description in list_scenarios():
        print(f"{name:22s} {description}")
    return 0


def register_cli(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", description="Run one scenario and write its outputs.")
    run.add_argument("scenario", help="scenario file or name in scenarios/")
    run.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    run.add_argument("--ticks", type=int, help="months to simulate (default: the scenario's)")
    run.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a dotted key")
    run.add_argument("--out", help="output folder (default runs/SCENARIO-seedN)")
    plugins.add_option(run)
    run.set_defaults(func=_cmd_run)
    val = sub.add_parser("validate", description="Check scenario files.")
    val.add_argument("scenarios", nargs="+")
    plugins.add_option(val)
    val.set_defaults(func=_cmd_validate)
    lst = sub.add_parser("scenarios", description="List the shipped scenarios.")
    lst.set_defaults(func=_cmd_scenarios)
