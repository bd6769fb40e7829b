#!/usr/bin/env bash
# The main job on a fresh machine: install into .venv, run a scenario batch, write its report.
# Usage: bash scripts/main-job.sh [SCENARIO] [REPLICATIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/find-python.sh
scenario="${1:-amazon-openai}"
replications="${2:-40}"
if [ ! -x .venv/bin/aimarket ]; then
  "$(find_python)" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[dev]'
fi
out="runs/${scenario}-$(date +%Y%m%d-%H%M%S)"
.venv/bin/aimarket batch "$scenario" --replications "$replications" --jobs 2 --out "$out"
.venv/bin/aimarket analyze "$out"
echo "main job done: results in $out/, report at $out/report.html"
