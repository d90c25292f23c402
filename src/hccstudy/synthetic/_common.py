"""Shared building blocks of the synthetic seed cohorts (``hccstudy.synthetic``).

Everything here is deterministic given a :class:`numpy.random.Generator` and vectorised
(a generator must run well under a second). The functions are stable: the per-study
generators (``seed000`` ... ``seed004``) import them.

* :class:`SyntheticCohort` -- canonical tables + planted truth, ``write()`` to CSV / XLSX
  that :func:`hccstudy.io.read` reads back (study-specific columns through a
  ``mapping.yaml`` written beside them, see :func:`read_cohort`).
* Exact-count categorical draws with correlation: :func:`exact_levels`,
  :func:`assign_by_score`, :func:`select_exact` (covariate-dependent selection of exactly
  ``k`` rows, e.g. treatment or matching-relevant traits).
* Dates: :func:`random_dates`, :func:`add_months`, :func:`months_between`.
* Event times from a planted proportional-hazards model: :func:`piecewise_ph_times`
  (piecewise-constant baseline hazard) and :func:`weibull_ph_times`; censoring with
  :func:`censor`.
* Raw records: :func:`response_lesions` (mRECIST lesion measurements giving a chosen
  best response), :func:`adverse_event_rows` (exact any-grade and grade >= 3 counts),
  :func:`canonical` (column order / dtypes of a data-model table), :func:`to_wide` (the
  one-row-per-patient frame the study runner builds from canonical tables).

Examples
--------
>>> rng = np.random.default_rng(1)
>>> x = exact_levels(rng, {"A": 2, "B": 3})
>>> sorted(x.tolist())
['A', 'A', 'B', 'B', 'B']
>>> t = piecewise_ph_times(rng, np.zeros(4), [0.0, 12.0], [0.05, 0.02])
>>> t.shape
(4,)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from hccstudy.errors import InputError
from hccstudy.validate.schema import TABLES

__all__ = [
    "DAYS_PER_MONTH",
    "SyntheticCohort",
    "add_months",
    "adverse_event_rows",
    "ae_slug",
    "assign_by_score",
    "canonical",
    "censor",
    "exact_levels",
    "months_between",
    "patient_ids",
    "piecewise_ph_times",
    "random_dates",
    "read_cohort",
    "response_lesions",
    "select_exact",
    "to_wide",
    "weibull_ph_times",
]

DAYS_PER_MONTH = 30.4375
"""Days per month (365.25 / 12), as in :mod:`hccstudy.design.spec`."""

_TABLE_ORDER = ("patients", "baseline", "treatments", "lesions", "labs", "events",
                "adverse_events")


# --------------------------------------------------------------------------- cohort


@dataclass(frozen=True)
class SyntheticCohort:
    """A synthetic study cohort in the canonical raw-record form.

    Attributes
    ----------
    study : str
        Study label, e.g. ``"seed-000"``.
    tables : dict of str to DataFrame
        Canonical tables (``patients``, ``baseline``, ``treatments``, ``lesions``, ``labs``,
        ``events``, ``adverse_events``); columns of the data model first, then the
        study-specific columns listed in ``extra_columns``.
    truth : dict of str to float
        Planted effects (``*_hr``, log-scale ``*_loghr``) and the published values they come
        from (``published_*``), plus exact constructed counts (``n_*``).
    extra_columns : dict of str to dict of str to str
        Table -> {study-specific column: kind} (``text``, ``category``, ``integer``,
        ``number``, ``date``, ``bool``); written to ``mapping.yaml`` as ``extra.<name>``.
    notes : tuple of str
        Calibration choices in one line each (rendered in ``docs/synthetic.md``).

    Examples
    --------
    >>> p = pd.DataFrame({"patient_id": ["P1"], "sex": ["male"]})
    >>> c = SyntheticCohort("demo", {"patients": p}, {"hr": 1.5})
    >>> c
    SyntheticCohort(study='demo', patients=1, tables=['patients'], truth=1 values)
    """

    study: str
    tables: dict[str, pd.DataFrame]
    truth: dict[str, float]
    extra_columns: dict[str, dict[str, str]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        n = len(self.tables["patients"]) if "patients" in self.tables else 0
        return (f"SyntheticCohort(study={self.study!r}, patients={n}, "
                f"tables={list(self.tables)}, truth={len(self.truth)} values)")

    def summary(self) -> str:
        """Rows per table and the planted truth, one line each (no patient rows)."""
        lines = [f"synthetic cohort {self.study}"]
        lines += [f"  {k}: {len(v)} rows" for k, v in self.tables.items()]
        lines += [f"  truth {k} = {v:.4g}" for k, v in self.truth.items()]
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """The planted truth as a tidy frame (columns ``name``, ``value``)."""
        return pd.DataFrame({"name": list(self.truth), "value": list(self.truth.values())})

    def mapping(self) -> dict[str, Any]:
        """Mapping for :func:`hccstudy.io.read`: each table's sheet with its extra columns."""
        tables: dict[str, Any] = {}
        for t in self.tables:
            extras = self.extra_columns.get(t, {})
            entry: dict[str, Any] = {"table": t}
            if extras:
                entry["columns"] = {c: {"to": f"extra.{c}", "kind": k}
                                    for c, k in extras.items()}
            tables[t] = entry
        return {"version": 1, "layout": "long", "tables": tables}

    def write(self, folder: str | Path, format: Literal["xlsx", "csv"] = "xlsx") -> Path:
        """Write the tables (one XLSX workbook with a sheet per table, or one CSV per table).

        A ``mapping.yaml`` naming the sheets and the study-specific columns is written beside
        them; :func:`read_cohort` (or ``hccstudy.io.read(path, mapping=...)``) reads them back.

        Parameters
        ----------
        folder : str or pathlib.Path
            Created if absent.
        format : {"xlsx", "csv"}

        Returns
        -------
        pathlib.Path
            The workbook (xlsx) or the folder (csv).
        """
        import yaml

        if format not in ("xlsx", "csv"):
            raise InputError(f"format must be 'xlsx' or 'csv', not {format!r}",
                             rule="known format")
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        (out / "mapping.yaml").write_text(yaml.safe_dump(self.mapping(), sort_keys=False))
        frames = {t: _for_file(f) for t, f in self.tables.items()}
        if format == "csv":
            for t, f in frames.items():
                f.to_csv(out / f"{t}.csv", index=False)
            return out
        path = out / f"{self.study.replace(' ', '_')}.xlsx"
        with pd.ExcelWriter(path, engine="openpyxl") as xl:
            for t, f in frames.items():
                f.to_excel(xl, sheet_name=t, index=False)
        return path


def _for_file(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for c in out.columns:
        s = out[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[c] = s.dt.strftime("%Y-%m-%d").where(s.notna(), None)
        elif pd.api.types.is_bool_dtype(s) or str(s.dtype) == "boolean":
            out[c] = s.map(lambda v: None if v is pd.NA or v is None else ("yes" if v else "no"))
    return out


def read_cohort(path: str | Path) -> Any:
    """Read a cohort written by :meth:`SyntheticCohort.write` (an ``hccstudy.io.Dataset``).

    Parameters
    ----------
    path : str or pathlib.Path
        The workbook or the CSV folder returned by ``write``.
    """
    from hccstudy.io import read

    p = Path(path)
    folder = p if p.is_dir() else p.parent
    mapping = folder / "mapping.yaml"
    return read(p, mapping=mapping if mapping.exists() else None)


# --------------------------------------------------------------------------- draws


def patient_ids(prefix: str, n: int, start: int = 1) -> np.ndarray:
    """Synthetic identifiers ``<prefix>-0001`` ...

    Examples
    --------
    >>> patient_ids("S0", 2).tolist()
    ['S0-0001', 'S0-0002']
    """
    return np.array([f"{prefix}-{i:04d}" for i in range(start, start + n)], dtype=object)


def exact_levels(rng: np.random.Generator, counts: Mapping[Any, int]) -> np.ndarray:
    """A random permutation holding each level exactly ``counts[level]`` times.

    Examples
    --------
    >>> exact_levels(np.random.default_rng(0), {"x": 1}).tolist()
    ['x']
    """
    values = np.concatenate([np.repeat(np.array([k], dtype=object), int(v))
                             for k, v in counts.items()]) if counts else np.array([], object)
    return values[rng.permutation(len(values))]


def assign_by_score(rng: np.random.Generator, score: np.ndarray, counts: Mapping[Any, int],
                    noise: float = 1.0) -> np.ndarray:
    """Exact level counts, assigned in order of a noisy latent score (rank correlation).

    The rows are sorted by ``score + noise * N(0, 1)``; the first level in ``counts`` goes
    to the lowest latent values, the next level to the next ones, and so on. ``noise = 0``
    is a deterministic monotone assignment; a large ``noise`` is close to independence.

    Examples
    --------
    >>> assign_by_score(np.random.default_rng(0), np.array([3.0, 1.0, 2.0]),
    ...                 {"lo": 1, "hi": 2}, noise=0.0).tolist()
    ['hi', 'lo', 'hi']
    """
    score = np.asarray(score, dtype=float)
    total = sum(int(v) for v in counts.values())
    if total != len(score):
        raise InputError(f"level counts sum to {total} but there are {len(score)} rows",
                         n_rows=len(score), rule="counts sum to the number of rows")
    latent = score + noise * rng.standard_normal(len(score))
    order = np.argsort(latent, kind="stable")
    out = np.empty(len(score), dtype=object)
    pos = 0
    for level, k in counts.items():
        out[order[pos:pos + int(k)]] = level
        pos += int(k)
    return out


def select_exact(rng: np.random.Generator, logit: np.ndarray, k: int) -> np.ndarray:
    """Select exactly ``k`` rows, each draw with probability proportional to ``exp(logit)``.

    Successive sampling without replacement (Gumbel top-k): a covariate-dependent selection
    with an exact count, used for treatment selection and for traits with a fixed count.

    Examples
    --------
    >>> m = select_exact(np.random.default_rng(0), np.array([0.0, 50.0, -50.0]), 1)
    >>> m.tolist()
    [False, True, False]
    """
    logit = np.asarray(logit, dtype=float)
    if not 0 <= k <= len(logit):
        raise InputError(f"cannot select {k} of {len(logit)} rows", n_rows=len(logit),
                         rule="0 <= k <= rows")
    g = logit + rng.gumbel(size=len(logit))
    out = np.zeros(len(logit), dtype=bool)
    out[np.argsort(-g, kind="stable")[:k]] = True
    return out


# --------------------------------------------------------------------------- dates


def random_dates(rng: np.random.Generator, start: str, end: str, n: int) -> np.ndarray:
    """``n`` dates uniform between ``start`` and ``end`` (inclusive), ``datetime64[D]``.

    Examples
    --------
    >>> d = random_dates(np.random.default_rng(0), "2020-01-01", "2020-01-01", 2)
    >>> str(d[0])
    '2020-01-01'
    """
    a, b = np.datetime64(start, "D"), np.datetime64(end, "D")
    span = int((b - a).astype(int))
    return a + rng.integers(0, span + 1, size=n).astype("timedelta64[D]")


def add_months(dates: np.ndarray, months: np.ndarray | float) -> np.ndarray:
    """Dates plus a number of months (30.4375 days each), rounded to whole days.

    Examples
    --------
    >>> str(add_months(np.array(["2020-01-01"], dtype="datetime64[D]"), 12.0)[0])
    '2020-12-31'
    """
    d = np.asarray(dates, dtype="datetime64[D]")
    days = np.rint(np.asarray(months, dtype=float) * DAYS_PER_MONTH).astype(np.int64)
    return d + days.astype("timedelta64[D]")


def months_between(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """(end - start) in months of 30.4375 days.

    Examples
    --------
    >>> float(months_between(np.array(["2020-01-01"], "datetime64[D]"),
    ...                      np.array(["2020-01-31"], "datetime64[D]"))[0]) > 0.98
    True
    """
    a = np.asarray(start, dtype="datetime64[D]")
    b = np.asarray(end, dtype="datetime64[D]")
    return (b - a).astype(float) / DAYS_PER_MONTH


# --------------------------------------------------------------------------- event times


def piecewise_ph_times(rng: np.random.Generator, lp: np.ndarray, breaks: Sequence[float],
                       hazards: Sequence[float],
                       entry: np.ndarray | float | None = None) -> np.ndarray:
    """Event times from a Cox model with a piecewise-constant baseline hazard.

    The hazard of row ``i`` at time ``t`` is ``hazards[j] * exp(lp[i])`` for
    ``breaks[j] <= t < breaks[j + 1]`` (the last piece is open-ended). Times are drawn by
    inverting the cumulative hazard at ``-log(U)``.

    Parameters
    ----------
    rng : numpy.random.Generator
    lp : array
        Linear predictor (log hazard ratio relative to the baseline).
    breaks : sequence of float
        Start of each piece, increasing, ``breaks[0] == 0``.
    hazards : sequence of float
        Baseline hazard per piece (per time unit, e.g. per month).
    entry : array or float, optional
        Condition on survival to this time (left truncation, e.g. a treatment that can
        only start once the patient has survived to it): the time is drawn from the
        same model given ``T > entry``, so the hazards after ``entry`` are unchanged.

    Examples
    --------
    >>> t = piecewise_ph_times(np.random.default_rng(0), np.zeros(20000), [0.0], [0.1])
    >>> round(float(np.median(t)), 1)  # log(2) / 0.1
    6.9
    >>> bool((piecewise_ph_times(np.random.default_rng(0), np.zeros(5), [0.0], [0.1],
    ...                          entry=2.0) > 2.0).all())
    True
    """
    br = np.asarray(breaks, dtype=float)
    hz = np.asarray(hazards, dtype=float)
    if br[0] != 0 or len(br) != len(hz) or np.any(np.diff(br) <= 0) or np.any(hz <= 0):
        raise InputError("breaks must start at 0 and increase; one positive hazard per piece",
                         rule="piecewise hazard")
    lp = np.asarray(lp, dtype=float)
    target = -np.log(rng.random(len(lp))) * np.exp(-lp)  # baseline cumulative hazard to reach
    widths = np.diff(br)
    cum = np.concatenate([[0.0], np.cumsum(hz[:-1] * widths)])  # H0 at each break
    if entry is not None:
        e = np.broadcast_to(np.asarray(entry, dtype=float), lp.shape)
        k = np.searchsorted(br, e, side="right") - 1
        target = target + cum[k] + (e - br[k]) * hz[k]  # H0(entry) + new increment
    j = np.searchsorted(cum, target, side="right") - 1
    return br[j] + (target - cum[j]) / hz[j]


def weibull_ph_times(rng: np.random.Generator, lp: np.ndarray, shape: float,
                     scale: float) -> np.ndarray:
    """Event times with ``S(t) = exp(-(t / scale) ** shape * exp(lp))``.

    Examples
    --------
    >>> t = weibull_ph_times(np.random.default_rng(0), np.zeros(20000), 1.0, 10.0)
    >>> round(float(np.median(t)), 0)
    7.0
    """
    lp = np.asarray(lp, dtype=float)
    return scale * (-np.log(rng.random(len(lp))) * np.exp(-lp)) ** (1.0 / shape)


def censor(event_time: np.ndarray, censor_time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Observed time ``min(T, C)`` and event indicator ``T <= C``.

    Examples
    --------
    >>> t, e = censor(np.array([1.0, 5.0]), np.array([3.0, 3.0]))
    >>> t.tolist(), e.tolist()
    ([1.0, 3.0], [True, False])
    """
    t = np.asarray(event_time, dtype=float)
    c = np.asarray(censor_time, dtype=float)
    return np.minimum(t, c), t <= c


# --------------------------------------------------------------------------- raw records


_RATIO = {"CR": (0.0, 0.0), "PR": (0.15, 0.65), "SD": (0.78, 1.12), "PD": (1.3, 1.9)}


def _add_target_row(rows: dict[str, list[Any]], pid: Any, lesion_id: str, date: Any,
                    timepoint: str, viable_mm: float, longest_mm: float) -> None:
    """Append one target-lesion measurement to the column lists of ``rows``.

    Parameters
    ----------
    rows : dict of list
        Column name to values (the canonical ``lesions`` columns).
    pid, lesion_id, date, timepoint
        The patient, the lesion, the assessment date and its time-point label.
    viable_mm, longest_mm : float
        Viable and longest diameters.
    """
    rows["patient_id"].append(pid)
    rows["lesion_id"].append(lesion_id)
    rows["assessment_date"].append(date)
    rows["timepoint"].append(timepoint)
    rows["target"].append(True)
    rows["viable_diameter_mm"].append(viable_mm)
    rows["longest_diameter_mm"].append(longest_mm)
    rows["new_lesion"].append(False)


def response_lesions(rng: np.random.Generator, pids: np.ndarray, baseline_dates: np.ndarray,
                     assess_dates: np.ndarray, categories: np.ndarray,
                     baseline_size_mm: np.ndarray, *, max_targets: int = 2) -> pd.DataFrame:
    """mRECIST lesion measurements (canonical ``lesions`` rows) giving a chosen response.

    Each patient gets 1..``max_targets`` target lesions measured at baseline and at one
    follow-up assessment; the follow-up viable-diameter sum is the baseline sum times a ratio
    drawn inside the category's band (CR 0; PR 0.15-0.65; SD 0.78-1.12; PD 1.3-1.9), well
    away from the mRECIST thresholds (0.70, 1.20) so the engine's category is the chosen one.
    A category ``"NE"`` (or a missing assessment date) leaves only the baseline rows.

    Parameters
    ----------
    rng : numpy.random.Generator
    pids, baseline_dates, assess_dates, categories, baseline_size_mm : arrays
        One entry per patient; ``baseline_size_mm`` is the largest viable diameter.
    max_targets : int
        Maximum number of target lesions per patient.

    Returns
    -------
    DataFrame
        Canonical ``lesions`` columns.

    Examples
    --------
    >>> les = response_lesions(np.random.default_rng(0), np.array(["P1"]),
    ...                        np.array(["2020-01-01"], "datetime64[D]"),
    ...                        np.array(["2020-04-01"], "datetime64[D]"),
    ...                        np.array(["PR"]), np.array([50.0]))
    >>> sorted(set(les["timepoint"]))
    ['3m', 'baseline']
    """
    n = len(pids)
    n_t = rng.integers(1, max_targets + 1, size=n)
    rows: dict[str, list[Any]] = {c: [] for c in ("patient_id", "lesion_id", "assessment_date",
                                                  "timepoint", "target", "viable_diameter_mm",
                                                  "longest_diameter_mm", "new_lesion")}
    lo = np.array([_RATIO.get(str(c), (1.0, 1.0))[0] for c in categories])
    hi = np.array([_RATIO.get(str(c), (1.0, 1.0))[1] for c in categories])
    ratio = lo + (hi - lo) * rng.random(n)
    for i in range(n):
        sizes = [float(baseline_size_mm[i])]
        for _ in range(int(n_t[i]) - 1):
            sizes.append(round(float(baseline_size_mm[i]) * (0.3 + 0.5 * rng.random()), 0))
        sizes = [max(s, 10.0) for s in sizes]
        for k, s in enumerate(sizes):
            lid = f"T{k + 1}"
            _add_target_row(rows, pids[i], lid, baseline_dates[i], "baseline", s, s)
            if str(categories[i]) == "NE" or pd.isna(assess_dates[i]):
                continue
            f = round(s * ratio[i], 0) if categories[i] != "CR" else 0.0
            _add_target_row(rows, pids[i], lid, assess_dates[i], "3m", f,
                            max(f, round(s * 0.8, 0)))
    out = pd.DataFrame(rows)
    # rounding can move a ratio across a threshold only for tiny lesions; make sums exact
    return canonical("lesions", out)


def adverse_event_rows(rng: np.random.Generator, pids: np.ndarray, term: str, n_any: int,
                       n_severe: int, onset_dates: np.ndarray,
                       weight: np.ndarray | None = None,
                       ctcae_version: str = "4.03") -> pd.DataFrame:
    """One AE row for exactly ``n_any`` of the patients, ``n_severe`` of them grade 3-4.

    Parameters
    ----------
    rng : numpy.random.Generator
    pids : array
        Candidate patients (one arm).
    term : str
        CTCAE term.
    n_any, n_severe : int
        Patients with the event (any grade) and with grade 3 or 4 (``n_severe <= n_any``).
    onset_dates : array
        One date per candidate patient (the onset is drawn 0-60 days after it).
    weight : array, optional
        Logit weight of each patient (e.g. frailty), default uniform.
    ctcae_version : str

    Examples
    --------
    >>> ae = adverse_event_rows(np.random.default_rng(0), np.array(["a", "b", "c"]), "Rash",
    ...                         2, 1, np.array(["2020-01-01"] * 3, "datetime64[D]"))
    >>> len(ae), int((ae["grade"] >= 3).sum())
    (2, 1)
    """
    if not 0 <= n_severe <= n_any <= len(pids):
        raise InputError(f"AE counts for {term!r} impossible: {n_severe} severe of {n_any} of "
                         f"{len(pids)}", rule="0 <= severe <= any <= n")
    w = np.zeros(len(pids)) if weight is None else np.asarray(weight, dtype=float)
    has = select_exact(rng, w, n_any)
    idx = np.flatnonzero(has)
    severe = np.zeros(len(idx), dtype=bool)
    severe[select_exact(rng, w[idx], n_severe)] = True
    grade = np.where(severe, rng.choice([3, 4], size=len(idx), p=[0.85, 0.15]),
                     rng.choice([1, 2], size=len(idx), p=[0.6, 0.4]))
    onset = np.asarray(onset_dates, dtype="datetime64[D]")[idx] + rng.integers(
        0, 61, size=len(idx)).astype("timedelta64[D]")
    return canonical("adverse_events", pd.DataFrame({
        "patient_id": pids[idx], "term": term, "grade": grade, "onset_date": onset,
        "ctcae_version": ctcae_version}))


def canonical(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Order a table's columns as the data model (extras last) and set the dtypes.

    Dates become ``datetime64[ns]``, booleans nullable ``boolean``, integers ``Int64``.

    Examples
    --------
    >>> canonical("patients", pd.DataFrame({"sex": ["male"], "patient_id": ["P1"]})).columns.tolist()
    ['patient_id', 'sex']
    """
    schema = TABLES[table]
    cols = [c for c in schema.names if c in frame.columns]
    cols += [c for c in frame.columns if c not in schema.names]
    out = frame[cols].reset_index(drop=True).copy()
    for c in schema.columns:
        if c.name not in out.columns:
            continue
        if c.kind == "date":
            out[c.name] = pd.to_datetime(out[c.name]).astype("datetime64[ns]")
        elif c.kind == "bool":
            out[c.name] = out[c.name].astype("boolean")
        elif c.kind == "integer":
            out[c.name] = pd.to_numeric(out[c.name]).astype("Int64")
        elif c.kind == "number":
            out[c.name] = pd.to_numeric(out[c.name]).astype(float)
    return out


def ae_slug(term: str) -> str:
    """Column slug of an AE term: lower case, runs of non-alphanumerics -> ``_``.

    Examples
    --------
    >>> ae_slug("ALT elevation"), ae_slug("GI ulcer / bleeding")
    ('alt_elevation', 'gi_ulcer_bleeding')
    """
    return re.sub(r"[^a-z0-9]+", "_", term.lower()).strip("_")


def to_wide(tables: Mapping[str, pd.DataFrame], ae_prefix: str = "ae_") -> pd.DataFrame:
    """One row per patient, as the study runner builds it from canonical tables.

    ``patients`` + ``baseline`` + the first treatment (``treatment_number`` 1) are merged on
    ``patient_id``; the first progression and recurrence give ``progression_date``,
    ``progression_site``, ``progression_rt_field``, ``recurrence_date``, ``recurrence_site``;
    adverse events give per-patient worst grades ``ae_<slug>`` (0 = none). Lesions and labs
    stay long (pass them to :func:`hccstudy.clinical.derive`).

    Examples
    --------
    >>> t = {"patients": pd.DataFrame({"patient_id": ["a", "b"]}),
    ...      "adverse_events": pd.DataFrame({"patient_id": ["a"], "term": ["Rash"], "grade": [2]})}
    >>> to_wide(t)["ae_rash"].tolist()
    [2, 0]
    """
    out = tables["patients"].copy()
    if "baseline" in tables:
        out = out.merge(tables["baseline"], on="patient_id", how="left")
    tx = tables.get("treatments")
    if tx is not None and len(tx):
        first = tx.sort_values(["patient_id", "treatment_number"]).drop_duplicates("patient_id")
        out = out.merge(first, on="patient_id", how="left")
    ev = tables.get("events")
    if ev is not None and len(ev):
        for etype, cols in (("progression", {"event_date": "progression_date",
                                             "site": "progression_site",
                                             "rt_field_position": "progression_rt_field"}),
                            ("recurrence", {"event_date": "recurrence_date",
                                            "site": "recurrence_site"})):
            e = ev.loc[ev["event_type"] == etype].sort_values(["patient_id", "event_date"])
            e = e.drop_duplicates("patient_id")
            keep = {k: v for k, v in cols.items() if k in e.columns}
            if len(e):
                out = out.merge(e[["patient_id", *keep]].rename(columns=keep), on="patient_id",
                                how="left")
    ae = tables.get("adverse_events")
    if ae is not None and len(ae):
        worst = ae.assign(slug=[ae_prefix + ae_slug(t) for t in ae["term"]]).pivot_table(
            index="patient_id", columns="slug", values="grade", aggfunc="max")
        worst = worst.reindex(out["patient_id"]).fillna(0).astype(int)
        for c in worst.columns:
            out[c] = worst[c].to_numpy()
    return out
