#!/usr/bin/env bash
# README command one: set up and run the main job (analysis of the bundled synthetic cohort).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/hccstudy demo "$@"
