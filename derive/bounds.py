"""Worst case <-> mean square: the probability tools every worst-case statement uses.

Construction ``bounds``: exact deterministic inequalities between a vector's largest entry
and its mean square, Gaussian extreme values (bounds, exact values by quadrature, the
Gumbel asymptotic with its finite-n error), multiplicative Chernoff bounds, Bernstein,
Hoeffding and the union bound.  Each is a registered :class:`Quantity` (``bounds.<name>``)
whose ``doc`` states its assumptions, and each closed form is built by calling the plain
helper function of the same name with SymPy symbols, so the registry and the helpers can
never disagree (no formula typed twice).

Helpers take Python numbers (-> ``float``) or SymPy expressions (-> SymPy expression); they
are written once against a small namespace of elementary functions (``_NUM`` or ``_SYM``).

Conventions: ``Q(x) = P(N(0,1) > x) = erfc(x / sqrt 2) / 2``; ``ms = (1/n) sum_i x_i^2``.

>>> round(max_from_mean_square(0.25, 16), 12)     # one-hot x = (2, 0, ..., 0)
2.0
>>> round(gauss_max_mean(2), 12) == round(1 / math.sqrt(math.pi), 12)
True
>>> union_bound(10, 0.2)
1.0
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

import sympy as sp

from superpose.derive.quantity import Construction, Param, Quantity, Step

BLM = r"\citet{blm2013}, chapter 2"
MU = r"\citet{mu2005}"
EULER_GAMMA = 0.57721566490153286061

# ------------------------------------------------------------------ function namespaces


@dataclass(frozen=True)
class _Ns:
    """Elementary functions for one number type (floats or SymPy)."""

    sqrt: Callable
    log: Callable
    exp: Callable
    erfc: Callable
    min: Callable
    pi: Any
    gamma: Any
    sym: bool


_NUM = _Ns(math.sqrt, math.log, math.exp, math.erfc, min, math.pi, EULER_GAMMA, False)
_SYM = _Ns(sp.sqrt, sp.log, sp.exp, sp.erfc, sp.Min, sp.pi, sp.EulerGamma, True)


def _ns(*args: Any) -> _Ns:
    return _SYM if any(isinstance(a, sp.Basic) for a in args) else _NUM


def _out(ns: _Ns, value: Any) -> Any:
    return value if ns.sym else float(value)


# ------------------------------------------------------------ deterministic: max <-> ms


def max_from_mean_square(ms, n):
    """Largest possible ``max_i |x_i|`` of ``x in R^n`` with mean square ``ms``.

    ``max_i x_i^2 <= sum_i x_i^2 = n ms``, so ``max_i |x_i| <= sqrt(n ms)``; equality
    iff ``x`` is one-hot (all the energy on one coordinate).
    """
    ns = _ns(ms, n)
    return _out(ns, ns.sqrt(n * ms))


def mean_square_from_max(m):
    """Largest possible mean square of a vector with ``max_i |x_i| = m``: ``m^2``.

    ``(1/n) sum_i x_i^2 <= (1/n) sum_i m^2 = m^2``; equality iff ``|x_i| = m`` for all
    ``i`` (constant modulus, e.g. a sign vector).  Equivalently ``max |x_i| >= sqrt(ms)``.
    """
    ns = _ns(m)
    return _out(ns, m**2)


# ------------------------------------------------------------ Gaussian extreme values


def gauss_tail(x):
    """``Q(x) = P(N(0,1) > x) = erfc(x / sqrt 2) / 2``."""
    ns = _ns(x)
    return _out(ns, ns.erfc(x / ns.sqrt(2)) / 2)


def gauss_tail_inv(q: float) -> float:
    """``Q^{-1}(q)`` for ``0 < q < 1`` (floats only: SymPy cannot evaluate ``erfcinv``)."""
    from scipy.special import erfcinv  # lazy: scipy costs seconds to import

    return math.sqrt(2) * float(erfcinv(2 * q))


def gauss_max_mean_bound(n, sigma=1):
    """``E max_i X_i <= sigma sqrt(2 ln n)`` (BLM Thm 2.5; every ``n >= 1``).

    Holds for any ``X_i`` with ``E exp(l X_i) <= exp(l^2 sigma^2 / 2)`` (centred Gaussians
    of variance <= sigma^2, or sub-Gaussian); no independence needed.
    """
    ns = _ns(n, sigma)
    return _out(ns, sigma * ns.sqrt(2 * ns.log(n)))


def gauss_abs_max_mean_bound(n, sigma=1):
    """``E max_i |X_i| <= sigma sqrt(2 ln(2n))`` (the bound above for the 2n variables +-X_i)."""
    ns = _ns(n, sigma)
    return _out(ns, sigma * ns.sqrt(2 * ns.log(2 * n)))


def gauss_max_mean_asymptotic(n, sigma=1):
    """Gumbel asymptotic of ``E max`` of ``n`` iid ``N(0, sigma^2)``, ``n -> oo``.

    ``sigma (b_n + gamma a_n)`` with the classical norming constants (Leadbetter et al.
    1983, Thm 1.5.3) ``a_n = 1/sqrt(2 ln n)``,
    ``b_n = sqrt(2 ln n) - (ln ln n + ln 4 pi) / (2 sqrt(2 ln n))`` and the Gumbel mean
    ``gamma`` (Euler's constant).  Over-estimates: relative error 1.9 % at n = 100,
    0.27 % at n = 10^6 (quadrature; see the quantity's tolerance).
    """
    ns = _ns(n, sigma)
    s = ns.sqrt(2 * ns.log(n))
    return _out(ns, sigma * (s - (ns.log(ns.log(n)) + ns.log(4 * ns.pi)) / (2 * s) + ns.gamma / s))


def _quad(f: Callable[[float], float], pts: list[float]) -> float:
    from scipy import integrate  # lazy: scipy costs seconds to import

    total = 0.0
    for a, b in zip(pts, pts[1:]):
        if b > a:
            total += integrate.quad(f, a, b, epsabs=1e-15, epsrel=1e-13, limit=200)[0]
    return total


@lru_cache(maxsize=256)
def _std_max_mean(n: int) -> float:
    # E max = int_0^oo (1 - Phi^n) dx - int_{-oo}^0 Phi^n dx  (E Y = int P(Y>x) - int P(Y<x));
    # 1 - Phi^n = -expm1(n log Phi) keeps full relative precision where Phi^n ~ 1.
    from scipy.special import log_ndtr

    s = math.sqrt(2 * math.log(n)) if n > 1 else 0.0
    upper = _quad(lambda x: -math.expm1(n * float(log_ndtr(x))), [0.0, max(s - 4, 0.0), s, s + 4, s + 14])
    lower = _quad(lambda x: math.exp(n * float(log_ndtr(-x))), [0.0, 4.0, 40.0])
    return upper - lower


@lru_cache(maxsize=256)
def _std_abs_max_mean(n: int) -> float:
    # E max|X_i| = int_0^oo (1 - P(|X| <= x)^n) dx,  P(|X| <= x) = 1 - erfc(x / sqrt 2).
    def f(x: float) -> float:
        c = math.erfc(x / math.sqrt(2))
        return 1.0 if c >= 1.0 else -math.expm1(n * math.log1p(-c))

    s = math.sqrt(2 * math.log(2 * n))
    return _quad(f, [0.0, max(s - 4, 0.0), s, s + 4, s + 14])


def gauss_max_mean(n: int, sigma: float = 1.0) -> float:
    """Exact ``E max_i X_i`` for ``n`` iid ``N(0, sigma^2)``, by quadrature (rel. err ~1e-13).

    ``E max = sigma n int x phi(x) Phi(x)^(n-1) dx``, computed in the equivalent tail form
    ``sigma (int_0^oo (1 - Phi^n) - int_-oo^0 Phi^n)``.  ``n = 2: 1/sqrt(pi)``.
    """
    return float(sigma) * _std_max_mean(int(n))


def gauss_abs_max_mean(n: int, sigma: float = 1.0) -> float:
    """Exact ``E max_i |X_i|`` for ``n`` iid ``N(0, sigma^2)``: ``sigma int_0^oo 1 - erf(x/sqrt2)^n``."""
    return float(sigma) * _std_abs_max_mean(int(n))


def _max_cdf_complement(n, q, ns: _Ns):
    """``1 - (1 - q)^n``, accurate for tiny ``q`` in floats."""
    if ns.sym:
        return 1 - (1 - q) ** n
    return 1.0 if q >= 1 else -math.expm1(n * math.log1p(-q))


def gauss_max_tail(n, t, sigma=1):
    """Exact ``P(max_i X_i > t) = 1 - (1 - Q(t/sigma))^n`` for iid ``N(0, sigma^2)``."""
    ns = _ns(n, t, sigma)
    return _out(ns, _max_cdf_complement(n, gauss_tail(t / sigma), ns))


def gauss_max_tail_union(n, t, sigma=1):
    """Union bound ``P(max_i X_i > t) <= n Q(t/sigma)`` (any dependence; > 1 is vacuous)."""
    ns = _ns(n, t, sigma)
    return _out(ns, n * gauss_tail(t / sigma))


def gauss_max_quantile(n: int, alpha: float, sigma: float = 1.0) -> float:
    """The ``t`` with ``P(max_i X_i > t) = alpha`` (iid): ``sigma Q^{-1}(1 - (1-alpha)^(1/n))``."""
    return float(sigma) * gauss_tail_inv(-math.expm1(math.log1p(-alpha) / n))


def gauss_max_quantile_union(n: int, alpha: float, sigma: float = 1.0) -> float:
    """Union-bound threshold ``sigma Q^{-1}(alpha/n)``: ``P(max > it) <= alpha``, any dependence."""
    return float(sigma) * gauss_tail_inv(alpha / n)


def gauss_max_quantile_simple(n, alpha, sigma=1):
    """``sigma sqrt(2 ln(n/alpha))``: ``P(max > it) <= alpha/2`` (``Q(x) <= e^{-x^2/2}/2``)."""
    ns = _ns(n, alpha, sigma)
    return _out(ns, sigma * ns.sqrt(2 * ns.log(n / alpha)))


def gauss_max_concentration(u, sigma=1):
    """``P(max_i X_i >= E max_i X_i + u) <= exp(-u^2 / (2 sigma^2))``, ``u >= 0``.

    Tsirelson-Ibragimov-Sudakov: ``max_i X_i`` is a sigma-Lipschitz function of a standard
    Gaussian vector (sigma^2 = max_i Var X_i), so it concentrates around its mean.  Any centred
    Gaussian vector, any correlation, no dependence on n.  With :func:`gauss_max_mean_bound`
    it gives ``P(max >= sigma sqrt(2 ln n) + u) <= exp(-u^2/(2 sigma^2))``.
    """
    ns = _ns(u, sigma)
    return _out(ns, ns.exp(-u**2 / (2 * sigma**2)))


# ------------------------------------------------------- sums of independent variables


def chernoff_upper(mu, delta):
    """``P(X >= (1+delta) mu) <= (e^delta / (1+delta)^(1+delta))^mu``, ``delta >= 0``.

    ``X`` a sum of independent ``[0,1]`` variables (Bernoullis) with ``E X = mu``.
    """
    ns = _ns(mu, delta)
    return _out(ns, ns.exp(mu * (delta - (1 + delta) * ns.log(1 + delta))))


def chernoff_upper_simple(mu, delta):
    """``P(X >= (1+delta) mu) <= exp(-mu delta^2 / (2 + delta))``, ``delta >= 0``."""
    ns = _ns(mu, delta)
    return _out(ns, ns.exp(-mu * delta**2 / (2 + delta)))


def chernoff_upper_small(mu, delta):
    """``P(X >= (1+delta) mu) <= exp(-mu delta^2 / 3)``, ``0 <= delta <= 1``."""
    ns = _ns(mu, delta)
    return _out(ns, ns.exp(-mu * delta**2 / 3))


def chernoff_lower(mu, delta):
    """``P(X <= (1-delta) mu) <= (e^-delta / (1-delta)^(1-delta))^mu``, ``0 <= delta <= 1``."""
    ns = _ns(mu, delta)
    return _out(ns, (ns.exp(-delta) / (1 - delta) ** (1 - delta)) ** mu)


def chernoff_lower_simple(mu, delta):
    """``P(X <= (1-delta) mu) <= exp(-mu delta^2 / 2)``, ``0 <= delta <= 1``."""
    ns = _ns(mu, delta)
    return _out(ns, ns.exp(-mu * delta**2 / 2))


def chernoff_two_sided(mu, delta):
    """``P(|X - mu| >= delta mu) <= 2 exp(-mu delta^2 / 3)``, ``0 <= delta <= 1``."""
    ns = _ns(mu, delta)
    return _out(ns, 2 * ns.exp(-mu * delta**2 / 3))


def bernstein(t, var, b):
    """``P(S - E S >= t) <= exp(-t^2 / (2 (var + b t / 3)))``.

    ``S`` a sum of independent ``X_i`` with ``X_i - E X_i <= b`` and ``sum Var X_i <= var``.
    """
    ns = _ns(t, var, b)
    return _out(ns, ns.exp(-t**2 / (2 * (var + b * t / 3))))


def bernstein_deviation(prob: float, var: float, b: float) -> float:
    """The ``t`` at which :func:`bernstein` equals ``prob``: ``P(S - E S >= t) <= prob``.

    Solves ``t^2 = 2 L (var + b t / 3)``, ``L = ln(1/prob)``:
    ``t = b L / 3 + sqrt((b L / 3)^2 + 2 var L)``.
    """
    big_l = math.log(1 / prob)
    c = b * big_l / 3
    return c + math.sqrt(c * c + 2 * var * big_l)


def hoeffding(t, n, r):
    """``P(S - E S >= t) <= exp(-2 t^2 / (n r^2))``, ``S`` a sum of ``n`` independent
    variables each in an interval of length ``r``."""
    ns = _ns(t, n, r)
    return _out(ns, ns.exp(-2 * t**2 / (n * r**2)))


def hoeffding_deviation(prob: float, n: int, r: float) -> float:
    """The ``t`` at which :func:`hoeffding` equals ``prob``: ``r sqrt(n ln(1/prob) / 2)``."""
    return r * math.sqrt(n * math.log(1 / prob) / 2)


def union_bound(k, p):
    """``P(A_1 or ... or A_k) <= min(1, k p)`` when each ``P(A_j) <= p`` (Boole)."""
    ns = _ns(k, p)
    return _out(ns, ns.min(1, k * p))


# ------------------------------------------------------------------------ parameters


def _n(lo: int = 1, default: int = 128) -> Param:
    return Param("n", int, default=default, lo=lo, doc="number of variables (the vector length)")


SIGMA = Param("sigma", float, default=1.0, lo=0, doc="standard deviation, positive")
MS = Param("ms", float, default=1.0, lo=0, doc=r"mean square $\frac1n\sum_ix_i^2$", latex=r"\mathrm{ms}")
MAXABS = Param("m", float, default=1.0, lo=0, doc=r"$\max_i|x_i|$")
T_GAUSS = Param("t", float, default=3.0, doc=r"threshold for $\max_iX_i$")
ALPHA = Param("alpha", float, default=0.05, lo=0, hi=1, doc=r"tail probability $\alpha\in(0,1)$")
U = Param("u", float, default=1.0, lo=0, doc=r"excess over $\sigma\sqrt{2\ln n}$")
MEAN = Param("mu", float, default=10.0, lo=0, doc=r"$\mathbb EX$, the mean of the sum")
DELTA = Param("delta", float, default=0.5, lo=0, doc="relative deviation")
DELTA1 = Param("delta", float, default=0.5, lo=0, hi=1, doc="relative deviation, at most 1")
T_DEV = Param("t", float, default=5.0, lo=0, doc="deviation above the mean")
VAR = Param("var", float, default=9.0, lo=0, doc=r"an upper bound on $\sum_i\mathrm{Var}\,X_i$", latex=r"\mathrm{var}")
B = Param("b", float, default=1.0, lo=0, doc=r"bound $b\ge X_i-\mathbb EX_i$")
N_TERMS = Param("n", int, default=100, lo=1, doc="number of independent terms")
RANGE = Param("r", float, default=1.0, lo=0, doc=r"length of each term's range $[a_i,a_i+r]$")
K = Param("k", int, default=10, lo=1, doc="number of events")
P = Param("p", float, default=0.01, lo=0, hi=1, doc="probability of each event (upper bound)")


def _check(v: dict) -> str | None:
    """Cross-parameter and strict-range checks shared by every ``bounds`` quantity."""
    for name, x in v.items():  # keeps exponents like t^2/(n r^2) below ~1e200: fast evalf
        if x != 0 and not 1e-50 <= abs(x) <= 1e50:
            return f"{name} must be 0 or of magnitude in [1e-50, 1e50], got {x}"
    for name in ("sigma", "r"):
        if name in v and not v[name] > 0:
            return f"{name} must be > 0, got {v[name]}"
    if "alpha" in v and not 0 < v["alpha"] < 1:
        return f"alpha must be in (0, 1), got {v['alpha']}"
    if "var" in v and v["var"] == 0 and v["b"] == 0 and v["t"] > 0:
        return "var and b cannot both be 0 (the bound divides by var + b t / 3)"
    return None


#: How each quantity is written in the report (its symbol); $M_n=\max_{i\le n}X_i$.
SYMBOLS = {
    "max_from_mean_square": r"\|x\|_\infty^{\max}",
    "mean_square_from_max": r"\mathrm{ms}^{\max}",
    "gauss_max_mean_bound": r"\mathbb EM_n^{\rm bound}",
    "gauss_abs_max_mean_bound": r"\mathbb E|M|_n^{\rm bound}",
    "gauss_max_mean": r"\mathbb EM_n",
    "gauss_abs_max_mean": r"\mathbb E|M|_n",
    "gauss_max_mean_asymptotic": r"\mathbb EM_n^{\rm Gumbel}",
    "gauss_max_tail": r"P(M_n>t)",
    "gauss_max_tail_union": r"P_\cup(M_n>t)",
    "gauss_max_quantile": r"t_\alpha",
    "gauss_max_quantile_union": r"t_\alpha^\cup",
    "gauss_max_quantile_simple": r"t_\alpha^{\rm simple}",
    "gauss_max_concentration": r"P_{\rm TIS}",
    "chernoff_upper": r"P^+_{\rm Ch}",
    "chernoff_upper_simple": r"P^+_{{\rm Ch},2+\delta}",
    "chernoff_upper_small": r"P^+_{{\rm Ch},3}",
    "chernoff_lower": r"P^-_{\rm Ch}",
    "chernoff_lower_simple": r"P^-_{{\rm Ch},2}",
    "chernoff_two_sided": r"P^\pm_{\rm Ch}",
    "bernstein": r"P_{\rm Bernstein}",
    "hoeffding": r"P_{\rm Hoeffding}",
    "union_bound": r"P_\cup",
}


def _q(short: str, params: tuple[Param, ...], statistic: str, accuracy: str, *,
       definition: str, helper: Callable | None = None, compute: Callable | None = None,
       steps: tuple[Step, ...], doc: str, source: str, **extra: Any) -> Quantity:
    """One ``bounds.<short>`` quantity; its closed form is ``helper(*symbols)``."""
    closed = helper(*(p.symbol for p in params)) if helper is not None else None
    extra.setdefault("symbol", SYMBOLS.get(short, ""))
    return Quantity(
        f"bounds.{short}", params, statistic, accuracy, definition=definition,
        closed_form=closed, compute=compute, steps=steps,
        eq_label=f"eq:bounds-{short.replace('_', '-')}", source=source, doc=doc,
        constraint=_check, **extra)


S = Step  # short alias for the derivation tables below

# Relative error of the Gumbel asymptotic against the exact quadrature value,
# (asym - exact) / asym: positive and decreasing in n; 1.91e-2 at n = 100, 9.3e-3 at 1e3,
# 2.7e-3 at 1e6, 7.8e-4 at 1e12 (tests/test_bounds.py re-computes it on a log grid).
ASYM_TOL = 0.02
ASYM_N_MIN = 100

_GAUSS = r"Assumptions: $X_1,\dots,X_n$ iid $\mathcal N(0,\sigma^2)$"
_SUBG = (r"Assumptions: each $X_i$ centred with $\mathbb E e^{\lambda X_i}\le "
         r"e^{\lambda^2\sigma^2/2}$ for all real $\lambda$ (true for $\mathcal N(0,s^2)$ with "
         r"$s\le\sigma$); no independence is needed")
_INDEP01 = (r"Assumptions: $X=\sum_iX_i$, the $X_i$ independent with values in $[0,1]$ "
            r"(for example Bernoulli), $\mu=\mathbb EX$")


def _deterministic() -> list[Quantity]:
    return [
        _q("max_from_mean_square", (MS, _n()), "max", "upper-bound",
           definition=r"\max\{\|x\|_\infty : x\in\mathbb R^n,\ \tfrac1n\|x\|_2^2=\mathrm{ms}\}",
           helper=max_from_mean_square,
           steps=(S(r"\max_i x_i^2", r"\le \sum_i x_i^2 = n\,\mathrm{ms}", "all other terms are non-negative"),
                  S(r"\max_i |x_i|", r"\le \sqrt{n\,\mathrm{ms}}", "the square root is increasing; "
                    r"equality holds exactly when $x$ is one-hot")),
           doc=r"Worst case from mean square. Assumptions: none; deterministic, any $x\in\mathbb "
               r"R^n$. Tight: equality exactly for a one-hot $x=\sqrt{n\,\mathrm{ms}}\,e_j$.",
           source="elementary: a sum of squares dominates each square"),
        _q("mean_square_from_max", (MAXABS,), "mean-square", "upper-bound",
           definition=r"\max\{\tfrac1n\|x\|_2^2 : x\in\mathbb R^n,\ \|x\|_\infty=m\}",
           helper=mean_square_from_max,
           steps=(S(r"\tfrac1n\sum_i x_i^2", r"\le \tfrac1n\sum_i m^2 = m^2", r"$x_i^2\le m^2$ for every $i$"),
                  S(r"\max_i|x_i|", r"\ge\sqrt{\mathrm{ms}}", "the same inequality read the other way")),
           doc=r"Mean square from worst case, equivalently $\max_i|x_i|\ge\sqrt{\mathrm{ms}}$. "
               r"Assumptions: none; deterministic, any $n$. Tight: equality exactly when "
               r"$|x_i|=m$ for all $i$.",
           source="elementary: each square is at most the largest"),
    ]


def _asymptotic_mutants() -> tuple[tuple[str, sp.Expr], ...]:
    """Wrong versions of the Gumbel asymptotic: each drops one finite-n correction."""
    n, sigma = _n(lo=ASYM_N_MIN).symbol, SIGMA.symbol
    s = sp.sqrt(2 * sp.log(n))
    return (("no Gumbel mean gamma a_n", sigma * (s - (sp.log(sp.log(n)) + sp.log(4 * sp.pi)) / (2 * s))),
            ("no (ln ln n + ln 4 pi) correction", sigma * (s + sp.EulerGamma / s)))


def _gaussian() -> list[Quantity]:
    lam = r"\lambda"
    return [
        _q("gauss_max_mean_bound", (_n(), SIGMA), "mean", "upper-bound",
           definition=r"\mathbb E\max_{i\le n}X_i", helper=gauss_max_mean_bound,
           steps=(S(rf"e^{{{lam}\mathbb E\max X_i}}", rf"\le\mathbb E e^{{{lam}\max X_i}}"
                    rf"\le\sum_i\mathbb E e^{{{lam} X_i}}\le n e^{{{lam}^2\sigma^2/2}}",
                    "Jensen's inequality, then a maximum of positive terms is at most their sum"),
                  S(r"\mathbb E\max X_i", rf"\le\frac{{\ln n}}{{{lam}}}+\frac{{{lam}\sigma^2}}2",
                    r"take logarithms and divide by $\lambda>0$"),
                  S("", r"=\sigma\sqrt{2\ln n}", r"at $\lambda=\sqrt{2\ln n}/\sigma$")),
           doc=_SUBG + r". Asymptotically tight for iid Gaussians: the ratio is 0.83 at "
               r"$n=100$ and 0.925 at $n=10^6$, and tends to 1 like $1-\ln\ln n/(4\ln n)$.",
           source=BLM + ", Theorem 2.5 (the maximal inequality, Lemma M1)"),
        _q("gauss_abs_max_mean_bound", (_n(), SIGMA), "mean", "upper-bound",
           definition=r"\mathbb E\max_{i\le n}|X_i|", helper=gauss_abs_max_mean_bound,
           steps=(S(r"\max_i|X_i|", r"=\max(X_1,\dots,X_n,-X_1,\dots,-X_n)", r"$2n$ sub-Gaussian variables"),
                  S(r"\mathbb E\max_i|X_i|", r"\le\sigma\sqrt{2\ln(2n)}", r"the maximal inequality (Lemma M1) with $2n$")),
           doc=_SUBG + r" (for $X_i$ and $-X_i$).",
           source=BLM + ", Theorem 2.5"),
        _q("gauss_max_mean", (_n(), SIGMA), "mean", "exact",
           definition=r"\mathbb E\max_{i\le n}X_i = \sigma n\int x\,\varphi(x)\Phi(x)^{n-1}dx",
           compute=gauss_max_mean,
           steps=(S(r"P(\max X_i\le x)", r"=\Phi(x/\sigma)^n", "independence"),
                  S(r"\mathbb E\max X_i", r"=\sigma\Big(\int_0^\infty 1-\Phi^n-\int_{-\infty}^0\Phi^n\Big)",
                    r"$\mathbb EY=\int_0^\infty P(Y>x)dx-\int_{-\infty}^0P(Y<x)dx$, by quadrature "
                    r"to a relative error of $10^{-13}$")),
           doc=_GAUSS + r". Computed by adaptive quadrature split at $\sqrt{2\ln n}\pm4$; "
               r"$1/\sqrt\pi$ at $n=2$ and $3/(2\sqrt\pi)$ at $n=3$.",
           source=r"\citet{davidnagaraja2003}, section 3.1 (moments of order statistics)"),
        _q("gauss_abs_max_mean", (_n(), SIGMA), "mean", "exact",
           definition=r"\mathbb E\max_{i\le n}|X_i| = \sigma\int_0^\infty 1-\operatorname{erf}(x/\sqrt2)^n\,dx",
           compute=gauss_abs_max_mean,
           steps=(S(r"P(\max|X_i|\le x)", r"=\operatorname{erf}(x/(\sigma\sqrt2))^n", "independence"),
                  S(r"\mathbb E\max|X_i|", r"=\int_0^\infty P(\max|X_i|>x)dx", "a non-negative variable")),
           doc=_GAUSS + r". Computed by quadrature; $\sigma\sqrt{2/\pi}$ at $n=1$.",
           source=r"\citet{davidnagaraja2003}, section 3.1"),
        _q("gauss_max_mean_asymptotic", (_n(lo=ASYM_N_MIN), SIGMA), "mean", "asymptotic",
           definition=r"\mathbb E\max_{i\le n}X_i", helper=gauss_max_mean_asymptotic,
           steps=(S(r"P\Big(\frac{\max X_i/\sigma-b_n}{a_n}\le x\Big)", r"\approx e^{-e^{-x}}",
                    r"the Gumbel limit as $n\to\infty$, with $a_n=(2\ln n)^{-1/2}$ and "
                    r"$b_n=\sqrt{2\ln n}-\frac{\ln\ln n+\ln 4\pi}{2\sqrt{2\ln n}}$"),
                  S(r"\mathbb E\max X_i", r"\approx\sigma(b_n+\gamma a_n)",
                    r"the Gumbel mean is Euler's constant $\gamma$ (uniform integrability)")),
           doc=_GAUSS + rf", $n\ge{ASYM_N_MIN}$. It over-estimates the exact value; the relative "
               r"error decreases from 1.9% at $n=100$ to 0.27% at $n=10^6$.",
           source=r"\citet{llr1983}, Theorem 1.5.3 (normal norming constants)",
           limit=r"$n\to\infty$", tolerance=ASYM_TOL,
           tolerance_reason=rf"by quadrature, the relative error of the asymptotic form is "
                            rf"positive and at most {ASYM_TOL} for all $n\ge{ASYM_N_MIN}$; it is "
                            "1.91% at 100 and decreases",
           mutants=_asymptotic_mutants()),
        _q("gauss_max_tail", (_n(), T_GAUSS, SIGMA), "probability", "exact",
           definition=r"P(\max_{i\le n}X_i>t)", compute=gauss_max_tail,
           steps=(S(r"P(\max X_i>t)", r"=1-\prod_i P(X_i\le t)=1-(1-Q(t/\sigma))^n", "independence"),),
           doc=_GAUSS + r", and $Q(x)=\frac12\operatorname{erfc}(x/\sqrt2)$. Computed in a "
               r"form that keeps full relative precision for tiny tails, where $1-(1-Q)^n$ "
               r"evaluated directly loses tails below about $10^{-100}$.",
           source="independence; " + BLM),
        _q("gauss_max_tail_union", (_n(), T_GAUSS, SIGMA), "probability", "upper-bound",
           definition=r"P(\max_{i\le n}X_i>t)", helper=gauss_max_tail_union,
           steps=(S(r"P(\max X_i>t)", r"=P(\cup_i\{X_i>t\})\le\sum_i P(X_i>t)=nQ(t/\sigma)", "union bound"),),
           doc=r"Assumptions: each $X_i\sim\mathcal N(0,s_i^2)$ with $s_i\le\sigma$; any "
               r"dependence. Nearly tight when $nQ(t/\sigma)$ is small and the $X_i$ are "
               r"independent, where the exact value is $nQ-O((nQ)^2)$.",
           source="Boole's inequality; " + BLM),
        _q("gauss_max_quantile", (_n(), ALPHA, SIGMA), "max", "exact",
           definition=r"t_\alpha:\ P(\max_{i\le n}X_i>t_\alpha)=\alpha", compute=gauss_max_quantile,
           steps=(S(r"1-(1-Q(t_\alpha/\sigma))^n", r"=\alpha", r"the exact tail of the maximum of independent Gaussians, $P(M_n>t)=1-(1-Q(t/\sigma))^n$"),
                  S(r"t_\alpha", r"=\sigma Q^{-1}\big(1-(1-\alpha)^{1/n}\big)",
                    r"solving for $t_\alpha$")),
           doc=_GAUSS + r". The $(1-\alpha)$-quantile of $\max_iX_i$, computed numerically.",
           source="independence"),
        _q("gauss_max_quantile_union", (_n(), ALPHA, SIGMA), "max", "upper-bound",
           definition=r"t_\alpha:\ P(\max_{i\le n}X_i>t_\alpha)=\alpha", compute=gauss_max_quantile_union,
           steps=(S(r"P(\max X_i>\sigma Q^{-1}(\alpha/n))", r"\le n\cdot\alpha/n=\alpha", "union bound"),
                  S(r"t_\alpha", r"\le\sigma Q^{-1}(\alpha/n)", r"$t_\alpha$ is the smallest such threshold")),
           doc=r"Assumptions: each $X_i\sim\mathcal N(0,s_i^2)$ with $s_i\le\sigma$; any "
               r"dependence. A threshold the maximum exceeds with probability at most $\alpha$; "
               r"nearly tight for small $\alpha$.",
           source="Boole's inequality"),
        _q("gauss_max_quantile_simple", (_n(), ALPHA, SIGMA), "max", "upper-bound",
           definition=r"t_\alpha:\ P(\max_{i\le n}X_i>t_\alpha)=\alpha", helper=gauss_max_quantile_simple,
           steps=(S(r"Q(x)", r"\le\tfrac12 e^{-x^2/2}", r"$x\ge0$; the Chernoff bound $e^{-x^2/2}$, refined"),
                  S(r"nQ\big(\sqrt{2\ln(n/\alpha)}\big)", r"\le\alpha/2", "union bound"),
                  S(r"t_\alpha", r"\le\sigma\sqrt{2\ln(n/\alpha)}", "")),
           doc=r"Assumptions: each $X_i\sim\mathcal N(0,s_i^2)$ with $s_i\le\sigma$; any "
               r"dependence. The simple high-probability threshold $\sigma\sqrt{2\ln(n/\alpha)}$.",
           source=BLM + ", the Gaussian tail and the union bound"),
        _q("gauss_max_concentration", (U, SIGMA), "probability", "upper-bound",
           definition=r"P\big(\max_{i\le n}X_i\ge\mathbb E\max_{i\le n}X_i+u\big)",
           helper=gauss_max_concentration,
           steps=(S(r"|\max_i(Ag)_i-\max_i(Ah)_i|", r"\le\sigma\|g-h\|_2",
                    r"$X=Ag$ with $g$ standard Gaussian and the rows of $A$ of norm at most $\sigma$"),
                  S(r"P(\max X_i\ge\mathbb E\max X_i+u)", r"\le e^{-u^2/(2\sigma^2)}",
                    "the Tsirelson--Ibragimov--Sudakov inequality: Gaussian concentration of Lipschitz "
                    "functions")),
           doc=r"Assumptions: $(X_1,\dots,X_n)$ jointly Gaussian and centred with "
               r"$\mathrm{Var}\,X_i\le\sigma^2$; any correlation; the bound does not depend on "
               r"$n$. It is loose by a factor at least 2 already for $n=1$, where "
               r"$Q(x)\le\frac12e^{-x^2/2}$, and far more for iid maxima, whose fluctuations are "
               r"$O(\sigma/\sqrt{2\ln n})$.",
           source=r"\citet{blm2013}, chapter 5 (the Tsirelson--Ibragimov--Sudakov inequality)"),
    ]


def _sums() -> list[Quantity]:
    upper = r"P\big(X\ge(1+\delta)\mu\big)"
    lower = r"P\big(X\le(1-\delta)\mu\big)"
    mgf = S(r"\mathbb E e^{\lambda X}", r"=\prod_i(1+p_i(e^\lambda-1))\le e^{\mu(e^\lambda-1)}",
            r"independence, and $1+x\le e^x$")
    return [
        _q("chernoff_upper", (MEAN, DELTA), "probability", "upper-bound", definition=upper,
           helper=chernoff_upper,
           steps=(mgf, S(upper, r"\le e^{\mu(e^\lambda-1)-\lambda(1+\delta)\mu}", r"Markov's inequality for $e^{\lambda X}$"),
                  S("", r"=\Big(\frac{e^\delta}{(1+\delta)^{1+\delta}}\Big)^\mu", r"at $\lambda=\ln(1+\delta)$")),
           doc=_INDEP01 + r", $\delta\ge0$. Nearly tight only in the trivial regime where the "
               r"probability is close to 1; in the tail it overshoots by a factor of about "
               r"$\delta\sqrt{2\pi\mu}$.", source=MU + ", Theorem 4.4.1"),
        _q("chernoff_upper_simple", (MEAN, DELTA), "probability", "upper-bound", definition=upper,
           helper=chernoff_upper_simple,
           steps=(S(r"(1+\delta)\ln(1+\delta)-\delta", r"\ge\frac{\delta^2}{2+\delta}",
                    r"$\ln(1+\delta)\ge 2\delta/(2+\delta)$ for $\delta\ge0$"),
                  S(upper, r"\le e^{-\mu\delta^2/(2+\delta)}",
                    r"substituted into \eqref{eq:bounds-chernoff-upper}")),
           doc=_INDEP01 + r", $\delta\ge0$.",
           source=MU + r", Theorem 4.4; the form with $2+\delta$ is standard"),
        _q("chernoff_upper_small", (MEAN, DELTA1), "probability", "upper-bound", definition=upper,
           helper=chernoff_upper_small,
           steps=(S(r"\frac{\delta^2}{2+\delta}", r"\ge\frac{\delta^2}3", r"$0\le\delta\le1$"),
                  S(upper, r"\le e^{-\mu\delta^2/3}",
                    r"substituted into \eqref{eq:bounds-chernoff-upper-simple}")),
           doc=_INDEP01 + r", $0\le\delta\le1$.", source=MU + ", Theorem 4.4.2"),
        _q("chernoff_lower", (MEAN, DELTA1), "probability", "upper-bound", definition=lower,
           helper=chernoff_lower,
           steps=(S(lower, r"\le e^{\mu(e^{-\lambda}-1)+\lambda(1-\delta)\mu}", r"Markov's inequality for $e^{-\lambda X}$"),
                  S("", r"=\Big(\frac{e^{-\delta}}{(1-\delta)^{1-\delta}}\Big)^\mu",
                    r"at $\lambda=-\ln(1-\delta)$")),
           doc=_INDEP01 + r", $0\le\delta\le1$, with $0^0=1$ at $\delta=1$.",
           source=MU + ", Theorem 4.5.1"),
        _q("chernoff_lower_simple", (MEAN, DELTA1), "probability", "upper-bound", definition=lower,
           helper=chernoff_lower_simple,
           steps=(S(r"(1-\delta)\ln(1-\delta)+\delta", r"\ge\delta^2/2", "Taylor expansion, all terms non-negative"),
                  S(lower, r"\le e^{-\mu\delta^2/2}",
                    r"substituted into \eqref{eq:bounds-chernoff-lower}")),
           doc=_INDEP01 + r", $0\le\delta\le1$.", source=MU + ", Theorem 4.5.2"),
        _q("chernoff_two_sided", (MEAN, DELTA1), "probability", "upper-bound",
           definition=r"P(|X-\mu|\ge\delta\mu)", helper=chernoff_two_sided,
           steps=(S(r"P(|X-\mu|\ge\delta\mu)", r"\le e^{-\mu\delta^2/3}+e^{-\mu\delta^2/2}\le2e^{-\mu\delta^2/3}",
                    "union of the two one-sided bounds"),),
           doc=_INDEP01 + r", $0\le\delta\le1$. Provably never within 10% of the truth: "
               r"with $a=\mu\delta^2$ the probability is at most "
               r"$\min(1,e^{-a/3}+e^{-a/2})\le0.9\cdot2e^{-a/3}$ for every $a$.",
           source=MU + ", Corollary 4.6"),
        _q("bernstein", (T_DEV, VAR, B), "probability", "upper-bound",
           definition=r"P(S-\mathbb ES\ge t)", helper=bernstein,
           steps=(S(r"\ln\mathbb E e^{\lambda(S-\mathbb ES)}", r"\le\frac{\mathrm{var}\,\lambda^2}{2(1-b\lambda/3)}",
                    r"$\mathbb Ee^{\lambda Y}\le 1+\frac{\lambda^2\mathbb EY^2/2}{1-b\lambda/3}$ for "
                    r"$Y\le b$ and $0<\lambda<3/b$"),
                  S(r"P(S-\mathbb ES\ge t)", r"\le\exp\Big(-\frac{t^2}{2(\mathrm{var}+bt/3)}\Big)",
                    r"Markov's inequality at $\lambda=t/(\mathrm{var}+bt/3)$")),
           doc=r"Assumptions: $S=\sum_iX_i$ with the $X_i$ independent, $X_i-\mathbb EX_i\le b$ "
               r"and $\sum_i\mathrm{Var}\,X_i\le\mathrm{var}$.",
           source=BLM + ", Theorem 2.10 (Bernstein's inequality)"),
        _q("hoeffding", (T_DEV, N_TERMS, RANGE), "probability", "upper-bound",
           definition=r"P(S-\mathbb ES\ge t)", helper=hoeffding,
           steps=(S(r"\ln\mathbb E e^{\lambda(X_i-\mathbb EX_i)}", r"\le\lambda^2r^2/8", "Hoeffding's lemma"),
                  S(r"P(S-\mathbb ES\ge t)", r"\le e^{n\lambda^2r^2/8-\lambda t}=e^{-2t^2/(nr^2)}",
                    r"Markov's inequality at $\lambda=4t/(nr^2)$")),
           doc=r"Assumptions: $S$ is a sum of $n$ independent $X_i$, each in an interval of "
               r"length $r$.",
           source=r"\citet{hoeffding1963}, Theorem 2; " + BLM + ", Theorem 2.8"),
        _q("union_bound", (K, P), "probability", "upper-bound",
           definition=r"P(A_1\cup\dots\cup A_k)", helper=union_bound,
           steps=(S(r"P(\cup_j A_j)", r"\le\sum_j P(A_j)\le kp", "sub-additivity of probability"),
                  S("", r"\le\min(1,kp)", "probabilities are at most 1")),
           doc=r"Assumptions: $P(A_j)\le p$ for each $j$; any dependence. Tight, with equality, "
               r"for disjoint events when $kp\le1$; nearly tight for independent events with "
               r"$kp$ small.",
           source="Boole's inequality"),
    ]


INTRO = (r"The constructions turn mean squares into worst cases and back with a few "
         r"textbook tools, collected here as quantities with their assumptions. Throughout, "
         r"$M_n=\max_{i\le n}X_i$ and $|M|_n=\max_{i\le n}|X_i|$; the Gaussian results take "
         r"$X_i\sim\mathcal N(0,\sigma^2)$, with $Q(x)=P(\mathcal N(0,1)>x)$; the Chernoff "
         r"bounds concern a sum $X$ of independent variables in $[0,1]$ with mean $\mu$.")

DISCUSSION = ("These are textbook inequalities, checked here as formulas: each bound is tested "
              "against the exact value or a Monte Carlo estimate at a few parameter points, and "
              "each states when it is tight. Union and Chernoff bounds are loose by design; the "
              "constructions that use them say so where they do.")


def construction() -> Construction:
    """The ``bounds`` construction: worst-case <-> mean-square tools (see module doc)."""
    return Construction(
        "bounds", "Worst case and mean square: deterministic, Gaussian and concentration bounds",
        "The probability tools that every worst-case statement uses, from the mean square to "
        "the worst case and back.",
        tuple(_deterministic() + _gaussian() + _sums()),
        source=BLM, discussion=DISCUSSION, intro_latex=INTRO,
    )
