"""Report and CLI on a synthetic run store written with pandas to the documented layout."""

import argparse
import json
import logging
import re

import numpy as np
import pandas as pd
import pytest

from aimarket.analysis import load_run, money_flows
from aimarket.analysis.cli import register_cli
from aimarket.analysis.load import RunData
from aimarket.analysis.report import analyse, build_report
from aimarket.errors import UserError

HHI = "regulators.US.hhi_high"
DEAL = "deals.amazon_openai.enabled"


def write_store(root, keep_timeseries=True, reps=30):
    """A 3 × 2 grid × `reps` replications with CRN seeds, two failed runs, known effects."""
    rng = np.random.default_rng(7)
    rows = []
    for point, (hhi, deal) in enumerate((h, d) for h in (1500, 2500, 3500) for d in (False, True)):
        for r in range(reps):
            run_id = point * reps + r
            p_mono = 1 / (1 + np.exp(-((hhi - 2500) / 500 + (1.0 if deal else -1.0))))
            brk = rng.exponential(20 if deal else 40)
            rows.append(
                {
                    "run_id": run_id,
                    "design_point": point,
                    "replication": r,
                    "seed": 100 + r,
                    HHI: hhi,
                    DEAL: deal,
                    "hhi_cloud_final": 2000 + hhi / 2 + rng.normal(0, 200),
                    "hhi_models_final": 1800 + rng.normal(0, 300),
                    "hhi_chips_final": 6000 + rng.normal(0, 500),
                    "circular_revenue_share": (circular := rng.beta(2, 5)),
                    "circular_revenue_share_by_origin": {
                        "credits": 0.2 * circular,
                        "group_funding": 0.8 * circular,
                        "equity": 0.0,
                    },
                    "consumer_surplus": 300 - (50 if deal else 0) + rng.normal(0, 20),
                    "exclusive_deals": 3,
                    "exclusivity_breakdowns": int(brk < 36),
                    "first_breakdown_tick": int(brk) if brk < 36 else None,
                    "first_breakdown_cause": rng.choice(["capacity_shortfall", "regulator_remedy"])
                    if brk < 36
                    else None,
                    "monopoly_like": bool(rng.random() < p_mono),
                    "regime": "monopoly-like" if rng.random() < p_mono else "competitive",
                    "ticks": 36,
                    "status": "ok",
                    "error": None,
                }
            )
    out = pd.DataFrame(rows)
    out["monopoly_like"] = out["monopoly_like"].astype(object)
    failed = out["run_id"].isin([5, 77])
    out["status"] = np.where(failed, "failed", "ok")
    out["error"] = pd.Series(
        np.where(failed, "Traceback...\nRuntimeError: boom", None), dtype=object
    )
    out.loc[failed, ["hhi_cloud_final", "consumer_surplus", "monopoly_like"]] = None
    out["circular_revenue_share_by_origin"] = out["circular_revenue_share_by_origin"].where(~failed)
    (root / "outcomes").mkdir(parents=True)
    out.to_parquet(root / "outcomes" / "part-00000.parquet")
    (root / "events").mkdir()
    pd.DataFrame(
        {
            "tick": [1, 2],
            "date": ["2025-02", "2025-03"],
            "kind": ["deal", "breakdown"],
            "deal_id": ["d1", "d1"],
            "agent": ["AWS", "AWS"],
            "counterparty": ["OpenAI"] * 2,
            "cause": [None, "capacity_shortfall"],
            "value": [1.0, 0.0],
            "run_id": [0, 0],
        }
    ).to_parquet(root / "events" / "part-00000.parquet")
    if keep_timeseries:
        ts = pd.DataFrame(
            [
                {
                    "run_id": rid,
                    "tick": t,
                    "hhi_cloud": 2000 + 30 * t + rng.normal(0, 50),
                    "hhi_models": 1800.0,
                    "open_share": 0.3,
                }
                for rid in out["run_id"]
                for t in range(36)
            ]
        )
        (root / "timeseries").mkdir()
        ts.to_parquet(root / "timeseries" / "part-00000.parquet")
    design = {
        "kind": "grid",
        "keys": [HHI, DEAL],
        "grid": {HHI: [1500, 2500, 3500], DEAL: [False, True]},
        "replications": reps,
    }
    manifest = {
        "name": root.name,
        "root_seed": 1,
        "design": design,
        "replications": reps,
        "scenario": {"name": "baseline", "content_hash": "ab" * 32},
    }
    (root / "manifest.json").write_text(json.dumps(manifest))
    return root


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return write_store(tmp_path_factory.mktemp("runs") / "synthetic")


@pytest.fixture(scope="module")
def report(store, tmp_path_factory):
    return build_report(store, tmp_path_factory.mktemp("out") / "report.html", strict=True)


def test_report_is_self_contained_with_figures_and_tables(report):
    path = report
    text = path.read_text()
    images = re.findall(r"<img src='([^']+)'", text)
    assert len(images) >= 10
    assert all(src.startswith("data:image/png;base64,") for src in images)
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", text)
    assert "<script" not in text
    tables = path.parent / "report_tables"
    for name in (
        "overview",
        "failures",
        "outcome_summary",
        "event_probabilities",
        "survival_medians",
        "phase_monopoly_like",
        f"paired_{DEAL}",
        "timeseries_envelopes",
        "prim_monopoly_like",
        "circular_by_origin",
    ):
        assert (tables / f"{name}.csv").is_file(), name
    failures = pd.read_csv(tables / "failures.csv")
    assert failures["failed"].sum() == 2
    assert "could not be computed" not in text


def test_report_stacks_the_mean_circular_share_by_origin_per_setting():
    outcomes = pd.DataFrame(
        {
            "status": ["ok", "ok", "ok", "failed"],
            "circular_revenue_share_by_origin": [
                {"credits": 0.1, "group_funding": 0.3, "equity": 0.0},
                {"credits": 0.3, "group_funding": 0.1, "equity": 0.0},
                {"credits": 0.2, "group_funding": 0.0, "equity": 0.0},
                None,
            ],
        }
    )
    settings = pd.Series(["a", "a", "b", "b"])
    table = money_flows.circular_by_origin(outcomes, settings)
    assert list(table.columns) == ["setting", "credits", "group_funding"]
    assert list(table["setting"]) == ["a", "b"]
    assert list(table["credits"]) == pytest.approx([0.2, 0.2])
    assert list(table["group_funding"]) == pytest.approx([0.2, 0.0])
    assert money_flows.plot_circular_by_origin(table) is not None
    flows = {("group_funding", "home: compute"): 10.0, ("outside", "staff"): 2.0}
    assert money_flows.plot_origin_flows(flows) is not None
    assert money_flows.plot_origin_flows({}) is None


def test_report_reads_in_words_definitions_first_percentages_and_alt_text(report):
    text = report.read_text()
    headings = re.findall(r"<h2>(.*?)</h2>", text)
    assert headings[:2] == ["Definitions", "Overview"]
    assert "Monopoly-like:" in text and "Exclusivity breakdown:" in text
    alts = re.findall(r"<img [^>]*alt='([^']*)'", text)
    assert len(alts) == len(re.findall(r"<img ", text)) >= 10
    assert all("x: " in alt and "categories" not in alt for alt in alts)
    # probabilities as percentages with intervals, events in words, months not ticks
    assert "<th>failure rate (95 % CI)</th>" in text and "<th>percent (95 % CI)</th>" in text
    assert "monopoly_like)" not in text and "(ticks)" not in text


def test_percentages_turn_every_share_into_a_percentage_with_its_interval():
    from aimarket.analysis.report import percentages

    table = pd.DataFrame({"setting": ["a"], "n": [10], "p_monopoly_like": [0.0], "share": [0.3]})
    shown = percentages(table)
    assert shown.columns.tolist() == ["setting", "n", "P(monopoly-like) (95 % CI)", "share"]
    assert shown.iloc[0, 2] == "0.0 % (0.0 %–27.8 %)"
    rates = pd.DataFrame(
        {"failed": [1], "runs": [4], "failure_rate": [0.25], "lo": [0.05], "hi": [0.7]}
    )
    assert percentages(rates).iloc[0].tolist() == [1, 4, "25.0 % (5.0 %–70.0 %)"]


def test_sections_degrade_to_notes_when_columns_are_missing(tmp_path):
    root = write_store(tmp_path / "thin", keep_timeseries=False, reps=4)
    run = load_run(root)
    run.outcomes = run.outcomes.drop(columns=["regime", "first_breakdown_cause"])
    sections = {s.title: s for s in analyse(run, strict=True)}
    notes = " ".join(n for s in sections.values() for n in s.notes)
    assert "no time series" in notes and "regime shares skipped" in notes
    assert "design kind 'grid'" in notes  # no Sobol on a grid: a note, not a crash


def test_paired_counterfactual_detects_the_deal_effect(report):
    table = pd.read_csv(report.parent / "report_tables" / f"paired_{DEAL}.csv")
    table = table.set_index("outcome")
    row = table.loc["consumer_surplus"]
    assert row["design"] == "paired (CRN)" and row["lo"] < -50 < row["hi"] and row["hi"] < 0


def _run_cli(argv):
    parser = argparse.ArgumentParser()
    register_cli(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_analyze_compare_and_user_errors(store, tmp_path, capsys, caplog):
    caplog.set_level(logging.INFO, logger="aimarket")
    assert _run_cli(["analyze", str(store), "--report", str(tmp_path / "a.html"), "--by", HHI]) == 0
    assert (tmp_path / "a.html").is_file()
    stages = [r.message for r in caplog.records if r.message.startswith("analyze:")]
    assert stages[0].startswith("analyze: reading") and "report written" in stages[-1]
    assert any(s.startswith("analyze: [1/") for s in stages)
    assert (
        _run_cli(
            [
                "compare",
                str(store),
                "--key",
                DEAL,
                "--values",
                "false",
                "true",
                "--csv",
                str(tmp_path / "c.csv"),
            ]
        )
        == 0
    )
    assert "Wilcoxon signed-rank" in capsys.readouterr().out
    assert _run_cli(["compare", str(store), str(store)]) == 0
    with pytest.raises(UserError, match="no such run folder"):
        _run_cli(["analyze", str(tmp_path / "missing")])
    with pytest.raises(UserError, match="unknown --by key"):
        _run_cli(["analyze", str(store), "--report", str(tmp_path / "b.html"), "--by", "nope"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no outcomes"):
        _run_cli(["analyze", str(tmp_path / "empty")])


def test_report_of_a_batch_where_every_run_failed(tmp_path):
    root = write_store(tmp_path / "failed", keep_timeseries=False, reps=2)
    part = root / "outcomes" / "part-00000.parquet"
    out = pd.read_parquet(part).assign(status="failed", error="ValueError: bug")
    out.to_parquet(part)
    path = build_report(root, tmp_path / "f.html", strict=True)
    assert "no run finished" in path.read_text()
    assert pd.read_csv(tmp_path / "f_tables" / "failures.csv")["failure_rate"].eq(1).all()


HOSTILE = "<script>alert(1)</script>"


def test_a_report_of_hostile_names_escapes_every_piece_of_user_text(tmp_path):
    from html.parser import HTMLParser

    from aimarket.cli import main

    scenario = tmp_path / "evil.toml"
    scenario.write_text(
        f'name = "<img src=x onerror=alert(2)>"\ndescription = "{HOSTILE}"\nticks = 3\n'
        f'[[hyperscalers]]\nname = "{HOSTILE}"\n[[hyperscalers]]\nname = "C2"\n'
        '[[labs]]\nname = "\'><svg onload=alert(3)>"\n[[labs]]\nname = "L2"\n'
    )
    out = tmp_path / "runs" / "b"
    sweep = f"hyperscalers.{HOSTILE}.capacity_gw=1,2"
    args = ["batch", str(scenario), "-r", "2", "--jobs", "1", "--sweep", sweep, "--out", str(out)]
    assert main(args) == 0
    report = build_report(out)

    class Tags(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tags: list[tuple[str, dict]] = []
            self.text = ""

        def handle_starttag(self, tag, attrs):
            self.tags.append((tag, dict(attrs)))

        def handle_data(self, data):
            self.text += data

    page = Tags()
    page.feed(report.read_text())
    assert "script" not in {tag for tag, _ in page.tags}
    assert not [a for _, attrs in page.tags for a in attrs if a.startswith("on")]
    images = [attrs["src"] for tag, attrs in page.tags if tag == "img"]
    assert all(src.startswith("data:image/png;base64,") for src in images)
    links = [attrs["href"] for tag, attrs in page.tags if tag == "a"]
    assert links and all(h.startswith("report_tables/") and ".." not in h for h in links)
    assert all((report.parent / h).is_file() for h in links)
    assert HOSTILE in page.text  # shown as text, not markup


def test_clause_spans_scanned_from_the_store_equal_those_of_the_loaded_events(tmp_path):
    from aimarket.analysis import survival

    rows = [  # (run_id, deal_id, kind, tick)
        (1, "A", "clause_in_force", 3),
        (1, "A", "breakdown", 10),
        (1, "A", "breakdown", 12),
        (1, "B", "clause_in_force", 0),
        (1, "B", "expired", 50),
        (2, "A", "clause_in_force", 5),
        (2, "A", "signed", 4),
        (2, "C", "breakdown", 7),  # no clause came into force: not a span
    ]
    events = pd.DataFrame(rows, columns=["run_id", "deal_id", "kind", "tick"])
    (tmp_path / "events").mkdir()
    for n, part in enumerate((events[:3], events[3:])):
        part.to_parquet(tmp_path / "events" / f"part-{n:09d}.parquet", index=False)
    run = RunData(tmp_path, {}, pd.DataFrame({"run_id": [1, 2], "status": "ok"}))
    scanned = run.clause_spans
    assert "events" not in vars(run)  # the events were never loaded
    expected = survival.clause_spans(events)
    assert list(expected["deal_id"]) == ["A", "B", "A"]
    assert expected["breakdown"].tolist()[0] == 10 and expected["expired"].tolist()[1] == 50
    key = ["run_id", "deal_id"]
    pd.testing.assert_frame_equal(
        scanned.sort_values(key).reset_index(drop=True),
        expected.sort_values(key).reset_index(drop=True),
        check_dtype=False,
    )
