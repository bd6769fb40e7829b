"""Scenario discovery recovers a known box of monopoly-like outcomes."""

import numpy as np
import pandas as pd
import pytest

from aimarket.analysis import discovery
from aimarket.analysis.notes import Skipped

KEYS = ["a.x1", "a.x2", "a.x3"]


@pytest.fixture(scope="module")
def runs() -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(6)
    out = pd.DataFrame(rng.random((3000, 3)), columns=KEYS)
    truth = (out["a.x1"] > 0.6) & (out["a.x2"] < 0.3)
    noise = rng.random(len(out)) < 0.03
    return out, (truth ^ noise).astype(float)


def test_prim_finds_the_box(runs):
    out, flag = runs
    traj = discovery.prim(out, KEYS, flag)
    assert traj["coverage"].iloc[0] == 1.0
    box = discovery.choose_box(traj)
    assert box["density"] > 0.85 and box["coverage"] > 0.75
    assert box["a.x1_lo"] == pytest.approx(0.6, abs=0.05)
    assert box["a.x2_hi"] == pytest.approx(0.3, abs=0.05)
    rules = discovery.box_rules(box, out, KEYS)
    assert any(r.startswith("a.x1 ≥") for r in rules) and any(r.startswith("a.x2 ≤") for r in rules)


def test_cart_rules_name_the_box(runs):
    out, flag = runs
    rules = discovery.cart_rules(out, KEYS, flag)
    top = rules.iloc[0]
    assert "a.x1 >" in top["rule"] and "a.x2 ≤" in top["rule"]
    assert top["density"] > 0.85
    assert rules["coverage"].sum() == pytest.approx(1.0)


def test_discovery_without_events_is_skipped(runs):
    out, _ = runs
    with pytest.raises(Skipped, match="nothing to separate"):
        discovery.prim(out, KEYS, pd.Series(0.0, index=out.index))
