"""StudySpec: YAML round trip, the published schema, and errors that name the spec key."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hccstudy.design import StudySpec, dump_spec, load_spec, run, schema_markdown
from hccstudy.design.spec import EXAMPLE, Criterion, GroupSpec
from hccstudy.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
# PyYAML folds the Unicode line breaks (NEL, LS, PS) inside scalars, so names and reasons
# are drawn from printable text; control characters are not meaningful in a spec.
_TEXT = st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp"))


def test_round_trip(spec_text: str) -> None:
    spec = load_spec(spec_text)
    again = load_spec(dump_spec(spec))
    assert again == spec
    assert again.model_dump() == spec.model_dump()
    assert load_spec(spec.model_dump()) == spec
    assert spec.adjustment.variance == "robust_pair"


@settings(max_examples=30, deadline=None)
@given(names=st.lists(st.text(_TEXT, min_size=1, max_size=12), min_size=1, max_size=4, unique=True),
       reason=st.text(_TEXT, max_size=30),
       op=st.sampled_from(["exclude_if", "include_if"]),
       value=st.one_of(st.integers(-5, 5), st.floats(-3, 3, allow_nan=False)),
       on_missing=st.sampled_from(["error", "exclude", "keep"]))
def test_round_trip_property(names: list[str], reason: str, op: str, value: float,
                             on_missing: str) -> None:
    crits = [Criterion.model_validate({"name": n, op: f"x >= {value!r}", "reason": reason,
                                       "on_missing": on_missing}) for n in names]
    spec = StudySpec(eligibility=crits,
                     groups=GroupSpec(column="g", reference=names[0], levels=names))
    assert load_spec(dump_spec(spec)) == spec


def test_docs_are_current() -> None:
    doc = (ROOT / "docs" / "study-spec.md").read_text(encoding="utf-8")
    assert doc == schema_markdown(), "regenerate docs/study-spec.md with schema_markdown()"
    assert load_spec(EXAMPLE).adjustment.method == "match"


def test_example_study_runs() -> None:
    r = run(ROOT / "studies" / "example_two_arm.yaml")
    assert r.n_analysis == 212 and r.matching is not None
    assert set(r.outcomes) == {"table1", "km_os", "logrank_os", "cox_os"}


def _err(text: str, data: object, pattern: str) -> InputError:
    with pytest.raises(InputError, match=pattern) as e:
        run(text, data)  # type: ignore[arg-type]
    return e.value


def test_unknown_column_in_criterion(cohort: dict[str, pd.DataFrame], spec_text: str) -> None:
    text = spec_text.replace('exclude_if: "ecog > 2"', 'exclude_if: "ecog_ps > 2"')
    line = text.splitlines().index('    exclude_if: "ecog_ps > 2"') + 1
    e = _err(text, cohort, rf"eligibility\[2\]\.exclude_if \(line {line}\): unknown column "
                           r"'ecog_ps'")
    assert e.column == "ecog_ps" and e.rule == "eligibility[2].exclude_if"


def test_group_with_no_patients(cohort: dict[str, pd.DataFrame], spec_text: str) -> None:
    text = spec_text.replace(
        "groups:\n", "  - {name: all_ccrt, exclude_if: 'ccrt == 1', reason: x}\ngroups:\n")
    _err(text, cohort, r"groups\.levels\[0\] \(line \d+\): group 'CCRT' has no patients")


def test_time_origin_after_event(cohort: dict[str, pd.DataFrame], spec_text: str) -> None:
    n_ccrt = run(spec_text, cohort).n_by_group["CCRT"]
    y = cohort["YCC"].copy()
    y["rt_start_date"] = pd.to_datetime(y["rt_start_date"]) + pd.Timedelta(days=4000)
    e = _err(spec_text, {"YCC": y, "KLCSG": cohort["KLCSG"]},
             rf"endpoints\[0\]\.origin \(line \d+\): time origin after the event or censoring "
             rf"date in {n_ccrt} row\(s\)")
    assert e.n_rows == n_ccrt


def test_unknown_analysis_type(cohort: dict[str, pd.DataFrame], spec_text: str) -> None:
    text = spec_text.replace("type: km,", "type: kaplan,")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "type: kaplan" in t)
    _err(text, cohort, rf"analyses\[1\]\.type \(line {line}\): unknown analysis type 'kaplan'")


@pytest.mark.parametrize(("old", "new", "pattern"), [
    ('exclude_if: "tnm_stage in [\'I\', \'II\']"',
     'exclude_if: "tnm_stage in [\'I\']"\n    include_if: "x == 1"',
     r"eligibility\[0\] \(line \d+\): Value error, give exactly one of 'exclude_if'"),
    ("endpoint: os}\n  - {name: logrank_os", "endpoint: pfs}\n  - {name: logrank_os",
     r"unknown endpoint 'pfs'"),
    ("outcome_variance: robust_pair", "outcome_variance: robust_pairs",
     r"adjustment\.outcome_variance \(line \d+\)"),
    ('exclude_if: "ecog > 2"', "exclude_if: \"__import__('os') > 2\"",
     r"eligibility\[2\]\.exclude_if .*Call is not allowed|not allowed"),
    ("reason: received RT\n    sources: [KLCSG]", "reason: received RT\n    sources: [KLCS]",
     r"eligibility\[3\]\.sources \(line \d+\): unknown source\(s\) \['KLCS'\]"),
    ("reference: non-CCRT", "reference: control",
     r"groups\.reference \(line \d+\): reference 'control'"),
    ("origin: {CCRT: rt_start_date, non-CCRT: treatment_date}",
     "origin: {CCRT: rt_start, non-CCRT: treatment_date}",
     r"endpoints\[0\]\.origin\.CCRT \(line \d+\): unknown column 'rt_start'"),
    ("{name: cox_os, type: cox, endpoint: os}",
     "{name: cox_os, type: cox, endpoint: os, formula: 'arm + nope'}",
     r"analyses\[3\]\.formula \(line \d+\)"),
])
def test_bad_spec_names_the_key(cohort: dict[str, pd.DataFrame], spec_text: str, old: str,
                                new: str, pattern: str) -> None:
    assert old in spec_text
    _err(spec_text.replace(old, new), cohort, pattern)


def test_not_yaml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not valid YAML"):
        load_spec("groups: [\n  - a\n")
    with pytest.raises(InputError, match="cannot read study spec"):
        load_spec(tmp_path / "nope.yaml")
    with pytest.raises(InputError, match=r"groups.reference: Field required"):
        load_spec("title: x\ngroups: {column: arm}\n")
    assert load_spec("title: x\nanalyses: []\n").groups.constant == "All patients"
