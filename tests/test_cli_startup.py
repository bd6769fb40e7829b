"""The quick commands start without importing the heavy libraries (benchmarks/bench_cli.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("pandas", "matplotlib", "SALib", "sklearn", "mesa", "scipy", "seaborn", "pyarrow")
PROBE = (
    "import sys; from aimarket.cli import main\n"
    "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
    "print('MODULES', ' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
)


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["scenarios"], ["run", "--help"]])
def test_quick_commands_import_no_heavy_library(args):
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True
    )
    loaded = set(proc.stdout.rsplit("MODULES", 1)[1].split())
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["scenarios"]])
def test_the_instant_commands_import_not_even_numpy_or_pydantic(args):
    """The listing reads names and descriptions with tomllib, without the scenario schema."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True
    )
    loaded = set(proc.stdout.rsplit("MODULES", 1)[1].split())
    assert not loaded & {*HEAVY, "numpy", "pydantic", "pydantic_core"}


def test_help_lists_every_command_and_a_command_parses_its_options(capsys):
    from aimarket.cli import COMMANDS, main

    with pytest.raises(SystemExit):
        main(["--help"])
    listing = capsys.readouterr().out
    assert all(name in listing for name in COMMANDS)
    with pytest.raises(SystemExit) as exit_:
        main(["batch", "baseline", "--no-such-option"])
    assert exit_.value.code == 2 and "--no-such-option" in capsys.readouterr().err


def test_a_missing_dependency_is_one_line_with_what_to_do(monkeypatch, capsys):
    import builtins

    from aimarket import cli

    real_import = builtins.__import__

    def no_pydantic(name, *args, **kwargs):
        if name.startswith("pydantic"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pydantic)
    monkeypatch.delitem(sys.modules, "aimarket.simulation", raising=False)
    monkeypatch.delitem(sys.modules, "aimarket.scenario", raising=False)
    assert cli.main(["run", "symmetric"]) == 2
    err = capsys.readouterr().err
    assert "missing dependency 'pydantic'" in err and "source .venv/bin/activate" in err


def test_version_is_the_installed_one(capsys):
    from importlib.metadata import version

    from aimarket.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out == f"aimarket {version('aimarket')}\n"
