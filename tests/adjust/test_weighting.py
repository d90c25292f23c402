"""IPTW weights: formulas by hand, stabilisation, truncation, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hccstudy.adjust.propensity import fit_propensity
from hccstudy.adjust.weighting import iptw, iptw_weights
from hccstudy.errors import InputError

E = np.array([0.2, 0.5, 0.8, 0.4, 0.1])
T = np.array([1, 1, 0, 0, 0])


def test_ate_att_by_hand():
    np.testing.assert_allclose(iptw_weights(E, T), [5, 2, 5, 1 / 0.6, 1 / 0.9])
    np.testing.assert_allclose(iptw_weights(E, T, estimand="ATT"),
                               [1, 1, 4, 0.4 / 0.6, 0.1 / 0.9])


def test_stabilised():
    p1 = 2 / 5
    np.testing.assert_allclose(iptw_weights(E, T, stabilise=True),
                               [5 * p1, 2 * p1, 5 * (1 - p1), (1 - p1) / 0.6, (1 - p1) / 0.9])
    np.testing.assert_allclose(iptw_weights(E, T, estimand="ATT", stabilise=True),
                               [1, 1, 4 * 1.5, 0.4 / 0.6 * 1.5, 0.1 / 0.9 * 1.5])


def test_truncation_at_percentiles():
    w = iptw_weights(E, T)
    lo, hi = np.percentile(w, [10, 90])
    np.testing.assert_allclose(iptw_weights(E, T, truncate=(10, 90)), np.clip(w, lo, hi))


def test_iptw_result_and_no_mutation():
    rng = np.random.default_rng(3)
    d = pd.DataFrame({"x": rng.normal(size=200)})
    d["t"] = (rng.random(200) < 1 / (1 + np.exp(-d["x"]))).astype(int)
    before = d.copy()
    ps = fit_propensity(d, "t", "x")
    r = iptw(ps, stabilise=True, truncate=(1, 99))
    assert r.n_truncated == 4 and r.truncation_bounds is not None
    assert 0 < r.effective_n_treated <= (d.t == 1).sum()
    s = iptw(ps, stabilise=True)
    # stabilised ATE weights average about 1 within each group
    assert s.weights[d.t == 1].mean() == pytest.approx(1, abs=0.15)
    pd.testing.assert_frame_equal(d, before)


@pytest.mark.parametrize("kw", [{"estimand": "ATC"}, {"truncate": (50, 10)}])
def test_bad_options(kw):
    with pytest.raises(InputError):
        iptw_weights(E, T, **kw)


def test_ps_out_of_range():
    with pytest.raises(InputError, match="between 0 and 1"):
        iptw_weights(np.array([0.0, 0.5]), np.array([1, 0]))
