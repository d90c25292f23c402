"""Console rendering of the demo analysis (rich tables).

Formatting only: every number printed here comes from a result object of
``hccstudy.analyse``; nothing is recomputed.
"""

from __future__ import annotations

import math

from rich.console import Console
from rich.table import Table

__all__ = ["format_p", "print_demo"]

# The demo model: arm (non-CCRT vs CCRT, as seed 000 reports "CCRT (no vs yes)"),
# tumour size per cm, BCLC B vs C.
_DEMO_FORMULA = (
    "C(arm, contr.treatment('CCRT')) + tumour_size_cm + C(bclc_stage, contr.treatment('C'))"
)
_TERM_LABELS = {
    "C(arm, contr.treatment('CCRT'))[T.non-CCRT]": "non-CCRT vs CCRT",
    "tumour_size_cm": "Tumour size (per cm)",
    "C(bclc_stage, contr.treatment('C'))[T.B]": "BCLC B vs C",
}


def format_p(p: float) -> str:
    """Journal style p-value: ``< 0.001`` below 0.001, else three decimals.

    Examples
    --------
    >>> format_p(0.0004), format_p(0.0412), format_p(0.5)
    ('< 0.001', '0.041', '0.500')
    """
    if math.isnan(p):
        return "NA"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _p_eq(p: float) -> str:
    """``p = 0.012`` or ``p < 0.001``."""
    text = format_p(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def _num(x: float, digits: int) -> str:
    return "NR" if math.isnan(x) else f"{x:.{digits}f}"


def print_demo(digits: int = 2, console: Console | None = None) -> None:
    """Run and print the demo: KM by arm, log-rank and a Cox model on the synthetic cohort."""
    import hccstudy

    if console is None:
        console = Console()
        if not console.is_terminal:  # piped or captured: do not squeeze tables to 80 columns
            console = Console(width=130)
    con = console
    d = hccstudy.datasets.load_demo()
    con.print(
        f"[bold]hccstudy {hccstudy.__version__} demo[/bold]: bundled synthetic cohort "
        f"({len(d)} patients, CCRT vs non-CCRT, overall survival in months; no real patients)"
    )

    km = hccstudy.kaplan_meier(d, "os_months", "death", by="arm")
    med = km.median()
    rates = km.at([24.0, 60.0])
    fu = km.followup()
    t = Table(title="Kaplan-Meier overall survival (95% CI, log transform)")
    for col in ("Arm", "n", "Deaths", "Median OS (95% CI)", "2-year OS % (95% CI)",
                "5-year OS % (95% CI)", "Median follow-up"):
        t.add_column(col, justify="right" if col != "Arm" else "left")
    for _, m in med.iterrows():
        g = m["group"]
        r = rates[rates["group"] == g].set_index("time")
        cells = []
        for tt in (24.0, 60.0):
            if tt in r.index:
                row = r.loc[tt]
                cells.append(
                    f"{100 * row['survival']:.1f} ({_num(100 * row['ci_lower'], 1)}-"
                    f"{_num(100 * row['ci_upper'], 1)})"
                )
            else:
                cells.append("NA")
        f_med = float(fu.loc[fu["group"] == g, "median"].iloc[0])
        t.add_row(
            str(g), str(int(m["n"])), str(int(m["n_events"])),
            f"{_num(m['median'], 1)} ({_num(m['ci_lower'], 1)}-{_num(m['ci_upper'], 1)})",
            *cells, _num(f_med, 1),
        )
    con.print(t)
    con.print("NR: not reached. Median follow-up by reverse Kaplan-Meier.")

    lr = hccstudy.logrank(d, "os_months", "death", by="arm")
    con.print(
        f"\n[bold]Log-rank test[/bold]: chi-square = {lr.statistic:.{digits}f} on {lr.df} df, "
        f"{_p_eq(lr.p_value)}\n  method: {lr.method}"
    )

    fit = hccstudy.cox(d, _DEMO_FORMULA, time="os_months", event="death")
    hr = fit.hazard_ratios()
    t = Table(title="Cox proportional hazards model",
              caption=f"{fit.ties} ties; n = {fit.n}, events = {fit.n_events}")
    for col in ("Term", "Hazard ratio", "95% CI", "p (Wald)"):
        t.add_column(col, justify="left" if col == "Term" else "right")
    for term, row in hr.iterrows():
        t.add_row(
            _TERM_LABELS.get(str(term), str(term)), f"{row['hr']:.{digits}f}",
            f"{row['ci_lower']:.{digits}f}-{row['ci_upper']:.{digits}f}", format_p(row["p"]),
        )
    con.print(t)
    tests = fit.tests
    con.print(
        f"Concordance = {fit.concordance[0]:.3f} (se {fit.concordance[1]:.3f}); "
        f"likelihood ratio test {_p_eq(float(tests['p'].to_numpy()[list(tests.index).index('likelihood_ratio')]))}"
    )
