#!/usr/bin/env bash
# README command two: set up and run the checks and the test suite.
#   scripts/test.sh                # lint, types, tests (the slow statistical tests excluded)
#   scripts/test.sh -m slow        # extra pytest arguments are passed on
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test ${HCCSTUDY_EXTRAS:-}
echo "== ruff"
.venv/bin/ruff check src tests benchmarks
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
if [ "$#" -eq 0 ]; then set -- -m "not slow"; fi
exec .venv/bin/python -m pytest -n "${PYTEST_WORKERS:-2}" "$@"
