"""The monopoly-like tests of the outcome record: horizontal per layer, vertical per pair."""

from __future__ import annotations

import pandas as pd

from aimarket.blocs import LAYERS
from aimarket.metrics import monopoly_closeness, monopoly_definition, outcome_record
from aimarket.scenario import Monopoly

REGIME = {"open_dominant_share": 0.5, "exclusive_bloc_share": 0.5}


def _rows(months: int, top: float, vertical: float) -> list[dict]:
    row = {
        **{f"{m}_{layer}": 0.0 for m in ("hhi", "bloc_hhi") for layer in LAYERS},
        **{f"top_bloc_share_{layer}": top for layer in LAYERS},
        "vertical_share_cloud_models": vertical,
        "vertical_bloc_cloud_models": "AWS",
        "vertical_share_chips_cloud": 0.0,
        "vertical_bloc_chips_cloud": "",
        "consumer_surplus": 0.0,
        "open_share": 0.0,
        "open_gap_months": 0.0,
        "frontier_capability": 0.0,
        "mean_providers": 1.0,
        "compute_price": 1.0,
        "outside_capital": 0.0,
    }
    return [dict(row, tick=t) for t in range(months)]


def _record(rows: list[dict]) -> dict:
    return outcome_record(rows, [], Monopoly().model_dump(), REGIME, 0.0, 0, 0.0)


def test_a_bloc_strong_in_two_adjacent_layers_is_monopoly_like_vertical_only():
    """45 % of both cloud and models for 12 months: no layer is dominant (< 50 %), the
    vertical test (>= 40 % of both) holds, and the regime is monopoly-like."""
    out = _record(_rows(12, top=0.45, vertical=0.45))
    assert not out["monopoly_like"]
    assert out["monopoly_like_vertical"] and out["monopoly_vertical_pair"] == "cloud-models"
    assert out["regime"] == "monopoly-like"
    assert out["max_vertical_share"] == 0.45 and out["max_vertical_bloc"] == "AWS"


def test_closest_shares_are_reported_when_no_test_holds():
    out = _record(_rows(11, top=0.45, vertical=0.45))  # one month short of the window
    assert not out["monopoly_like_vertical"] and out["regime"] != "monopoly-like"
    assert out["max_top_bloc_share_models"] == 0.45 and out["max_vertical_pair"] == "cloud-models"
    table = monopoly_closeness(pd.DataFrame([out, out]))
    assert table.loc[0, "p_monopoly_like_vertical"] == 0.0
    assert table.loc[0, "top_max_vertical_share"] == 0.45


def test_the_definition_states_every_threshold():
    text = " ".join(monopoly_definition(Monopoly().model_dump()))
    for figure in ("50%", "5,000", "12 consecutive months", "40%", "cloud-models", "chips-cloud"):
        assert figure in text
    manifest = {
        "scenario": {"data": {"monopoly": Monopoly(vertical_share_threshold=0.6).model_dump()}}
    }
    assert "60%" in " ".join(monopoly_definition(manifest))
