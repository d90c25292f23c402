"""``StudySpec``: a study written once as YAML and validated with pydantic.

A spec lists, in pipeline order, the data source, derived columns, the
eligibility cascade, the groups, the endpoints, the covariates and their
roles, the adjustment (none, matching or IPTW) and the analyses. Every error
about a spec names the key path (``eligibility[2].exclude_if``) and, when the
spec came from YAML, its line.

Examples
--------
>>> spec = load_spec('''
... groups: {column: arm, reference: non-CCRT}
... endpoints: [{name: os, time: os_months, event: death}]
... analyses: [{name: km_os, type: km, endpoint: os}]
... ''')
>>> spec.groups.reference, spec.analyses[0].type
('non-CCRT', 'km')
>>> load_spec(dump_spec(spec)) == spec
True
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

import numpy as np
import yaml
from pydantic import Field, PrivateAttr, ValidationError, field_validator, model_validator

from hccstudy.design._base import _COHORT, AnalysisBase, Cohort, _Model
from hccstudy.design.analyses import EXECUTORS, EXTRA_ANALYSES
from hccstudy.errors import InputError

__all__ = [
    "AdjustmentSpec",
    "AnalysisSpec",
    "Criterion",
    "DataSpec",
    "DerivedColumn",
    "EndpointSpec",
    "GroupSpec",
    "StudySpec",
    "default_endpoint_label",
    "dump_spec",
    "json_schema",
    "load_spec",
    "schema_markdown",
]

DAYS_PER_MONTH = 30.4375
"""Days per month used to convert days to months (365.25 / 12)."""
DAYS_PER_YEAR = 365.25

Role = Literal["table1", "propensity", "exact_match", "adjustment"]


def _value_text(v: Any) -> Any:
    """A raw value as the text ``value_labels`` and ``groups.labels`` match it by.

    Booleans are ``'true'`` / ``'false'``, whole floats lose their ``.0``; other values
    are ``str(v)``; anything that is not a scalar is returned as is (pydantic rejects it).

    Examples
    --------
    >>> _value_text(True), _value_text(1.0), _value_text(2), _value_text("pvtt_hvtt")
    ('true', '1', '2', 'pvtt_hvtt')
    """
    if isinstance(v, bool | np.bool_):
        return "true" if v else "false"
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    if isinstance(v, str | int | float | np.integer | np.floating):
        return str(v)
    return v


ENDPOINT_LABELS: dict[str, str] = {
    "os": "Overall survival",
    "pfs": "Progression-free survival",
    "ttp": "Time to progression",
    "dfs": "Disease-free survival",
    "rfs": "Recurrence-free survival",
    "efs": "Event-free survival",
    "lc": "Local control",
    "lpfs": "Local progression-free survival",
    "lrfs": "Local recurrence-free survival",
    "ihpfs": "Intrahepatic progression-free survival",
    "dmfs": "Distant metastasis-free survival",
    "css": "Cancer-specific survival",
    "dss": "Disease-specific survival",
    "ffs": "Failure-free survival",
    "ff": "Freedom from failure",
    "ttr": "Time to recurrence",
    "ttf": "Time to treatment failure",
    "dor": "Duration of response",
}
"""Default labels of the usual endpoint names (``EndpointSpec.label`` overrides them)."""


def default_endpoint_label(name: str) -> str:
    """The label of an endpoint without a ``label``: the usual words, else its name as text.

    The usual abbreviations (``os``, ``pfs``, ``ttp``, ``dfs``, ``rfs``, ``lc``, ``lpfs``,
    ``css``, ``ffs``, ... in :data:`ENDPOINT_LABELS`, any case) read as their words; any
    other name reads with underscores as spaces and its first letter capitalised.

    Examples
    --------
    >>> default_endpoint_label("os"), default_endpoint_label("PFS")
    ('Overall survival', 'Progression-free survival')
    >>> default_endpoint_label("ff_infield")
    'Ff infield'
    """
    known = ENDPOINT_LABELS.get(name.strip().lower())
    if known is not None:
        return known
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


class SourceFile(_Model):
    """One source data set read from a file."""

    name: str = Field(description="Source label shown in the flow (e.g. 'YCC').")
    path: str = Field(description="File path, relative to the spec file's folder.")
    mapping: str | None = Field(default=None, description="Mapping YAML for hccstudy.io.read.")


class RegistrySource(_Model):
    """A study extract from the registry database (``hccstudy.registry``)."""

    study: str = Field(description="Study (cohort) name in the registry.")
    url: str | None = Field(default=None, description="Registry URL or SQLite file; default "
        "$HCCSTUDY_REGISTRY_URL or ./hccstudy-registry.sqlite.")


class DataSpec(_Model):
    """Where the data come from: files, the registry, or a frame passed to ``run(spec, data)``."""

    path: str | None = Field(default=None, description="One data file (relative to the spec file).")
    mapping: str | None = Field(default=None, description="Mapping YAML for hccstudy.io.read.")
    sources: list[SourceFile] = Field(
        default_factory=list, description="Several source files, stacked; the source name "
        "goes to `source_column`.")
    registry: RegistrySource | None = Field(default=None, description="Read the analysis frame "
        "(patients + baseline + first treatment) of a registry study instead of a file.")
    reader: Literal["hccstudy", "table"] = Field(default="hccstudy", description="'hccstudy': hccstudy.io.read, one-row-per-patient tables "
        "merged on patient_id; 'table': an analysis-ready flat file read as is.")
    source_column: str | None = Field(default=None, description="Column naming the source data set of each row (the flow is "
        "counted per source); default 'source' when `sources` is given, else one source.")
    on_error: Literal["stop", "warn"] = Field(default="stop", description="What a run does "
        "when the validation of its input (every file read with reader 'hccstudy', a "
        "registry extract, or an hccstudy.io.Dataset passed to run: the checks of `hccstudy "
        "validate`) finds errors: 'stop' (default) raises an InputError giving the count per "
        "rule and the first issues (file or sheet, row, column, value, rule); 'warn' analyses "
        "anyway, with one warning per rule and a note in the Methods (cells that could not "
        "be read are missing). Validation warnings are passed on as Python warnings either "
        "way.")

    @model_validator(mode="after")
    def _one_kind(self) -> DataSpec:
        if sum((self.path is not None, bool(self.sources), self.registry is not None)) > 1:
            raise ValueError("give one of 'path', 'sources' or 'registry'")
        return self


class DerivedColumn(_Model):
    """A column computed from an expression on earlier columns."""

    name: str
    expression: str = Field(description="Safe expression (see docs: columns, literals, "
                            "comparisons, and/or/not, arithmetic, date/days/year/isna/notna).")
    after_clinical: bool = Field(default=False, description="Compute after the clinical "
                                 "derivations (to use their columns, e.g. fail_*_months).")


class Criterion(_Model):
    """One step of the eligibility cascade: exactly one of ``exclude_if`` / ``include_if``."""

    name: str
    exclude_if: str | None = Field(default=None, description="Rows where this is true are excluded.")
    include_if: str | None = Field(default=None, description="Rows where this is false are excluded.")
    reason: str = Field(description="Text shown in the flow for the excluded rows.")
    sources: list[str] | None = Field(default=None, description="Source data sets the step applies to (default: all).")
    on_missing: Literal["error", "exclude", "keep"] = Field(default="error", description="Rows where the expression is unknown because of missing "
        "values: raise an error naming the count (default), exclude them, or keep them.")

    @model_validator(mode="after")
    def _exactly_one(self) -> Criterion:
        if (self.exclude_if is None) == (self.include_if is None):
            raise ValueError("give exactly one of 'exclude_if' and 'include_if'")
        return self

    @property
    def key(self) -> str:
        """The spec key holding the expression."""
        return "exclude_if" if self.exclude_if is not None else "include_if"


class GroupSpec(_Model):
    """The exposure: an existing column or an expression, its levels and the reference."""

    name: str = Field(default="group", description="Name of the group column in the analysis frame.")
    column: str | None = Field(default=None, description="Existing column holding the exposure.")
    expression: str | None = Field(default=None, description="Boolean expression; with `labels` "
                                   "{'true': ..., 'false': ...}.")
    labels: dict[str, str] | None = Field(default=None, description="Raw value (as text; 'true'/'false' for an expression) -> label.")
    constant: str | None = Field(default=None, description="Single-arm study: every eligible "
                                 "patient is in this one group (e.g. 'All patients').")
    levels: list[str] | None = Field(default=None, description="Level order (default: sorted).")
    reference: str = Field(description="Reference level (controls for matching; Cox reference); "
                           "defaults to `constant` in a single-arm study.")

    @model_validator(mode="before")
    @classmethod
    def _single_arm_reference(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("constant") is not None \
                and data.get("reference") is None:
            data = {**data, "reference": data["constant"]}
        return data

    @model_validator(mode="after")
    def _source(self) -> GroupSpec:
        if sum(x is not None for x in (self.column, self.expression, self.constant)) != 1:
            raise ValueError("give exactly one of 'column', 'expression' and 'constant'")
        if self.constant is not None and self.reference != self.constant:
            raise ValueError("in a single-arm study ('constant') the reference is that group")
        if self.expression is not None and self.labels is None:
            raise ValueError("an 'expression' group needs labels {'true': ..., 'false': ...}")
        return self


class EndpointSpec(_Model):
    """A time-to-event endpoint, from a time column or from dates.

    With dates: time = end - origin, where ``origin`` is one column or one column per
    group level (seed 000: ``{CCRT: rt_start_date, non-CCRT: treatment_date}``), the end
    is ``event_date`` (the earliest of several date columns for a composite endpoint such as
    PFS) for events and ``last_followup`` otherwise (censoring at last
    follow-up), optionally censored at ``admin_censor_date``. Without ``event_date`` (an
    ``event`` expression alone, e.g. ``event: died``) the events are timed at
    ``last_followup`` too: give the event date whenever the data hold it.
    """

    name: str
    label: str | None = Field(default=None, description="Name of the endpoint in the report "
                              "(captions, Methods), e.g. 'Overall survival'; default: the usual "
                              "words of os, pfs, ttp, dfs, rfs, lc, lpfs, css, ffs, ..., else "
                              "the name with underscores as spaces. Display only.")
    event: str | None = Field(default=None, description="Event expression (default: "
                              "notna(event_date)). With dates but no `event_date`, an event is "
                              "timed at `last_followup`.")
    time: str | None = Field(default=None, description="Existing time column (then no dates).")
    time_unit: Literal["days", "months", "years"] = Field(default="months", description="Unit of `time` when given.")
    origin: str | dict[str, str] | None = Field(default=None, description="Origin date column, or group level -> column.")
    event_date: str | list[str] | None = Field(default=None, description="Event date column, "
        "or a list of columns: the earliest non-missing date is the event (e.g. PFS: "
        "[progression_date, death_date]). Without it, events are timed at `last_followup`.")
    last_followup: str | None = Field(default=None, description="Date of last follow-up "
                                      "(censoring date for non-events; also the event date "
                                      "when no `event_date` is given).")
    admin_censor_date: str | None = Field(default=None, description="Administrative censoring "
                                          "date (ISO).")
    units: Literal["days", "months", "years"] = Field(default="months", description="Output unit; months = days / 30.4375, years = days / 365.25.")

    @field_validator("label")
    @classmethod
    def _label_text(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("label: empty (leave it out for the default label)")
        return v.strip() if v is not None else None

    @property
    def display_label(self) -> str:
        """``label``, else :func:`default_endpoint_label` of the name."""
        return self.label or default_endpoint_label(self.name)

    @model_validator(mode="after")
    def _kind(self) -> EndpointSpec:
        if self.time is not None:
            if self.origin is not None or self.event_date is not None:
                raise ValueError("give either 'time' or dates ('origin', 'event_date', "
                                 "'last_followup'), not both")
            if self.event is None:
                raise ValueError("'event' is required with 'time'")
        else:
            if self.origin is None or self.last_followup is None:
                raise ValueError("give 'time', or 'origin' and 'last_followup' (and "
                                 "'event_date' or 'event')")
            if self.event is None and self.event_date is None:
                raise ValueError("give 'event' or 'event_date'")
        return self


class Covariate(_Model):
    """A covariate and its roles."""

    name: str
    roles: list[Role] = Field(default=["table1"])
    categorical: bool | None = Field(default=None, description="Force categorical (default: "
                                     "inferred by table1).")


class MatchOptions(_Model):
    """Options of :func:`hccstudy.adjust.match_propensity`."""

    method: Literal["nearest", "optimal"] = "nearest"
    distance: Literal["logit", "ps"] = "logit"
    ratio: int = Field(default=1, ge=1)
    caliper: float | None = Field(default=0.2, gt=0)
    caliper_scale: Literal["sd", "absolute"] = "sd"
    m_order: Literal["largest", "smallest", "random", "data"] = "largest"
    replace: bool = False
    seed: int | None = None


class IptwOptions(_Model):
    """Options of :func:`hccstudy.adjust.iptw`."""

    estimand: Literal["ATE", "ATT"] = "ATE"
    stabilise: bool = False
    truncate: tuple[float, float] | None = None


class AdjustmentSpec(_Model):
    """How groups are made comparable, and the outcome variance that goes with it."""

    method: Literal["none", "match", "iptw"] = "none"
    ps_formula: str | None = Field(default=None, description="PS right-hand side (default: the "
                                   "covariates with role 'propensity' joined by '+').")
    ps_method: Literal["ml", "firth"] = "ml"
    on_separation: Literal["firth", "raise"] = "firth"
    ps_missing: Literal["raise", "complete_case", "indicator"] = "raise"
    match: MatchOptions = MatchOptions()
    iptw: IptwOptions = IptwOptions()
    smd_denominator: Literal["treated", "control", "pooled"] = "treated"
    outcome_variance: Literal["robust_pair", "stratified_pair", "robust", "naive"] | None = \
        Field(default=None, description="Cox variance after adjustment: robust_pair (cluster = "
              "matched set), stratified_pair (strata = matched set), robust (IPTW, sandwich "
              "per patient) or naive. Default: robust_pair (match), robust (iptw), naive.")

    @model_validator(mode="after")
    def _variance(self) -> AdjustmentSpec:
        v = self.outcome_variance
        if v in ("robust_pair", "stratified_pair") and self.method != "match":
            raise ValueError(f"outcome_variance {v!r} needs method 'match'")
        if v in ("robust_pair", "stratified_pair") and self.match.replace:
            raise ValueError(f"outcome_variance {v!r} needs matching without replacement")
        if self.method == "iptw" and v not in (None, "robust"):
            raise ValueError("with IPTW the outcome variance must be 'robust'")
        return self

    @property
    def variance(self) -> str:
        """The outcome variance after defaults."""
        if self.outcome_variance is not None:
            return self.outcome_variance
        return {"match": "robust_pair", "iptw": "robust", "none": "naive"}[self.method]


class KmAnalysis(AnalysisBase):
    """Kaplan-Meier curves by group (weighted with IPTW)."""

    type: Literal["km"]
    name: str
    endpoint: str
    by: str | None = Field(default=None, description="Grouping column (default: the group).")
    cohort: Cohort = _COHORT
    conf_type: Literal["log", "log-log", "plain"] = "log"
    conf_level: float = 0.95


class LogrankAnalysis(AnalysisBase):
    """Log-rank test by group (not available with IPTW weights)."""

    type: Literal["logrank"]
    name: str
    endpoint: str
    by: str | None = None
    cohort: Cohort = _COHORT
    rho: float = 0


class CoxAnalysis(AnalysisBase):
    """Cox model; the default formula is the group with its reference level."""

    type: Literal["cox"]
    name: str
    endpoint: str
    formula: str | None = None
    cohort: Cohort = _COHORT
    ties: Literal["efron", "breslow"] = "efron"
    strata: list[str] = Field(default_factory=list)
    conf_level: float = 0.95


class Table1Analysis(AnalysisBase):
    """Table 1 of the covariates with role 'table1' (before and after adjustment)."""

    type: Literal["table1"]
    name: str
    variables: list[str] | None = Field(default=None, description="Default: role 'table1'.")
    continuous: Literal["median_iqr", "median_range", "mean_sd"] = "median_iqr"
    categorical_test: Literal["chisq_or_fisher", "chisq", "chisq_yates", "fisher"] = \
        "chisq_or_fisher"
    continuous_test: Literal["auto", "wilcoxon", "welch", "student", "kruskal",
                             "anova"] = "auto"


if TYPE_CHECKING:
    AnalysisSpec = KmAnalysis | LogrankAnalysis | CoxAnalysis | Table1Analysis | AnalysisBase
else:
    AnalysisSpec = Annotated[Union[(KmAnalysis, LogrankAnalysis, CoxAnalysis,
                                    Table1Analysis, *EXTRA_ANALYSES)],
                             Field(discriminator="type")]


class StudySpec(_Model):
    """A whole study, in pipeline order (see ``docs/study-spec.md``)."""

    title: str = ""
    data: DataSpec = DataSpec()
    derived: list[DerivedColumn] = Field(default_factory=list)
    clinical_derive: dict[str, Any] | None = Field(default=None, description="Options of hccstudy.clinical.derive.DeriveSpec ({} = defaults); "
        "absent = do not run the clinical derivations.")
    eligibility: list[Criterion] = Field(default_factory=list)
    groups: GroupSpec = Field(default_factory=lambda: GroupSpec(constant="All patients",
                                                                reference="All patients"),
                              description="The exposure; default: a single-arm study "
                              "(one group 'All patients').")
    endpoints: list[EndpointSpec] = Field(default_factory=list)
    covariates: list[Covariate] = Field(default_factory=list)
    adjustment: AdjustmentSpec = AdjustmentSpec()
    analyses: list[AnalysisSpec] = Field(default_factory=list)
    value_labels: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="Readable names of the values of categorical "
        "columns: {column: {raw value (as text): label}}. Expressions (derived, eligibility, "
        "endpoints, every analysis `where`) always see the raw values; the labels are applied "
        "to the rows each analysis receives (after its `where`), so Table 1 rows, KM / "
        "log-rank / CIF groups (`by`), subgroup levels, response and toxicity breakdowns and "
        "Cox categorical terms show them. A labelled column becomes a categorical whose "
        "levels are the labels in the mapping's order (the first is the reference of a Cox "
        "term and the first row of Table 1), then the raw values without a label (as text, "
        "sorted); levels absent from an analysis's rows are dropped; missing stays missing. "
        "Numbers match their text ('1' matches 1 and 1.0), booleans are 'true' / 'false'. "
        "The group column takes `groups.labels` instead.")
    variable_labels: dict[str, str] = Field(
        default_factory=dict, description="Readable names of columns in the report: "
        "{column: label}, e.g. {male: Male sex, bed10: 'BED10, Gy'}. They override the "
        "data-model labels (docs/data-dictionary.md) in every report table, figure and the "
        "Methods text (Table 1 characteristics, Cox and model-building terms, subgroup "
        "variables, balance and propensity terms); an explicit "
        "TableFormat(labels=...) passed to write_report overrides both. Display only: "
        "expressions, analyses and the *_numeric.csv tables keep the column names. A "
        "column need not exist in every analysis; an empty label is refused.")

    _lines: dict[str, int] = PrivateAttr(default_factory=dict)
    _base: str | None = PrivateAttr(default=None)

    @field_validator("value_labels", mode="before")
    @classmethod
    def _raw_value_text(cls, v: Any) -> Any:
        """YAML keys written as numbers or booleans (``{1: yes}``) become their text."""
        if not isinstance(v, dict):
            return v
        return {col: ({_value_text(k): lab for k, lab in labels.items()}
                      if isinstance(labels, dict) else labels) for col, labels in v.items()}

    @field_validator("variable_labels")
    @classmethod
    def _variable_labels(cls, v: dict[str, str]) -> dict[str, str]:
        for col, label in v.items():
            if not col.strip():
                raise ValueError("variable_labels: an empty column name")
            if not label.strip():
                raise ValueError(f"variable_labels.{col}: the label is empty")
        return {col: label.strip() for col, label in v.items()}

    @model_validator(mode="after")
    def _value_labels(self) -> StudySpec:
        g = self.groups
        for col, labels in self.value_labels.items():
            if col in (g.name, g.column):
                raise ValueError(f"value_labels.{col}: {col!r} holds the exposure (group "
                                 "column): label its values in groups.labels")
            seen: dict[str, str] = {}
            for raw, label in labels.items():
                if label in seen:
                    raise ValueError(f"value_labels.{col}: raw values {seen[label]!r} and "
                                     f"{raw!r} have the same label {label!r}")
                seen[label] = raw
        return self

    @model_validator(mode="after")
    def _names(self) -> StudySpec:
        for what, items in (("analyses", self.analyses), ("endpoints", self.endpoints),
                            ("eligibility", self.eligibility)):
            seen: set[str] = set()
            for it in items:
                if it.name in seen:
                    raise ValueError(f"duplicate name {it.name!r} in {what}")
                seen.add(it.name)
        ends = {e.name for e in self.endpoints}
        for a in self.analyses:
            endpoint = getattr(a, "endpoint", None)
            if isinstance(endpoint, str) and endpoint not in ends:
                raise ValueError(f"analysis {a.name!r}: unknown endpoint {endpoint!r} "
                                 f"(defined: {sorted(ends)})")
        return self

    def __eq__(self, other: object) -> bool:
        """Equal when the fields are equal (the YAML line map is ignored)."""
        if not isinstance(other, StudySpec):
            return NotImplemented
        return self.model_dump() == other.model_dump()

    __hash__ = None  # type: ignore[assignment]

    def covariates_with(self, role: str) -> list[str]:
        """Covariate names with a role, in spec order."""
        return [c.name for c in self.covariates if role in c.roles]

    def where(self, key: str) -> str:
        """``key`` plus its YAML line when the spec was loaded from YAML."""
        probe = key
        while probe:
            if probe in self._lines:
                return f"{key} (line {self._lines[probe]})"
            probe = probe.rsplit(".", 1)[0] if "." in probe else ""
        return key

    def error(self, key: str, message: str, *, column: str | None = None,
              n_rows: int = 0) -> InputError:
        """An :class:`InputError` naming the spec key path (and line)."""
        return InputError(f"{self.where(key)}: {message}", column=column, n_rows=n_rows,
                          rule=key)


# ----------------------------------------------------------------------------- YAML


def _line_map(node: yaml.Node, prefix: str, out: dict[str, int]) -> None:
    if prefix:
        out.setdefault(prefix, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = f"{prefix}.{k.value}" if prefix else str(k.value)
            out[key] = k.start_mark.line + 1
            _line_map(v, key, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            key = f"{prefix}[{i}]"
            out[key] = v.start_mark.line + 1
            _line_map(v, key, out)


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for p in loc:
        if isinstance(p, int):
            out += f"[{p}]"
        elif p in ("km", "logrank", "cox", "table1") or p in EXECUTORS:  # union tag
            continue
        else:
            out += f".{p}" if out else str(p)
    return out


_KEYED = re.compile(r"Value error, (?P<key>[A-Za-z_]\w*\.[^:]+): (?P<msg>.*)", re.S)


def _validate(raw: Any, lines: dict[str, int], base: str | None) -> StudySpec:
    if not isinstance(raw, dict):
        raise InputError("a study spec must be a YAML mapping", rule="spec")
    try:
        spec = StudySpec.model_validate(raw)
    except ValidationError as e:
        msgs, keys = [], []
        for err in e.errors():
            key = _loc(err["loc"])
            msg = err["msg"]
            named = _KEYED.match(msg) if not key and err["type"] == "value_error" else None
            if named and named["key"].split(".", 1)[0] in StudySpec.model_fields:
                # a whole-spec check naming the key it is about: "<key path>: message"
                key, msg = named["key"], named["msg"]
            where = f"{key} (line {lines[key]})" if key in lines else key or "spec"
            if err["type"] == "union_tag_invalid":
                msg = (f"unknown analysis type {err['input'].get('type')!r} "
                       f"(allowed: {', '.join(['km', 'logrank', 'cox', 'table1', *EXECUTORS])})")
                where = f"{key}.type" + (f" (line {lines[key + '.type']})"
                                         if key + ".type" in lines else "")
            msgs.append(f"{where}: {msg}")
            keys.append(key)
        raise InputError("invalid study spec: " + "; ".join(msgs), rule=keys[0]) from None
    spec._lines = lines
    spec._base = base
    return spec


def load_spec(source: str | Path | dict[str, Any]) -> StudySpec:
    """Load a spec from YAML text, a YAML file path or a dict.

    A ``str`` is a path when it names an existing file or ends in ``.yaml``/``.yml``,
    otherwise YAML text. Relative data paths are resolved against the spec file's folder.
    """
    if isinstance(source, dict):
        return _validate(source, {}, None)
    base: str | None = None
    if isinstance(source, Path) or ("\n" not in source and (
            source.endswith((".yaml", ".yml")) or Path(source).is_file())):
        p = Path(source)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as e:
            raise InputError(f"cannot read study spec {p.name!r}: {e.strerror}",
                             rule="spec") from None
        base = str(p.resolve().parent)
    else:
        text = source
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available
        node = yaml.compose(text, Loader=loader)
        raw = yaml.load(text, Loader=loader)  # a safe loader (no Python objects)
    except yaml.YAMLError as e:
        raise InputError(f"study spec is not valid YAML: {e}", rule="spec") from None
    lines: dict[str, int] = {}
    if node is not None:
        _line_map(node, "", lines)
    return _validate(raw, lines, base)


def dump_spec(spec: StudySpec) -> str:
    """The spec as YAML (defaults left out), loadable by :func:`load_spec`."""
    raw = spec.model_dump(mode="json", exclude_defaults=True)
    return yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)


# ----------------------------------------------------------------------------- docs


EXAMPLE = """\
title: CCRT vs other first treatments (seed 000 layout, synthetic data)
data:
  sources:
    - {name: YCC, path: ycc.csv}
    - {name: KLCSG, path: klcsg.csv}
  reader: table
  source_column: source_db
derived:
  - {name: size_ge5, expression: "tumour_size_cm >= 5"}
eligibility:
  - name: stage
    exclude_if: "tnm_stage in ['I', 'II']"
    reason: LCSGJ stage I-II
  - name: child_pugh
    exclude_if: "child_pugh_class in ['B', 'C']"
    reason: Child-Pugh B or C
    on_missing: exclude
  - name: received_rt
    exclude_if: "received_rt == 1"
    reason: received RT
    sources: [KLCSG]
groups:
  name: arm
  column: ccrt
  labels: {'1': CCRT, '0': non-CCRT}
  levels: [CCRT, non-CCRT]
  reference: non-CCRT
endpoints:
  - name: os
    label: Overall survival
    origin: {CCRT: rt_start_date, non-CCRT: treatment_date}
    event_date: death_date
    last_followup: last_contact_date
    units: months
covariates:
  - {name: age_years, roles: [table1, propensity]}
  - {name: tumour_size_cm, roles: [table1, propensity]}
  - {name: bclc_stage, roles: [table1, propensity]}
  - {name: sex, roles: [table1]}
adjustment:
  method: match
  match: {ratio: 1, caliper: 0.2, caliper_scale: sd, m_order: largest}
  outcome_variance: robust_pair
analyses:
  - {name: table1, type: table1, continuous: median_range}
  - {name: km_os, type: km, endpoint: os, title: Overall survival of the CCRT and matched non-CCRT groups}
  - {name: logrank_os, type: logrank, endpoint: os}
  - {name: cox_os, type: cox, endpoint: os}
value_labels:
  sex: {female: Female, male: Male}
variable_labels:
  size_ge5: Tumour size >= 5 cm
"""


def json_schema() -> dict[str, Any]:
    """The JSON schema of :class:`StudySpec`."""
    return StudySpec.model_json_schema()


def schema_markdown() -> str:
    """The text of ``docs/study-spec.md`` (a test keeps the file equal to this)."""
    return (
        "# Study specification (`StudySpec`)\n\n"
        "<!-- generated by hccstudy.design.spec.schema_markdown(); do not edit by hand -->\n\n"
        "A study is one YAML file validated by `hccstudy.design.StudySpec` (pydantic) and run "
        "by `hccstudy.design.run(spec, data=None)`, which returns a frozen `StudyResult` "
        "with every stage: the eligibility flow (per source data set), the analysis frame "
        "size, Table 1 before and after adjustment, the propensity model, matching or "
        "weighting, balance, the outcome analyses keyed by name, and a `methods` dict of "
        "every method choice.\n\n"
        "## Rules\n\n"
        "* **Expressions** (derived columns, eligibility, groups, events) are parsed, not "
        "`eval`ed: column names, literals, lists after `in`, comparisons, `and`/`or`/`not` "
        "(`&`, `|`, `~`), arithmetic and the functions `date('2003-01-01')`, `days(x)` "
        "(a date difference in days), `year(x)`, `abs`, `log`, `to_date`, `isna`, `notna`. "
        "Missing values give *unknown*, combined with Kleene logic.\n"
        "* **Eligibility** criteria run in order; each has exactly one of `exclude_if` (rows "
        "where it is true leave) and `include_if` (rows where it is false leave), a `reason` "
        "shown in the flow, optional `sources` it applies to, and `on_missing` (`error` by "
        "default: the count of unknown rows is reported; `exclude`; `keep`). Every excluded "
        "row is counted under exactly one step: excluded + remaining = input, per source.\n"
        "* **Endpoints** from dates: time = end - origin in days, the end being the event "
        "date for events and the last follow-up otherwise (censoring at last follow-up); "
        "without an `event_date` (an `event` expression alone, e.g. `event: died`) deaths "
        "and other events are timed at the last follow-up date as well, so give the event "
        "date whenever the data hold it; "
        "an `admin_censor_date` censors later follow-up and events; months = days / "
        f"{DAYS_PER_MONTH}, years = days / {DAYS_PER_YEAR}. `origin` may be one column per "
        "group level (seed 000: RT start for CCRT, first-treatment date for controls); the "
        "column used is stored per patient as `<endpoint>_origin`. An origin after the end "
        "is an error naming the count.\n"
        "* **Value labels** (`value_labels: {column: {raw value: label}}`) give readable "
        "names to the codes of categorical columns (seed 004: `rt_site: {liver_lesion: Liver "
        "lesions, pvtt_hvtt: PVTT/HVTT}`). Expressions (`derived`, `eligibility`, endpoints, "
        "every analysis `where`, a `proportion` or `logistic_models` outcome) always see the "
        "raw values, and so do the propensity model and the frames of `prepare`; the labels "
        "are applied to the rows each analysis receives, after its `where`, so Table 1 rows, "
        "KM / log-rank / CIF groups (`by`), subgroup levels, response and toxicity breakdowns "
        "and Cox categorical terms show them. A labelled column becomes a pandas Categorical "
        "whose levels are the labels in the mapping's order (the first is the reference "
        "level of a Cox term and the first row of Table 1), then the raw values without a "
        "label (as text, sorted); levels absent from an analysis's rows are dropped and "
        "missing values stay missing. Raw values match by their text: `'1'` matches 1 and "
        "1.0, booleans are `'true'` / `'false'` (as in `groups.labels`). The codes a spec "
        "names elsewhere stay raw: the `column` of a `response` analysis and the `cause` of "
        "a `competing_risks` analysis. Refused: the group column (use `groups.labels`), two "
        "raw values with one label, a column not in the analysis frame, an endpoint or "
        "adjustment column, and an unlabelled raw value that reads as another value's "
        "label.\n"
        "* **Variable labels** (`variable_labels: {column: label}`) name columns in the "
        "report: Table 1 characteristics, Cox, model-building and propensity terms (a "
        "categorical term reads `BCLC stage: C vs B`), subgroup variables, balance terms, "
        "the forest and love plots and the variables listed in the Methods. Columns of the "
        "data model have a label already (`docs/data-dictionary.md`: `age_years` is "
        "\"Age, years\"); `variable_labels` overrides it, and `TableFormat(labels=...)` "
        "given to `write_report` overrides both. Labels are display only: expressions, "
        "analyses and the `*_numeric.csv` tables keep the column names. A label may name a "
        "column that only some analyses use; an empty label is refused.\n"
        "* **Captions and endpoint labels**: every analysis may have a `title`, the caption "
        "of its table and figure in the report, worded as the manuscript; without one the "
        "report writes a caption from the analysis type, the endpoint label, the grouping "
        "and the cohort (\"Overall survival by treatment group, matched cohort "
        "(Kaplan-Meier)\", \"Univariable and multivariable Cox regression for overall "
        "survival\", \"Baseline characteristics\"), never from the analysis name. An "
        "endpoint's `label` names it in captions and the Methods (\"Overall survival was "
        "measured from ...\"); without one the usual names read as their words (`os` "
        "Overall survival, `pfs` Progression-free survival, `ttp` Time to progression, `dfs` "
        "Disease-free survival, `rfs` Recurrence-free survival, `lc` Local control, `lpfs` "
        "Local progression-free survival, `css` Cancer-specific survival, `ffs` Failure-free "
        "survival, ...) and any other name with underscores as spaces and a capital first "
        "letter. Titles and labels are display only; the Methods point at analyses by their "
        "table numbers.\n"
        "* **Adjustment**: `match` fits the PS (unpenalised logistic, `hccstudy.adjust`), "
        "matches (caliper in SD of the logit PS by default) and takes Table 1, KM, log-rank "
        "and Cox on the matched cohort; `outcome_variance` chooses the Cox variance: "
        "`robust_pair` (cluster = matched set), `stratified_pair` (strata = matched set) or "
        "`naive`. `iptw` weights KM and Cox (robust sandwich variance per patient); "
        "log-rank is not available with weights.\n"
        "* **Results** hold counts and aggregates: `result.flow.to_frame()` (per source and "
        "step: n before, excluded, remaining, unknown), `result.flow_frame()` (plus the PS "
        "complete-case and matching steps per group), `result.outcomes[name]`, "
        "`result.methods`. The excluded rows are available to the user only through "
        "`result.flow.excluded_rows(step, source)` (row positions in the stacked input, never "
        "identifiers, never in reprs); `hccstudy.design.prepare(spec, data)` returns the "
        "patient-level frames (analysis set, matched / weighted set) for private use.\n"
        "* **Input validation**: data read from files with reader `hccstudy` (`data.path`, "
        "`data.sources`), a registry extract (`data.registry`) or an `hccstudy.io.Dataset` "
        "passed to `run` are validated first with the checks of `hccstudy validate` (reading "
        "and typing issues, required fields, codes, ranges, date order, duplicate ids). "
        "With `data.on_error: stop` (the default) errors stop the run with an `InputError` "
        "(exit code 1 in the CLI) giving the count per rule and the first issues (file or "
        "sheet, row, column, value, rule; identifier values read `<redacted>`): run "
        "`hccstudy validate` for all of them. `data.on_error: warn` analyses the data as "
        "read (cells that could not be read are missing) with one warning per rule and a "
        "note in the Methods. Validation warnings are passed on as Python warnings (listed "
        "by `hccstudy run`). Frames and dicts of frames passed to `run` and files read with "
        "reader `table` are used as they are.\n"
        "* **Errors** are `hccstudy.errors.InputError` naming the key path and its line, e.g. "
        "`eligibility[2].exclude_if (line 14): unknown column 'ecog_ps' (did you mean "
        "'ecog'?)`; an unknown column gets the closest columns of the data as suggestions, "
        "and a covariate that is not in the data is reported at `covariates[i].name`. Errors "
        "about rows give the count and the first rows: the file row and sheet when the data "
        "were read from a file (`row 140 of cohort.xlsx[Sheet1]`), else the 1-based row of "
        "the frame passed in (`rows 3, 7 of the data passed to run() (counted from 1)`); "
        "never identifiers.\n\n"
        "## Example\n\n```yaml\n" + EXAMPLE + "```\n\n"
        "## JSON schema\n\n```json\n" + json.dumps(json_schema(), indent=2) + "\n```\n"
    )
