"""End to end: a small real batch (simulator + batch engine) → analyze → report."""

import re

import pytest

from aimarket import batch
from aimarket.analysis import load_run
from aimarket.analysis.report import build_report
from aimarket.scenario import load_scenario

KEY = "market.usage_units"


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("symmetric")


def test_grid_batch_to_report(scenario, tmp_path):
    design = batch.plan_design(scenario, sweeps={KEY: [0.3, 0.5]})
    out = tmp_path / "grid"
    batch.run_batch(
        scenario,
        out,
        design=design,
        replications=3,
        root_seed=1,
        ticks=12,
        executor="serial",
        keep_timeseries=True,
    )
    path = build_report(out, tmp_path / "report.html", strict=True, figures_dir=tmp_path / "png")
    text = path.read_text()
    assert (tmp_path / "report_tables" / "failures.csv").is_file()
    assert load_run(out).outcomes["status"].eq("ok").all()
    embedded = len(re.findall(r"src='data:image/png;base64,", text))
    assert embedded >= 5
    pngs = sorted((tmp_path / "png").glob("*.png"))
    assert len(pngs) == embedded
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)
    assert (tmp_path / "report_tables" / f"paired_{KEY}.csv").is_file()
    assert (tmp_path / "report_tables" / "timeseries_envelopes.csv").is_file()


def test_sobol_batch_reaches_salib(scenario, tmp_path):
    ranges = {KEY: (0.2, 0.6), "market.enterprise_compute_gw": (1.0, 3.0)}
    design = batch.plan_design(scenario, ranges=ranges, kind="sobol", samples=4, root_seed=2)
    out = tmp_path / "sobol"
    batch.run_batch(
        scenario, out, design=design, replications=1, root_seed=2, ticks=6, executor="serial"
    )
    text = build_report(out, tmp_path / "s.html", strict=True).read_text()
    assert load_run(out).outcomes["status"].eq("ok").all()
    assert "Sobol (SALib sobol.analyze)" in text or "constant" in text
