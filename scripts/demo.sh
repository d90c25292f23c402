#!/usr/bin/env bash
# README command one: set up and run the main job, the full report of seed study 000
# (CCRT vs non-CCRT with propensity-score matching) on its bundled synthetic cohort.
#   scripts/demo.sh                       # -> hccstudy-demo/seed_000/report.html, .docx, ...
#   scripts/demo.sh all -o reports/       # all five seed studies
#   scripts/demo.sh 004                   # another study
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ "$#" -eq 0 ]; then set -- 000; fi
exec .venv/bin/hccstudy demo "$@"
