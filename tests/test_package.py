"""Package-level contracts: lazy imports, layering, bundled data."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pandas.testing as pdt

import hccstudy
from hccstudy.datasets import load_demo, make_demo


def _imported_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"import sys; {code}; print('\\n'.join(sys.modules))"],
        check=True, capture_output=True, text=True,
    ).stdout
    return set(out.split())


def test_import_is_light() -> None:
    mods = _imported_after("import hccstudy")
    heavy = {"scipy", "formulaic", "matplotlib", "typer", "rich", "sqlalchemy"}
    assert not heavy & {m.split(".")[0] for m in mods}


def test_numerics_never_import_plotting_or_formatting() -> None:
    mods = _imported_after(
        "import hccstudy; hccstudy.kaplan_meier; hccstudy.logrank; hccstudy.cox; "
        "import hccstudy.clinical"
    )
    roots = {m.split(".")[0] for m in mods}
    assert not {"matplotlib", "docx", "rich", "typer"} & roots


def test_lazy_attributes() -> None:
    assert callable(hccstudy.kaplan_meier)
    assert callable(hccstudy.logrank)
    assert callable(hccstudy.cox)
    assert "cox" in dir(hccstudy)


def test_unknown_attribute() -> None:
    try:
        hccstudy.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")


def test_bundled_demo_is_the_seeded_generator_output() -> None:
    # The CSV in the package must be exactly make_demo() with the default seed.
    pdt.assert_frame_equal(load_demo(), make_demo(), check_dtype=False)


def test_demo_is_synthetic_and_complete() -> None:
    d = load_demo()
    assert d["patient_id"].str.startswith("SYN-").all()
    assert not d.isna().any().any()
    assert set(d["death"]) <= {0, 1}
    assert (d["os_months"] > 0).all()
    assert isinstance(d, pd.DataFrame)
