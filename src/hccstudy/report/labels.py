"""Variable labels of a report: data model < study spec < caller, display only.

Report tables, figures and the Methods text name variables by a label:

1. the data-model label of a canonical column (``Column.label`` in
   :mod:`hccstudy.validate.schema`: ``age_years`` -> "Age, years");
2. overridden by the study spec's ``variable_labels`` (``male`` -> "Male sex");
3. overridden by an explicit ``TableFormat(labels=...)`` given to
   :func:`~hccstudy.report.assemble.write_report`.

Labels never change a number: the ``*_numeric.csv`` tables keep the column names. A result
saved before the spec had ``variable_labels`` renders with the data-model labels.

Examples
--------
>>> study_labels(None)["tumour_size_cm"]
'Tumour size, cm'
>>> study_labels(None, {"tumour_size_cm": "Largest tumour, cm"})["tumour_size_cm"]
'Largest tumour, cm'
>>> balance_term_label("bclc_stageC", {"bclc_stage": "BCLC stage"}, binary=True,
...                    covariates=["bclc_stage"])
'BCLC stage: C'
>>> methods_name("Tumour size, cm"), methods_name("BCLC stage"), methods_name("Child-Pugh class")
('tumour size', 'BCLC stage', 'Child-Pugh class')
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

__all__ = ["balance_term_label", "capitalised", "level_text", "methods_name",
           "model_bool_columns", "model_labels", "sentence", "spec_labels", "study_labels",
           "words"]

def capitalised(text: str) -> str:
    """``text`` with its first letter upper-cased, the rest as written ("LCSGJ", "ECOG").

    Examples
    --------
    >>> capitalised("age under 18 years"), capitalised("non-CCRT"), capitalised("")
    ('Age under 18 years', 'Non-CCRT', '')
    """
    return text[:1].upper() + text[1:]


def words(name: str) -> str:
    """An identifier as text: underscores as spaces, first letter capitalised.

    Examples
    --------
    >>> words("first_treatment_type")
    'First treatment type'
    """
    return capitalised(str(name).replace("_", " ").strip())


def sentence(text: str) -> str:
    """``text`` as a sentence: stripped, capitalised, ending with a full stop ("" stays "").

    Examples
    --------
    >>> sentence(" unpenalised logistic regression"), sentence("")
    ('Unpenalised logistic regression.', '')
    """
    t = text.strip()
    if not t:
        return ""
    t = capitalised(t)
    return t if t.endswith(".") else t + "."


_YES_NO = {"True": "Yes", "False": "No"}


def level_text(level: object) -> str:
    """A group or level name as a report prints it: a boolean level (``True``/``False``)
    as "Yes"/"No", anything else as its text (labels come from the spec's value_labels).

    Examples
    --------
    >>> level_text(True), level_text("False"), level_text("CCRT")
    ('Yes', 'No', 'CCRT')
    """
    text = str(level)
    return _YES_NO.get(text, text)


DISTANCE_LABEL = "Propensity score (logit)"
"""Label of the ``distance`` term a balance table adds first (the logit PS)."""


@cache
def _model_labels() -> tuple[tuple[str, str], ...]:
    from hccstudy.validate.schema import column_labels

    return tuple(column_labels().items())


def model_labels() -> dict[str, str]:
    """Column name -> label of the data model (:func:`hccstudy.validate.schema.column_labels`).

    Examples
    --------
    >>> model_labels()["child_pugh_class"]
    'Child-Pugh class'
    """
    return dict(_model_labels())


@cache
def model_bool_columns() -> frozenset[str]:
    """Columns the data model declares boolean (``Column.kind == "bool"``).

    Examples
    --------
    >>> "pvi" in model_bool_columns()
    True
    """
    from hccstudy.validate.schema import TABLES

    return frozenset(c.name for t in TABLES.values() for c in t.columns if c.kind == "bool")


def spec_labels(result: Any) -> dict[str, str]:
    """The ``variable_labels`` of the spec a study result carries ({} when none).

    A result pickled before specs had ``variable_labels`` has none.
    """
    spec = getattr(result, "spec", None)
    try:
        labels = getattr(spec, "variable_labels", None)
    except Exception:  # an old pickled spec without the field
        labels = None
    return {str(k): str(v) for k, v in (labels or {}).items()}


def study_labels(result: Any, explicit: Mapping[str, str] | None = None) -> dict[str, str]:
    """The labels of a report: data model, then the spec's, then ``explicit`` (last wins)."""
    return {**model_labels(), **spec_labels(result), **dict(explicit or {})}


def balance_term_label(term: str, labels: Mapping[str, str], *, binary: bool = True,
                       covariates: Iterable[str] | None = None) -> str:
    """Label of a balance term: a covariate, or a covariate and level (``bclc_stageC``).

    Balance terms name a factor level by appending it to the covariate (R's
    ``model.matrix`` style). A binary term that starts with a covariate (the longest of
    ``covariates``, else of the labelled names) reads ``"<label>: <level>"``; ``distance``
    is the logit propensity score.
    """
    if term in labels:
        return str(labels[term])
    if term == "distance":
        return DISTANCE_LABEL
    if binary:
        names = list(covariates) if covariates is not None else list(labels)
        for name in sorted(names, key=len, reverse=True):
            if term.startswith(name) and len(term) > len(name):
                return f"{labels.get(name, name)}: {term[len(name):]}"
    return term


_UNIT_TAIL = re.compile(r",\s*[^\s,]{1,12}$")


def methods_name(label: str) -> str:
    """A label as it reads inside a sentence: no ``", unit"`` tail, a common word lowered.

    The first word is lower-cased only when it is an ordinary capitalised word
    ("Age", "Tumour"); acronyms and names ("BCLC", "Child-Pugh", "AFP") stay.
    """
    text = _UNIT_TAIL.sub("", label).strip() or label
    first, _, rest = text.partition(" ")
    if len(first) > 1 and first[0].isupper() and first[1:].isalpha() and first[1:].islower():
        first = first.lower()
    return f"{first} {rest}".strip() if rest else first
