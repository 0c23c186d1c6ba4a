"""uand-random closed forms against independent computations of their definitions.

Gaussian weights: every entry E[(X^+)^p 1_Q] is a 2-D quadrature over the sign quadrants
of (U, V) with the noise Z integrated by the ReLU-moment lemmas G2/G3 (proved in
test_gaussian_lemmas.py); no Stein step, no orthant formula, no sign basis.  At l = 2
(Z = 0) the kink u + v = 0 is a boundary of the integration region.  Tensor
Gauss-Legendre in float64, error estimated by doubling the nodes (< 1e-12); closed forms
must agree to 1e-9.  Rademacher weights: exact enumeration of every sign pattern.
"""
from __future__ import annotations

import itertools
import json
import math
from fractions import Fraction
from functools import lru_cache

import numpy as np
import pytest
import sympy as sp
from scipy import special

from superpose.derive import uand_random as ur
from superpose.derive.quantity import BadInput, get_construction
from superpose.reports import cli

LS = (2, 3, 4, 7)
TOL = 1e-9
CUT = 14.0


@pytest.fixture(scope="module")
def con():
    return get_construction("uand-random")


# ------------------------------------------------------------ independent quadrature


@lru_cache(maxsize=None)
def _leggauss(n):
    return np.polynomial.legendre.leggauss(n)


def _gl(a, b, n):
    x, w = _leggauss(n)
    return (b - a) / 2 * x + (b + a) / 2, (b - a) / 2 * w


def _npdf(x):
    return np.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def _relu_moment(mu, s, p):
    """E[max(0, mu + s Z)^p] for p = 1, 2 (lemmas G2, G3); s = 0 gives (mu^+)^p."""
    if s == 0:
        return np.maximum(mu, 0.0) ** p
    t = mu / s
    cdf, pdf = 0.5 * special.erfc(-t / math.sqrt(2)), _npdf(t)
    if p == 1:
        return mu * cdf + s * pdf
    return (mu**2 + s**2) * cdf + mu * s * pdf


def _quadrant(case, l, su, sv, p, n):
    """E[(X^+)^p 1{sign U = su, sign V = sv}] by 2-D Gauss-Legendre over the quadrant."""
    xi, xj = case
    s = math.sqrt(l - xi - xj)
    u, wu = _gl(0.0, CUT, n)
    if s == 0 and su != sv:  # l = 2, case 11, mixed quadrant: X = U + V > 0 iff |v| < u
        t, wt = _gl(0.0, 1.0, n)
        U, T = u[:, None], t[None, :]
        f = _npdf(U) * _npdf(U * T) * (U * (1 - T)) ** p * U  # v = -u t, dv = u dt
        return float(np.sum(wu[:, None] * wt[None, :] * f))
    U, V = su * u[:, None], sv * u[None, :]
    f = _npdf(U) * _npdf(V) * _relu_moment(xi * U + xj * V, s, p)
    return float(np.sum(wu[:, None] * wu[None, :] * f))


@lru_cache(maxsize=None)
def quad_entries(case, l, p):
    """Indicator moments {Q: E[(X^+)^p 1_Q]} for Q in UV, U, V, '' (with error check)."""
    out = {}
    for n in (96, 192):
        q = {(su, sv): _quadrant(case, l, su, sv, p, n) for su in (1, -1) for sv in (1, -1)}
        out[n] = {"UV": q[1, 1], "U": q[1, 1] + q[1, -1], "V": q[1, 1] + q[-1, 1],
                  "": sum(q.values())}
    for k in out[96]:
        assert abs(out[96][k] - out[192][k]) < 1e-12, (case, l, p, k)
    return out[192]


def _union(a, b):
    return "".join(ch for ch in "UV" if ch in a + b)


FAMILY = ("UV", "U", "V", "")  # alpha, beta, gamma, delta


def quad_solution(target, l):
    """(alpha, beta, gamma, delta) solved numerically from the quadrature entries."""
    A = np.array([[quad_entries(c, l, 1)[q] for q in FAMILY] for c in ur.CASES])
    b = np.array(ur.TARGETS[target], float)
    if target == "feature":  # family beta 1_U + delta: 4 equations, 2 unknowns (consistent)
        x, res, *_ = np.linalg.lstsq(A[:, [1, 3]], b, rcond=None)
        assert np.max(np.abs(A[:, [1, 3]] @ x - b)) < 1e-10
        return np.array([0.0, x[0], 0.0, x[1]]), A
    return np.linalg.solve(A, b), A


def quad_mean_square(target, l, case, coef):
    """E[(r X^+)^2] - target^2, expanding r^2 in indicators: 1_Q 1_R = 1_{Q u R}."""
    e2 = quad_entries(case, l, 2)
    t = ur.TARGETS[target][ur.CASES.index(case)]
    return sum(coef[i] * coef[j] * e2[_union(a, b)]
               for i, a in enumerate(FAMILY) for j, b in enumerate(FAMILY)) - t * t


# ------------------------------------------------------------------------- Gaussian


@pytest.mark.parametrize("l", LS)
@pytest.mark.parametrize("p", [1, 2])
def test_sign_moments_match_quadrature(l, p):
    """Every derived sign moment E[(X^+)^p s_S] (G7 route) equals the quadrature one."""
    for case in ur.CASES:
        e = quad_entries(case, l, p)
        quad = {"": e[""], "U": 2 * e["U"] - e[""], "V": 2 * e["V"] - e[""],
                "UV": 4 * e["UV"] - 2 * e["U"] - 2 * e["V"] + e[""]}
        for s in ur.SIGNS:
            closed = float(sp.N(ur.sign_moment("gaussian", case, s, p).subs(ur.LSYM, l), 30))
            assert abs(closed - quad[s]) < TOL, (l, p, case, s, closed, quad[s])


@pytest.mark.parametrize("l", LS)
@pytest.mark.parametrize("target", list(ur.TARGETS))
def test_coefficients_solve_the_quadrature_system(l, target, con):
    """The literal 4x4 unbiasedness system, built from quadrature entries, gives the closed forms."""
    x, _ = quad_solution(target, l)
    got = ur.coefficients(target, l)
    assert np.allclose(got, x, rtol=1e-9, atol=1e-9), (l, target, got, x)
    if target == "and":
        for name, v in zip(("alpha", "beta", "gamma", "delta"), x):
            assert abs(con.get(f"coef_{name}").evaluate({"l": l}) - v) < TOL * max(1, abs(v))


@pytest.mark.parametrize("l", LS)
@pytest.mark.parametrize("target,prefix", [("and", ""), ("xor", "xor_"), ("feature", "feature_")])
def test_rms_constant_matches_quadrature(l, target, prefix, con):
    """C(l, on)^2 = Var(r X^+) from quadrature entries, for each case (01 and 10 both)."""
    coef, _ = quad_solution(target, l)
    q = con.get(f"{prefix}rms_error_constant")
    mean = con.get(f"{prefix}mean_readoff")
    for case in ur.CASES:
        on = case[0] if target == "feature" else sum(case)
        ms = quad_mean_square(target, l, case, coef)
        c = q.evaluate({"l": l, "on": on})
        assert abs(c * c - ms) < TOL * max(1.0, ms), (l, target, case, c * c, ms)
        e1 = quad_entries(case, l, 1)
        t = ur.TARGETS[target][ur.CASES.index(case)]
        assert abs(sum(ci * e1[f] for ci, f in zip(coef, FAMILY)) - t) < TOL
        assert mean.evaluate({"l": l, "on": on}) == t


def test_perturbed_alpha_breaks_unbiasedness_by_a_computable_amount():
    """alpha * 1.05 shifts the mean in case (x_i,x_j) by 0.05 alpha E[X^+ 1_UV] (quadrature), > 1%."""
    l = 3
    coef = np.array(ur.coefficients("and", l))
    bad = coef.copy()
    bad[0] *= 1.05
    for case, t in zip(ur.CASES, ur.TARGETS["and"]):
        e = quad_entries(case, l, 1)
        mean_bad = sum(b * e[f] for b, f in zip(bad, FAMILY))
        shift = 0.05 * coef[0] * e["UV"]
        assert abs((mean_bad - t) - shift) < TOL
        assert abs(shift) > 0.01  # a 5% error in alpha is visible in every case
    # and the closed form of C changes too, so the rms check also sees it
    ms_bad = quad_mean_square("and", l, (1, 1), bad)
    assert abs(math.sqrt(ms_bad) - math.sqrt(quad_mean_square("and", l, (1, 1), coef))) > 0.05


def test_symbolic_structure():
    """beta = gamma = -alpha/2, delta = alpha/4 (r = (alpha/4) s_U s_V); C^2 = l/(2K^2) - AND."""
    a, b, c, d = ur.derived()[("gaussian", "and")]["indicator"]
    assert sp.simplify(b - c) == 0 and sp.simplify(b + a / 2) == 0 and sp.simplify(d - a / 4) == 0
    K = ur.sign_moment("gaussian", (1, 1), "UV", 1)
    ms = ur.derived()[("gaussian", "and")]["ms"]
    l = ur.LSYM
    for case, t in zip(ur.CASES, ur.TARGETS["and"]):
        assert sp.simplify(ms[case] - (l / (2 * K**2) - t)) == 0
    # E[(X^+)^2 s_U s_V] in case 11 is the constant 2/pi (a G7 by-product, checked by quadrature above)
    assert sp.simplify(ur.sign_moment("gaussian", (1, 1), "UV", 2) - 2 / sp.pi) == 0


def test_l2_is_the_continuous_limit(con):
    """At l = 2 (Z = 0) every closed form is finite and equals its limit from real l > 2."""
    lr = sp.Symbol("lr", positive=True)
    for q in con.quantities:
        if "m" in [p.name for p in q.params] or "opt_" in q.short:
            continue   # opt_*: the best linear readoff's limit is defined for l >= 3 only
        for on in range(3 if q.params[1].hi == 2 else 2) if len(q.params) > 1 else [None]:
            vals = {"l": 2} if on is None else {"l": 2, "on": on}
            v = q.evaluate(vals)
            assert math.isfinite(v)
            if q.short.startswith("rademacher"):
                continue
            expr = q.closed_form.subs(ur.ONSYM, on) if on is not None else q.closed_form
            near = float(sp.N(expr.subs(ur.LSYM, sp.Integer(2) + sp.Rational(1, 10**12)), 30))
            assert abs(near - v) < 1e-4 * max(1, abs(v)), (q.name, on, near, v)


def test_avg_rms_constant_weights_the_cases(con):
    """avg^2 = sum over cases of (pair-case probability) * C(l, on)^2, probabilities by counting."""
    q, c = con.get("avg_rms_error_constant"), con.get("rms_error_constant")
    for l, m in ((2, 2), (3, 10), (5, 100)):
        tot = math.comb(m, 2)
        w = {2: math.comb(l, 2) / tot, 1: l * (m - l) / tot, 0: math.comb(m - l, 2) / tot}
        assert abs(sum(w.values()) - 1) < 1e-15
        expect = math.sqrt(sum(w[o] * c.evaluate({"l": l, "on": o}) ** 2 for o in w))
        assert abs(q.evaluate({"l": l, "m": m}) - expect) < 1e-12 * expect
    with pytest.raises(BadInput):
        q.evaluate({"l": 5, "m": 3})


def test_mae_constant_and_its_tolerance(con):
    """MAE = C sqrt(2/pi); the declared tolerance covers 5x the Edgeworth 1/N term at N = 64."""
    mae, c = con.get("mae_constant"), con.get("rms_error_constant")
    assert mae.accuracy == "asymptotic" and mae.limit
    for l in (2, 3, 6):
        for on in (0, 1, 2):
            v = {"l": l, "on": on}
            assert abs(mae.evaluate(v) - c.evaluate(v) * math.sqrt(2 / math.pi)) < 1e-12
            k = ur.edgeworth_mae_coefficient(l, on)
            assert 5 * abs(k) / 64 <= mae.tolerance, (l, on, k)
    # case 00: r h = (alpha/4) s_U s_V X^+ with s_U s_V independent of X: skewness 0,
    # excess kurtosis E[X^4 1{X>0}]/E[X^2 1{X>0}]^2 - 3 = (3/2)/(1/4) - 3 = 3 -> c = -3/24
    assert abs(ur.edgeworth_mae_coefficient(4, 0) + 3 / 24) < 1e-12


# ----------------------------------------------------------------------- Rademacher


def _enumerate(case, l, coef):
    """Exact E[r h], E[(r h)^2] over all 2^l sign patterns (U, V, the others)."""
    xi, xj = case
    n_other = l - xi - xj
    m1 = m2 = Fraction(0)
    for u, v, *rest in itertools.product((-1, 1), repeat=2 + n_other):
        x = max(0, xi * u + xj * v + sum(rest))
        r = (coef[0] * (u > 0 and v > 0) + coef[1] * (u > 0) + coef[2] * (v > 0) + coef[3])
        m1 += r * x
        m2 += (r * x) ** 2
    k = 2 ** (2 + n_other)
    return m1 / k, m2 / k


def _rad_exact_solution(target, l):
    """Solve the unbiasedness system exactly (Fractions) from enumerated entries."""
    def entry(case, q):
        xi, xj = case
        n_other = l - xi - xj
        tot = Fraction(0)
        for u, v, *rest in itertools.product((-1, 1), repeat=2 + n_other):
            if ("U" in q and u < 0) or ("V" in q and v < 0):
                continue
            tot += max(0, xi * u + xj * v + sum(rest))
        return tot / 2 ** (2 + n_other)
    names = [1, 3] if target == "feature" else [0, 1, 2, 3]
    A = sp.Matrix([[entry(c, FAMILY[i]) for i in names] for c in ur.CASES])
    b = sp.Matrix(ur.TARGETS[target])
    sol, params = A.gauss_jordan_solve(b)
    assert not params.free_symbols  # unique
    full = [Fraction(0)] * 4
    for i, s in zip(names, sol):
        full[i] = Fraction(int(sp.fraction(s)[0]), int(sp.fraction(s)[1]))
    return full


@pytest.mark.parametrize("l", [2, 3, 4, 5, 6, 7, 8])
def test_rademacher_by_enumeration(l, con):
    """Coefficients, mean and C^2 for +-1 weights equal exact enumeration (AND, XOR, feature)."""
    for target in ur.TARGETS:
        exact = _rad_exact_solution(target, l)
        got = ur.coefficients(target, l, "rademacher")
        assert np.allclose(got, [float(x) for x in exact], rtol=1e-14, atol=1e-14)
        for case, t in zip(ur.CASES, ur.TARGETS[target]):
            m1, m2 = _enumerate(case, l, exact)
            assert m1 == t
            on = sum(case)
            if target == "and":
                assert con.get("rademacher_mean_readoff").evaluate({"l": l, "on": on}) == t
                c = con.get("rademacher_rms_error_constant").evaluate({"l": l, "on": on})
            elif target == "xor":
                c = con.get("rademacher_xor_rms_error_constant").evaluate({"l": l, "on": on})
            else:
                continue
            assert abs(c * c - float(m2 - t * t)) <= 1e-12 * float(m2), (l, target, case)


@pytest.mark.parametrize("n", range(0, 11))
def test_rademacher_lemmas_R1_R2(n):
    """R1 P(S_n = 0) and R2 E|S_n| against enumeration."""
    sums = [sum(s) for s in itertools.product((-1, 1), repeat=n)]
    p0 = Fraction(sum(1 for s in sums if s == 0), 2**n)
    assert sp.Rational(p0.numerator, p0.denominator) == ur.rad_p0(sp.Integer(n))
    if n >= 1:
        ea = Fraction(sum(abs(s) for s in sums), 2**n)
        assert sp.Rational(ea.numerator, ea.denominator) == ur.rad_abs(sp.Integer(n))


def test_rademacher_ratio(con):
    """The ratio is the quotient of the two registered constants, and below 1 for l = 2..10."""
    r, g, rad = (con.get(n) for n in ("rademacher_rms_ratio", "rms_error_constant",
                                       "rademacher_rms_error_constant"))
    for l in range(2, 11):
        for on in (0, 1, 2):
            v = {"l": l, "on": on}
            assert abs(r.evaluate(v) - rad.evaluate(v) / g.evaluate(v)) < 1e-12
            assert r.evaluate(v) < 1


# ---------------------------------------------------------------------- interface


def test_eval_json_example(capsys):
    """`superpose eval uand-random.rms_error_constant --param l=3 --param on=2 --json` works."""
    assert cli.main(["eval", "uand-random.rms_error_constant", "--param", "l=3",
                     "--param", "on=2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["name"] == "uand-random.rms_error_constant" and out["statistic"] == "rms"
    assert abs(out["value"] ** 2 - quad_mean_square("and", 3, (1, 1), quad_solution("and", 3)[0])) < 1e-9


def test_registry_names_and_records(con):
    """Every required quantity exists with its statistic/accuracy, steps, label and source."""
    want = {"coef_alpha": "value", "coef_beta": "value", "coef_gamma": "value", "coef_delta": "value",
            "mean_readoff": "mean", "rms_error_constant": "rms", "mae_constant": "mean",
            "avg_rms_error_constant": "rms", "xor_mean_readoff": "mean",
            "xor_rms_error_constant": "rms", "feature_mean_readoff": "mean",
            "feature_rms_error_constant": "rms", "rademacher_mean_readoff": "mean",
            "rademacher_rms_error_constant": "rms", "rademacher_xor_rms_error_constant": "rms",
            "rademacher_rms_ratio": "value"}
    for short, stat in want.items():
        q = con.get(short)
        assert q.statistic == stat
        assert q.steps and q.eq_label.startswith("eq:uand-random:") and q.source and q.symbol
        assert q.definition
        assert q.accuracy == ("asymptotic" if short == "mae_constant" else "exact")
    assert [p.name for p in con.get("feature_rms_error_constant").params] == ["l", "on"]
    with pytest.raises(BadInput):
        con.get("feature_rms_error_constant").evaluate({"l": 3, "on": 2})
    with pytest.raises(BadInput):
        con.get("rms_error_constant").evaluate({"l": 1, "on": 0})
    assert "10" in con.intro_latex


def test_coefficients_bad_input():
    """Unknown target/weights or l < 2 raise BadInput."""
    for args in (("nand", 3), ("and", 1), ("and", 3, "uniform"), ("and", 2.0)):
        with pytest.raises(BadInput):
            ur.coefficients(*args)
