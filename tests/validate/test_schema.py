"""The declared data model is self-consistent and documented."""

from __future__ import annotations

from pathlib import Path

from hccstudy.validate.schema import (
    ANALYSIS_REQUIREMENTS,
    TABLES,
    UNIT_CONVERSIONS,
    WIDE_EVENT_COLUMNS,
    data_dictionary_markdown,
)

DOC = Path(__file__).parents[2] / "docs" / "data-dictionary.md"


def test_data_dictionary_doc_is_generated_from_the_schema() -> None:
    assert data_dictionary_markdown() in DOC.read_text(), (
        "docs/data-dictionary.md is out of date: paste data_dictionary_markdown() into it")


def test_every_table_has_patient_id_and_its_key() -> None:
    for t in TABLES.values():
        assert t.names[0] == "patient_id"
        assert len(set(t.names)) == len(t.names)
        assert set(t.key) <= set(t.names)


def test_canonical_unit_is_the_first_with_factor_one() -> None:
    for var, units in UNIT_CONVERSIONS.items():
        first, factor = next(iter(units.items()))
        assert factor == 1.0
        for t in TABLES.values():
            if var in t.names and t.column(var).unit is not None:
                assert t.column(var).unit == first, var


def test_synonyms_are_unambiguous_within_a_table() -> None:
    for t in TABLES.values():
        seen: dict[str, str] = {}
        for c in t.columns:
            for s in (c.name, *c.synonyms):
                assert seen.setdefault(s, c.name) == c.name, (t.name, s)


def test_requirements_and_wide_events_name_real_columns() -> None:
    for req in ANALYSIS_REQUIREMENTS.values():
        for table, cols in req.items():
            assert set(cols) <= set(TABLES[table].names)
    for _, col in WIDE_EVENT_COLUMNS.values():
        assert col in TABLES["events"].names


def test_clinical_reference_factors() -> None:
    # clinical-definitions §0/§12: umol/L = mg/dL x 17.1; g/L = g/dL x 10; ng/mL = IU/mL x 1.21
    assert abs(25.65 * UNIT_CONVERSIONS["bilirubin"]["umol/L"] - 1.5) < 1e-12
    assert UNIT_CONVERSIONS["albumin"]["g/L"] == 0.1
    assert UNIT_CONVERSIONS["afp"]["IU/mL"] == 1.21
    assert UNIT_CONVERSIONS["platelets"]["10^4/uL"] == 10.0
