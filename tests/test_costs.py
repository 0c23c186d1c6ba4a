"""costs: closed forms against their definitions, Monte Carlo agreement, mutants fail.

Exact statements are proved by quadrature (mpmath, 1e-20 or better) or symbolically; the
Monte Carlo tests judge ``verify/costs.py`` measurements with the fixed rule of
``verify/check.py``.  Not established here: features that are not uniformly random.
"""
from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from superpose.derive import costs as Cm
from superpose.derive.quantity import BadInput, get_construction, get_quantity
from superpose.verify import costs as V
from superpose.verify.check import bind_verify_params, judge

C = get_construction("costs")


def _val(name, **kw):
    return C.get(name).evaluate(kw)


def _sphere_moment(n, f):
    """E f(u) for a coordinate u of a uniform unit vector in R^n (density (1-u^2)^((n-3)/2))."""
    dens = lambda u: (1 - u * u) ** (mpmath.mpf(n - 3) / 2)  # noqa: E731
    return mpmath.quad(lambda u: f(u) * dens(u), [-1, 0, 1]) / mpmath.quad(dens, [-1, 0, 1])


@pytest.mark.parametrize("n", [3, 8, 64, 500])
def test_inner_ms_by_quadrature(n):
    """eq:costs-inner-ms: E (f_a.f_b)^2 = 1/n (quadrature of the sphere-coordinate law)."""
    with mpmath.workdps(30):
        got = _sphere_moment(n, lambda u: u * u)
        assert abs(got - mpmath.mpf(_val("inner_ms", n=n))) < 1e-15 / n


@pytest.mark.parametrize("n,lam", [(3, 2.0), (16, 5.0), (64, 20.0), (256, 3.0)])
def test_sphere_coordinate_is_subgaussian(n, lam):
    """E e^{lam u} <= e^{lam^2/(2n)} (the proxy behind noise_max_bound), by quadrature."""
    with mpmath.workdps(30):
        assert _sphere_moment(n, lambda u: mpmath.exp(lam * u)) <= mpmath.exp(lam**2 / (2 * n))


@pytest.mark.parametrize("n,count", [(8, 1), (8, 50), (64, 1000), (256, 1016)])
def test_max_u2_mean_by_mpmath(n, count):
    """eq:costs-noise-max-ms: scipy quadrature of E max u^2 agrees with mpmath to 1e-9."""
    with mpmath.workdps(25):
        a, b = mpmath.mpf(1) / 2, mpmath.mpf(n - 1) / 2
        f = lambda s: 1 - mpmath.betainc(a, b, 0, s, regularized=True) ** count  # noqa: E731
        knee = min(1, 2 * math.log(count + 1) / n)
        ref = mpmath.quad(f, [0, knee / 4, knee, min(1, 2 * knee), 1])
    got = Cm.max_u2_mean(n, count)
    assert abs(got - float(ref)) <= 1e-9 * float(ref)


def test_noise_max_ms_single_inactive_is_mean_square():
    """With one inactive feature the max is that feature: k/n (consistency of two forms)."""
    assert math.isclose(_val("noise_max_ms", n=32, m=6, k=5), _val("noise_ms_inactive", n=32, k=5),
                        rel_tol=1e-9)


def test_compound_closed_forms_solve_recursions():
    """eq:costs-compound-*: the closed forms iterate the (A, B) recursion exactly (rationals)."""
    cl = C.get("compound_ms_cleanup").closed_form
    nc = C.get("compound_ms_nocleanup").closed_form
    for nv, mv, kv in [(5, 11, 3), (64, 128, 16), (7, 3, 2)]:
        A = B = sp.Integer(0)
        for tv in range(0, 7):
            subs = {Cm.n: nv, Cm.m: mv, Cm.k: kv, Cm.t: tv}
            if tv > 0:
                S = kv * (1 + A) + (mv - kv) * B
                A, B = A + (S - 1 - A) / nv, B + (S - B) / nv
            assert 0 == sp.simplify(nc.subs(subs) - A), (nv, mv, kv, tv)
        Ac = sp.Integer(0)
        for tv in range(0, 7):
            if tv > 0:
                Ac = Ac + (kv - 1) * (1 + Ac) / sp.Integer(nv)
            assert 0 == sp.simplify(cl.subs({Cm.n: nv, Cm.k: kv, Cm.t: tv}) - Ac)


@pytest.mark.parametrize("n,m,eps", [(256, 1024, 1.0), (64, 128, 0.7), (4096, 10**6, 0.5)])
def test_capacity_worst_is_the_threshold(n, m, eps):
    """capacity_worst = k with bound(k) <= eps < bound(k+1)."""
    kk = _val("capacity_worst", n=n, m=m, eps=eps)
    assert Cm.noise_max_bound(n, m, kk) <= eps < Cm.noise_max_bound(n, m, kk + 1)


def test_capacity_ms_definition():
    """capacity_ms is the largest k with k/n <= sigma^2."""
    kk = _val("capacity_ms", n=300, sigma=0.31)
    assert kk / 300 <= 0.31**2 < (kk + 1) / 300


@pytest.mark.parametrize("name,kw,msg", [
    ("noise_ms_active", dict(k=0), ">= 1"),
    ("noise_max_ms", dict(m=8, k=9), "cannot exceed"),
    ("noise_max_ms", dict(m=8, k=8), "needs k < m"),
    ("capacity_ms", dict(sigma=0), "sigma must be > 0"),
])
def test_bad_input(name, kw, msg):
    """Impossible parameters are BadInput with a clear message."""
    with pytest.raises(BadInput, match=msg):
        _val(name, **kw)


@pytest.fixture(scope="module")
def default_measurements():
    return V.measure(bind_verify_params("costs", {}), trials=V.DEFAULT_TRIALS, seed=2)


def test_default_checks_pass_and_published_is_pessimistic(default_measurements):
    """Every check passes; Linsefors' forms are info and above the measurement."""
    for m in default_measurements:
        r = judge(m, 2)
        if get_quantity(m.quantity).published:
            assert "info" == r.verdict and r.measured < r.predicted, r.name
        else:
            assert "pass" == r.verdict, r.name


def test_perturbed_closed_forms_fail(default_measurements):
    """At the default sample size exact checks fail at x1.05 / x0.95, bounds when tightened
    to half the measured value."""
    for m in default_measurements:
        q = get_quantity(m.quantity)
        if q.published:
            continue
        if q.accuracy == "exact":
            for f in (1.05, 0.95):
                assert "fail" == judge(m, 2, quantity=q.scaled(f)).verdict, (q.name, m.params, f)
        else:
            factor = 0.5 * m.estimate.value / q.evaluate(m.params)
            assert "fail" == judge(m, 2, quantity=q.scaled(factor)).verdict, q.name


def test_structural_mutant_fails(default_measurements):
    """The no-clean-up form with the clean-up's growth (m -> k) fails at t = 3."""
    m = next(x for x in default_measurements
             if x.quantity.endswith("compound_ms_nocleanup") and x.params["t"] == 3)
    q = get_quantity(m.quantity)
    assert "fail" == judge(m, 2, quantity=q.with_closed_form(q.closed_form.subs(Cm.m, Cm.k + 1))).verdict


def test_determinism():
    """Same seed, same numbers."""
    p = bind_verify_params("costs", V.SCALES["smoke"][0][0])
    a = V.measure(p, trials=3, seed=4)
    b = V.measure(p, trials=3, seed=4)
    assert [x.estimate for x in a] == [x.estimate for x in b]


@pytest.mark.slow
@pytest.mark.parametrize("case", V.SCALES["quick"] + V.SCALES["paper"])
def test_scales_pass(case):
    """The quick and paper points pass (slow)."""
    from superpose.verify.check import run_checks
    _, results, _ = run_checks("costs", case[0], trials=case[1], seed=6)
    assert [] == [r.name for r in results if r.verdict == "fail"]


def test_readout_sums_against_explicit_readouts():
    """readout_sums (shared by measure and the costs_noise figure) equals the readouts
    f_b . x computed one feature at a time, with the same active sets."""
    rng = np.random.default_rng(5)
    F = V.features(12, 5, rng)
    got = V.readout_sums(F, 3, 4, np.random.default_rng(9))
    replay = np.random.default_rng(9)
    act = inact = maxsq = maxabs = 0.0
    for _ in range(4):
        I = set(replay.choice(12, size=3, replace=False).tolist())
        x = sum(F[a] for a in I)
        r = [float(np.dot(F[b], x)) for b in range(12)]
        act += sum((r[a] - 1) ** 2 for a in I)
        off = [r[b] for b in range(12) if b not in I]
        inact += sum(v * v for v in off)
        maxsq += max(v * v for v in off)
        maxabs += max(abs(v) for v in off)
    want = {"act": (act, 12), "inact": (inact, 36), "maxsq": (maxsq, 4), "maxabs": (maxabs, 4)}
    assert set(got) == set(want)
    for key, (s, c) in want.items():
        assert got[key][0] == pytest.approx(s, rel=1e-12), key
        assert got[key][1] == c, key


def test_inactive_noise_against_the_closed_forms():
    """inactive_noise (what the costs_noise figure plots): the RMS inactive noise agrees with
    sqrt(k/n) (exact) and fails at sqrt(1.1 k/n); the measured E max |noise| lies below the
    sub-Gaussian bound and below sqrt(E max^2) (Jensen)."""
    n, m, k = 64, 256, 4
    rms, mx = V.inactive_noise(n, m, k, 40, 32, np.random.default_rng(11))
    assert rms.n_networks == mx.n_networks == 40
    exact = math.sqrt(_val("noise_ms_inactive", n=n, k=k))
    assert abs(rms.value - exact) <= 4 * rms.se
    assert abs(rms.value - math.sqrt(1.1) * exact) > 4 * rms.se
    assert mx.value + 4 * mx.se < _val("noise_max_bound", n=n, m=m, k=k)
    assert mx.value < math.sqrt(_val("noise_max_ms", n=n, m=m, k=k))
