"""What a run measures: the per-month and outcome fields, payoffs and the outcome record.

Layers: ``cloud`` (shares of AI compute revenue among clouds), ``models`` (shares of model usage;
open-weight usage is an atomistic fringe that adds nothing to the HHI) and ``chips`` (shares of
accelerator GW delivered over the last 12 months, own chips counted for the cloud that made them).
Blocs and concentration by bloc are in ``aimarket.blocs``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from aimarket.blocs import LAYERS, PAIRS
from aimarket.money import ORIGIN_KINDS_REPORTED

REGIMES = ("competitive", "exclusive-blocs", "monopoly-like", "open-dominant")


def normalise(values: Mapping[str, float]) -> dict[str, float]:
    """Shares (fractions summing to 1) of non-negative values; all zero if the total is zero."""
    total = sum(values.values())
    return {k: (v / total if total > 0 else 0.0) for k, v in values.items()}


_LAYER_FIELDS = {  # per-layer measure -> description template
    "hhi": "[HHI points] firm-level HHI of the {} layer",
    "bloc_hhi": "[HHI points] bloc-level HHI of the {} layer",
    "top_bloc_share": "[fraction] largest bloc's share of the {} layer",
}

TIMESERIES_FIELDS: dict[str, tuple[str, str]] = {
    "tick": ("int64", "month index from the start"),
    "date": ("string", "calendar month YYYY-MM"),
    **{
        f"{measure}_{layer}": ("float64", text.format(layer))
        for layer in LAYERS
        for measure, text in _LAYER_FIELDS.items()
    },
    **{
        f"vertical_share_{pair.replace('-', '_')}": (
            "float64",
            f"[fraction] largest share one bloc holds in both layers {pair} (smaller of the two)",
        )
        for pair in PAIRS
    },
    **{
        f"vertical_bloc_{pair.replace('-', '_')}": (
            "string",
            f"[-] that bloc ({pair}); '' if none",
        )
        for pair in PAIRS
    },
    "circular_revenue_share": (
        "float64",
        "[fraction] cloud revenue paid with money of the cloud's group (aimarket.money)",
    ),
    **{
        f"circular_share_{kind}": (
            "float64",
            f"[fraction] cloud revenue paid with the cloud group's money of origin kind {kind}",
        )
        for kind in ORIGIN_KINDS_REPORTED
    },
    "captive_revenue_share": (
        "float64",
        "[fraction] cloud revenue from the cloud's own group or paid with its group's money",
    ),
    "active_exclusive": ("int64", "[count] deals with an exclusive clause in force"),
    "mean_providers": ("float64", "[count] mean number of clouds labs bought compute from"),
    "compute_price": ("float64", "[USD bn/eff-GW-month] capacity-weighted mean compute price"),
    "chip_price": ("float64", "[USD bn/GW] supply-weighted mean merchant chip price"),
    "frontier_capability": ("float64", "[OOM] best closed-model capability"),
    "open_gap_months": ("float64", "[months] lag of the best open-weight model"),
    "open_share": ("float64", "[fraction] open-weight share of model usage"),
    "consumer_surplus": ("float64", "[USD bn/month] end users' surplus (logit log-sum)"),
    "regulator_actions": ("int64", "[count] verdicts and investigation steps this month"),
    "shortfall_share": ("float64", "[fraction] labs' unmet share of desired compute"),
    "outside_capital": (
        "float64",
        "[USD bn/month] outside investors' money put into labs' rounds this month",
    ),
    "labs_distressed": ("int64", "[count] labs unable to pay what they owe this month"),
    "capacity_eff_gw": ("float64", "[eff-GW] installed cloud compute"),
    "usage_units": ("float64", "[usage units/month] potential model usage"),
}

OUTCOME_FIELDS: dict[str, tuple[str, str]] = {
    **{
        f"hhi_{layer}_final": ("float64", f"[HHI points] firm HHI of {layer}, last month")
        for layer in LAYERS
    },
    **{
        f"bloc_hhi_{layer}_final": ("float64", f"[HHI points] bloc HHI of {layer}, last month")
        for layer in LAYERS
    },
    **{
        f"top_bloc_share_{layer}_final": (
            "float64",
            f"[fraction] top bloc share of {layer}, last month",
        )
        for layer in LAYERS
    },
    "exclusive_deals": ("int64", "[count] deals whose exclusive or ROFR clause was ever in force"),
    "exclusivity_breakdowns": ("int64", "[count] exclusivity breakdowns (see docs/ODD.md)"),
    "exclusive_arrangements": (
        "int64",
        "[count] cloud–lab pairs with an exclusive or ROFR clause ever in force (follow-on deals"
        " of a pair are one arrangement)",
    ),
    "arrangement_breakdowns": (
        "int64",
        "[count] of those arrangements with at least one breakdown",
    ),
    "first_breakdown_tick": ("Int64", "[month] first breakdown; null = none by the horizon"),
    "first_breakdown_cause": ("string", "[-] cause of the first breakdown; null = none"),
    "monopoly_like": ("bool", "[-] a watched layer had a dominant bloc for the sustain window"),
    "monopoly_layer": ("string", "[-] the layer where it happened first; null = none"),
    "monopoly_onset_tick": ("Int64", "[month] start of the first sustained dominance; null = none"),
    "monopoly_like_vertical": (
        "bool",
        "[-] one bloc held at least monopoly.vertical_share_threshold of both layers of a watched"
        " adjacent pair for the sustain window",
    ),
    "monopoly_vertical_pair": ("string", "[-] the pair where it happened first; null = none"),
    **{
        f"max_top_bloc_share_{layer}": (
            "float64",
            f"[fraction] largest top bloc share of {layer} in any month",
        )
        for layer in LAYERS
    },
    "max_vertical_share": (
        "float64",
        "[fraction] largest share one bloc held in both layers of a watched pair in any month",
    ),
    "max_vertical_pair": ("string", "[-] the pair of max_vertical_share; null = none"),
    "max_vertical_bloc": ("string", "[-] the bloc (its label) of max_vertical_share"),
    "circular_revenue_share": (
        "float64",
        "[fraction] cloud revenue over the run paid with money of the receiving cloud's group "
        "(its credits, equity, group funding, vendor financing, members' own money): the total of "
        "circular_revenue_share_by_origin",
    ),
    "circular_revenue_share_by_origin": (
        "mapping",
        "[fraction] the same by origin kind: credits, equity, group_funding, vendor_financing, "
        "sponsorship, own (a group member's own money); a struct column in run stores",
    ),
    "captive_revenue_share": (
        "float64",
        "[fraction] cloud revenue over the run from the cloud's own group or paid with its "
        "group's money",
    ),
    "circular_chip_revenue_share": (
        "float64",
        "[fraction] chip revenue over the run paid with money of the chipmaker's group (vendor "
        "financing coming home)",
    ),
    "regulator_reviews": ("int64", "[count] deal reviews completed"),
    "regulator_blocks": ("int64", "[count] deals blocked"),
    "regulator_remedies": (
        "int64",
        "[count] regulator remedies: clauses removed (review, investigation, ex ante), stakes"
        " capped, access commitments",
    ),
    "regulator_blocks_vertical": ("int64", "[count] blocks with a vertical ground"),
    "regulator_blocks_serial": ("int64", "[count] blocks with a serial-acquisition ground"),
    "proposals_refused_cooling": (
        "int64",
        "[count] proposals not made in the cooling period after a block (DealBook guard)",
    ),
    "consumer_surplus": ("float64", "[USD bn] end users' surplus summed over the run"),
    "open_share_final": ("float64", "[fraction] open-weight usage share, last month"),
    "open_gap_months_final": ("float64", "[months] open-weight lag, last month"),
    "frontier_capability_final": ("float64", "[OOM] frontier capability, last month"),
    "mean_providers_final": ("float64", "[count] labs' mean number of clouds, last month"),
    "compute_price_final": ("float64", "[USD bn/eff-GW-month] mean compute price, last month"),
    "outside_capital": (
        "float64",
        "[USD bn] outside investors' money put into labs' rounds over the run",
    ),
    "lab_distress_episodes": (
        "int64",
        "[count] spells of lab distress (event distress: cannot pay staff and compute"
        " commitments after the month's rounds)",
    ),
    "lab_sales": ("int64", "[count] distressed labs sold (event sale)"),
    "lab_exits": ("int64", "[count] labs that left the market (event exit)"),
    "lab_entries": ("int64", "[count] listed entrants that entered (event entry)"),
    "regime": (
        "string",
        "[-] competitive, exclusive-blocs, monopoly-like (horizontal or vertical) or open-dominant",
    ),
    "ticks": ("int64", "[months] horizon of the run"),
}


#: Ledger kinds that finance a firm rather than earn or cost it money: shares sold or bought,
#: compute credits granted with an investment, a parent's funding of its lab, donations, a
#: sold lab's shares changing hands and an exiting lab's cash and credits paid back.
FINANCING = (
    "equity",
    "equity_credits",
    "equity_outside",
    "group_funding",
    "community_funding",
    "acquisition",  # shares bought from a sold lab's holders
    "liquidation",  # an exiting lab's cash paid out to its holders
    "credit_return",  # an exiting lab's unused credits back to their issuer
)

#: Per-firm outcome fields, one column per firm (``payoff.<firm>``, ...; the cloud fields per
#: cloud with cloud revenue).
FIRM_FIELDS: dict[str, tuple[str, str]] = {
    "payoff": (
        "float64",
        "[USD bn] cumulative group-consistent profit over the run: money the firm received minus "
        "money it paid (cash and compute credits, from the ledger), financing (FINANCING kinds) "
        "and internal flows (financing money coming home to its group; aimarket.money.payoffs) "
        "excluded; capital spending counts when paid",
    ),
    "value": (
        "float64",
        "[USD bn] end-of-run firm value: cash + credits held + equity stakes in labs at their "
        "valuation (physical capacity not counted)",
    ),
    "circular_revenue": (
        "float64",
        "[USD bn] a cloud's revenue over the run paid with money of its group (clouds only)",
    ),
    "cloud_share": ("float64", "[fraction] a cloud's share of cloud revenue over the run"),
    "cloud_share_ex_captive": (
        "float64",
        "[fraction] a cloud's share of cloud revenue over the run without captive revenue",
    ),
}


def firm_fields(
    profit: Mapping[str, float], cash: Mapping[str, float], held: Mapping[str, float]
) -> dict[str, float]:
    """``payoff.<firm>`` and ``value.<firm>`` (USD bn) from each firm's profit, cash plus credits,
    and stakes in labs held at the labs' valuations."""
    out = {}
    for firm in profit:
        out[f"payoff.{firm}"] = float(profit[firm])
        out[f"value.{firm}"] = float(cash[firm] + held.get(firm, 0.0))
    return out


def sustained_onset(flags: np.ndarray, months: int) -> int | None:
    """First index starting a run of ``months`` consecutive True values, or None."""
    run = 0
    for i, flag in enumerate(flags):
        run = run + 1 if flag else 0
        if run >= months:
            return i - months + 1
    return None


def outcome_record(
    rows: list[dict],
    events: list[dict],
    monopoly: Mapping,
    regime_spec: Mapping,
    circular_share: float,
    exclusive_deals: int,
    exclusive_usage_share: float,
) -> dict:
    """The per-run outcome record (fields ``OUTCOME_FIELDS``) from the time series and events."""
    last = rows[-1]
    out: dict = {
        f"{m}_{layer}_final": last[f"{m}_{layer}"]
        for m in ("hhi", "bloc_hhi", "top_bloc_share")
        for layer in LAYERS
    }
    breakdowns = [e for e in events if e["kind"] == "breakdown"]
    out["exclusive_deals"] = exclusive_deals
    out["exclusivity_breakdowns"] = len(breakdowns)
    out["exclusive_arrangements"] = len(
        {
            frozenset((e["agent"], e["counterparty"]))
            for e in events
            if e["kind"] == "clause_in_force"
        }
    )
    out["arrangement_breakdowns"] = len(
        {frozenset((e["agent"], e["counterparty"])) for e in breakdowns}
    )
    out["first_breakdown_tick"] = breakdowns[0]["tick"] if breakdowns else None
    out["first_breakdown_cause"] = breakdowns[0]["cause"] if breakdowns else None
    onsets = {}
    for layer in monopoly["layers"]:
        flags = np.array(
            [
                r[f"top_bloc_share_{layer}"] >= monopoly["share_threshold"]
                or r[f"bloc_hhi_{layer}"] >= monopoly["hhi_threshold"]
                for r in rows
            ]
        )
        onset = sustained_onset(flags, monopoly["sustain_months"])
        if onset is not None:
            onsets[layer] = onset
    first = min(onsets, key=lambda k: (onsets[k], k)) if onsets else None
    out["monopoly_like"] = first is not None
    out["monopoly_layer"] = first
    out["monopoly_onset_tick"] = onsets.get(first) if first else None
    vertical_onsets = {}
    for pair in monopoly.get("vertical_pairs", []):
        key = f"vertical_share_{pair.replace('-', '_')}"
        flags = np.array([r[key] >= monopoly["vertical_share_threshold"] for r in rows])
        onset = sustained_onset(flags, monopoly["sustain_months"])
        if onset is not None:
            vertical_onsets[pair] = onset
    vfirst = (
        min(vertical_onsets, key=lambda k: (vertical_onsets[k], k)) if vertical_onsets else None
    )
    out["monopoly_like_vertical"] = vfirst is not None
    out["monopoly_vertical_pair"] = vfirst
    for layer in LAYERS:
        out[f"max_top_bloc_share_{layer}"] = float(max(r[f"top_bloc_share_{layer}"] for r in rows))
    best = (0.0, None, None)
    for r in rows:
        for pair in monopoly.get("vertical_pairs", []):
            key = pair.replace("-", "_")
            if r[f"vertical_share_{key}"] > best[0]:
                best = (r[f"vertical_share_{key}"], pair, r[f"vertical_bloc_{key}"])
    out["max_vertical_share"] = float(best[0])
    out["max_vertical_pair"] = best[1]
    out["max_vertical_bloc"] = best[2]
    out["circular_revenue_share"] = circular_share
    out["regulator_reviews"] = sum(e["kind"] in ("cleared", "blocked", "remedied") for e in events)
    out["regulator_blocks"] = sum(e["kind"] == "blocked" for e in events)
    out["regulator_remedies"] = sum(
        e["kind"] == "remedied" or (e["kind"] == "breakdown" and e["cause"] == "regulator_remedy")
        for e in events
    )
    blocked = {e["deal_id"] for e in events if e["kind"] == "blocked"}
    harm = [e for e in events if e["kind"] == "harm" and e["deal_id"] in blocked]
    out["regulator_blocks_vertical"] = len({e["deal_id"] for e in harm if e["cause"] == "vertical"})
    out["regulator_blocks_serial"] = len({e["deal_id"] for e in harm if e["cause"] == "serial"})
    out["proposals_refused_cooling"] = sum(e["kind"] == "refused" for e in events)
    out["consumer_surplus"] = float(sum(r["consumer_surplus"] for r in rows))
    out["open_share_final"] = last["open_share"]
    out["open_gap_months_final"] = last["open_gap_months"]
    out["frontier_capability_final"] = last["frontier_capability"]
    out["mean_providers_final"] = last["mean_providers"]
    out["compute_price_final"] = last["compute_price"]
    out["outside_capital"] = float(sum(r["outside_capital"] for r in rows))
    out["lab_distress_episodes"] = sum(e["kind"] == "distress" for e in events)
    out["lab_sales"] = sum(e["kind"] == "sale" for e in events)
    out["lab_exits"] = sum(e["kind"] == "exit" for e in events)
    out["lab_entries"] = sum(e["kind"] == "entry" for e in events)
    if first is not None or vfirst is not None:
        regime = "monopoly-like"
    elif last["open_share"] >= regime_spec["open_dominant_share"]:
        regime = "open-dominant"
    elif exclusive_usage_share >= regime_spec["exclusive_bloc_share"]:
        regime = "exclusive-blocs"
    else:
        regime = "competitive"
    out["regime"] = regime
    out["ticks"] = len(rows)
    return out


def monopoly_definition(source: Mapping) -> list[str]:
    """The monopoly-like definitions and every threshold they use, as sentences for reports.

    ``source``: the scenario's ``[monopoly]`` table, or a run store's manifest (its scenario data
    is read; the schema defaults if absent)."""
    data = source.get("scenario", {}).get("data", {})
    monopoly = data.get("monopoly") or source
    regime = data.get("regime") or {}
    if "share_threshold" not in monopoly or not regime:
        from aimarket.scenario import Monopoly, Regime  # defaults (scenario is a higher layer)

        if "share_threshold" not in monopoly:
            monopoly = Monopoly().model_dump()
        regime = regime or Regime().model_dump()
    months = monopoly["sustain_months"]
    layers = ", ".join(monopoly["layers"])
    pairs = ", ".join(monopoly.get("vertical_pairs", [])) or "none"
    return [
        f"Monopoly-like (horizontal): in a watched layer ({layers}) the largest bloc holds at "
        f"least {monopoly['share_threshold']:.0%} of the layer or the bloc HHI is at least "
        f"{monopoly['hhi_threshold']:,.0f} points, for {months} consecutive months.",
        f"Monopoly-like (vertical): one bloc holds at least "
        f"{monopoly.get('vertical_share_threshold', 0.0):.0%} of both layers of an adjacent pair "
        f"({pairs}) for {months} consecutive months.",
        "Blocs: a lab belongs to its controller (largest holder with at least "
        "market.control_stake), else to the holder of its binding clause (market.bloc_ties); "
        "minority stakes do not make blocs.",
        "A run is in the monopoly-like regime if either test holds; max_top_bloc_share_<layer> "
        "and max_vertical_share (with its pair and bloc) show how close runs came.",
        f"Other regimes, in order: open-dominant if the open-weight share of model usage in the "
        f"last month is at least {regime['open_dominant_share']:.0%}; exclusive-blocs if labs "
        f"under an exclusive clause or a cloud parent hold at least "
        f"{regime['exclusive_bloc_share']:.0%} of usage; else competitive.",
    ]


def monopoly_closeness(outcomes: Any, settings: Any = None) -> Any:
    """Per setting: share of runs monopoly-like (horizontal, vertical), the mean and max of the
    largest top bloc share per layer and of the vertical share, and the pair and bloc that came
    closest most often (a pandas DataFrame; empty without the fields)."""
    import pandas as pd

    fields = [f"max_top_bloc_share_{layer}" for layer in LAYERS] + ["max_vertical_share"]
    if not set(fields) <= set(outcomes.columns):
        return pd.DataFrame()
    df = outcomes.assign(setting="all" if settings is None else settings)
    rows = []
    for setting, sub in df.groupby("setting", sort=False):
        row: dict[str, Any] = {"setting": setting, "n": len(sub)}
        for col in ("monopoly_like", "monopoly_like_vertical"):
            if col in sub:
                row[f"p_{col}"] = float(sub[col].astype(float).mean())
        for f in fields:
            row[f"mean_{f}"] = float(sub[f].mean())
            row[f"top_{f}"] = float(sub[f].max())
        for col in ("max_vertical_pair", "max_vertical_bloc"):
            if col in sub and sub[col].notna().any():
                row[f"most_often_{col}"] = str(sub[col].mode().iloc[0])
        rows.append(row)
    return pd.DataFrame(rows)
