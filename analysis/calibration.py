"""Calibration of `history-2019`: targets 2019-2023 vs the model, and its 2024-2027 projection.

    python analysis/calibration.py                      # 30 seeds -> runs/calibration-history-2019
    python analysis/calibration.py --seeds 5 --probe    # quick look, no store, no docs
    python analysis/calibration.py --sensitivity runs/sensitivity-history-2019  # Morris table

Runs a seeded batch of `history-2019` through the batch engine into a run store (time series
kept, with the extra per-provider series that the targets need), then writes
`docs/calibration_targets.csv`, `docs/calibration_projection.csv` and the figures
`docs/calibration_targets.png`, `docs/calibration_projection.png`, and the targets and
projection tables of docs/calibration.md (between their markers; `--sensitivity` writes the
sensitivity table the same way). Targets are rows of
`../shared/reference/` (see docs/calibration.md); a model value is the median over seeds with
the 5-95 % interval.
"""

from __future__ import annotations

import argparse
import shutil
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from aimarket.analysis import load_run
from aimarket.analysis.sensitivity import sensitivity
from aimarket.batch import run_batch
from aimarket.designs import single
from aimarket.generated import replace_block
from aimarket.model import AIMarket
from aimarket.scenario import Scenario, load_scenario
from aimarket.store import read_events, read_outcomes, read_timeseries

DOCS = Path(__file__).resolve().parent.parent / "docs"
BIG3 = ("AWS", "Microsoft", "Google")
BIG4 = (*BIG3, "Oracle")  # the named clouds: the fringe's capex is not in the capex reference
CAPEX_KINDS = ("capex_shell", "chips", "chips_credit", "chips_inhouse", "chip_rd")
ROOT_SEED = 2019

# name, reference value, low, high, unit, source row
TARGETS = [
    ("cloud share AWS 2022Q4", 33 / 67, None, None, "share of top 3",
     "shares.csv market_share/cloud_infrastructure_services/AWS/2022Q4 (33 of top-3 67 %)"),
    ("cloud share Microsoft 2022Q4", 23 / 67, None, None, "share of top 3",
     "shares.csv market_share/cloud_infrastructure_services/Microsoft/2022Q4"),
    ("cloud share Google 2022Q4", 11 / 67, None, None, "share of top 3",
     "shares.csv market_share/cloud_infrastructure_services/Google/2022Q4"),
    ("cloud share AWS 2023Q4", 31 / 66, None, None, "share of top 3",
     "shares.csv market_share/cloud_infrastructure_services/AWS/2023Q4 (31 of 66 %)"),
    ("cloud share Microsoft 2023Q4", 24 / 66, None, None, "share of top 3",
     "shares.csv market_share/cloud_infrastructure_services/Microsoft/2023Q4"),
    ("cloud share Google 2023Q4", 11 / 66, None, None, "share of top 3",
     "shares.csv market_share/cloud_infrastructure_services/Google/2023Q4"),
    ("cloud share AWS 2023Q4, external", 31 / 66, None, None, "share of top 3",
     "as above; model: revenue from labs other than the cloud's own in-house lab"),
    ("cloud share Microsoft 2023Q4, external", 24 / 66, None, None, "share of top 3",
     "as above; model: revenue from labs other than the cloud's own in-house lab"),
    ("cloud share Google 2023Q4, external", 11 / 66, None, None, "share of top 3",
     "as above; model: revenue from labs other than the cloud's own in-house lab"),
    ("cloud HHI 2023", 1550.0, 1550.0, 2198.0, "HHI points",
     "reference README (~1,550 on Synergy's definition); shares.csv HHI_derived/public_IaaS_only/2023 (2,198)"),
    ("Nvidia share of merchant accelerators 2023", 0.98, None, None, "fraction of GW",
     "shares.csv market_share/datacenter_GPU/Nvidia/2023"),
    ("hyperscaler AI capex 2023", 151.0, None, None, "USD bn/yr",
     "scale.csv capex_combined/2023 (all capex of four firms: an upper bound); model: the four named clouds"),
    ("Nvidia data-centre GPU revenue 2023", 36.2, None, None, "USD bn/yr",
     "shares.csv market_share/datacenter_GPU/Nvidia/2023 (% of revenue row: 36.2 bn)"),
    ("frontier training compute flow growth 2020-2023", 3.2, 2.9, 3.6, "x/yr",
     "scale.csv frontier_training_compute_growth (4-5x/yr per run) / training_compute_drivers "
     "(run length 1.4x/yr)"),
    ("OpenAI annualised revenue 2023-12", 2.0, None, None, "USD bn/yr",
     "shares.csv lab_revenue/OpenAI/2023"),
    ("open-weight lag 2023", 3.5, 1.1, 5.3, "months",
     "shares.csv open_weight_capability_lag/2023-01..2025-10"),
]  # fmt: skip


def _extra(model: AIMarket) -> dict[str, float]:
    """Per-tick series the targets need beyond the standard time-series row."""
    revenue = {h.name: h.revenue for h in model.ctx.hyperscalers}
    external = dict(revenue)  # an in-house lab buys only from its parent (docs/ODD.md 3.3.5)
    for lab in model.ctx.labs:
        if parent := lab.parent():
            external[parent] -= lab.spend
    big = sum(revenue.get(n, 0.0) for n in BIG3)
    big_external = sum(external.get(n, 0.0) for n in BIG3)
    merchant = {c.name: sum(c.delivered) for c in model.ctx.chipmakers}
    labs = {lab.name: lab for lab in model.ctx.labs}
    return {
        **{f"cloud_share_{n}": revenue.get(n, 0.0) / big if big > 0 else np.nan for n in BIG3},
        **{
            f"external_share_{n}": external.get(n, 0.0) / big_external
            if big_external > 0
            else np.nan
            for n in BIG3
        },
        "nvidia_merchant_share": merchant.get("Nvidia", 0.0) / sum(merchant.values())
        if sum(merchant.values()) > 0
        else np.nan,
        "capex_cum_bn": -sum(model.ledger.net.get((h, k), 0.0) for h in BIG4 for k in CAPEX_KINDS),
        "nvidia_sales_cum_bn": sum(
            model.ledger.net.get(("Nvidia", k), 0.0) for k in ("chips", "chips_credit")
        ),
        "openai_revenue_bn": labs["OpenAI"].revenue if "OpenAI" in labs else np.nan,
        "frontier_training_gw": max(lab.training_gw for lab in model.ctx.labs),
    }


def calibration_run(data: dict, seed: int, ticks: int | None) -> tuple[dict, list, list]:
    """A batch run function: the standard run plus the per-tick series of `_extra`."""
    scenario = Scenario.from_data(data)
    model = AIMarket(scenario, rng=seed)
    extras = []
    for _ in range(scenario.ticks if ticks is None else ticks):
        model.step()
        extras.append(_extra(model))
    rows = [{**row, **extra} for row, extra in zip(model.rows, extras, strict=True)]
    return model.outcome(), model.events.rows, rows


def run_values(ts: pd.DataFrame) -> list[float]:
    """The model's value of every target for one run's time series (rows in date order)."""
    year = ts["date"].str[:4]
    q4 = {y: ts[ts["date"].isin([f"{y}-10", f"{y}-11", f"{y}-12"])] for y in ("2022", "2023")}
    y2023 = ts[year == "2023"]
    train = ts.groupby(year)["frontier_training_gw"].sum()
    dec = ts[ts["date"] == "2023-12"]
    capex = ts.set_index("date")["capex_cum_bn"]
    sales = ts.set_index("date")["nvidia_sales_cum_bn"]
    return [
        *(q4["2022"][f"cloud_share_{n}"].mean() for n in BIG3),
        *(q4["2023"][f"cloud_share_{n}"].mean() for n in BIG3),
        *(q4["2023"][f"external_share_{n}"].mean() for n in BIG3),
        float(y2023["bloc_hhi_cloud"].mean()),
        float(dec["nvidia_merchant_share"].iloc[0]),
        float(capex["2023-12"] - capex["2022-12"]),
        float(sales["2023-12"] - sales["2022-12"]),
        float((train["2023"] / train["2020"]) ** (1 / 3)) if train["2020"] > 0 else np.nan,
        float(12 * dec["openai_revenue_bn"].iloc[0]),
        float(y2023["open_gap_months"].mean()),
    ]


def target_table(ts: pd.DataFrame) -> pd.DataFrame:
    """Targets vs the model's median and 5-95 % interval over runs."""
    values = np.array([run_values(g.sort_values("tick")) for _, g in ts.groupby("run_id")])
    rows = []
    for (name, ref, low, high, unit, source), col in zip(TARGETS, values.T, strict=True):
        q = np.nanquantile(col, [0.05, 0.5, 0.95])
        rows.append(
            {
                "target": name,
                "unit": unit,
                "reference": ref,
                "ref_low": low,
                "ref_high": high,
                "model_median": q[1],
                "model_p5": q[0],
                "model_p95": q[2],
                "source": source,
            }
        )
    return pd.DataFrame(rows)


PROJECTION_YEARS = ("2024", "2025", "2026", "2027")
PROJECTED = {  # December values, except the circular share: mean over the year's months
    "bloc_hhi_cloud": "bloc HHI, cloud (HHI points)",
    "bloc_hhi_models": "bloc HHI, models (HHI points)",
    "bloc_hhi_chips": "bloc HHI, chips (HHI points)",
    "active_exclusive": "exclusive clauses in force (count)",
    "mean_providers": "clouds per lab (count)",
    "circular_revenue_share": "circular revenue share, year mean (fraction)",
}
INVESTIGATED = ("investigation_remedy", "investigation_closed")
EVENT_COUNTS = {
    ("cleared", "blocked", "remedied"): "regulator decisions in the year (count)",
    ("blocked",): "deals blocked in the year (count)",
    ("remedied",): "deals cleared with a remedy in the year (count)",
    ("breakdown",): "exclusivity breakdowns in the year (count)",
    INVESTIGATED: "market investigations concluded (count)",
}


def _quantiles(period: str, label: str, values: pd.Series) -> dict:
    q = values.quantile([0.05, 0.5, 0.95], interpolation="nearest")
    return {"period": period, "quantity": label, "p5": q[0.05], "median": q[0.5], "p95": q[0.95]}


def projection_table(ts: pd.DataFrame, events: pd.DataFrame, known: set[str]) -> pd.DataFrame:
    """Distribution over runs of the projected quantities in 2024-2027, and of the deals the
    agents themselves signed in 2019-2023 (not in `known`), a check on the history."""
    runs = ts["run_id"].unique()

    def per_run(ev: pd.DataFrame) -> pd.Series:
        return ev.groupby("run_id").size().reindex(runs, fill_value=0)

    before = events[(events["date"] <= "2023-12") & (events["kind"] == "signed")]
    investigations = events[(events["date"] <= "2023-12") & events["kind"].isin(INVESTIGATED)]
    rows = [
        _quantiles(
            "2019-2023",
            "deals signed by the agents themselves (count)",
            per_run(before[~before["deal_id"].isin(known)]),
        ),
        _quantiles("2019-2023", EVENT_COUNTS[INVESTIGATED], per_run(investigations)),
    ]
    for y in PROJECTION_YEARS:
        year = ts[ts["date"].str[:4] == y]
        dec = year[year["date"] == f"{y}-12"].set_index("run_id")
        mean = year.groupby("run_id").mean(numeric_only=True)
        for field, label in PROJECTED.items():
            source = mean if field == "circular_revenue_share" else dec
            rows.append(_quantiles(y, label, source[field]))
        ev = events[events["date"].str[:4] == y]
        for kinds, label in EVENT_COUNTS.items():
            rows.append(_quantiles(y, label, per_run(ev[ev["kind"].isin(kinds)])))
    return pd.DataFrame(rows)


HEADLINE = {
    "bloc_hhi_cloud_final": "cloud bloc HHI",
    "bloc_hhi_models_final": "models bloc HHI",
    "exclusivity_breakdowns": "breakdowns",
    "circular_revenue_share": "circular share",
    "mean_providers_final": "clouds per lab",
    "open_share_final": "open share",
}


def sensitivity_table(path: str | Path) -> pd.DataFrame:
    """Morris mu* of each headline outcome, relative to the largest mu* for that outcome
    (1 = the most influential parameter), from a `--design morris` run store."""
    run = load_run(path)
    _, table = sensitivity(run.ok, run.manifest, list(HEADLINE))
    table["parameter"] = table["parameter"].str.replace(".strategy_params", "", regex=False)
    wide = table.pivot(index="parameter", columns="outcome", values="mu_star")
    relative = (wide / wide.max()).rename(columns=HEADLINE)[list(HEADLINE.values())]
    relative["mean"] = relative.mean(axis=1)
    return relative.sort_values("mean", ascending=False)


def markdown_sensitivity(table: pd.DataFrame) -> str:
    lines = [
        "| parameter | " + " | ".join(table.columns) + " |",
        "|---|" + "---|" * len(table.columns),
    ]
    for parameter, row in table.iterrows():
        lines.append(f"| `{parameter}` | " + " | ".join(f"{v:.2f}" for v in row) + " |")
    return "\n".join(lines)


def plot_sensitivity_table(table: pd.DataFrame, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(table) + 1.5))
    sns.heatmap(table, annot=True, fmt=".2f", cmap="Blues", vmin=0, vmax=1, ax=ax, cbar=False)
    ax.set_title("history-2019 to 2027-12: Morris mu*, relative to the largest per outcome")
    ax.set_xlabel("")
    ax.set_ylabel("")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_targets(table: pd.DataFrame, path: Path) -> None:
    """One panel per target: the reference (and its range) against the model's interval."""
    ncols = 6
    nrows = -(-len(table) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.1 * ncols, 3.0 * nrows))
    for ax in axes.flat[len(table) :]:
        ax.set_visible(False)
    for ax, (_, r) in zip(axes.flat, table.iterrows(), strict=False):
        ax.errorbar([1], [r.model_median], yerr=[[r.model_median - r.model_p5],
                    [r.model_p95 - r.model_median]], fmt="o", color="C0", capsize=4)  # fmt: skip
        ax.plot([0], [r.reference], "D", color="C3")
        if pd.notna(r.ref_low):
            ax.vlines(0, r.ref_low, r.ref_high, color="C3")
        ax.set_xticks([0, 1], ["ref", "model"])
        ax.set_xlim(-0.6, 1.6)
        ax.set_title(textwrap.fill(f"{r.target} [{r.unit}]", 24), fontsize=8)
        ax.tick_params(labelsize=7)
    fig.suptitle("history-2019: reference (red) vs model median and 5-95 % over seeds (blue)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_projection(ts: pd.DataFrame, path: Path) -> None:
    """Median and 5-95 % band over seeds of the projected series, 2019-2030."""
    fields = list(PROJECTED)
    fig, axes = plt.subplots(2, 3, figsize=(12, 6))
    for ax, field in zip(axes.flat, fields, strict=True):
        wide = ts.pivot(index="date", columns="run_id", values=field)
        x = pd.to_datetime(wide.index)
        ax.fill_between(x, wide.quantile(0.05, axis=1), wide.quantile(0.95, axis=1), alpha=0.3)
        ax.plot(x, wide.median(axis=1))
        ax.axvspan(pd.Timestamp("2024-01"), pd.Timestamp("2027-12"), color="grey", alpha=0.1)
        ax.set_title(PROJECTED[field].replace(", year mean", ", monthly"), fontsize=9)
    fig.suptitle("history-2019 over seeds (median, 5-95 %); shaded: the 2024-2027 projection")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def markdown_targets(table: pd.DataFrame) -> str:
    """The targets table as markdown rows for docs/calibration.md."""
    lines = ["| target | unit | reference | model median | model 5-95 % | source |"]
    lines.append("|---|---|---|---|---|---|")
    for r in table.itertuples():
        ref = _num(r.reference)
        if pd.notna(r.ref_low):
            ref += f" ({_num(r.ref_low)}-{_num(r.ref_high)})"
        interval = f"{_num(r.model_p5)}-{_num(r.model_p95)}"
        lines.append(
            f"| {r.target} | {r.unit} | {ref} | {_num(r.model_median)} | {interval} | {r.source} |"
        )
    return "\n".join(lines)


def markdown_projection(table: pd.DataFrame) -> str:
    """The projection as markdown: one row per quantity, 'median (5-95 %)' per period."""
    periods = list(dict.fromkeys(table["period"]))
    lines = ["| quantity | " + " | ".join(periods) + " |", "|---|" + "---|" * len(periods)]
    for quantity, rows in table.groupby("quantity", sort=False):
        cells = dict.fromkeys(periods, "")
        for r in rows.itertuples():
            cells[r.period] = f"{_num(r.median)} ({_num(r.p5)}-{_num(r.p95)})"
        lines.append(f"| {quantity} | " + " | ".join(cells.values()) + " |")
    return "\n".join(lines)


def write_block(name: str, body: str, path: Path = DOCS / "calibration.md") -> None:
    """Replace the text between ``<!-- name:begin -->`` and ``<!-- name:end -->`` in ``path``."""
    path.write_text(replace_block(path.read_text(encoding="utf-8"), name, body), encoding="utf-8")


def _fmt(table: pd.DataFrame) -> str:
    return table.to_string(index=False, float_format=lambda v: f"{v:.3g}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30, help="replications (default 30)")
    parser.add_argument("--out", default="runs/calibration-history-2019", help="run store")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--probe", action="store_true", help="print the targets only")
    parser.add_argument("--set", action="append", default=[], help="KEY=VALUE override")
    parser.add_argument("--sensitivity", metavar="RUN", help="Morris run store to summarise")
    args = parser.parse_args()
    if args.sensitivity:
        table = sensitivity_table(args.sensitivity)
        table.to_csv(DOCS / "calibration_sensitivity.csv", float_format="%.3f")
        write_block("sensitivity", markdown_sensitivity(table))
        plot_sensitivity_table(table, DOCS / "calibration_sensitivity.png")
        print(table.to_string(float_format=lambda v: f"{v:.2f}"))
        return
    overrides = dict(s.split("=", 1) for s in args.set)
    scenario = load_scenario("history-2019", overrides)
    if args.probe:
        rows = []
        for seed in range(args.seeds):
            _, _, ts = calibration_run(scenario.data, seed, None)
            rows += [{"run_id": seed, **r} for r in ts]
        print(_fmt(target_table(pd.DataFrame(rows)).drop(columns="source")))
        return
    shutil.rmtree(args.out, ignore_errors=True)  # this script's own batch, regenerated whole
    summary = run_batch(
        scenario,
        args.out,
        design=single(),
        replications=args.seeds,
        root_seed=ROOT_SEED,
        jobs=args.jobs,
        keep_timeseries=True,
        run_fn=calibration_run,
    )
    print(f"{summary.ok} runs ok, {summary.failed} failed in {summary.seconds:.0f} s")
    outcomes = read_outcomes(args.out)
    ok = outcomes.loc[outcomes["status"] == "ok", "run_id"]
    ts = read_timeseries(args.out)
    ts = ts[ts["run_id"].isin(ok)]
    events = read_events(args.out)
    targets = target_table(ts)
    known = {e.id for e in scenario.spec.events}
    projection = projection_table(ts, events, known)
    targets.to_csv(DOCS / "calibration_targets.csv", index=False, float_format="%.4g")
    projection.to_csv(DOCS / "calibration_projection.csv", index=False, float_format="%.4g")
    plot_targets(targets, DOCS / "calibration_targets.png")
    plot_projection(ts, DOCS / "calibration_projection.png")
    write_block("targets", markdown_targets(targets))
    write_block("projection", markdown_projection(projection))
    print(_fmt(targets.drop(columns="source")))
    print(_fmt(projection))


if __name__ == "__main__":
    main()
