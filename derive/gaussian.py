r"""A small table of Gaussian lemmas, as SymPy closed forms beside their definitions.

Generic ``sympy.integrate`` is slow, and sometimes silently wrong, on piecewise integrals
over correlated Gaussian regions (uand.md §5, method hint 4).  Constructions therefore
derive from this table, and every lemma is *proved* in ``tests/test_gaussian_lemmas.py``
by quadrature of its definition (mpmath at 30 digits, split at the kinks) to 1e-10 or
better.

The lemmas (uand.md §5, table G1-G6, plus the truncated moments G7 built from them):

====  =====================================================================================
G1    :math:`P(Y_1>0,Y_2>0)=\tfrac14+\tfrac{\arcsin\rho}{2\pi}` (standard bivariate, corr. rho)
G2    :math:`\mathbb E[\max(0,\mu+\sigma Z)]=\mu\Phi(\mu/\sigma)+\sigma\varphi(\mu/\sigma)`
G3    :math:`\mathbb E[\max(0,\mu+\sigma Z)^2]=(\mu^2+\sigma^2)\Phi(\mu/\sigma)+\mu\sigma\varphi(\mu/\sigma)`
G4    Stein: :math:`\mathbb E[Y_k g(Y)]=\sum_m\Sigma_{km}\mathbb E[\partial_m g(Y)]` (centred Y,
      distributional derivatives: :math:`\partial_m 1\{Y_m>0\}=\delta(Y_m)`)
G5    :math:`P(Y_1,Y_2,Y_3>0)=\tfrac18+\tfrac{\arcsin\rho_{12}+\arcsin\rho_{13}+\arcsin\rho_{23}}{4\pi}`
G6    conditioning: :math:`Y_{-m}\mid Y_m=0\sim\mathcal N(0,\Sigma_{-m,-m}-\Sigma_{-m,m}\Sigma_{m,-m}/\Sigma_{mm})`
G7    truncated moments :math:`T_p(\Sigma,k)=\mathbb E[Y_k^p\,\mathbb 1\{Y>0\}]` (all components
      positive) by the recursion G4 + G6 down to the orthant probabilities G1/G5:

      .. math::
         T_p = (p-1)\Sigma_{kk}T_{p-2}
               + \sum_{m\ne k}\Sigma_{km}\varphi_{\Sigma_{mm}}(0)\,T_{p-1}(\Sigma\mid Y_m{=}0)
         \quad(p\ge2),\qquad
         T_1 = \sum_m \Sigma_{km}\varphi_{\Sigma_{mm}}(0)\,P(Y_{-m}>0\mid Y_m=0),

      because :math:`\partial_k(Y_k^{p-1}\mathbb 1\{Y>0\})=(p-1)Y_k^{p-2}\mathbb 1\{Y>0\}` for
      :math:`p\ge2` (the delta term carries the factor :math:`Y_k^{p-1}=0`), and
      :math:`\partial_m` gives :math:`Y_k^{p-1}\delta(Y_m)\mathbb 1\{Y_{-m}>0\}` for
      :math:`m\ne k`; :math:`\mathbb E[f(Y)\delta(Y_m)]=\varphi_{\Sigma_{mm}}(0)\,\mathbb E[f(Y)\mid Y_m=0]`.
====  =====================================================================================

Degenerate covariances (correlation :math:`\pm1`, a zero conditional variance) are the
continuous limits of the formulas: :math:`P(Y>0)` of a zero-variance component counts
1/2, as G1 at :math:`\rho=\pm1` does.  The uand-random case :math:`\ell=2` (no noise,
:math:`X=U+V`) relies on this and is proved separately by quadrature.

>>> rho = sp.Symbol("rho", real=True)
>>> orthant(sp.Matrix([[1, rho], [rho, 1]]))
asin(rho)/(2*pi) + 1/4
>>> trunc_moment(sp.Matrix([[4]]), 2)   # E[(Y^+)^2] = Var/2
2
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import numpy as np
import sympy as sp

__all__ = [
    "Lemma", "LEMMAS", "phi0", "orthant", "condition", "trunc_moment", "relu_mean",
    "relu_second_moment", "std_normal_pdf", "std_normal_cdf", "lemma", "relu_moments",
]

_2PI = 2 * sp.pi


def std_normal_pdf(x: sp.Expr) -> sp.Expr:
    r""":math:`\varphi(x)=e^{-x^2/2}/\sqrt{2\pi}`."""
    return sp.exp(-x**2 / 2) / sp.sqrt(_2PI)


def std_normal_cdf(x: sp.Expr) -> sp.Expr:
    r""":math:`\Phi(x)=\tfrac12\operatorname{erfc}(-x/\sqrt2)`."""
    return sp.erfc(-x / sp.sqrt(2)) / 2


def phi0(var: sp.Expr) -> sp.Expr:
    r"""Density of :math:`\mathcal N(0,\mathrm{var})` at 0: :math:`1/\sqrt{2\pi\,\mathrm{var}}`."""
    return 1 / sp.sqrt(_2PI * var)


# ----------------------------------------------------------------- G1, G5: orthants


def _corr(cov: sp.Matrix, a: int, b: int) -> sp.Expr:
    # sqrt of each variance separately, so sqrt(v)*sqrt(v) collapses to v.
    return cov[a, b] / (sp.sqrt(cov[a, a]) * sp.sqrt(cov[b, b]))


def orthant(cov: sp.Matrix) -> sp.Expr:
    r"""P(all components > 0) of :math:`\mathcal N(0,\Sigma)`, dimension 0..3 (G1, G5).

    Dimension 0 is the empty event (probability 1), dimension 1 gives 1/2.
    """
    n = cov.shape[0]
    if n == 0:
        return sp.Integer(1)
    if n == 1:
        return sp.Rational(1, 2)
    if n == 2:  # G1
        return sp.Rational(1, 4) + sp.asin(_corr(cov, 0, 1)) / _2PI
    if n == 3:  # G5
        s = sp.asin(_corr(cov, 0, 1)) + sp.asin(_corr(cov, 0, 2)) + sp.asin(_corr(cov, 1, 2))
        return sp.Rational(1, 8) + s / (4 * sp.pi)
    raise ValueError(f"orthant probabilities are tabulated up to dimension 3, got {n}")


# ------------------------------------------------------------------ G6: conditioning


def condition(cov: sp.Matrix, m: int) -> sp.Matrix:
    r"""Covariance of :math:`Y_{-m}\mid Y_m=0` (G6); the conditional mean is 0."""
    keep = [i for i in range(cov.shape[0]) if i != m]
    out = sp.zeros(len(keep), len(keep))
    for a, i in enumerate(keep):
        for b, j in enumerate(keep):
            out[a, b] = sp.cancel(cov[i, j] - cov[i, m] * cov[m, j] / cov[m, m])
    return out


# ------------------------------------------------------ G7: truncated moments (G4+G6)


def trunc_moment(cov: sp.Matrix, p: int, k: int = 0) -> sp.Expr:
    r""":math:`\mathbb E[Y_k^p\,\mathbb 1\{Y_1>0,\dots,Y_n>0\}]` for :math:`Y\sim\mathcal N(0,\Sigma)`.

    ``cov`` is n x n (n <= 3), ``p >= 0`` an integer, ``k`` the index of the moment
    component.  Recursion G7 (module docstring): Stein's identity G4, conditioning G6,
    and the orthant probabilities G1/G5.  A zero entry :math:`\Sigma_{km}` drops its
    term, so no conditioning on an uncorrelated component happens.
    """
    cov = sp.Matrix(cov)
    n = cov.shape[0]
    if not (0 <= k < n):
        raise ValueError(f"component {k} out of range for dimension {n}")
    if p < 0 or int(p) != p:
        raise ValueError(f"moment order must be a nonnegative integer, got {p}")
    if p == 0:
        return orthant(cov)
    total = sp.Integer(0)
    for m in range(n):
        c = cov[k, m]
        if c == 0:
            continue
        if m == k:
            if p >= 2:
                total += (p - 1) * c * trunc_moment(cov, p - 2, k)
            else:  # p == 1: E[delta(Y_k) 1{Y_-k>0}]
                total += c * phi0(cov[k, k]) * orthant(condition(cov, k))
        else:
            kk = k if k < m else k - 1
            total += c * phi0(cov[m, m]) * trunc_moment(condition(cov, m), p - 1, kk)
    return total


# ---------------------------------------------------------------- G2, G3: one ReLU


def relu_mean(mu: sp.Expr, sigma: sp.Expr) -> sp.Expr:
    r"""G2: :math:`\mathbb E[\max(0,\mu+\sigma Z)]=\mu\Phi(\mu/\sigma)+\sigma\varphi(\mu/\sigma)` (sigma > 0)."""
    return mu * std_normal_cdf(mu / sigma) + sigma * std_normal_pdf(mu / sigma)


def relu_second_moment(mu: sp.Expr, sigma: sp.Expr) -> sp.Expr:
    r"""G3: :math:`\mathbb E[\max(0,\mu+\sigma Z)^2]=(\mu^2+\sigma^2)\Phi(\mu/\sigma)+\mu\sigma\varphi(\mu/\sigma)`."""
    return (mu**2 + sigma**2) * std_normal_cdf(mu / sigma) + mu * sigma * std_normal_pdf(mu / sigma)


# ------------------------------------------------------------------- the lemma table


@dataclass(frozen=True)
class Lemma:
    """One Gaussian lemma: its definition (an unevaluated integral) beside its closed form.

    ``definition`` is an unevaluated :class:`sympy.Integral` over standard coordinates;
    ``kinks`` lists, per integration variable, the points where the integrand is not
    smooth (quadrature splits there); ``closed_form`` is what the lemma asserts;
    ``domain`` maps each free symbol to the (open) range where the lemma holds.
    ``function`` is the table's general-purpose implementation, when there is one.
    """

    name: str
    statement: str
    symbols: tuple[sp.Symbol, ...]
    definition: sp.Integral | str
    closed_form: sp.Expr | None
    domain: dict
    function: Callable | None = None
    doc: str = ""


@functools.lru_cache(maxsize=1)
def _lemmas() -> tuple[Lemma, ...]:
    x, y, z, w = sp.symbols("x y z w", real=True)
    rho = sp.Symbol("rho", real=True)
    r12, r13, r23 = sp.symbols("rho_12 rho_13 rho_23", real=True)
    mu = sp.Symbol("mu", real=True)
    sigma = sp.Symbol("sigma", positive=True)
    # bivariate standard density with correlation rho
    biv = sp.exp(-(x**2 - 2 * rho * x * y + y**2) / (2 * (1 - rho**2))) / (
        _2PI * sp.sqrt(1 - rho**2))
    cov3 = sp.Matrix([[1, r12, r13], [r12, 1, r23], [r13, r23, 1]])
    vec = sp.Matrix([x, y, z])
    triv = sp.exp(-(vec.T * cov3.inv() * vec)[0] / 2) / sp.sqrt((_2PI) ** 3 * cov3.det())
    g1 = Lemma(
        "G1", r"P(Y_1>0,Y_2>0)=\frac14+\frac{\arcsin\rho}{2\pi}", (rho,),
        sp.Integral(biv, (x, 0, sp.oo), (y, 0, sp.oo)),
        orthant(sp.Matrix([[1, rho], [rho, 1]])), {rho: (-1, 1)}, orthant,
        "bivariate standard normal orthant probability (Sheppard)")
    g5 = Lemma(
        "G5", r"P(Y_1,Y_2,Y_3>0)=\frac18+\frac{\arcsin\rho_{12}+\arcsin\rho_{13}+\arcsin\rho_{23}}{4\pi}",
        (r12, r13, r23),
        sp.Integral(triv, (x, 0, sp.oo), (y, 0, sp.oo), (z, 0, sp.oo)),
        orthant(cov3), {r12: (-1, 1), r13: (-1, 1), r23: (-1, 1)}, orthant,
        "trivariate orthant probability; valid for every positive-definite correlation matrix")
    g2 = Lemma(
        "G2", r"\mathbb E[\max(0,\mu+\sigma Z)]=\mu\Phi(\mu/\sigma)+\sigma\varphi(\mu/\sigma)",
        (mu, sigma),
        sp.Integral(sp.Max(0, mu + sigma * w) * std_normal_pdf(w), (w, -sp.oo, sp.oo)),
        relu_mean(mu, sigma), {mu: (-sp.oo, sp.oo), sigma: (0, sp.oo)}, relu_mean,
        "kink at w = -mu/sigma")
    g3 = Lemma(
        "G3", r"\mathbb E[\max(0,\mu+\sigma Z)^2]=(\mu^2+\sigma^2)\Phi(\mu/\sigma)+\mu\sigma\varphi(\mu/\sigma)",
        (mu, sigma),
        sp.Integral(sp.Max(0, mu + sigma * w) ** 2 * std_normal_pdf(w), (w, -sp.oo, sp.oo)),
        relu_second_moment(mu, sigma), {mu: (-sp.oo, sp.oo), sigma: (0, sp.oo)},
        relu_second_moment, "kink at w = -mu/sigma")
    g4 = Lemma(
        "G4", r"\mathbb E[Y_k g(Y)]=\sum_m \Sigma_{km}\,\mathbb E[\partial_m g(Y)]", (),
        r"\mathbb E[Y_k g(Y)],\ Y\sim\mathcal N(0,\Sigma)", None, {}, None,
        "Stein's identity; used inside G7 and proved there (every G7 case is a Stein step)")
    g6 = Lemma(
        "G6", r"Y_{-m}\mid Y_m=0\sim\mathcal N\big(0,\Sigma_{-m,-m}-\Sigma_{-m,m}\Sigma_{mm}^{-1}\Sigma_{m,-m}\big)",
        (), r"\text{law of }Y_{-m}\text{ given }Y_m=0", None, {}, condition,
        "Gaussian conditioning (Schur complement)")
    g7 = Lemma(
        "G7", r"T_p(\Sigma,k)=\mathbb E\big[Y_k^p\,\mathbb 1\{Y>0\}\big]", (),
        r"\int_{y>0} y_k^p\,\varphi_\Sigma(y)\,dy", None, {}, trunc_moment,
        "truncated moments on the positive orthant, recursion G4+G6 down to G1/G5")
    return (g1, g2, g3, g4, g5, g6, g7)


def __getattr__(name: str):
    # ``LEMMAS``, the table in order G1..G7, is built on first use (SymPy integrals take a
    # few hundred ms to set up; most callers need only the closed forms above).
    if name == "LEMMAS":
        return _lemmas()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def lemma(name: str) -> Lemma:
    for lem in _lemmas():
        if lem.name == name:
            return lem
    raise KeyError(name)


# ------------------------------------------------------------ numeric use of the table


@functools.lru_cache(maxsize=None)
def _numeric_relu(name: str) -> Callable:
    r"""The closed form of G2 or G3 as a vectorised NumPy/SciPy function of ``(mu, sigma)``.

    SymPy keeps :math:`\Phi(\mu/\sigma)` as ``1 - erfc(mu/(sqrt(2) sigma))/2``, which cancels
    for very negative ``mu/sigma``; with ``mu = -nu`` substituted it is
    ``erfc(nu/(sqrt(2) sigma))/2``, accurate to a few ulp everywhere (as ``scipy.special.ndtr``).
    """
    lem = lemma(name)
    mu, sigma = lem.symbols
    nu = sp.Symbol("nu", real=True)
    f = sp.lambdify((nu, sigma), lem.closed_form.xreplace({mu: -nu}), modules=["scipy", "numpy"])
    return lambda m, s: f(-m, s)


def relu_moments(mu, var) -> tuple[np.ndarray, np.ndarray]:
    r"""G2 and G3 on arrays: :math:`\mathbb E\,\mathrm{ReLU}(\mu+h)` and
    :math:`\mathbb E\,\mathrm{ReLU}(\mu+h)^2` for :math:`h\sim\mathcal N(0,\mathrm{var})`
    (elementwise, broadcast; ``var = 0`` is the deterministic limit ``max(mu, 0)``, ``mu^2`` of it).
    """
    mu = np.asarray(mu, dtype=float)
    sd = np.sqrt(np.maximum(var, 0.0))
    safe = np.where(sd > 0, sd, 1.0)
    m1 = np.where(sd > 0, _numeric_relu("G2")(mu, safe), np.maximum(mu, 0.0))
    m2 = np.where(sd > 0, _numeric_relu("G3")(mu, safe), np.maximum(mu, 0.0) ** 2)
    return m1, m2
