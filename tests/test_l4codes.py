"""l4codes: closed forms against independent integration, code families, MC checks, mutants.

Independent computations: the naive baseline by adaptive quadrature of ReLU(u)^q; the
one-active stratum by quadrature of the network's own forward pass over u; the two-active
stratum by the radial (homogeneity) formula ``int_square f = int_0^{2pi} f(theta)
rho(theta)^(q+2)/(q+2) dtheta`` with adaptive quadrature in the angle, against the
sector-triangle computation of the derivation.  Not established here: exactness of the
strata with three or more active features (they are sampled; the full loss is approximate).
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import integrate

from superpose.derive import l4codes as L
from superpose.derive.cis2 import alloc
from superpose.derive.quantity import BadInput, get_quantity
from superpose.verify import l4codes as V
from superpose.verify.check import Measurement, bind_verify_params, judge


@pytest.mark.parametrize("F,N,p", [(100, 50, 0.02), (10, 3, 0.15), (7, 7, 0.1), (400, 1, 0.2)])
@pytest.mark.parametrize("q", [2, 4])
def test_naive_baseline_against_quadrature(F, N, p, q):
    """(1/F) (F - N) p E ReLU(U)^q with E ReLU(U)^q by adaptive quadrature over U(-1, 1)."""
    moment = integrate.quad(lambda u: max(u, 0.0) ** q / 2, -1, 1, points=[0.0])[0]
    want = (F - N) / F * p * moment
    got = get_quantity(f"l4codes.naive_baseline_l{q}").evaluate(dict(F=F, N=N, p=p))
    assert got == pytest.approx(want, rel=1e-12)


def test_naive_baseline_l4_default_is_1e_3():
    """The issue's number: (1/2)(0.02)(1/10) = 1e-3 at F = 100, N = 50, p = 0.02."""
    assert get_quantity("l4codes.naive_baseline_l4").evaluate({}) == pytest.approx(1e-3, rel=1e-14)


@pytest.mark.parametrize("code", [0, 1, 2])
@pytest.mark.parametrize("K", [1, 2, 3, 4])
def test_code_families(code, K):
    """K ones per row, distinct rows (K >= 2); regular loads differ by <= 1; family 2 meets
    in at most one neuron and starts with the prime-step subsets."""
    M = L.code_matrix(100, 50, K, code, 3)
    assert M.shape == (100, 50) and set(np.unique(M)) <= {0, 1}
    assert np.all(M.sum(axis=1) == K)
    if K >= 2:
        assert len({tuple(r) for r in M}) == 100
    st = L.overlap_stats(M)
    if code == 1 or (code == 2 and K == 1):
        assert st["load_max"] - st["load_min"] <= 1
    if code == 2:
        assert st["max_overlap"] <= 1
        if K >= 2:
            ps = alloc.subsets(50, K)
            head = [tuple(np.flatnonzero(r)) for r in M[:min(len(ps), 100)]]
            assert head == [tuple(sorted(s)) for s in ps[:len(head)]]


def test_prime_steps_give_66_and_packing_reaches_100():
    """At N = 50, K = 4 prime steps give 66 rows; the greedy packing extends them to F = 100
    (ceiling 204), with pair coverage checked directly."""
    assert len(alloc.subsets(50, 4)) == 66
    M = L.code_matrix(100, 50, 4, 2, 0)
    pairs = [p for r in M for p in itertools.combinations(np.flatnonzero(r), 2)]
    assert len(pairs) == len(set(pairs))
    assert 50 * 49 // 12 == 204


def test_packing_above_ceiling_is_bad_input():
    """K = 6 at N = 50: at most 81 rows meet pairwise in <= 1 neuron; F = 100 is refused."""
    with pytest.raises(BadInput, match="81"):
        L.code_matrix(100, 50, 6, 2, 0)


def _net(F=7, N=5, K=2, code=0, a=1.0, b=-0.2, c=1.3, seed=1):
    M = L.code_matrix(F, N, K, code, seed)
    return V.build(M, a, b, c)


def _f(Win, Wout, cols, u, q):
    x = np.zeros(Win.shape[1])
    x[list(cols)] = u
    e = V.forward(Win, Wout, x[None, :])[0] - np.maximum(x, 0.0)
    return float(np.sum(e**q)) / Win.shape[1]


@pytest.mark.parametrize("q", [2, 4])
@pytest.mark.parametrize("b", [-0.2, 0.0, 0.3])
def test_one_active_stratum_against_quadrature(q, b):
    """E[L_q | one active] = mean_j int f(u e_j) du/2 (quadrature of the forward pass)."""
    Win, Wout = _net(b=b)
    F = Win.shape[1]
    want = np.mean([integrate.quad(lambda u: _f(Win, Wout, (j,), [u], q) / 2, -1, 1,
                                   points=[0.0], epsabs=1e-14)[0] for j in range(F)])
    assert L.stratum_one(Win, Wout, (q,))[q] == pytest.approx(want, rel=1e-9)


@pytest.mark.parametrize("q", [2, 4])
@pytest.mark.parametrize("code,b", [(0, -0.2), (1, 0.25), (2, 0.0)])
def test_two_active_stratum_against_radial_quadrature(q, code, b):
    """E[L_q | two active]: sector triangles against int_0^2pi f(theta) rho^(q+2)/(q+2)."""
    Win, Wout = _net(F=6, N=4, K=2, code=code, b=b)
    F = Win.shape[1]
    tot = 0.0
    for j, l in itertools.combinations(range(F), 2):
        def g(th):
            d = np.array([math.cos(th), math.sin(th)])
            rho = 1.0 / np.max(np.abs(d))
            return _f(Win, Wout, (j, l), d, q) * rho ** (q + 2) / (q + 2)
        tot += integrate.quad(g, 0, 2 * math.pi, limit=400, epsabs=1e-13, epsrel=1e-11)[0] / 4
    want = tot / math.comb(F, 2)
    assert L.stratum_two(Win, Wout, (q,))[q] == pytest.approx(want, rel=1e-7)


def test_gauge_invariance():
    """(a, b, c) -> (la, lb, c/l), l > 0, leaves every stratum unchanged."""
    M = L.code_matrix(20, 10, 3, 1, 0)
    A = L.weights(M, 1.0, -0.1, 1.2)
    B = L.weights(M, 2.5, -0.25, 1.2 / 2.5)
    for f in (L.stratum_one, L.stratum_two):
        x, y = f(*A), f(*B)
        for q in (2, 4):
            assert x[q] == pytest.approx(y[q], rel=1e-10)


def test_derive_and_verify_forward_agree():
    """The derivation's sparse forward pass equals the verify side's dense network."""
    M = L.code_matrix(30, 12, 3, 0, 2)
    Win, Wout = V.build(M, 1.0, -0.07, 1.4)
    Wi2, Wo2 = L.weights(M, 1.0, -0.07, 1.4)
    rng = np.random.default_rng(0)
    cols = np.array([rng.choice(30, 3, replace=False) for _ in range(50)])
    U = rng.uniform(-1, 1, (50, 3))
    y, t = L.forward_parts(Wi2, Wo2, U, cols)
    X = np.zeros((50, 30))
    X[np.arange(50)[:, None], cols] = U
    np.testing.assert_allclose(y.T, V.forward(Win, Wout, X), atol=1e-12)


@pytest.fixture(scope="module")
def quick_measurements():
    params = bind_verify_params("l4codes", V.SCALES["quick"][0][0])
    return V.measure(params, trials=V.SCALES["quick"][0][1], seed=1)


def test_quick_checks_pass(quick_measurements):
    """Naive baseline, strata and full losses agree with the Monte Carlo of the real network."""
    for m in quick_measurements:
        assert judge(m, 1).verdict == "pass", m.quantity


def test_scaled_closed_forms_fail(quick_measurements):
    """Every prediction scaled by 1.1 fails at the quick trials (approximate ones included)."""
    for m in quick_measurements:
        q = get_quantity(m.quantity)
        assert judge(m, 1, quantity=q.scaled(1.1)).verdict == "fail", m.quantity
        assert judge(m, 1, quantity=q.scaled(0.9)).verdict == "fail", m.quantity


def test_wrong_normalisation_fails(quick_measurements):
    """A sum over features instead of the mean (x F) and the baseline's E ReLU^4 = 1/5
    instead of 1/10 both fail."""
    import sympy as sp

    m = next(x for x in quick_measurements if x.quantity == "l4codes.naive_baseline_l4")
    q = get_quantity(m.quantity)
    F, N, p = (sp.Symbol(s, **kw) for s, kw in (("F", dict(integer=True, positive=True)),
                                                 ("N", dict(integer=True, positive=True)),
                                                 ("p", dict(nonnegative=True))))
    syms = q.symbols()
    for wrong in ((syms["F"] - syms["N"]) * syms["p"] / 10,
                  (syms["F"] - syms["N"]) * syms["p"] / (5 * syms["F"])):
        assert judge(m, 1, quantity=q.with_closed_form(wrong)).verdict == "fail"


def test_smoke_scale_passes():
    """A small regular code at p = 0.05 (F = 20, N = 10, K = 3)."""
    case, trials = V.SCALES["smoke"][0]
    ms = V.measure(bind_verify_params("l4codes", case), trials=trials, seed=2)
    assert all(judge(m, 2).verdict == "pass" for m in ms)


def test_determinism():
    case, _ = V.SCALES["smoke"][0]
    p = bind_verify_params("l4codes", case)
    a = V.measure(p, trials=600, seed=5)
    b = V.measure(p, trials=600, seed=5)
    assert [x.estimate for x in a] == [x.estimate for x in b]


def test_bad_input():
    """N > F for the naive network, and K > N, are refused before anything is built."""
    with pytest.raises(BadInput, match="N <= F"):
        bind_verify_params("l4codes", dict(F=10, N=20, K=2))
    with pytest.raises(BadInput, match="cannot exceed"):
        get_quantity("l4codes.loss_l4_one").evaluate(dict(F=10, N=3, K=4))


def test_loss_at_optimum_is_what_measure_checks():
    """loss_at_optimum (what the l4codes_loss figure plots) on measure's input stream gives
    measure's opt_loss_l{q} estimate exactly (small regular code, opt = 1)."""
    from superpose.verify.rng import stream

    case = dict(V.SCALES["smoke"][0][0], opt=1)
    p = bind_verify_params("l4codes", case)
    ms = V.measure(p, trials=4000, seed=2)
    for q in (4, 2):
        m = next(x for x in ms if x.quantity == f"l4codes.opt_loss_l{q}")
        est, o = V.loss_at_optimum(p["F"], p["N"], p["p"], p["K"], p["code"], p["code_seed"], q,
                                   4000, stream(2, "l4codes", "inputs", p["F"], p["N"], p["p"]))
        assert est == m.estimate
        assert o == L.optimum(p["F"], p["N"], p["p"], p["K"], p["code"], p["code_seed"], q)


@pytest.mark.parametrize("q", [4, 2])
def test_loss_at_optimum_against_the_derived_loss(q):
    """The Monte Carlo loss at the registered optimum passes the opt_loss_l{q} check and fails
    it for the derived loss x1.1 and x0.9."""
    F, N, p, K, code = 20, 10, 0.05, 3, 1
    est, _ = V.loss_at_optimum(F, N, p, K, code, 0, q, 120000, np.random.default_rng(4))
    assert est.n == 120000 and est.n_networks == 120000 // V.BLOCK
    m = Measurement(f"l4codes.opt_loss_l{q}", dict(F=F, N=N, K=K, code=code, code_seed=0, p=p),
                    est)
    qty = get_quantity(m.quantity)
    assert judge(m, 4).verdict == "pass"
    for f in (1.1, 0.9):
        assert judge(m, 4, quantity=qty.scaled(f)).verdict == "fail", f


def test_loss_at_optimum_without_a_code_is_bad_input():
    """No overlap-at-most-one code of 100 rows at N = 50, K = 6: BadInput (the figure skips
    the point)."""
    with pytest.raises(BadInput, match="at most"):
        V.loss_at_optimum(100, 50, 0.02, 6, 2, 0, 4, 1000, np.random.default_rng(0))
