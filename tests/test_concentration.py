"""Modified HHI (O'Brien–Salop), control, bloc ties and the foreclosure arithmetic, by hand."""

from __future__ import annotations

import random

import numpy as np
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


def _mhhi_by_matrices(shares, gamma, beta):
    """The O'Brien-Salop formula as dense control and interest matrices (``mhhi``'s general
    path), to check its one-controller shortcut bit for bit."""
    firms = [f for f, s in shares.items() if s > 0]
    g = [gamma.get(j) or {j: 1.0} for j in firms]
    b = [beta.get(j) or {j: 1.0} for j in firms]
    owners = {o: n for n, o in enumerate({o: None for m in (*g, *b) for o in m})}
    G, B = np.zeros((len(firms), len(owners))), np.zeros((len(firms), len(owners)))
    for j, (gj, bj) in enumerate(zip(g, b, strict=True)):
        for o, w in gj.items():
            G[j, owners[o]] = w
        for o, w in bj.items():
            B[j, owners[o]] = w
    s = np.array([shares[f] for f in firms])
    cross = np.einsum("ji,ki->jk", G, B)
    own = np.diag(cross).copy()
    np.fill_diagonal(cross, 0.0)
    ratio = np.divide(cross, own[:, None], out=np.zeros_like(cross), where=own[:, None] > 0)
    return float(10_000.0 * (0 + s @ s + s @ ratio @ s))


def test_mhhi_with_one_controller_per_firm_is_the_matrix_formula_exactly():
    rng = random.Random(7)
    holders = ["X", "Y", "Z", "L0", "L1"]
    for _ in range(300):
        labs = [f"L{i}" for i in range(rng.randint(1, 12))]
        tables = {
            lab: {
                o: rng.choice([rng.random() * 0.7, 0.5, 0.25, 1.0])
                for o in rng.sample(holders, rng.randint(0, 3))
                if o != lab
            }
            for lab in labs
        }
        gamma, beta = ownership(tables, rng.choice([0.25, 0.5]))
        shares = {lab: rng.choice([rng.random(), 1e-9]) for lab in labs}
        assert mhhi(shares, gamma, beta) == _mhhi_by_matrices(shares, gamma, beta)
