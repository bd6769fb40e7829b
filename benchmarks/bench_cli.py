"""Start-up time of the `aimarket` command (wall seconds, median of ``--repeats`` processes).

    python benchmarks/bench_cli.py [--repeats 5]

Each command runs in a fresh interpreter, as a user's shell would start it. Target: under 1 s
on 2 cores for ``--help``, ``--version`` and ``scenarios`` (heavy imports deferred to the
subcommand that needs them; ``scenarios`` reads names and descriptions with tomllib, without
the scenario schema; ``tests/test_cli_startup.py`` checks which modules they import).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = (["--version"], ["--help"], ["scenarios"], ["run", "--help"], ["analyze", "--help"])


def startup_seconds(args: list[str], repeats: int) -> float:
    """Median wall time (s) of ``python -m aimarket ARGS`` over ``repeats`` fresh processes."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "aimarket", *args], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    for command in COMMANDS:
        seconds = startup_seconds(command, args.repeats)
        print(f"aimarket {' '.join(command):16s} {seconds:6.2f} s")


if __name__ == "__main__":
    main()
