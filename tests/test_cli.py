"""The command line: `hccstudy demo` prints the analysis; errors are one clear line."""

from __future__ import annotations

import subprocess
import sys


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hccstudy", *args],
                          capture_output=True, text=True, timeout=120)


def test_demo_prints_km_logrank_and_cox() -> None:
    res = _run("demo")
    assert res.returncode == 0, res.stderr
    out = res.stdout
    for needle in ("Kaplan-Meier", "Median", "Log-rank", "Cox", "Hazard ratio", "CCRT"):
        assert needle in out, needle
    assert "SYN-" not in out  # no identifiers in reports


def test_help_lists_commands() -> None:
    res = _run("--help")
    assert res.returncode == 0
    assert "demo" in res.stdout
