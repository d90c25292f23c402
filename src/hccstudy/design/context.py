"""What an analysis executor sees: the spec, the prepared frames and the method notes.

Analysis types beyond KM, log-rank, Cox and Table 1 live in
:mod:`hccstudy.design.analyses`; each registers an executor
``execute(ctx: AnalysisContext, an) -> result`` that reads its cohort through
the context, records its method choices in ``ctx.methods`` / ``ctx.tests`` and
returns a frozen result holding aggregates only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd

from hccstudy.errors import InputError

if TYPE_CHECKING:
    from hccstudy.design.run import Prepared
    from hccstudy.design.spec import StudySpec

__all__ = ["GROUP", "AnalysisContext"]

GROUP = "@group"
"""Value of an analysis's ``by`` meaning the study's group column (``groups.name``)."""

T = TypeVar("T")


@dataclass(frozen=True)
class AnalysisContext:
    """The study as one analysis sees it.

    Attributes
    ----------
    spec : StudySpec
    key : str
        The spec key of the analysis, e.g. ``"analyses[3]"`` (for error messages).
    prepared : Prepared
        The analysis frame (eligible rows) and the adjusted frame (matched / weighted).
    methods : dict
        Method notes of the study (mutable): add ``{name: sentence}`` for the methods text.
    tests : list
        Test descriptions (mutable): append one line per test the analysis reports.
    where : str or None
        The analysis's row filter (applied by :meth:`cohort`).
    """

    spec: StudySpec
    key: str
    prepared: Prepared
    methods: dict[str, str]
    tests: list[str]
    where: str | None = None

    @property
    def group(self) -> str:
        """Name of the group column."""
        return self.spec.groups.name

    @property
    def levels(self) -> tuple[str, ...]:
        """Group levels in their spec order."""
        return self.prepared.levels

    @property
    def reference(self) -> str:
        """The reference (control) group level."""
        return self.spec.groups.reference

    def error(self, subkey: str, message: str, *, column: str | None = None,
              n_rows: int = 0) -> InputError:
        """An :class:`InputError` naming ``analyses[i].<subkey>`` and its YAML line."""
        key = f"{self.key}.{subkey}" if subkey else self.key
        return self.spec.error(key, message, column=column, n_rows=n_rows)

    def cohort(self, choice: str, *, labelled: bool = True) -> tuple[pd.DataFrame, bool]:
        """The frame for ``cohort`` ('auto', 'analysis' or 'adjusted') and whether adjusted.

        The analysis's ``where`` filter, when it has one, is applied (on the raw values),
        then the spec's ``value_labels``; ``labelled=False`` keeps the raw values, for an
        executor that evaluates an expression of its own (then :meth:`label`).
        """
        from hccstudy.design.run import cohort_frame

        return cohort_frame(self.spec, self.key, choice, self.where, self.prepared, self.methods,
                            labelled=labelled)

    def label(self, data: pd.DataFrame, keep: Sequence[str] = ()) -> pd.DataFrame:
        """``data`` with the spec's ``value_labels`` applied, except to ``keep`` columns."""
        from hccstudy.design.run import label_values

        return label_values(self.spec, data, keep)

    def weights(self, data: pd.DataFrame, adjusted: bool) -> str | None:
        """The weight column to use on ``data``: IPTW weights, or matching weights != 1."""
        from hccstudy.design.run import IPTW_WEIGHT, MATCH_WEIGHT

        if adjusted and IPTW_WEIGHT in data:
            return IPTW_WEIGHT
        if adjusted and MATCH_WEIGHT in data and \
                not np.allclose(data[MATCH_WEIGHT].to_numpy(), 1.0):
            return MATCH_WEIGHT
        return None

    def cox_design(self, adjusted: bool, data: pd.DataFrame) -> dict[str, Any]:
        """Keyword arguments for :func:`hccstudy.cox` on an adjusted cohort.

        Returns ``{"cluster": ..., "strata": [...], "weights": ...}`` following
        ``adjustment.outcome_variance`` (cluster = matched set, strata = matched set,
        or robust per patient with IPTW).
        """
        from hccstudy.design.run import IPTW_WEIGHT, MATCH_SET, ROW

        out: dict[str, Any] = {"cluster": None, "strata": [], "weights": None}
        if not adjusted:
            return out
        out["weights"] = self.weights(data, adjusted)
        v = self.spec.adjustment.variance
        if IPTW_WEIGHT in data:
            out["cluster"] = ROW
        elif v == "robust_pair":
            out["cluster"] = MATCH_SET
        elif v == "stratified_pair":
            out["strata"] = [MATCH_SET]
        return out

    def endpoint(self, name: str, subkey: str = "endpoint") -> tuple[str, str]:
        """``(time column, event column)`` of an endpoint of the spec."""
        if name not in {e.name for e in self.spec.endpoints}:
            raise self.error(subkey, f"unknown endpoint {name!r}")
        return f"{name}_time", f"{name}_event"

    def column(self, data: pd.DataFrame, name: str, subkey: str) -> str:
        """``name`` if it is a column of ``data``, else an error naming the spec key.

        The error suggests the closest columns of ``data`` ("did you mean ...?").
        """
        if name not in data.columns:
            from hccstudy.design.run import _did_you_mean

            raise self.error(subkey, f"unknown column {name!r}"
                             + _did_you_mean(name, data.columns), column=name)
        return name

    def call(self, keys: dict[str, str], fn: Callable[..., T], /, *args: Any,
             **kwargs: Any) -> T:
        """Call ``fn``; an :class:`InputError` is re-raised naming the spec key.

        ``keys`` maps an error's rule, else its column, to the spec subkey that chose it;
        any other error names the analysis itself.
        """
        try:
            return fn(*args, **kwargs)
        except InputError as e:
            sub = keys.get(e.rule or "", keys.get(e.column or "", ""))
            raise self.error(sub, str(e), column=e.column, n_rows=e.n_rows) from None

    def record(self, kind: str, name: str, method: str, tests: list[str] | None = None
               ) -> None:
        """Add the method sentence (key ``"<type>:<name>"``) and the test lines."""
        self.methods[f"{kind}:{name}"] = method
        for t in tests or []:
            self.tests.append(f"{name}: {t}")
