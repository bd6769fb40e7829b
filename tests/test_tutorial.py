"""docs/strategies.md: its listing is docs/examples/my_strategy.py, and every command in it runs.

Commands run in a scratch folder holding a copy of docs/examples, with fewer replications
(`-r 2`) and months (`--ticks 6`) than written, to keep the suite fast.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

from aimarket.cli import main

DOCS = Path(__file__).parent.parent / "docs"
TUTORIAL = (DOCS / "strategies.md").read_text()
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", TUTORIAL, re.S)


def test_the_listing_is_the_example_file():
    listing = next(code for lang, code in BLOCKS if lang == "python")
    assert listing == (DOCS / "examples" / "my_strategy.py").read_text()


def test_every_command_runs(tmp_path, monkeypatch, capsys):
    shutil.copytree(DOCS / "examples", tmp_path / "docs" / "examples")
    monkeypatch.chdir(tmp_path)
    commands = [
        shlex.split(line)
        for lang, code in BLOCKS
        if lang == "bash"
        for line in code.splitlines()
        if line.startswith("aimarket ")
    ]
    assert len(commands) >= 6
    for args in commands:
        args = ["2" if prev == "-r" else a for prev, a in zip(["", *args[:-1]], args, strict=True)]
        if args[1] in ("run", "batch", "tournament"):
            args += ["--ticks", "6"]
        assert main(args[1:]) == 0, (args, capsys.readouterr().err)
    snippets = [code for lang, code in BLOCKS if lang == "python"][1:]
    assert snippets
    for code in snippets:
        exec(compile(code, "docs/strategies.md", "exec"), {})
