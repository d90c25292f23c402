"""Study design: the study spec, the eligibility cascade (flow), groups and endpoints.

Pipeline: :func:`load_spec` (YAML -> :class:`StudySpec`) -> :func:`run` (->
:class:`StudyResult`). :func:`prepare` gives the patient-level frames of the
stages up to the adjustment for users who need them; results hold aggregates
and row positions only. See ``docs/study-spec.md``.
"""

from hccstudy.design.flow import EligibilityFlow, FlowStep
from hccstudy.design.run import Prepared, StudyResult, Table1Pair, prepare, run
from hccstudy.design.spec import StudySpec, dump_spec, json_schema, load_spec, schema_markdown

__all__ = [
    "EligibilityFlow",
    "FlowStep",
    "Prepared",
    "StudyResult",
    "StudySpec",
    "Table1Pair",
    "dump_spec",
    "json_schema",
    "load_spec",
    "prepare",
    "run",
    "schema_markdown",
]
