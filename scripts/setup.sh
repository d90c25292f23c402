#!/usr/bin/env bash
# Create .venv (Python >= 3.11) and install hccstudy with the extras named as arguments.
#   scripts/setup.sh            # runtime only
#   scripts/setup.sh test bench # plus test and benchmark tools
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "hccstudy needs Python >= 3.11")'
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv || { echo "python3 -m venv failed: on Debian run 'apt-get install python3-venv'" >&2; exit 1; }
fi
.venv/bin/python -m pip install --quiet --upgrade pip
extras=$(IFS=,; echo "$*")
if [ -n "$extras" ]; then spec=".[$extras]"; else spec="."; fi
.venv/bin/python -m pip install --quiet -e "$spec"
