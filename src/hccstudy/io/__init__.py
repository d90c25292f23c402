"""Reading the files clinicians hold into the data model.

``read(path, mapping=None)`` reads CSV, XLSX, SPSS ``.sav``, Stata ``.dta``, Parquet and
REDCap exports, one-row-per-patient or one table per sheet/file, and returns a
:class:`Dataset` (typed tables + provenance + reading issues). ``draft_mapping(path)``
drafts a YAML mapping file from a file's headers. See ``docs/data-io.md``.
"""

from hccstudy.io.mapping import Mapping, draft_mapping, load_mapping
from hccstudy.io.read import Dataset, read
from hccstudy.io.readers import Provenance

__all__ = ["Dataset", "Mapping", "Provenance", "draft_mapping", "load_mapping", "read"]
