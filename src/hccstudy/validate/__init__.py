"""Declared schemas of the data model and validation with row/column/rule reports.

``validate_file(path, mapping=None)`` reads a file and returns a :class:`ValidationReport`;
``validate(dataset)`` checks a dataset already read with :func:`hccstudy.io.read`.
The data model is in :mod:`hccstudy.validate.schema` (rendered in ``docs/data-dictionary.md``).
"""

from hccstudy.validate.checks import validate, validate_file
from hccstudy.validate.report import RULES, Issue, ValidationReport
from hccstudy.validate.schema import TABLES, Column, TableSchema

__all__ = ["RULES", "TABLES", "Column", "Issue", "TableSchema", "ValidationReport", "validate",
           "validate_file"]
