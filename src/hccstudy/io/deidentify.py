"""De-identification of a dataset for exports and shared reports, and a leak scanner.

:func:`deidentify` drops the direct identifiers (every column the data model flags
``identifier``: name, hospital number, birth date, after deriving the age when it is
missing), replaces ``patient_id`` by a salted HMAC-SHA256 pseudonym, shifts every date of
a patient by the same random offset (derived from the salt, so intervals and the order of
events within a patient are preserved) and top-codes ages above 89 as 90 ("90 or older").

:func:`scan_for_identifiers` searches an output folder (CSV, text, HTML, JSON, XLSX,
Parquet...) for identifiers of the original dataset and reports which files hold which
kind of identifier, never the identifier itself.

Free-text columns (``rt_target``, ``drugs``, AE ``term``...) are kept and are not scrubbed:
keep names out of them.

Examples
--------
>>> import pandas as pd
>>> from hccstudy.io.read import Dataset
>>> pats = pd.DataFrame({"patient_id": ["A17"], "name": ["Jane Doe"], "age_years": [93.5],
...                      "diagnosis_date": [pd.Timestamp("2020-01-01")],
...                      "death_date": [pd.Timestamp("2020-03-01")]})
>>> out = deidentify(Dataset({"patients": pats}, ()), salt="a long secret salt").table("patients")
>>> list(out.columns), out["age_years"].tolist()
(['patient_id', 'age_years', 'diagnosis_date', 'death_date'], [90.0])
>>> int((out["death_date"] - out["diagnosis_date"]).dt.days.iloc[0])
60
"""

from __future__ import annotations

import hashlib
import hmac
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from hccstudy.errors import InputError
from hccstudy.io.read import Dataset
from hccstudy.validate.schema import TABLES

__all__ = ["Finding", "deidentify", "identifiers_of", "pseudonym", "scan_for_identifiers"]

TOP_CODE_AGE = 90.0
"""Ages of 90 years or more (over 89 in completed years) become this value (HIPAA Safe Harbor)."""


def _check_salt(salt: str) -> bytes:
    if not isinstance(salt, str) or len(salt) < 12:
        raise InputError("the salt must be a secret string of at least 12 characters; keep it "
                         "out of the shared output", rule="salt length")
    return salt.encode()


def pseudonym(patient_id: Any, salt: str) -> str:
    """Salted pseudonym of a patient id (first 16 hex digits of HMAC-SHA256).

    Examples
    --------
    >>> pseudonym("A17", "a long secret salt") == pseudonym("A17", "a long secret salt")
    True
    >>> len(pseudonym("A17", "a long secret salt"))
    16
    """
    key = _check_salt(salt)
    return hmac.new(key, f"id:{patient_id}".encode(), hashlib.sha256).hexdigest()[:16]


def _shift_days(patient_id: Any, key: bytes, max_days: int) -> int:
    digest = hmac.new(key, f"shift:{patient_id}".encode(), hashlib.sha256).digest()
    n = int.from_bytes(digest[:8], "big")
    return n % (2 * max_days + 1) - max_days


def deidentify(dataset: Dataset, salt: str, *, max_shift_days: int = 180) -> Dataset:
    """A de-identified copy of ``dataset``.

    Parameters
    ----------
    dataset : Dataset
        As read by :func:`hccstudy.io.read`.
    salt : str
        Secret (at least 12 characters). The same salt gives the same pseudonyms and date
        shifts, so extracts made at different times can be joined; never share it.
    max_shift_days : int
        Dates move by a per-patient offset in ``[-max_shift_days, max_shift_days]``.

    Returns
    -------
    Dataset
        Tables without identifier columns; reading issues and headers are dropped (they
        name the user's files); provenance keeps only hashes and counts.
    """
    key = _check_salt(salt)
    if max_shift_days < 0:
        raise InputError("max_shift_days must be >= 0", rule="max_shift_days >= 0")
    tables: dict[str, pd.DataFrame] = {}
    for name, frame in dataset.tables.items():
        out = frame.drop(columns=["_source"], errors="ignore").copy()
        schema = TABLES[name]
        if name == "patients" and "birth_date" in out.columns and "diagnosis_date" in out.columns:
            age = (out["diagnosis_date"] - out["birth_date"]).dt.days / 365.25
            if "age_years" not in out.columns:
                out["age_years"] = age.round(1)
            else:
                out["age_years"] = out["age_years"].fillna(age.round(1))
        drop = [c.name for c in schema.columns if c.identifier and c.name in out.columns]
        out = out.drop(columns=drop)
        if "age_years" in out.columns:
            ages = pd.to_numeric(out["age_years"], errors="coerce")
            # "over 89" in completed years: 89.99 is 89, 90.0 and older become 90
            out["age_years"] = ages.where(~(ages >= TOP_CODE_AGE), TOP_CODE_AGE)
        if "patient_id" in out.columns:
            pids = out["patient_id"]
            shifts = pd.to_timedelta(
                [0 if p is None or p != p else _shift_days(p, key, max_shift_days) for p in pids],
                unit="D")
            # every date column moves, study-specific ('extra.') ones included
            for c in out.columns:
                if pd.api.types.is_datetime64_any_dtype(out[c]):
                    out[c] = out[c] + pd.Series(shifts, index=out.index)
            out["patient_id"] = [None if p is None or p != p else pseudonym(p, salt) for p in pids]
        out = out.reset_index(drop=True)
        tables[name] = out
    provenance = tuple(replace(p, file="") for p in dataset.provenance)
    return Dataset(tables, provenance)


@dataclass(frozen=True, slots=True)
class Finding:
    """An identifier left in an output file: which file, which kind, how many hits."""

    file: str
    kind: str
    count: int


def identifiers_of(dataset: Dataset) -> dict[str, set[str]]:
    """The identifying strings of a dataset, by kind (patient_id, name, hospital_number, birth_date).

    Dates are given as ``YYYY-MM-DD``. Patient ids are included; short ones (under 4
    characters) are skipped by the scanner because they match everywhere.
    """
    out: dict[str, set[str]] = {}
    for name, frame in dataset.tables.items():
        for c in TABLES[name].columns:
            if not (c.identifier or c.kind == "id") or c.name not in frame.columns:
                continue
            vals = frame[c.name].dropna()
            if c.kind == "date":
                strings = {f"{pd.Timestamp(v):%Y-%m-%d}" for v in vals}
            else:
                strings = {str(v).strip() for v in vals}
            out.setdefault(c.name, set()).update(s for s in strings if s)
    return out


def _file_text(path: Path) -> str:
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm", ".docx", ".pptx", ".odt", ".ods"):
            with zipfile.ZipFile(path) as z:
                return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist()
                                 if n.endswith(".xml"))
        if suffix in (".parquet", ".pq"):
            buf = io.StringIO()
            pd.read_parquet(path).to_csv(buf, index=False)
            return buf.getvalue()
    except (zipfile.BadZipFile, OSError, ValueError):
        pass
    return path.read_bytes().decode("utf-8", "replace")


def scan_for_identifiers(folder: str | Path, identifiers: dict[str, Iterable[str]],
                         min_length: int = 4) -> list[Finding]:
    """Search every file under ``folder`` for the given identifiers.

    Parameters
    ----------
    folder : str or pathlib.Path
        Output folder (searched recursively).
    identifiers : dict of str to iterable of str
        Kind -> strings, e.g. :func:`identifiers_of` of the original dataset.
    min_length : int
        Identifiers shorter than this are skipped (they would match anywhere).

    Returns
    -------
    list of Finding
        Empty when the folder is clean. Findings name the file and the kind of
        identifier, never its value.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "table.csv").write_text("id,os\\nHN-12345,3\\n")
    >>> scan_for_identifiers(d, {"hospital_number": ["HN-12345"]})
    [Finding(file='table.csv', kind='hospital_number', count=1)]
    """
    root = Path(folder)
    found: list[Finding] = []
    wanted = {k: {s.lower() for s in v if len(s) >= min_length} for k, v in identifiers.items()}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        text = _file_text(path).lower()
        for kind, strings in wanted.items():
            n = sum(text.count(s) for s in strings)
            if n:
                found.append(Finding(str(path.relative_to(root)), kind, n))
    return found
