#!/usr/bin/env bash
# The main job on a fresh machine: install into .venv, run a scenario batch, write its report.
# Usage: bash scripts/main-job.sh [SCENARIO] [REPLICATIONS] [ROOT_SEED]
# The root seed (default 2026) fixes every run: README's numbers and figures come from this batch
# (regenerate them with `.venv/bin/python docs/gen_readme.py`).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/find-python.sh
scenario="${1:-amazon-openai}"
replications="${2:-25}"
seed="${3:-2026}"
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
echo "main job: $scenario, $replications replications per setting, root seed $seed"
.venv/bin/aimarket batch "$scenario" --replications "$replications" --seed "$seed" --jobs 2 --out "$out"
.venv/bin/aimarket analyze "$out"
echo "main job done: results in $out/, report at $out/report.html"
