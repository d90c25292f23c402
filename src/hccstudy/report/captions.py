"""Manuscript captions of report tables and figures, and endpoint labels.

Analysis and endpoint names are identifiers (``km_os``, ``cox_table2``); a report names
them in words:

* an analysis's caption is its spec ``title`` when given, otherwise a caption written from
  the analysis type, the endpoint label, the grouping and the cohort ("Overall survival by
  treatment group (Kaplan-Meier)", "Univariable and multivariable Cox regression for
  overall survival");
* an endpoint's label is its spec ``label``, otherwise the usual words of its name
  (:func:`hccstudy.design.spec.default_endpoint_label`: ``os`` -> "Overall survival").

The report reads both from the spec the study result carries; a result saved before specs
had ``title`` and ``label`` gets the default captions. Captions are display only.

Examples
--------
>>> import hccstudy
>>> r = hccstudy.run('''
... groups: {column: arm, reference: non-CCRT}
... endpoints: [{name: os, time: os_months, event: death == 1}]
... analyses: [{name: km_os, type: km, endpoint: os},
...            {name: cox_os, type: cox, endpoint: os, title: Hazard ratio for death}]
... ''', hccstudy.datasets.load_demo())
>>> analysis_caption(r, "km_os")
'Overall survival by treatment group (Kaplan-Meier)'
>>> analysis_caption(r, "cox_os")
'Hazard ratio for death'
>>> analysis_caption(r, "km_os", figure=True)
'Kaplan-Meier curves of overall survival by treatment group'
>>> endpoint_label(r, "os")
'Overall survival'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from hccstudy.report.labels import capitalised, methods_name, study_labels, words

__all__ = ["analysis_caption", "analysis_title", "endpoint_label", "phrase", "words"]

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_GROUP = "@group"


def phrase(label: str) -> str:
    """A label as it reads inside a caption or sentence (a common first word lowered).

    Examples
    --------
    >>> phrase("Overall survival"), phrase("PFS"), phrase("Tumour size, cm")
    ('overall survival', 'PFS', 'tumour size')
    >>> phrase("Progression-free survival"), phrase("In-field failure-free survival")
    ('progression-free survival', 'in-field failure-free survival')
    """
    text = methods_name(label)
    first, _, rest = text.partition(" ")
    if re.fullmatch(r"[A-Z][a-z]+(?:-[a-z]+)+", first):
        first = first.lower()
    return f"{first} {rest}".strip() if rest else first


def _and(items: Sequence[str], conj: str = "and") -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {conj} " + items[-1]


def _spec(result: Any) -> Any:
    return getattr(result, "spec", None)


def _analysis(result: Any, name: str) -> Any:
    spec = _spec(result)
    for a in getattr(spec, "analyses", None) or ():
        if getattr(a, "name", None) == name:
            return a
    return None


def _endpoint(spec: Any, name: str | None) -> Any:
    if spec is None or name is None:
        return None
    for e in getattr(spec, "endpoints", None) or ():
        if getattr(e, "name", None) == name:
            return e
    return None


def endpoint_label(result: Any, name: str) -> str:
    """The label of endpoint ``name``: its spec ``label``, else the default words.

    A spec (or a pickled one, saved before endpoints had ``label``) without it gets
    :func:`hccstudy.design.spec.default_endpoint_label`. ``result`` may be a study result
    or a spec.
    """
    from hccstudy.design.spec import default_endpoint_label

    spec = result if hasattr(result, "endpoints") else _spec(result)
    e = _endpoint(spec, name)
    label = getattr(e, "label", None) if e is not None else None
    return str(label) if isinstance(label, str) and label.strip() else \
        default_endpoint_label(str(name))


def analysis_title(result: Any, name: str) -> str | None:
    """The spec ``title`` of analysis ``name`` (None when absent or an old spec)."""
    a = _analysis(result, name)
    title = getattr(a, "title", None) if a is not None else None
    return title if isinstance(title, str) and title.strip() else None


def _label(labels: Mapping[str, str], var: str) -> str:
    lab = labels.get(var)
    return str(lab) if lab else words(var)


def _grouping(result: Any, a: Any, labels: Mapping[str, str], *, none_is_group: bool) -> str:
    """``"treatment group"``, a ``by`` column's label in words, or "" (no grouping)."""
    spec = _spec(result)
    by = getattr(a, "by", None)
    gname = spec.groups.name if spec is not None else None
    if by is None and not none_is_group:
        return ""
    if by in (None, _GROUP, gname):
        if spec is None or getattr(spec.groups, "constant", None) is not None:
            return ""
        n_groups = len(getattr(result, "n_by_group", {}) or {})
        if n_groups == 1:
            return ""
        return phrase(labels[gname]) if gname is not None and gname in labels \
            else "treatment group"
    return phrase(_label(labels, str(by)))


def _cohort(result: Any, a: Any) -> str:
    """``"matched cohort"`` / ``"weighted cohort"`` / ``"all eligible patients"`` or ""."""
    spec = _spec(result)
    method = getattr(getattr(spec, "adjustment", None), "method", "none")
    if method not in ("match", "iptw"):
        return ""
    if getattr(a, "cohort", "auto") == "analysis":
        return "all eligible patients"
    return "matched cohort" if method == "match" else "weighted cohort"


def _times(ts: Sequence[float], units: str) -> str:
    return _and([f"{float(t):g}" for t in ts]) + (f" {units}" if units else "")


def _units(result: Any, endpoint: str | None) -> str:
    e = _endpoint(_spec(result), endpoint)
    return str(getattr(e, "units", "")) if e is not None else ""


def _outcome_text(outcome: str, labels: Mapping[str, str]) -> str:
    if _IDENT.match(outcome):
        return phrase(_label(labels, outcome))
    from hccstudy.report.methods import expression_words

    return expression_words(outcome, labels)


def _default(result: Any, a: Any, res: Any, labels: Mapping[str, str], figure: bool) -> str:
    kind = str(getattr(a, "type", ""))
    ep = getattr(a, "endpoint", None)
    big = endpoint_label(result, ep) if isinstance(ep, str) else ""
    small = phrase(big) if big else ""
    units = _units(result, ep if isinstance(ep, str) else None)
    grp = _grouping(result, a, labels, none_is_group=kind in ("km", "logrank", "cox"))
    groups = getattr(res, "groups", None)
    if kind in ("km", "logrank") and isinstance(groups, Sequence) and len(groups) == 1:
        grp = ""  # one curve (a constant `by` column)
    by = f" by {grp}" if grp else ""
    coh = _cohort(result, a)
    at = f", {coh}" if coh else ""
    if kind == "km":
        if figure:
            return f"Kaplan-Meier curves of {small}{by}{at}"
        return f"{big}{by}{at} (Kaplan-Meier)"
    if kind == "logrank":
        rho = getattr(a, "rho", 0) or 0
        test = "Log-rank test" if not rho else f"G-rho test (rho = {rho:g})"
        return f"{test}: {small}{by}{at}"
    if kind == "cox":
        if getattr(a, "formula", None) is None and grp:
            head = f"Hazard ratio for {small}{by}"
        else:
            terms = len(getattr(res, "terms", ()) or ())
            head = f"{'Multivariable ' if terms > 1 else ''}Cox regression for {small}"
            head = capitalised(head)
        if figure:
            return f"Hazard ratios for {small}{at} (Cox regression)"
        return head + at
    if kind == "cox_models":
        return f"Univariable and multivariable Cox regression for {small}{at}"
    if kind == "logistic_models":
        out = getattr(a, "outcome", "")
        return (f"Univariable and multivariable logistic regression for "
                f"{_outcome_text(str(out), labels)}{at}")
    if kind == "subgroups":
        return f"Hazard ratios for {small} in subgroups{at}" + (" (forest plot)" if figure
                                                                 else "")
    if kind == "table1":
        variables = getattr(a, "variables", None)
        after = getattr(res, "after", None) is not None
        if variables and len(variables) <= 2:
            head = _and([_label(labels, v) for v in variables])
            head = capitalised(head) + by
        elif variables:
            head = "Characteristics" + by
        else:
            head = "Baseline characteristics"
        if after:
            method = getattr(getattr(_spec(result), "adjustment", None), "method", "")
            word = {"match": "matching", "iptw": "weighting"}.get(method, "adjustment")
            return f"{head} before and after {word}"
        return head + at
    if kind == "survival_rates":
        return f"{big}: rates at {_times(getattr(a, 'times', ()), units)}{by}{at}"
    if kind == "followup":
        return f"Median follow-up{by}{at} (reverse Kaplan-Meier)"
    if kind == "milestone":
        return f"{big} at {_times([getattr(a, 'at', 0)], units)}{by}{at}: difference"
    if kind == "rmst":
        return (f"Restricted mean survival time of {small} up to "
                f"{_times([getattr(a, 'tau', 0)], units)}{by}{at}")
    if kind == "landmark":
        return f"{big} from a landmark at {_times([getattr(a, 'at', 0)], units)}{by}{at}"
    if kind == "competing_risks":
        return f"Cumulative incidence of failure types: {small}{by}{at}"
    if kind == "response":
        lab = getattr(a, "label", None)
        return f"Tumour response{f' ({lab})' if lab else ''}{by}{at}"
    if kind == "proportion":
        lab = getattr(a, "label", None)
        text = str(lab) if lab else f"patients with {_outcome_text(getattr(a, 'outcome', ''), labels)}"
        return capitalised(text) + by + at
    if kind == "toxicity":
        return f"Adverse events{by}{at}"
    if kind == "paired":
        pairs = [str(getattr(p, "label", "")) for p in getattr(a, "pairs", ()) or ()]
        return f"Paired comparison of {_and(pairs)}{by}{at}" if 0 < len(pairs) <= 2 else \
            f"Paired comparisons{by}{at}"
    head = words(kind) if kind else "Analysis"
    return f"{head}: {small}{by}{at}" if small else f"{head}{by}{at}"


def analysis_caption(result: Any, name: str, res: Any = None,
                     labels: Mapping[str, str] | None = None, *,
                     figure: bool = False) -> str | None:
    """The caption of analysis ``name`` of a study result (None when the spec lacks it).

    Parameters
    ----------
    result : StudyResult
        Carries the spec (titles, endpoint labels, grouping, cohorts).
    name : str
        The analysis name.
    res : object, optional
        The analysis result (default ``result.outcomes[name]``): a Cox model's number of
        terms, a Table 1 with an after-adjustment block.
    labels : mapping, optional
        Variable labels (default: :func:`~hccstudy.report.labels.study_labels`).
    figure : bool
        The caption of the analysis's figure: the ``title`` when given, else a figure
        caption ("Kaplan-Meier curves of overall survival by treatment group").
    """
    a = _analysis(result, name)
    if a is None:
        return None
    title = analysis_title(result, name)
    if title is not None:
        return title
    if res is None:
        res = (getattr(result, "outcomes", None) or {}).get(name)
    labs = dict(labels) if labels is not None else study_labels(result)
    return _default(result, a, res, labs, figure)
