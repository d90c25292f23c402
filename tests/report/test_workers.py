"""The figure process forked before the study runs (``hccstudy.report._workers``).

Whatever happens to it, the report is the same bytes as one drawn in this process.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from hccstudy.report import _workers
from hccstudy.report._workers import FigureWorkers
from hccstudy.report.assemble import write_report

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the figure process needs fork (Linux)")

_OPTS: dict[str, Any] = {"formats": ("html", "docx"), "dpi": 40}


@pytest.fixture(scope="module")
def serial(study: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The report drawn in this process, one figure after the other."""
    return write_report(study, tmp_path_factory.mktemp("serial"), jobs=1, **_OPTS)


def _same_report(a: Any, b: Any) -> None:
    assert [p.name for p in a.figures] == [p.name for p in b.figures]
    assert a.figures, "the study has figures"
    for x, y in zip(a.figures, b.figures, strict=True):
        assert x.read_bytes() == y.read_bytes(), x.name
    assert a.html.read_bytes() == b.html.read_bytes()
    assert a.docx.read_bytes() == b.docx.read_bytes()


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize("jobs", [2, 3])
def test_figures_from_the_figure_process_are_the_same_bytes(
        study: Any, serial: Any, tmp_path: Path, jobs: int) -> None:
    with FigureWorkers.start(jobs) as w:
        assert w is not None and w.pid > 0
        pid = w.pid
        got = write_report(study, tmp_path, jobs=jobs, workers=w, **_OPTS)
    _same_report(serial, got)
    assert _gone(pid)  # reaped on close


def test_one_figure_process_serves_several_reports(study: Any, serial: Any,
                                                   tmp_path: Path) -> None:
    with FigureWorkers.start(2) as w:
        assert w is not None
        first = write_report(study, tmp_path / "a", workers=w, **_OPTS)
        second = write_report(study, tmp_path / "b", workers=w, figure_formats=("svg",),
                              **_OPTS)
    _same_report(serial, first)
    assert sorted(p.name for p in second.figures) == sorted(
        p.name for p in serial.figures if p.suffix == ".svg")
    assert not list((second.out_dir / "figures").glob("*.pdf"))


def test_not_started_for_one_job_or_when_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    assert FigureWorkers.start(1) is None
    monkeypatch.setenv("HCCSTUDY_FIGURE_WORKERS", "off")
    assert FigureWorkers.start(2) is None


def test_closing_without_a_job_ends_the_process() -> None:
    w = FigureWorkers.start(2)
    assert w is not None
    pid = w.pid
    w.close()
    assert _gone(pid)
    w.close()  # twice is harmless
    assert w.collect() is None
    assert not w.submit(None, None, Path("."), ("svg",), 72)


def test_a_dead_figure_process_means_the_figures_are_drawn_here(
        study: Any, serial: Any, tmp_path: Path) -> None:
    w = FigureWorkers.start(2)
    assert w is not None
    os.kill(w.pid, signal.SIGKILL)
    os.waitpid(w.pid, 0)
    got = write_report(study, tmp_path, workers=w, **_OPTS)
    _same_report(serial, got)
    w.close()


def test_a_figure_process_that_dies_mid_job_means_the_figures_are_drawn_here(
        study: Any, serial: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def die(*a: object, **k: object) -> None:
        os._exit(7)

    monkeypatch.setattr(_workers, "_draw_job", die)  # inherited by the forked process
    with FigureWorkers.start(2) as w:
        got = write_report(study, tmp_path, workers=w, **_OPTS)
    _same_report(serial, got)


def test_an_error_in_the_figure_process_means_the_figures_are_drawn_here(
        study: Any, serial: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*a: object, **k: object) -> None:
        raise RuntimeError("no figures here")

    monkeypatch.setattr(_workers, "_draw_job", fail)
    with FigureWorkers.start(2) as w:
        assert w is not None
        got = write_report(study, tmp_path, workers=w, **_OPTS)
        assert w.pid > 0  # still serving after the error
    _same_report(serial, got)


def test_a_figure_failing_in_the_figure_process_warns_once(
        study: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hccstudy.report import figures as F

    def broken(*a: object, **k: object) -> None:
        raise ValueError("cannot draw")

    monkeypatch.setattr(F, "love_figure", broken)  # inherited by the forked process
    with FigureWorkers.start(2) as w, \
            pytest.warns(RuntimeWarning, match="figure 'love' not drawn") as rec:
        p = write_report(study, tmp_path, formats=("html",), figure_formats=("svg",), dpi=40,
                         workers=w)
    assert sum("not drawn" in str(r.message) for r in rec) == 1
    assert "love.svg" not in {q.name for q in p.figures}


def test_an_unpicklable_result_is_drawn_here(study: Any, tmp_path: Path) -> None:
    with FigureWorkers.start(2) as w:
        assert w is not None
        assert not w.submit(lambda: None, None, tmp_path, ("svg",), 72)
        assert w.pid == 0  # closed: the caller draws the figures itself


def test_the_cli_forks_the_figure_process_and_writes_the_same_report(
        serial: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from hccstudy.cli import app

    started: list[int] = []
    start = FigureWorkers.start.__func__  # type: ignore[attr-defined]

    def spy(cls: type[FigureWorkers], jobs: int) -> FigureWorkers | None:
        w = start(cls, jobs)
        started.append(w.pid if w is not None else 0)
        return w

    monkeypatch.setattr(FigureWorkers, "start", classmethod(spy))
    spec = Path(__file__).resolve().parents[2] / "studies" / "example_two_arm.yaml"
    res = CliRunner().invoke(app, ["run", str(spec), "-o", str(tmp_path / "out"), "-j", "2",
                                   "--dpi", "40", "-f", "html,docx"])
    assert res.exit_code == 0, res.output
    assert len(started) == 1 and started[0] > 0 and _gone(started[0])
    names = sorted(p.name for p in (tmp_path / "out" / "figures").iterdir())
    assert names == sorted(p.name for p in serial.figures)
    for p in serial.figures:
        assert (tmp_path / "out" / "figures" / p.name).read_bytes() == p.read_bytes(), p.name


def test_closing_without_a_job_stops_the_warm_up_and_cleans_up() -> None:
    import tempfile
    import time

    before = set(Path(tempfile.gettempdir()).iterdir())
    w = FigureWorkers.start(2)
    assert w is not None
    pid = w.pid
    w.close()  # SIGTERM: the process unwinds at once instead of finishing its warm-up
    assert _gone(pid)
    time.sleep(0.2)
    left = [p for p in set(Path(tempfile.gettempdir()).iterdir()) - before
            if (p / "warm.png").exists() or (p / "warm.svg").exists()]
    assert not left  # the warm-up's temporary folder is removed
