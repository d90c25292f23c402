"""Tumour response by mRECIST and RECIST 1.1 from lesion-level longitudinal measurements (§6).

Sources: Lencioni R, Llovet JM, Semin Liver Dis 2010;30:52-60 and Llovet JM, Lencioni R,
J Hepatol 2020;72:288-306 (mRECIST); Eisenhauer EA et al., Eur J Cancer 2009;45:228-247
(RECIST 1.1); KLCA-NCC 2022 Table 11.

Input: one row per lesion per assessment with columns (defaults) ``patient_id``, ``lesion_id``,
``date``, ``target`` (bool, as designated at baseline), ``new`` (bool: a new lesion that
qualifies as progression, i.e. under mRECIST a typical >= 1 cm new HCC; equivocal lesions should
be flagged only once confirmed, dated when first seen), ``diam_mm`` (RECIST measurement: longest
diameter, short axis for nodes; 0 = disappeared), ``viable_mm`` (mRECIST: longest diameter of the
arterially enhancing part; 0 = no enhancement), optional ``organ``, ``node`` (bool) and
``progression`` (bool: unequivocal progression of a non-target lesion). The baseline is each
patient's first assessment date.

Options (§14 rows 10-14): ``criteria`` "mrecist" (default) or "recist1.1"; target limits of
RECIST 1.1 (5 in all, 2 per organ) or RECIST 1.0 (10, 5); after an earlier CR (nadir 0) any
reappearance of viable tumour is PD (``after_cr="pd"``) or needs +20 % and +5 mm
(``"threshold"``); confirmation of CR/PR not required by default; ORR/DCR denominator all
patients with a baseline assessment (NE counted as non-responder) or evaluable only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from hccstudy.clinical._common import ClinicalInputError, flag_array

__all__ = [
    "ResponseRates",
    "best_overall_response",
    "overall_response",
    "response_rates",
    "target_response",
    "timepoint_responses",
]

Criteria = Literal["mrecist", "recist1.1"]
_RANK = {"CR": 0, "PR": 1, "SD": 2, "PD": 3, "NE": 4}
_LIMITS = {"recist1.1": (5, 2), "recist1.0": (10, 5)}


def _sig(x: float) -> float:
    return float(f"{x:.10g}")


def target_response(
    sum_mm: float | None,
    baseline_sum_mm: float,
    nadir_sum_mm: float,
    *,
    criteria: Criteria = "mrecist",
    recist_cr: bool | None = None,
    after_cr: Literal["pd", "threshold"] = "pd",
) -> str:
    """Target-lesion response at one time point (§6.3 mRECIST, §6.6 RECIST 1.1).

    ``nadir_sum_mm`` is the smallest sum before this time point, baseline included.
    mRECIST: CR if the viable sum is 0; PD if sum >= 1.20 x nadir (no absolute minimum; after a
    CR any reappearance, unless ``after_cr="threshold"``); PR if sum <= 0.70 x baseline; else SD.
    RECIST 1.1: CR if every non-nodal target has gone and every nodal target < 10 mm
    (``recist_cr``; when None, CR iff the sum is 0); PD if sum >= 1.20 x nadir and
    sum - nadir >= 5 mm; PR / SD as above. ``None`` sum -> "NE".

    Examples
    --------
    >>> [target_response(s, 100, 100) for s in (70, 70.01, 120, 119.99)]
    ['PR', 'SD', 'PD', 'SD']
    >>> target_response(24, 100, 20, criteria="recist1.1")  # +20% from nadir but only +4 mm
    'PR'
    >>> target_response(3, 60, 0), target_response(3, 60, 0, after_cr="threshold")
    ('PD', 'PR')
    """
    if sum_mm is None or (isinstance(sum_mm, float) and np.isnan(sum_mm)):
        return "NE"
    s, b, nad = _sig(sum_mm), _sig(baseline_sum_mm), _sig(nadir_sum_mm)
    if criteria == "mrecist":
        if b == 0:
            return "NE"
        if s == 0:
            return "CR"
        if nad == 0 and after_cr == "pd":
            return "PD"
        if s >= _sig(1.2 * nad) and (nad > 0 or _sig(s - nad) >= 5):
            return "PD"
    else:
        if recist_cr or (recist_cr is None and s == 0):
            return "CR"
        if s >= _sig(1.2 * nad) and _sig(s - nad) >= 5:
            return "PD"
    if s <= _sig(0.7 * b):
        return "PR"
    return "SD"


def overall_response(target: str, nontarget: str, new_lesion: bool) -> str:
    """Overall time-point response from target, non-target and new-lesion status (§6.5).

    ``nontarget`` is "CR", "NON-CR/NON-PD" (mRECIST IR/SD), "PD", "NE" or "NA" (no non-target
    lesions at baseline, treated as CR).

    Examples
    --------
    >>> overall_response("CR", "NON-CR/NON-PD", False), overall_response("SD", "NA", True)
    ('PR', 'PD')
    >>> overall_response("NE", "CR", False), overall_response("CR", "NA", False)
    ('NE', 'CR')
    """
    if new_lesion or target == "PD" or nontarget == "PD":
        return "PD"
    if target == "NE":
        return "NE"
    if target == "CR":
        return "CR" if nontarget in ("CR", "NA") else "PR"
    return target


def _check_targets(base: pd.DataFrame, *, criteria: Criteria, limits: str, patient_row: int,
                   cols: dict[str, str]) -> None:
    max_total, max_organ = _LIMITS[limits]
    tgt = base[base[cols["target"]].to_numpy(dtype=bool)]
    where = f"row {patient_row}"
    if len(tgt) > max_total:
        raise ClinicalInputError(
            f"{where}, column {cols['target']!r}, value {len(tgt)} targets: too many target "
            f"lesions; rule: at most {max_total} targets ({limits} limits under {criteria})",
            column=cols["target"], n_rows=len(tgt), rule=f"<= {max_total} targets",
            row=patient_row, value=len(tgt))
    if cols["organ"] in base.columns:
        counts = tgt.groupby(cols["organ"]).size()
        if len(counts) and counts.max() > max_organ:
            organ = counts.idxmax()
            raise ClinicalInputError(
                f"{where}, column {cols['organ']!r}, value {organ!r}: {int(counts.max())} targets "
                f"in one organ; rule: at most {max_organ} targets per organ ({limits} limits)",
                column=cols["organ"], n_rows=int(counts.max()), rule=f"<= {max_organ} per organ",
                row=patient_row, value=organ)
    node = (flag_array(tgt[cols["node"]], cols["node"], missing=False)
            if cols["node"] in tgt.columns else np.zeros(len(tgt), dtype=bool))
    d = pd.to_numeric(tgt[cols["diam"]], errors="coerce")
    min_mm = np.where(node, 15.0, 10.0)
    bad = (d < min_mm) | d.isna()
    if bad.any():
        k = int(np.flatnonzero(bad.to_numpy())[0])
        row = int(tgt["_pos"].iloc[k])
        raise ClinicalInputError(
            f"row {row}, column {cols['diam']!r}, value {d.iloc[k]}: target lesion not "
            f"measurable at baseline; rule: longest diameter >= 10 mm (node short axis >= 15 mm)",
            column=cols["diam"], n_rows=int(bad.sum()), rule="target measurable at baseline",
            row=row, value=d.iloc[k])


def timepoint_responses(
    lesions: pd.DataFrame,
    *,
    criteria: Criteria = "mrecist",
    target_limits: Literal["recist1.1", "recist1.0"] = "recist1.1",
    after_cr: Literal["pd", "threshold"] = "pd",
    patient: str = "patient_id",
    lesion: str = "lesion_id",
    date: str = "date",
    target: str = "target",
    new: str = "new",
    diam_mm: str = "diam_mm",
    viable_mm: str = "viable_mm",
    organ: str = "organ",
    node: str = "node",
    progression: str = "progression",
) -> pd.DataFrame:
    """Per-patient, per-assessment target / non-target / overall response.

    Returns one row per patient and assessment date (baseline included, ``is_baseline``) with
    ``sum_mm`` (viable sum under mRECIST, SLD under RECIST), ``baseline_sum_mm``, ``nadir_mm``
    (smallest earlier sum), ``pct_from_baseline``, ``pct_from_nadir`` (the waterfall inputs),
    ``target_response``, ``nontarget_response``, ``new_lesion``, ``overall_response``.

    Raises :class:`~hccstudy.clinical._common.ClinicalInputError` for more than 5 targets (2 per
    organ) under RECIST 1.1 limits, a target not measurable at baseline, a lesion marked target
    after baseline, a new lesion at baseline, or a negative diameter.

    Examples
    --------
    Worked example of §6.7 (viable diameters 40 + 20 mm, then 25 + 0, then 32 + 0; an enhancing
    portal-vein thrombus as non-target):

    >>> import pandas as pd
    >>> rows = [("p", "t1", d, True, v) for d, v in (("2020-01-01", 40), ("2020-03-01", 25),
    ...                                                  ("2020-05-01", 32))]
    >>> rows += [("p", "t2", d, True, v) for d, v in (("2020-01-01", 20), ("2020-03-01", 0),
    ...                                                  ("2020-05-01", 0))]
    >>> rows += [("p", "pvtt", d, False, 15) for d in ("2020-01-01", "2020-03-01", "2020-05-01")]
    >>> les = pd.DataFrame(rows, columns=["patient_id", "lesion_id", "date", "target", "viable_mm"])
    >>> les["diam_mm"] = les["viable_mm"] + 10
    >>> les["new"] = False
    >>> tp = timepoint_responses(les)
    >>> tp[["sum_mm", "target_response", "nontarget_response", "overall_response"]].values.tolist()
    [[60.0, None, None, None], [25.0, 'PR', 'NON-CR/NON-PD', 'PR'], [32.0, 'PD', 'NON-CR/NON-PD', 'PD']]
    """
    cols = {"target": target, "organ": organ, "node": node, "diam": diam_mm}
    needed = [patient, lesion, date, target, new, diam_mm] + ([viable_mm] if criteria == "mrecist" else [])
    absent = [c for c in needed if c not in lesions.columns]
    if absent:
        raise ClinicalInputError(f"unknown column(s) {absent!r}; rule: lesion table needs {needed}",
                                 column=absent[0], rule="column must exist")
    if criteria not in ("mrecist", "recist1.1"):
        raise ClinicalInputError(f"criteria {criteria!r}; rule: 'mrecist' or 'recist1.1'",
                                 rule="criteria", value=criteria)
    df = lesions.reset_index(drop=True)
    df["_pos"] = np.arange(len(df))
    df[date] = pd.to_datetime(df[date])
    measure = viable_mm if criteria == "mrecist" else diam_mm
    for c in {diam_mm, measure}:
        v = pd.to_numeric(df[c], errors="coerce")
        neg = (v < 0).to_numpy()
        if neg.any():
            r = int(np.flatnonzero(neg)[0])
            raise ClinicalInputError(
                f"row {r}, column {c!r}, value {v.iloc[r]:g}: negative diameter; rule: diameter >= 0",
                column=c, n_rows=int(neg.sum()), rule="diameter >= 0", row=r, value=v.iloc[r])
        df[c] = v
    df[target] = flag_array(df[target], target)
    df[new] = flag_array(df[new], new)
    for c in (node, progression):
        if c in df.columns:
            df[c] = flag_array(df[c], c, missing=False)
    out_rows: list[list[object]] = []
    for pid, g in df.groupby(patient, sort=False):
        g = g.sort_values(date)
        dates = sorted(g[date].unique())
        base_date = dates[0]
        base = g[g[date] == base_date]
        first_pos = int(g["_pos"].min())
        if base[new].any():
            r = int(base.loc[base[new], "_pos"].iloc[0])
            raise ClinicalInputError(
                f"row {r}, column {new!r}, value True: new lesion at the baseline assessment; "
                "rule: new lesions appear only after baseline", column=new, n_rows=1,
                rule="no new lesion at baseline", row=r, value=True)
        _check_targets(base, criteria=criteria, limits=target_limits, patient_row=first_pos,
                       cols=cols)
        tgt_ids = set(base.loc[base[target], lesion])
        nt_ids = set(base.loc[~base[target], lesion])
        late = g[(g[date] > base_date) & g[target] & ~g[lesion].isin(tgt_ids)]
        if len(late):
            r = int(late["_pos"].iloc[0])
            raise ClinicalInputError(
                f"row {r}, column {target!r}, value True: lesion marked target after baseline; "
                "rule: targets are chosen at baseline", column=target, n_rows=len(late),
                rule="targets fixed at baseline", row=r, value=True)
        is_node = (g[node] if node in g.columns else pd.Series(False, index=g.index))
        baseline_sum = float(base.loc[base[target], measure].sum()) if tgt_ids else np.nan
        sums_so_far: list[float] = []
        for d in dates:
            at = g[g[date] == d]
            tg = at[at[lesion].isin(tgt_ids)]
            complete = set(tg[lesion]) == tgt_ids and not tg[measure].isna().any()
            s = float(tg[measure].sum()) if complete and tgt_ids else np.nan
            if d == base_date:
                out_rows.append([pid, d, True, s, baseline_sum, np.nan, 0.0, np.nan,
                                 None, None, None, None])
                sums_so_far.append(s)
                continue
            prior = [x for x in sums_so_far if not np.isnan(x)]
            nadir = min(prior) if prior else np.nan
            recist_cr = None
            if criteria == "recist1.1" and complete:
                tn = is_node.loc[tg.index].to_numpy(dtype=bool)
                recist_cr = bool((tg.loc[~tn, diam_mm] == 0).all()
                                 and (tg.loc[tn, diam_mm] < 10).all())
            t_resp = target_response(None if np.isnan(s) else s, baseline_sum, nadir,
                                     criteria=criteria, recist_cr=recist_cr, after_cr=after_cr)
            nt = at[at[lesion].isin(nt_ids)]
            if not nt_ids:
                nt_resp = "NA"
            elif progression in nt.columns and nt[progression].any():
                nt_resp = "PD"
            elif set(nt[lesion]) != nt_ids:
                nt_resp = "NE"
            else:
                if criteria == "mrecist":
                    gone = (nt[viable_mm] == 0).all()
                else:
                    nn = is_node.loc[nt.index]
                    gone = bool((nt.loc[~nn, diam_mm] == 0).all() and (nt.loc[nn, diam_mm] < 10).all())
                nt_resp = "CR" if gone else "NON-CR/NON-PD"
            new_les = bool(at[new].any())
            overall = overall_response(t_resp, nt_resp, new_les)
            pct_b = 100 * (s - baseline_sum) / baseline_sum if baseline_sum else np.nan
            pct_n = 100 * (s - nadir) / nadir if nadir else np.nan
            out_rows.append([pid, d, False, s, baseline_sum, nadir, pct_b, pct_n, t_resp, nt_resp,
                             new_les, overall])
            sums_so_far.append(s)
    names = [patient, date, "is_baseline", "sum_mm", "baseline_sum_mm", "nadir_mm",
             "pct_from_baseline", "pct_from_nadir", "target_response", "nontarget_response",
             "new_lesion", "overall_response"]
    out = pd.DataFrame(out_rows, columns=names)
    out["criteria"] = criteria
    return out


def best_overall_response(
    timepoints: pd.DataFrame,
    *,
    confirm: bool = False,
    confirm_min_days: int = 28,
    sd_min_days: int = 0,
    stop_dates: pd.Series | None = None,
    patient: str = "patient_id",
    date: str = "date",
) -> pd.DataFrame:
    """Best overall response per patient (§6.7), with the best percent change (waterfall).

    Time points after the first PD, or after the patient's ``stop_dates`` entry (start of new
    anticancer therapy), are ignored. Order CR > PR > SD > PD > NE. SD counts only at
    >= ``sd_min_days`` from baseline (else NE). With ``confirm=True`` a CR needs a CR, and a PR
    a CR or PR, at a later assessment >= ``confirm_min_days`` later; unconfirmed ones count as
    SD. A patient with no post-baseline assessment has BOR NE.

    Returns columns ``bor``, ``bor_date``, ``n_assessments``, ``best_pct_change`` (smallest
    percent change from baseline), indexed by patient.

    Examples
    --------
    >>> import pandas as pd
    >>> tp = pd.DataFrame({"patient_id": ["a"] * 4, "date": pd.to_datetime(
    ...     ["2020-01-01", "2020-02-01", "2020-02-15", "2020-04-01"]),
    ...     "is_baseline": [True, False, False, False],
    ...     "overall_response": [None, "PR", "PR", "PD"],
    ...     "pct_from_baseline": [0.0, -40.0, -45.0, 10.0]})
    >>> best_overall_response(tp)["bor"].tolist(), best_overall_response(tp, confirm=True)["bor"].tolist()
    (['PR'], ['SD'])
    """
    rows = []
    for pid, g in timepoints.groupby(patient, sort=False):
        g = g.sort_values(date)
        is_b = g["is_baseline"].to_numpy(dtype=bool)
        base_date = g.loc[is_b, date]
        b0 = pd.Timestamp(base_date.iloc[0]) if len(base_date) else pd.Timestamp(g[date].iloc[0])
        post = g[~is_b]
        if stop_dates is not None and pid in stop_dates.index and not pd.isna(stop_dates[pid]):
            post = post[pd.to_datetime(post[date]) <= pd.Timestamp(stop_dates[pid])]
        resp = list(post["overall_response"])
        dts = [pd.Timestamp(x) for x in post[date]]
        if "PD" in resp:
            k = resp.index("PD")
            resp, dts = resp[: k + 1], dts[: k + 1]
            post = post.iloc[: k + 1]
        eff = []
        for i, (r, d) in enumerate(zip(resp, dts, strict=True)):
            if confirm and r in ("CR", "PR"):
                ok = {"CR": ("CR",), "PR": ("CR", "PR")}[r]
                confirmed = any(resp[j] in ok and (dts[j] - d).days >= confirm_min_days
                                for j in range(i + 1, len(resp)))
                if not confirmed:
                    r = "SD"
            if r == "SD" and (d - b0).days < sd_min_days:
                r = "NE"
            eff.append(r)
        best = min(eff, key=lambda x: _RANK.get(x, 4)) if eff else "NE"
        best_date = dts[eff.index(best)] if eff else pd.NaT
        pct = pd.to_numeric(post.get("pct_from_baseline", pd.Series(dtype=float)),
                            errors="coerce")
        rows.append((pid, best, best_date, len(eff), float(pct.min()) if pct.notna().any()
                     else np.nan))
    out = pd.DataFrame(rows, columns=[patient, "bor", "bor_date", "n_assessments",
                                      "best_pct_change"]).set_index(patient)
    return out


@dataclass(frozen=True, slots=True)
class ResponseRates:
    """ORR and DCR with the counts behind them and the denominator used."""

    n: int
    counts: dict[str, int]
    orr: float
    dcr: float
    denominator: str

    def as_dict(self) -> dict[str, object]:
        return {"n": self.n, **self.counts, "orr": self.orr, "dcr": self.dcr,
                "denominator": self.denominator}


def response_rates(bor: pd.Series, *, denominator: Literal["all", "evaluable"] = "all"
                   ) -> ResponseRates:
    """ORR = (CR + PR) / n and DCR = (CR + PR + SD) / n (§6.7).

    ``denominator="all"``: every patient given (NE counts as non-responder, default);
    ``"evaluable"``: NE excluded.

    Examples
    --------
    >>> import pandas as pd
    >>> r = response_rates(pd.Series(["CR", "PR", "SD", "PD", "NE"]))
    >>> r.orr, r.dcr, response_rates(pd.Series(["CR", "NE"]), denominator="evaluable").orr
    (0.4, 0.6, 1.0)
    """
    values = bor.dropna().astype(str)
    bad = ~values.isin(list(_RANK))
    if bad.any():
        raise ClinicalInputError(f"value {values[bad].iloc[0]!r}: not a response category; "
                                 f"rule: one of {list(_RANK)}", column=str(bor.name),
                                 n_rows=int(bad.sum()), rule="BOR category",
                                 value=values[bad].iloc[0])
    counts = {k: int((values == k).sum()) for k in _RANK}
    n = len(values) if denominator == "all" else len(values) - counts["NE"]
    orr = (counts["CR"] + counts["PR"]) / n if n else float("nan")
    dcr = (counts["CR"] + counts["PR"] + counts["SD"]) / n if n else float("nan")
    return ResponseRates(n, counts, orr, dcr, denominator)
