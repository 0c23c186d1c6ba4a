"""The core records: Param parsing, Quantity validation, clustered SEs, and the judging rule."""
from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from superpose.derive.quantity import BadInput, Param, Quantity, bind_params
from superpose.verify import stats
from superpose.verify.check import Z, Measurement, judge, nominal_false_alarm
from superpose.verify.rng import spawn, stream

N = Param("N", int, default=4, lo=1, hi=10**9)
X = Param("x", float, default=0.5, lo=0.0, hi=1.0)


def _q(accuracy="exact", **kw) -> Quantity:
    kw.setdefault("closed_form", X.symbol * 2)
    if accuracy == "approximate":
        kw.setdefault("tolerance", 0.1)
        kw.setdefault("tolerance_reason", "test")
    return Quantity("demo.twice", (X,), "mean", accuracy, definition="2x", **kw)


@pytest.mark.parametrize("raw,expected", [("3", 3), (3, 3), (3.0, 3), ("1e3", 1000)])
def test_int_param_accepts_integral_values(raw, expected):
    """Integers arrive as strings or numbers; integral floats are accepted."""
    assert expected == N.parse(raw)


@pytest.mark.parametrize("raw", ["3.5", "abc", "", True, None, 2.5, "nan", "0", "2000000000"])
def test_int_param_rejects_bad_values(raw):
    """Non-integers, booleans, non-numbers and out-of-range values are BadInput."""
    with pytest.raises(BadInput):
        N.parse(raw)


def test_bind_reports_unknown_and_missing():
    """Unknown names and missing required parameters are BadInput naming the parameter."""
    req = Param("l", int, lo=2)
    with pytest.raises(BadInput, match="unknown parameter 'y'"):
        bind_params((req,), {"l": "2", "y": "1"}, what="t")
    with pytest.raises(BadInput, match="missing parameter l"):
        bind_params((req,), {}, what="t")
    assert {"l": 3} == bind_params((req,), {"l": "3"}, what="t")


def test_quantity_requires_tolerance_for_approximate():
    """An approximate quantity without a stated tolerance and reason is a programming error."""
    with pytest.raises(ValueError):
        Quantity("demo.a", (X,), "mean", "approximate", definition="", closed_form=X.symbol)


def test_quantity_evaluates_and_scales():
    """evaluate() substitutes parameters; scaled() multiplies the prediction."""
    q = _q()
    assert 1.0 == q.evaluate({"x": "0.5"})
    assert math.isclose(1.05, q.scaled(1.05).evaluate({"x": 0.5}), rel_tol=1e-15)


def test_clustered_se_reduces_to_textbook_with_singleton_clusters():
    """With one trial per cluster the clustered SE is s/sqrt(n)."""
    x = stream(1, "test").standard_normal(500)
    e = stats.clustered_mean(x)
    assert math.isclose(x.std(ddof=1) / math.sqrt(x.size), e.se, rel_tol=1e-12)


def test_clustered_se_is_larger_for_correlated_clusters():
    """Shared per-cluster offsets inflate the SE; the naive SE would understate it."""
    rng = stream(2, "test")
    offsets = np.repeat(rng.standard_normal(50), 20)
    x = offsets + 0.1 * rng.standard_normal(1000)
    clusters = np.repeat(np.arange(50), 20)
    naive = stats.clustered_mean(x).se
    clustered = stats.clustered_mean(x, clusters).se
    assert clustered > 3 * naive


def test_streaming_sums_equal_batch_estimator():
    """from_cluster_sums and clustered_mean are the same estimator."""
    rng = stream(3, "test")
    x = rng.standard_normal(300)
    g = rng.integers(0, 30, 300)
    a = stats.clustered_mean(x, g)
    sums = np.bincount(g, weights=x, minlength=30)
    counts = np.bincount(g, minlength=30)
    b = stats.from_cluster_sums(sums[counts > 0], counts[counts > 0])
    assert math.isclose(a.value, b.value, rel_tol=1e-12)
    assert math.isclose(a.se, b.se, rel_tol=1e-12)


def test_clustered_se_is_calibrated():
    """Over many repetitions, |mean - mu| <= 2 se holds about 95% of the time."""
    hits = 0
    reps = 400
    for r, rng in enumerate(spawn(4, reps, "calib")):
        off = np.repeat(rng.standard_normal(40), 5)
        x = off + rng.standard_normal(200)
        e = stats.clustered_mean(x, np.repeat(np.arange(40), 5))
        hits += abs(e.value) <= 2 * e.se
    # binomial(400, 0.954): mean 381.8, sd 4.2; the band is +-4.5 sd
    assert 363 <= hits <= 400


def test_judge_exact_rule_and_mutant():
    """An exact check passes within Z*SE and fails when the prediction is off by more."""
    m = Measurement("demo.twice", {"x": 0.5}, stats.Estimate(1.001, 0.001, 100, 100))
    q = _q()
    assert "pass" == judge(m, 0, quantity=q).verdict
    assert "fail" == judge(m, 0, quantity=q.scaled(1.05)).verdict


def test_judge_bounds_are_one_sided():
    """An upper bound passes when measured is below it, however far; fails above it."""
    q = _q("upper-bound")
    below = Measurement("demo.twice", {"x": 0.5}, stats.Estimate(0.2, 0.0, 10, 1))
    above = Measurement("demo.twice", {"x": 0.5}, stats.Estimate(1.2, 0.0, 10, 1))
    assert "pass" == judge(below, 0, quantity=q).verdict
    assert "fail" == judge(above, 0, quantity=q).verdict
    assert "upper" == judge(below, 0, quantity=q).sided


def test_published_failures_are_info_not_pass():
    """A published form that disagrees is reported as info with its deviation."""
    q = _q(published=True)
    m = Measurement("demo.twice", {"x": 0.5}, stats.Estimate(2.0, 0.01, 100, 100))
    r = judge(m, 0, quantity=q)
    assert "info" == r.verdict
    assert "+100.0%" in r.note


def test_nominal_rate_of_Z():
    """Z = 4 is a two-sided false-alarm rate of about 6.3e-5."""
    assert math.isclose(6.334e-5, nominal_false_alarm(Z), rel_tol=1e-3)


def test_streams_are_stable_and_independent():
    """Same names give the same numbers; different names differ."""
    a = stream(0, "x", 1).standard_normal(4)
    b = stream(0, "x", 1).standard_normal(4)
    c = stream(0, "x", 2).standard_normal(4)
    assert (a == b).all()
    assert not (a == c).any()


@pytest.mark.parametrize("raw,expected", [(np.int64(3), 3), (np.int32(7), 7), (np.float64(4.0), 4),
                                          (np.uint8(9), 9)])
def test_int_param_accepts_numpy_integers(raw, expected):
    """numpy scalars are numbers: ``np.int64(3)`` binds like ``3`` (and stays a Python int)."""
    got = N.parse(raw)
    assert got == expected and type(got) is int


def test_float_param_accepts_numpy_floats_and_rejects_numpy_bools():
    assert X.parse(np.float32(0.25)) == 0.25 and type(X.parse(np.float64(0.5))) is float
    with pytest.raises(BadInput):
        X.parse(np.bool_(True))
    with pytest.raises(BadInput):
        N.parse(np.float64(2.5))


def test_evaluate_takes_a_mapping_keywords_or_both():
    """``q.evaluate(x=0.25)`` equals ``q.evaluate({"x": 0.25})``; keywords override the mapping."""
    q = _q()
    assert q.evaluate(x=0.25) == q.evaluate({"x": 0.25}) == 0.5
    assert q.evaluate({"x": 0.1}, x=0.25) == 0.5
    with pytest.raises(BadInput, match="unknown parameter 'y'"):
        q.evaluate(y=1)
