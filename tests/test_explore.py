"""The browser explorer: its data and plots in-process, and the served page in a real Chromium."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

pytest.importorskip("solara", reason="the explorer needs the explore extra")

import mesa

from aimarket import explore
from aimarket.explore_app import (
    PLOTS,
    ExplorerModel,
    breakdowns,
    controls,
    deal_network,
    timeseries,
)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def test_model_takes_slider_settings_and_mesas_reset_scenario_and_stops_at_the_horizon():
    model = ExplorerModel(
        scenario=mesa.experimental.scenarios.Scenario(),  # what Mesa 3.5's Reset passes
        source="amazon-openai",
        seed=3,
        **{"market.demand_growth_per_year": 5.0, "hyperscalers.AWS.strategy": "capacity-planner"},
    )
    assert model.setup.data["market"]["demand_growth_per_year"] == 5.0
    assert model.firms["AWS"].strategy.name == "capacity-planner"
    for _ in range(model.setup.ticks):
        assert model.running
        model.step()
    assert not model.running
    assert len(timeseries(model)) == model.setup.ticks
    assert breakdowns(model).is_monotonic_increasing


def test_controls_cover_sweep_keys_and_strategies_and_the_network_has_stakes_and_clauses():
    model = ExplorerModel(source="amazon-openai")
    params = controls(model.setup, "amazon-openai")
    assert params["source"] == "amazon-openai"
    for key in model.setup.sweep:
        assert params[key]["min"] <= params[key]["value"] <= params[key]["max"]
    assert "capacity-planner" in params["hyperscalers.AWS.strategy"]["values"]
    graph = deal_network(model)
    assert any("stake" in d for *_, d in graph.edges(data=True))
    assert any("clause" in d for *_, d in graph.edges(data=True))
    model.step()
    assert all(plot(model) is not None for plot in PLOTS)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
def test_page_serves_offline_and_step_changes_a_plot_in_chromium(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    with open(tmp_path / "server.log", "w") as log:
        server = explore.serve("symmetric", "127.0.0.1", port, output=log)
    try:
        explore.wait_until_up(url, server)
        requests, failures = [], []
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("request", lambda r: requests.append(r.url))
            page.on("response", lambda r: r.status >= 400 and failures.append(r.url))
            page.goto(url)
            step = page.get_by_role("button", name="Step")
            step.wait_for(timeout=60_000)
            plot = page.locator("img").first
            plot.wait_for(timeout=30_000)
            before = plot.screenshot()
            step.click()
            page.get_by_text("Time: 1.0").wait_for(timeout=30_000)
            page.wait_for_timeout(1000)
            after = page.locator("img").first.screenshot()
            page.screenshot(path=tmp_path / "explorer.png", full_page=True)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    outside = [u for u in requests if not u.startswith((url, "blob:", "data:"))]
    assert requests and not outside, outside
    assert not failures, failures
    assert before != after, "the concentration plot did not change after Step"
    assert (tmp_path / "explorer.png").stat().st_size > 0
