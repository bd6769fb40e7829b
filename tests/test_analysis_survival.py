"""Kaplan–Meier golden values: Gehan's 6-MP leukaemia data and a known exponential curve."""

import numpy as np
import pandas as pd
import pytest

from aimarket.analysis import survival
from aimarket.analysis.load import setting_labels

# Freireich/Gehan 6-MP arm: remission times (weeks), False = censored.
TIMES = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
# Textbook values (e.g. Kleinbaum & Klein, Table 2.x): S(t) and Greenwood SE.
GOLDEN = {
    6: (0.857, 0.076),
    7: (0.807, 0.087),
    10: (0.753, 0.096),
    13: (0.690, 0.107),
    16: (0.627, 0.114),
    22: (0.538, 0.128),
    23: (0.448, 0.135),
}


def test_kaplan_meier_matches_gehan_6mp_table():
    km = survival.kaplan_meier(np.array(TIMES), np.array(EVENT, bool)).set_index("time")
    for t, (s, se) in GOLDEN.items():
        assert km.loc[t, "survival"] == pytest.approx(s, abs=6e-4)
        assert km.loc[t, "se"] == pytest.approx(se, abs=6e-4)
    assert km.loc[0, "survival"] == 1.0
    assert survival.median_survival(km.reset_index())["median"] == 23
    # log-log band at t=6 (R survfit conf.type="log-log": 0.620, 0.952)
    assert km.loc[6, "lo"] == pytest.approx(0.620, abs=2e-3)
    assert km.loc[6, "hi"] == pytest.approx(0.952, abs=2e-3)


def test_kaplan_meier_recovers_a_censored_exponential_curve():
    rate, horizon = 1 / 30, 48
    t = np.random.default_rng(0).exponential(1 / rate, 3000)
    observed = t <= horizon
    km = survival.kaplan_meier(np.minimum(t, horizon), observed)
    for when in (5, 15, 30, 45):
        row = km[km["time"] <= when].iloc[-1]
        assert row["lo"] <= np.exp(-rate * when) <= row["hi"]
        assert row["survival"] == pytest.approx(np.exp(-rate * when), abs=0.02)
    med = survival.median_survival(km)
    assert med["median_lo"] <= np.log(2) / rate <= med["median_hi"]
    assert np.isinf(
        survival.median_survival(survival.kaplan_meier([48, 48], [False, False]))["median"]
    )


def test_survival_by_setting_censors_runs_without_breakdown_at_the_horizon():
    out = pd.DataFrame(
        {
            "status": ["ok"] * 4 + ["failed"],
            "first_breakdown_tick": [3, None, 5, None, None],
            "first_breakdown_cause": ["capacity_shortfall", None, "regulator_remedy", None, None],
            "ticks": 12,
            "k.x": [1, 1, 2, 2, 2],
        }
    )
    runs = survival.breakdown_durations(out)
    _curves, medians = survival.survival_by(runs, setting_labels(out, ["k.x"]).loc[runs.index])
    assert medians["n"].tolist() == [2, 2]  # the failed run is not a censored run
    assert medians["censored"].tolist() == [1, 1]
    causes = survival.cause_table(out, setting_labels(out, ["k.x"]))
    assert set(causes["cause"]) == {"capacity_shortfall", "regulator_remedy"}


def test_arrangements_run_from_clause_start_to_breakdown_else_expiry_or_horizon():
    out = pd.DataFrame({"run_id": ["r1", "r2"], "status": "ok", "ticks": 24})
    ev = pd.DataFrame(
        [
            ("r1", 0, "clause_in_force", "A"),  # broken at 7
            ("r1", 7, "breakdown", "A"),
            ("r1", 9, "breakdown", "A"),  # a second breakdown of the same deal is ignored
            ("r1", 4, "clause_in_force", "B"),  # expires at 10: censored
            ("r1", 10, "expired", "B"),
            ("r2", 5, "clause_in_force", "A"),  # same id in another run: runs to the horizon
            ("r2", 3, "breakdown", "Z"),  # a deal without a clause event is not an arrangement
        ],
        columns=["run_id", "tick", "kind", "deal_id"],
    )
    table = survival.arrangement_durations(survival.clause_spans(ev), out).sort_values(
        ["run_id", "deal_id"]
    )
    assert table["duration"].tolist() == [7.0, 6.0, 19.0]
    assert table["observed"].tolist() == [True, False, False]
    assert table.index.tolist() == [0, 0, 1]  # rows of the outcome table
