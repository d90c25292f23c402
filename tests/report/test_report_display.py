"""Report display details: the adverse-event table (hand-computed counts), CSV headers under
spanners, and boolean groups read as Yes / No."""

from __future__ import annotations

import pandas as pd

from hccstudy.analyse.toxicity import adverse_event_table
from hccstudy.report.render.csv import table_csv
from hccstudy.report.tables import ReportTable, TableFormat, ae_term_label, build_tables


def _result():  # type: ignore[no-untyped-def]
    # arm a: 3 patients, arm b: 3 patients (one not assessed for rash)
    d = pd.DataFrame({"arm": ["a", "a", "a", "b", "b", "b"],
                      "ae_ast_elevation": [0, 1, 3, 2, 3, 4],
                      "ae_rash": [0, 0, 1, 2, None, 0]})
    return adverse_event_table(d, by="arm")


def test_rows_counts_and_percentages() -> None:
    (t,) = build_tables("tox", _result())
    rows = t.display.to_numpy().tolist()
    assert list(t.display.columns)[:5] == ["Adverse event", "Any grade, n (%)",
                                          "Grade ≥ 3, n (%)", "Any grade, n (%)",
                                          "Grade ≥ 3, n (%)"]
    assert [s for s, _ in t.spanners] == ["", "a (n = 3)", "b (n = 3)", ""]
    # any AE: a 2/3 any, 1/3 grade >= 3; b 3/3 any, 2/3 grade >= 3
    assert rows[0][:5] == ["Any adverse event", "2 (66.7)", "1 (33.3)", "3 (100.0)", "2 (66.7)"]
    ast = next(r for r in rows if r[0] == "AST elevation")
    assert ast[1:5] == ["2 (66.7)", "1 (33.3)", "3 (100.0)", "2 (66.7)"]
    rash = next(r for r in rows if r[0] == "Rash")  # b: 1 of the 2 assessed
    assert rash[1:5] == ["1 (33.3)", "0 (0.0)", "1 (50.0)", "0 (0.0)"]
    assert len(rows[0]) == 7  # two p-value columns
    assert "ast_elevation" in set(t.numeric["term"])  # the numbers keep the codes


def test_term_labels() -> None:
    assert ae_term_label("alt_elevation") == "ALT elevation"
    assert ae_term_label("rash", TableFormat(labels={"rash": "Skin rash"})) == "Skin rash"


def test_csv_header_names_the_spanner() -> None:
    t = ReportTable("t", "T", pd.DataFrame({"x": [1]}),
                    pd.DataFrame([["a", "1", "2"]], columns=["Row", "n", "n"]),
                    spanners=(("", 1), ("Before", 1), ("After", 1)))
    assert table_csv(t).splitlines()[0] == "Row,Before: n,After: n"
    (tox,) = build_tables("tox", _result())
    head = table_csv(tox).splitlines()[0]
    assert head.startswith('Adverse event,"a (n = 3): Any grade, n (%)"')


def test_boolean_groups_read_yes_no_in_tables_and_figures() -> None:
    from hccstudy.analyse.km import kaplan_meier
    from hccstudy.analyse.logrank import logrank
    from hccstudy.report.figures import km_figure

    d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6, 7, 8], "e": [1, 0, 1, 1, 0, 1, 1, 0],
                      "pvi": [True, False] * 4})
    km = kaplan_meier(d, "t", "e", by="pvi")
    (kt,) = build_tables("km", km)
    assert sorted(kt.display["Group"]) == ["No", "Yes"]
    (lt,) = build_tables("lr", logrank(d, "t", "e", by="pvi"))
    assert sorted(lt.display["Group"]) == ["No", "Yes"]
    fig = km_figure(km)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert sorted(legend) == ["No", "Yes"]
    assert set(km.to_frame()["group"].astype(str)) == {"False", "True"}  # numbers keep them
