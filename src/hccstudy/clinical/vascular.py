"""Vascular invasion codes (LCSGJ Vp0-Vp4, Vv0-Vv3, B0-B4) and derived flags (§5).

Sources: World J Gastroenterol 2022;28:704-714, Fig. 2 legend (Vp, [V]); LCSGJ General Rules
(Vv and B levels, [K]). The cross-walk to AJCC "major branch" (Vp3-4 or Vv2; Vv3 = IVC treated
as major and flagged) is the reference's recommended default (§14 row 21, [K]).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from hccstudy.clinical._common import ClinicalInputError, at_row, is_missing, to_flag

__all__ = ["VascularFlags", "parse_level", "vascular_flags", "vascular_frame"]

_MAX = {"vp": 4, "vv": 3, "b": 4}
_NAME = {"vp": "Vp", "vv": "Vv", "b": "B"}


def parse_level(value: object, kind: str, column: str | None = None) -> int | None:
    """Parse a Vp / Vv / B code ("Vp3", "vp 3", 3) to an int; missing -> None.

    Examples
    --------
    >>> parse_level("Vp3", "vp"), parse_level(2, "vv"), parse_level(None, "vp")
    (3, 2, None)
    """
    if is_missing(value):
        return None
    kind = kind.lower()
    text = str(value).strip().lower().replace(" ", "")
    m = re.fullmatch(rf"(?:{kind})?(\d)(?:\.0)?", text)
    if m is None or int(m.group(1)) > _MAX[kind]:
        name = _NAME[kind]
        raise ClinicalInputError(
            f"{'column ' + repr(column) + ', ' if column else ''}value {value!r}: not a "
            f"{name} code; rule: {name}0-{name}{_MAX[kind]}",
            column=column, n_rows=1, rule=f"{kind} in 0..{_MAX[kind]}", value=value)
    return int(m.group(1))


@dataclass(frozen=True, slots=True)
class VascularFlags:
    """Flags derived from Vp/Vv (None where undetermined)."""

    any_pvi: bool | None
    major_pvi: bool | None
    minor_pvi: bool | None
    any_macrovascular: bool | None
    major_vessel: bool | None
    ivc_invasion: bool | None


def _or(*xs: bool | None) -> bool | None:
    if any(x is True for x in xs):
        return True
    return None if any(x is None for x in xs) else False


def vascular_flags(vp: int | None, vv: int | None, *, pvtt_present: bool | None = None
                   ) -> VascularFlags:
    """Derived vascular flags (§5.3).

    ``any_pvi`` = Vp >= 1; ``major_pvi`` = Vp3-4; ``minor_pvi`` = Vp1-2;
    ``any_macrovascular`` = Vp >= 1 or Vv >= 1 (used by BCLC, §14 row 3);
    ``major_vessel`` (AJCC "major branch") = Vp3-4 or Vv2-3; ``ivc_invasion`` = Vv3.
    ``pvtt_present=True`` with no Vp level gives any_pvi True and major_pvi None.

    Examples
    --------
    >>> f = vascular_flags(3, 0)
    >>> f.major_pvi, f.any_macrovascular, f.major_vessel
    (True, True, True)
    >>> vascular_flags(None, 0, pvtt_present=True).major_pvi is None
    True
    """
    any_pvi: bool | None
    major: bool | None
    minor: bool | None
    if vp is None:  # only "PVTT present/absent" known: the level is unknown
        any_pvi = None if pvtt_present is None else bool(pvtt_present)
        major = minor = False if any_pvi is False else None
    else:
        any_pvi, major, minor = vp >= 1, vp >= 3, vp in (1, 2)
    any_vv = None if vv is None else vv >= 1
    major_vv = None if vv is None else vv >= 2
    return VascularFlags(
        any_pvi=any_pvi, major_pvi=major, minor_pvi=minor,
        any_macrovascular=_or(any_pvi, any_vv), major_vessel=_or(major, major_vv),
        ivc_invasion=None if vv is None else vv == 3)


def vascular_frame(frame: pd.DataFrame, *, vp: str = "vp", vv: str = "vv",
                   pvtt_present: str | None = "pvtt_present") -> pd.DataFrame:
    """Columns ``vp_level``, ``vv_level``, ``any_pvi``, ``major_pvi``, ``minor_pvi``,
    ``any_macrovascular``, ``major_vessel_invasion``, ``ivc_invasion`` (nullable booleans).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"vp": ["Vp0", "Vp4", None], "vv": [0, 0, 3]})
    >>> vascular_frame(d)[["major_pvi", "any_macrovascular", "ivc_invasion"]].to_numpy().tolist()
    [[False, False, False], [True, True, False], [<NA>, True, True]]
    """
    n = len(frame)
    vps = _levels(frame, vp, "vp")
    vvs = _levels(frame, vv, "vv")
    pv = (frame[pvtt_present] if pvtt_present and pvtt_present in frame.columns
          else pd.Series([None] * n))
    rows = []
    for i in range(n):
        try:
            p = to_flag(pv.iloc[i], pvtt_present)
        except ClinicalInputError as e:
            raise at_row(e, i) from None
        f = vascular_flags(vps[i], vvs[i], pvtt_present=p)
        rows.append((f.any_pvi, f.major_pvi, f.minor_pvi, f.any_macrovascular, f.major_vessel,
                     f.ivc_invasion))
    names = ["any_pvi", "major_pvi", "minor_pvi", "any_macrovascular", "major_vessel_invasion",
             "ivc_invasion"]
    out = pd.DataFrame({"vp_level": pd.Series(vps, dtype="Int64", index=frame.index),
                        "vv_level": pd.Series(vvs, dtype="Int64", index=frame.index)})
    for j, name in enumerate(names):
        out[name] = pd.Series([r[j] for r in rows], dtype="boolean", index=frame.index)
    return out


def _levels(frame: pd.DataFrame, column: str, kind: str) -> list[int | None]:
    if column not in frame.columns:
        return [None] * len(frame)
    out = []
    for i, v in enumerate(frame[column]):
        try:
            out.append(parse_level(v, kind, column))
        except ClinicalInputError as e:
            raise at_row(e, i) from None
    return out
