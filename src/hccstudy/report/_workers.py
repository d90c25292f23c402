"""Figure-drawing processes started before the study runs (Linux, fork).

A command-line report spends about 1 s of its figure time before the first figure is
drawn: importing matplotlib and its backends and warming their font caches. On a
machine with two or more cores that second can overlap reading and running the study:
:meth:`FigureWorkers.start`, called first thing in ``hccstudy run``, forks a process
that imports and warms matplotlib while the command goes on. :func:`hccstudy.report.
assemble.write_report` then hands it the study result (a pickle of aggregates, a few
hundred kB) before it builds the tables, and takes the drawn figures back. The figure
process shares the figures with ``jobs - 1`` forked copies of itself, like
``write_report(jobs=...)`` does without it.

Nothing depends on it: where fork is missing, ``jobs`` is 1, the process dies or a
message cannot be exchanged, ``write_report`` draws the figures itself. The files are
the same bytes either way (``tests/report/test_workers.py``). The environment variable
``HCCSTUDY_FIGURE_WORKERS=off`` turns it off.

The two processes speak over a pair of pipes, one pickled message per job and reply;
the figure process answers until the command closes its end, and never prints.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

__all__ = ["FigureWorkers"]

_Reply = tuple[list[tuple[str, str, str]], list[Any], list[tuple[type[Warning], str]]]


class FigureWorkers:
    """A forked figure process waiting for study results to draw.

    Use :meth:`start`; pass the object to :func:`~hccstudy.report.assemble.write_report`
    (``workers=``) and :meth:`close` it when done (or use it as a context manager).
    """

    def __init__(self, pid: int, tx: BinaryIO, rx: BinaryIO, jobs: int) -> None:
        self.pid = pid
        self.jobs = jobs
        self._tx: BinaryIO | None = tx
        self._rx: BinaryIO | None = rx
        self._pending = False
        self._sending: threading.Thread | None = None
        self._send_failed = False

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def start(cls, jobs: int) -> FigureWorkers | None:
        """Fork the figure process (it and ``jobs - 1`` copies of it will draw).

        Returns None, and forks nothing, when ``jobs < 2``, on platforms without fork,
        when ``HCCSTUDY_FIGURE_WORKERS=off``, or when the fork fails.
        """
        import multiprocessing as mp

        if (jobs < 2 or not sys.platform.startswith("linux")
                or "fork" not in mp.get_all_start_methods()
                or os.environ.get("HCCSTUDY_FIGURE_WORKERS", "").lower() == "off"):
            return None
        for stream in (sys.stdout, sys.stderr):  # nothing buffered is written twice
            try:
                stream.flush()
            except (AttributeError, OSError, ValueError):
                pass
        r_job, w_job = os.pipe()
        r_reply, w_reply = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            for fd in (r_job, w_job, r_reply, w_reply):
                os.close(fd)
            return None
        if pid == 0:  # the figure process: never returns into the caller's code
            code = 1
            try:
                signal.signal(signal.SIGTERM, _stop)
                os.close(w_job)
                os.close(r_reply)
                _serve(os.fdopen(r_job, "rb"), os.fdopen(w_reply, "wb"), jobs)
                code = 0
            except BaseException:  # the command draws what is missing
                pass
            finally:
                os._exit(code)
        os.close(r_job)
        os.close(w_reply)
        return cls(pid, os.fdopen(w_job, "wb"), os.fdopen(r_reply, "rb"), jobs)

    def close(self) -> None:
        """End the figure process: at once when it has no job (a command that stops
        early, on a spec error say, is not held up by its warm-up), else after the job
        in progress (its forked copies finish their figures first)."""
        busy = self._pending
        if self._sending is not None and self._sending is not threading.current_thread():
            self._sending.join()
            self._sending = None
        for f in (self._tx, self._rx):
            if f is not None:
                try:
                    f.close()
                except OSError:
                    pass
        self._tx = self._rx = None
        self._pending = False
        if self.pid and not busy:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        if self.pid:
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
            self.pid = 0

    def __enter__(self) -> FigureWorkers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ jobs
    def submit(self, result: Any, labels: Mapping[str, str] | None, fig_dir: Path,
               formats: Sequence[str], dpi: int) -> bool:
        """Send one study result to draw; False when it could not be sent (then the
        caller draws the figures itself)."""
        if self._tx is None or self._pending:
            return False
        try:
            job = pickle.dumps((result, None if labels is None else dict(labels),
                                Path(fig_dir), tuple(formats), int(dpi)),
                               protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # an unpicklable result: the caller draws the figures
            self.close()
            return False
        # written by a thread: the pipe holds 64 kB, and this process goes on with the
        # tables while the figure process reads the rest
        self._sending = threading.Thread(target=self._send, args=(job,), daemon=True)
        self._sending.start()
        self._pending = True
        return True

    def _send(self, job: bytes) -> None:
        try:
            assert self._tx is not None
            self._tx.write(job)
            self._tx.flush()
        except Exception:  # a dead figure process: collect() finds no reply
            self._send_failed = True

    def collect(self) -> _Reply | None:
        """Wait for the figures of the job sent last: ``(specs, drawn, warnings)`` with
        ``(key, caption, anchor)`` per figure and its ``_Drawn``; None when the figure
        process failed (then the caller draws the figures itself)."""
        if self._rx is None or not self._pending:
            return None
        self._pending = False
        if self._sending is not None:
            self._sending.join()
            self._sending = None
        if self._send_failed:
            self.close()
            return None
        try:
            status, payload = pickle.load(self._rx)
        except Exception:  # the process died: draw here
            self.close()
            return None
        if status != "ok":
            return None
        specs, drawn, caught = payload
        return specs, drawn, caught


def _stop(signum: int, frame: object) -> None:
    """SIGTERM in the figure process: unwind (temporary files are removed), then exit."""
    raise SystemExit(0)


#: Modules of the classes a study result holds (unpickling it imports them).
_RESULT_MODULES = ("hccstudy.design.run", "hccstudy.report.assemble",
                   "hccstudy.adjust.matching", "hccstudy.adjust.weighting",
                   "hccstudy.analyse.km", "hccstudy.analyse.logrank", "hccstudy.analyse.cox",
                   "hccstudy.analyse.table1", "hccstudy.analyse.competing",
                   "hccstudy.analyse.subgroups", "hccstudy.analyse.models",
                   "hccstudy.analyse.response", "hccstudy.analyse.toxicity",
                   "hccstudy.analyse.survival_extras")


def _warm() -> None:
    """Import what a job needs (the modules of a study result's classes, which unpickling
    it would import then; matplotlib and the figure backends) and draw one small figure
    in every format, so that font loading, glyph caches and the PDF font subsets are
    ready before the result arrives."""
    import importlib
    import tempfile

    for name in _RESULT_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:  # an optional part that is not installed
            pass
    from hccstudy.report.figures._common import new_figure, save_figure

    fig = new_figure(2, 1.5)
    ax = fig.add_subplot()
    ax.plot([0, 1], [1, 0])
    ax.set_xlabel("Months since treatment (n = 0123456789)")
    ax.set_title("Overall survival \u2265 HR (95% CI)")
    with tempfile.TemporaryDirectory() as d:
        save_figure(fig, Path(d) / "warm", formats=("png", "svg", "pdf"), dpi=72)


def _serve(rx: BinaryIO, tx: BinaryIO, jobs: int) -> None:
    """The figure process: warm up, then answer one job per message until EOF."""
    import warnings

    warnings.simplefilter("ignore")  # this process prints nothing
    try:
        _warm()
    except Exception:  # without matplotlib the jobs find no figures
        pass
    while True:
        try:
            job = pickle.load(rx)
        except EOFError:
            return
        try:
            reply: tuple[str, Any] = ("ok", _draw_job(*job, jobs=jobs))
        except Exception as e:  # the command draws them itself
            reply = ("error", f"{type(e).__name__}: {e}")
        pickle.dump(reply, tx, protocol=pickle.HIGHEST_PROTOCOL)
        tx.flush()


def _draw_job(result: Any, labels: dict[str, str] | None, fig_dir: Path, formats: tuple[str, ...],
              dpi: int, *, jobs: int) -> _Reply:
    import warnings

    from hccstudy.report.assemble import _draw_all, study_figures

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        specs = study_figures(result, labels)
    if specs:
        fig_dir.mkdir(parents=True, exist_ok=True)
    drawn = _draw_all(specs, fig_dir, formats, dpi, jobs)
    return ([(k, c, a) for k, c, a, _m in specs], drawn,
            [(w.category, str(w.message)) for w in caught])
