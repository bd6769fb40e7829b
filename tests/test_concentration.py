"""Modified HHI (O'Brien–Salop), control, bloc ties and the foreclosure arithmetic, by hand."""

from __future__ import annotations

import pytest

from aimarket.blocs import bloc_map, ties, vertical_share
from aimarket.concentration import controller, foreclosure, mhhi, ownership, with_stake

SHARES = {"A": 0.5, "B": 0.3, "C": 0.2}


def test_mhhi_without_cross_ownership_is_the_hhi():
    assert mhhi(SHARES) == pytest.approx(3800.0)


def test_mhhi_against_a_hand_computation():
    """X controls A (60 %) and holds 20 % of B, which controls itself.

    HHI = 2500 + 900 + 400 = 3800. Only A's controller has an interest in another firm:
    A -> B adds s_A s_B (1 * 0.2) / (1 * 0.6) = 0.5 * 0.3 / 3 = 0.05, i.e. 500 points.
    B -> A adds nothing (B's own holders hold nothing in A).
    """
    gamma, beta = ownership({"A": {"X": 0.6}, "B": {"X": 0.2}}, control_stake=0.25)
    assert gamma == {"A": {"X": 1.0}, "B": {"B": 1.0}}
    assert beta["A"] == pytest.approx({"X": 0.6, "A": 0.4})
    assert mhhi(SHARES, gamma, beta) == pytest.approx(4300.0)


def test_mhhi_with_shared_control_by_hand():
    """A jointly controlled 50/50 by X and Y; X holds half of B: A -> B adds
    0.15 * (0.5 * 0.5) / (0.5 * 0.5 + 0.5 * 0.5) = 0.075, i.e. 750 points."""
    gamma = {"A": {"X": 0.5, "Y": 0.5}}
    beta = {"A": {"X": 0.5, "Y": 0.5}, "B": {"X": 0.5, "B": 0.5}}
    assert mhhi(SHARES, gamma, beta) == pytest.approx(4550.0)


def test_full_ownership_of_two_firms_is_a_merger():
    gamma, beta = ownership({"A": {"X": 1.0}, "B": {"X": 1.0}}, control_stake=0.25)
    merged = (0.5 + 0.3) ** 2 + 0.2**2
    assert mhhi(SHARES, gamma, beta) == pytest.approx(10_000 * merged)


def test_controller_is_the_largest_holder_at_or_above_the_control_stake():
    assert controller({"MS": 0.49, "AWS": 0.30}, 0.25) == "MS"
    assert controller({"AWS": 0.2}, 0.25) == ""


def test_a_minority_stake_in_a_controlled_lab_does_not_chain_two_clouds():
    """AWS's 30 % of Microsoft-controlled OpenAI: OpenAI is in Microsoft's bloc, AWS alone."""
    edges = ties({"OpenAI": {"MS": 0.49, "AWS": 0.30}}, 0.25, {}, ["MS", "AWS", "OpenAI"])
    assert edges == [("MS", "OpenAI")]
    blocs = bloc_map(["MS", "AWS", "OpenAI"], edges)
    assert blocs["OpenAI"] == blocs["MS"] != blocs["AWS"]


def test_a_clause_ties_a_lab_only_when_no_one_controls_it():
    edges = ties(
        {"Lab1": {}, "Lab2": {"Google": 0.3}},
        0.25,
        {"Lab1": "AWS", "Lab2": "AWS"},
        ["AWS", "Google", "Lab1", "Lab2"],
    )
    assert edges == [("AWS", "Lab1"), ("Google", "Lab2")]


def test_with_stake_dilutes_every_holder():
    after = with_stake({"L": {"X": 0.5}}, "Y", "L", 0.2)
    assert after["L"] == pytest.approx({"X": 0.4, "Y": 0.2})


def test_vertical_share_is_the_smaller_share_of_the_bloc_strongest_in_both():
    cloud = {"AWS": 0.6, "MS": 0.3}
    models = {"AWS": 0.45, "MS": 0.5}
    assert vertical_share(cloud, models) == (0.45, "AWS")


def test_foreclosure_arithmetic_by_hand():
    """u = 0.4 of compute (USD 10 bn/month), target 0.5 of models (USD 10 bn/month), investor
    owns 0.6 of it, margins 0.5, half of foreclosed compute unreplaced.
    cost = 0.5 * 0.4 * 10 * 0.5 = 1.0; rivals lose 0.4 * 0.5 * 10 * 0.5 = 1.0 of revenue, the
    target recaptures 0.5 of it: gain = 0.5 * (0.6 * 0.5 + 0.5 * 10 / 10) = 0.4."""
    f = foreclosure(0.4, 0.5, 0.6, 10.0, 10.0, 0.5, 0.5, 0.5)
    assert f.cost_bn == pytest.approx(1.0)
    assert f.gain_bn == pytest.approx(0.4)
    assert not f.pays
    assert foreclosure(0.4, 0.9, 1.0, 40.0, 1.0, 0.1, 0.9, 1.0).pays
