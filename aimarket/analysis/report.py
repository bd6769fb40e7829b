"""Self-contained HTML report of a run store: figures embedded as PNG data URIs, tables as CSV.

`build_report(run_dir, path)` writes ``path`` (opens offline: no script, no network URL) and the
tables behind every figure into ``<stem>_tables/`` next to it. A section whose inputs are missing
(e.g. no time series kept) is replaced by a note; failed runs are always reported.
"""

from __future__ import annotations

import base64
import html
import logging
import re
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from aimarket.analysis import (
    discovery,
    distributions,
    money_flows,
    paired,
    phase,
    regimes,
    survival,
)
from aimarket.analysis import sensitivity as sens
from aimarket.analysis import timeseries as tsm
from aimarket.analysis.fields import DISTRIBUTION_FIELDS, EVENTS, REGIMES, event_label, key_label
from aimarket.analysis.load import RunData, load_run, setting_labels, swept_keys
from aimarket.analysis.notes import Skipped
from aimarket.analysis.plotting import STYLE, colours, grid, to_data_uri
from aimarket.analysis.stats import SMALL_N, percent, wilson_interval
from aimarket.metrics import monopoly_closeness, monopoly_definition

MAX_ROWS = 40
MAX_GROUPS = 16  # settings the report splits runs into by default
log = logging.getLogger(__name__)
SENSITIVITY_FIELDS = (
    "monopoly_like",
    "hhi_cloud_final",
    "hhi_models_final",
    "hhi_chips_final",
    "circular_revenue_share",
    "consumer_surplus",
    "exclusivity_breakdowns",
)


@dataclass
class Section:
    """One report section: a how-to-read paragraph, figures, tables and notes."""

    title: str
    intro: str = ""
    points: list[str] = field(default_factory=list)
    figures: list[tuple[str, str, str]] = field(default_factory=list)
    tables: list[tuple[str, str, pd.DataFrame]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def figure(self, caption: str, fig: Figure | None) -> None:
        """Add `fig` (as PNG) with its caption and an alt text describing its axes."""
        if fig is not None:
            self.figures.append((caption, to_data_uri(fig), alt_text(caption, fig)))

    def table(self, name: str, caption: str, df: pd.DataFrame) -> None:
        """Add a table; ``name`` (which may hold swept keys, so firm names) becomes a safe file
        name for its CSV."""
        if df is not None and not df.empty:
            self.tables.append((re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-"), caption, df))


@dataclass
class Context:
    run: RunData
    settings: pd.Series
    keys: list[str]
    by: list[str]


def default_by(run: RunData, keys: list[str]) -> list[str]:
    """The swept keys to group runs by when the user names none.

    Every swept key while that makes at most `MAX_GROUPS` settings (a numeric key with more than
    8 values counts as its 4 quartile bins, as `setting_labels` cuts it); else the keys that move
    P(breakdown) (or P(monopoly-like)) most (|Spearman ρ|), added while the settings stay at most
    `MAX_GROUPS`. A tournament groups by its role's strategy when that is one key.
    """
    if not keys:
        return []
    out = run.outcomes
    if str(run.design.get("kind", "")).lower() == "tournament":
        return keys if len(keys) == 1 else []
    levels = {
        k: 4 if pd.api.types.is_numeric_dtype(out[k]) and out[k].nunique() > 8 else out[k].nunique()
        for k in keys
    }
    if np.prod(list(levels.values())) <= MAX_GROUPS:
        return keys
    flags = regimes.event_flags(out)
    ranked = phase.rank_keys(out, keys, flags.iloc[:, 0]) if flags.shape[1] else keys
    chosen, groups = [], 1
    for key in ranked:
        if groups * levels[key] <= MAX_GROUPS:
            chosen.append(key)
            groups *= levels[key]
    return chosen


def alt_text(caption: str, fig: Figure) -> str:
    """Caption plus what each visible panel plots: its title, x and y axis labels."""
    panels = []
    for ax in fig.axes:
        if not ax.get_visible() or not (ax.get_xlabel() or ax.get_ylabel()):
            continue
        if getattr(ax, "_colorbar", None) is not None:  # a colour scale, not a panel
            panels.append(f"colour: {ax.get_ylabel() or ax.get_xlabel()}")
            continue
        title = f"{ax.get_title()}: " if ax.get_title() else ""
        panels.append(
            f"{title}x: {ax.get_xlabel() or 'categories'}, y: {ax.get_ylabel() or 'categories'}"
        )
    return f"{caption}. " + "; ".join(panels) if panels else caption


# --- sections ---------------------------------------------------------------------------------


def definitions(ctx: Context) -> Section:
    """What the report counts as a breakdown, monopoly-like and each regime, with the batch's
    own thresholds (from the scenario in the manifest; schema defaults otherwise)."""
    from aimarket.scenario import Monopoly, Regime

    scenario = ctx.run.manifest.get("scenario")
    data = scenario.get("data", {}) if isinstance(scenario, dict) else {}
    mono = Monopoly.model_validate(data.get("monopoly", {}))
    regime = Regime.model_validate(data.get("regime", {}))
    return Section(
        "Definitions",
        points=[
            "Exclusivity breakdown: an exclusive or right-of-first-refusal clause between a cloud "
            "and a lab ends before its term and before the horizon: the lab breaks it for a "
            "better outside offer or for a compute shortfall, the parties loosen it, or a "
            "regulator strips it. P(breakdown) is the share of runs with at least one.",
            f"Monopoly-like: in a watched layer ({', '.join(mono.layers)}), the largest bloc "
            f"(firms tied by controlling stakes or exclusive clauses) holds at least "
            f"{mono.share_threshold:.0%} of the layer, or the layer's bloc HHI is at least "
            f"{mono.hhi_threshold:,.0f} points, for {mono.sustain_months} consecutive months.",
            "Regime of a run (its last month): monopoly-like as above; else open-dominant when "
            f"open-weight models have at least {regime.open_dominant_share:.0%} of model usage; "
            "else exclusive-blocs when labs under exclusive clauses or controlled by a cloud "
            f"have at least {regime.exclusive_bloc_share:.0%} of model usage; else competitive.",
            "Months are counted from the scenario's start month (month 0). Probabilities are "
            "shares of finished runs with a 95 % Wilson interval.",
        ],
    )


def overview(ctx: Context) -> Section:
    run, out = ctx.run, ctx.run.outcomes
    m = run.manifest
    sec = Section(
        "Overview",
        "What was run, and which runs failed. Failed runs are excluded from "
        "the estimates below (n counts finished runs only) but listed here.",
    )
    scen = m.get("scenario") if isinstance(m.get("scenario"), dict) else {"name": m.get("scenario")}
    facts = {
        "run store": str(run.path),
        "scenario": scen.get("name"),
        "scenario hash": (scen.get("hash") or scen.get("content_hash") or "")[:12],
        "design": run.design.get("kind", "unknown"),
        "swept keys": ", ".join(ctx.keys) or "none",
        "design points": out["design_point"].nunique(),
        "replications": run.design.get("replications", out["replication"].nunique()),
        "root seed": m.get("root_seed"),
        "runs": len(out),
        "ok runs": int((out["status"] == "ok").sum()),
        "failed runs": int((out["status"] != "ok").sum()),
        "horizon (months)": f"{regimes.horizon(out):g}",
        "grouped by": ", ".join(ctx.by) or "(all runs together)",
    }
    sec.table(
        "overview",
        "Batch",
        pd.DataFrame({"item": facts.keys(), "value": [str(v) for v in facts.values()]}),
    )
    sec.table(
        "failures",
        f"Failed runs per setting (failure rate with 95 % Wilson CI; small_sample: n<{SMALL_N})",
        regimes.failures(out, ctx.settings),
    )
    sec.notes.extend(run.notes)
    pooled = [k for k in ctx.keys if k not in ctx.by]
    if pooled:
        sec.notes.append(
            f"The per-setting sections pool the values of {', '.join(pooled)} (the phase "
            f"diagrams still split them); choose the grouping with `aimarket analyze {run.path} "
            f"--by KEY` (KEY one of: {', '.join(ctx.keys)}). Settings share their replications' "
            "seeds (common random numbers), so intervals pooled over settings treat correlated "
            "runs as independent and are too narrow."
        )
    return sec


def tournament_section(ctx: Context) -> Section:
    from aimarket import tournament

    spec = ctx.run.manifest.get("tournament")
    if not spec:
        raise Skipped("not a tournament")
    field = spec.get("field", "payoff")
    sec = Section(
        "Tournament",
        f"Role {spec['role']} ({spec['agent_type']}) plays each listed strategy over the same "
        f"seeds. Payoff = {field}: {tournament.describe_field(field)}. Profile payoffs: mean with a 95 % "
        "Student-t interval over replications; differences to the best profile and switch gains "
        "are paired by replication (paired t interval and test). A profile is stable when no "
        "unilateral switch to another listed strategy has a gain interval above 0: of the whole "
        "role (stable_role) or, for an agent type, of one agent of the type (stable_agents). "
        "Market outcomes per profile: means, and shares of runs with Wilson 95 % intervals.",
    )
    res = tournament.analyze(ctx.run.outcomes, spec)
    table = res.profiles.merge(res.stability, on="profile")
    fig = Figure(figsize=(6.5, 0.8 + 0.4 * len(table)), layout="constrained")
    ax = fig.subplots()
    pos = np.arange(len(table))[::-1]
    err = np.nan_to_num([table["mean"] - table["lo"], table["hi"] - table["mean"]])
    ax.errorbar(table["mean"], pos, xerr=np.clip(err, 0, None), fmt="o", capsize=3)
    ax.set_yticks(pos, table["profile"], fontsize="small")
    ax.set_ylabel("profile")
    ax.set_xlabel(f"{field} of the role ({tournament.describe_field(field)}), 95 % t interval")
    sec.figure("Role payoff per profile", fig)
    sec.table("tournament_ranking", "Ranking and stability", table)
    sec.table("tournament_switches", "Unilateral switches (paired gains)", res.switches)
    sec.table("tournament_market", "Market outcomes per profile", res.market)
    return sec


def distributions_section(ctx: Context) -> Section:
    out = ctx.run.outcomes
    sec = Section(
        "Outcome distributions",
        "Histograms (density) and empirical CDFs of each "
        "outcome per setting. The table gives mean with a 95 % percentile-bootstrap CI, "
        "median and the 5–95 % range. `first_breakdown_tick` only counts runs with a "
        "breakdown; see the survival section for the censoring-aware view.",
    )
    fields = distributions.available(out, DISTRIBUTION_FIELDS)
    missing = distributions.unavailable(ctx.run.ok, DISTRIBUTION_FIELDS)
    if missing:
        sec.notes.append("skipped: " + ", ".join(missing))
    if not fields:
        raise Skipped("no outcome field to plot")
    sec.figure("Histograms per setting", distributions.plot_distributions(out, ctx.settings))
    sec.figure(
        "Empirical CDFs per setting",
        distributions.plot_distributions(out, ctx.settings, kind="ecdf"),
    )
    sec.table(
        "outcome_summary",
        "Summary per outcome and setting",
        distributions.outcome_summary(out, ctx.settings),
    )
    return sec


def _errorbar_panels(table: pd.DataFrame, panel: str, x: str, ylabel: str) -> Figure:
    panels = list(dict.fromkeys(table[panel]))
    fig, axes = grid(len(panels), ncols=2, size=(5.5, 3.5))
    for ax, name in zip(axes, panels, strict=True):
        sub = table[table[panel] == name]
        pos = np.arange(len(sub))
        ax.errorbar(
            pos,
            sub["p"],
            yerr=np.clip([sub["p"] - sub["lo"], sub["hi"] - sub["p"]], 0, None),
            fmt="o",
            capsize=4,
        )
        ax.set_xticks(pos, sub[x].astype(str), rotation=30, ha="right", fontsize="small")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(event_label(str(name)), fontsize="small")
        ax.set_xlabel(x)
        ax.set_ylabel(ylabel)
    return fig


def regimes_section(ctx: Context) -> Section:
    out = ctx.run.outcomes
    sec = Section(
        "Regime probabilities",
        "Each dot is the share of finished runs in a setting "
        "with the event; bars are 95 % Wilson score intervals. `breakdown` = an exclusive "
        "arrangement broke down before the horizon.",
    )
    probs = regimes.event_probabilities(out, ctx.settings)
    if probs.empty:
        raise Skipped("no first_breakdown_tick / monopoly_like column")
    sec.figure(
        "P(event) per setting",
        _errorbar_panels(probs, "event", "setting", "share of runs with the event"),
    )
    sec.table("event_probabilities", "P(event) per setting (Wilson 95 %)", probs)
    sec.notes.extend(monopoly_definition(ctx.run.manifest))
    closest = monopoly_closeness(out, ctx.settings)
    if not closest.empty:
        sec.table("monopoly_closeness", "How close runs came to monopoly-like", closest)
    by_tick = regimes.breakdown_by_tick(out, ctx.settings)
    if not by_tick.empty:
        fig = Figure(figsize=(7, 4), layout="constrained")
        ax = fig.subplots()
        for c, (g, sub) in zip(
            colours(by_tick.setting.nunique()),
            by_tick.groupby("setting"),
            strict=True,
        ):
            ax.plot(sub["tick"], sub["p"], marker="o", color=c, label=str(g))
            ax.fill_between(sub["tick"], sub["lo"], sub["hi"], color=c, alpha=0.2)
        ax.set(xlabel="month of the run", ylabel="P(a breakdown by this month)", ylim=(0, 1))
        if by_tick.setting.nunique() > 1:
            fig.legend(loc="outside right upper", fontsize="x-small", title="setting")
        sec.figure("P(first exclusivity breakdown by month t), 95 % Wilson band", fig)
        sec.table("breakdown_by_tick", "P(breakdown by month t)", by_tick)
    shares = regimes.regime_shares(out, ctx.settings)
    if shares.empty:
        sec.notes.append("no `regime` column: regime shares skipped")
    else:
        wide = shares.pivot(index="setting", columns="regime", values="p")
        wide = wide.reindex(columns=[*REGIMES, *(c for c in wide if c not in REGIMES)]).fillna(0)
        fig = Figure(figsize=(8, 1.2 + 0.4 * len(wide)), layout="constrained")
        ax = fig.subplots()
        wide.plot.barh(stacked=True, ax=ax, color=colours(wide.shape[1]), legend=False)
        ax.set(xlabel="share of runs", ylabel="setting", xlim=(0, 1))
        fig.legend(loc="outside right upper", fontsize="x-small", title="regime")
        sec.figure("Regime shares per setting (CIs in the table)", fig)
        sec.table("regime_shares", "Regime shares per setting (Wilson 95 %)", shares)
    return sec


def phase_section(ctx: Context) -> Section:
    out = ctx.run.outcomes
    sec = Section(
        "Phase diagrams",
        "Probability of the event over two swept parameters; each "
        "cell is the share of runs with the event (continuous designs are binned). The "
        "dashed line is the 50 % contour: where the regime changes. Per-cell Wilson "
        "intervals and n are in the table. Every diagram uses the same axes: the grouping "
        "keys, else the two keys that move the first event most (x the stronger).",
    )
    if not ctx.keys:
        raise Skipped("no swept parameter")
    flags = regimes.event_flags(out)
    events = [e for e in EVENTS if e in flags]
    axes = ctx.by[:2] if len(ctx.by) >= 2 else []
    if not axes and events:
        axes = phase.rank_keys(out, ctx.keys, flags[events[0]])[:2]
    for event in events:
        flag, pair = flags[event], list(axes)
        if len(pair) == 2:
            table = phase.phase_table(out, pair[0], pair[1], flag)
            if min(table["x"].nunique(), table["y"].nunique()) < 2:
                pair = pair[:1] if table["x"].nunique() >= 2 else pair[1:]
        if len(pair) == 2:
            sec.figure(
                f"P({event_label(event)}) over {key_label(pair[0])} (x) and "
                f"{key_label(pair[1])} (y)",
                phase.plot_phase(table, pair[0], pair[1], event),
            )
        else:
            table = phase.phase_table(out, pair[0], None, flag)
            sec.figure(
                f"P({event_label(event)}) against {key_label(pair[0])}",
                phase.plot_phase_1d(table, pair[0], event),
            )
        where = f"x: {pair[0]}" + (f", y: {pair[1]}" if len(pair) == 2 else "")
        sec.table(f"phase_{event}", f"P({event_label(event)}) per cell ({where})", table)
    return sec


def survival_section(ctx: Context) -> Section:
    out = ctx.run.outcomes
    sec = Section(
        "Time to exclusivity breakdown",
        "Kaplan–Meier curves per setting. Runs: the probability that no exclusive arrangement "
        "has broken down yet (runs without a breakdown are censored at the horizon). "
        "Arrangements: the probability that one exclusive or ROFR clause still holds, months "
        "after it came into force (censored at its expiry or the horizon). Shaded: 95 % "
        "pointwise band (Greenwood, log-log). A median of `inf` means the curve never fell to "
        "0.5 within the horizon.",
    )
    if "first_breakdown_tick" not in out:
        raise Skipped("no first_breakdown_tick column")
    runs = survival.breakdown_durations(out)
    curves, medians = survival.survival_by(runs, ctx.settings.loc[runs.index])
    horizon = regimes.horizon(out)
    sec.figure("Runs: time to the first breakdown", survival.plot_survival(curves, horizon))
    sec.table("survival_medians", "Median time to first breakdown (months) with 95 % CI", medians)
    sec.table("survival_curves", "Kaplan–Meier curves of runs", curves)
    deals = survival.arrangement_durations(ctx.run.clause_spans, out)
    if deals.empty:
        sec.notes.append("no clause_in_force events: arrangement survival skipped")
    else:
        curves, medians = survival.survival_by(deals, ctx.settings.loc[deals.index])
        sec.figure(
            "Arrangements: time from a clause coming into force to its breakdown",
            survival.plot_survival(
                curves,
                horizon,
                xlabel="months since the clause came into force",
                ylabel="P(clause not broken down yet)",
            ),
        )
        sec.table("arrangement_medians", "Median life of a clause (months) with 95 % CI", medians)
        sec.table("arrangement_curves", "Kaplan–Meier curves of arrangements", curves)
    causes = survival.cause_table(out, ctx.settings)
    if causes.empty:
        sec.notes.append("no breakdown causes recorded")
    else:
        sec.figure("Causes of the first breakdown", survival.plot_causes(causes))
        sec.table("breakdown_causes", "Causes of the first breakdown (Wilson 95 %)", causes)
    return sec


def sensitivity_section(ctx: Context) -> Section:
    sec = Section(
        "Global sensitivity",
        "Which swept parameters drive each outcome. Sobol: S1 = "
        "share of variance explained by the parameter alone, ST = including its "
        "interactions; bars are 95 % bootstrap CIs. Replications are averaged per "
        "design point first.",
    )
    method, table = sens.sensitivity(ctx.run.outcomes, ctx.run.manifest, SENSITIVITY_FIELDS)
    sec.intro += f" Method: {method}."
    if table.attrs.get("skipped"):
        sec.notes.append("outcomes skipped: " + "; ".join(table.attrs["skipped"]))
    sec.figure("Sensitivity indices", sens.plot_sensitivity(table))
    sec.table("sensitivity", f"Indices ({method})", table)
    return sec


def discovery_section(ctx: Context) -> Section:
    out = ctx.run.outcomes
    sec = Section(
        "Scenario discovery",
        "Which parameter box leads to the event. PRIM peels the "
        "parameter space; each dot is a box: coverage = share of all event runs inside "
        "it, density = share of its runs with the event; the circled box balances both "
        "(best harmonic mean). The CART table lists tree leaves as rules, densest first.",
    )
    if len(ctx.keys) < 1:
        raise Skipped("no swept parameter")
    flags = regimes.event_flags(out)
    done = False
    for event in ("monopoly_like", "breakdown"):
        if event not in flags:
            continue
        try:
            traj = discovery.prim(out, ctx.keys, flags[event])
        except Skipped as why:
            sec.notes.append(f"{event}: {why}")
            continue
        box = discovery.choose_box(traj)
        rules = discovery.box_rules(box, out, ctx.keys)
        sec.notes.append(
            f"PRIM box for {event}: {' and '.join(rules) or '(whole space)'} — "
            f"coverage {box['coverage']:.2f}, density {box['density']:.2f}, "
            f"n {int(box['n'])}"
        )
        sec.figure(f"PRIM trajectory for {event}", discovery.plot_trajectory(traj, box))
        sec.table(f"prim_{event}", f"PRIM trajectory for {event}", traj)
        sec.table(
            f"cart_{event}",
            f"CART rules for {event}",
            discovery.cart_rules(out, ctx.keys, flags[event]),
        )
        done = True
    if not done:
        raise Skipped("; ".join(sec.notes) or "no event to discover")
    return sec


def circular_section(ctx: Context) -> Section:
    sec = Section(
        "Circular revenue by origin",
        "Mean share of cloud revenue over the run paid with money of the receiving cloud's group, "
        "stacked by where that money came from (credits, equity, group funding, vendor "
        "financing, sponsorship, a group member's own money; docs/ODD.md 3.3.19).",
    )
    if "circular_revenue_share_by_origin" not in ctx.run.outcomes:
        raise Skipped("the outcomes have no circular_revenue_share_by_origin")
    table = money_flows.circular_by_origin(ctx.run.outcomes, ctx.settings)
    sec.figure("Circular share by origin kind", money_flows.plot_circular_by_origin(table))
    sec.table("circular_by_origin", "Mean circular share by origin kind and setting", table)
    return sec


def paired_section(ctx: Context) -> Section:
    out = ctx.run.outcomes
    sec = Section(
        "Paired counterfactuals",
        "For each swept key with exactly two values, the "
        "effect of switching from the first to the second value, matching runs on the "
        "replication (common random numbers) and the other swept keys. diff = b − a with "
        "a 95 % bootstrap CI over pairs; the test used is named per row.",
    )
    two_level = [k for k in ctx.keys if out[k].nunique() == 2][:4]
    if not two_level:
        raise Skipped("no swept key with exactly two values")
    for key in two_level:
        a_val, b_val = sorted(out[key].dropna().unique())
        a, b = paired.split_setting(out, key, a_val, b_val)
        others = [k for k in ctx.keys if k != key]
        table = paired.compare(a, b, keys=others)
        sec.notes.append(f"{key}: {table.attrs['pairing']}")
        sec.table(f"paired_{key}", f"{key}: {a_val} → {b_val}", table)
        sec.figure(f"{key}: {a_val} → {b_val} (diff b − a, 95 % CI)", _effects_figure(table))
    return sec


def _effects_figure(table: pd.DataFrame) -> Figure:
    fig = Figure(figsize=(6.5, 0.8 + 0.3 * len(table)), layout="constrained")
    ax = fig.subplots()
    scale = table[["lo", "hi", "diff"]].abs().max(axis=1).replace(0, 1)
    pos = np.arange(len(table))
    ax.errorbar(
        table["diff"] / scale,
        pos,
        xerr=np.clip(
            np.nan_to_num(
                [(table["diff"] - table["lo"]) / scale, (table["hi"] - table["diff"]) / scale]
            ),
            0,
            None,
        ),
        fmt="o",
        capsize=3,
    )
    ax.axvline(0, color="grey", ls=":")
    ax.set_yticks(pos, table["outcome"], fontsize="small")
    ax.set_xlabel("difference, scaled per row by its largest |value| (numbers in the table)")
    ax.set_ylabel("outcome")
    return fig


def timeseries_section(ctx: Context) -> Section:
    sec = Section(
        "Concentration over time",
        "Median (line), 25–75 % (dark) and 5–95 % (light) "
        "bands across runs of each per-tick metric.",
    )
    ts = ctx.run.timeseries
    if ts is None:
        raise Skipped("the batch kept no time series")
    ok = ctx.run.outcomes["status"] == "ok"
    run_settings = pd.Series(ctx.settings[ok].to_numpy(), index=ctx.run.outcomes.loc[ok, "run_id"])
    fields = [
        f
        for f in (
            "hhi_cloud",
            "hhi_models",
            "hhi_chips",
            "circular_revenue_share",
            "active_exclusive",
            "open_share",
        )
        if f in ts
    ]
    if not fields:
        raise Skipped("no concentration field in the time series")
    table = tsm.envelopes(ts, run_settings, fields)
    sec.figure("Envelopes across runs", tsm.plot_envelopes(table))
    sec.table("timeseries_envelopes", "Envelopes per tick", table)
    return sec


SECTIONS: tuple[Callable[[Context], Section], ...] = (
    definitions,
    overview,
    tournament_section,
    distributions_section,
    regimes_section,
    phase_section,
    survival_section,
    sensitivity_section,
    discovery_section,
    paired_section,
    circular_section,
    timeseries_section,
)

# --- assembly ---------------------------------------------------------------------------------


def analyse(run: RunData, by: list[str] | None = None, strict: bool = False) -> list[Section]:
    """All report sections for `run`. A section that cannot run becomes a note (or raises if
    `strict`, for tests)."""
    keys = swept_keys(run.manifest, run.outcomes)
    by = list(by) if by else default_by(run, keys)
    ctx = Context(run, setting_labels(run.outcomes, by), keys, by)
    sections = []
    makers = tuple(
        m for m in SECTIONS if m is not tournament_section or "tournament" in run.manifest
    )
    if run.ok.empty:
        makers = (definitions, overview)
        run.notes.append("no run finished (status ok): only the failure table can be shown")
    for n, make in enumerate(makers, 1):
        name = make.__name__.removesuffix("_section").replace("_", " ").capitalize()
        log.info(f"analyze: [{n}/{len(makers)}] {name.lower()}")
        try:
            with matplotlib.rc_context(STYLE):
                sections.append(make(ctx))
        except Skipped as why:
            sections.append(Section(name, notes=[f"skipped: {why}"]))
        except Exception as err:
            if strict:
                raise
            detail = traceback.format_exception_only(err)[-1].strip()
            sections.append(Section(name, notes=[f"could not be computed: {detail}"]))
    return sections


CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em} h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
img{max-width:100%} figure{margin:1em 0} figcaption{font-size:.9em;color:#555}
table{border-collapse:collapse;font-size:.8em;margin:.5em 0}
td,th{border:1px solid #ddd;padding:2px 6px;text-align:right} th{background:#f4f4f4}
.note{background:#fff8e1;border-left:4px solid #f0b400;padding:.3em .8em;margin:.4em 0}
details{margin:.5em 0} summary{cursor:pointer;color:#333}
"""


def percentages(df: pd.DataFrame) -> pd.DataFrame:
    """A probability table for reading: ``p`` (or ``failure_rate``), ``lo``, ``hi`` (fractions)
    become one column "percent (95 % CI)", e.g. "12.5 % (8.1–18.0 %)", and each ``p_X`` with
    ``p_X_lo``, ``p_X_hi`` (or with a column ``n`` of runs: Wilson interval) one column
    "P(X) (95 % CI)"; other tables unchanged."""
    out = df
    for share, label in (("p", "percent (95 % CI)"), ("failure_rate", "failure rate (95 % CI)")):
        if {share, "lo", "hi"} <= set(out):
            out = _as_percent(out, share, out["lo"], out["hi"], label, ["lo", "hi"])
    for col in [
        c for c in out.columns if str(c).startswith("p_") and not str(c).endswith(("_lo", "_hi"))
    ]:
        label = f"P({event_label(str(col).removeprefix('p_'))}) (95 % CI)"
        if {f"{col}_lo", f"{col}_hi"} <= set(out):
            bounds = [f"{col}_lo", f"{col}_hi"]
            out = _as_percent(out, col, out[bounds[0]], out[bounds[1]], label, bounds)
        elif "n" in out:
            k = (pd.to_numeric(out[col], errors="coerce") * out["n"]).round()
            lo, hi = wilson_interval(k.to_numpy(), out["n"].to_numpy())
            out = _as_percent(out, col, lo, hi, label, [])
    return out


def _as_percent(
    df: pd.DataFrame, share: str, lo: object, hi: object, label: str, drop: list[str]
) -> pd.DataFrame:
    """``df`` with column ``share`` (and ``drop``) replaced by its percentage text ``label``."""
    text = [percent(*row) for row in zip(df[share], lo, hi, strict=True)]
    at = df.columns.get_loc(share)
    out = df.drop(columns=[share, *drop])
    out.insert(at, label, text)
    return out


def _table_html(df: pd.DataFrame) -> str:
    shown = percentages(df.head(MAX_ROWS))
    body = shown.to_html(index=False, float_format=lambda v: f"{v:.4g}", na_rep="–", border=0)
    more = f"<p>{len(df) - MAX_ROWS} more rows in the CSV.</p>" if len(df) > MAX_ROWS else ""
    return body + more


def render(sections: list[Section], title: str, tables_dir: str) -> str:
    """The HTML page for `sections`; tables link to ``tables_dir/<name>.csv`` (relative)."""
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
        f"</title><style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>",
        f"<p>Estimates carry 95 % intervals; rows flagged <code>small_sample</code> rest "
        f"on fewer than {SMALL_N} runs. Tables behind every figure: "
        f"<code>{html.escape(tables_dir)}/</code>.</p>",
    ]
    for sec in sections:
        parts.append(f"<section><h2>{html.escape(sec.title)}</h2>")
        if sec.intro:
            parts.append(f"<p>{html.escape(sec.intro)}</p>")
        if sec.points:
            parts.append(
                "<ul>" + "".join(f"<li>{html.escape(p)}</li>" for p in sec.points) + "</ul>"
            )
        parts += [f"<div class='note'>{html.escape(n)}</div>" for n in sec.notes]
        for caption, uri, alt in sec.figures:
            parts.append(
                f"<figure><img src='{html.escape(uri)}' alt='{html.escape(alt)}'>"
                f"<figcaption>{html.escape(caption)}</figcaption></figure>"
            )
        for name, caption, df in sec.tables:
            parts.append(
                f"<details{' open' if len(df) <= 12 else ''}><summary>"
                f"{html.escape(caption)} (<a href='{html.escape(quote(f'{tables_dir}/{name}.csv'))}'>"
                f"{html.escape(name)}.csv</a>)</summary>{_table_html(df)}</details>"
            )
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_figures(sections: list[Section], directory: Path) -> list[Path]:
    """Every figure of ``sections`` as ``NN-section-title-K.png`` in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, sec in enumerate(sections, 1):
        slug = re.sub(r"[^a-z0-9]+", "-", sec.title.lower()).strip("-")
        for k, (_, uri, _) in enumerate(sec.figures, 1):
            path = directory / f"{n:02d}-{slug}-{k}.png"
            path.write_bytes(base64.b64decode(uri.split(",", 1)[1]))
            paths.append(path)
    return paths


def build_report(
    run: RunData | str | Path,
    path: str | Path | None = None,
    by: list[str] | None = None,
    strict: bool = False,
    figures_dir: str | Path | None = None,
) -> Path:
    """Write the HTML report of `run` to `path` (default ``RUN_DIR/report.html``) and its tables
    as CSV into ``<stem>_tables/`` beside it; with ``figures_dir`` also every figure as a PNG file.
    Returns the report path."""
    start = time.perf_counter()
    if not isinstance(run, RunData):
        log.info(f"analyze: reading {run}")
        run = load_run(run)
    log.info(f"analyze: {len(run.outcomes)} runs")
    path = Path(path) if path is not None else run.path / "report.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    tables_dir = path.parent / f"{path.stem}_tables"
    tables_dir.mkdir(exist_ok=True)
    sections = analyse(run, by, strict)
    if figures_dir is not None:
        write_figures(sections, Path(figures_dir))
    for sec in sections:
        for name, _, df in sec.tables:
            df.to_csv(tables_dir / f"{name}.csv", index=False)
    path.write_text(
        render(sections, f"aimarket report: {run.name}", tables_dir.name), encoding="utf-8"
    )
    log.info(f"analyze: report written in {time.perf_counter() - start:.1f} s")
    return path
