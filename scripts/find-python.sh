# Prints the path of a Python >= 3.12: python3.13/python3.12 on PATH, else a pyenv install.
# Sourced by main-job.sh and .ci/run.
find_python() {
  local candidate version
  for candidate in python3.13 python3.12 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3; do
    if [ -x "$candidate" ]; then
      echo "$candidate"
      return 0
    fi
  done
  echo "no Python >= 3.12 found: install one (python.org, your package manager or pyenv)" >&2
  return 1
}
