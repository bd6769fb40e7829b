"""`aimarket explore [SCENARIO]`: one run unfolding in the browser (Mesa's SolaraViz, offline).

The page itself is ``aimarket.explore_app`` (it imports Solara and Mesa's visualisation, so this
module stays light for the CLI). ``serve`` starts ``solara run`` on a local address in its own
process; the scenario reaches the app through the ``AIMARKET_EXPLORE_SCENARIO`` variable.
Needs the ``explore`` extra (``pip install 'aimarket[explore]'``): Solara with its bundled
browser assets, so no page resource is fetched from the internet.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

from aimarket.errors import UserError

SCENARIO_VARIABLE = "AIMARKET_EXPLORE_SCENARIO"
APP = Path(__file__).with_name("explore_app.py")


def serve(
    scenario: str, host: str = "127.0.0.1", port: int = 8765, output: IO | None = None
) -> subprocess.Popen:
    """Start the explorer server for ``scenario`` (name or file) on ``host:port``, its log to
    ``output`` (default: this process's); the caller stops it (``terminate``). Raises
    ``UserError`` when the ``explore`` extra is missing."""
    if (
        importlib.util.find_spec("solara") is None
        or importlib.util.find_spec("solara_assets") is None
    ):
        raise UserError("the explorer needs the explore extra: pip install 'aimarket[explore]'")
    from aimarket.scenario import load_scenario

    load_scenario(scenario)  # a mistake is reported here, not in the browser
    env = os.environ | {
        SCENARIO_VARIABLE: str(scenario),
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    }
    command = [sys.executable, "-m", "solara", "run", str(APP), "--host", host, "--port", str(port)]
    command += ["--production", "--no-open", "--no-check-version"]
    return subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)


def wait_until_up(url: str, server: subprocess.Popen, timeout: float = 90.0) -> None:
    """Return once ``url`` answers; raise ``RuntimeError`` if the server exits or ``timeout``
    (s) passes first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"explorer server exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise RuntimeError(f"explorer server did not answer at {url} within {timeout:.0f} s")


def _cmd(args: argparse.Namespace) -> int:
    server = serve(args.scenario, args.host, args.port)
    url = f"http://{args.host}:{args.port}/"
    try:
        wait_until_up(url, server)
        print(f"explorer: {url} (scenario {args.scenario}; Ctrl-C stops it)", flush=True)
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


def register_cli(sub: argparse._SubParsersAction) -> None:
    """Add the `aimarket explore` subcommand."""
    p = sub.add_parser(
        "explore",
        description="Serve an interactive page (Mesa SolaraViz) where one run of SCENARIO "
        "unfolds month by month: sliders for its key parameters and strategies, step/play/reset, "
        "concentration, prices, clauses and breakdowns, circular revenue and the deal network.",
    )
    p.add_argument("scenario", nargs="?", default="baseline", help="scenario name or file")
    p.add_argument("--host", default="127.0.0.1", help="address to serve on (default local only)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.set_defaults(func=_cmd)
