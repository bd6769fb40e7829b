"""The notebook-facing API: importing it changes no global state; the example notebook runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent


def test_importing_the_analysis_api_keeps_the_backend_and_style():
    probe = (
        "import matplotlib; before = dict(matplotlib.rcParams)\n"
        "from aimarket import analysis as an\n"
        "import aimarket.analysis.report\n"
        "[getattr(an, name) for name in an.__all__]\n"
        "assert dict(matplotlib.rcParams) == before, 'rcParams changed'\n"
        "print(matplotlib.get_backend())"
    )
    env = os.environ | {"MPLBACKEND": "svg"}
    proc = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    assert proc.stdout.strip() == "svg"


def test_example_notebook_runs_and_prints_pairing_and_intervals():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "analysis" / "notebook.py")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "paired on seed" in proc.stdout and "swept: ['events.AMZN-OAI.amount_bn'" in proc.stdout


def test_analysis_functions_return_data_frames():
    from aimarket import analysis as an

    out = pd.DataFrame(
        {"status": "ok", "first_breakdown_tick": [3.0, None, 5.0, None], "monopoly_like": False}
    )
    settings = pd.Series(["a", "a", "b", "b"])
    table = an.event_probabilities(out, settings)
    assert isinstance(table, pd.DataFrame)
    assert table.query("event == 'monopoly_like'")["lo"].eq(0.0).all()  # exact, not 5.6e-17
