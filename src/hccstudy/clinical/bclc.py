"""BCLC staging: 2022 (default; kept by the 2025 update), 2018 (EASL) and 2010 (EASL-EORTC 2012).

Sources: Reig M et al., J Hepatol 2022;76:681-693 (2022 update); EASL CPG, J Hepatol
2018;69:182-236; Forner A et al., Semin Liver Dis 2010;30:61-74 and EASL-EORTC CPG, J Hepatol
2012;56:908-943. Rules per clinical-definitions §3; the 1999 A1-A4 split is not implemented.

Options (§14 rows 1-3): ``version`` ("2022" default); ``cp_b_policy`` for Child-Pugh B under
2018/2022 ("preserved" default for 2022, "uncertain" for 2018; "uncertain" gives no stage);
macrovascular invasion = any radiological Vp or Vv (the caller passes ``any_macrovascular``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from hccstudy.clinical._common import (
    ClinicalInputError,
    at_row,
    check_value,
    is_missing,
    join_reasons,
    to_flag,
)
from hccstudy.clinical.units import BOUNDS

__all__ = ["Bclc", "bclc_frame", "bclc_stage", "liver_function_status"]

Version = Literal["2022", "2018", "2010"]
CpBPolicy = Literal["preserved", "end_stage", "uncertain"]
LiverFunction = Literal["preserved", "end_stage", "uncertain"]


def liver_function_status(child_pugh_class: str, *, version: Version = "2022",
                          cp_b_policy: CpBPolicy | None = None,
                          ascites: bool | None = None) -> LiverFunction | None:
    """Map the Child-Pugh class to BCLC liver function (§3.2-3.4).

    2022: A preserved, C end-stage, B per ``cp_b_policy`` (default "preserved").
    2018: preserved = Child-Pugh A without ascites; other A and B per ``cp_b_policy`` (default
    "uncertain"); C end-stage. 2010: A and B preserved (B is allowed in stages A-C), C end-stage.
    Returns None when the 2018 rule needs ``ascites`` and it is missing.

    Examples
    --------
    >>> liver_function_status("B"), liver_function_status("B", version="2018")
    ('preserved', 'uncertain')
    >>> liver_function_status("A", version="2018", ascites=True)
    'uncertain'
    """
    cls = str(child_pugh_class).strip().upper()[:1]
    if cls not in ("A", "B", "C"):
        raise ClinicalInputError(f"value {child_pugh_class!r}: not a Child-Pugh class; rule: A/B/C",
                                 column="child_pugh_class", n_rows=1, rule="class in A/B/C",
                                 value=child_pugh_class)
    if cls == "C":
        return "end_stage"
    if version == "2010":
        return "preserved"
    if version == "2022":
        return "preserved" if cls == "A" else (cp_b_policy or "preserved")
    if version == "2018":
        if cls == "A":
            if ascites is None:
                return None
            if not ascites:
                return "preserved"
        return cp_b_policy or "uncertain"
    raise ClinicalInputError(f"BCLC version {version!r} not implemented; rule: 2022/2018/2010",
                             rule="version in 2022/2018/2010", value=version)


@dataclass(frozen=True, slots=True)
class Bclc:
    """A BCLC stage ('0', 'A', 'B', 'C', 'D' or None) with reason and flags."""

    stage: str | None
    reason: str | None
    flags: str | None


def bclc_stage(
    *,
    n_tumours: int | str | None,
    max_diam_cm: float | None,
    macrovascular_invasion: bool | None,
    extrahepatic_spread: bool | None,
    ecog: int | None,
    child_pugh_class: str | None,
    ascites: bool | None = None,
    version: Version = "2022",
    cp_b_policy: CpBPolicy | None = None,
) -> Bclc:
    """BCLC stage by the decision order of clinical-definitions §3.2 (2022/2018) or §3.4 (2010).

    ``n_tumours`` may be "multiple" (count unknown, > 1). "All nodules <= 3 cm" is read from
    the largest diameter. A missing input gives ``None`` with a reason unless the stage is fixed
    without it (e.g. end-stage liver function -> D whatever the PS; PS 1-2 -> C whatever MVI).

    Examples
    --------
    >>> kw = dict(macrovascular_invasion=False, extrahepatic_spread=False, ecog=0)
    >>> bclc_stage(n_tumours=1, max_diam_cm=1.8, child_pugh_class="A", **kw).stage
    '0'
    >>> bclc_stage(n_tumours=1, max_diam_cm=1.5, child_pugh_class="B", version="2010", **kw).stage
    'A'
    >>> bclc_stage(n_tumours=1, max_diam_cm=2.0, child_pugh_class="A", version="2010", **kw).stage
    'A'
    """
    ecog_v = check_value(ecog, BOUNDS["ecog"], "ecog")
    size = check_value(max_diam_cm, BOUNDS["size"], "max_diam_cm")
    n_mult = isinstance(n_tumours, str)
    if n_mult and str(n_tumours).strip().lower() not in ("multiple", "multiple_unknown"):
        raise ClinicalInputError(f"value {n_tumours!r}: n_tumours must be a count or 'multiple'",
                                 column="n_tumours", n_rows=1, rule="n_tumours >= 1",
                                 value=n_tumours)
    n = None if isinstance(n_tumours, str) else check_value(n_tumours, BOUNDS["n_tumours"],
                                                             "n_tumours")
    flags: list[str] = [f"bclc={version}"]
    # liver function
    lf: str | None = None
    if child_pugh_class is not None and not is_missing(child_pugh_class):
        lf = liver_function_status(child_pugh_class, version=version, cp_b_policy=cp_b_policy,
                                   ascites=ascites)
        if str(child_pugh_class).upper().startswith("B") and version != "2010":
            flags.append(f"cp_b_policy={cp_b_policy or ('preserved' if version == '2022' else 'uncertain')}")
    fl = join_reasons(flags)
    if lf == "end_stage":
        return Bclc("D", None, fl)
    if ecog_v is not None and ecog_v >= 3:
        return Bclc("D", None, fl)
    missing: list[str] = []
    if is_missing(child_pugh_class):
        missing.append("missing:child_pugh_class")
    elif lf is None:
        missing.append("missing:ascites")
    if ecog_v is None:
        missing.append("missing:ecog")
    if missing:
        return Bclc(None, join_reasons(missing), fl)
    if lf == "uncertain":
        return Bclc(None, "uncertain:liver_function", fl)
    if macrovascular_invasion is True or extrahepatic_spread is True:
        return Bclc("C", None, fl)
    if ecog_v in (1.0, 2.0):
        return Bclc("C", None, fl)
    why = [f"missing:{k}" for k, v in (("macrovascular_invasion", macrovascular_invasion),
                                        ("extrahepatic_spread", extrahepatic_spread))
           if v is None or is_missing(v)]
    if why:
        return Bclc(None, join_reasons(why), fl)
    if n is None and not n_mult:
        return Bclc(None, "missing:n_tumours", fl)
    if n == 1:
        if size is None:
            return Bclc(None, "missing:max_diam_cm", fl)
        very_early = size < 2.0 if version == "2010" else size <= 2.0
        if version == "2010" and str(child_pugh_class).upper()[:1] != "A":
            very_early = False
        return Bclc("0" if very_early else "A", None, fl)
    if size is None:
        return Bclc(None, "missing:max_diam_cm", fl)
    if size > 3.0 or (n is not None and n > 3):
        return Bclc("B", None, fl)
    if n_mult:
        return Bclc(None, "undetermined:n_tumours_multiple", fl)
    return Bclc("A", None, fl)


def bclc_frame(
    frame: pd.DataFrame,
    *,
    n_tumours: str = "n_tumours",
    max_diam_cm: str = "max_diam_cm",
    macrovascular_invasion: str = "any_macrovascular",
    extrahepatic_spread: str = "extrahepatic_spread",
    ecog: str = "ecog",
    child_pugh_class: str = "child_pugh_class",
    ascites: str = "ascites",
    version: Version = "2022",
    cp_b_policy: CpBPolicy | None = None,
    prefix: str | None = None,
) -> pd.DataFrame:
    """Columns ``bclc_<version>``, ``bclc_<version>_reason``, ``bclc_<version>_flags``.

    ``ascites`` (any category other than none counts as ascites) is read only for 2018.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"n_tumours": [1, 2], "max_diam_cm": [1.5, 4.0], "ecog": [0, 0],
    ...                   "any_macrovascular": [False, False], "extrahepatic_spread": [False, None],
    ...                   "child_pugh_class": ["B", "A"]})
    >>> bclc_frame(d)["bclc_2022"].tolist(), bclc_frame(d)["bclc_2022_reason"].tolist()
    (['0', None], [None, 'missing:extrahepatic_spread'])
    """
    from hccstudy.clinical.child_pugh import normalise_ascites

    pre = prefix or f"bclc_{version}"
    nrow = len(frame)

    def col(name: str) -> list[object]:
        return list(frame[name]) if name in frame.columns else [None] * nrow

    out = []
    for i, (nt, sz, mvi, ehs, ps, cp, asc) in enumerate(zip(
            col(n_tumours), col(max_diam_cm), col(macrovascular_invasion),
            col(extrahepatic_spread), col(ecog), col(child_pugh_class), col(ascites), strict=True)):
        asc_b = None
        if version == "2018" and not is_missing(asc):
            asc_b = normalise_ascites(asc) != "none"
        try:
            r = bclc_stage(
                n_tumours=None if is_missing(nt) else (nt if isinstance(nt, str) else int(nt)),
                max_diam_cm=None if is_missing(sz) else float(sz),
                macrovascular_invasion=to_flag(mvi, macrovascular_invasion),
                extrahepatic_spread=to_flag(ehs, extrahepatic_spread),
                ecog=None if is_missing(ps) else ps,
                child_pugh_class=None if is_missing(cp) else str(cp),
                ascites=asc_b, version=version, cp_b_policy=cp_b_policy)
        except ClinicalInputError as e:
            raise at_row(e, i) from None
        out.append((r.stage, r.reason, r.flags))
    arr = np.array(out, dtype=object).reshape(nrow, 3)
    return pd.DataFrame({pre: arr[:, 0], f"{pre}_reason": arr[:, 1], f"{pre}_flags": arr[:, 2]},
                        index=frame.index)
