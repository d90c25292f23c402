"""The methods paragraph and the provenance block of a study report.

:func:`methods_text` writes the statistical-methods section from the StudySpec and the
method notes a run records (``StudyResult.methods``: time origins, censoring, PS model,
matching and caliper scale, SMD denominator, CI transform, ties, tests, and the notes
that analysis types add). :func:`provenance` lists what a reader needs to reproduce the
numbers: the SHA-256 of every input file and of the spec, package versions and seeds.
Neither contains a timestamp; the run time goes to ``provenance.json`` only.

Examples
--------
>>> import hccstudy
>>> r = hccstudy.run('''
... groups: {column: arm, reference: non-CCRT}
... endpoints: [{name: os, time: os_months, event: death == 1}]
... analyses: [{name: km, type: km, endpoint: os}, {name: lr, type: logrank, endpoint: os}]
... ''', hccstudy.datasets.load_demo())
>>> text = methods_text(r)
>>> "Kaplan-Meier" in text and "log-rank" in text and "hccstudy" in text
True
>>> sorted(provenance(r))[:3]
['hccstudy', 'inputs', 'n_analysis']
"""

from __future__ import annotations

import functools
import hashlib
import json
import platform
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from hccstudy.report.labels import methods_name, sentence, study_labels

__all__ = ["PACKAGES", "file_sha256", "methods_paragraphs", "methods_text", "package_versions",
           "provenance", "provenance_text", "spec_sha256"]

_T = TypeVar("_T")

PACKAGES = ("numpy", "scipy", "pandas", "formulaic", "pydantic", "numba", "matplotlib",
            "python-docx", "typer", "rich", "PyYAML")
"""Packages whose versions the provenance block lists."""

# method-note keys rendered in fixed sentences; any other key is listed after them
_KNOWN = ("time_origins", "censoring", "time_units", "eligibility", "groups", "adjustment",
          "ps_model", "matching", "caliper", "weighting", "smd_denominator", "balance",
          "outcome_variance", "ci_transform", "ties", "tests")


def package_versions(packages: Sequence[str] = PACKAGES) -> dict[str, str]:
    """Installed versions of ``packages`` ("not installed" when absent).

    Examples
    --------
    >>> "numpy" in package_versions()
    True
    """
    return {p: _installed_version(p) for p in packages}


@functools.cache
def _installed_version(package: str) -> str:
    # metadata.version scans every sys.path entry (a few ms per package); a report asks
    # for the same packages twice (methods, provenance), and a process never sees a
    # package change version under it
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _version() -> str:
    import hccstudy

    return str(hccstudy.__version__)


def _n(x: float) -> str:
    """A count with thousands separators."""
    return f"{int(x):,}"


def _and(items: Sequence[str], conj: str = "and") -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {conj} " + items[-1]


def _unique(items: Iterable[_T]) -> list[_T]:
    return list(dict.fromkeys(items))


def _pct(level: float) -> str:
    return f"{level * 100:g}%"


def _expr(text: str) -> str:
    """An expression of the spec language in words (lists and notna/isna spelled out)."""
    t = re.sub(r"'([^']*)'", r"\1", text)
    t = re.sub(r"\bnotna\((\w+)\)", r"\1 recorded", t)
    t = re.sub(r"\bisna\((\w+)\)", r"\1 missing", t)
    t = re.sub(r"\[([^\]]*)\]", lambda mo: "(" + ", ".join(
        v.strip().strip("'\"") for v in mo.group(1).split(",")) + ")", t)
    return t.replace(" == ", " = ").replace(" != ", " not equal to ")


Namer = Callable[[str], str]


def _raw(name: str) -> str:
    return name


def _namer(labels: Mapping[str, str]) -> Namer:
    """Variable name -> its label as it reads in a sentence (the name when unlabelled)."""
    def name(var: str) -> str:
        lab = labels.get(var)
        return methods_name(str(lab)) if lab else var
    return name


def expression_words(text: str, labels: Mapping[str, str] | None = None) -> str:
    """An expression in words, its labelled columns named by their labels.

    Examples
    --------
    >>> expression_words("notna(death_date) and age_years >= 70",
    ...                  {"age_years": "Age, years", "death_date": "Date of death"})
    'date of death recorded and age >= 70'
    """
    return _expr_nm(text, _namer(labels or {}))


_FUNCS = frozenset({"and", "or", "not", "in", "recorded", "missing", "date", "days", "year", "abs",
                    "log", "to_date", "True", "False", "true", "false", "None"})


def _expr_nm(text: str, nm: Namer = _raw) -> str:
    """:func:`_expr` with the column names (outside quotes) named by ``nm``."""
    parts = re.split(r"('[^']*'|\"[^\"]*\")", text)
    for i in range(0, len(parts), 2):
        parts[i] = re.sub(r"\bnotna\((\w+)\)", r"\1 recorded", parts[i])
        parts[i] = re.sub(r"\bisna\((\w+)\)", r"\1 missing", parts[i])
        parts[i] = re.sub(r"\b[A-Za-z_][A-Za-z0-9_]*\b",
                          lambda mo: mo.group(0) if mo.group(0) in _FUNCS else nm(mo.group(0)),
                          parts[i])
    return _expr("".join(parts))


def _terms(formula: str, nm: Namer = _raw) -> list[str]:
    """The right-hand-side variables of a formula, in words (``C(x)`` -> ``x``)."""
    rhs = formula.split("~", 1)[-1]
    out = []
    for term in rhs.split("+"):
        t = term.strip()
        parts = []
        for part in t.split(":"):
            mo = re.fullmatch(r"C\((\w+)(?:,.*)?\)", part.strip())
            v = mo.group(1) if mo else part.strip()
            parts.append(nm(v) if v not in ("1", "0") else v)
        out.append(" by ".join(parts))
    return [t for t in out if t and t not in ("1", "0")]


def _analyses_of(spec: Any, *types: str) -> list[Any]:
    return [a for a in (spec.analyses if spec is not None else []) if a.type in types]


def _tests_by_analysis(result: Any) -> dict[str, list[str]]:
    """``methods["tests"]`` split back into the test lines of each analysis."""
    text = result.methods.get("tests", "")
    spec = getattr(result, "spec", None)
    names = sorted({a.name for a in spec.analyses} if spec is not None else set(),
                   key=len, reverse=True)
    out: dict[str, list[str]] = {}
    if not text or not names:
        return out
    pat = re.compile(r"(?:^|; )(" + "|".join(re.escape(n) for n in names) + r"): ")
    hits = list(pat.finditer(text))
    for i, mo in enumerate(hits):
        stop = hits[i + 1].start() if i + 1 < len(hits) else len(text)
        out.setdefault(mo.group(1), []).append(text[mo.end():stop])
    return out


_CAT_TEST = {"chisq": "the chi-square test (without continuity correction)",
             "chisq_yates": "the chi-square test with Yates' continuity correction",
             "fisher": "Fisher's exact test"}
_CONT_TEST = {"wilcoxon": "the Mann-Whitney U (Wilcoxon rank-sum) test",
              "kruskal": "the Kruskal-Wallis test", "welch": "Welch's t-test",
              "student": "Student's t-test", "anova": "one-way analysis of variance"}
_SUMMARY = {"median_iqr": "median (interquartile range)", "median_range": "median (range)",
            "mean_sd": "mean (SD)"}
_CONF = {"log": "log-transformed", "log-log": "log-log-transformed", "plain": "untransformed"}
_VARIANCE = {
    "robust_pair": "a robust (sandwich) variance clustered on {units}",
    "stratified_pair": "stratification by {unit} (conditional on the {units}) and the "
                       "model-based variance",
    "robust": "IPTW weights and a robust (sandwich) variance per patient",
    "naive": "the model-based (inverse information) variance"}
_TEST_NAME = {"wald": "Wald", "lr": "likelihood-ratio", "score": "score (log-rank)"}
_ORDER = {"largest": "largest propensity score first",
          "smallest": "smallest propensity score first",
          "random": "in random order", "data": "in data order"}
# analysis types whose sentences are built here; their notes and test lines are covered
_BESPOKE = {"table1", "km", "logrank", "cox", "survival_rates", "followup", "cox_models",
            "subgroups", "proportion"}
# types whose method note already states the test rule (their test lines are results)
_RULE_IN_NOTE = {"response", "toxicity", "paired", "proportion", "competing_risks"}
# hccstudy.clinical derivation steps in words
_DERIVATIONS = {"vascular": "vascular invasion", "bclc_2022": "BCLC stage (2022 update)",
                "bclc_2010": "BCLC stage (2010)", "tnm": "TNM stage", "dose": "radiation dose "
                "(BED and EQD2)", "ecog": "ECOG performance status", "afp": "AFP",
                "response_mrecist": "mRECIST response", "failure": "failure patterns",
                "child_pugh": "Child-Pugh class", "albi": "ALBI grade"}
_LABEL = {"response": "Tumour response", "toxicity": "Adverse events",
          "paired": "Paired comparisons", "competing_risks": "Competing risks",
          "milestone": "Milestone survival", "rmst": "Restricted mean survival time",
          "landmark": "Landmark analysis", "logistic_models": "Logistic models"}


def _design(result: Any, spec: Any, m: Mapping[str, str], nm: Namer = _raw) -> list[str]:
    out: list[str] = []
    flow = result.flow_frame()
    elig = flow[flow["stage"] == "eligibility"]
    sources = _unique([str(s) for s in elig["source"]])
    firsts = [elig[elig["source"] == s].iloc[0] for s in sources]
    lasts = [elig[elig["source"] == s].iloc[-1] for s in sources]
    if sources and sources != ["all"]:
        ins = [f"{_n(f['n_before'])} {'patients ' if i == 0 else ''}in {s}"
               for i, (f, s) in enumerate(zip(firsts, sources, strict=True))]
        kept = _and([_n(x["n_remaining"]) for x in lasts])
        out.append(f"Of {_and(ins)}, {kept} met the eligibility criteria")
    else:
        out.append(f"Of {_n(result.n_input)} patients, {_n(result.n_analysis)} met the "
                   "eligibility criteria")
    if spec is not None and spec.eligibility:
        reasons = _unique([c.reason for c in spec.eligibility])
        out.append(f"Patients were excluded, in this order, for {'; '.join(reasons)} (each "
                   "patient counted under the first criterion met; Supplementary Table S1)")
        kept_unknown = elig[(elig["on_missing"] == "keep") & (elig["n_unknown"] > 0)]
        dropped_unknown = elig[(elig["on_missing"] == "exclude") & (elig["n_unknown"] > 0)]
        for frame, verb in ((kept_unknown, "kept"), (dropped_unknown, "excluded")):
            if len(frame):
                parts = []
                for src in _unique([str(x) for x in frame["source"]]):
                    sub = frame[frame["source"] == src]
                    parts.append(("" if src == "all" else f"in {src}, ") + _and(
                        [f"{_n(r['n_unknown'])} for {r['reason']}" for _, r in sub.iterrows()]))
                out.append(f"Patients not assessable for a criterion (missing values) were "
                           f"{verb} ({'; '.join(parts)})")
    elif "eligibility" in m:
        out.append("No eligibility criteria were applied")
    groups = spec.groups if spec is not None else None
    sizes = [f"{g} (n = {_n(k)})" for g, k in result.n_by_group.items()]
    if groups is not None and groups.constant is not None:
        out.append(f"All patients formed one cohort ({groups.constant})")
    elif (groups is not None and groups.expression is not None and groups.labels
          and {"true", "false"} <= set(groups.labels)):
        yes, no = groups.labels["true"], groups.labels["false"]
        nb = result.n_by_group
        out.append(f"Patients with {_expr_nm(groups.expression, nm)} formed the {yes} group"
                   + (f" (n = {_n(nb[yes])})" if yes in nb else "")
                   + f" and the others the {no} group"
                   + (f" (n = {_n(nb[no])})" if no in nb else "")
                   + f"; {groups.reference} was the reference")
    elif groups is not None and sizes:
        how = (f"by {nm(groups.column)}" if groups.column is not None
               else f"by {_expr_nm(groups.expression or '', nm)}")
        out.append(f"Patients were grouped {how} into {_and(sizes)}; {groups.reference} "
                   "was the reference")
    matched = flow[flow["stage"] == "matching"]
    if len(matched):
        parts = [f"{_n(r['n_remaining'])} of {_n(r['n_before'])} {str(r['source'])[6:]}"
                 for _, r in matched.iterrows()]
        out.append(f"Matching retained {_and(parts)} patients")
    derived = [d.split(":")[0] for d in result.derivations if d.endswith(": derived")]
    if derived:
        out.append("Clinical variables were derived with hccstudy.clinical ("
                   + _and([_DERIVATIONS.get(d.strip(), d.strip().replace("_", " "))
                           for d in derived]) + ")")
    return out


def _endpoint_sentences(spec: Any, m: Mapping[str, str], nm: Namer = _raw) -> list[str]:
    from hccstudy.report.captions import endpoint_label, phrase

    def en(e: Any) -> str:
        return phrase(endpoint_label(spec, e.name))

    if spec is None:
        return [f"{k.replace('_', ' ').capitalize()}: {m[k]}"
                for k in ("time_origins", "censoring", "time_units") if k in m]
    out: list[str] = []
    dated = [e for e in spec.endpoints if e.time is None]
    timed = [e for e in spec.endpoints if e.time is not None]
    descr = []
    for e in dated:
        if isinstance(e.origin, dict):
            cols = _unique(list(e.origin.values()))
            origin = (nm(cols[0]) + (" in every group" if len(e.origin) > 1 else "")
                      if len(cols) == 1 else
                      _and([f"{nm(v)} ({k})" for k, v in e.origin.items()]))
        else:
            origin = nm(str(e.origin))
        if e.event is not None and not e.event_date:
            # no event date: run() dates the events at the last follow-up
            ev = (f"the event defined as {_expr_nm(e.event, nm)}, dated at last follow-up"
                  + ("" if "follow-up" in nm(str(e.last_followup))
                     else f" ({nm(str(e.last_followup))})")
                  + " as no event date was recorded")
        elif e.event is not None:
            ev = f"the event defined as {_expr_nm(e.event, nm)}"
        elif isinstance(e.event_date, list):
            ev = f"the earliest of {_and([nm(x) for x in e.event_date], 'or')}"
        else:
            ev = nm(str(e.event_date))
        descr.append((en(e), origin, ev))
    if descr:
        origins = _unique([o for _, o, _ in descr])
        if len(origins) == 1 and len(descr) > 1:
            out.append(f"Time to each endpoint was measured from {origins[0]} to the event: "
                       + "; ".join(f"{n}, {ev}" for n, _, ev in descr))
        else:
            out.append("; ".join(f"{n} was measured from {o} to {ev}"
                                 for n, o, ev in descr))
        fus = _unique([(e.last_followup, e.admin_censor_date) for e in dated])
        for lf, admin in fus:
            names = [en(e) for e in dated if (e.last_followup, e.admin_censor_date)
                     == (lf, admin)]
            who = "" if len(fus) == 1 else f" for {_and(names)}"
            lf_name = nm(str(lf))
            out.append("patients without the event were censored at last follow-up"
                       + ("" if "follow-up" in lf_name else f" ({lf_name})")
                       + (f" or administratively on {admin}, whichever came first"
                          if admin else "") + who)
        out[-1 - len(fus):] = ["; ".join(out[-1 - len(fus):])]
    for e in timed:
        conv = f", converted to {e.units}" if e.units != e.time_unit else ""
        out.append(f"for {en(e)}, the recorded time {nm(e.time)} (in {e.time_unit}{conv}) was "
                   f"used, with the event defined as {_expr_nm(e.event or '', nm)}")
    units = _unique([e.units for e in spec.endpoints])
    if units and "time_units" in m:
        out.append(f"Times are reported in {_and(units)} "
                   f"({m['time_units'].replace('; ', ', ')})")
    return out


def _ps_sentences(result: Any, spec: Any, m: Mapping[str, str],
                  nm: Namer = _raw) -> list[str]:
    out: list[str] = []
    ps, mt, w = result.propensity, result.matching, result.weighting
    adj = spec.adjustment if spec is not None else None
    if ps is not None:
        pen = ("Firth-penalised logistic regression" if ps.method == "firth"
               else "logistic regression (maximum likelihood)")
        if ps.method == "firth" and adj is not None and adj.ps_method != "firth":
            pen += " (penalty used because of separation)"
        missing = {"raise": "complete covariates were required (a missing value stops the "
                            "analysis)",
                   "complete_case": "patients with a missing covariate were left out of the "
                                    "model (complete cases)",
                   "indicator": "missing covariate values were handled with missing-value "
                                "indicators"}.get(ps.missing_rule, str(ps.missing_rule))
        treated = groups_treated(spec, list(result.n_by_group))
        out.append(f"The propensity score{treated} was estimated by {pen}, fitted by "
                   f"IRLS, on {_and(_terms(ps.formula, nm))}; {missing}")
    elif "ps_model" in m:
        out.append(f"The propensity score was estimated by {m['ps_model']}")
    if mt is not None:
        kind = ("nearest-neighbour" if mt.method == "nearest" else "optimal pair")
        cal = ("no caliper" if mt.caliper is None else
               f"a caliper of {mt.caliper:g} {mt.caliper_scale} (absolute width "
               f"{mt.caliper_abs:.3g})" if "absolute" not in str(mt.caliper_scale) else
               f"a caliper of {mt.caliper:g} on the {mt.distance}")
        order = _ORDER.get(mt.m_order, f"in {mt.m_order} order")
        if mt.m_order == "random" and getattr(mt, "seed", None) is not None:
            order += f" (seed {mt.seed})"
        exact = (f"exact matching on {_and([nm(x) for x in mt.exact])} and "
                 if mt.exact else "")
        out.append(f"Patients were matched 1:{mt.ratio} ({kind}, "
                   f"{'with' if mt.replace else 'without'} replacement, {order}) on the "
                   f"{mt.distance}, with {exact}{cal}")
    elif "matching" in m:
        out.append(f"Matching: {m['matching']}" + (f"; caliper {m['caliper']}"
                                                   if "caliper" in m else ""))
    if w is not None:
        trunc = (f", truncated at the {_and([f'{x:g}' for x in w.truncation])} percentiles"
                 if w.truncation else "")
        out.append(f"Inverse probability of treatment weights for the {w.estimand} were "
                   f"{'stabilised' if w.stabilised else 'unstabilised'}{trunc}")
    elif "weighting" in m:
        out.append(f"Weighting: {m['weighting']}")
    if "smd_denominator" in m and adj is not None:
        den = ("the pooled SD, sqrt((s1^2 + s0^2) / 2), before adjustment"
               if adj.smd_denominator == "pooled" else
               f"SD of the {adj.smd_denominator} group before adjustment, as MatchIt")
        out.append("Balance was assessed by standardised mean differences (SMDs; "
                   f"denominator: {den})")
    if "balance" in m:
        out.append("Balance was computed on " + m["balance"].removeprefix("balance on ")
                   .replace("rows with complete PS covariates",
                            "patients with complete propensity score covariates"))
    if "outcome_variance" in m and m.get("adjustment", "none") != "none":
        if adj is not None:
            units = _matched_units(result)
            out.append("Cox models after adjustment used "
                       + _VARIANCE[adj.variance].format(units=units, unit=units[:-1]))
        else:
            out.append(f"Outcome models on the adjusted cohort: {m['outcome_variance']}")
    return out


def _matched_units(result: Any) -> str:
    """"matched pairs" (1:1 matching) or "matched sets"."""
    return ("matched pairs" if getattr(getattr(result, "matching", None), "ratio", None) == 1
            else "matched sets")


def plain_terms(text: str, result: Any = None, nm: Namer = _raw) -> str:
    """Internal columns of the analysis frame named in words.

    The run's notes name the cluster and strata of outcome models by the columns of the
    analysis frame (``match_set``, ``_row``) and weights by theirs (``match_weight``,
    ``iptw_weight``); a Methods text says what they are.

    Examples
    --------
    >>> plain_terms("HRs; robust variance (cluster match_set); Cox (cluster _row)")
    'HRs; robust (sandwich) variance clustered on matched sets; Cox (robust (sandwich) variance per patient)'
    >>> plain_terms("stratified by match_set, weights match_weight")
    'stratified by matched set, weights matching weights'
    """
    units = _matched_units(result)
    unit = units[:-1]
    text = re.sub(r"(?:cluster-)?robust variance \(cluster match_set\)",
                  f"robust (sandwich) variance clustered on {units}", text)
    text = re.sub(r"(?:cluster-)?robust variance \(cluster _row\)",
                  "robust (sandwich) variance per patient", text)
    text = re.sub(r"(?:cluster-)?robust variance \(cluster ([\w.]+)\)",
                  lambda mo: f"robust (sandwich) variance clustered on {nm(mo.group(1))}", text)
    text = text.replace("(cluster match_set)", f"(robust (sandwich) variance clustered on "
                                                f"{units})")
    text = text.replace("(cluster _row)", "(robust (sandwich) variance per patient)")
    text = re.sub(r"\(strata \[?'?match_set'?\]?\)", f"(stratified by {unit})", text)
    for pat, words in ((r"\bmatch_set\b", unit), (r"\bmatch_weight\b", "matching weights"),
                       (r"\biptw_weight\b", "IPTW weights"), (r"(?<![\w.])_treated\b", "treatment"),
                       (r"(?<![\w.])_row\b", "patient")):
        text = re.sub(pat, words, text)
    return text


def groups_treated(spec: Any, levels: Sequence[str]) -> str:
    """`` for <treated> (vs <reference>)`` with two groups, else ``""``."""
    if spec is None or len(levels) != 2:
        return ""
    ref = spec.groups.reference
    other = [lv for lv in levels if lv != ref]
    return f" for {other[0]} (vs {ref})" if len(other) == 1 else ""


def _on(adjusted: Sequence[bool], names: Sequence[str], where: str = "matched") -> str:
    """`` in the matched cohort`` when all, ``(in the matched cohort for x)`` when some."""
    if adjusted and all(adjusted):
        return f" in the {where} cohort"
    some = [n for n, a in zip(names, adjusted, strict=True) if a]
    return f" (in the {where} cohort for {_and(some)})" if some else ""


def _stats(result: Any, spec: Any, m: Mapping[str, str], nm: Namer = _raw,
           rn: Namer = _raw) -> list[str]:
    out: list[str] = []
    n_levels = len(result.n_by_group)
    adjusted_word = "matched" if result.matching is not None else "weighted"
    tests_by = _tests_by_analysis(result)

    # baseline characteristics
    t1 = _analyses_of(spec, "table1")
    if t1:
        summ = _unique([_SUMMARY.get(a.continuous, a.continuous) for a in t1])
        s = "Baseline characteristics were " + (
            "compared" if n_levels >= 2 else
            f"summarised (continuous variables as {_and(summ, 'or')})")
        if n_levels >= 2:
            auto = "kruskal" if n_levels > 2 else "wilcoxon"
            cats: dict[str, list[str]] = {}
            conts: dict[str, list[str]] = {}
            for a in t1:
                res = result.outcomes.get(a.name)
                opts = getattr(getattr(res, "before", None), "options", {}) or {}
                if a.categorical_test == "chisq_or_fisher":
                    cat = ("the chi-square test or Fisher's exact test (expected count < "
                           f"{opts.get('min_expected', 5):g})")
                else:
                    cat = _CAT_TEST[a.categorical_test]
                cont = _CONT_TEST[auto if a.continuous_test == "auto" else a.continuous_test]
                cats.setdefault(cat, []).append(rn(a.name))
                conts.setdefault(cont, []).append(rn(a.name))

            def alts(d: dict[str, list[str]]) -> str:
                if len(d) == 1:
                    return next(iter(d))
                return _and([f"{k} ({_and(v)})" for k, v in d.items()], "or")
            s += (f" with {alts(cats)} for categorical variables and {alts(conts)} for "
                  "continuous variables")
        dens = _unique([str(getattr(getattr(result.outcomes.get(a.name), "before", None),
                                    "smd_denominator", "")) for a in t1])
        dens = [d for d in dens if d]
        if dens:
            txt = _and([("the pooled SD, " + d.replace(", s^2", ", with s^2")
                         .replace("for levels", "for each category")) if d.startswith("sqrt")
                        else f"the {d}" for d in dens], "or")
            s += (f"; {'SMDs' if 'smd_denominator' in m else 'standardised mean differences'}"
                  f" in these tables used {txt}")
        out.append(s)

    # Kaplan-Meier and log-rank
    km = _analyses_of(spec, "km")
    lr = _analyses_of(spec, "logrank")
    if km or "ci_transform" in m:
        if km:
            conf = _and(_unique([f"{_CONF[a.conf_type]} pointwise {_pct(a.conf_level)}"
                                 for a in km]), "or")
            s = f"Survival was estimated with the Kaplan-Meier method with {conf} confidence " \
                "intervals (CIs; Greenwood variance"
            s += ("; infinitesimal jackknife with weights)" if "jackknife" in
                  m.get("ci_transform", "") else ")")
        else:
            s = f"Survival was estimated with the Kaplan-Meier method ({m['ci_transform']})"
        out.append(s)
    if lr:
        rhos = _unique([a.rho for a in lr])
        test = ("the log-rank test" if rhos == [0] else
                "the G-rho family test (" + _and([f"rho = {r:g}" for r in rhos], "or")
                + "; rho = 0 is the log-rank test)")
        on = _on(["on the matched cohort" in " ".join(tests_by.get(a.name, []))
                  for a in lr], [rn(a.name) for a in lr], adjusted_word)
        if km or "ci_transform" in m:
            out[-1] += f" and compared with {test}{on}"
        else:
            out.append(f"Survival was compared with {test}{on}")
    rates = _analyses_of(spec, "survival_rates")
    if rates:
        conf = _and(_unique([f"{_CONF[a.conf_type]} {_pct(a.conf_level)}" for a in rates]),
                    "or")
        s = f"Fixed-time survival rates ({conf} CIs)"
        if any(a.name in tests_by for a in rates):
            s += (" were compared with the reference level by a z-test (Greenwood standard "
                  "errors)")
        else:
            s += " were reported"
        out.append(s + _on([is_adj_note(m, "survival_rates", a.name) for a in rates],
                           [rn(a.name) for a in rates], adjusted_word))
    fu = _analyses_of(spec, "followup")
    if fu:
        out.append("Median follow-up was estimated by the reverse Kaplan-Meier method "
                   "(censoring as the event)"
                   + _on([is_adj_note(m, "followup", a.name) for a in fu],
                         [rn(a.name) for a in fu], adjusted_word))
    if any(is_adj_note(m, k, a.name) for k in ("survival_rates", "followup")
           for a in rates + fu):
        out[-1] += ", without using the matched sets in the variances"

    # Cox models
    cox = _analyses_of(spec, "cox")
    cox_all = _analyses_of(spec, "cox", "cox_models", "subgroups")
    if cox_all or "ties" in m:
        ties = (_unique([a.ties.capitalize() for a in cox_all])
                or [m["ties"].split(": ")[-1].capitalize()])
        levels = _unique([_pct(a.conf_level) for a in cox]) or ["95%"]
        s = (f"Hazard ratios were estimated with Cox proportional hazards models "
             f"({_and(ties, 'or')} ties; Wald {_and(levels, 'or')} CIs"
             + ("; Wald, likelihood-ratio and score tests)" if cox else ")"))
        if cox:
            strata = _unique([x for a in cox for x in a.strata])
            if strata:
                s += f", stratified by {_and([nm(x) for x in strata])}"
        out.append(s)
    for kind, what in (("cox_models", "Cox"), ("logistic_models", "logistic")):
        groups: dict[str, list[str]] = {}
        for a in _analyses_of(spec, kind):
            groups.setdefault(_model_building(a, what, m.get(f"{kind}:{a.name}", ""),
                                              adjusted_word, nm), []).append(rn(a.name))
        for txt, names in groups.items():
            out.append(txt + (f" ({_and(names)})" if len(groups) > 1 else ""))
        for a in _analyses_of(spec, kind):
            mo = re.search(r"\((\d+) row\(s\) with missing values left out",
                           m.get(f"{kind}:{a.name}", ""))
            if mo:
                out.append(f"In {rn(a.name)}, {_n(int(mo.group(1)))} patients with missing values "
                           "were left out of the multivariable model")
    sg = _analyses_of(spec, "subgroups")
    if sg:
        variables = _unique([v for a in sg for v in a.variables])
        cuts = _unique([f"{nm(k)} at {_and([f'{c:g}' for c in cs])}" for a in sg
                        for k, cs in a.cuts.items()])
        adj_for = _unique([v for a in sg for v in a.adjust_for])
        inter = _unique(["likelihood-ratio test of treatment + variable against treatment "
                         "x variable" if a.interaction_test == "lr" else
                         "Wald test of the treatment x variable terms" for a in sg])
        vs = groups_treated(spec, list(result.n_by_group)).removeprefix(" for ").replace(" (vs", " vs").rstrip(")")
        s = (f"Subgroup hazard ratios{' (' + vs + ')' if vs else ''} were estimated "
             f"within each level of {_and([nm(v) for v in variables])}")
        if cuts:
            s += f" (cut-offs: {'; '.join(cuts)})"
        if adj_for:
            s += f", adjusted for {_and([nm(v) for v in adj_for])}"
        s += (f"; interaction by the {_and(inter, 'or')} (df = levels - 1); levels where "
              "a group had no patients or events were not estimable")
        s += _on([is_adj_note(m, "subgroups", a.name) for a in sg], [rn(a.name) for a in sg],
                 adjusted_word)
        notes = _unique([x for a in sg for x in ("robust variance", "ignores clustering",
                                                  "stratified by")
                         if x in m.get(f"subgroups:{a.name}", "")])
        if notes:
            extra = [mo.group(0) for a in sg for mo in re.finditer(
                r"(robust variance \(cluster \w+\)|the likelihood-ratio interaction test is "
                r"model-based \(ignores clustering\)|stratified by [\w, ]+)",
                m.get(f"subgroups:{a.name}", ""))]
            s += "; " + "; ".join(_unique([plain_terms(x, result, nm) for x in extra]))
        out.append(s)

    # proportions
    props = _analyses_of(spec, "proportion")
    if props:
        bodies: dict[str, list[str]] = {}
        unknown: list[str] = []
        for a in props:
            note = m.get(f"proportion:{a.name}", "")
            head, sep, body = note.partition(": proportion with ")
            body = "proportion with " + body if sep else note
            mo = re.search(r"; (\d+) patient\(s\) with an unknown outcome excluded", body)
            if mo:
                unknown.append(f"{_n(int(mo.group(1)))} for {head or rn(a.name)}")
                body = body[:mo.start()] + body[mo.end():]
            bodies.setdefault(body, []).append(rn(a.name))
        for body, names in bodies.items():
            body = body.replace("proportion with 95% CI exact Clopper-Pearson (R binom.test)",
                                "exact Clopper-Pearson 95% confidence intervals (R binom.test)")
            body = body.removeprefix("proportion with ")
            out.append(f"Proportions are reported with {body}"
                       + (f" ({_and(names)})" if len(bodies) > 1 else ""))
        if unknown:
            out.append("Patients with an unknown outcome were excluded from a proportion ("
                       + _and(unknown) + ")")

    # every other analysis type: its note, once per distinct text
    kinds = _unique([a.type for a in (spec.analyses if spec is not None else [])
                     if a.type not in _BESPOKE])
    labels: dict[str, list[str]] = {}
    for kind in kinds:
        texts: dict[str, list[str]] = {}
        for a in _analyses_of(spec, kind):
            note = m.get(f"{kind}:{a.name}", "")
            if not note:
                continue
            ep = getattr(a, "endpoint", None)
            if ep and note.startswith(f"{ep}: "):
                note = note[len(ep) + 2:]
            label = getattr(a, "label", None)
            if label and note.endswith(f" ({label})"):
                note = note[:-len(label) - 3]
                labels.setdefault(kind, []).append(label)
            texts.setdefault(note.strip().rstrip("."), []).append(rn(a.name))
        lead = _LABEL.get(kind, kind.replace("_", " ").capitalize())
        if kind in labels:
            lead += f" ({_and(_unique(labels[kind]))})"
        heads = _unique([re.match(r"^([A-Z][^:;()]{0,60}): ", t).group(1)  # type: ignore
                         if re.match(r"^[A-Z][^:;()]{0,60}: ", t) else lead for t in texts])
        if len(heads) == 1:
            parts = [t.removeprefix(f"{heads[0]}: ") + (f" ({_and(n)})" if len(texts) > 1
                                                         else "") for t, n in texts.items()]
            if parts and len(texts) == 1 and parts[0].lower().startswith(heads[0].lower()):
                out.append(parts[0])
            elif parts:
                out.append(f"{heads[0]}: " + "; ".join(parts))
        else:
            for note, names in texts.items():
                own = re.match(r"^[A-Z][^:;()]{0,60}: ", note) or note.lower().startswith(
                    _LABEL.get(kind, kind).lower())
                out.append((note if own else f"{lead}: {note}")
                           + (f" ({_and(names)})" if len(texts) > 1 else ""))
        if kind not in _RULE_IN_NOTE:
            lines = _unique([t for a in _analyses_of(spec, kind)
                             for t in tests_by.get(a.name, [])])
            if lines:
                out.append(f"{_LABEL.get(kind, kind.replace('_', ' ').capitalize())} "
                           f"tests: {'; '.join(lines)}")

    # analyses restricted by a where filter
    wh = []
    for k, v in m.items():
        if not k.startswith("where:"):
            continue
        mo = re.fullmatch(r"(.+?): restricted to (.+) \((\d+) of (\d+) rows"
                          r"(?:; (\d+) with unknown values left out)?\)", v)
        if mo is None:
            wh.append(v)
            continue
        name, expr, k1, k2, unk = mo.groups()
        wh.append(f"{rn(name)} to patients with {_expr_nm(expr, nm)} ({_n(int(k1))} of {_n(int(k2))}"
                  + (f"; {_n(int(unk))} with unknown values left out" if unk else "") + ")")
    if wh:
        out.append("Analyses were restricted as follows: " + "; ".join(wh))

    if spec is None and "tests" in m:
        out.append(f"Tests: {m['tests']}")
    # notes of keys this module does not know: listed, never dropped
    for k, v in m.items():
        head, _, which = k.partition(":")
        if k in _KNOWN or head == "where" or (
                which and spec is not None and head in {a.type for a in spec.analyses}):
            continue
        label = head.replace("_", " ").strip().capitalize()
        out.append(f"{label} ({which.strip()}): {v}" if which else f"{label}: {v}")
    out.append("All p-values are two-sided")
    return out


def is_adj_note(m: Mapping[str, str], kind: str, name: str) -> bool:
    """Whether the note of analysis ``name`` says it ran on the adjusted cohort."""
    note = m.get(f"{kind}:{name}", "")
    return "on the adjusted" in note or "On the adjusted" in note


def _model_building(a: Any, what: str, note: str, adjusted_word: str,
                    nm: Namer = _raw) -> str:
    uni = _TEST_NAME[a.univariate_test]
    if a.entry == "univariate_p":
        s = (f"Variables with p < {a.entry_p:g} in univariable {what} analysis ({uni} test) "
             f"entered the multivariable model")
    else:
        s = (f"All candidate variables entered the multivariable {what} model (univariable "
             f"{uni} tests)")
    if a.selection == "none" or "no selection" in note:
        s += ", without further selection"
    elif a.criterion == "aic":
        s += ", followed by backward elimination while the AIC decreased"
    else:
        s += (f", followed by backward elimination at {_TEST_NAME[a.criterion]} "
              f"p > {a.p_remove:g} (largest p first; factors as blocks)")
    if a.force:
        s += f"; {_and([nm(v) for v in a.force])} were always kept"
    s += "; each step used complete cases"
    mo_cl = re.search(r"robust variance \(cluster [\w.]+\)", note)
    if mo_cl:
        s += "; " + plain_terms(mo_cl.group(0), None, nm).replace(" matched sets",
                                                                  " the matched sets")
    if "model-based (ignore the clustering)" in note:
        s += "; likelihood-ratio and score tests are model-based (ignore the clustering)"
    if "stratified by" in note:
        s += "; " + re.search(r"stratified by [\w, ]+", note).group(0)  # type: ignore[union-attr]
    mo = re.search(r"; outcome (?:= )?(.+?)(?: \(\d+ row|; unpenalised|$)", note)
    if what == "logistic" and mo:
        s += f"; outcome {_expr_nm(mo.group(1).strip(chr(39)), nm)}"
    if what == "logistic":
        s += "; unpenalised logistic regression with Wald confidence intervals"
    if "on the adjusted cohort" in note:
        s += f", in the {adjusted_word} cohort"
    return s


def methods_paragraphs(result: Any, labels: Mapping[str, str] | None = None,
                       refs: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """``(heading, paragraph)`` pairs of the methods section, in manuscript order.

    The paragraphs are prose built from the spec, the result objects and the recorded
    method notes, grouped by method: "Study design and eligibility", "Endpoints",
    "Propensity score adjustment" (with an adjustment), "Statistical analysis" and
    "Software". A note this module does not know is still listed in "Statistical analysis".
    Variables (propensity covariates, matching, strata, subgroups, model-building, endpoint
    dates) are named by their labels (the data model's, overridden by the spec's
    ``variable_labels``, overridden by ``labels``), without a unit and with a common first word in lower case
    (:func:`hccstudy.report.labels.methods_name`). Endpoints are named by their labels
    ("Overall survival was measured from ..."); where the text points at analyses it names
    them by ``refs`` (analysis name -> "Table 2"; default :func:`table_refs`, the numbers
    of the report), else by their captions, never by their names.

    Examples
    --------
    >>> import hccstudy
    >>> r = hccstudy.run('''
    ... groups: {column: arm, reference: non-CCRT}
    ... endpoints: [{name: os, time: os_months, event: death == 1}]
    ... analyses: [{name: cox, type: cox, endpoint: os}]
    ... ''', hccstudy.datasets.load_demo())
    >>> [h for h, _ in methods_paragraphs(r)]  # doctest: +NORMALIZE_WHITESPACE
    ['Study design and eligibility', 'Endpoints', 'Statistical analysis', 'Software']
    >>> "Efron ties" in dict(methods_paragraphs(r))["Statistical analysis"]
    True
    """
    spec = getattr(result, "spec", None)
    m: Mapping[str, str] = result.methods
    labs = study_labels(result, labels)
    nm = _namer(labs)
    rn = _ref_namer(result, table_refs(result) if refs is None else refs, labs)
    paras: list[tuple[str, str]] = []
    paras.append(("Study design and eligibility",
                  " ".join(sentence(s) for s in _design(result, spec, m, nm))))
    ep = _endpoint_sentences(spec, m, nm)
    if ep:
        paras.append(("Endpoints", " ".join(sentence(s) for s in ep)))
    adj = _ps_sentences(result, spec, m, nm)
    if adj:
        paras.append(("Propensity score adjustment", " ".join(sentence(s) for s in adj)))
    paras.append(("Statistical analysis",
                  " ".join(sentence(s) for s in _stats(result, spec, m, nm, rn))))
    # no column of the analysis frame (match_set, _row, the weights) is named in the text
    paras = [(h, plain_terms(p, result, nm)) for h, p in paras]
    ver = package_versions(("numpy", "scipy", "pandas", "formulaic"))
    paras.append(("Software", sentence(
        f"Analyses were performed with hccstudy {_version()} in Python "
        f"{platform.python_version()} (numpy {ver['numpy']}, scipy {ver['scipy']}, pandas "
        f"{ver['pandas']} and formulaic {ver['formulaic']}); survival estimates follow the "
        "conventions of R's survival package")))
    return paras


def _ref_namer(result: Any, refs: Mapping[str, str] | None,
               labels: Mapping[str, str]) -> Namer:
    """Analysis name -> how the Methods point at it: ``refs`` (a table number), else its
    caption with a common first word lowered (the name only without a spec)."""
    from hccstudy.report.captions import analysis_caption

    def ref(name: str) -> str:
        if refs and name in refs:
            return str(refs[name])
        cap = analysis_caption(result, name, labels=labels)
        if cap is None:
            return name
        first, _, rest = cap.partition(" ")
        if re.fullmatch(r"[A-Z][a-z]+(?:-[a-z]+)*", first):
            first = first.lower()
        return f"{first} {rest}".strip()
    return ref


def table_refs(result: Any) -> dict[str, str]:
    """Analysis name -> its table number in the report ("Table 2", "Table S1").

    The numbering of :func:`hccstudy.report.assemble.report_document`: the first table of
    each analysis; an analysis without a table is left out.
    """
    try:
        from hccstudy.report.assemble import _numbered
        from hccstudy.report.tables import study_tables

        tables = _numbered(study_tables(result))
    except Exception:  # a result the tables cannot render: the captions name it
        return {}
    out: dict[str, str] = {}
    outcomes = getattr(result, "outcomes", {}) or {}
    for t in tables:
        mo = re.match(r"^(Table S?\d+)\.", t.title)
        if mo and t.key in outcomes:
            out.setdefault(t.key, mo.group(1))
    return out


def methods_text(result: Any, labels: Mapping[str, str] | None = None) -> str:
    """The methods section as plain text: one paragraph per topic, headings in bold-less
    ``Heading. text`` form (``labels`` as in :func:`methods_paragraphs`)."""
    return "\n\n".join(f"{h}. {p}" for h, p in methods_paragraphs(result, labels))


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes (hex).

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile(delete=False) as f:
    ...     _ = f.write(b"abc")
    >>> file_sha256(f.name)[:12]
    'ba7816bf8f01'
    >>> os.unlink(f.name)
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def spec_sha256(spec: Any) -> str:
    """SHA-256 of the spec's canonical JSON (sorted keys): equal specs, equal hash."""
    data = spec.model_dump(mode="json", warnings=False)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _inputs(spec: Any) -> list[dict[str, Any]]:
    if spec is None:
        return []
    base = Path(spec._base) if getattr(spec, "_base", None) else None
    files: list[tuple[str, str | None]] = []
    ds = spec.data
    if ds.path is not None:
        files.append(("data", ds.path))
        if ds.mapping:
            files.append(("mapping", ds.mapping))
    for s in ds.sources:
        files.append((s.name, s.path))
        if s.mapping:
            files.append((f"{s.name} mapping", s.mapping))
    out: list[dict[str, Any]] = []
    for name, rel in files:
        if rel is None:
            continue
        p = Path(rel)
        full = p if p.is_absolute() or base is None else base / p
        entry: dict[str, Any] = {"name": name, "file": p.name}
        if full.is_file():
            entry["sha256"] = file_sha256(full)
            entry["bytes"] = full.stat().st_size
        else:
            entry["sha256"] = None
            entry["note"] = "file not found when the report was written"
        out.append(entry)
    if ds.registry is not None:
        out.append({"name": "registry", "study": ds.registry.study,
                    "note": "registry extract (URL not recorded)"})
    if not out:
        out.append({"name": "data", "note": "passed in memory to hccstudy.run (no file to hash)"})
    return out


def _seeds(result: Any) -> dict[str, Any]:
    seeds: dict[str, Any] = {}
    spec = getattr(result, "spec", None)
    if spec is not None and spec.adjustment.method == "match":
        seeds["matching"] = spec.adjustment.match.seed
    for name, res in result.outcomes.items():
        for t in (getattr(res, "before", None), getattr(res, "after", None), res):
            opts = getattr(t, "options", None)
            if isinstance(opts, Mapping) and "fisher_seed" in opts:
                seeds[f"{name}: Fisher Monte Carlo"] = opts["fisher_seed"]
                break
        s = getattr(res, "seed", None)
        if isinstance(s, int):
            seeds[name] = s
    return seeds


def provenance(result: Any, *, spec_file: str | Path | None = None,
               extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Inputs, spec hash, versions and seeds of a study result (no timestamp).

    Parameters
    ----------
    result : StudyResult
    spec_file : path, optional
        The YAML file the spec was read from (its SHA-256 is recorded too).
    extra : mapping, optional
        Added as is (e.g. ``{"run_time_utc": ...}`` for provenance.json).
    """
    spec = getattr(result, "spec", None)
    out: dict[str, Any] = {
        "hccstudy": _version(),
        "python": platform.python_version(),
        "packages": package_versions(),
        "spec_sha256": spec_sha256(spec) if spec is not None else None,
        "inputs": _inputs(spec),
        "seeds": _seeds(result),
        "n_input": result.n_input,
        "n_analysis": result.n_analysis,
    }
    if spec_file is not None:
        out["spec_file"] = {"file": Path(spec_file).name, "sha256": file_sha256(spec_file)}
    if extra:
        out.update(extra)
    return out


def provenance_text(prov: Mapping[str, Any]) -> str:
    """The provenance block as aligned ``key: value`` lines (for the report)."""
    lines = [f"hccstudy {prov['hccstudy']}, Python {prov['python']}"]
    lines.append("packages: " + ", ".join(f"{k} {v}" for k, v in prov["packages"].items()))
    if prov.get("spec_sha256"):
        lines.append(f"spec (canonical JSON) SHA-256: {prov['spec_sha256']}")
    if prov.get("spec_file"):
        lines.append(f"spec file {prov['spec_file']['file']} SHA-256: "
                     f"{prov['spec_file']['sha256']}")
    for e in prov.get("inputs", []):
        if "sha256" in e:
            lines.append(f"input {e['name']} ({e['file']}) SHA-256: {e['sha256']}"
                         + (f", {e['bytes']} bytes" if "bytes" in e else ""))
        else:
            lines.append(f"input {e['name']}: {e.get('note', '')}")
    seeds = prov.get("seeds") or {}
    lines.append("seeds: " + (", ".join(f"{k} = {v}" for k, v in seeds.items()) or "none used"))
    lines.append(f"records read: {prov['n_input']}; analysed: {prov['n_analysis']}")
    return "\n".join(lines)
