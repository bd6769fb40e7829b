"""The built wheel carries the scenarios, the licence and py.typed, and runs a shipped scenario."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_installs_and_runs_a_shipped_scenario(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        check=True,
    )
    (wheel,) = (tmp_path / "dist").glob("aimarket-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {p.name for p in (ROOT / "scenarios").glob("*.toml")}
    assert {n.rsplit("/", 1)[-1] for n in names if n.startswith("aimarket/scenarios/")} == shipped
    assert "aimarket/py.typed" in names and any(n.endswith("licenses/LICENSE") for n in names)

    # A fresh venv whose only aimarket is the wheel; dependencies come from this environment.
    # No PYTHONPATH (a checkout put first on it would shadow the installed wheel).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(site) / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
    )
    proc = subprocess.run(
        [venv / "bin" / "aimarket", "run", "symmetric", "--ticks", "2", "--out", "out"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "summary.json").is_file()
    where = subprocess.run(
        [python, "-c", "import aimarket.scenario as s; print(s.SCENARIO_DIR)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where) == Path(site) / "aimarket" / "scenarios"
    listing = subprocess.run(
        [venv / "bin" / "aimarket", "scenarios"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert sorted(line.split()[0] for line in listing.splitlines()) == sorted(
        name.removesuffix(".toml") for name in shipped
    )
