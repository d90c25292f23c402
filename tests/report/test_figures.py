"""Publication figures: at-risk numbers, golden SVG snapshots, deterministic files, no statistics.

* The numbers at risk drawn under the KM figure are read back from the Figure's
  text artists and compared with :func:`risk_table_counts`, with the R rule
  applied by hand to ``km.table()`` (n at risk at t = n_risk of the first time
  >= t, 0 after the last follow-up) and with R itself:
  ``summary(survfit(Surv(os_months, death) ~ arm, data = demo_ccrt.csv),
  times = seq(0, 60, 10), extend = TRUE)$n.risk`` (R 4.2, survival 3.5),
  copied below. Their x positions must equal the x-axis tick positions.
* Golden snapshots: every figure saved as SVG and compared byte for byte with
  ``tests/report/snapshots/<name>.svg``. Byte equality is used (not a parsed
  comparison) because the house style pins everything that could vary: the
  font is matplotlib's own DejaVu Sans (no system fonts), ``svg.fonttype =
  "none"`` (text is written as text, not as FreeType outlines), fixed
  ``svg.hashsalt`` and ``svg.id``, no date or version metadata. A newer
  matplotlib may change the bytes: regenerate with
  ``HCCSTUDY_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/report/test_figures.py``
  and review the diff.
* ``save_figure``: PNG at 300 dpi (pixel size = inches x 300), SVG and PDF, and
  a second save, or a second build of the same figure, gives identical bytes.
* The figures package imports no statistics module (except under TYPE_CHECKING).
"""

from __future__ import annotations

import ast
import difflib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from PIL import Image

import hccstudy
from hccstudy.adjust import fit_propensity, match_propensity, ps_overlap
from hccstudy.analyse.competing import cumulative_incidence, failure_type_km, gray_test
from hccstudy.analyse.cox import cox
from hccstudy.design.spec import load_spec
from hccstudy.errors import InputError
from hccstudy.report import figures as F
from hccstudy.report.figures import RISK_TABLE_LABEL, risk_table_counts

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("HCCSTUDY_UPDATE_SNAPSHOTS") == "1"

# R: summary(survfit(Surv(os_months, death) ~ arm, data = d), times = seq(0, 60, 10),
#    extend = TRUE)$n.risk with d <- read.csv("src/hccstudy/datasets/demo_ccrt.csv")
R_AT_RISK = {"CCRT": [106, 60, 37, 18, 9, 3, 1], "non-CCRT": [106, 46, 23, 9, 2, 1, 1]}
R_LOGRANK_P = 0.005435951  # survdiff(Surv(os_months, death) ~ arm)$pvalue


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    return hccstudy.datasets.load_demo()


@pytest.fixture(scope="module")
def km(demo: pd.DataFrame) -> Any:
    return hccstudy.kaplan_meier(demo, "os_months", "death", by="arm")


@pytest.fixture(scope="module")
def lr(demo: pd.DataFrame) -> Any:
    return hccstudy.logrank(demo, "os_months", "death", "arm")


@pytest.fixture(scope="module")
def competing(demo: pd.DataFrame) -> pd.DataFrame:
    # a two-cause outcome built from demo columns (cause 1: with PVI, 2: without)
    cause = np.where(demo["death"] == 0, 0, np.where(demo["pvi"] == 1, 1, 2))
    return demo.assign(cause=cause)


@pytest.fixture(scope="module")
def cif_gray(competing: pd.DataFrame) -> tuple[Any, Any]:
    return (cumulative_incidence(competing, "os_months", "cause", "arm"),
            gray_test(competing, "os_months", "cause", "arm"))


@pytest.fixture(scope="module")
def cox_fit(demo: pd.DataFrame) -> Any:
    return cox(demo, "arm + tumour_size_cm + bclc_stage", time="os_months", event="death")


@pytest.fixture(scope="module")
def study() -> Any:
    # the example study without its analyses: flow, propensity, matching and balance
    spec = load_spec(ROOT / "studies" / "example_two_arm.yaml")
    return hccstudy.run(spec.model_copy(update={"analyses": []}))


@pytest.fixture(scope="module")
def adjusted(demo: pd.DataFrame) -> tuple[Any, Any]:
    ps = fit_propensity(demo, "ccrt", "age_years + tumour_size_cm + pvi")
    return ps, match_propensity(ps, caliper=0.2)


def subgroup_frame() -> pd.DataFrame:
    """A subgroup result's documented to_frame() columns, one row not estimable."""
    nan = float("nan")
    return pd.DataFrame({
        "variable": ["Overall", "Sex", "Sex", "BCLC", "BCLC"],
        "level": ["", "male", "female", "B", "C"],
        "n_treated": [106, 90, 16, 30, 76], "events_treated": [80, 70, 10, 20, 60],
        "n_control": [106, 92, 14, 28, 78], "events_control": [90, 80, 0, 18, 72],
        "hr": [0.68, 0.7, nan, 0.9, 0.6], "ci_lower": [0.5, 0.5, nan, 0.45, 0.42],
        "ci_upper": [0.92, 0.98, nan, 1.8, 0.86], "p_value": [0.01, 0.04, nan, 0.7, 0.005],
        "p_interaction": [nan, 0.52, 0.52, 0.31, 0.31],
        "estimable": [True, True, False, True, True],
        "note": ["", "", "no events in control", "", ""],
    })


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [t.get_text() for t in fig.texts]


def risk_axes(fig: Figure) -> Any:
    (rax,) = [ax for ax in fig.axes if ax.get_label() == RISK_TABLE_LABEL]
    return rax


def drawn_at_risk(fig: Figure, groups: tuple[str, ...]) -> pd.DataFrame:
    """The at-risk table as drawn: (group, x position, number) per text artist."""
    rows = []
    for t in risk_axes(fig).texts:
        gid = t.get_gid()
        assert gid is not None and gid.startswith("at-risk-")
        x, y = t.get_position()
        k = int(gid.rsplit("-", 1)[1])
        assert y == k
        rows.append((groups[k], float(x), float(t.get_text())))
    return pd.DataFrame(rows, columns=["group", "time", "n_risk"])


def r_rule_from_table(km: Any, times: np.ndarray) -> pd.DataFrame:
    """R's summary(fit, times, extend = TRUE)$n.risk applied by hand to km.table()."""
    tab = km.table()
    rows = []
    for g in km.groups:
        sel = tab[tab["group"] == g]
        for t in times:
            later = sel[sel["time"] >= t]
            rows.append((g, float(t), float(later["n_risk"].iloc[0]) if len(later) else 0.0))
    return pd.DataFrame(rows, columns=["group", "time", "n_risk"])


# ------------------------------------------------------------------ at-risk table
def test_at_risk_numbers_drawn_equal_counts_table_and_r(km: Any, lr: Any) -> None:
    fig = F.km_figure(km, test=lr)
    ticks = fig.axes[0].get_xticks()
    np.testing.assert_array_equal(ticks, np.arange(0.0, 61.0, 10.0))
    drawn = drawn_at_risk(fig, km.groups)
    # x positions of the numbers are exactly the tick positions, for every group
    for g in km.groups:
        np.testing.assert_array_equal(drawn.loc[drawn["group"] == g, "time"], ticks)
    counts = risk_table_counts(km, ticks)
    pd.testing.assert_frame_equal(drawn, counts, check_dtype=False)
    pd.testing.assert_frame_equal(drawn, r_rule_from_table(km, ticks), check_dtype=False)
    for g, expected in R_AT_RISK.items():
        assert drawn.loc[drawn["group"] == g, "n_risk"].tolist() == expected
    # the risk table shares the x-axis: same data -> display transform
    rax = risk_axes(fig)
    assert rax.get_shared_x_axes().joined(rax, fig.axes[0])
    assert f"Log-rank p = {R_LOGRANK_P:.3f}" in texts(fig)


def test_at_risk_hand_case_with_ties_and_times_after_follow_up() -> None:
    # times 1, 2, 2, 3, 5, 5, 8 (ties at 2 and 5): at risk = number with time >= t
    d = pd.DataFrame({"t": [1, 2, 2, 3, 5, 5, 8], "e": [1, 1, 0, 1, 0, 1, 0],
                      "g": ["a", "a", "b", "b", "a", "b", "a"]})
    km = hccstudy.kaplan_meier(d, "t", "e", by="g")
    fig = F.km_figure(km, risk_times=[0, 2, 5, 8, 9])
    drawn = drawn_at_risk(fig, km.groups)
    # a: 1, 2, 5, 8; b: 2, 3, 5 (by hand)
    assert drawn.loc[drawn["group"] == "a", "n_risk"].tolist() == [4, 3, 2, 1, 0]
    assert drawn.loc[drawn["group"] == "b", "n_risk"].tolist() == [3, 3, 1, 0, 0]
    np.testing.assert_array_equal(fig.axes[0].get_xticks(), [0, 2, 5, 8, 9])
    pd.testing.assert_frame_equal(drawn, risk_table_counts(km, [0, 2, 5, 8, 9]),
                                  check_dtype=False)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.booleans(), st.sampled_from("xy")),
                min_size=2, max_size=25),
       st.lists(st.integers(0, 15), min_size=1, max_size=6))
def test_risk_table_counts_is_number_with_time_at_least_t(rows: list[tuple[int, bool, str]],
                                                         times: list[int]) -> None:
    d = pd.DataFrame(rows, columns=["t", "e", "g"]).assign(e=lambda f: f["e"].astype(int))
    km = hccstudy.kaplan_meier(d, "t", "e", by="g")
    counts = risk_table_counts(km, times)
    for g, t, n in counts.itertuples(index=False):
        assert n == int(((d["g"] == g) & (d["t"] >= t)).sum())
    pd.testing.assert_frame_equal(counts, r_rule_from_table(km, np.unique(times)),
                                  check_dtype=False)


def test_km_options_draw_what_the_result_holds(km: Any) -> None:
    fig = F.km_figure(km, conf_int=True, median_lines=True, risk_table=False, xmax=36)
    ax = fig.axes[0]
    assert len(fig.axes) == 1
    assert sum(isinstance(c, PolyCollection) for c in ax.collections) == len(km.groups)
    tab = km.table()
    marks = [ln for ln in ax.get_lines() if ln.get_marker() == "|"]
    assert sum(len(ln.get_xdata()) for ln in marks) == int((tab["n_censor"] > 0).sum())
    med = km.median()["median"].tolist()
    vertical = sorted(float(ln.get_xdata()[0]) for ln in ax.get_lines()
                      if ln.get_linestyle() == "--" and ln.get_xdata()[0] == ln.get_xdata()[1])
    assert vertical == sorted(med)
    assert ax.get_xlim()[1] == pytest.approx(36 * 1.02)


def test_p_value_text_and_test_mismatch(demo: pd.DataFrame, km: Any) -> None:
    assert F.format_p(0.0004, name="Log-rank p") == "Log-rank p < 0.001"
    assert F.format_p(0.0123) == "p = 0.012"
    other = hccstudy.logrank(demo, "os_months", "death", "bclc_stage")
    with pytest.raises(InputError, match="groups"):
        F.km_figure(km, test=other)
    with pytest.raises(InputError, match="risk_times"):
        F.km_figure(km, risk_times=[-1, 5])


# ------------------------------------------------------------------ other figures
def test_cif_figure_reads_gray_test_and_risk_table(cif_gray: tuple[Any, Any]) -> None:
    cif, gray = cif_gray
    fig = F.cif_figure(cif, test=gray, causes=["1"], risk_table=True, risk_times=[0, 12, 24])
    p = float(gray.table()["p_value"].iloc[0])
    assert F.format_p(p, name="Gray's test p") in texts(fig)
    drawn = drawn_at_risk(fig, cif.groups)
    tab = cif.table()
    for g, t, n in drawn.itertuples(index=False):
        sel = tab[(tab["group"] == g) & (tab["cause"] == "1") & (tab["time"] >= t)]
        assert n == sel["n_risk"].iloc[0]
    with pytest.raises(InputError, match="causes"):
        F.cif_figure(cif, causes=["9"])


def test_subgroup_forest_not_estimable_is_text_never_a_point() -> None:
    frame = subgroup_frame()
    fig = F.subgroup_forest(frame)
    ax = fig.axes[0]
    shown = texts(fig)
    assert shown.count("not estimable") == 1
    squares = [ln for ln in ax.get_lines() if ln.get_marker() == "s"]
    assert len(squares) == int(frame["estimable"].sum())
    xs = [float(ln.get_xdata()[0]) for ln in squares]
    assert all(np.isfinite(xs)) and min(xs) > 0
    assert {"0.520", "0.310", "70/90", "0/14", "0.68 (0.50\u20130.92)"} <= set(shown)


def test_cox_forest_uses_hazard_ratios(cox_fit: Any) -> None:
    hr = cox_fit.hazard_ratios()
    fig = F.cox_forest(cox_fit)
    shown = texts(fig)
    for term, row in hr.iterrows():
        assert str(term) in shown
        assert f"{row['hr']:.2f} ({row['ci_lower']:.2f}\u2013{row['ci_upper']:.2f})" in shown


def test_love_and_overlap_from_study(study: Any, adjusted: tuple[Any, Any]) -> None:
    bal = study.balance
    fig = F.love_figure(bal)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == list(bal.terms)
    assert any(ln.get_xdata()[0] == 0.1 for ln in ax.get_lines() if ln.get_linestyle() == "--")
    points = [ln for ln in ax.get_lines() if ln.get_marker() in ("o", "s")]
    np.testing.assert_allclose(points[0].get_xdata(), bal.table["smd_before"].abs())
    ps, m = adjusted
    ov = ps_overlap(ps, m, bins=10)
    fig2 = F.ps_overlap_figure(ov)
    heights = [p.get_height() for p in fig2.axes[0].patches]
    before = ov[ov["stage"] == "before"]
    np.testing.assert_allclose(heights, np.concatenate((
        before.loc[before["group"] == "treated", "density"],
        -before.loc[before["group"] == "control", "density"])))


def test_flow_figure_prints_the_flow_counts(study: Any) -> None:
    frame = study.flow_frame()
    shown = [" ".join(s.split(" ")).replace("\n", " ") for s in texts(F.flow_figure(study))]
    n0 = int(frame["n_before"].iloc[0])
    assert f"Patients assessed for eligibility (n = {n0})" in shown
    for _, r in frame[frame["stage"] == "matching"].iterrows():
        lev = r["source"].removeprefix("group ")
        assert f"{lev} (n = {r['n_before']})" in shown
        assert f"Matched (n = {r['n_remaining']})" in shown
    assert sum(s.startswith(f"Excluded (n = {r['n_excluded']})") for s in shown) == 2
    with pytest.raises(InputError, match="eligibility"):
        F.flow_figure(frame[frame["stage"] != "eligibility"])
    # two sources join; "group" rows give group sizes only (no adjustment steps)
    two = pd.DataFrame({
        "stage": ["eligibility", "eligibility", "group", "group"],
        "source": ["Centre A", "Centre B", "group TACE", "group TARE"], "order": [1, 1, 1, 1],
        "reason": ["BCLC D", "BCLC D", "", ""], "n_before": [50, 40, 30, 35],
        "n_excluded": [10, 5, 0, 0], "n_remaining": [40, 35, 30, 35]})
    shown2 = [s.replace("\n", " ") for s in texts(F.flow_figure(two))]
    assert {"Eligible, all sources (n = 75)", "TACE (n = 30)", "TARE (n = 35)",
            "Excluded (n = 10) \u2022 BCLC D (n = 10)"} <= set(shown2)
    assert not any(s.startswith(("Group", "Matched")) for s in shown2)


def test_waterfall_and_swimmer_inputs() -> None:
    f = pd.DataFrame({"value": [10.0, -45.0, 35.0, -100.0], "group": "TACE",
                      "category": ["SD", "PR", "PD", "CR"]})
    ax = F.waterfall_figure(f).axes[0]
    assert [p.get_height() for p in ax.patches] == [35.0, 10.0, -45.0, -100.0]
    assert {ln.get_ydata()[0] for ln in ax.get_lines()} >= {-30.0, 20.0}
    with pytest.raises(InputError, match="value") as err:
        F.waterfall_figure(f.assign(value=[1.0, np.nan, np.nan, 2.0]))
    assert err.value.n_rows == 2
    lanes = pd.DataFrame({"lane": ["k1", "k2"], "start": [0.0, 0.0], "end": [5.0, 3.0],
                          "group": ["TACE", "RT"], "ongoing": [False, True]})
    sw = F.swimmer_figure(lanes).axes[0]
    assert [t.get_text() for t in sw.get_yticklabels()] == []  # lanes stay anonymous
    assert not any("k1" in s for s in texts(sw.figure))
    with pytest.raises(InputError, match="end before"):
        F.swimmer_figure(lanes.assign(end=[-1.0, 3.0]))
    with pytest.raises(InputError, match="no lane"):
        F.swimmer_figure(lanes, pd.DataFrame({"lane": ["zz"], "time": [1.0], "kind": ["PR"]}))
    with pytest.raises(InputError) as err2:
        F.forest_figure(pd.DataFrame({"label": ["a"], "hr": [1.0], "ci_lower": [0.5]}))
    assert err2.value.column == "ci_upper"


# ------------------------------------------------------------------ save_figure
def km_small() -> Figure:
    d = pd.DataFrame({"t": [1, 2, 2, 3, 5, 6], "e": [1, 1, 0, 0, 1, 0],
                      "g": ["a", "b", "a", "b", "a", "b"]})
    return F.km_figure(hccstudy.kaplan_meier(d, "t", "e", by="g"), conf_int=True,
                       figsize=(2.6, 2.2))


def test_save_figure_png_300_dpi_and_identical_bytes(tmp_path: Path) -> None:
    fig = km_small()
    paths = F.save_figure(fig, tmp_path / "sub" / "km")
    assert [p.name for p in paths] == ["km.png", "km.svg", "km.pdf"]
    w, h = fig.get_size_inches()
    with Image.open(paths[0]) as im:
        assert (w, h) == (2.6, 2.2)
        assert im.size == (780, 660)
        assert im.info["dpi"] == pytest.approx((300, 300), abs=0.01)
    first = {p.suffix: p.read_bytes() for p in paths}
    again = F.save_figure(fig, tmp_path / "sub" / "km")
    assert {p.suffix: p.read_bytes() for p in again} == first
    rebuilt = F.save_figure(km_small(), tmp_path / "other", formats=("svg", "pdf"))
    assert rebuilt[0].read_bytes() == first[".svg"]
    assert rebuilt[1].read_bytes() == first[".pdf"]
    svg = first[".svg"].decode()
    assert "<dc:date>" not in svg and "<text" in svg and "DejaVu Sans" in svg
    assert b"CreationDate" not in first[".pdf"]
    with pytest.raises(InputError, match="formats"):
        F.save_figure(fig, tmp_path / "x", formats=("jpg",))


# ------------------------------------------------------------------ golden snapshots
def _snapshot_cases() -> dict[str, Callable[..., Figure]]:
    def km_case(km: Any, lr: Any, **_: Any) -> Figure:
        return F.km_figure(km, test=lr, conf_int=True, median_lines=True, title="OS")

    def cif_case(cif_gray: tuple[Any, Any], **_: Any) -> Figure:
        return F.cif_figure(cif_gray[0], test=cif_gray[1])

    def failure_case(competing: pd.DataFrame, **_: Any) -> Figure:
        return F.failure_type_figure(failure_type_km(competing, "os_months", "cause"))

    def forest_case(**_: Any) -> Figure:
        f = pd.DataFrame({"label": ["Age >= 65", "Age < 65", "Child-Pugh B"],
                          "hr": [0.8, 1.6, np.inf], "ci_lower": [0.5, 0.9, 0.0],
                          "ci_upper": [1.3, 2.9, np.inf], "n": ["40/60", "55/70", "3/3"]})
        return F.forest_figure(f, annotate=[("n", "events/n")], title="Generic rows")

    def subgroup_case(**_: Any) -> Figure:
        return F.subgroup_forest(subgroup_frame(), treated_label="CCRT",
                                 control_label="non-CCRT")

    def cox_case(cox_fit: Any, **_: Any) -> Figure:
        return F.cox_forest(cox_fit, labels={"arm[T.non-CCRT]": "non-CCRT vs CCRT"})

    def love_case(study: Any, **_: Any) -> Figure:
        return F.love_figure(study.balance)

    def overlap_case(adjusted: tuple[Any, Any], **_: Any) -> Figure:
        return F.ps_overlap_figure(ps_overlap(*adjusted, bins=12))

    def flow_case(study: Any, **_: Any) -> Figure:
        return F.flow_figure(study.flow_frame())

    def waterfall_case(**_: Any) -> Figure:
        v = [-100.0, -62.5, -31.0, -12.0, 0.0, 8.0, 22.0, 41.0]
        cat = ["CR", "PR", "PR", "SD", "SD", "SD", "PD", "PD"]
        return F.waterfall_figure(pd.DataFrame({"value": v, "group": "TACE", "category": cat}),
                                  order=["CR", "PR", "SD", "PD"])

    def swimmer_case(**_: Any) -> Figure:
        f = pd.DataFrame({"lane": [1, 2, 2, 3], "start": [0.0, 0.0, 4.0, 0.0],
                          "end": [12.0, 4.0, 15.0, 7.0], "group": ["TACE", "TACE", "RT", "RT"],
                          "ongoing": [True, False, True, False]})
        ev = pd.DataFrame({"lane": [1, 2, 3], "time": [3.0, 2.0, 7.0],
                           "kind": ["PR", "PR", "death"]})
        return F.swimmer_figure(f, ev)

    return {"km": km_case, "cif": cif_case, "failure_type": failure_case,
            "forest": forest_case, "subgroup_forest": subgroup_case, "cox_forest": cox_case,
            "love": love_case, "ps_overlap": overlap_case, "flow": flow_case,
            "waterfall": waterfall_case, "swimmer": swimmer_case}


SNAPSHOT_CASES = _snapshot_cases()


@pytest.mark.parametrize("name", sorted(SNAPSHOT_CASES))
def test_golden_svg(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    build = SNAPSHOT_CASES[name]
    params = build.__code__.co_varnames[:build.__code__.co_argcount]
    fig = build(**{p: request.getfixturevalue(p) for p in params})
    (svg,) = F.save_figure(fig, tmp_path / name, formats=("svg",))
    got = svg.read_bytes()
    golden = SNAPSHOTS / f"{name}.svg"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(got)
    assert golden.exists(), f"no snapshot {golden.name}; run with HCCSTUDY_UPDATE_SNAPSHOTS=1"
    want = golden.read_bytes()
    if got != want:
        diff = "\n".join(list(difflib.unified_diff(
            want.decode().splitlines(), got.decode().splitlines(), "snapshot", "now",
            lineterm="", n=1))[:60])
        pytest.fail(f"{name}.svg differs from its snapshot (HCCSTUDY_UPDATE_SNAPSHOTS=1 "
                    f"regenerates; review the diff):\n{diff}")


# ------------------------------------------------------------------ no statistics
STATS_PACKAGES = ("hccstudy.analyse", "hccstudy.adjust", "hccstudy.design", "scipy",
                  "statsmodels", "lifelines", "sklearn")


def _runtime_imports(tree: ast.Module) -> list[str]:
    """Modules imported outside ``if TYPE_CHECKING:`` blocks."""
    found: list[str] = []

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If):
                test = node.test
                if ((isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
                        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")):
                    visit(node.orelse)
                    continue
            if isinstance(node, ast.Import):
                found.extend(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                found.append(node.module or "")
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    visit([child])

    visit(tree.body)
    return found


def test_figures_import_no_statistics_module() -> None:
    pkg = ROOT / "src" / "hccstudy" / "report" / "figures"
    files = [*sorted(pkg.glob("*.py")), ROOT / "src" / "hccstudy" / "report" / "style.py"]
    assert len(files) >= 7
    for path in files:
        imports = _runtime_imports(ast.parse(path.read_text()))
        bad = [m for m in imports if m.startswith(STATS_PACKAGES)]
        assert not bad, f"{path.name} imports {bad}"
        assert "matplotlib.pyplot" not in imports  # object-oriented API only
    # the checker does see imports under TYPE_CHECKING (they are type hints only)
    sample = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                       "    from hccstudy.analyse.km import X\nimport scipy\n")
    assert _runtime_imports(sample) == ["typing", "scipy"]


def test_pdf_font_subsets_same_bytes_fresh_from_disk_cache_or_without(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the PDF embeds one font subset per font (fixed glyph set): made now, read from the
    # on-disk cache, or with the cache off, the file is the same bytes
    from hccstudy.report.figures import _common

    def draw() -> Figure:
        fig = _common.new_figure(3, 2)
        ax = fig.add_subplot()
        ax.plot([0, 1], [1, 0], label="Survival \u2264 0.5 (HR \u2212 1)")
        ax.set_title("Overall survival", fontweight="bold")
        ax.legend()
        return _common.freeze_layout(fig)

    def pdf_bytes(name: str) -> bytes:
        _common._SUBSETS.clear()  # a new process: nothing in memory
        (path,) = _common.save_figure(draw(), tmp_path / name, formats=("pdf",))
        return path.read_bytes()

    cache = tmp_path / "cache"
    monkeypatch.setenv("HCCSTUDY_CACHE_DIR", str(cache))
    fresh = pdf_bytes("fresh")
    stored = sorted(p.suffix for p in (cache / "pdf-font-subsets").iterdir())
    assert stored and set(stored) == {".json", ".ttf"}
    assert pdf_bytes("from_disk") == fresh
    monkeypatch.setenv("HCCSTUDY_CACHE_DIR", "off")
    assert _common._cache_dir() is None
    assert pdf_bytes("no_cache") == fresh
    assert b"/FontFile2" in fresh  # TrueType (Type 42) embedded, never Type 3
