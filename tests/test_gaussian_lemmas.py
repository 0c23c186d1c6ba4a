"""Every lemma of derive/gaussian.py proved by quadrature of its definition.

Precision: 1-D integrals with ``mpmath.quad`` at 30 digits, split at the kinks, compared
to 1e-25.  Multi-dimensional integrals by tensor Gauss-Legendre in float64 on boxes
truncated at 14 standard deviations (the dropped Gaussian mass is < 1e-43); the
integrator's error is estimated by doubling the number of nodes and must be < 1e-12,
and the lemma must agree to 1e-10 (uand.md §5: "1e-10 or better for Gaussian lemmas").
No expected number is typed: each side is computed (closed form vs. integral).
"""
from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from scipy import special

from superpose.derive import gaussian as g

TOL = 1e-10   # lemma agreement (float64 quadrature)
QERR = 1e-12  # allowed quadrature error estimate (node doubling)
CUT = 14.0    # truncation of each standard coordinate


def _num(expr) -> float:
    return float(sp.N(expr, 30))


def _gl(a, b, n):
    """Gauss-Legendre nodes/weights on [a, b] (a, b arrays broadcast)."""
    x, w = np.polynomial.legendre.leggauss(n)
    a = np.asarray(a, float)[..., None]
    b = np.asarray(b, float)[..., None]
    return (b - a) / 2 * x + (b + a) / 2, (b - a) / 2 * w


def _ncdf(x):
    return 0.5 * special.erfc(-x / math.sqrt(2))


def _npdf(x):
    return np.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def _with_error(fn, n):
    """fn(n) and the node-doubling error estimate |fn(2n) - fn(n)|."""
    lo, hi = fn(n), fn(2 * n)
    return hi, abs(hi - lo)


# ----------------------------------------------------------------- independent integrals


def trunc_by_quadrature(cov: np.ndarray, p: int, k: int, n: int = 96) -> float:
    """E[Y_k^p 1{Y>0}] for Y ~ N(0, cov), dimension 1..3, by Cholesky coordinates.

    Put k first and write Y = L z (z standard).  The last coordinate's constraint is
    integrated exactly (a standard normal tail, Phi), the others by Gauss-Legendre over
    the region {z_1 > 0, z_2 > -L21 z_1 / L22}.  No Stein, no conditioning lemma.
    """
    order = [k] + [i for i in range(len(cov)) if i != k]
    c = np.asarray(cov, float)[np.ix_(order, order)]
    L = np.linalg.cholesky(c)
    d = len(c)
    if d == 1:
        z1, w1 = _gl(0.0, CUT, n)
        return float(np.sum(w1 * (L[0, 0] * z1) ** p * _npdf(z1)))
    z1, w1 = _gl(0.0, CUT, n)
    if d == 2:
        f = (L[0, 0] * z1) ** p * _npdf(z1) * _ncdf(L[1, 0] * z1 / L[1, 1])
        return float(np.sum(w1 * f))
    # d == 3: z2 from max(-L10 z1 / L11, -CUT) to CUT, for each z1 node
    lo = np.clip(-L[1, 0] * z1 / L[1, 1], -CUT, CUT)
    z2, w2 = _gl(lo, np.full_like(lo, CUT), n)           # shapes (n, n)
    Z1 = z1[:, None]
    f = ((L[0, 0] * Z1) ** p * _npdf(Z1) * _npdf(z2)
         * _ncdf((L[2, 0] * Z1 + L[2, 1] * z2) / L[2, 2]))
    return float(np.sum(w1[:, None] * w2 * f))


COVS3 = [
    np.array([[3.0, 1.0, 1.0], [1.0, 1.0, 0.0], [1.0, 0.0, 1.0]]),   # uand-random (X,U,V), l=3, case 11
    np.array([[5.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]),   # case 10, l=5
    np.array([[1.0, 0.3, -0.4], [0.3, 1.0, 0.2], [-0.4, 0.2, 1.0]]),
    np.array([[2.0, -0.9, 0.7], [-0.9, 1.5, -0.3], [0.7, -0.3, 0.8]]),
]
COVS2 = [np.array([[1.0, 0.6], [0.6, 2.0]]), np.array([[3.0, -1.2], [-1.2, 1.0]]),
         np.array([[1.0, 0.0], [0.0, 4.0]])]


def _sym(cov: np.ndarray) -> sp.Matrix:
    return sp.Matrix(cov.shape[0], cov.shape[1], [sp.nsimplify(x) for x in cov.ravel()])


# ------------------------------------------------------------------------- G1, G5


@pytest.mark.parametrize("rho", [-0.95, -0.5, 0.0, 0.3, 0.9])
def test_G1_bivariate_orthant(rho):
    """G1: the 2-D integral of the lemma's own definition equals 1/4 + asin(rho)/(2 pi)."""
    lem = g.lemma("G1")
    (r,) = lem.symbols
    integrand = lem.definition.function.subs(r, sp.nsimplify(rho))
    x, y = [lim[0] for lim in lem.definition.limits]
    f = sp.lambdify((x, y), integrand, "numpy")

    def quad(n):
        # two panels per axis concentrate the nodes where the mass is
        tot = 0.0
        for a, b in ((0.0, 3.0), (3.0, CUT)):
            for c, d in ((0.0, 3.0), (3.0, CUT)):
                xs, wx = _gl(a, b, n)
                ys, wy = _gl(c, d, n)
                tot += np.sum(wx[:, None] * wy[None, :] * f(xs[:, None], ys[None, :]))
        return tot

    val, err = _with_error(quad, 80)
    assert err < QERR
    closed = _num(lem.closed_form.subs(r, sp.nsimplify(rho)))
    assert abs(val - closed) < TOL, ("G1", rho, val, closed)


def test_G1_30_digits_by_conditioning():
    """G1 to 1e-25: integral_0^inf phi(x) Phi(rho x / sqrt(1-rho^2)) dx at 30 digits."""
    lem = g.lemma("G1")
    (r,) = lem.symbols
    with mpmath.workdps(30):
        for rho in (mpmath.mpf("-0.7"), mpmath.mpf("0.25"), mpmath.mpf("0.99")):
            s = mpmath.sqrt(1 - rho**2)
            val = mpmath.quad(lambda x: mpmath.npdf(x) * mpmath.ncdf(rho * x / s), [0, mpmath.inf])
            closed = mpmath.mpf(str(sp.N(lem.closed_form.subs(r, sp.Float(str(rho), 40)), 35)))
            assert abs(val - closed) < mpmath.mpf(10) ** -25


def test_G1_degenerate_limits():
    """At rho = +-1 the formula gives the limits P(Y>0) = 1/2 and P(Y>0, -Y>0) = 0."""
    assert g.orthant(sp.Matrix([[1, 1], [1, 1]])) == sp.Rational(1, 2)
    assert g.orthant(sp.Matrix([[1, -1], [-1, 1]])) == 0


@pytest.mark.parametrize("cov", COVS3[2:] + [np.array([[1, 0.5, 0.5], [0.5, 1, 0.5], [0.5, 0.5, 1]])])
def test_G5_trivariate_orthant(cov):
    """G5: the 3-D integral of the lemma's own definition (tensor Gauss-Legendre) equals the closed form."""
    lem = g.lemma("G5")
    r12, r13, r23 = lem.symbols
    d = np.sqrt(np.diag(cov))
    corr = cov / np.outer(d, d)
    vals = {r12: sp.nsimplify(corr[0, 1]), r13: sp.nsimplify(corr[0, 2]),
            r23: sp.nsimplify(corr[1, 2])}
    x, y, z = [lim[0] for lim in lem.definition.limits]
    f = sp.lambdify((x, y, z), lem.definition.function.subs(vals), "numpy")

    def quad(n):
        tot = 0.0
        panels = ((0.0, 2.5), (2.5, 7.0))   # mass beyond 7 in any coordinate < 1e-11 * 3
        for a, b in panels:
            xs, wx = _gl(a, b, n)
            for c, e in panels:
                ys, wy = _gl(c, e, n)
                for h, k in panels:
                    zs, wz = _gl(h, k, n)
                    tot += np.einsum("i,j,k,ijk->", wx, wy, wz,
                                     f(xs[:, None, None], ys[None, :, None], zs[None, None, :]))
        return tot

    val, err = _with_error(quad, 30)
    assert err < QERR
    assert abs(val - _num(lem.closed_form.subs(vals))) < TOL
    # and the general-purpose orthant() of the same covariance (correlations from variances)
    assert abs(val - _num(g.orthant(_sym(cov)))) < TOL
    # independent second route: Cholesky coordinates, p = 0
    assert abs(val - trunc_by_quadrature(cov, 0, 0)) < TOL


# ------------------------------------------------------------------------- G2, G3


@pytest.mark.parametrize("name", ["G2", "G3"])
@pytest.mark.parametrize("mu,sigma", [(0, 1), (1.5, 0.5), (-2, 3), ("1/3", 2)])
def test_G2_G3_relu_moments(name, mu, sigma):
    """G2/G3: 30-digit quadrature of E[max(0, mu + sigma Z)^(1,2)], split at the kink."""
    lem = g.lemma(name)
    m, s = lem.symbols
    vals = {m: sp.Rational(mu), s: sp.Rational(sigma)}
    (w, _, _), = lem.definition.limits
    with mpmath.workdps(30):
        f = sp.lambdify(w, lem.definition.function.subs(vals), "mpmath")
        kink = -mpmath.mpf(sp.Rational(mu).p) / sp.Rational(mu).q / mpmath.mpf(sigma)
        val = mpmath.quad(f, [-mpmath.inf, kink, mpmath.inf])
        closed = mpmath.mpf(str(sp.N(lem.closed_form.subs(vals), 35)))
        assert abs(val - closed) < mpmath.mpf(10) ** -25, (name, mu, sigma, val, closed)


def test_relu_moments_evaluates_G2_G3_on_arrays():
    """relu_moments (the numeric form of G2/G3 used by the rotations ReLU model) against the
    lemmas at 30 digits (mpmath) and against Phi/phi written with scipy's ndtr; var = 0 is the
    deterministic limit.  Checked for mu/sigma >= -4: below, mu Phi + sigma phi cancels (by
    mu^2/sigma^2) in any double-precision evaluation of the closed forms."""
    mu = np.array([-1.2, -0.3, 0.0, 0.7, 1.9, -1.5, 0.4])
    var = np.array([0.16, 0.5, 2.0, 0.01, 0.3, 0.0, 0.0])
    m1, m2 = g.relu_moments(mu, var)
    with mpmath.workdps(30):
        for i in range(mu.size):
            if var[i] == 0:
                assert m1[i] == max(mu[i], 0.0) and m2[i] == max(mu[i], 0.0) ** 2
                continue
            m, sd = mpmath.mpf(mu[i]), mpmath.sqrt(mpmath.mpf(var[i]))
            t = m / sd
            Phi, phi = mpmath.erfc(-t / mpmath.sqrt(2)) / 2, mpmath.npdf(t)
            assert abs(m1[i] - (m * Phi + sd * phi)) <= 1e-13 * abs(m1[i])
            assert abs(m2[i] - ((m * m + sd * sd) * Phi + m * sd * phi)) <= 1e-13 * abs(m2[i])
    t = np.linspace(-4, 5, 2001)
    sd = 0.7
    r1, r2 = g.relu_moments(t * sd, np.full(t.size, sd * sd))
    Phi, phi = special.ndtr(t), np.exp(-t * t / 2) / math.sqrt(2 * math.pi)
    assert np.allclose(r1, t * sd * Phi + sd * phi, rtol=1e-12, atol=0)
    assert np.allclose(r2, (t * t * sd * sd + sd * sd) * Phi + t * sd * sd * phi, rtol=1e-12, atol=0)


# ---------------------------------------------------------------- G4, G6, G7


def test_G6_conditioning_is_the_schur_complement():
    """G6 symbolically: condition(S, m) equals the inverse of the precision matrix block."""
    a, b, c, d, e, f = sp.symbols("a b c d e f", real=True)
    S = sp.Matrix([[a, b, c], [b, d, e], [c, e, f]])
    P = S.inv()
    for m in range(3):
        keep = [i for i in range(3) if i != m]
        expected = P.extract(keep, keep).inv()
        assert sp.simplify(g.condition(S, m) - expected) == sp.zeros(2, 2)


def test_G4_stein_with_a_sign_indicator():
    """G4 with g = 1{Y_2 > 0}: E[Y_1 1{Y_2>0}] = S_12 phi_{S_22}(0), by 30-digit quadrature."""
    with mpmath.workdps(30):
        s12, s22 = mpmath.mpf("-0.7"), mpmath.mpf(3)
        # E[Y_1 | Y_2 = y] = s12 / s22 * y
        val = mpmath.quad(lambda y: s12 / s22 * y * mpmath.npdf(y, 0, mpmath.sqrt(s22)),
                          [0, mpmath.inf])
        closed = mpmath.mpf(str(sp.N(sp.Rational(-7, 10) * g.phi0(3), 35)))
        assert abs(val - closed) < mpmath.mpf(10) ** -25


@pytest.mark.parametrize("p", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("var", [sp.Integer(1), sp.Rational(7, 3)])
def test_G7_one_dimension(p, var):
    """G7 in 1-D: E[Y^p 1{Y>0}] against 30-digit quadrature."""
    with mpmath.workdps(30):
        sd = mpmath.sqrt(mpmath.mpf(var.p) / var.q)
        val = mpmath.quad(lambda y: y**p * mpmath.npdf(y, 0, sd), [0, mpmath.inf])
        closed = mpmath.mpf(str(sp.N(g.trunc_moment(sp.Matrix([[var]]), p), 35)))
        assert abs(val - closed) < mpmath.mpf(10) ** -25


@pytest.mark.parametrize("ci", range(len(COVS2)))
@pytest.mark.parametrize("p", [0, 1, 2, 3, 4])
def test_G7_two_dimensions(ci, p):
    """G7 in 2-D, both components as k, against 30-digit 1-D quadrature in Cholesky coordinates."""
    cov = COVS2[ci]
    for k in (0, 1):
        order = [k, 1 - k]
        c00, c01, c11 = (sp.nsimplify(cov[order[0], order[0]]), sp.nsimplify(cov[0, 1]),
                         sp.nsimplify(cov[order[1], order[1]]))
        with mpmath.workdps(30):
            # exact Cholesky entries of the reordered rational covariance
            l00 = mpmath.mpf(str(sp.N(sp.sqrt(c00), 35)))
            l10 = mpmath.mpf(str(sp.N(c01 / sp.sqrt(c00), 35)))
            l11 = mpmath.mpf(str(sp.N(sp.sqrt(c11 - c01**2 / c00), 35)))
            val = mpmath.quad(lambda z: (l00 * z) ** p * mpmath.npdf(z) * mpmath.ncdf(l10 * z / l11),
                              [0, mpmath.inf])
            closed = mpmath.mpf(str(sp.N(g.trunc_moment(_sym(cov), p, k), 35)))
            assert abs(val - closed) < mpmath.mpf(10) ** -25, (ci, p, k)
        assert abs(float(val) - trunc_by_quadrature(cov, p, k)) < TOL  # float64 route agrees


@pytest.mark.parametrize("ci", range(len(COVS3)))
@pytest.mark.parametrize("p", [1, 2, 3, 4])
def test_G7_three_dimensions(ci, p):
    """G7 in 3-D against 2-D Gauss-Legendre quadrature in Cholesky coordinates.

    k = 0 for every covariance (the uand-random use: X first); every k for the generic
    ones (p = 0 is G5, tested above).
    """
    cov = COVS3[ci]
    for k in (range(3) if ci >= 2 else (0,)):
        val, err = _with_error(lambda n: trunc_by_quadrature(cov, p, k, n), 64)
        assert err < QERR, (ci, p, k, err)
        closed = _num(g.trunc_moment(_sym(cov), p, k))
        assert abs(val - closed) < TOL, (ci, p, k, val, closed)


def test_G7_singular_covariance_is_the_limit():
    """X = U + V (singular covariance, uand-random at l = 2): G7 equals the 2-D integral over (U, V)."""
    cov = sp.Matrix([[2, 1, 1], [1, 1, 0], [1, 0, 1]])
    for p in range(5):
        def quad(n, p=p):
            u, wu = _gl(0.0, CUT, n)
            return float(np.sum(wu[:, None] * wu[None, :] * (u[:, None] + u[None, :]) ** p
                                * _npdf(u)[:, None] * _npdf(u)[None, :]))
        val, err = _with_error(quad, 96)
        assert err < QERR
        assert abs(val - _num(g.trunc_moment(cov, p))) < TOL


def test_lemma_table_is_complete():
    """The table holds G1..G7, each with a definition; closed forms where the lemma has one."""
    assert [lem.name for lem in g.LEMMAS] == [f"G{i}" for i in range(1, 8)]
    for lem in g.LEMMAS:
        assert lem.definition is not None and lem.statement
    for name in ("G1", "G2", "G3", "G5"):
        lem = g.lemma(name)
        assert isinstance(lem.definition, sp.Integral)
        assert lem.closed_form.free_symbols <= set(lem.symbols)


def test_trunc_moment_rejects_bad_input():
    """Dimension > 3 and negative orders are refused with a clear error."""
    with pytest.raises(ValueError):
        g.trunc_moment(sp.eye(4), 0)
    with pytest.raises(ValueError):
        g.trunc_moment(sp.eye(2), -1)
    with pytest.raises(ValueError):
        g.trunc_moment(sp.eye(2), 1, k=2)
