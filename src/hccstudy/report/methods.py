"""The methods paragraph and the provenance block of a study report.

:func:`methods_text` writes the statistical-methods section from the StudySpec and the
method notes a run records (``StudyResult.methods``: time origins, censoring, PS model,
matching and caliper scale, SMD denominator, CI transform, ties, tests, and the notes
that analysis types add). :func:`provenance` lists what a reader needs to reproduce the
numbers: the SHA-256 of every input file and of the spec, package versions and seeds.
Neither contains a timestamp; the run time goes to ``provenance.json`` only.

Examples
--------
>>> import hccstudy
>>> r = hccstudy.run('''
... groups: {column: arm, reference: non-CCRT}
... endpoints: [{name: os, time: os_months, event: death == 1}]
... analyses: [{name: km, type: km, endpoint: os}, {name: lr, type: logrank, endpoint: os}]
... ''', hccstudy.datasets.load_demo())
>>> text = methods_text(r)
>>> "Kaplan-Meier" in text and "log-rank" in text and "hccstudy" in text
True
>>> sorted(provenance(r))[:3]
['hccstudy', 'inputs', 'n_analysis']
"""

from __future__ import annotations

import functools
import hashlib
import json
import platform
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["PACKAGES", "file_sha256", "methods_paragraphs", "methods_text", "package_versions",
           "provenance", "provenance_text", "spec_sha256"]

PACKAGES = ("numpy", "scipy", "pandas", "formulaic", "pydantic", "numba", "matplotlib",
            "python-docx", "typer", "rich", "PyYAML")
"""Packages whose versions the provenance block lists."""

# method-note keys rendered in fixed sentences; any other key is listed after them
_KNOWN = ("time_origins", "censoring", "time_units", "eligibility", "groups", "adjustment",
          "ps_model", "matching", "caliper", "weighting", "smd_denominator", "balance",
          "outcome_variance", "ci_transform", "ties", "tests")


def _sentence(text: str) -> str:
    t = text.strip()
    if not t:
        return ""
    t = t[0].upper() + t[1:]
    return t if t.endswith(".") else t + "."


def package_versions(packages: Sequence[str] = PACKAGES) -> dict[str, str]:
    """Installed versions of ``packages`` ("not installed" when absent).

    Examples
    --------
    >>> "numpy" in package_versions()
    True
    """
    return {p: _installed_version(p) for p in packages}


@functools.cache
def _installed_version(package: str) -> str:
    # metadata.version scans every sys.path entry (a few ms per package); a report asks
    # for the same packages twice (methods, provenance), and a process never sees a
    # package change version under it
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _version() -> str:
    import hccstudy

    return str(hccstudy.__version__)


def methods_paragraphs(result: Any) -> list[tuple[str, str]]:
    """``(heading, paragraph)`` pairs of the methods section, in manuscript order."""
    spec = getattr(result, "spec", None)
    m: Mapping[str, str] = result.methods
    paras: list[tuple[str, str]] = []

    # design and eligibility
    design = []
    if spec is not None and spec.eligibility:
        reasons = "; ".join(c.reason for c in spec.eligibility)
        design.append(f"Patients were selected by {len(spec.eligibility)} ordered "
                      f"eligibility criteria, applied in order (exclusion reasons: {reasons}); "
                      "each excluded patient is counted under the first criterion met")
    design.append(f"Of {result.n_input} records, {result.n_analysis} were analysed")
    if result.n_by_group:
        design.append("Group sizes: " + ", ".join(f"{g} {n}" for g, n in
                                                  result.n_by_group.items()))
    if "groups" in m:
        design.append(f"Groups: {m['groups']}")
    derived = [d.split(":")[0] for d in result.derivations if d.endswith(": derived")]
    if derived:
        design.append("Clinical variables derived by hccstudy.clinical: " + ", ".join(derived))
    paras.append(("Study design and eligibility", " ".join(_sentence(s) for s in design)))

    # endpoints
    ep = [m[k] for k in ("time_origins", "censoring", "time_units") if k in m]
    if ep:
        paras.append(("Endpoints", " ".join(_sentence(s) for s in [
            f"Time origins: {ep[0]}" if "time_origins" in m else "",
            f"Censoring and events: {m['censoring']}" if "censoring" in m else "",
            f"Time units: {m['time_units']}" if "time_units" in m else ""] if s)))

    # adjustment
    adj = []
    if "ps_model" in m:
        adj.append(f"The propensity score was estimated by {m['ps_model']}")
    if "matching" in m:
        adj.append(f"Matching: {m['matching']}"
                   + (f"; caliper {m['caliper']}" if "caliper" in m else ""))
    if "weighting" in m:
        adj.append(f"Weighting: {m['weighting']}")
    if "smd_denominator" in m:
        adj.append(f"Covariate balance was assessed by standardised mean differences "
                   f"({m['smd_denominator'].removeprefix('balance: ')})")
    if "balance" in m:
        adj.append(m["balance"])
    if "outcome_variance" in m and m.get("adjustment", "none") != "none":
        adj.append(f"Outcome models on the adjusted cohort: {m['outcome_variance']}")
    if adj:
        paras.append(("Propensity score adjustment", " ".join(_sentence(s) for s in adj)))

    # statistical analysis
    st = []
    if "ci_transform" in m:
        st.append("Survival was estimated with the Kaplan-Meier method "
                  f"({m['ci_transform']})")
    if "ties" in m:
        st.append(f"Hazard ratios were estimated with Cox proportional hazards models "
                  f"({m['ties']}) with Wald confidence intervals")
    if "tests" in m:
        st.append(f"Tests by analysis: {m['tests']}")
    for k, v in m.items():
        if k not in _KNOWN:
            head, _, which = k.partition(":")
            label = head.replace("_", " ").strip()
            st.append(f"{label} ({which.strip()}): {v}" if which else f"{label}: {v}")
    st.append("All p-values are two-sided")
    paras.append(("Statistical analysis", " ".join(_sentence(s) for s in st)))

    # software
    ver = package_versions(("numpy", "scipy", "pandas", "formulaic"))
    paras.append(("Software", _sentence(
        f"Analyses were run with hccstudy {_version()} (Python "
        f"{platform.python_version()}; numpy {ver['numpy']}, scipy {ver['scipy']}, pandas "
        f"{ver['pandas']}, formulaic {ver['formulaic']}); survival estimates follow R's survival "
        "package conventions")))
    return paras


def methods_text(result: Any) -> str:
    """The methods section as plain text: one paragraph per topic, headings in bold-less
    ``Heading. text`` form."""
    return "\n\n".join(f"{h}. {p}" for h, p in methods_paragraphs(result))


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes (hex).

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile(delete=False) as f:
    ...     _ = f.write(b"abc")
    >>> file_sha256(f.name)[:12]
    'ba7816bf8f01'
    >>> os.unlink(f.name)
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def spec_sha256(spec: Any) -> str:
    """SHA-256 of the spec's canonical JSON (sorted keys): equal specs, equal hash."""
    data = spec.model_dump(mode="json", warnings=False)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _inputs(spec: Any) -> list[dict[str, Any]]:
    if spec is None:
        return []
    base = Path(spec._base) if getattr(spec, "_base", None) else None
    files: list[tuple[str, str | None]] = []
    ds = spec.data
    if ds.path is not None:
        files.append(("data", ds.path))
        if ds.mapping:
            files.append(("mapping", ds.mapping))
    for s in ds.sources:
        files.append((s.name, s.path))
        if s.mapping:
            files.append((f"{s.name} mapping", s.mapping))
    out: list[dict[str, Any]] = []
    for name, rel in files:
        if rel is None:
            continue
        p = Path(rel)
        full = p if p.is_absolute() or base is None else base / p
        entry: dict[str, Any] = {"name": name, "file": p.name}
        if full.is_file():
            entry["sha256"] = file_sha256(full)
            entry["bytes"] = full.stat().st_size
        else:
            entry["sha256"] = None
            entry["note"] = "file not found when the report was written"
        out.append(entry)
    if ds.registry is not None:
        out.append({"name": "registry", "study": ds.registry.study,
                    "note": "registry extract (URL not recorded)"})
    if not out:
        out.append({"name": "data", "note": "passed in memory to hccstudy.run (no file to hash)"})
    return out


def _seeds(result: Any) -> dict[str, Any]:
    seeds: dict[str, Any] = {}
    spec = getattr(result, "spec", None)
    if spec is not None and spec.adjustment.method == "match":
        seeds["matching"] = spec.adjustment.match.seed
    for name, res in result.outcomes.items():
        for t in (getattr(res, "before", None), getattr(res, "after", None), res):
            opts = getattr(t, "options", None)
            if isinstance(opts, Mapping) and "fisher_seed" in opts:
                seeds[f"{name}: Fisher Monte Carlo"] = opts["fisher_seed"]
                break
        s = getattr(res, "seed", None)
        if isinstance(s, int):
            seeds[name] = s
    return seeds


def provenance(result: Any, *, spec_file: str | Path | None = None,
               extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Inputs, spec hash, versions and seeds of a study result (no timestamp).

    Parameters
    ----------
    result : StudyResult
    spec_file : path, optional
        The YAML file the spec was read from (its SHA-256 is recorded too).
    extra : mapping, optional
        Added as is (e.g. ``{"run_time_utc": ...}`` for provenance.json).
    """
    spec = getattr(result, "spec", None)
    out: dict[str, Any] = {
        "hccstudy": _version(),
        "python": platform.python_version(),
        "packages": package_versions(),
        "spec_sha256": spec_sha256(spec) if spec is not None else None,
        "inputs": _inputs(spec),
        "seeds": _seeds(result),
        "n_input": result.n_input,
        "n_analysis": result.n_analysis,
    }
    if spec_file is not None:
        out["spec_file"] = {"file": Path(spec_file).name, "sha256": file_sha256(spec_file)}
    if extra:
        out.update(extra)
    return out


def provenance_text(prov: Mapping[str, Any]) -> str:
    """The provenance block as aligned ``key: value`` lines (for the report)."""
    lines = [f"hccstudy {prov['hccstudy']}, Python {prov['python']}"]
    lines.append("packages: " + ", ".join(f"{k} {v}" for k, v in prov["packages"].items()))
    if prov.get("spec_sha256"):
        lines.append(f"spec (canonical JSON) SHA-256: {prov['spec_sha256']}")
    if prov.get("spec_file"):
        lines.append(f"spec file {prov['spec_file']['file']} SHA-256: "
                     f"{prov['spec_file']['sha256']}")
    for e in prov.get("inputs", []):
        if "sha256" in e:
            lines.append(f"input {e['name']} ({e['file']}) SHA-256: {e['sha256']}"
                         + (f", {e['bytes']} bytes" if "bytes" in e else ""))
        else:
            lines.append(f"input {e['name']}: {e.get('note', '')}")
    seeds = prov.get("seeds") or {}
    lines.append("seeds: " + (", ".join(f"{k} = {v}" for k, v in seeds.items()) or "none used"))
    lines.append(f"records read: {prov['n_input']}; analysed: {prov['n_analysis']}")
    return "\n".join(lines)
