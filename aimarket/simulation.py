"""One run of a scenario: ``simulate`` returns a ``RunResult``; ``write_run`` saves its folder.

Also the single-run command ``aimarket run``.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aimarket
from aimarket import jsonio
from aimarket.errors import SimulationError, UserError
from aimarket.scenario import MAX_TICKS, load_scenario, slug
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
    money: dict[str, Any] = field(default_factory=dict)  # ``aimarket.money.run_summary``


def simulate(
    scenario: Scenario, seed: int, *, ticks: int | None = None, detail: bool = False
) -> RunResult:
    """Run ``scenario`` for ``ticks`` months (default: the scenario's horizon) with ``seed``.

    Undefined values (NaN in the model, e.g. the open-weight gap without open projects) are
    None in every record; an infinite value stops the run (``SimulationError``, as does a
    non-finite or negative transfer: numpy's floating-point warnings are silenced meanwhile)."""
    import numpy as np

    from aimarket import money
    from aimarket.model import AIMarket

    model = None
    try:
        with np.errstate(all="ignore"):
            model = AIMarket(scenario, rng=seed, detail=detail)
            for _ in range(scenario.ticks if ticks is None else ticks):
                model.step()
    except (OverflowError, ZeroDivisionError, FloatingPointError) as err:
        raise SimulationError(
            f"month {model.tick if model else 0}: {type(err).__name__} ({err}); the inputs are outside the range"
            " where the model is defined"
        ) from None
    outcome, timeseries = _without_compute(
        _defined(model.outcome(), what="outcome")[0], _defined(*model.rows, what="time series")
    )
    return RunResult(
        scenario=scenario.name,
        seed=seed,
        outcome=outcome,
        timeseries=timeseries,
        events=model.events.rows,
        agents=_defined(*model.agent_rows, what="agent rows"),
        ledger=model.ledger.rows,
        money=money.run_summary(model.ledger),
    )


def _defined(*rows: dict, what: str) -> list[dict]:
    """``rows`` with NaN as None; ``SimulationError`` naming the field if a value is infinite."""
    for row in rows:
        for key, value in row.items():
            if isinstance(value, float) and math.isinf(value):
                month = f"month {row['tick']}: " if "tick" in row else ""
                raise SimulationError(f"{month}{what} field {key!r} is infinite")
    return [jsonio.defined(row) for row in rows]


#: Time-series fields measuring served compute or model use: undefined (None) in a month in which
#: no cloud has compute capacity, since nothing can be served.
NEEDS_COMPUTE = (
    "hhi_cloud",
    "bloc_hhi_cloud",
    "top_bloc_share_cloud",
    "hhi_models",
    "bloc_hhi_models",
    "top_bloc_share_models",
    "mean_providers",
    "open_share",
    "consumer_surplus",
)


def _without_compute(outcome: dict, rows: list[dict]) -> tuple[dict, list[dict]]:
    """Months without any cloud compute (a degenerate economy) report ``NEEDS_COMPUTE`` fields
    as None; so does the outcome (its consumer surplus, and its final values and regime when
    the last month has none)."""
    idle = [row.get("capacity_eff_gw") == 0 for row in rows]
    if not any(idle):
        return outcome, rows
    undefined = dict.fromkeys(NEEDS_COMPUTE)
    rows = [{**row, **undefined} if none else row for row, none in zip(rows, idle, strict=True)]
    outcome = {**outcome, "consumer_surplus": None}
    if idle[-1]:
        outcome |= {f"{f}_final": None for f in NEEDS_COMPUTE if f"{f}_final" in outcome}
        outcome["regime"] = None
    return outcome, rows


def write_run(result: RunResult, scenario: Scenario, out: Path) -> None:
    """Write a run folder atomically: built in a temporary sibling, then renamed into place."""
    import pandas as pd

    from aimarket.ledger import ROW_COLUMNS

    out = Path(out)
    if os.path.lexists(out):
        raise UserError(f"{out}: output folder exists; choose another --out or remove it")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as err:
        raise UserError(f"{out}: cannot create the output folder ({err.strerror})") from None
    try:
        pd.DataFrame(result.timeseries).to_parquet(tmp / "timeseries.parquet", index=False)
        pd.DataFrame(result.agents).to_parquet(tmp / "agents.parquet", index=False)
        pd.DataFrame(
            result.events,
            columns=["tick", "date", "kind", "deal_id", "agent", "counterparty", "cause", "value"],
        ).to_parquet(tmp / "events.parquet", index=False)
        pd.DataFrame(result.ledger, columns=list(ROW_COLUMNS)).to_parquet(
            tmp / "ledger.parquet", index=False
        )
        summary = {
            "outcome": result.outcome,
            "scenario": scenario.name,
            "scenario_hash": scenario.content_hash,
            "scenario_data": scenario.data,
            "seed": result.seed,
            "ticks": len(result.timeseries),
            "version": aimarket.__version__,
            "money": result.money,
        }
        (tmp / "summary.json").write_text(jsonio.dumps(summary, indent=2))
        _write_origin_flows(result, tmp / "origin_flows.png")
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _write_origin_flows(result: RunResult, path: Path) -> None:
    """The figure of where each origin's money went (``analysis.money_flows``), if any flowed."""
    from aimarket.analysis.money_flows import plot_origin_flows

    flows = result.money.get("origin_flows", [])
    fig = plot_origin_flows({(f["origin_kind"], f["destination"]): f["amount"] for f in flows})
    if fig is not None:
        fig.savefig(path, dpi=110)


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
    o = {k: _Shown(v) for k, v in result.outcome.items()}
    first = result.outcome["first_breakdown_tick"]
    idle = sum(row.get("capacity_eff_gw") == 0 for row in result.timeseries)
    note = [
        f"no cloud had compute in {idle} of {len(result.timeseries)} months: shares, HHI,"
        " consumer surplus (and, if in the last month, the regime) are undefined (null) there"
    ]
    return (note if idle else []) + [
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
        "  by origin: "
        + ", ".join(
            f"{k} {v:.1%}"
            for k, v in result.outcome["circular_revenue_share_by_origin"].items()
            if v
        ),
        f"regulators: {o['regulator_reviews']} reviews, {o['regulator_blocks']} blocks, {o['regulator_remedies']} remedies",
        f"consumer surplus: {o['consumer_surplus']:.1f} USD bn over the run",
    ]


class _Shown:
    """A value for the run summary: formatted as given, or ``undefined`` when None."""

    def __init__(self, value: object) -> None:
        self.value = value

    def __format__(self, spec: str) -> str:
        return "undefined" if self.value is None else format(self.value, spec)

    def __bool__(self) -> bool:
        return bool(self.value)


def _cmd_run(args: argparse.Namespace) -> int:
    check_ticks(args.ticks)
    check_seed(args.seed)
    scenario = load_scenario(args.scenario, parse_sets(args.set))
    out = Path(args.out) if args.out else Path("runs") / f"{slug(scenario.name)}-seed{args.seed}"
    if os.path.lexists(out):
        raise UserError(f"{out}: output folder exists; choose another --out or remove it")
    result = simulate(scenario, args.seed, ticks=args.ticks, detail=True)
    write_run(result, scenario, out)
    print("\n".join(summary_lines(result)))
    print(
        f"outputs: {out}/ (timeseries, agents, events, ledger .parquet; summary.json;"
        " origin_flows.png)"
    )
    return 0


def check_ticks(ticks: int | None) -> None:
    """``--ticks``: None (the scenario's horizon) or 1 to ``MAX_TICKS`` months."""
    if ticks is not None and not 1 <= ticks <= MAX_TICKS:
        raise UserError(f"--ticks {ticks}: must be between 1 and {MAX_TICKS}")


def check_seed(seed: int | None, option: str = "--seed") -> None:
    """A seed: None (fresh) or 0 to 2**63 - 1."""
    if seed is not None and not 0 <= seed < 2**63:
        raise UserError(f"{option} {seed}: must be between 0 and 2**63 - 1")


def register_cli(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", description="Run one scenario and write its outputs.")
    run.add_argument("scenario", help="scenario file or name in scenarios/")
    run.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    run.add_argument("--ticks", type=int, help="months to simulate (default: the scenario's)")
    run.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a dotted key")
    run.add_argument("--out", help="output folder (default runs/SCENARIO-seedN)")
    plugins.add_option(run)
    run.set_defaults(func=_cmd_run)
