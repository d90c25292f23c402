"""Column mapping files: the user's headers and codes -> the data model's names and codes.

A mapping is a YAML file::

    version: 1
    layout: auto            # auto | wide | long
    tables:                 # sheet (or file stem) -> table, optionally with its own columns
      Tx: treatments
      AEs:
        table: adverse_events
        columns:
          Date: onset_date
    columns:                # header -> model column (null: ignore the column)
      Patient ID: patient_id
      Sex:
        to: sex
        codes: {M: male, F: female}
      Albumin (g/L):
        to: albumin
        unit: g/L           # converted to the canonical unit on reading
      Dx date:
        to: diagnosis_date
        date_format: "%d/%m/%Y"
      Comments: null
      Prior abdominal RT:   # study-specific column, typed as declared
        to: extra.prior_abdominal_rt
        kind: bool

Headers are matched after :func:`~hccstudy.validate.schema.normalise_name`, codes after
trimming and lower-casing. A code mapped to null (``codes: {Unknown: null}``) means "a
missing value": such cells are read as missing, their rows kept, and each such code gives a
``coded-missing`` warning (see :func:`hccstudy.io.read.coerce_column`).
:func:`draft_mapping` writes a first draft from a file's headers.

Examples
--------
>>> m = parse_mapping({"columns": {"Sex": {"to": "sex", "codes": {"M": "male"}}}})
>>> m.columns["sex"].target, m.columns["sex"].codes
('sex', {'m': 'male'})
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from hccstudy.errors import InputError
from hccstudy.validate.schema import (
    TABLES,
    UNIT_CONVERSIONS,
    WIDE_EVENT_COLUMNS,
    Column,
    Kind,
    canonical_unit,
    normalise_name,
)

__all__ = [
    "WIDE_TABLES",
    "ColumnMap",
    "Mapping",
    "builtin_code",
    "draft_mapping",
    "extra_name",
    "guess_table",
    "guess_target",
    "load_mapping",
    "lookup_column",
    "parse_mapping",
]

Layout = Literal["auto", "wide", "long"]

WIDE_TABLES = ("patients", "baseline", "treatments")
"""Tables whose columns a one-row-per-patient sheet may hold (plus WIDE_EVENT_COLUMNS)."""


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """How one user column maps: target model column (None = ignore), codes, unit, date format."""

    target: str | None
    codes: dict[str, Any] = field(default_factory=dict)
    unit: str | None = None
    date_format: str | None = None
    kind: Kind | None = None


@dataclass(frozen=True, slots=True)
class Mapping:
    """A parsed mapping file (keys are normalised header or sheet names)."""

    columns: dict[str, ColumnMap] = field(default_factory=dict)
    layout: Layout = "auto"
    tables: dict[str, str] = field(default_factory=dict)
    sheet_columns: dict[str, dict[str, ColumnMap]] = field(default_factory=dict)


def _err(msg: str) -> InputError:
    return InputError(f"mapping file: {msg}", rule="mapping")


def _code_key(v: Any) -> str:
    """Normalise a code for matching: 1.0 -> '1', ' Male ' -> 'male', True -> 'true'."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip().lower()


def _all_columns() -> dict[str, Column]:
    out: dict[str, Column] = {}
    for t in TABLES.values():
        for c in t.columns:
            out.setdefault(c.name, c)
    return out


EXTRA_PREFIX = "extra."
_EXTRA_KINDS = ("text", "category", "integer", "number", "date", "bool")


def extra_name(target: str) -> str | None:
    """The column name of a study-specific target ``extra.<name>`` (None otherwise).

    Examples
    --------
    >>> extra_name("extra.prior_abdominal_rt"), extra_name("albumin")
    ('prior_abdominal_rt', None)
    """
    return target[len(EXTRA_PREFIX):] if target.startswith(EXTRA_PREFIX) else None


def _model_column(target: str, kind: Kind | None = None) -> Column | None:
    name = extra_name(target)
    if name is not None:
        return Column(name, kind or "text", "study-specific column (mapping file)")
    if target in WIDE_EVENT_COLUMNS:
        _, col = WIDE_EVENT_COLUMNS[target]
        return TABLES["events"].column(col)
    return _all_columns().get(target)


def _parse_column(source: str, spec: Any) -> ColumnMap:
    if spec is None:
        return ColumnMap(None)
    if isinstance(spec, str):
        spec = {"to": spec}
    if not isinstance(spec, dict):
        raise _err(f"entry for column {source!r} must be a name or a mapping with 'to'")
    unknown = set(spec) - {"to", "codes", "unit", "date_format", "kind"}
    if unknown:
        raise _err(f"entry for column {source!r} has unknown key(s) {sorted(unknown)}")
    target = spec.get("to")
    if target is None:
        return ColumnMap(None)
    target = str(target)
    kind = spec.get("kind")
    extra = extra_name(target)
    if extra is not None:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", extra) or _model_column(extra) is not None:
            raise _err(f"column {source!r}: {target!r} must be 'extra.' followed by a new "
                       "snake_case name that is not a data-model column")
        if kind is not None and kind not in _EXTRA_KINDS:
            raise _err(f"column {source!r}: kind must be one of {list(_EXTRA_KINDS)}")
    elif kind is not None:
        raise _err(f"column {source!r}: 'kind' is only for study-specific 'extra.' columns")
    col = _model_column(target, kind)
    if col is None:
        close = difflib.get_close_matches(target, list(_all_columns()) + list(WIDE_EVENT_COLUMNS),
                                          n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise _err(f"column {source!r} maps to {target!r}, which is not in the data model{hint}")
    codes_in = spec.get("codes") or {}
    if not isinstance(codes_in, dict):
        raise _err(f"codes of column {source!r} must be a mapping user code -> model code")
    codes: dict[str, Any] = {}
    bad: list[str] = []
    for k, v in codes_in.items():
        if col.kind == "bool":
            val: Any = _parse_bool_target(v, source)
        elif col.codes and v is not None and _code_key(v) not in {c.lower() for c in col.codes}:
            bad.append(f"{k!r} maps to {v!r}")
            continue
        else:
            val = None if v is None else next(
                (c for c in col.codes if c.lower() == _code_key(v)), str(v))
        for key in _bool_aliases(k):
            codes[key] = val
    if bad:  # every bad code of the column at once, not one per run
        raise _err(f"column {source!r}: code {', code '.join(bad)}: not one of "
                   f"{list(col.codes)}; map each to one of these, or to null if the code "
                   "means 'missing'")
    unit = spec.get("unit")
    if unit is not None:
        unit = str(unit)
        if col.name not in UNIT_CONVERSIONS or \
                (canonical_unit(unit) or unit) not in UNIT_CONVERSIONS[col.name]:
            known = list(UNIT_CONVERSIONS.get(col.name, {}))
            raise _err(f"column {source!r}: unit {unit!r} is not known for {col.name!r}"
                       + (f" (known: {known})" if known else " (no unit conversion for it)"))
    fmt = spec.get("date_format")
    if fmt is not None and col.kind != "date":
        raise _err(f"column {source!r}: date_format given for non-date column {col.name!r}")
    return ColumnMap(target, codes, unit, None if fmt is None else str(fmt), col.kind)


def _bool_aliases(k: Any) -> list[str]:
    # YAML 1.1 reads yes/no/on/off as booleans: accept every spelling of them
    if k is True:
        return ["true", "yes", "on"]
    if k is False:
        return ["false", "no", "off"]
    return [_code_key(k)]


def _parse_bool_target(v: Any, source: str) -> bool | None:
    if v is None or isinstance(v, bool):
        return v
    b = _BOOL_WORDS.get(_code_key(v))
    if b is None:
        raise _err(f"column {source!r}: code target {v!r} must be yes/no (true/false), or null "
                   "if the code means 'missing'")
    return b


def parse_mapping(data: Any) -> Mapping:
    """Check a mapping already loaded from YAML (a dict) and build a :class:`Mapping`.

    Raises
    ------
    hccstudy.errors.InputError
        Rule ``mapping`` for unknown keys, columns, tables, units or codes.
    """
    if data is None:
        return Mapping()
    if not isinstance(data, dict):
        raise _err("the top level must be a mapping with 'columns' (and optionally "
                   "'layout', 'tables', 'version')")
    unknown = set(data) - {"version", "layout", "tables", "columns"}
    if unknown:
        raise _err(f"unknown top-level key(s) {sorted(unknown)}")
    if data.get("version", 1) != 1:
        raise _err(f"version {data.get('version')!r} is not supported (use 1)")
    layout = data.get("layout", "auto")
    if layout not in ("auto", "wide", "long"):
        raise _err(f"layout must be auto, wide or long, not {layout!r}")
    problems: list[str] = []  # every column's problem at once, not one per run

    def parse_columns(spec: Any) -> dict[str, ColumnMap]:
        out: dict[str, ColumnMap] = {}
        for k, v in (spec or {}).items():
            try:
                out[normalise_name(k)] = _parse_column(str(k), v)
            except InputError as exc:
                problems.append(str(exc).removeprefix("mapping file: "))
        return out

    columns = parse_columns(data.get("columns"))
    tables: dict[str, str] = {}
    sheet_columns: dict[str, dict[str, ColumnMap]] = {}
    for sheet, spec in (data.get("tables") or {}).items():
        key = normalise_name(str(sheet))
        if isinstance(spec, dict):
            table = spec.get("table")
            sheet_columns[key] = parse_columns(spec.get("columns"))
        else:
            table = spec
        if table is not None and table not in TABLES:
            raise _err(f"sheet {sheet!r} maps to unknown table {table!r} "
                       f"(tables: {list(TABLES)})")
        tables[key] = "" if table is None else str(table)
    if problems:
        raise _err("; ".join(problems))
    return Mapping(columns, layout, tables, sheet_columns)


def load_mapping(path: str | Path | Mapping | dict[str, Any] | None) -> Mapping:
    """Load a mapping from a YAML file (or pass through a Mapping or dict).

    Examples
    --------
    >>> load_mapping(None).columns
    {}
    """
    if path is None:
        return Mapping()
    if isinstance(path, Mapping):
        return path
    if isinstance(path, dict):
        return parse_mapping(path)
    import yaml

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError:
        raise _err(f"cannot read {p.name!r}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise _err(f"{p.name!r} is not valid YAML{line}") from None
    return parse_mapping(data)


# --------------------------------------------------------------------------- lookup

_BOOL_WORDS: dict[str, bool] = {
    "yes": True, "y": True, "true": True, "t": True, "1": True, "present": True, "positive": True,
    "+": True, "checked": True,
    "no": False, "n": False, "false": False, "f": False, "0": False, "absent": False,
    "negative": False, "-": False, "unchecked": False, "none": False,
}

_CODE_SYNONYMS: dict[str, dict[str, str]] = {
    "sex": {"m": "male", "man": "male", "f": "female", "woman": "female", "w": "female"},
    "etiology": {"hepatitis b": "HBV", "b": "HBV", "hepatitis c": "HCV", "c": "HCV",
                 "hbv+hcv": "HBV_HCV", "hbv/hcv": "HBV_HCV", "b+c": "HBV_HCV", "alc": "alcohol",
                 "alcoholic": "alcohol", "nash": "MASLD", "nafld": "MASLD", "mafld": "MASLD",
                 "non-b non-c": "NBNC", "nbnc": "NBNC", "unk": "unknown"},
    "treatment_type": {"radiotherapy": "RT", "radiation": "RT", "sbrt": "RT",
                       "chemoradiotherapy": "CCRT", "surgery": "resection",
                       "hepatectomy": "resection", "rfa": "ablation", "mwa": "ablation",
                       "lt": "transplant", "olt": "transplant", "liver transplantation": "transplant",
                       "sorafenib": "systemic", "lenvatinib": "systemic"},
    "ascites": {"no": "none", "absent": "none", "slight": "mild", "moderate": "moderate_severe",
                "severe": "moderate_severe", "moderate-severe": "moderate_severe",
                "moderate/severe": "moderate_severe"},
    "encephalopathy": {"no": "none", "absent": "none", "grade 1-2": "grade_1_2",
                       "grade 3-4": "grade_3_4", "1-2": "grade_1_2", "3-4": "grade_3_4"},
    "rt_technique": {"3d-crt": "3DCRT", "3d crt": "3DCRT", "3dcrt": "3DCRT"},
    "rt_field_position": {"in-field": "in_field", "infield": "in_field",
                          "out-of-field": "out_of_field", "outfield": "out_of_field",
                          "out of field": "out_of_field"},
}


def builtin_code(column: Column, value: Any) -> Any:
    """The model code for ``value`` using built-in synonyms (None when unknown).

    Examples
    --------
    >>> from hccstudy.validate.schema import TABLES
    >>> builtin_code(TABLES["patients"].column("sex"), " M ")
    'male'
    >>> builtin_code(TABLES["baseline"].column("pvi"), "Yes")
    True
    """
    key = _code_key(value)
    if column.kind == "bool":
        return _BOOL_WORDS.get(key)
    for c in column.codes:
        if c.lower() == key or normalise_name(c) == normalise_name(key):
            return c
    syn = _CODE_SYNONYMS.get(column.name, {}).get(key)
    return syn


def _synonym_index(tables: tuple[str, ...]) -> dict[str, str]:
    idx: dict[str, str] = {}
    # canonical names win over synonyms; earlier tables win over later ones
    for t in tables:
        for c in TABLES[t].columns:
            idx.setdefault(c.name, c.name)
    if "events" not in tables:
        for w in WIDE_EVENT_COLUMNS:
            idx.setdefault(w, w)
    for t in tables:
        for c in TABLES[t].columns:
            for s in c.synonyms:
                idx.setdefault(s, c.name)
    return idx


def lookup_column(header: str, tables: tuple[str, ...]) -> str | None:
    """The model column a header names exactly (canonical name or known synonym).

    A unit in brackets is ignored: ``"Albumin (g/L)"`` names ``albumin``.

    Examples
    --------
    >>> lookup_column("T-Bil", ("baseline",)), lookup_column("Albumin (g/L)", ("baseline",))
    ('bilirubin', 'albumin')
    """
    idx = _synonym_index(tables)
    key = normalise_name(header)
    if key in idx:
        return idx[key]
    stripped = normalise_name(_strip_unit(header)[0])
    return idx.get(stripped)


def _strip_unit(header: str) -> tuple[str, str | None]:
    """Split ``"Albumin (g/L)"`` into ``("Albumin", "g/L")`` when the bracket is a unit."""
    m = re.match(r"^(.*?)[\s_]*[\(\[]([^\)\]]+)[\)\]]\s*$", str(header))
    if m:
        unit = canonical_unit(m.group(2))
        if unit is not None:
            return m.group(1), unit
    return str(header), None


def guess_table(sheet_name: str) -> str | None:
    """The table a sheet or file name refers to (exact name or synonym, else None).

    Examples
    --------
    >>> guess_table("AEs"), guess_table("Tx"), guess_table("Sheet1")
    ('adverse_events', 'treatments', None)
    """
    key = normalise_name(sheet_name)
    for t in TABLES.values():
        if key == t.name or key in t.synonyms:
            return t.name
    return None


# --------------------------------------------------------------------------- draft


def _q(x: Any) -> str:
    """A YAML scalar (JSON strings are valid YAML)."""
    if isinstance(x, bool) or x is None:
        return json.dumps(x)
    return json.dumps(str(x), ensure_ascii=False)


def draft_mapping(path: str | Path) -> str:
    """Draft a mapping file (YAML text) from a file's headers and category values.

    Exact names and known synonyms are mapped; other headers get the closest model name
    with a ``# check`` comment (fuzzy match, see :func:`guess_target`), or ``null``
    (ignored). Category and yes/no columns get their distinct values with the proposed
    model codes; a value that matches no model code is mapped to itself with a ``# check``
    comment, which :func:`parse_mapping` refuses (rule ``mapping``) until the user picks a
    code or ``null`` (the code means "missing"). Identifier columns never have their values
    written.

    Parameters
    ----------
    path : str or pathlib.Path
        A data file or folder (any format :func:`hccstudy.io.read` accepts).

    Returns
    -------
    str
        YAML text to review, save and pass to ``read(path, mapping=...)``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "s.csv").write_text("Patient ID,Gender,Albumin (g/L),Tumor sz\\n1,M,35,4\\n")
    >>> text = draft_mapping(d / "s.csv")
    >>> "unit: \\"g/L\\"" in text and '"M": "male"' in text
    True
    >>> load_mapping(parse_yaml(text)).columns["gender"].target
    'sex'
    >>> _ = (d / "t.csv").write_text("ID,Treatment\\n1,TACE alone\\n")
    >>> [line.strip() for line in draft_mapping(d / "t.csv").splitlines() if "TACE" in line]
    ... # doctest: +ELLIPSIS
    ['"TACE alone": "TACE alone"  # check: no model code matched: replace with one of RT, ...']
    """
    from hccstudy.io.readers import read_raw

    sheets, _ = read_raw(path)
    lines = ["# hccstudy column mapping: generated by draft_mapping; review every entry.",
             "# Lines marked '# check' are fuzzy guesses; 'null' columns are ignored.",
             "# Codes marked '# check' matched no model code: edit them (the file is refused",
             "# until then); a code mapped to null is read as a missing value.",
             "version: 1", "layout: auto"]
    table_lines: list[str] = []
    col_lines: list[str] = []
    seen: set[str] = set()
    multi = len(sheets) > 1
    for sheet in sheets:
        table = guess_table(sheet.name)
        if multi:
            table_lines.append(f"  {_q(sheet.name)}: {_q(table) if table else 'null'}"
                               + ("" if table else "  # check: which table is this sheet?"))
        tables: tuple[str, ...] = (table,) if table else WIDE_TABLES
        for header in sheet.frame.columns:
            key = normalise_name(header)
            if key in seen:
                continue
            seen.add(key)
            target, fuzzy = guess_target(str(header), tables)
            unit = _strip_unit(str(header))[1]
            col = _model_column(target) if target else None
            entry: list[str] = []
            if target is None:
                col_lines.append(f"  {_q(header)}: null  # no match: name a model column or "
                                 "leave null to ignore")
                continue
            entry.append(f"  {_q(header)}:" + ("  # check: fuzzy match" if fuzzy else ""))
            entry.append(f"    to: {_q(target)}")
            if unit is not None and col is not None and col.name in UNIT_CONVERSIONS and \
                    unit in UNIT_CONVERSIONS[col.name]:
                entry.append(f"    unit: {_q(unit)}")
            if col is not None and (col.codes or col.kind == "bool") and not col.identifier:
                values = sorted({_code_key(v) if col.kind == "bool" else str(v).strip()
                                 for v in sheet.frame[header].dropna()}, key=str)[:30]
                if values:
                    entry.append("    codes:")
                    for v in values:
                        code = builtin_code(col, v)
                        if code is not None:
                            entry.append(f"      {_q(v)}: {_q(code)}")
                            continue
                        # never a silent null (which would read every such cell as missing):
                        # the code maps to itself, which the mapping check refuses until edited
                        choices = "yes or no" if col.kind == "bool" else \
                            "one of " + ", ".join(col.codes)
                        entry.append(f"      {_q(v)}: {_q(v)}  # check: no model code matched: "
                                     f"replace with {choices} (null: the code means missing)")
            col_lines.extend(entry)
    if table_lines:
        lines.append("tables:")
        lines.extend(table_lines)
    lines.append("columns:")
    lines.extend(col_lines)
    return "\n".join(lines) + "\n"


_GENERIC_WORDS = frozenset({"date", "dt", "day", "of", "the", "at", "in", "on", "and", "or",
                            "y", "n", "yn", "yr", "yrs"})
"""Words that tell no column from another ('Date of RT' and 'Date of birth' share only these)."""


def _treatment_words() -> frozenset[str]:
    col = TABLES["treatments"].column("treatment_type")
    words = {normalise_name(c) for c in col.codes} | set(_CODE_SYNONYMS["treatment_type"])
    words |= {"treatment", "tx", "therapy", "operation", "op", "rt", "radiotherapy", "sbrt",
              "tace", "haic", "ccrt", "rfa", "mwa", "surgery", "hepatectomy"}
    return frozenset(w for w in words if "_" not in w and " " not in w)


def _words_agree(a: str, b: str) -> bool:
    """Whether two normalised names share a word that tells columns apart."""
    wa = [w for w in a.split("_") if w and w not in _GENERIC_WORDS]
    wb = [w for w in b.split("_") if w and w not in _GENERIC_WORDS]
    if not wa or not wb:
        return not wa and not wb
    return any(x == y or (min(len(x), len(y)) >= 3
                          and difflib.SequenceMatcher(None, x, y).ratio() >= 0.75)
               for x in wa for y in wb)


def guess_target(header: str, tables: tuple[str, ...] = WIDE_TABLES) -> tuple[str | None, bool]:
    """The model column a header probably names, and whether the guess is fuzzy.

    Exact names and synonyms first (:func:`lookup_column`). Then a date column named
    after a treatment ("Date of RT", "TACE date") is the treatment's ``start_date``
    (``end_date`` when it says end or stop). Otherwise the closest model name or synonym
    (difflib ratio >= 0.75) that shares a telling word with the header: generic words
    such as "date" and "of" do not count, so "Date of RT" is never ``birth_date``.

    Examples
    --------
    >>> guess_target("Date of RT"), guess_target("Date of brith"), guess_target("Tumor sz")
    (('start_date', True), ('birth_date', True), ('tumour_size_cm', True))
    >>> guess_target("Remarks")
    (None, False)
    """
    exact = lookup_column(header, tables)
    if exact is not None:
        return exact, False
    key = normalise_name(_strip_unit(header)[0])
    words = set(key.split("_"))
    if "treatments" in tables and words & {"date", "dt", "day", "start", "end", "stop"} \
            and words & _treatment_words():
        return ("end_date" if words & {"end", "stop"} else "start_date"), True
    idx = _synonym_index(tables)
    scored = [(difflib.SequenceMatcher(None, key, k).ratio(), k) for k in idx
              if _words_agree(key, k)]
    best = max(scored, default=(0.0, ""))  # ties: as difflib.get_close_matches
    if best[0] >= 0.75:
        return idx[best[1]], True
    return None, False


def parse_yaml(text: str) -> Any:
    """Parse YAML text (a thin wrapper so callers need not import PyYAML)."""
    import yaml

    return yaml.safe_load(text)
