"""Exceptions raised by hccstudy.

Every error about the user's data is a :class:`InputError`, a subclass of
:class:`ValueError`, whose message names the column, the number of offending
rows and the rule that was broken. Messages never contain patient identifiers
or raw values of identifying columns.
"""

from __future__ import annotations

__all__ = ["ConvergenceWarning", "InputError", "MonotoneLikelihoodWarning"]


class InputError(ValueError):
    """Invalid input data: names the column, the offending row count and the rule.

    Attributes
    ----------
    column : str or None
        The offending column, when one column is at fault.
    n_rows : int
        The number of offending rows (0 when the problem is not row-wise).
    rule : str
        A short statement of the rule that was broken.
    """

    def __init__(self, message: str, *, column: str | None = None, n_rows: int = 0,
                 rule: str = "") -> None:
        super().__init__(message)
        self.column = column
        self.n_rows = n_rows
        self.rule = rule


class ConvergenceWarning(UserWarning):
    """An iterative fit stopped at its iteration limit before converging."""


class MonotoneLikelihoodWarning(UserWarning):
    """A coefficient diverges (monotone likelihood): its estimate and CI are unstable."""
