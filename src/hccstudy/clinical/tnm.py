"""TNM systems of the source studies: LCSGJ, Korean modified UICC, AJCC 7th and 8th T (§4).

Sources: Liver Cancer Study Group of Japan, General Rules (5th Japanese / 3rd English ed.),
as tabulated in World J Gastroenterol 2008;14:58-63; 2022 KLCA-NCC guideline, Korean J Radiol
2022;23:1126-1240, Table 5 (mUICC); Edge SB et al., AJCC Cancer Staging Manual 7th ed. 2010;
Amin MB et al., AJCC Cancer Staging Manual 8th ed. 2017.

Options (§14 rows 19-21): N1M0 is stage IVA in LCSGJ and mUICC (``n1_stage="IVB"`` for papers
that used the older grouping); the Vp/Vv cross-walk to AJCC is the caller's (see
:mod:`hccstudy.clinical.vascular`): vascular invasion = Vp1-2 or Vv1 (or microvascular invasion
on pathology), major branch = Vp3-4 or Vv2-3.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

from hccstudy.clinical._common import ClinicalInputError, at_row, check_value, is_missing, to_flag
from hccstudy.clinical.units import BOUNDS

__all__ = [
    "ajcc7_stage",
    "ajcc7_t",
    "ajcc8_stage",
    "ajcc8_t",
    "lcsgj_stage",
    "lcsgj_t",
    "parse_nm",
    "tnm_frame",
]

_T_BY_FACTORS = {3: "T1", 2: "T2", 1: "T3", 0: "T4"}


def parse_nm(value: object, letter: str, column: str | None = None) -> int | None:
    """Parse N or M status ("N1", "n0", 1, True) to 0/1; missing -> None.

    Examples
    --------
    >>> parse_nm("N1", "N"), parse_nm(False, "M"), parse_nm(None, "N")
    (1, 0, None)
    """
    if is_missing(value):
        return None
    text = str(value).strip().upper().removeprefix(letter.upper())
    mapping = {"0": 0, "1": 1, "FALSE": 0, "TRUE": 1, "0.0": 0, "1.0": 1}
    if text not in mapping:
        raise ClinicalInputError(
            f"{'column ' + repr(column) + ', ' if column else ''}value {value!r}: not an "
            f"{letter.upper()} category; rule: {letter.upper()}0 or {letter.upper()}1",
            column=column, n_rows=1, rule=f"{letter} in 0/1", value=value)
    return mapping[text]


def lcsgj_t(n_tumours: int | None, max_diam_cm: float | None,
            invasion: bool | None) -> str | None:
    """LCSGJ / mUICC T from three factors: solitary; largest <= 2.0 cm; no vascular or bile-duct
    invasion (Vp0, Vv0, B0). T1 = 3 met, T2 = 2, T3 = 1, T4 = 0. An unknown factor is counted as
    met and as not met; if the two T differ the result is None (§4.1).

    Examples
    --------
    >>> lcsgj_t(2, 1.8, False), lcsgj_t(1, 5.0, True), lcsgj_t(1, 2.0, False)
    ('T2', 'T3', 'T1')
    >>> lcsgj_t(2, 5.0, None) is None
    True
    """
    n = check_value(n_tumours, BOUNDS["n_tumours"], "n_tumours")
    size = check_value(max_diam_cm, BOUNDS["size"], "max_diam_cm")
    factors = [None if n is None else n == 1, None if size is None else size <= 2.0,
               None if invasion is None else not invasion]
    met = sum(1 for f in factors if f is True)
    unknown = sum(1 for f in factors if f is None)
    lo, hi = _T_BY_FACTORS[met + unknown], _T_BY_FACTORS[met]
    return lo if lo == hi else None


def lcsgj_stage(t: str | None, n: int | None, m: int | None, *,
                n1_stage: Literal["IVA", "IVB"] = "IVA") -> str | None:
    """LCSGJ (and KLCA-NCC 2022 mUICC) stage: I-III = T1-T3 N0M0; IVA = T4N0M0 or N1M0;
    IVB = M1. ``n1_stage="IVB"`` follows older Korean papers (§4.2 caveat).

    Examples
    --------
    >>> lcsgj_stage("T2", 0, 0), lcsgj_stage("T3", 1, 0), lcsgj_stage(None, 0, 1)
    ('II', 'IVA', 'IVB')
    """
    if m == 1:
        return "IVB"
    if m is None:
        return None
    if n == 1:
        return n1_stage
    if n is None or t is None:
        return None
    return {"T1": "I", "T2": "II", "T3": "III", "T4": "IVA"}[t]


def ajcc7_t(n_tumours: int | None, max_diam_cm: float | None, vascular_invasion: bool | None,
            major_branch: bool | None, adjacent_organ: bool | None = False) -> str | None:
    """AJCC 7th edition HCC T (T1, T2, T3a, T3b, T4; §4.3).

    Examples
    --------
    >>> ajcc7_t(1, 1.8, True, False), ajcc7_t(3, 6.0, False, False), ajcc7_t(1, 3, True, True)
    ('T2', 'T3a', 'T3b')
    """
    if adjacent_organ:
        return "T4"
    if major_branch:
        return "T3b" if adjacent_organ is not None else None
    if major_branch is None or adjacent_organ is None:
        return None
    n = check_value(n_tumours, BOUNDS["n_tumours"], "n_tumours")
    size = check_value(max_diam_cm, BOUNDS["size"], "max_diam_cm")
    if n is None:
        return None
    if n == 1:
        if vascular_invasion is None:
            return None
        return "T2" if vascular_invasion else "T1"
    if size is None:
        return None
    return "T3a" if size > 5.0 else "T2"


def ajcc8_t(n_tumours: int | None, max_diam_cm: float | None, vascular_invasion: bool | None,
            major_branch: bool | None, adjacent_organ: bool | None = False) -> str | None:
    """AJCC 8th edition HCC T (T1a, T1b, T2, T3, T4; §4.4).

    Examples
    --------
    >>> ajcc8_t(1, 1.8, True, False), ajcc8_t(1, 5.0, True, False), ajcc8_t(3, 6.0, False, False)
    ('T1a', 'T2', 'T3')
    >>> ajcc8_t(1, 3.0, True, True), ajcc8_t(1, 2.0, False, False), ajcc8_t(1, 2.01, False, False)
    ('T4', 'T1a', 'T1b')
    """
    if major_branch or adjacent_organ:
        return "T4"
    if major_branch is None or adjacent_organ is None:
        return None
    n = check_value(n_tumours, BOUNDS["n_tumours"], "n_tumours")
    size = check_value(max_diam_cm, BOUNDS["size"], "max_diam_cm")
    if n is None or size is None:
        return None
    if n == 1:
        if size <= 2.0:
            return "T1a"
        if vascular_invasion is None:
            return None
        return "T2" if vascular_invasion else "T1b"
    return "T3" if size > 5.0 else "T2"


def _ajcc_stage(t: str | None, n: int | None, m: int | None,
                by_t: dict[str, str]) -> str | None:
    """AJCC stage: IVB if M1, IVA if N1M0, else the N0M0 stage of the T category."""
    if m == 1:
        return "IVB"
    if m is None:
        return None
    if n == 1:
        return "IVA"
    if n is None or t is None:
        return None
    return by_t[t]


def ajcc7_stage(t: str | None, n: int | None, m: int | None) -> str | None:
    """AJCC 7th stage: I T1; II T2; IIIA T3a; IIIB T3b; IIIC T4 (all N0M0); IVA N1M0; IVB M1.

    Examples
    --------
    >>> ajcc7_stage("T3b", 0, 0), ajcc7_stage("T1", 1, 0)
    ('IIIB', 'IVA')
    """
    return _ajcc_stage(t, n, m, {"T1": "I", "T2": "II", "T3a": "IIIA", "T3b": "IIIB",
                                 "T4": "IIIC"})


def ajcc8_stage(t: str | None, n: int | None, m: int | None) -> str | None:
    """AJCC 8th stage: IA T1a; IB T1b; II T2; IIIA T3; IIIB T4 (all N0M0); IVA N1M0; IVB M1.

    Examples
    --------
    >>> ajcc8_stage("T4", 0, 0), ajcc8_stage("T1a", 0, 1)
    ('IIIB', 'IVB')
    """
    return _ajcc_stage(t, n, m, {"T1a": "IA", "T1b": "IB", "T2": "II", "T3": "IIIA",
                                 "T4": "IIIB"})


def tnm_frame(
    frame: pd.DataFrame,
    *,
    n_tumours: str = "n_tumours",
    max_diam_cm: str = "max_diam_cm",
    vp: str = "vp",
    vv: str = "vv",
    bile_duct: str = "b",
    microvascular_invasion: str = "microvascular_invasion",
    adjacent_organ_invasion: str = "adjacent_organ_invasion",
    n_stage: str = "n_stage",
    m_stage: str = "m_stage",
    n1_stage: Literal["IVA", "IVB"] = "IVA",
) -> pd.DataFrame:
    """LCSGJ/mUICC T and stage and AJCC 7th/8th T and stage for every row.

    LCSGJ invasion = Vp >= 1 or Vv >= 1 or B >= 1 (an absent B column is not used; a missing
    value in a present column makes the factor unknown). AJCC vascular invasion = Vp1-2, Vv1 or
    microvascular invasion; major branch = Vp3-4 or Vv2-3 (Vv3 flagged in ``ivc_invasion`` by
    :func:`~hccstudy.clinical.vascular.vascular_frame`). An absent adjacent-organ column counts
    as no invasion (imaging-based cohorts rarely record it); the docs list this assumption.

    Columns: ``lcsgj_t``, ``lcsgj_stage``, ``muicc_stage``, ``ajcc7_t``, ``ajcc7_stage``,
    ``ajcc8_t``, ``ajcc8_stage``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"n_tumours": [1], "max_diam_cm": [5.0], "vp": ["Vp2"], "vv": [0],
    ...                   "n_stage": ["N1"], "m_stage": ["M0"]})
    >>> tnm_frame(d).iloc[0].tolist()
    ['T3', 'IVA', 'IVA', 'T2', 'IVA', 'T2', 'IVA']
    """
    from hccstudy.clinical.vascular import parse_level

    nrow = len(frame)

    def col(name: str) -> list[object]:
        return list(frame[name]) if name in frame.columns else [None] * nrow

    has_b = bile_duct in frame.columns
    has_adj = adjacent_organ_invasion in frame.columns
    rows = []
    for i, (nt, sz, vp_, vv_, b_, mvi, adj, n_, m_) in enumerate(zip(
            col(n_tumours), col(max_diam_cm), col(vp), col(vv), col(bile_duct),
            col(microvascular_invasion), col(adjacent_organ_invasion), col(n_stage),
            col(m_stage), strict=True)):
        try:
            vpl, vvl = parse_level(vp_, "vp", vp), parse_level(vv_, "vv", vv)
            bl = parse_level(b_, "b", bile_duct) if has_b else 0
            n = parse_nm(n_, "N", n_stage)
            m = parse_nm(m_, "M", m_stage)
            nt_c = check_value(None if is_missing(nt) else float(nt), BOUNDS["n_tumours"],
                               n_tumours)
            nt_v = None if nt_c is None else int(nt_c)
            sz_v = check_value(None if is_missing(sz) else float(sz), BOUNDS["size"],
                               max_diam_cm)
            levels = (vpl, vvl, bl)
            inv: bool | None = (True if any(x is not None and x >= 1 for x in levels)
                                else (None if any(x is None for x in levels) else False))
            major: bool | None = (True if (vpl is not None and vpl >= 3) or (vvl is not None and vvl >= 2)
                                  else (None if vpl is None or vvl is None else False))
            mv = to_flag(mvi, microvascular_invasion)
            vasc: bool | None = (True if (vpl in (1, 2) or vvl == 1 or mv) else
                                 (None if vpl is None or vvl is None else False))
            adj_b = to_flag(adj, adjacent_organ_invasion) if has_adj else False
            t_l = lcsgj_t(nt_v, sz_v, inv)
            t7 = ajcc7_t(nt_v, sz_v, vasc, major, adj_b)
            t8 = ajcc8_t(nt_v, sz_v, vasc, major, adj_b)
        except ClinicalInputError as e:
            raise at_row(e, i) from None
        rows.append((t_l, lcsgj_stage(t_l, n, m), lcsgj_stage(t_l, n, m, n1_stage=n1_stage),
                     t7, ajcc7_stage(t7, n, m), t8, ajcc8_stage(t8, n, m)))
    names = ["lcsgj_t", "lcsgj_stage", "muicc_stage", "ajcc7_t", "ajcc7_stage", "ajcc8_t",
             "ajcc8_stage"]
    return pd.DataFrame({nm: pd.Series([r[j] for r in rows], dtype=object, index=frame.index)
                         for j, nm in enumerate(names)})
