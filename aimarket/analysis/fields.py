"""Names, units and groupings of the outcome and time-series fields the analyses look for."""

from __future__ import annotations

import re
import typing

LAYERS = ("cloud", "models", "chips")

#: Outcome field → axis label (with unit).
OUTCOME_LABELS: dict[str, str] = {
    "hhi_cloud_final": "HHI cloud (points, 0–10000)",
    "hhi_models_final": "HHI models (points, 0–10000)",
    "hhi_chips_final": "HHI chips (points, 0–10000)",
    "bloc_hhi_cloud_final": "bloc HHI cloud (points, 0–10000)",
    "bloc_hhi_models_final": "bloc HHI models (points, 0–10000)",
    "bloc_hhi_chips_final": "bloc HHI chips (points, 0–10000)",
    "top_bloc_share_cloud_final": "top bloc share cloud (0–1)",
    "top_bloc_share_models_final": "top bloc share models (0–1)",
    "top_bloc_share_chips_final": "top bloc share chips (0–1)",
    "circular_revenue_share": "circular revenue share (0–1)",
    "consumer_surplus": "consumer surplus (USD bn)",
    "first_breakdown_tick": "first exclusivity breakdown (month of the run)",
    "exclusive_deals": "exclusive deals (count)",
    "exclusivity_breakdowns": "exclusivity breakdowns (count)",
    "exclusive_arrangements": "exclusive cloud-lab arrangements (count)",
    "arrangement_breakdowns": "arrangement breakdowns (count)",
    "monopoly_onset_tick": "monopoly-like onset (month of the run)",
    "regulator_reviews": "regulator reviews (count)",
    "regulator_blocks": "regulator blocks (count)",
    "regulator_remedies": "regulator remedies (count)",
    "open_share_final": "open-model share (0–1)",
    "open_gap_months_final": "open-model gap (months)",
    "frontier_capability_final": "frontier capability (index)",
    "mean_providers_final": "mean providers per lab (count)",
    "compute_price_final": "compute price (USD bn/eff-GW-month)",
    "monopoly_like": "monopoly-like (0/1)",
}

#: Outcomes shown as distributions in the report, in order.
DISTRIBUTION_FIELDS = (
    "hhi_cloud_final",
    "hhi_models_final",
    "hhi_chips_final",
    "circular_revenue_share",
    "consumer_surplus",
    "first_breakdown_tick",
)

#: Binary/derived events analysed as probabilities (see `regimes.event_flags`).
EVENTS = ("breakdown", "monopoly_like")

TIMESERIES_CONCENTRATION = tuple(f"hhi_{layer}" for layer in LAYERS)

REGIMES = ("competitive", "exclusive-blocs", "monopoly-like", "open-dominant")

_EVENT_LABELS = {
    "monopoly_like": "monopoly-like",
    "monopoly_like_vertical": "monopoly-like (vertical)",
}


def event_label(event: str) -> str:
    """An event in words: ``monopoly_like`` → "monopoly-like"."""
    return _EVENT_LABELS.get(event, event.replace("_", " "))


def label(field: str) -> str:
    """Axis label with unit for `field` (the field name itself when unknown)."""
    return OUTCOME_LABELS.get(field, field)


def key_label(key: str) -> str:
    """A swept dotted scenario key in words with its unit, from the scenario schema:
    ``market.demand_growth_per_year`` → "initial growth of potential model usage (x/yr)",
    ``events.AMZN-OAI.amount_bn`` → "AMZN-OAI: equity investment (USD bn)". The key itself when
    the schema does not describe it (e.g. a strategy parameter)."""
    from pydantic import BaseModel

    from aimarket.scenario import ScenarioSpec

    model: type[BaseModel] = ScenarioSpec
    parts, owner, description = key.split("."), None, None
    i = 0
    while i < len(parts):
        field = model.model_fields.get(parts[i])
        if field is None:
            return key
        inner = [a for a in typing.get_args(field.annotation) if isinstance(a, type)]
        if (
            typing.get_origin(field.annotation) is list
            and inner
            and issubclass(inner[0], BaseModel)
        ):
            if i + 1 >= len(parts):
                return key
            model, owner, i = inner[0], parts[i + 1], i + 2
        elif isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            model, i = field.annotation, i + 1
        else:
            description = field.description if i == len(parts) - 1 else None
            break
    return _in_words(description, owner) or key


def series_label(field: str) -> str:
    """A per-month time-series field in words with its unit (``metrics.TIMESERIES_FIELDS``)."""
    from aimarket.metrics import TIMESERIES_FIELDS

    return _in_words(TIMESERIES_FIELDS.get(field, ("", ""))[1]) or field


def _in_words(description: str | None, owner: str | None = None) -> str | None:
    """``"[unit] meaning"`` → ``"owner: meaning (unit)"``; None when not in that form."""
    match = re.match(r"\[([^\]]*)\]\s*(.*)", description or "")
    if not match:
        return None
    unit, meaning = match.groups()
    text = f"{owner}: {meaning}" if owner else meaning
    return text if unit in ("-", "") else f"{text} ({unit})"
