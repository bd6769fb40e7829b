"""Names, units and groupings of the outcome and time-series fields the analyses look for."""

from __future__ import annotations

LAYERS = ("cloud", "models", "chips")

#: Outcome field → axis label (with unit).
OUTCOME_LABELS: dict[str, str] = {
    "hhi_cloud_final": "HHI cloud (points, 0–10000)",
    "hhi_models_final": "HHI models (points)",
    "hhi_chips_final": "HHI chips (points)",
    "bloc_hhi_cloud_final": "bloc HHI cloud (points)",
    "bloc_hhi_models_final": "bloc HHI models (points)",
    "bloc_hhi_chips_final": "bloc HHI chips (points)",
    "top_bloc_share_cloud_final": "top bloc share cloud (0–1)",
    "top_bloc_share_models_final": "top bloc share models (0–1)",
    "top_bloc_share_chips_final": "top bloc share chips (0–1)",
    "circular_revenue_share": "circular revenue share (0–1)",
    "consumer_surplus": "consumer surplus (USD bn)",
    "first_breakdown_tick": "first exclusivity breakdown (tick)",
    "exclusive_deals": "exclusive deals (count)",
    "exclusivity_breakdowns": "exclusivity breakdowns (count)",
    "exclusive_arrangements": "exclusive cloud-lab arrangements (count)",
    "arrangement_breakdowns": "arrangement breakdowns (count)",
    "monopoly_onset_tick": "monopoly-like onset (tick)",
    "regulator_reviews": "regulator reviews (count)",
    "regulator_blocks": "regulator blocks (count)",
    "regulator_remedies": "regulator remedies (count)",
    "open_share_final": "open-model share (0–1)",
    "open_gap_months_final": "open-model gap (months)",
    "frontier_capability_final": "frontier capability (index)",
    "mean_providers_final": "mean providers per lab (count)",
    "compute_price_final": "compute price (USD/GPU-hour)",
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


def label(field: str) -> str:
    """Axis label with unit for `field` (the field name itself when unknown)."""
    return OUTCOME_LABELS.get(field, field)
