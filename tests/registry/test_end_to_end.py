"""The issue's 'done when': validate with a mapping, fix, import, export de-identified."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hccstudy.io import draft_mapping, read
from hccstudy.io.deidentify import identifiers_of, scan_for_identifiers
from hccstudy.registry import analysis_frame, connect, export_parquet, import_file
from hccstudy.validate import validate_file

SALT = "end to end salt value"


def test_validate_fix_import_export(tmp_path: Path) -> None:
    sheet = pd.DataFrame({
        "Hosp No": ["H-100201", "H-100202", "H-100203"],
        "Pt name": ["Park Seo", "Choi Min", "Kang Hye"],
        "Gender": ["M", "F", "M"],
        "Age": [61, 93, 55],
        "Dx date": ["2019-03-01", "2019-04-11", "2019-05-20"],
        "Albumin (g/L)": [38, 41, "3.2"],  # one value typed in g/dL by mistake
        "T-Bil": [0.8, 1.1, 0.9],
        "Tx": ["CCRT", "TACE", "TACE"],
        "Tx date": ["2019-03-15", "2019-04-20", "2019-06-01"],
        "Death": [None, "2019-04-01", None],  # before diagnosis: an error to fix
        "Last FU": ["2021-01-01", None, "2020-12-01"],
    })
    xlsx = tmp_path / "their_file.xlsx"
    sheet.to_excel(xlsx, index=False)
    mapping_text = draft_mapping(xlsx)
    assert '"Hosp No":' in mapping_text
    mapping = tmp_path / "map.yaml"
    # the user reviews the draft: the sheet has no study id, so the hospital number
    # serves as patient_id; de-identified exports replace it by a salted hash
    assert '"Hosp No":\n    to: "hospital_number"' in mapping_text
    mapping.write_text(mapping_text.replace('"Hosp No":\n    to: "hospital_number"',
                                            '"Hosp No":\n    to: "patient_id"'))
    report = validate_file(xlsx, mapping)
    assert not report.ok
    problems = {(i.row, i.column, i.rule) for i in report.errors}
    assert problems == {(3, "Death", "date-order"), (3, "Tx date", "date-order"),
                        (4, "Albumin (g/L)", "mixed-units")}
    # fix both rows and validate again
    sheet.loc[1, "Death"] = "2020-04-01"
    sheet.loc[2, "Albumin (g/L)"] = 32
    sheet.to_excel(xlsx, index=False)
    assert validate_file(xlsx, mapping).ok
    engine = connect(tmp_path / "registry.db")
    summary = import_file(engine, xlsx, mapping, study="demo", actor="tester")
    assert summary.inserted == 9
    frame = analysis_frame(engine, "demo", salt=SALT)
    assert len(frame) == 3 and frame["age_years"].max() == 90
    assert frame["albumin"].round(2).tolist() == [3.8, 4.1, 3.2]
    out = tmp_path / "shared"
    export_parquet(engine, "demo", out, salt=SALT)
    frame.to_csv(out / "analysis.csv", index=False)
    assert scan_for_identifiers(out, identifiers_of(read(xlsx, mapping))) == []
    engine.dispose()
