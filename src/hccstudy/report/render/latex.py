"""LaTeX (booktabs) of a report table: ``\\toprule``, ``\\midrule``, ``\\bottomrule``.

The output is a ``table`` float with caption and label; notes follow the tabular in
``\\footnotesize``. Needs ``\\usepackage{booktabs}``.

Examples
--------
>>> import pandas as pd
>>> from hccstudy.report.tables import ReportTable
>>> t = ReportTable("cox", "Cox model", pd.DataFrame(),
...                 pd.DataFrame({"Term": ["size_cm"], "p": ["< 0.001"]}))
>>> tex = table_latex(t)
>>> "\\\\toprule" in tex and "size\\\\_cm" in tex and "$<$ 0.001" in tex
True
"""

from __future__ import annotations

from hccstudy.report.render import display_rows
from hccstudy.report.tables import ReportTable

__all__ = ["latex_escape", "table_latex"]

_ESC = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
        "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}",
        "<": "$<$", ">": "$>$", "–": "--", "—": "---", "×": r"$\times$", "≥": r"$\geq$",
        "≤": r"$\leq$", "±": r"$\pm$", "\u200b": ""}
_ESC_TABLE = str.maketrans(_ESC)


def latex_escape(text: str) -> str:
    """Escape LaTeX special characters (and map a few symbols to math mode).

    Examples
    --------
    >>> latex_escape("50% of A_B ≥ 2")
    '50\\\\% of A\\\\_B $\\\\geq$ 2'
    """
    return str(text).translate(_ESC_TABLE)


def table_latex(table: ReportTable) -> str:
    """A booktabs ``table`` environment (first column left-aligned, others centred)."""
    ncol = len(table.display.columns)
    lines = [r"\begin{table}[htbp]", r"\centering",
             rf"\caption{{{latex_escape(table.title)}}}",
             rf"\label{{tab:{latex_escape(table.key)}}}",
             r"\begin{tabular}{l" + "c" * max(ncol - 1, 0) + "}", r"\toprule"]
    if table.spanners:
        cells, rules, col = [], [], 1
        for lab, span in table.spanners:
            if lab:
                cells.append(rf"\multicolumn{{{span}}}{{c}}{{{latex_escape(lab)}}}")
                rules.append(rf"\cmidrule(lr){{{col}-{col + span - 1}}}")
            else:
                cells.extend([""] * span)
            col += span
        lines.append(" & ".join(cells) + r" \\")
        lines.append(" ".join(rules))
    lines.append(" & ".join(latex_escape(str(c)) for c in table.display.columns) + r" \\")
    lines.append(r"\midrule")
    for i, row in enumerate(display_rows(table.display)):
        cells = [latex_escape(str(v)) for v in row]
        if i < len(table.indent) and table.indent[i] and cells:
            cells[0] = r"\quad " + cells[0]
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    notes = table.notes()
    if notes:
        lines.append(r"\par\smallskip\footnotesize")
        lines.extend(latex_escape(n) + r"\par" for n in notes)
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"
