"""Designs: sizes, ranges, stratification, reproducibility, Saltelli order, argument parsing."""

from __future__ import annotations

import numpy as np
import pytest

from aimarket import designs
from aimarket.errors import UserError

RANGES = {"x": (0.0, 2.0), "y": (-1.0, 1.0), "n": (1, 4)}


def seed(n: int = 0) -> np.random.SeedSequence:
    return np.random.SeedSequence(n)


def test_grid_is_the_full_factorial_first_key_slowest():
    design = designs.grid({"a": [1, 2], "b": ["x", "y", "z"]})
    assert len(design) == 6
    assert design.points[:4] == [
        {"a": 1, "b": "x"},
        {"a": 1, "b": "y"},
        {"a": 1, "b": "z"},
        {"a": 2, "b": "x"},
    ]
    assert designs.single().points == [{}]


def test_lhs_size_ranges_and_one_point_per_stratum():
    design = designs.lhs(RANGES, 40, seed())
    x = np.array([p["x"] for p in design.points])
    assert len(design) == 40 and design.kind == "lhs"
    assert x.min() >= 0.0 and x.max() <= 2.0
    assert sorted(np.floor(x / 2.0 * 40).astype(int)) == list(range(40))
    ints = [p["n"] for p in design.points]
    assert all(isinstance(v, int) for v in ints)
    assert {ints.count(v) for v in range(1, 5)} == {10}  # integer bins equally likely


def test_random_designs_are_reproducible_from_the_seed():
    for make in (designs.lhs, designs.sobol, designs.morris):
        assert make(RANGES, 8, seed(1)).points == make(RANGES, 8, seed(1)).points
        assert make(RANGES, 8, seed(1)).digest != make(RANGES, 8, seed(2)).digest


def test_sobol_is_saltelli_and_recovers_ishigami_indices():
    from SALib.analyze import sobol

    ranges = {k: (-np.pi, np.pi) for k in ("x1", "x2", "x3")}
    design = designs.sobol(ranges, 1024, seed())
    assert len(design) == 1024 * (2 * 3 + 2)
    x = np.array([[p[k] for k in ranges] for p in design.points])
    assert (np.abs(x) <= np.pi).all()
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    indices = sobol.analyze(design.spec["problem"], y, seed=0)
    assert indices["S1"] == pytest.approx([0.314, 0.442, 0.0], abs=0.05)
    assert len(designs.sobol(ranges, 8, seed(), second_order=False)) == 8 * 5


def test_cross_combines_every_grid_point_with_every_sample():
    design = designs.cross(designs.grid({"p": ["a", "b"]}), designs.lhs(RANGES, 5, seed()))
    assert len(design) == 10 and design.keys == ["p", "x", "y", "n"]
    assert design.spec["grid"] == {"p": ["a", "b"]} and design.kind == "lhs"
    assert [p["x"] for p in design.points[:5]] == [p["x"] for p in design.points[5:]]


def test_describe_is_json_ready_and_names_the_sampler():
    info = designs.sobol(RANGES, 4, seed()).describe()
    assert info["sampler"] == "SALib.sample.sobol.sample"
    assert info["problem"]["names"] == ["x", "y", "n"]
    assert info["size"] == 4 * 8 and len(info["digest"]) == 64


def test_parsing_of_command_line_values():
    assert designs.parse_sweep("a.b=1, 2.5,true,x") == ("a.b", [1, 2.5, True, "x"])
    assert designs.parse_range("k=1:3") == ("k", (1, 3))
    assert designs.parse_range("k=0.5:1e3") == ("k", (0.5, 1000.0))
    for bad in ("a", "=1,2", "a="):
        with pytest.raises(UserError, match="--sweep"):
            designs.parse_sweep(bad)
    for bad in ("k=1", "k=a:b", "k:1:2"):
        with pytest.raises(UserError, match="--range"):
            designs.parse_range(bad)


def test_bad_designs_are_refused():
    with pytest.raises(UserError, match="LOW must be below HIGH"):
        designs.lhs({"x": (1.0, 1.0)}, 4, seed())
    with pytest.raises(UserError, match="at least 1"):
        designs.lhs(RANGES, 0, seed())
    with pytest.raises(UserError, match="power of 2"):
        designs.sobol(RANGES, 10, seed())
    with pytest.raises(UserError, match="no values"):
        designs.grid({"a": []})
