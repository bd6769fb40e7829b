"""Regenerate the tournament results in docs/strategies.md: its tables, commands and findings.

    python docs/gen_strategies.py [--store DIR] [--jobs 2] [--from-csv]

Runs every experiment in ``EXPERIMENTS`` (the example tournament of section 5, AWS's strategy,
the labs, the regulators, learning clouds; root seed 1) into fresh run stores in a temporary
folder, or into ``--store DIR`` (kept; an experiment whose store exists there is resumed, so a
second call only rereads: delete DIR after changing the model). Then writes

- ``docs/strategies-runs.csv``: one row per run (experiment, profile or setting, replication,
  seed, the payoffs and market outcomes the doc reports, what became of AWS's offer to OpenAI,
  each learner's final choice probabilities);
- the blocks between ``<!-- strategies-NAME:begin -->`` and ``<!-- strategies-NAME:end -->`` in
  docs/strategies.md, built from that CSV alone (``blocks``; ``--from-csv`` rewrites only them,
  after a change to the wording).

``tests/test_docs_strategies.py`` rebuilds the blocks from the CSV and compares them with the
doc, and reruns the first replication of AWS's baseline tournament against the CSV. 550 runs:
about 6 minutes on 2 cores (6.3 measured; 13 while other jobs loaded them); the replications
are fewer than a study would use, to keep it so.
"""

from __future__ import annotations

import argparse
import shlex
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd
from scipy import stats

from aimarket import tournament
from aimarket.analysis.stats import proportion
from aimarket.dotted import value_at
from aimarket.generated import replace_block

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "strategies.md"
RUNS_CSV = ROOT / "docs" / "strategies-runs.csv"
ROOT_SEED, TICKS = 1, 60
OFFER_ID = "AMZN-OAI"
CLOUDS = ("AWS", "Microsoft", "Google", "Oracle", "Other clouds")
LABS = ("OpenAI", "Anthropic", "GoogleDeepMind", "Challenger")
CLOUD_STRATEGIES = (
    "capacity-planner",
    "exclusive-seeker",
    "portfolio-hedger",
    "vertical-integrator",
    "neutral-landlord",
)
LAB_STRATEGIES = ("balanced", "multi-homer", "capacity-seeker", "independence-maximiser")
REGULATOR_STRATEGIES = ("laissez-faire", "threshold", "gatekeeper", "adaptive")
AO5 = (("market.demand_growth_per_year", 5),)
SUPPLY = "chipmakers.Nvidia.supply_growth_per_year"
LEARNERS = tuple((f"hyperscalers.{c}.strategy", "roth-erev") for c in CLOUDS)


@dataclass(frozen=True)
class Experiment:
    """One documented command: a tournament (``role`` given) or a batch (``sweep``)."""

    name: str
    scenario: str
    replications: int
    role: str | None = None
    strategies: tuple[str, ...] = ()
    sets: tuple[tuple[str, object], ...] = ()
    sweep: tuple[tuple[str, tuple], ...] = ()
    ticks: int | None = TICKS
    deviations: bool = True
    plugin: str | None = None
    out: str = ""

    @property
    def folder(self) -> str:
        return self.out or f"runs/f-{self.name}"

    def commands(self, value_too: bool = False) -> list[str]:
        """The CLI command(s) that run it (and read it again by firm value)."""
        words = ["aimarket", "tournament" if self.role else "batch", self.scenario]
        if self.role:
            words += ["--role", self.role, "--strategies", ",".join(self.strategies)]
        words += ["-r", str(self.replications)]
        words += ["--ticks", str(self.ticks)] if self.ticks else []
        words += [] if self.deviations or not self.role else ["--no-deviations"]
        words += ["--jobs", "2", "--seed", str(ROOT_SEED)]
        for key, values in self.sweep:
            words += ["--sweep", f"{key}={','.join(_value(v) for v in values)}"]
        for key, value in self.sets:
            words += ["--set", f"{key}={_value(value)}"]
        words += ["--plugin", self.plugin] if self.plugin else []
        words += ["--out", self.folder]
        line = " ".join(shlex.quote(w) for w in words)
        return [line, f"{line} --resume --payoff value"] if value_too else [line]


def _value(v: object) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


EXPERIMENTS = {
    e.name: e
    for e in (
        Experiment(
            "example",
            "baseline",
            10,
            "AWS",
            ("capacity-planner", "my-landlord"),
            ticks=None,
            plugin="docs/examples/my_strategy.py",
            out="runs/t-aws",
        ),
        Experiment("aws-baseline", "baseline", 10, "AWS", CLOUD_STRATEGIES),
        Experiment("aws-ao5", "amazon-openai", 10, "AWS", CLOUD_STRATEGIES, AO5),
        Experiment("labs-baseline", "baseline", 5, "lab", LAB_STRATEGIES),
        Experiment("labs-ao5", "amazon-openai", 10, "lab", LAB_STRATEGIES, AO5, deviations=False),
        Experiment(
            "reg-baseline", "baseline", 10, "regulator", REGULATOR_STRATEGIES, deviations=False
        ),
        Experiment(
            "reg-ao5", "amazon-openai", 10, "regulator", REGULATOR_STRATEGIES, AO5, deviations=False
        ),
        Experiment(
            "learn",
            "baseline",
            10,
            "hyperscaler",
            ("capacity-planner", "roth-erev"),
            ticks=None,
            deviations=False,
        ),
        Experiment(
            "learn-long",
            "baseline",
            10,
            sets=LEARNERS,
            sweep=((SUPPLY, (1.2, 1.8, 2.5)),),
            ticks=240,
        ),
    )
}

#: Outcome columns kept per run (besides ids, payoffs, the offer and learner probabilities).
KEEP = (
    "ticks",
    "hhi_cloud_final",
    "hhi_models_final",
    "hhi_chips_final",
    "exclusivity_breakdowns",
    "arrangement_breakdowns",
    "first_breakdown_tick",
    "first_breakdown_cause",
    "monopoly_like",
    "regime",
    "regulator_blocks",
    "regulator_remedies",
    "consumer_surplus",
    "mean_providers_final",
    "compute_price_final",
)


# --- running ------------------------------------------------------------------------------------


def _scenario(e: Experiment):
    from aimarket.scenario import load_scenario

    return load_scenario(e.scenario, dict(e.sets) or None)


def run_experiment(
    e: Experiment, store: Path, jobs: int = 2, replications: int | None = None
) -> Path:
    """Run (or resume, when ``store`` exists) experiment ``e`` into ``store``."""
    from aimarket import batch
    from aimarket.strategies import plugins

    options = {
        "replications": replications or e.replications,
        "root_seed": ROOT_SEED,
        "ticks": e.ticks,
        "jobs": jobs,
        "executor": "process" if jobs > 1 else "serial",
        "resume": store.exists(),
        "progress": True,
        "plugins": plugins.load([str(ROOT / e.plugin)]) if e.plugin else [],
    }
    scenario = _scenario(e)
    if e.role:
        tournament.run(scenario, e.role, e.strategies, store, deviations=e.deviations, **options)
    else:
        sweeps = {k: list(v) for k, v in e.sweep}
        design = batch.plan_design(scenario, sweeps=sweeps, root_seed=ROOT_SEED)
        batch.run_batch(scenario, store, design=design, **options)  # type: ignore[arg-type]
    return store


def offer_fate(events: pd.DataFrame) -> pd.Series:
    """Per run id: what became of AWS's offer to OpenAI: rejected, blocked (by a regulator),
    active (signed and cleared) or pending (under review at the horizon)."""
    kinds = events[events["deal_id"] == OFFER_ID].groupby("run_id")["kind"].agg(set)
    order = ("rejected", "blocked", "active")
    return kinds.map(lambda k: next((f for f in order if f in k), "pending"))


def final_probabilities(events: pd.DataFrame) -> pd.DataFrame:
    """Per run id: each learner's choice probabilities at its last draw, columns
    ``p.<agent>.<arm>``."""
    ev = events[events["kind"] == "learner_probability"]
    last = ev[ev["tick"] == ev.groupby(["run_id", "agent"])["tick"].transform("max")]
    wide = last.pivot_table(index="run_id", columns=["agent", "cause"], values="value")
    wide.columns = [f"p.{agent}.{arm}" for agent, arm in wide.columns]
    return wide


def records(e: Experiment, store: Path) -> pd.DataFrame:
    """One row per run of experiment ``e`` (from its run store): the columns of the CSV."""
    from aimarket.analysis import load_run

    run = load_run(store)
    out = run.outcomes.sort_values("run_id").reset_index(drop=True)
    table = pd.DataFrame({"experiment": e.name, "design_point": out["design_point"]})
    if e.role:
        points = pd.DataFrame(run.manifest["tournament"]["points"])
        table = table.join(points, on="design_point")
    for key, _ in e.sweep:
        table["setting"] = out[key].astype(str)
    table[["replication", "seed", "status"]] = out[["replication", "seed", "status"]]
    for column in KEEP:
        table[column] = out.get(column)
    for agent in (*CLOUDS, *LABS):
        table[f"payoff.{agent}"] = out[f"payoff.{agent}"]
        table[f"value.{agent}"] = out[f"value.{agent}"]
    if e.scenario == "amazon-openai":
        table["offer"] = out["run_id"].map(offer_fate(run.events)).fillna("pending")
    probabilities = final_probabilities(run.events)
    if not probabilities.empty:
        wide = probabilities.reindex(out["run_id"]).reset_index(drop=True)
        table = pd.concat([table, wide], axis=1)
    return table


# --- the doc's blocks, from the CSV -------------------------------------------------------------


@cache
def spec(e: Experiment) -> dict:
    """The tournament's manifest entry (payoff: profit)."""
    role = tournament.resolve_role(_scenario(e), e.role)
    _, labels = tournament.plan(role, e.strategies, e.deviations)
    return {
        "role": role.name,
        "agent_type": role.agent_type,
        "agents": list(role.agents),
        "named": role.named,
        "strategies": list(e.strategies),
        "field": "payoff",
        "points": labels,
    }


def results(runs: pd.DataFrame, name: str, field: str = "payoff") -> tournament.Results:
    """Tournament ``name``'s tables from its rows of the CSV, by payoff ``field``."""
    sub = runs[runs["experiment"] == name].reset_index(drop=True)
    return tournament.analyze(sub, spec(EXPERIMENTS[name]), field)


def symmetric(runs: pd.DataFrame, name: str) -> pd.DataFrame:
    """The runs of tournament ``name`` where the whole role plays one profile."""
    sub = runs[(runs["experiment"] == name) & (runs["status"] == "ok")]
    return sub[sub["deviator"].isna()] if "deviator" in sub else sub


def decimals(*values: float) -> int:
    """Decimals that show the largest of ``values`` with about 3 significant digits."""
    top = max((abs(v) for v in values if not pd.isna(v)), default=0.0)
    return 0 if top >= 100 else 1 if top >= 10 else 2 if top >= 1 else 3


def est(mean: float, lo: float, hi: float, sign: bool = False) -> str:
    """``mean [lo, hi]`` with a common number of decimals (``+`` on a positive mean if sign);
    a difference that is 0 in every run says so."""
    if sign and mean == lo == hi == 0:
        return "0 in every run"
    d = decimals(mean, lo, hi)
    first = f"{mean:+.{d}f}" if sign else f"{mean:.{d}f}"
    return f"{first} [{lo:.{d}f}, {hi:.{d}f}]"


def num(value: float) -> str:
    return f"{value:.{decimals(value)}f}"


def pct(k: int, n: int) -> str:
    """``k/n`` as a percentage with its 95 % Wilson interval: ``10% (2%-40%)``."""
    p = proportion(int(k), int(n))
    return f"{p['p']:.0%} ({p['lo']:.0%}-{p['hi']:.0%})"


def listing(items: list[str], empty: str = "none") -> str:
    if not items:
        return empty
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def code(names) -> list[str]:
    return [f"`{n}`" for n in names]


def bash(*experiments: Experiment, value_too: bool = False) -> list[str]:
    lines = [c for e in experiments for c in e.commands(value_too)]
    return ["```bash", *lines, "```", ""]


def ranking(res: tournament.Results, gains: str) -> str:
    """The profiles in rank order: the first, those within noise of it and those behind it
    beyond noise (paired differences), then which profiles are stable."""
    p = res.profiles
    best = p.iloc[0]
    tied = [f"`{r.profile}` ({est(r.diff_to_best, r.diff_lo, r.diff_hi, True)})"
            for r in p.iloc[1:].itertuples() if r.diff_hi >= 0]  # fmt: skip
    behind = [f"`{r.profile}` ({est(r.diff_to_best, r.diff_lo, r.diff_hi, True)})"
              for r in p.iloc[1:].itertuples() if r.diff_hi < 0]  # fmt: skip
    text = f"`{best.profile}` ranks first ({est(best['mean'], best.lo, best.hi)})"
    if tied:
        text += f"; within noise of it: {listing(tied)}"
    if behind:
        text += f"; behind it beyond noise: {listing(behind)}"
    st = res.stability
    stable = code(st.loc[st["stable_role"], "profile"])
    text += f". Stable ({gains} nothing beyond noise by switching to another listed "
    text += f"strategy): {listing(stable)}."
    if st["stable_agents"].notna().any():
        both = code(st.loc[st["stable_role"] & st["stable_agents"].eq(True), "profile"])
        agent = res.spec["agent_type"].replace("_", "-")
        text += f" Also stable against every single {agent}'s deviation: {listing(both)}."
        moves = res.switches
        gains = moves[(moves["deviator"] != "role") & moves["improves"]]
        gains = gains[gains["profile"].isin(st.loc[st["stable_role"], "profile"])]
        top = gains.sort_values("gain", ascending=False).head(3)
        if len(top):
            shown = [f"{r.deviator} in `{r.profile}` to `{r.to}` ({est(r.gain, r.lo, r.hi, True)})"
                     for r in top.itertuples()]  # fmt: skip
            text += f" Profitable single deviations from those stable as a role: {listing(shown)}."
    return text


def monopoly(runs: pd.DataFrame, names: list[str], what: str) -> str:
    """P(monopoly-like) over the profile runs of tournaments ``names``."""
    flags = pd.concat([symmetric(runs, n)["monopoly_like"] for n in names]).astype(bool)
    k, n = int(flags.sum()), len(flags)
    if k == 0:
        return f"No {what} makes any layer monopoly-like: 0 of {n} runs, P = {pct(0, n)}."
    return f"A layer turns monopoly-like in {k} of {n} runs, P = {pct(k, n)}."


def mode(values: pd.Series) -> str:
    counts = values.dropna().value_counts()
    if counts.empty:
        return "-"
    return f"{counts.index[0]} {counts.iloc[0]}/{len(values)}"


def fates(values: pd.Series) -> str:
    counts = values.value_counts()
    return " / ".join(str(counts.get(f, 0)) for f in ("rejected", "blocked", "active"))


def seeds(runs: pd.DataFrame, name: str) -> int:
    """How many replications (seeds) experiment ``name`` ran."""
    return runs.loc[runs["experiment"] == name, "replication"].nunique()


def by_profile(runs: pd.DataFrame, name: str):
    sub = symmetric(runs, name)
    order = EXPERIMENTS[name].strategies
    return [(s, sub[sub["profile"] == s]) for s in order]


def side_by_side(runs: pd.DataFrame, first: str, second: str):
    """(strategy, its runs in tournament ``first``, its runs in ``second``) per profile."""
    pairs = zip(by_profile(runs, first), by_profile(runs, second), strict=True)
    return [(s, a, b) for (s, a), (_, b) in pairs]


def aws_block(runs: pd.DataFrame) -> str:
    base, ao5 = EXPERIMENTS["aws-baseline"], EXPERIMENTS["aws-ao5"]
    res = {(n, f): results(runs, n, f) for n in (base.name, ao5.name) for f in ("payoff", "value")}
    lines = [*bash(base, ao5, value_too=True)]
    lines += [
        "(The second command of each pair runs nothing: it reads the same runs with the other "
        "payoff.)",
        f"AWS's payoff, USD bn, {seeds(runs, base.name)} seeds; **bold**: stable (no switch of AWS to "
        "another listed strategy gains beyond noise):",
        "",
        "| AWS plays | baseline profit | baseline value | amazon-openai 5x profit | "
        "amazon-openai 5x value |",
        "|---|---|---|---|---|",
    ]
    for s in base.strategies:
        cells = []
        for key in res:
            r = res[key]
            row = r.profiles.set_index("profile").loc[s]
            cell = est(row["mean"], row["lo"], row["hi"])
            stable = bool(r.stability.set_index("profile").loc[s, "stable_role"])
            cells.append(f"**{cell}**" if stable else cell)
        lines.append(f"| {s} | {' | '.join(cells)} |")
    lines += [
        "",
        f"What it does to the market (over the {seeds(runs, base.name)} runs of each profile; regime: "
        "the run's final regime, the most common one and in how many runs):",
        "",
        "| AWS plays | baseline: regulator blocks / run | baseline: cloud providers per lab | "
        "baseline: regime | baseline: P(breakdown) | 5x: broken arrangements / run | "
        "5x: P(breakdown) | 5x: first breakdown cause | 5x: AWS's offer rejected / blocked / "
        "cleared |",
        "|---|---:|---:|---|---|---:|---|---|---|",
    ]
    for s, b, a in side_by_side(runs, base.name, ao5.name):
        lines.append(
            f"| {s} | {b['regulator_blocks'].mean():.1f} | {b['mean_providers_final'].mean():.2f} "
            f"| {mode(b['regime'])} | {pct(b['first_breakdown_tick'].notna().sum(), len(b))} "
            f"| {a['arrangement_breakdowns'].mean():.1f} "
            f"| {pct(a['first_breakdown_tick'].notna().sum(), len(a))} "
            f"| {mode(a['first_breakdown_cause']).replace('_', ' ')} | {fates(a['offer'])} |"
        )
    lines += [
        "",
        f"- By profit on baseline: {ranking(res[base.name, 'payoff'], 'AWS gains')}",
        f"- By value on baseline: {ranking(res[base.name, 'value'], 'AWS gains')}",
        f"- By profit at 5x demand: {ranking(res[ao5.name, 'payoff'], 'AWS gains')}",
        f"- By value at 5x demand: {ranking(res[ao5.name, 'value'], 'AWS gains')}",
        f"- {monopoly(runs, [base.name, ao5.name], 'AWS strategy')}",
    ]
    return "\n".join(lines)


def stable_mark(res: tournament.Results, s: str) -> str:
    row = res.stability.set_index("profile").loc[s]
    yes = {True: "yes", False: "no"}
    agents = row["stable_agents"]
    return yes[bool(row["stable_role"])] + ("" if pd.isna(agents) else f" / {yes[bool(agents)]}")


def labs_block(runs: pd.DataFrame) -> str:
    base, ao5 = EXPERIMENTS["labs-baseline"], EXPERIMENTS["labs-ao5"]
    res = {(n, f): results(runs, n, f) for n in (base.name, ao5.name) for f in ("value", "payoff")}
    lines = [*bash(base, ao5, value_too=True)]
    lines += [
        f"A lab's mean payoff (USD bn) in the symmetric profile ({seeds(runs, base.name)} seeds on "
        f"baseline, {seeds(runs, ao5.name)} at 5x), whether it is stable (baseline: as a role / "
        "against single labs' deviations; 5x: as a role), P(breakdown) and the final cloud HHI:",
        "",
        "| every lab plays | baseline value | stable | baseline profit | stable | P(breakdown) | "
        "cloud HHI | 5x value | stable | 5x profit | stable | 5x P(breakdown) | 5x cloud HHI |",
        "|---|---|---|---|---|---|---:|---|---|---|---|---|---:|",
    ]
    for s, b, a in side_by_side(runs, base.name, ao5.name):
        cells = [s]
        for name, sub in ((base.name, b), (ao5.name, a)):
            for field in ("value", "payoff"):
                r = res[name, field]
                row = r.profiles.set_index("profile").loc[s]
                cells += [est(row["mean"], row["lo"], row["hi"]), stable_mark(r, s)]
            cells += [
                pct(sub["first_breakdown_tick"].notna().sum(), len(sub)),
                f"{sub['hhi_cloud_final'].mean():.0f}",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    profit = pd.concat([res[n, "payoff"].profiles["mean"] for n in (base.name, ao5.name)])
    lines += [
        "",
        f"- By value on baseline: {ranking(res[base.name, 'value'], 'the labs gain')}",
        f"- By profit on baseline: {ranking(res[base.name, 'payoff'], 'the labs gain')}",
        f"- By value at 5x demand: {ranking(res[ao5.name, 'value'], 'the labs gain')}",
        f"- By profit at 5x demand: {ranking(res[ao5.name, 'payoff'], 'the labs gain')}",
        "- Labs' mean cumulative profit is "
        + (
            "negative under every profile on both scenarios: over five years they spend more on "
            "training and compute than they earn, the difference financed by equity (excluded "
            "from profit)."
            if (profit < 0).all()
            else f"between {profit.min():.0f} and {profit.max():.0f} bn across profiles."
        ),
    ]
    causes = []
    for s, b in by_profile(runs, base.name):
        broke = b["first_breakdown_tick"].notna()
        cause = mode(b.loc[broke, "first_breakdown_cause"]).replace("_", " ")
        causes.append(
            f"`{s}` in {int(broke.sum())} of {len(b)}" + (f" ({cause})" if broke.any() else "")
        )
    lines.append(
        "- On baseline, a lab breaks a clause (first breakdown, with its most common cause) "
        f"under {listing(causes)}. {monopoly(runs, [base.name, ao5.name], 'lab profile')}"
    )
    return "\n".join(lines)


def regulators_block(runs: pd.DataFrame) -> str:
    base, ao5 = EXPERIMENTS["reg-baseline"], EXPERIMENTS["reg-ao5"]
    lines = [*bash(base, ao5)]
    lines += [
        f"Consumer surplus summed over the run (USD bn), {seeds(runs, base.name)} seeds; "
        "per run: deals blocked, deals remedied, broken arrangements; at 5x also the final "
        "compute price (USD bn/eff-GW-month) and cloud providers per lab:",
        "",
        "| regulators play | baseline: consumer surplus | baseline: blocks / remedies / broken "
        "arrangements | 5x: consumer surplus | 5x: blocks / remedies / broken arrangements | "
        "5x: compute price | 5x: providers per lab |",
        "|---|---|---|---|---|---:|---:|",
    ]
    res = {n: results(runs, n, "consumer_surplus") for n in (base.name, ao5.name)}
    for s, b, a in side_by_side(runs, base.name, ao5.name):
        cells = [s]
        for name, sub in ((base.name, b), (ao5.name, a)):
            row = res[name].profiles.set_index("profile").loc[s]
            counts = " / ".join(
                f"{sub[c].mean():.2g}"
                for c in ("regulator_blocks", "regulator_remedies", "arrangement_breakdowns")
            )
            cells += [est(row["mean"], row["lo"], row["hi"]), counts]
        cells += [
            f"{a['compute_price_final'].mean():.2f}",
            f"{a['mean_providers_final'].mean():.2f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    first = REGULATOR_STRATEGIES[0]
    for name, label in ((base.name, "on baseline"), (ao5.name, "at 5x demand")):
        for field, what in (
            ("consumer_surplus", "consumer surplus"),
            ("compute_price_final", "final compute price"),
        ):
            moves = results(runs, name, field).switches
            moves = moves[(moves["profile"] == first) & (moves["deviator"] == "role")]
            diffs = [f"`{r.to}` {est(r.gain, r.lo, r.hi, True)}" for r in moves.itertuples()]
            beyond = code(moves.loc[(moves["lo"] > 0) | (moves["hi"] < 0), "to"])
            lines.append(
                f"- {what.capitalize()} {label}, paired difference to `{first}`: "
                f"{listing(diffs)} (beyond noise: {listing(beyond)})."
            )
        lines.append(f"- By consumer surplus {label}: {ranking(res[name], 'the regulators gain')}")
    lines.append(f"- {monopoly(runs, [base.name, ao5.name], 'regime')}")
    return "\n".join(lines)


def learner_table(runs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each learner's final probabilities, one row per run and cloud, columns the arms: the
    84-month tournament's learning profile and the long runs (with ``setting`` and ``seed``)."""
    frames = []
    for name in ("learn", "learn-long"):
        sub = runs[(runs["experiment"] == name) & (runs["status"] == "ok")]
        if name == "learn":
            sub = sub[sub["profile"] == "roth-erev"]
        for cloud in CLOUDS:
            cols = {f"p.{cloud}.{arm}": arm for arm in CLOUD_STRATEGIES}
            part = sub[["setting", "seed", *cols]].rename(columns=cols)
            frames.append(part.assign(cloud=cloud, experiment=name))
    table = pd.concat(frames, ignore_index=True)
    return table[table["experiment"] == "learn"], table[table["experiment"] == "learn-long"]


def learning_block(runs: pd.DataFrame) -> str:
    short, long_ = EXPERIMENTS["learn"], EXPERIMENTS["learn-long"]
    arms = list(CLOUD_STRATEGIES)
    p84, p240 = learner_table(runs)
    n_long = len(p240) // len(CLOUDS)
    top = p240[arms].idxmax(axis=1)
    lines = [*bash(short, long_)]
    lines += [
        f"Final choice probabilities, mean over runs ({seeds(runs, short.name)} runs of 84 months / "
        f"{n_long} runs of 240 months), and in how many of the {n_long} long runs each arm ended "
        f"as the learner's most probable one (uniform: {n_long / len(arms):g}):",
        "",
        "| cloud | " + " | ".join(arms) + " |",
        "|---" * (len(arms) + 1) + "|",
    ]
    for cloud in CLOUDS:
        a, b = p84[p84["cloud"] == cloud], p240[p240["cloud"] == cloud]
        counts = top[b.index].value_counts()
        cells = [f"{a[m].mean():.2f} / {b[m].mean():.2f} ({counts.get(m, 0)})" for m in arms]
        lines.append(f"| {cloud} | " + " | ".join(cells) + " |")
    top84, top240 = p84[arms].max(axis=1), p240[arms].max(axis=1)
    med84 = p84.assign(t=top84).groupby("cloud")["t"].median()
    med240 = p240.assign(t=top240).groupby("cloud")["t"].median()
    over = p240.assign(a=top240 > 0.5, b=top240 > 0.8).groupby("cloud")[["a", "b"]].mean()
    means = pd.concat([p84.groupby("cloud")[arms].mean(), p240.groupby("cloud")[arms].mean()])
    lines += [
        "",
        f"- **Settling.** After 84 months the most probable arm has a median probability of "
        f"{med84.min():.2f}-{med84.max():.2f} (by cloud) and exceeds 0.8 in "
        f"{int((top84 > 0.8).sum())} of {len(top84)} learner-runs; after 240 months "
        f"{med240.min():.2f}-{med240.max():.2f}, above 0.5 in {over['a'].min():.0%}-"
        f"{over['a'].max():.0%} of runs and above 0.8 in {over['b'].min():.0%}-"
        f"{over['b'].max():.0%}. Over runs, the mean final probabilities of the arms range "
        f"{means.min().min():.2f}-{means.max().max():.2f}: which arm a learner leans on "
        "depends on the seed.",
    ]
    lines.append("- " + _same_seed(p240, arms) + " " + _tilt(p240, arms))
    lines += _learning_payoffs(runs)
    long_runs = runs[(runs["experiment"] == long_.name) & (runs["status"] == "ok")]
    regimes = long_runs.groupby("setting")["regime"].agg(lambda r: r.value_counts().to_dict())
    shown = [
        f"{', '.join(f'{v} {k}' for k, v in sorted(counts.items()))} at Nvidia supply growth "
        f"{setting}"
        for setting, counts in regimes.items()
    ]
    lines.append(
        f"- Final regimes of the long runs ({seeds(runs, long_.name)} a setting): {'; '.join(shown)}. "
        "The long runs extend the scenario's demand path (3x a year fading toward 1.3x) over 20 "
        "years: their money amounts are not forecasts, only the learning dynamics."
    )
    return "\n".join(lines)


def _same_seed(p240: pd.DataFrame, arms: list[str]) -> str:
    """How often a learner ends on the same top arm in two long runs sharing a seed."""
    tops = p240.assign(top=p240[arms].idxmax(axis=1))
    same, pairs = 0, 0
    for _, g in tops.groupby(["cloud", "seed"]):
        t = g["top"].tolist()
        for i in range(len(t)):
            for j in range(i + 1, len(t)):
                same, pairs = same + (t[i] == t[j]), pairs + 1
    return (
        "**Seeds, not settings, are the units.** The supply growths share their seeds, so a "
        f"learner ends on the same most probable arm in {same / pairs:.0%} of the pairs of long "
        "runs with a common seed."
    )


def _tilt(p240: pd.DataFrame, arms: list[str]) -> str:
    """Per cloud and arm, how many seeds end with the arm on top in their run at the scenario's
    own supply growth (one run per seed: independent), tested against uniform (1/arms) with an
    exact binomial test, Bonferroni over the cloud-arm pairs."""
    own = _value(value_at(_scenario(EXPERIMENTS["learn-long"]).data, SUPPLY))
    runs = p240[p240["setting"].astype(float).map(_value) == own]
    tops = runs.assign(top=runs[arms].idxmax(axis=1))
    rows = []
    for cloud, g in tops.groupby("cloud"):
        for arm in arms:
            k, n = int((g["top"] == arm).sum()), len(g)
            rows.append((cloud, arm, k, n, stats.binomtest(k, n, 1 / len(arms)).pvalue))
    table = pd.DataFrame(rows, columns=["cloud", "arm", "k", "n", "p"]).sort_values(
        ["p", "k"], ascending=[True, False], kind="stable"
    )
    tests, n = len(table), int(table["n"].iloc[0])
    shown = [
        f"{r.cloud} `{r.arm}` {r.k} of {r.n} (p = {r.p:.2g})" for r in table.head(3).itertuples()
    ]
    beyond = table[table["p"] < 0.05 / tests]
    verdict = (
        "none is beyond noise"
        if beyond.empty
        else f"{len(beyond)} {'is' if len(beyond) == 1 else 'are'} beyond noise"
    )
    return (
        f"With one run per seed (Nvidia supply growth {own}, the scenario's own), the arm counts "
        f"least like uniform ({n / len(arms):g} of {n} seeds each) are {listing(shown)} (exact "
        f"binomial test); allowing for the {tests} cloud-arm comparisons (p < "
        f"{0.05 / tests:.2g}), {verdict}."
    )


def _learning_payoffs(runs: pd.DataFrame) -> list[str]:
    lines = []
    for field, what in (("payoff", "profit"), ("value", "value")):
        res = results(runs, "learn", field)
        p = res.profiles.set_index("profile")
        move = res.switches.set_index(["profile", "to"]).loc[("capacity-planner", "roth-erev")]
        lines.append(
            f"- By {what}, a learning cloud ends with {est(*p.loc['roth-erev', ['mean', 'lo', 'hi']])}"
            f" bn against {est(*p.loc['capacity-planner', ['mean', 'lo', 'hi']])} when every "
            f"cloud plays `capacity-planner` with its default parameters (mean over the five "
            f"clouds, 84 months; paired {est(move['gain'], move['lo'], move['hi'], True)})."
        )
    parts = []
    for s, sub in by_profile(runs, "learn"):
        broke = sub["first_breakdown_tick"].notna().sum()
        parts.append(
            f"`{s}` {pct(broke, len(sub))} ({sub['arrangement_breakdowns'].mean():.2g} broken "
            "arrangements a run)"
        )
    long_runs = runs[(runs["experiment"] == "learn-long") & (runs["status"] == "ok")]
    mono = int(long_runs["monopoly_like"].astype(bool).sum())
    lines.append(
        f"- P(breakdown) over 84 months: {listing(parts)}. "
        f"{monopoly(runs, ['learn'], 'cloud profile over 84 months')} "
        f"Monopoly-like long runs: {mono} of {len(long_runs)}."
    )
    return lines


def example_block(runs: pd.DataFrame) -> str:
    e = EXPERIMENTS["example"]
    res = results(runs, e.name)
    first = res.profiles["profile"].iloc[0]
    moves = res.switches[res.switches["improves"]].sort_values("gain", ascending=False)
    unstable = [
        f"`{r.profile}` is not stable: AWS gains {est(r.gain, r.lo, r.hi, True)} bn by switching "
        f"to `{r.to}`"
        for r in moves.drop_duplicates("profile").itertuples()
    ]
    reading = f"Here `{first}` ranks first; " + (
        listing(unstable) + "." if unstable else "every profile is stable."
    )
    return "\n".join([*bash(e), "```text", tournament.text(res), "```", "", reading])


def setup_block(runs: pd.DataFrame) -> str:
    n = len(runs)
    failed = int((runs["status"] != "ok").sum())
    return (
        f"Generated by `python docs/gen_strategies.py` from {n} runs ({failed} failed), root seed "
        f"{ROOT_SEED}; every run is a row of [`strategies-runs.csv`](strategies-runs.csv), and "
        "`tests/test_docs_strategies.py` reruns the first replication of AWS's baseline "
        "tournament against it. The commands below run the same experiments (a run store per "
        "command under `runs/`)."
    )


BLOCKS = {
    "strategies-example": example_block,
    "strategies-setup": setup_block,
    "strategies-aws": aws_block,
    "strategies-labs": labs_block,
    "strategies-regulators": regulators_block,
    "strategies-learning": learning_block,
}


def blocks(runs: pd.DataFrame) -> dict[str, str]:
    """Every generated block of docs/strategies.md, from the CSV's rows."""
    return {name: build(runs) for name, build in BLOCKS.items()}


def read_runs() -> pd.DataFrame:
    return pd.read_csv(RUNS_CSV, dtype={"setting": str, "first_breakdown_cause": str})


def main() -> None:
    from aimarket.cli import configure_logging

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="folder of the run stores (default: a temp one)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--from-csv", action="store_true", help="rewrite the blocks from the CSV, run nothing"
    )
    args = parser.parse_args()
    configure_logging()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="gen-strategies-") as tmp:
        folder = args.store or Path(tmp)
        frames = []
        for e in () if args.from_csv else EXPERIMENTS.values():
            print(f"{e.name}: {e.commands()[0]}", flush=True)
            frames.append(records(e, run_experiment(e, folder / e.name, args.jobs)))
        if frames:
            runs = pd.concat(frames, ignore_index=True)
            runs.to_csv(RUNS_CSV, index=False, float_format="%.6g")
    runs = read_runs()
    text = DOC.read_text()
    for name, body in blocks(runs).items():
        text = replace_block(text, name, body)
    DOC.write_text(text)
    minutes = (time.perf_counter() - start) / 60
    csv = "" if args.from_csv else f"{RUNS_CSV.name} ({len(runs)} runs) and "
    print(f"wrote {csv}{DOC.name}'s blocks in {minutes:.1f} min")


if __name__ == "__main__":
    main()
