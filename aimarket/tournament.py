"""Tournaments: strategy profiles for one role over common random numbers, and the empirical game.

A *role* is one named agent (``AWS``) or an agent type (``hyperscaler``: every agent of the type).
A *profile* gives the role one listed strategy: the named agent plays it, or every agent of the
type does (symmetric profile). Each profile is one design point of a batch (the agents'
``strategy`` keys swept together; other strategies keep the scenario's settings, a changed one
its defaults), all with the same replication seeds. For a type role with several agents the batch
also runs every *unilateral deviation*: one agent plays another listed strategy while the others
keep the profile.

The role's payoff in a run is the ``payoff.<agent>`` outcome (cumulative profit, USD bn) or, with
``field="value"``, ``value.<agent>`` (end-of-run firm value, USD bn): the named agent's, the mean
over the type's agents in a symmetric profile, the deviator's own in a deviation run. Any numeric
run outcome may serve instead (regulators have no profit: their default is ``consumer_surplus``).

Statistics (plain functions over the outcome table; failed runs count as missing pairs):

- profile payoff: mean over replications with a 95 % Student-t interval;
- a *switch* compares two settings replication by replication (same seed): the mean paired
  difference of the switcher's payoff with a 95 % t interval and the paired t-test p-value;
- a switch *improves beyond noise* when its interval lies entirely above 0. A profile is
  ``stable_role`` when no switch of the whole role to another listed strategy improves the role's
  payoff, and (type roles) ``stable_agents`` when no single agent gains by deviating (an
  empirical Nash test). Each comparison is at 95 %; there is no multiplicity correction.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from aimarket import batch, strategies
from aimarket.analysis.stats import percent, proportion, t_interval
from aimarket.batch import BatchSummary
from aimarket.designs import Design
from aimarket.errors import UserError
from aimarket.metrics import OUTCOME_FIELDS
from aimarket.scenario import AGENT_GROUPS, Scenario

FIELDS = {"payoff": "cumulative profit [USD bn]", "value": "end-of-run firm value [USD bn]"}
NUMERIC = ("float64", "int64")


@dataclass(frozen=True)
class Role:
    """Who plays the profiles: one named agent or all agents of a type."""

    name: str
    agent_type: str
    group: str  # the scenario's list of such agents, e.g. "hyperscalers"
    agents: tuple[str, ...]
    named: bool

    def key(self, agent: str) -> str:
        return f"{self.group}.{agent}.strategy"


def resolve_role(scenario: Scenario, role: str) -> Role:
    """The role named ``role``: an agent name, or an agent type (``hyperscaler`` or its group
    ``hyperscalers``); ``UserError`` otherwise."""
    for group, agent_type in AGENT_GROUPS.items():
        names = tuple(a["name"] for a in scenario.data[group])
        if role in names:
            return Role(role, agent_type, group, (role,), True)
        if role in (group, agent_type):
            if not names:
                raise UserError(f"--role {role}: {scenario.name} has no {agent_type} agent")
            return Role(role, agent_type, group, names, False)
    agents = [a["name"] for g in AGENT_GROUPS for a in scenario.data[g]]
    raise UserError(
        f"--role {role}: not an agent or agent type of {scenario.name} "
        f"(agents: {', '.join(agents)}; types: {', '.join(AGENT_GROUPS.values())})"
    )


def check_strategies(role: Role, names: Sequence[str]) -> list[str]:
    """The listed strategies, checked: at least two, distinct, registered for the role's type."""
    names = [n.strip() for n in names if n.strip()]
    known = strategies.names(role.agent_type)
    for name in names:
        if name not in known:
            raise UserError(
                f"--strategies: unknown {role.agent_type} strategy {name!r} "
                f"(known: {', '.join(known)})"
            )
    if len(set(names)) != len(names) or len(names) < 2:
        raise UserError("--strategies: give at least two different strategies, A,B[,C...]")
    return names


def describe_field(field: str) -> str:
    """What payoff ``field`` measures, with its unit."""
    return FIELDS.get(field) or OUTCOME_FIELDS[field][1]


def payoff_field(role: Role, field: str | None) -> str:
    """The payoff measure: ``payoff`` or ``value`` per firm, or a numeric run outcome (e.g.
    ``consumer_surplus``, the default for regulators, who have no profit)."""
    if field is None:
        return "consumer_surplus" if role.agent_type == "regulator" else "payoff"
    if field in FIELDS and role.agent_type == "regulator":
        raise UserError(f"--payoff {field}: regulators have none; try --payoff consumer_surplus")
    if field not in FIELDS and OUTCOME_FIELDS.get(field, ("",))[0] not in NUMERIC:
        raise UserError(f"--payoff {field}: expected payoff, value or a numeric outcome field")
    return field


MARKET_FIELDS = (
    "hhi_cloud_final",
    "hhi_models_final",
    "hhi_chips_final",
    "bloc_hhi_cloud_final",
    "bloc_hhi_models_final",
    "exclusivity_breakdowns",
    "consumer_surplus",
)


def plan(role: Role, names: Sequence[str], deviations: bool = True) -> tuple[Design, list[dict]]:
    """The design (one point per profile, then the unilateral deviations of a type role) and
    each point's label ``{profile, deviator, to}`` (deviator and to are None for a profile)."""
    keys = [role.key(a) for a in role.agents]
    points = [dict.fromkeys(keys, s) for s in names]
    labels: list[dict] = [{"profile": s, "deviator": None, "to": None} for s in names]
    if deviations and not role.named and len(role.agents) > 1:
        for s in names:
            for agent in role.agents:
                for t in names:
                    if t != s:
                        points.append({**dict.fromkeys(keys, s), role.key(agent): t})
                        labels.append({"profile": s, "deviator": agent, "to": t})
    return Design("tournament", keys, points, {"profiles": list(names)}), labels


def run(
    scenario: Scenario,
    role: str,
    names: Sequence[str],
    out: str | Path,
    *,
    field: str | None = None,
    deviations: bool = True,
    **batch_options: object,
) -> BatchSummary:
    """Run the tournament into the run store ``out`` through ``aimarket.batch.run_batch`` (whose
    options pass through). The manifest's ``tournament`` entry describes it."""
    r = resolve_role(scenario, role)
    field = payoff_field(r, field)
    names = check_strategies(r, names)
    design, labels = plan(r, names, deviations)
    for point in design.points:
        scenario.with_overrides(point)  # bad strategy parameters fail here, before any output
    spec = {
        "role": r.name,
        "agent_type": r.agent_type,
        "agents": list(r.agents),
        "named": r.named,
        "strategies": names,
        "field": field,
        "points": labels,
    }
    return batch.run_batch(
        scenario, out, design=design, extra={"tournament": spec}, **batch_options
    )  # type: ignore[arg-type]


# --- analysis over the outcome table ----------------------------------------------------------


def role_payoffs(outcomes: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """One row per run and role agent: design_point, replication, agent, payoff (the outcome
    ``spec["field"]``; NaN for failed runs), and the point's profile, deviator and to."""
    field = spec["field"]
    ok = outcomes["status"] == "ok"
    frames = []
    for agent in spec["agents"]:
        column = field if field in outcomes else f"{field}.{agent}"
        if column not in outcomes:
            raise UserError(f"no {column} column in the outcome table")
        frames.append(
            pd.DataFrame(
                {
                    "design_point": outcomes["design_point"],
                    "replication": outcomes["replication"],
                    "agent": agent,
                    "payoff": pd.to_numeric(outcomes[column], errors="coerce").where(ok),
                }
            )
        )
    return pd.concat(frames, ignore_index=True).merge(_labels(spec), on="design_point")


def _labels(spec: dict) -> pd.DataFrame:
    """Each design point's label: design_point, profile, deviator, to."""
    return pd.DataFrame(spec["points"]).assign(design_point=range(len(spec["points"])))


def _symmetric(pay: pd.DataFrame) -> pd.DataFrame:
    """Role payoff per profile (rows: replication, columns: profile), mean over the agents."""
    sym = pay[pay["deviator"].isna()]
    return sym.pivot_table(
        index="replication", columns="profile", values="payoff", aggfunc="mean", dropna=False
    )


def profiles(pay: pd.DataFrame, order: Sequence[str]) -> pd.DataFrame:
    """Each profile's role payoff (mean, 95 % t interval), its rank and its paired difference to
    the best profile (95 % t interval, paired t-test p-value)."""
    table = _symmetric(pay).reindex(columns=list(order))
    rows = [{"profile": s, **t_interval(table[s].to_numpy())} for s in order]
    out = pd.DataFrame(rows).sort_values("mean", ascending=False, kind="stable")
    best = out["profile"].iloc[0]
    diffs = pd.DataFrame([t_interval((table[s] - table[best]).to_numpy()) for s in out["profile"]])
    out["rank"] = np.arange(1, len(out) + 1)
    out[["diff_to_best", "diff_lo", "diff_hi", "diff_p_value"]] = diffs[
        ["mean", "lo", "hi", "p_value"]
    ].to_numpy()
    cols = ["rank", "profile", "n", "mean", "lo", "hi", "diff_to_best", "diff_lo", "diff_hi"]
    return out[[*cols, "diff_p_value", "small_sample"]].reset_index(drop=True)


def switches(pay: pd.DataFrame, order: Sequence[str]) -> pd.DataFrame:
    """Every unilateral switch from each profile: the whole role to another strategy (deviator
    ``"role"``) and, where run, one agent of a type role (deviator = its name). ``gain`` is the
    switcher's mean paired payoff difference with its 95 % t interval; ``improves`` when the
    interval lies above 0."""
    table = _symmetric(pay)
    rows = []
    for s in order:
        for t in order:
            if t != s and s in table and t in table:
                rows.append(
                    {"profile": s, "deviator": "role", "to": t, **_gain(table[t] - table[s])}
                )
    base = pay[pay["deviator"].isna()].set_index(["profile", "agent", "replication"])
    base = base["payoff"].sort_index()
    for (s, agent, t), dev in pay[pay["deviator"].notna()].groupby(["profile", "deviator", "to"]):
        own = dev[dev["agent"] == agent].set_index("replication")["payoff"]
        rows.append({"profile": s, "deviator": agent, "to": t, **_gain(own - base.loc[(s, agent)])})
    return pd.DataFrame(rows)


def _gain(diff: pd.Series) -> dict:
    res = t_interval(diff.to_numpy())
    return {
        "n": res["n"],
        "gain": res["mean"],
        "lo": res["lo"],
        "hi": res["hi"],
        "p_value": res["p_value"],
        "improves": bool(res["lo"] > 0),
    }


def stability(moves: pd.DataFrame, order: Sequence[str]) -> pd.DataFrame:
    """Per profile: ``stable_role`` (no switch of the whole role improves its payoff beyond
    noise), ``stable_agents`` (no agent of a type role gains by deviating; None without
    deviation runs, as for a named role) and the most profitable improving switch, if any."""
    rows = []
    for s in order:
        mine = moves[moves["profile"] == s]
        role, agents = mine[mine["deviator"] == "role"], mine[mine["deviator"] != "role"]
        better = mine[mine["improves"]].sort_values("gain", ascending=False)
        rows.append(
            {
                "profile": s,
                "stable_role": not role["improves"].any(),
                "stable_agents": None if agents.empty else not agents["improves"].any(),
                "best_switch": (
                    f"{better['deviator'].iloc[0]} → {better['to'].iloc[0]}" if len(better) else ""
                ),
                "best_gain": better["gain"].iloc[0] if len(better) else np.nan,
            }
        )
    return pd.DataFrame(rows)


def market(outcomes: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """Market outcomes per profile (symmetric runs): mean concentration and breakdown counts,
    and P(monopoly-like) and P(exclusivity breakdown) with 95 % Wilson intervals."""
    labels = _labels(spec)
    profile_of = labels[labels["deviator"].isna()].set_index("design_point")["profile"]
    ok = outcomes[(outcomes["status"] == "ok") & outcomes["design_point"].isin(profile_of.index)]
    rows = []
    for s in spec["strategies"]:
        runs = ok[ok["design_point"].map(profile_of) == s]
        row: dict = {"profile": s, "n": len(runs)}
        for f in MARKET_FIELDS:
            if f in runs:
                row[f] = pd.to_numeric(runs[f], errors="coerce").mean()
        for name, flags in (
            ("monopoly_like", runs.get("monopoly_like")),
            (
                "breakdown",
                runs["first_breakdown_tick"].notna() if "first_breakdown_tick" in runs else None,
            ),
        ):
            if flags is not None:
                p = proportion(int(flags.astype(bool).sum()), len(runs))
                row |= {f"p_{name}": p["p"], f"p_{name}_lo": p["lo"], f"p_{name}_hi": p["hi"]}
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass
class Results:
    """A tournament's tables (see the module docstring)."""

    spec: dict
    profiles: pd.DataFrame
    switches: pd.DataFrame
    stability: pd.DataFrame
    market: pd.DataFrame


def analyze(outcomes: pd.DataFrame, spec: dict, field: str | None = None) -> Results:
    """All tables of a tournament from its outcome table and its manifest entry, the payoff
    being ``field`` if given (else the manifest's)."""
    spec = {**spec, "field": field or spec.get("field", "payoff")}
    order = spec["strategies"]
    pay = role_payoffs(outcomes, spec)
    moves = switches(pay, order)
    return Results(
        spec,
        profiles(pay, order),
        moves,
        stability(moves, order),
        market(outcomes, spec),
    )


def load(path: str | Path, field: str | None = None) -> Results:
    """The tournament in run store ``path`` (``UserError`` if it is not one)."""
    from aimarket.store import read_manifest, read_outcomes

    spec = read_manifest(path).get("tournament")
    if not spec:
        raise UserError(f"{path}: not a tournament run store")
    return analyze(read_outcomes(path), spec, field)


def text(res: Results) -> str:
    """The tournament's tables for the terminal."""
    spec = res.spec
    field = spec["field"]
    agents = ", ".join(spec["agents"])
    who = spec["role"] if spec["named"] else f"every {spec['agent_type']} ({agents})"
    t = res.profiles.merge(res.stability, on="profile")
    yes_no = {True: "yes", False: "no", None: "-"}
    ranking = pd.DataFrame(
        {
            "rank": t["rank"],
            "profile": t["profile"],
            "n": t["n"],
            field: t["mean"].map(_num),
            "95% CI": _ci(t["lo"], t["hi"]),
            "vs best": t["diff_to_best"].map(_num),
            "paired 95% CI": _ci(t["diff_lo"], t["diff_hi"]),
            "stable role": t["stable_role"].map(yes_no),
            "stable agents": t["stable_agents"].map(yes_no),
            "best switch": t["best_switch"],
        }
    )
    m = res.market
    market_table = pd.DataFrame({"profile": m["profile"], "n": m["n"]})
    for f in ("hhi_cloud_final", "hhi_models_final", "hhi_chips_final"):
        if f in m:
            market_table[f.removesuffix("_final").replace("_", " ")] = m[f].map(_num)
    for event in ("monopoly_like", "breakdown"):
        if f"p_{event}" in m:
            shares = zip(m[f"p_{event}"], m[f"p_{event}_lo"], m[f"p_{event}_hi"], strict=True)
            market_table[f"P({event.replace('_', '-')})"] = [percent(*row) for row in shares]
    return "\n".join(
        [
            f"tournament: role {who}; payoff = {field}: {describe_field(field)}",
            ranking.to_string(index=False),
            "",
            "market outcomes per profile (P: share of runs with its 95 % Wilson interval)",
            market_table.to_string(index=False),
            "",
            "intervals: Student t over replications; vs best: paired by replication (same seeds).",
            "stable: no unilateral switch to another listed strategy has a paired 95 % interval",
            "above 0 (role: the whole role switches; agents: one agent of the type deviates).",
        ]
    )


def _num(v: float) -> str:
    return "nan" if pd.isna(v) else f"{v:.4g}"


def _ci(lo: pd.Series, hi: pd.Series) -> pd.Series:
    return "[" + lo.map(_num) + ", " + hi.map(_num) + "]"


# --- command line -----------------------------------------------------------------------------


def register_cli(sub: argparse._SubParsersAction) -> None:
    """Add the `aimarket tournament` subcommand."""
    from aimarket.strategies import plugins

    p = sub.add_parser(
        "tournament",
        description="Run each listed strategy as ROLE's profile over the same seeds (a batch), "
        "then report payoffs with 95 % intervals, a ranking, market outcomes and stability.",
    )
    p.add_argument("scenario", help="scenario file or name in scenarios/")
    p.add_argument(
        "--role", required=True, help="an agent name (AWS) or an agent type (hyperscaler)"
    )
    p.add_argument("--strategies", required=True, metavar="A,B,...", help="strategies to compare")
    p.add_argument(
        "-r", "--replications", type=int, default=20, help="seeds per profile (default 20)"
    )
    p.add_argument(
        "--payoff",
        metavar="FIELD",
        help="payoff (cumulative profit, default), value (firm value) or a numeric outcome "
        "such as consumer_surplus (default for regulators)",
    )
    p.add_argument(
        "--no-deviations", action="store_true", help="type role: skip single-agent deviation runs"
    )
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="fixed override")
    p.add_argument("--seed", type=int, help="root seed (default: fresh, or the resumed one's)")
    p.add_argument("--resume", action="store_true", help="continue the tournament in --out")
    p.add_argument("--ticks", type=int, help="months per run (default: the scenario's)")
    batch.add_executor_options(p)
    p.add_argument(
        "-o",
        "--out",
        type=Path,
        help="run store folder (default: runs/tournament-SCENARIO-ROLE-TIME)",
    )
    plugins.add_option(p)
    p.set_defaults(func=_cli)


def _cli(args: argparse.Namespace) -> int:
    from aimarket.scenario import load_scenario, slug
    from aimarket.simulation import parse_sets

    scenario = load_scenario(args.scenario, parse_sets(args.set) or None)
    if args.resume and args.out is None:
        raise UserError("--resume needs --out (the folder of the tournament to continue)")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = args.out or Path("runs") / slug(f"tournament-{scenario.name}-{args.role}-{stamp}")
    summary = run(
        scenario,
        args.role,
        args.strategies.split(","),
        out,
        field=args.payoff,
        deviations=not args.no_deviations,
        replications=args.replications,
        root_seed=args.seed,
        resume=args.resume,
        ticks=args.ticks,
        jobs=args.jobs,
        executor=args.executor,
        scheduler=args.scheduler,
        plugins=args.plugin,
        progress=True,
    )
    print(text(load(out, args.payoff)))  # a resumed tournament may be read with another payoff
    print(f"\nresults: {out}/ (aimarket analyze {out} for the HTML report)")
    if summary.failed:
        print(f"aimarket: {summary.failed} runs failed: see {out}/outcomes/", file=sys.stderr)
        return 1
    return 0
