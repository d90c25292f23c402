"""``run(spec, data=None) -> StudyResult``: one entry point from a StudySpec to results.

Stages, each consuming the output of the one before: load -> derived columns ->
eligibility cascade (flow) -> groups -> endpoints -> adjustment (PS, matching
or IPTW, balance) -> analyses (Table 1, KM, log-rank, Cox). :func:`prepare`
runs the stages up to the adjustment and returns the frames, for users who
need the patient-level analysis set; :class:`StudyResult` holds aggregates
and row positions only.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import numpy as np
import pandas as pd

from hccstudy._repr import HtmlReprMixin
from hccstudy.design._expr import ExpressionError, columns_of, evaluate
from hccstudy.design.flow import EligibilityFlow, FlowStep
from hccstudy.design.spec import (
    DAYS_PER_MONTH,
    DAYS_PER_YEAR,
    CoxAnalysis,
    KmAnalysis,
    LogrankAnalysis,
    StudySpec,
    Table1Analysis,
    load_spec,
)
from hccstudy.design.tables import (
    CANONICAL_DERIVE,
    CANONICAL_TABLES,
    is_canonical,
    patient_frame,
    side_tables,
)
from hccstudy.errors import InputError

if TYPE_CHECKING:
    from hccstudy.io.read import Dataset

__all__ = ["Prepared", "StudyResult", "Table1Pair", "prepare", "run"]

ROW = "_row"
"""Column of the analysis frame holding the row position in the input frame."""
TREATED = "_treated"
MATCH_SET = "match_set"
MATCH_WEIGHT = "match_weight"
IPTW_WEIGHT = "iptw_weight"

_TO_DAYS = {"days": 1.0, "months": DAYS_PER_MONTH, "years": DAYS_PER_YEAR}


@dataclass(frozen=True)
class Prepared:
    """The frames of a study up to the adjustment (patient rows: keep private).

    ``frame`` is the input after derived columns; ``analysis`` the eligible rows with
    the group, ``_treated`` (two groups), the endpoint columns ``<name>_time``,
    ``<name>_event``, ``<name>_origin`` and ``_row`` (position in ``frame``);
    ``adjusted`` the matched rows (with ``match_set``, ``match_weight``) or the
    weighted rows (with ``iptw_weight``), None without adjustment.
    """

    frame: pd.DataFrame
    flow: EligibilityFlow
    analysis: pd.DataFrame
    levels: tuple[str, ...]
    adjusted: pd.DataFrame | None = None
    propensity: Any = None
    matching: Any = None
    weighting: Any = None
    derivations: tuple[str, ...] = ()
    rows: InputRows | None = field(default=None, repr=False, compare=False)
    data_notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table1Pair(HtmlReprMixin):
    """Table 1 before and (with an adjustment) after matching / weighting."""

    before: Any
    after: Any | None

    def side_by_side(self) -> pd.DataFrame:
        """The seed 000 layout: before and after columns next to each other."""
        from hccstudy.analyse.table1 import side_by_side

        tabs = {"before": self.before}
        if self.after is not None:
            tabs["after"] = self.after
        return side_by_side(tabs)


@dataclass(frozen=True)
class StudyResult(HtmlReprMixin):
    """Every stage's output: aggregates and row positions, never identifiers."""

    title: str
    flow: EligibilityFlow
    n_input: int
    n_analysis: int
    n_by_group: dict[str, int]
    n_adjusted: dict[str, float] | None
    propensity: Any
    matching: Any
    weighting: Any
    balance: Any
    table1_before: Any
    table1_after: Any
    outcomes: dict[str, Any]
    methods: dict[str, str]
    derivations: tuple[str, ...] = ()
    spec: StudySpec | None = field(default=None, repr=False)

    def flow_frame(self) -> pd.DataFrame:
        """The eligibility flow plus the adjustment steps, counts only.

        Column ``stage`` is "eligibility" for the cascade (per source data set), then,
        per group (``source`` = "group <level>"): "propensity" (rows left out of the PS
        model for missing covariates, complete-case rule) and "matching" (rows not
        matched). Seed 000 reads: 4,522 -> 751 eligible -> 106 matched. Without a propensity
        model, one row per group (stage "group") gives the analysed group sizes.
        """
        f = self.flow.to_frame()
        f.insert(0, "stage", "eligibility")
        rows = []
        ps, m = self.propensity, self.matching
        if ps is not None:
            for lev, n in self.n_by_group.items():
                treated = lev != (self.spec.groups.reference if self.spec else None)
                mask = ps.treat == int(treated)
                dropped = int((~ps.used & mask).sum())
                k = 1
                if dropped:
                    rows.append(["propensity", f"group {lev}", k, "ps_missing",
                                 "missing PS covariates (complete case)", n, dropped,
                                 n - dropped, dropped, "exclude"])
                    k += 1
                if m is not None:
                    n_m = m.n_treated_matched if treated else m.n_control_matched
                    rows.append(["matching", f"group {lev}", k, "matching",
                                 "no match within the caliper" if m.caliper is not None
                                 else "not matched", n - dropped, n - dropped - n_m, n_m, 0,
                                 ""])
        if ps is None and len(self.n_by_group) > 1:  # the analysed groups, for the diagram
            for lev, n in self.n_by_group.items():
                rows.append(["group", f"group {lev}", 1, "group", "", n, 0, n, 0, ""])
        if rows:
            f = pd.concat([f, pd.DataFrame(rows, columns=f.columns)], ignore_index=True)
        return f

    def __repr__(self) -> str:
        return (f"StudyResult(title={self.title!r}, n_input={self.n_input}, "
                f"n_analysis={self.n_analysis}, n_by_group={self.n_by_group}, "
                f"n_adjusted={self.n_adjusted}, outcomes={sorted(self.outcomes)})")


# ----------------------------------------------------------------------------- load


@dataclass(frozen=True)
class InputRows:
    """Where each row of the study frame was read: row numbers, never identifiers.

    ``place[i]`` names the file (``cohort.xlsx[Sheet1]``) or the frame the row came from and
    ``number[i]`` is its row number there: the row the user sees in the file (spreadsheet
    and CSV: header = row 1) when the data were read with :func:`hccstudy.io.read`, else the
    1-based position in the frame passed in (``place`` says which).

    Examples
    --------
    >>> r = InputRows.counted(4, "the data passed to run() (counted from 1)")
    >>> r.describe([1, 3])
    'rows 2, 4 of the data passed to run() (counted from 1)'
    >>> InputRows(np.array(["a.csv"] * 9, dtype=object), np.arange(2, 11)).describe(range(9))
    'rows 2, 3, 4, 5, 6 of a.csv; first 5 of 9 shown'
    """

    place: np.ndarray
    number: np.ndarray

    @classmethod
    def counted(cls, n: int, place: str) -> InputRows:
        """Rows numbered 1..n in ``place`` (a frame passed in, a registry extract)."""
        return cls(np.full(n, place, dtype=object),
                   np.arange(1, n + 1, dtype=np.int64))

    @classmethod
    def concat(cls, parts: Sequence[InputRows]) -> InputRows:
        """The rows of stacked frames, in order."""
        return cls(np.concatenate([p.place for p in parts]),
                   np.concatenate([p.number for p in parts]))

    def describe(self, positions: Iterable[int] | np.ndarray, limit: int = 5) -> str:
        """The first ``limit`` rows at ``positions`` (of the study frame) as text."""
        pos = np.asarray(list(positions) if not isinstance(positions, np.ndarray)
                         else positions, dtype=np.int64)
        shown = pos[:limit]
        groups: dict[str, list[str]] = {}
        for k in shown:
            groups.setdefault(str(self.place[k]), []).append(str(int(self.number[k])))
        text = "; ".join(f"row{'s' if len(v) > 1 else ''} {', '.join(v)} of {where}"
                         for where, v in groups.items())
        if len(pos) > len(shown):
            text += f"; first {len(shown)} of {len(pos)} shown"
        return text


def _rows_at(rows: InputRows | None, frame: pd.DataFrame, mask: Any) -> str:
    """`` (row 22 of cohort.xlsx[Sheet1])``: the input rows of the True rows of ``mask``.

    ``frame`` is the study frame or the analysis frame (whose ``_row`` column holds the
    position in the study frame); empty when the rows are not known.
    """
    hit = np.flatnonzero(np.asarray(mask, dtype=bool))
    if rows is None or not len(hit):
        return ""
    pos = frame[ROW].to_numpy()[hit] if ROW in frame.columns else hit
    return f" ({rows.describe(pos)})"


def _did_you_mean(name: str, columns: Iterable[Any]) -> str:
    """`` (did you mean 'ecog'?)`` among ``columns`` (difflib), or empty.

    Examples
    --------
    >>> _did_you_mean("tumor_size", ["tumour_size_cm", "sex", "_row"])
    " (did you mean 'tumour_size_cm'?)"
    >>> _did_you_mean("zzz", ["sex"])
    ''
    """
    cols = [str(c) for c in columns if not str(c).startswith("_")]
    close = difflib.get_close_matches(name, cols, n=3, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + " or ".join(repr(c) for c in close) + "?)"


def _unknown(spec: StudySpec, key: str, name: str, columns: Iterable[Any],
             what: str = "") -> InputError:
    """``<key> (line n): unknown column 'x'<what> (did you mean 'y'?)``."""
    return spec.error(key, f"unknown column {name!r}{what}{_did_you_mean(name, columns)}",
                      column=name)


def _issue_text(i: Any, rows: bool = True) -> str:
    """One validation issue as text: file or sheet, row, column, value, rule (redacted).

    ``rows=False`` (a registry extract: no file rows) leaves out the file and the row.
    """
    parts = [str(i.file)] if i.file and rows else []
    if i.row is not None and rows:
        parts.append(f"row {i.row}")
    if i.column is not None:
        parts.append(f"column {i.column!r}")
    if i.value is not None:
        parts.append(f"value {i.value!r}")
    return ", ".join(parts) + f": {i.rule}" if parts else str(i.rule)


def _by_rule(issues: Sequence[Any]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for i in issues:
        out.setdefault(i.rule, []).append(i)
    return out


def _check_input(spec: StudySpec, ds: Dataset, key: str, what: str, command: str,
                 notes: list[str], *, rows: bool = True) -> None:
    """Validate ``ds`` (the checks of ``hccstudy validate``) and apply ``data.on_error``.

    Errors stop the run (``on_error: stop``) with the count per rule and the first issues,
    or (``warn``) become one warning per rule and a note in ``notes``; validation warnings
    become Python warnings, one per rule.
    """
    from hccstudy.validate import validate

    report = validate(ds)
    for rule, found in _by_rule(report.warnings).items():
        warnings.warn(f"{what}: {len(found)} validation warning(s) of rule {rule} (first: "
                      f"{_issue_text(found[0], rows)}; {found[0].hint})", UserWarning, stacklevel=2)
    errs = report.errors
    if not errs:
        return
    rules = _by_rule(errs)
    counts = ", ".join(f"{r}: {len(v)}" for r, v in sorted(rules.items()))
    if spec.data.on_error == "stop":
        first = "; ".join(_issue_text(i, rows) for i in errs[:3])
        raise spec.error(key, f"{what} has {len(errs)} validation error(s) ({counts}); "
                         f"first: {first}. {command} for all of them and fix the data, "
                         "or set data.on_error: warn to analyse it anyway (cells that could "
                         "not be read are then missing)", column=errs[0].column,
                         n_rows=len(errs))
    for rule, found in rules.items():
        warnings.warn(f"{what}: {len(found)} validation error(s) of rule {rule} analysed "
                      f"anyway (data.on_error: warn; first: {_issue_text(found[0], rows)}; "
                      f"{found[0].hint})", UserWarning, stacklevel=2)
    notes.append(f"{what.replace(chr(39), '')[:1].upper()}{what.replace(chr(39), '')[1:]} "
                 f"had {len(errs)} validation error(s) ({counts}) and was analysed as read "
                 "(data.on_error: warn); cells that could not be read were treated as missing")


def _validate_command(path: Path, mapping: str | None) -> str:
    cmd = f"hccstudy validate {path.name}"
    return f"Run `{cmd}" + (f" --mapping {Path(mapping).name}`" if mapping else "`")


def _read_file(spec: StudySpec, key: str, path: str, mapping: str | None,
               notes: list[str]) -> tuple[Any, str]:
    """A flat frame (reader 'table') or the Dataset read by hccstudy.io.read, validated;
    with the text naming its rows."""
    p = Path(path)
    if not p.is_absolute() and spec._base is not None:
        p = Path(spec._base) / p
    if spec.data.reader == "table":
        suffix = p.suffix.lower()
        try:
            if suffix == ".parquet":
                frame = pd.read_parquet(p)
            elif suffix in (".xlsx", ".xls"):
                frame = pd.read_excel(p)
            else:
                frame = pd.read_csv(p)
        except OSError as e:
            raise spec.error(key, f"cannot read {p.name!r}: {e.strerror}") from None
        return frame, f"{p.name} (data rows, counted from 1 below the header)"
    from hccstudy.io.read import read

    m: str | None = mapping
    if m is not None and not Path(m).is_absolute() and spec._base is not None:
        m = str(Path(spec._base) / m)
    ds = read(p, m)
    if "patients" not in ds.tables:
        raise spec.error(key, f"{p.name!r} has no patients table")
    _check_input(spec, ds, key, f"the input file {p.name!r}", _validate_command(p, mapping),
                 notes)
    return ds, p.name


def _read_registry(spec: StudySpec, study: str, url: str | None,
                   notes: list[str]) -> pd.DataFrame:
    """The registry's one-row-per-patient analysis frame of ``study``, validated.

    The registry refuses files with errors at import unless ``allow_errors``; the extract
    is validated again here so that ``data.on_error`` applies to it as to a file.
    """
    from hccstudy.registry import analysis_frame, connect
    from hccstudy.registry.export import extract

    engine = connect(url)
    try:
        frame = analysis_frame(engine, study)
        if not frame.empty:
            ds = extract(engine, study, ["patients", "baseline", "treatments"])
            _check_input(spec, ds, "data.registry.study", f"the registry study {study!r}",
                         "Validate the imported files with `hccstudy validate`", notes,
                         rows=False)
    finally:
        engine.dispose()
    if frame.empty:
        raise spec.error("data.registry.study", f"the registry has no patients in study {study!r}")
    return frame


DataInput = Union[pd.DataFrame, Mapping[str, Any], "Dataset", None]


def _dataset_rows(part: Dataset) -> InputRows:
    """Rows of the patients table of a Dataset: its file / sheet and the row the user sees."""
    from hccstudy.io.read import SOURCE

    pats = part.tables["patients"]
    place = (pats[SOURCE].astype(str).to_numpy(dtype=object) if SOURCE in pats.columns
             else np.full(len(pats), "the patients table", dtype=object))
    number = pd.to_numeric(pd.Series(pats.index), errors="coerce")
    if number.isna().any():  # no row numbers: count
        return InputRows.counted(len(pats), "the patients table (counted from 1)")
    return InputRows(place, number.to_numpy(dtype=np.int64))


def _flat(spec: StudySpec, part: Any, key: str = "data", where: str | None = None,
          notes: list[str] | None = None
          ) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], bool, InputRows]:
    """(patient frame, side tables, canonical?, input rows) of one data set.

    ``where`` names a frame passed in (its rows are counted from 1); a Dataset's rows are
    the file rows it holds. A Dataset passed in is validated (``data.on_error``).
    """
    from hccstudy.io.read import Dataset

    rows: InputRows | None = None
    if isinstance(part, Dataset):
        if notes is not None:  # passed in, not read from the spec's files (checked there)
            _check_input(spec, part, key, "the Dataset passed to run()",
                         "Run `hccstudy validate` on its file", notes)
        if "patients" in part.tables:
            rows = _dataset_rows(part)
        part = {name: part.table(name).reset_index(drop=True) for name in part.tables}
    if is_canonical(part):
        pats = part["patients"]
        if rows is None:
            rows = InputRows.counted(len(pats), where or "the patients table passed to run() "
                                     "(counted from 1)")
        if "patient_id" in pats.columns:
            ids = pats["patient_id"].reset_index(drop=True)
            dup = ids.duplicated()
            if dup.any():
                involved = np.flatnonzero(ids.duplicated(keep=False).to_numpy())
                raise spec.error(key, f"patients: {int(dup.sum())} duplicated patient_id "
                                 f"(rows sharing one: {rows.describe(involved)}); rule: one "
                                 "row per patient", column="patient_id", n_rows=int(dup.sum()))
        try:
            return patient_frame(part), side_tables(part), True, rows
        except InputError as e:
            raise spec.error(key, str(e), column=e.column, n_rows=e.n_rows) from None
    if not isinstance(part, pd.DataFrame):
        raise spec.error(key, f"expected a DataFrame, a dict of canonical tables "
                         f"{list(CANONICAL_TABLES)} or of named source frames; got "
                         f"{type(part).__name__}")
    return (part.reset_index(drop=True).copy(), {}, False,
            InputRows.counted(len(part), where or "the data passed to run() (counted from 1)"))


def _load(spec: StudySpec, data: DataInput
          ) -> tuple[pd.DataFrame, str | None, dict[str, pd.DataFrame], bool, InputRows,
                     tuple[str, ...]]:
    """(study frame, source column, side tables, canonical?, input rows, data notes)."""
    ds = spec.data
    src_col = ds.source_column
    notes: list[str] = []
    passed = data is not None
    where: dict[Any, str] = {}
    if data is None:
        if ds.sources:
            data = {}
            for i, s in enumerate(ds.sources):
                data[s.name], where[s.name] = _read_file(spec, f"data.sources[{i}].path",
                                                         s.path, s.mapping, notes)
        elif ds.path is not None:
            data, where[None] = _read_file(spec, "data.path", ds.path, ds.mapping, notes)
        elif ds.registry is not None:
            data = _read_registry(spec, ds.registry.study, ds.registry.url, notes)
            where[None] = (f"the registry extract of study {ds.registry.study!r} (counted "
                           "from 1)")
        else:
            raise spec.error("data", "no data: give data.path / data.sources / data.registry "
                             "or pass a frame "
                             "to run(spec, data)")
    check = notes if passed else None
    if isinstance(data, Mapping) and not is_canonical(data):
        src_col = src_col or "source"
        parts, sides, rows, canon = [], [], [], True
        for name, f in data.items():
            w = where.get(name, f"the source {str(name)!r} passed to run() (counted from 1)")
            flat, side, c, r = _flat(spec, f, "data" if passed else
                                     f"data.sources[{list(data).index(name)}].path", w, check)
            flat[src_col] = str(name)
            parts.append(flat)
            sides.append(side)
            rows.append(r)
            canon = canon and c
        frame = pd.concat(parts, ignore_index=True)
        side = {k: pd.concat([s[k] for s in sides if k in s], ignore_index=True)
                for k in {k for s in sides for k in s}}
        all_rows = InputRows.concat(rows)
    else:
        key = ("data" if passed else "data.path" if ds.path is not None
               else "data.registry.study" if ds.registry is not None else "data")
        frame, side, canon, all_rows = _flat(spec, data, key, where.get(None), check)
    if src_col is not None and src_col not in frame.columns:
        raise _unknown(spec, "data.source_column", src_col, frame.columns)
    return frame, src_col, side, canon, all_rows, tuple(notes)


# ----------------------------------------------------------------------------- stages


def _eval(spec: StudySpec, key: str, expr: str, frame: pd.DataFrame) -> Any:
    try:
        return evaluate(expr, frame)
    except ExpressionError as e:
        hint = (_did_you_mean(e.column, frame.columns)
                if e.column is not None and e.column not in frame.columns else "")
        raise spec.error(key, str(e) + hint, column=e.column) from None


def _derive(spec: StudySpec, frame: pd.DataFrame, side: Mapping[str, pd.DataFrame] | None = None,
            canonical: bool = False) -> tuple[pd.DataFrame, tuple[str, ...]]:
    frame = _derived_columns(spec, frame, after_clinical=False)
    notes: tuple[str, ...] = ()
    if spec.clinical_derive is not None:
        frame, notes = _clinical(spec, frame, side, canonical)
    return _derived_columns(spec, frame, after_clinical=True), notes


def _derived_columns(spec: StudySpec, frame: pd.DataFrame, *, after_clinical: bool
                     ) -> pd.DataFrame:
    for i, d in enumerate(spec.derived):
        if d.after_clinical != after_clinical:
            continue
        if d.name in frame.columns:
            raise spec.error(f"derived[{i}].name", f"column {d.name!r} already exists")
        v = _eval(spec, f"derived[{i}].expression", d.expression, frame)
        vals = v.values if isinstance(v.values, pd.Series) else \
            pd.Series([v.values] * len(frame), index=frame.index)
        if v.unknown.any():
            vals = vals.mask(pd.Series(v.unknown, index=vals.index))
        frame[d.name] = vals
    return frame


def _clinical(spec: StudySpec, frame: pd.DataFrame, side: Mapping[str, pd.DataFrame] | None,
              canonical: bool) -> tuple[pd.DataFrame, tuple[str, ...]]:
    assert spec.clinical_derive is not None
    from hccstudy.clinical.derive import DeriveSpec, derive

    opts: dict[str, Any] = dict(CANONICAL_DERIVE) if canonical else {}
    opts.update(spec.clinical_derive)
    try:
        dspec = DeriveSpec(**opts)
    except TypeError as e:
        raise spec.error("clinical_derive", str(e)) from None
    side = side or {}
    try:
        frame = derive(frame, dspec, lesions=side.get("lesions"), labs=side.get("labs"),
                       failures=side.get("failures"))
    except ValueError as e:
        raise spec.error("clinical_derive", str(e), column=getattr(e, "column", None),
                         n_rows=getattr(e, "n_rows", 0)) from None
    info = frame.attrs.get("clinical_derivations", {})
    notes = tuple(f"{k}: {v}" for k, v in (info.items() if isinstance(info, dict) else ()))
    return _lab_adverse_events(frame), notes


def _lab_adverse_events(frame: pd.DataFrame) -> pd.DataFrame:
    """Lab toxicities graded by CTCAE join the ``ae_<term>`` worst-grade columns.

    Where a reported adverse event has the same term, the worse of the two grades counts.
    """
    from hccstudy.analyse.toxicity import lab_ae_columns

    labs = lab_ae_columns(frame)
    if labs.empty or not len(labs.columns):
        return frame
    frame = frame.copy()
    for c in labs.columns:
        lab = labs[c].to_numpy(dtype=float)
        frame[c] = np.fmax(frame[c].to_numpy(dtype=float), lab) if c in frame else lab
    return frame


def _eligibility(spec: StudySpec, frame: pd.DataFrame, src_col: str | None,
                 in_rows: InputRows | None = None) -> tuple[EligibilityFlow, np.ndarray]:
    n = len(frame)
    src = (frame[src_col].astype(str).to_numpy() if src_col is not None
           else np.full(n, "all", dtype=object))
    if src_col is not None and frame[src_col].isna().any():
        miss = frame[src_col].isna().to_numpy()
        raise spec.error("data.source_column", f"{int(miss.sum())} row(s) have no source"
                         + _rows_at(in_rows, frame, miss), column=src_col,
                         n_rows=int(miss.sum()))
    sources = tuple(dict.fromkeys(src.tolist()))
    keep = np.ones(n, dtype=bool)
    steps: list[FlowStep] = []
    excluded: dict[tuple[str, str], np.ndarray] = {}
    order = {s: 0 for s in sources}
    for i, c in enumerate(spec.eligibility):
        key = f"eligibility[{i}].{c.key}"
        expr = c.exclude_if if c.exclude_if is not None else c.include_if
        assert expr is not None
        if c.sources is not None:
            bad = [s for s in c.sources if s not in sources]
            if bad:
                raise spec.error(f"eligibility[{i}].sources", f"unknown source(s) {bad} "
                                 f"(sources in the data: {list(sources)})")
        v = _eval(spec, key, expr, frame)
        hit = np.asarray(v.values if isinstance(v.values, pd.Series)
                         else np.full(n, bool(v.values)), dtype=bool)
        unknown = v.unknown
        hit &= ~unknown  # an unknown row is decided by on_missing alone
        leave = hit if c.exclude_if is not None else ~hit & ~unknown
        for s in (c.sources or sources):
            rows = keep & (src == s)
            unk = rows & unknown
            if unk.any() and c.on_missing == "error":
                cols = sorted(columns_of(expr))
                raise spec.error(key, f"{int(unk.sum())} row(s) of source {s!r} cannot be "
                                 f"decided because of missing values in {cols}"
                                 + _rows_at(in_rows, frame, unk) + "; set "
                                 "on_missing: exclude or keep, or test isna() explicitly",
                                 n_rows=int(unk.sum()))
            out = rows & (leave | (unk if c.on_missing == "exclude" else False))
            before = int(rows.sum())
            order[s] += 1
            steps.append(FlowStep(s, order[s], c.name, c.reason, before, int(out.sum()),
                                  before - int(out.sum()), int(unk.sum()), c.on_missing))
            excluded[(s, c.name)] = np.flatnonzero(out)
            keep &= ~out
    n_input = {s: int((src == s).sum()) for s in sources}
    return EligibilityFlow(sources, n_input, tuple(steps), excluded), keep


def _label(v: Any) -> str:
    if isinstance(v, bool | np.bool_):
        return "true" if v else "false"
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _value_labelled(values: pd.Series, labels: Mapping[str, str]) -> pd.Series:
    """``values`` with the labels of ``value_labels`` as an ordered categorical.

    The categories are the labels in the mapping's order, then the raw values without a
    label (as text, sorted); categories absent from ``values`` are dropped. Raw values
    match by their text (``1.0`` -> ``'1'``, ``True`` -> ``'true'``); missing stays missing.

    Examples
    --------
    >>> s = pd.Series(["pvtt_hvtt", "liver_lesion", None, "none"])
    >>> out = _value_labelled(s, {"liver_lesion": "Liver lesions", "pvtt_hvtt": "PVTT/HVTT"})
    >>> out.tolist()
    ['PVTT/HVTT', 'Liver lesions', nan, 'none']
    >>> list(out.cat.categories)
    ['Liver lesions', 'PVTT/HVTT', 'none']
    >>> num = _value_labelled(pd.Series([0.0, 1.0]), {"1": "yes"})
    >>> num.tolist(), list(num.cat.categories)
    (['0', 'yes'], ['yes', '0'])
    """
    raw = values.astype(object)
    known = raw.notna().to_numpy()
    text = raw[known].map(_label)
    shown = text.map(labels)
    free = shown.isna()
    shown = shown.where(~free, text)
    present = set(shown.tolist())
    cats = [lab for lab in dict.fromkeys(labels.values()) if lab in present]
    cats += sorted(set(text[free].tolist()) - set(cats))
    out = pd.Series(pd.Categorical(shown.reindex(values.index), categories=cats),
                    index=values.index, name=values.name)
    return out


def _check_value_labels(spec: StudySpec, a: pd.DataFrame) -> None:
    """Every labelled column is in the analysis frame; no raw value reads as another's label."""
    computed = {ROW, TREATED, MATCH_SET, MATCH_WEIGHT, IPTW_WEIGHT, spec.groups.name}
    computed |= {f"{e.name}_{k}" for e in spec.endpoints for k in ("time", "event")}
    for col, labels in spec.value_labels.items():
        key = f"value_labels.{col}"
        if col in computed:
            raise spec.error(key, f"column {col!r} is computed by the study (group, endpoint "
                             "or adjustment column) and cannot be labelled", column=col)
        if col not in a.columns:
            raise spec.error(key, f"unknown column {col!r}: not in the analysis frame",
                             column=col)
        raw = a[col].astype(object)
        text = set(raw[raw.notna()].map(_label).tolist())
        clash = sorted((text - set(labels)) & set(labels.values()))
        if clash:
            raise spec.error(key, f"raw value(s) {clash} have no label but read as the label "
                             "of another raw value; label them too", column=col)


def label_values(spec: StudySpec, d: pd.DataFrame, keep: Sequence[str] = ()) -> pd.DataFrame:
    """``d`` with the spec's ``value_labels`` applied, except to the columns in ``keep``.

    Returns a new frame (``d`` itself when nothing is labelled); ``d`` is not modified.
    """
    cols = {c: lab for c, lab in spec.value_labels.items() if c not in keep and c in d}
    if not cols:
        return d
    return d.assign(**{c: _value_labelled(d[c], lab) for c, lab in cols.items()})


def _groups(spec: StudySpec, a: pd.DataFrame, rows: InputRows | None = None
            ) -> tuple[pd.DataFrame, tuple[str, ...]]:
    g = spec.groups
    if g.constant is not None:
        a = a.copy()
        a[g.name] = g.constant
        return a, (g.constant,)
    if g.column is not None:
        if g.column not in a.columns:
            raise _unknown(spec, "groups.column", g.column, a.columns)
        raw = a[g.column]
        unknown = raw.isna().to_numpy()
        key = "groups.column"
    else:
        assert g.expression is not None
        v = _eval(spec, "groups.expression", g.expression, a)
        raw = v.values if isinstance(v.values, pd.Series) else pd.Series([v.values] * len(a))
        unknown = v.unknown
        key = "groups.expression"
    if unknown.any():
        raise spec.error(key, f"{int(unknown.sum())} eligible row(s) have no group (missing "
                         "value)" + _rows_at(rows, a, unknown) + "; exclude them in the "
                         "eligibility cascade",
                         n_rows=int(unknown.sum()))
    labels = raw.map(_label)
    if g.labels is not None:
        unmapped = ~labels.isin(list(g.labels))
        if unmapped.any():
            raise spec.error("groups.labels", f"{int(unmapped.sum())} eligible row(s) have a "
                             f"value without a label (values: "
                             f"{sorted(labels[unmapped].unique())[:10]})"
                             + _rows_at(rows, a, unmapped), n_rows=int(unmapped.sum()))
        labels = labels.map(g.labels)
    present = sorted(labels.unique())
    levels = list(g.levels) if g.levels is not None else present
    if g.levels is not None:
        other = ~labels.isin(levels)
        if other.any():
            raise spec.error("groups.levels", f"{int(other.sum())} eligible row(s) have a "
                             f"group not in levels {levels}" + _rows_at(rows, a, other),
                             n_rows=int(other.sum()))
    for j, lev in enumerate(levels):
        if not (labels == lev).any():
            k = f"groups.levels[{j}]" if g.levels is not None else "groups"
            raise spec.error(k, f"group {lev!r} has no patients after eligibility")
    if g.reference not in levels:
        raise spec.error("groups.reference", f"reference {g.reference!r} is not a group "
                         f"level ({levels})")
    a = a.copy()
    a[g.name] = labels.to_numpy()
    if len(levels) == 2:
        a[TREATED] = (labels != g.reference).astype(int).to_numpy()
    return a, tuple(levels)


def _dates(spec: StudySpec, key: str, col: str, a: pd.DataFrame,
           rows: InputRows | None = None) -> pd.Series:
    if col not in a.columns:
        raise _unknown(spec, key, col, a.columns)
    s = a[col]
    out = pd.to_datetime(s, errors="coerce")
    bad = out.isna() & s.notna()
    if bad.any():
        raise spec.error(key, f"column {col!r}: {int(bad.sum())} row(s) are not dates"
                         + _rows_at(rows, a, bad), column=col, n_rows=int(bad.sum()))
    return out


def _endpoints(spec: StudySpec, a: pd.DataFrame, rows: InputRows | None = None
               ) -> pd.DataFrame:
    """The columns ``<name>_time``, ``<name>_event`` and ``<name>_origin`` of each endpoint.

    From dates, an event ends at its event date; without an ``event_date`` (an ``event``
    expression alone), events and censored rows alike end at ``last_followup``.
    """
    gname = spec.groups.name
    for i, e in enumerate(spec.endpoints):
        k = f"endpoints[{i}]"
        ev = None
        if e.event is not None:
            v = _eval(spec, f"{k}.event", e.event, a)
            if v.unknown.any():
                raise spec.error(f"{k}.event", f"{int(v.unknown.sum())} row(s) have an "
                                 "unknown event status (missing values)"
                                 + _rows_at(rows, a, v.unknown),
                                 n_rows=int(v.unknown.sum()))
            ev = np.asarray(v.values if isinstance(v.values, pd.Series)
                            else np.full(len(a), bool(v.values)), dtype=bool)
        if e.time is not None:
            if e.time not in a.columns:
                raise _unknown(spec, f"{k}.time", e.time, a.columns)
            t = pd.to_numeric(a[e.time], errors="coerce")
            bad = t.isna() | (t < 0)
            if bad.any():
                raise spec.error(f"{k}.time", f"{int(bad.sum())} row(s) have a missing, "
                                 "non-numeric or negative time" + _rows_at(rows, a, bad),
                                 column=e.time,
                                 n_rows=int(bad.sum()))
            assert ev is not None
            a[f"{e.name}_time"] = t.to_numpy(float) * _TO_DAYS[e.time_unit] / _TO_DAYS[e.units]
            a[f"{e.name}_event"] = ev.astype(int)
            a[f"{e.name}_origin"] = f"time column {e.time}"
            continue
        assert e.origin is not None and e.last_followup is not None
        if isinstance(e.origin, str):
            origin = _dates(spec, f"{k}.origin", e.origin, a, rows)
            origin_col = pd.Series(e.origin, index=a.index)
        else:
            miss = [lev for lev in a[gname].unique() if lev not in e.origin]
            if miss:
                raise spec.error(f"{k}.origin", f"no origin column for group(s) {miss}")
            origin = pd.Series(pd.NaT, index=a.index, dtype="datetime64[ns]")
            origin_col = pd.Series("", index=a.index)
            for lev, col in e.origin.items():
                m = (a[gname] == lev).to_numpy()
                d = _dates(spec, f"{k}.origin.{lev}", col, a, rows)
                origin[m] = d[m].astype("datetime64[ns]")
                origin_col[m] = col
        last = _dates(spec, f"{k}.last_followup", e.last_followup, a, rows)
        edate = None
        if isinstance(e.event_date, str):
            edate = _dates(spec, f"{k}.event_date", e.event_date, a, rows)
        elif e.event_date:  # composite endpoint: the earliest of the dates
            parts = [_dates(spec, f"{k}.event_date[{j}]", c, a, rows)
                     for j, c in enumerate(e.event_date)]
            edate = pd.concat(parts, axis=1).min(axis=1, skipna=True)
        if ev is None:
            assert edate is not None
            ev = edate.notna().to_numpy()
        if edate is not None:
            lost = ev & edate.isna().to_numpy()
            if lost.any():
                raise spec.error(f"{k}.event_date", f"{int(lost.sum())} event(s) have no "
                                 "event date" + _rows_at(rows, a, lost),
                                 n_rows=int(lost.sum()))
            end = edate.where(ev, last)
        else:  # no event date: events, like censored rows, end at the last follow-up
            end = last
        if e.admin_censor_date is not None:
            try:
                admin = pd.Timestamp(e.admin_censor_date)
            except ValueError:
                raise spec.error(f"{k}.admin_censor_date", "not a date") from None
            late = (end > admin).to_numpy()
            ev = ev & ~late
            end = end.where(~late, admin)
        for name, s in (("origin", origin), ("end of follow-up", end)):
            if s.isna().any():
                raise spec.error(f"{k}.origin" if name == "origin" else f"{k}.last_followup",
                                 f"{int(s.isna().sum())} row(s) have no {name} date"
                                 + _rows_at(rows, a, s.isna().to_numpy()),
                                 n_rows=int(s.isna().sum()))
        days = (end - origin).dt.days.astype(float)
        neg = days < 0
        if neg.any():
            raise spec.error(f"{k}.origin", f"time origin after the event or censoring date "
                             f"in {int(neg.sum())} row(s)" + _rows_at(rows, a, neg.to_numpy())
                             + (" (after administrative censoring at "
                                f"{e.admin_censor_date}: exclude later origins in the "
                                "eligibility cascade)" if e.admin_censor_date else ""),
                             n_rows=int(neg.sum()))
        a[f"{e.name}_time"] = days.to_numpy() / _TO_DAYS[e.units]
        a[f"{e.name}_event"] = ev.astype(int)
        a[f"{e.name}_origin"] = origin_col.to_numpy()
    return a


def _adjust(spec: StudySpec, a: pd.DataFrame, levels: tuple[str, ...]
            ) -> tuple[pd.DataFrame | None, Any, Any, Any]:
    adj = spec.adjustment
    if adj.method == "none":
        return None, None, None, None
    from hccstudy import adjust

    if len(levels) != 2:
        raise spec.error("adjustment.method", f"matching / IPTW need two groups, not "
                         f"{len(levels)}")
    covs = spec.covariates_with("propensity")
    formula = adj.ps_formula or " + ".join(covs)
    if not formula:
        raise spec.error("adjustment.ps_formula", "no PS model: give ps_formula or "
                         "covariates with role 'propensity'")
    try:
        ps = adjust.fit_propensity(a, TREATED, formula, method=adj.ps_method,
                                   on_separation=adj.on_separation, missing=adj.ps_missing)
    except InputError as e:
        hint = (_did_you_mean(e.column, a.columns)
                if e.column is not None and e.column not in a.columns else "")
        raise spec.error("adjustment.ps_formula", str(e) + hint, column=e.column,
                         n_rows=e.n_rows) from None
    if adj.method == "match":
        mo = adj.match
        m = adjust.match_propensity(
            ps, a, method=mo.method, distance=mo.distance, ratio=mo.ratio, caliper=mo.caliper,
            caliper_scale=mo.caliper_scale, m_order=mo.m_order, replace=mo.replace,
            exact=spec.covariates_with("exact_match"), seed=mo.seed)
        out = a.copy()
        out[MATCH_SET] = m.subclass
        out[MATCH_WEIGHT] = m.weights
        return out[m.matched_mask()].reset_index(drop=True), ps, m, None
    w = adjust.iptw(ps, estimand=adj.iptw.estimand, stabilise=adj.iptw.stabilise,
                    truncate=adj.iptw.truncate)
    out = a.copy()
    out[IPTW_WEIGHT] = w.weights
    return out[w.weights > 0].reset_index(drop=True), ps, None, w


def _check_covariates(spec: StudySpec, a: pd.DataFrame) -> None:
    """Every covariate that a used role reads is a column of the analysis frame.

    Roles in use: ``table1`` (a Table 1 without ``variables``), ``propensity`` (any
    adjustment: the PS model without ``ps_formula`` and the balance table) and
    ``exact_match`` (matching). The error names ``covariates[i].name`` and its line.
    """
    used: set[str] = set()
    if any(isinstance(an, Table1Analysis) and an.variables is None for an in spec.analyses):
        used.add("table1")
    if spec.adjustment.method != "none":
        used.add("propensity")
    if spec.adjustment.method == "match":
        used.add("exact_match")
    for i, c in enumerate(spec.covariates):
        if used & set(c.roles) and c.name not in a.columns:
            raise _unknown(spec, f"covariates[{i}].name", c.name, a.columns,
                           ": not in the analysis frame")


def prepare(spec: StudySpec | str | Path,
            data: DataInput = None) -> Prepared:
    """Run the stages up to the adjustment and return the frames (see :class:`Prepared`).

    Data read from files (reader 'hccstudy'), from the registry, or passed as an
    :class:`hccstudy.io.Dataset` are validated first (``data.on_error``). Errors about
    rows name the input rows (file rows where known, else 1-based positions).
    """
    if not isinstance(spec, StudySpec):
        spec = load_spec(spec)
    frame, src_col, side, canonical, in_rows, data_notes = _load(spec, data)
    frame, notes = _derive(spec, frame, side, canonical)
    rows = in_rows if len(in_rows.number) == len(frame) else None
    flow, keep = _eligibility(spec, frame, src_col, rows)
    a = frame[keep].copy()
    a[ROW] = np.flatnonzero(keep)
    a = a.reset_index(drop=True)
    if a.empty:
        raise spec.error("eligibility", "no rows remain after the eligibility cascade")
    a, levels = _groups(spec, a, rows)
    a = _endpoints(spec, a, rows)
    _check_covariates(spec, a)
    _check_value_labels(spec, a)
    adjusted, ps, m, w = _adjust(spec, a, levels)
    return Prepared(frame, flow, a, levels, adjusted, ps, m, w, notes, rows, data_notes)


# ----------------------------------------------------------------------------- analyses


def _methods(spec: StudySpec, p: Prepared) -> dict[str, str]:
    adj = spec.adjustment
    out: dict[str, str] = {}
    origins = []
    for e in spec.endpoints:
        if e.time is not None:
            origins.append(f"{e.name}: time column {e.time!r} ({e.time_unit} -> {e.units})")
        elif isinstance(e.origin, dict):
            origins.append(f"{e.name}: " + "; ".join(f"{k} from {v}"
                                                      for k, v in e.origin.items()))
        else:
            origins.append(f"{e.name}: from {e.origin}")
    out["time_origins"] = "; ".join(origins)
    cens = []
    for e in spec.endpoints:
        if e.time is None:
            s = f"{e.name}: censored at last follow-up ({e.last_followup})"
            if e.admin_censor_date:
                s += f", administratively at {e.admin_censor_date}"
            ed = (e.event_date if isinstance(e.event_date, str) or e.event_date is None
                  else "earliest of " + ", ".join(e.event_date))
            s += f"; event = {e.event or f'notna({ed})'}"
            if ed is None:
                s += f"; no event date: events are timed at last follow-up ({e.last_followup})"
            cens.append(s)
        else:
            cens.append(f"{e.name}: event = {e.event}")
    out["censoring"] = "; ".join(cens)
    if p.data_notes:
        out["data_validation"] = "; ".join(p.data_notes)
    out["time_units"] = (f"months = days / {DAYS_PER_MONTH}; years = days / {DAYS_PER_YEAR}")
    out["eligibility"] = (f"{len(spec.eligibility)} ordered criteria; each excluded row "
                          "counted under its first failing criterion")
    out["groups"] = (f"{spec.groups.name}: levels {list(p.levels)}, reference "
                     f"{spec.groups.reference!r}")
    out["adjustment"] = adj.method
    if p.propensity is not None:
        ps = p.propensity
        pen = "Firth-penalised" if ps.method == "firth" else "unpenalised (maximum likelihood)"
        out["ps_model"] = (f"logistic regression, {pen}, IRLS; {ps.formula}; "
                           f"missing covariates: {ps.missing_rule}")
    if p.matching is not None:
        m = p.matching
        cal = ("no caliper" if m.caliper is None else
               f"{m.caliper} x {m.caliper_scale} (absolute {m.caliper_abs:.6g})")
        out["matching"] = (("nearest neighbour" if m.method == "nearest" else "optimal pair")
                           + f" 1:{m.ratio} "
                           f"{'with' if m.replace else 'without'} replacement on the "
                           f"{m.distance}, order {m.m_order}"
                           + (f", exact on {list(m.exact)}" if m.exact else ""))
        out["caliper"] = cal
    if p.weighting is not None:
        w = p.weighting
        out["weighting"] = (f"IPTW {w.estimand}, {'stabilised' if w.stabilised else 'unstabilised'}"
                            + (f", truncated at percentiles {w.truncation}" if w.truncation
                               else ""))
    if adj.method != "none":
        out["smd_denominator"] = (f"balance: SD of the {adj.smd_denominator} group(s) before "
                                  "adjustment (MatchIt)" if adj.smd_denominator != "pooled" else
                                  "balance: pooled sqrt((s1^2 + s0^2) / 2) before adjustment")
    out["outcome_variance"] = {
        "robust_pair": "Cox: cluster-robust (sandwich) variance with cluster = matched set",
        "stratified_pair": "Cox: stratified by matched set (conditional on pairs), model "
                           "variance",
        "robust": "Cox: IPTW-weighted, robust (sandwich) variance per patient",
        "naive": "Cox: model-based (inverse information) variance",
    }[adj.variance]
    return out


def cohort_frame(spec: StudySpec, key: str, choice: str, where: str | None, p: Prepared,
                 methods: dict[str, str], *, labelled: bool = True
                 ) -> tuple[pd.DataFrame, bool]:
    """The cohort of one analysis (and whether it is the adjusted one).

    Every analysis reads its rows here: ``where`` is evaluated on the raw values, then the
    spec's ``value_labels`` are applied to the rows kept (labelled columns become ordered
    categoricals). ``labelled=False`` returns the raw values, for an analysis that
    evaluates an expression of its own first (then :func:`label_values`).
    """
    if choice == "analysis" or (choice == "auto" and p.adjusted is None):
        d, adjusted = p.analysis, False
    elif p.adjusted is None:
        raise spec.error(f"{key}.cohort", "cohort 'adjusted' needs an adjustment "
                         "(adjustment.method match or iptw)")
    else:
        d, adjusted = p.adjusted, True
    if where is None:
        return (label_values(spec, d) if labelled else d), adjusted
    v = _eval(spec, f"{key}.where", where, d)
    vals = v.values if isinstance(v.values, pd.Series) else pd.Series([v.values] * len(d))
    keep = vals.fillna(False).astype(bool).to_numpy() & ~np.asarray(v.unknown, dtype=bool)
    n_unknown = int(np.asarray(v.unknown, dtype=bool).sum())
    if not keep.any():
        raise spec.error(f"{key}.where", f"no rows satisfy {where!r}")
    name = spec.analyses[int(key[len("analyses["):-1])].name if key.startswith("analyses[") \
        else key
    methods[f"where:{name}"] = (f"{name}: restricted to {where} ({int(keep.sum())} of {len(d)} "
                                "rows" + (f"; {n_unknown} with unknown values left out"
                                          if n_unknown else "") + ")")
    d = d[keep].reset_index(drop=True)
    return (label_values(spec, d) if labelled else d), adjusted


def _match_weights_needed(d: pd.DataFrame) -> bool:
    return MATCH_WEIGHT in d and not np.allclose(d[MATCH_WEIGHT].to_numpy(), 1.0)


def _analyses(spec: StudySpec, p: Prepared, methods: dict[str, str]
              ) -> tuple[dict[str, Any], Any, Any]:
    from hccstudy.analyse.cox import cox
    from hccstudy.analyse.km import kaplan_meier
    from hccstudy.analyse.logrank import logrank
    from hccstudy.analyse.table1 import table1

    g = spec.groups.name
    adj = spec.adjustment
    outcomes: dict[str, Any] = {}
    t_before = t_after = None
    tests: list[str] = []
    for i, an in enumerate(spec.analyses):
        key = f"analyses[{i}]"
        if isinstance(an, Table1Analysis):
            variables = an.variables or spec.covariates_with("table1")
            for j, v in enumerate(variables):
                if v not in p.analysis.columns:
                    raise _unknown(spec, f"{key}.variables[{j}]" if an.variables
                                   else f"covariates[{[c.name for c in spec.covariates].index(v)}]"
                                   ".name", v, p.analysis.columns)
            cat = [c.name for c in spec.covariates if c.categorical]
            kw: dict[str, Any] = dict(group_order=list(p.levels), categorical=cat or None,
                                      reference=spec.groups.reference,
                                      continuous=an.continuous,
                                      categorical_test=an.categorical_test,
                                      continuous_test=an.continuous_test)
            base, _ = cohort_frame(spec, key, "analysis", an.where, p, methods)
            before = table1(base, variables, g, **kw)
            after = None
            if p.adjusted is not None:
                d, _ = cohort_frame(spec, key, "adjusted", an.where, p, methods)
                if IPTW_WEIGHT in d:
                    after = table1(d, variables, g, weights=IPTW_WEIGHT, **kw)
                elif _match_weights_needed(d):
                    after = table1(d, variables, g, weights=MATCH_WEIGHT, **kw)
                else:
                    after = table1(d, variables, g, **kw)
            outcomes[an.name] = Table1Pair(before, after)
            if t_before is None:
                t_before, t_after = before, after
            tests.append(f"{an.name}: categorical {before.categorical_test}, continuous "
                         f"{before.continuous_test}, SMD denominator {before.smd_denominator}")
            continue
        if not isinstance(an, KmAnalysis | LogrankAnalysis | CoxAnalysis):
            from hccstudy.design.analyses import EXECUTORS
            from hccstudy.design.context import AnalysisContext

            ctx = AnalysisContext(spec, key, p, methods, tests, an.where)
            outcomes[an.name] = EXECUTORS[an.type](ctx, an)  # type: ignore[attr-defined]
            continue
        d, adjusted = cohort_frame(spec, key, an.cohort, an.where, p, methods)
        time, event = f"{an.endpoint}_time", f"{an.endpoint}_event"
        weights = None
        if adjusted and IPTW_WEIGHT in d:
            weights = IPTW_WEIGHT
        elif adjusted and _match_weights_needed(d):
            weights = MATCH_WEIGHT
        if isinstance(an, KmAnalysis):
            by = an.by or g
            if by not in d.columns:
                raise spec.error(f"{key}.by", f"unknown column {by!r}", column=by)
            outcomes[an.name] = kaplan_meier(d, time, event, by=by, conf_type=an.conf_type,
                                             conf_level=an.conf_level, weights=weights,
                                             levels=list(p.levels) if by == g else None)
            methods.setdefault("ci_transform", f"KM pointwise CI: {an.conf_type} transform "
                               f"(survfit conf.type), Greenwood variance"
                               + (" (infinitesimal jackknife with weights)" if weights
                                  else ""))
        elif isinstance(an, LogrankAnalysis):
            by = an.by or g
            if by not in d.columns:
                raise spec.error(f"{key}.by", f"unknown column {by!r}", column=by)
            if weights is not None:
                raise spec.error(f"{key}.cohort", "the log-rank test takes no weights; use "
                                 "a weighted Cox model or cohort: analysis")
            outcomes[an.name] = logrank(d, time, event, by, rho=an.rho,
                                        levels=list(p.levels) if by == g else None)
            tests.append(f"{an.name}: log-rank (G-rho, rho = {an.rho})"
                         + (" on the matched cohort" if adjusted else ""))
        else:
            formula = an.formula or f"C({g}, treatment('{spec.groups.reference}'))"
            strata: list[str] = list(an.strata)
            cluster = None
            if adjusted and IPTW_WEIGHT in d:
                cluster = ROW
            elif adjusted and adj.variance == "robust_pair":
                cluster = MATCH_SET
            elif adjusted and adj.variance == "stratified_pair":
                strata.append(MATCH_SET)
            try:
                outcomes[an.name] = cox(d, formula, time=time, event=event, ties=an.ties,
                                        strata=strata or None, cluster=cluster,
                                        weights=weights, conf_level=an.conf_level)
            except InputError as e:
                raise spec.error(f"{key}.formula", str(e), column=e.column,
                                 n_rows=e.n_rows) from None
            methods.setdefault("ties", f"Cox: {an.ties} ties")
            tests.append(f"{an.name}: Cox Wald, likelihood-ratio and score tests"
                         + (f" (cluster {cluster})" if cluster else "")
                         + (f" (strata {strata})" if strata else ""))
    if tests:
        methods["tests"] = "; ".join(tests)
    return outcomes, t_before, t_after


def run(spec: StudySpec | str | Path,
        data: DataInput = None) -> StudyResult:
    """Run a study from its spec (a StudySpec, YAML text or a YAML path).

    ``data``: a frame; a dict of canonical tables (``patients``, ``baseline``,
    ``treatments``, ``lesions``, ``labs``, ``events``, ``adverse_events``) or an
    :class:`hccstudy.io.Dataset`, flattened by :func:`hccstudy.design.tables.patient_frame`
    with the long tables passed to the clinical derivations; or a dict of named source
    data sets (frames or canonical tables; stacked, the name in ``data.source_column``,
    default ``source``). Without it the spec's files are read.

    Examples
    --------
    >>> import hccstudy
    >>> d = hccstudy.datasets.load_demo()
    >>> r = run('''
    ... groups: {column: arm, reference: non-CCRT}
    ... endpoints: [{name: os, time: os_months, event: death == 1}]
    ... eligibility:
    ...   - {name: young, exclude_if: age_years < 18, reason: age under 18}
    ... analyses: [{name: lr, type: logrank, endpoint: os}]
    ... ''', d)
    >>> r.n_input == r.n_analysis + int(r.flow.to_frame()["n_excluded"].sum())
    True
    """
    if not isinstance(spec, StudySpec):
        spec = load_spec(spec)
    p = prepare(spec, data)
    methods = _methods(spec, p)
    outcomes, t_before, t_after = _analyses(spec, p, methods)
    bal = None
    if p.propensity is not None:
        from hccstudy.adjust import balance

        covs = spec.covariates_with("propensity")
        if covs:
            adj = p.matching or p.weighting
            ok = p.propensity.used & p.analysis[covs].notna().all(axis=1).to_numpy()
            if ok.all():
                bal = balance(p.analysis, TREATED, covs, adj,
                              smd_denominator=spec.adjustment.smd_denominator,
                              propensity=p.propensity)
            else:  # complete-case / indicator rules: balance on the complete rows
                bal = balance(p.analysis[ok].reset_index(drop=True), TREATED, covs,
                              adj.weights[ok], smd_denominator=spec.adjustment.smd_denominator)
                methods["balance"] = (f"balance on the {int(ok.sum())} rows with complete "
                                      "PS covariates")
    g = spec.groups.name
    n_by_group = {lev: int((p.analysis[g] == lev).sum()) for lev in p.levels}
    n_adj = None
    if p.adjusted is not None:
        wcol = IPTW_WEIGHT if IPTW_WEIGHT in p.adjusted else MATCH_WEIGHT
        n_adj = {lev: float(p.adjusted.loc[p.adjusted[g] == lev, wcol].sum())
                 for lev in p.levels}
    return StudyResult(spec.title, p.flow, len(p.frame), len(p.analysis), n_by_group, n_adj,
                       p.propensity, p.matching, p.weighting, bal, t_before, t_after,
                       outcomes, methods, p.derivations, spec)
