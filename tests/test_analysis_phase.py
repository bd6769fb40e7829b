"""Phase diagram on a known logistic probability surface: cells and the 50 % contour."""

import numpy as np
import pandas as pd
import pytest

from aimarket.analysis import phase


def _surface(x, y):
    return 1 / (1 + np.exp(-12 * (x + 0.5 * y - 0.75)))


@pytest.fixture(scope="module")
def grid_runs() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    levels = np.linspace(0, 1, 11)
    x, y = (a.ravel() for a in np.meshgrid(levels, levels))
    x, y = np.repeat(x, 200), np.repeat(y, 200)
    return pd.DataFrame({"a.x": x, "a.y": y, "flag": (rng.random(len(x)) < _surface(x, y)) * 1.0})


def test_phase_table_cells_cover_the_true_probability(grid_runs):
    table = phase.phase_table(grid_runs, "a.x", "a.y", grid_runs["flag"])
    assert len(table) == 121
    assert (table["n"] == 200).all()
    covered = (table["lo"] <= _surface(table["x"], table["y"])) & (
        _surface(table["x"], table["y"]) <= table["hi"]
    )
    assert covered.mean() > 0.9


def test_fifty_percent_contour_follows_the_known_line(grid_runs):
    table = phase.phase_table(grid_runs, "a.x", "a.y", grid_runs["flag"])
    contour = phase.contour_50(table)
    inside = contour[contour["y"] <= 1.0]
    np.testing.assert_allclose(inside["x50"], 0.75 - 0.5 * inside["y"], atol=0.03)


def test_continuous_design_is_binned_and_keys_are_ranked():
    rng = np.random.default_rng(5)
    n = 4000
    runs = pd.DataFrame({"a.x": rng.random(n), "a.y": rng.random(n), "a.z": rng.random(n)})
    flag = pd.Series((rng.random(n) < _surface(runs["a.x"], runs["a.y"])) * 1.0)
    table = phase.phase_table(runs, "a.x", "a.y", flag, bins=6)
    assert table["x"].nunique() == 6 and table["n"].sum() == n
    assert phase.rank_keys(runs, ["a.z", "a.y", "a.x"], flag)[:2] == ["a.x", "a.y"]
    fig = phase.plot_phase(table, "a.x", "a.y", "monopoly_like")
    assert fig.axes
