"""Golden values for intervals and tests in `aimarket.analysis.stats` and `paired`."""

import numpy as np
import pandas as pd
import pytest

from aimarket.analysis import paired
from aimarket.analysis.stats import (
    bootstrap_ci,
    compare_independent,
    compare_paired,
    proportion,
    wilson_interval,
)


@pytest.mark.parametrize(
    ("k", "n", "lo", "hi"),
    [
        (0, 10, 0.0, 0.2775),
        (5, 10, 0.2366, 0.7634),
        (10, 10, 0.7225, 1.0),
        (1, 1000, 0.00018, 0.00565),
    ],
)
def test_wilson_interval_known_values(k, n, lo, hi):
    got_lo, got_hi = wilson_interval(k, n)
    assert got_lo == pytest.approx(lo, abs=6e-5)
    assert got_hi == pytest.approx(hi, abs=6e-5)


def test_wilson_empty_sample_is_nan_and_small_samples_flagged():
    assert np.isnan(wilson_interval(0, 0)).all()
    assert proportion(3, 10)["small_sample"] is True
    assert proportion(30, 100)["small_sample"] is False


def test_bootstrap_ci_covers_the_mean_of_a_normal_sample():
    x = np.random.default_rng(1).normal(5.0, 1.0, 400)
    lo, hi = bootstrap_ci(x)
    assert lo < 5.0 < hi
    assert hi - lo == pytest.approx(2 * 1.96 / 20, rel=0.15)


def test_independent_comparison_names_its_test():
    rng = np.random.default_rng(2)
    res = compare_independent(rng.normal(0, 1, 200), rng.normal(0.5, 1, 200))
    assert res["test"] == "Mann-Whitney U"
    assert res["p_value"] < 1e-3
    assert res["lo"] < 0.5 < res["hi"]
    binary = compare_independent(np.r_[np.ones(10), np.zeros(90)], np.r_[np.ones(50), np.zeros(50)])
    assert binary["test"] == "Fisher exact"
    assert binary["diff"] == pytest.approx(0.4)


def _crn_tables(shift: float, n: int = 60):
    """Two settings sharing per-replication noise (sd 1) with a small own noise (sd 0.05)."""
    rng = np.random.default_rng(3)
    common = rng.normal(0, 1, n)
    base = {"replication": np.arange(n), "seed": 1000 + np.arange(n), "status": "ok"}
    a = pd.DataFrame({**base, "consumer_surplus": common + rng.normal(0, 0.05, n)})
    b = pd.DataFrame({**base, "consumer_surplus": common + shift + rng.normal(0, 0.05, n)})
    return a, b


def test_paired_difference_detects_a_known_shift_that_independent_misses():
    a, b = _crn_tables(0.2)
    res = compare_paired(a["consumer_surplus"], b["consumer_surplus"])
    assert res["test"] == "Wilcoxon signed-rank"
    assert res["lo"] < 0.2 < res["hi"]
    assert res["hi"] - res["lo"] < 0.05
    assert res["p_value"] < 1e-6
    unpaired = compare_independent(a["consumer_surplus"], b["consumer_surplus"])
    assert unpaired["p_value"] > 0.05  # shared noise swamps the shift without pairing


def test_compare_pairs_by_seed_across_a_swept_key_that_differs_and_says_why():
    a, b = _crn_tables(0.2)
    a, b = a.assign(k=3, x=a["replication"] % 2), b.assign(k=6, x=b["replication"] % 2)
    table = paired.compare(a, b, keys=["k", "x"], fields=["consumer_surplus"])
    row = table.iloc[0]
    assert row["design"] == "paired (CRN)" and row["n_pairs"] == 60
    assert table.attrs["pairing"].startswith("paired on seed, x: 60 of 60 (A)")
    unshared = paired.compare(a, b.assign(seed=b["seed"] + 10_000), fields=["consumer_surplus"])
    assert unshared.iloc[0]["design"] == "independent"
    assert "share no seed" in unshared.attrs["pairing"]


def test_compare_includes_payoff_and_value_of_each_firm():
    a, b = _crn_tables(0.2)
    a, b = (t.assign(**{"payoff.AWS": 1.0, "value.AWS": 2.0}) for t in (a, b))
    assert {"payoff.AWS", "value.AWS"} <= set(paired.compare(a, b)["outcome"])


def test_paired_binary_outcome_uses_exact_mcnemar():
    a = np.r_[np.zeros(40), np.ones(10)]
    b = np.r_[np.ones(30), np.zeros(10), np.ones(10)]
    res = compare_paired(a, b)
    assert res["test"] == "exact McNemar"
    assert res["diff"] == pytest.approx(0.6)
    assert res["p_value"] < 1e-6


def test_settings_are_ordered_by_value_and_drawn_in_distinct_colours():
    from aimarket.analysis import load, plotting

    out = pd.DataFrame({"k.x": [10.0, 2.5, 20.0, 5.0], "status": "ok"})
    settings = load.setting_labels(out, ["k.x"])
    assert list(settings.cat.categories) == ["k.x=2.5", "k.x=5", "k.x=10", "k.x=20"]
    flags = pd.Series([1.0, 0.0, 1.0, 0.0])
    from aimarket.analysis.stats import proportion_table

    assert list(proportion_table(flags, settings)["setting"]) == list(settings.cat.categories)
    assert len(set(plotting.colours(16))) == 16
