#!/usr/bin/env bash
# The main job on a fresh machine: install into .venv, run a scenario batch, write its report.
# Usage: bash scripts/main-job.sh [SCENARIO] [REPLICATIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/find-python.sh
scenario="${1:-amazon-openai}"
replications="${2:-40}"
if [ ! -x .venv/bin/aimarket ]; then
  echo "main job: creating .venv with $(find_python)"
  "$(find_python)" -m venv .venv
  echo "main job: upgrading pip"
  .venv/bin/python -m pip install --quiet --upgrade pip
  echo "main job: installing aimarket and its dependencies (.[dev]: numpy, pandas, mesa, ...; about 1 min)"
  .venv/bin/python -m pip install --quiet -e '.[dev]'
  echo "main job: installed"
fi
out="runs/${scenario}-$(date +%Y%m%d-%H%M%S)"
.venv/bin/aimarket batch "$scenario" --replications "$replications" --jobs 2 --out "$out"
.venv/bin/aimarket analyze "$out"
echo "main job done: results in $out/, report at $out/report.html"
