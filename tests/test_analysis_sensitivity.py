"""Sobol indices of the Ishigami function through the report's pipeline (manifest → SALib)."""

import numpy as np
import pandas as pd
import pytest
from SALib.sample import sobol as sobol_sample
from scipy.stats import qmc

from aimarket.analysis import sensitivity
from aimarket.analysis.notes import Skipped

NAMES = ["x.one", "x.two", "x.three"]
PROBLEM = {"num_vars": 3, "names": NAMES, "bounds": [[-np.pi, np.pi]] * 3}
S1 = [0.3139, 0.4424, 0.0]
ST = [0.5576, 0.4424, 0.2437]


def ishigami(x: np.ndarray) -> np.ndarray:
    return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


def _store(x: np.ndarray, kind: str, extra: dict | None = None) -> tuple[pd.DataFrame, dict]:
    out = pd.DataFrame(x, columns=NAMES)
    out["design_point"] = np.arange(len(x))
    out["replication"] = 0
    out["status"] = "ok"
    out["consumer_surplus"] = ishigami(x)
    ranges = dict(zip(NAMES, PROBLEM["bounds"], strict=True))
    return out, {"design": {"kind": kind, "keys": NAMES, "ranges": ranges, **(extra or {})}}


def test_sobol_indices_of_ishigami_match_the_analytic_values():
    x = sobol_sample.sample(PROBLEM, 1024, calc_second_order=True, seed=1)
    out, manifest = _store(x, "sobol", {"calc_second_order": True, "problem": PROBLEM})
    method, table = sensitivity.sensitivity(out, manifest, ["consumer_surplus", "hhi_cloud_final"])
    assert method.startswith("Sobol")
    np.testing.assert_allclose(table["S1"], S1, atol=0.05)
    np.testing.assert_allclose(table["ST"], ST, atol=0.05)
    assert (table["S1_conf"] > 0).all()


def test_sobol_crossed_with_a_grid_is_analysed_per_setting_and_second_order_inferred():
    x = sobol_sample.sample(PROBLEM, 512, calc_second_order=False, seed=2)
    parts = []
    for i, level in enumerate((1.0, 3.0)):
        out, _ = _store(x, "sobol")
        out["consumer_surplus"] *= level
        out["g.level"] = level
        out["design_point"] += i * len(x)
        parts.append(out)
    out = pd.concat(parts, ignore_index=True)
    manifest = {"design": {"kind": "sobol", "keys": ["g.level", *NAMES], "problem": PROBLEM}}
    _, table = sensitivity.sensitivity(out, manifest, ["consumer_surplus"])
    assert sorted(table["setting"].unique()) == ["g.level=1.0", "g.level=3.0"]
    for _, sub in table.groupby("setting"):
        np.testing.assert_allclose(sub["ST"], ST, atol=0.07)


def test_lhs_design_uses_rbd_fast_first_order_indices():
    unit = qmc.LatinHypercube(d=3, rng=np.random.default_rng(3)).random(3000)
    out, manifest = _store(-np.pi + 2 * np.pi * unit, "lhs")
    method, table = sensitivity.sensitivity(out, manifest, ["consumer_surplus"])
    assert "RBD-FAST" in method
    np.testing.assert_allclose(table["S1"], S1, atol=0.06)


def test_grid_design_and_failed_design_points_are_skipped_with_a_reason():
    x = sobol_sample.sample(PROBLEM, 64, calc_second_order=True, seed=1)
    out, manifest = _store(x, "grid")
    with pytest.raises(Skipped, match="grid"):
        sensitivity.sensitivity(out, manifest, ["consumer_surplus"])
    out, manifest = _store(x, "sobol", {"problem": PROBLEM})
    out.loc[3, "status"] = "failed"
    with pytest.raises(Skipped, match="without an ok run"):
        sensitivity.sensitivity(out, manifest, ["consumer_surplus"])


def test_morris_design_screens_a_linear_function_exactly():
    from aimarket import designs

    ranges = {"x.one": (0.0, 1.0), "x.two": (0.0, 2.0), "x.three": (10.0, 20.0)}
    design = designs.morris(ranges, 20, np.random.SeedSequence(5))
    assert len(design) == 20 * (3 + 1)
    x = np.array([[p[k] for k in ranges] for p in design.points])
    out = pd.DataFrame(x, columns=list(ranges))
    out["design_point"] = np.arange(len(x))
    out["replication"] = 0
    out["status"] = "ok"
    out["consumer_surplus"] = 3.0 * x[:, 0] - 0.5 * x[:, 1]  # x.three has no effect
    manifest = {"design": design.describe()}
    method, table = sensitivity.sensitivity(out, manifest, ["consumer_surplus"])
    assert method.startswith("Morris")
    table = table.set_index("parameter")
    # elementary effect = coefficient x range; a linear response has no spread (sigma = 0)
    np.testing.assert_allclose(table.loc[list(ranges), "mu_star"], [3.0, 1.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(table["sigma"], 0.0, atol=1e-9)
