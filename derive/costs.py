"""Costs of storing features in superposition (Linsefors, "Some costs of superposition"; uand.md §6).

Setup.  ``m`` unit features ``f_1..f_m`` iid uniform on the sphere of ``R^n``; ``k`` of them
active (set ``I``), stored as ``x = sum_{a in I} f_a``; feature ``b`` is read as ``f_b . x``.
The readout noise is ``f_b.x - 1[b in I] = sum_{a in I, a != b} f_a . f_b``.

* ``u = f_a . f_b`` (a != b) is a coordinate of a uniform unit vector: ``u^2 ~ Beta(1/2, (n-1)/2)``,
  ``E u^2 = 1/n`` (sum of the n squared coordinates is 1), and distinct pairs are uncorrelated,
  so the noise has mean square ``(k-1)/n`` (active) and ``k/n`` (inactive), exactly.
* Maximum over the ``m - k`` inactive features: given ``x`` the readouts are ``|x| u_b`` with
  ``u_b`` iid and independent of ``|x|``, so ``E max_b noise_b^2 = E|x|^2 E max_b u_b^2 =
  k int_0^1 (1 - I_s(1/2, (n-1)/2)^{m-k}) ds`` exactly (``I`` the regularised incomplete beta).
  A sphere coordinate is sub-Gaussian with proxy ``1/n`` (``E e^{λu} = 0F1(; n/2; λ²/4) <=
  e^{λ²/(2n)}`` termwise), so the maximal inequality of ``derive/bounds.py`` gives
  ``E max_b |noise_b| <= sqrt(k) sqrt(2 ln(2(m-k)) / n)`` (Jensen: ``E|x| <= sqrt k``).
* Layers that read, compute (identity) and re-embed in fresh random features: the mean-square
  error obeys a linear recursion (derived below), with and without a clean-up that zeroes the
  inactive features' readouts.

Published: Linsefors' ``eps = sqrt(8 ln m / n)`` ("per unit of another feature", a JL worst
case), noise ``eps sqrt(l)``, capacity ``l < n / (8 ln m)``.
"""
from __future__ import annotations

import math
import warnings

import sys

import sympy as sp
from scipy import integrate, special

from superpose.derive.bounds import gauss_abs_max_mean_bound
from superpose.derive.cache import cached
from superpose.derive.common import deviations, percent_range, records_of
from superpose.derive.quantity import Answer, BadInput, Construction, Param, Quantity, Step

NAME = "costs"
SOURCE = r"\citet{costs}, section on sparsity"

N = Param("n", int, 256, lo=2, hi=10**7, doc="dimension of the space (neurons)")
M = Param("m", int, 1024, lo=2, hi=10**9, doc="number of features")
K = Param("k", int, 8, lo=1, hi=10**7, doc="active features")
T = Param("t", int, 4, lo=0, hi=10**4, doc="read-compute-re-embed layers")
SIG = Param("sigma", float, 0.25, lo=0.0, hi=10**3, doc="target RMS noise, positive")
EPS = Param("eps", float, 1.0, lo=0.0, hi=10**3, doc="target worst-case noise, positive", latex="epsilon")

n, m, k, t = N.symbol, M.symbol, K.symbol, T.symbol


def _check(v: dict) -> str | None:
    if "k" in v and "m" in v and v["k"] > v["m"]:
        return f"k = {v['k']} active features cannot exceed m = {v['m']} features"
    if "k" in v and "m" in v and "n" in v and v["k"] >= v["m"] and "t" not in v:
        return f"the maximum over inactive features needs k < m, got k = m = {v['m']}"
    for name in ("sigma", "eps"):
        if name in v and not v[name] > 0:
            return f"{name} must be > 0, got {v[name]}"
    return None


# --------------------------------------------------------------------- helpers

def max_u2_mean(nn: int, count: int) -> float:
    """``E max_{b<=count} u_b^2`` for iid ``u_b^2 ~ Beta(1/2, (n-1)/2)`` (quadrature, ~1e-12).

    ``E max = int_0^1 P(max > s) ds = int_0^1 1 - I_s(1/2,(n-1)/2)^count ds``; the integrand
    falls from 1 to 0 around ``s ~ 2 ln(count)/n``, so the range is split there.
    """
    if count < 1:
        raise BadInput(f"{NAME}: need at least one inactive feature, got {count}")
    a, b = 0.5, (nn - 1) / 2

    def f(s):
        return -math.expm1(count * math.log(max(special.betainc(a, b, s), 1e-300)))

    knee = min(1.0, max(2 * math.log(count + 1) / nn, 1.0 / nn))
    pts = sorted({0.0, min(1.0, knee / 4), knee, min(1.0, 2 * knee), min(1.0, 4 * knee), 1.0})
    tot = 0.0
    with warnings.catch_warnings():  # the integrand is smooth; quad's roundoff notes are noise
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        for lo, hi in zip(pts[:-1], pts[1:]):
            if hi > lo:
                tot += integrate.quad(f, lo, hi, epsabs=1e-16, epsrel=1e-11, limit=400)[0]
    return tot


def noise_max_ms(n: int, m: int, k: int) -> float:
    """``E max_{b not in I} noise_b^2 = k E max u^2`` (exact up to quadrature)."""
    return k * max_u2_mean(n, m - k)


def noise_max_bound(n, m, k):
    """``E max_{b not in I} |noise_b| <= sqrt(k) * sqrt(2 ln(2(m-k))/n)`` (bounds helper)."""
    return sp.sqrt(k) * gauss_abs_max_mean_bound(m - k, 1 / sp.sqrt(n)) if isinstance(n, sp.Basic) \
        else math.sqrt(k) * gauss_abs_max_mean_bound(m - k, 1 / math.sqrt(n))


def capacity_worst(n: int, m: int, eps: float) -> int:
    """Largest ``k <= m/2`` with ``noise_max_bound(n, m, k) <= eps`` (0 if none).

    ``k ln(2(m-k))`` increases on ``1 <= k <= m/2`` (its derivative ``ln(2(m-k)) - k/(m-k)``
    is ``>= ln m - 1 > 0`` there for ``m >= 3``), so bisection finds the first failure.  Beyond
    ``m/2`` the bound falls again only because few inactive features remain to be misread;
    capacity is not meaningful there.
    """
    top = max(1, m // 2)
    if noise_max_bound(n, m, 1) > eps:
        return 0
    if noise_max_bound(n, m, top) <= eps:
        return top
    a, b = 1, top
    while b - a > 1:
        c = (a + b) // 2
        if noise_max_bound(n, m, c) <= eps:
            a = c
        else:
            b = c
    return a


def _wrap(fn, names):
    def compute(**kw):
        return fn(*(kw[x] for x in names))
    return compute


#: How each quantity is written in the report (its symbol).
SYMBOLS = {
    "inner_ms": r"\mathbb E(f_a\cdot f_b)^2",
    "noise_ms_inactive": r"\sigma^2_{\rm off}",
    "noise_ms_active": r"\sigma^2_{\rm on}",
    "noise_max_ms": r"\mathbb E\max_{b\notin I}(f_b\cdot x)^2",
    "noise_max_bound": r"B_{\max}",
    "max_inner_bound": r"\epsilon_{\max}",
    "max_inner_published": r"\epsilon_{\rm JL}",
    "noise_max_published": r"\epsilon_{\rm JL}\sqrt\ell",
    "capacity_ms": r"k_{\rm ms}",
    "capacity_worst": r"k_{\max}",
    "capacity_published": r"\ell_{\rm JL}",
    "compound_ms_cleanup": r"A_t",
    "compound_ms_nocleanup": r"A'_t",
}


def _q(short, params, statistic, accuracy, definition, closed_form=None, **kw) -> Quantity:
    kw.setdefault("symbol", SYMBOLS.get(short, ""))
    return Quantity(f"{NAME}.{short}", params, statistic, accuracy, definition,
                    closed_form=closed_form, constraint=_check, source=kw.pop("source", SOURCE),
                    eq_label=kw.pop("eq_label", f"eq:costs-{short.replace('_', '-')}"), **kw)


# ------------------------------------------------------------------ compounding

def compound_recursion() -> tuple[sp.Expr, sp.Expr]:
    """Closed forms of the relative MS error of an active feature after t layers.

    Clean-up (inactive readouts zeroed before re-embedding): ``A' = A + (k-1)(1+A)/n``.
    No clean-up (all m readouts re-embedded): with total power ``S = k(1+A) + (m-k)B``,
    ``A' = A + (S - 1 - A)/n``, ``B' = B + (S - B)/n``, hence ``S' = S (1 + (m-1)/n)`` and
    ``1 + A_t = (1-1/n)^t + k (g^t - (1-1/n)^t)/m`` with ``g = 1 + (m-1)/n``.
    Both are solved with :func:`sympy.rsolve` and checked against the recursion here.
    """
    A = sp.Function("A")
    tt = sp.Symbol("t", integer=True, nonnegative=True)
    clean = sp.rsolve(A(tt + 1) - A(tt) - (k - 1) * (1 + A(tt)) / n, A(tt), {A(0): 0})
    u = sp.Function("u")
    g = 1 + (m - 1) / n
    nocl = sp.rsolve(u(tt + 1) - (1 - 1 / n) * u(tt) - k * g**tt / n, u(tt), {u(0): 1})
    clean = sp.simplify(clean.subs(tt, t))
    nocl = nocl.subs(tt, t) - 1
    return clean, nocl


def _compound_quantities() -> list[Quantity]:
    clean, nocl = cached("costs-compound", compound_recursion, sys.modules[__name__])
    g = 1 + (m - 1) / n
    return [
        _q("compound_ms_cleanup", (N, K, T), "mean-square", "exact",
           r"\mathbb E[(\hat y^{(t)}_a - y_a)^2]/y_a^2,\ a\in I,\ \text{inactive readouts zeroed}",
           clean, doc="Relative mean-square error of an active feature after $t$ layers that "
           "read, compute and re-embed in fresh random features, with a perfect clean-up of the "
           "inactive features.",
           steps=(Step(r"e^{(t+1)}_a", r"e^{(t)}_a+\sum_{b\in I\setminus a}\hat y^{(t)}_b\,"
                       r"f'_a\cdot f'_b", r"$\hat y^{(t)}_a$ is the readout of feature $a$ after $t$ layers and "
                       r"$e^{(t)}_a$ its error; the $k$ active readouts are re-embedded in fresh "
                       r"random features $f'$"),
                  Step(r"A_{t+1}", r"A_t+\frac{k-1}{n}(1+A_t)",
                       r"$\mathbb E(f'_a\cdot f'_b)^2=1/n$, distinct pairs uncorrelated, the "
                       r"error has mean 0 and $\mathbb E(\hat y^{(t)}_b)^2=1+A_t$"),
                  Step(r"A_t", clean, r"solving the linear recurrence with $A_0=0$"),
                  Step("", r"\approx t(k-1)/n", r"first order in $tk/n$"),
                  Step(r"\text{gain }\gamma", r"A_t\text{ unchanged}",
                       r"a linear computation $y\mapsto\gamma y$ scales error and signal "
                       "alike")),
           source=SOURCE + r"; its section on compounding noise is not available to us, so "
           "the recurrence is derived here"),
        _q("compound_ms_nocleanup", (N, M, K, T), "mean-square", "exact",
           r"\mathbb E[(\hat y^{(t)}_a - y_a)^2],\ a\in I,\ \text{all m readouts re-embedded}",
           nocl, doc=r"The same, written $A'_t$, without clean-up: the noise of the inactive "
           r"features is re-embedded too, and the total power grows by the factor $1+(m-1)/n$ "
           "per layer.",
           steps=(Step(r"A_{t+1}", r"A_t+\frac1n\big[(k-1)(1+A_t)+(m-k)B_t\big]",
                       r"$A_t$ is the relative mean-square error of an active feature"),
                  Step(r"B_{t+1}", r"B_t+\frac1n\big[k(1+A_t)+(m-k-1)B_t\big]",
                       r"$B_t$ is the mean-square readout of an inactive feature"),
                  Step(r"S_t", r"k\,g^t,\ g=" + sp.latex(g),
                       r"the total power $S_t=k(1+A_t)+(m-k)B_t$ is multiplied by $g$ per layer"),
                  Step(r"A_t", nocl, r"solving the linear recurrence for $u_t=1+A_t$ with "
                       r"$u_0=1$"))),
    ]


# ------------------------------------------------------------------ report prose

INTRO = (r"\citet{costs} stores $m$ features as random unit vectors $f_1,\dots,f_m$, drawn "
         r"uniformly from the sphere of $\mathbb R^n$; a set $I$ of $k$ of them is active and "
         r"stored as $x=\sum_{a\in I}f_a$, and feature $b$ is read as $f_b\cdot x$. The readout "
         r"noise $\sum_{a\in I\setminus b}f_a\cdot f_b$ has an exact mean square, $k/n$ for an "
         r"inactive and $(k-1)/n$ for an active feature, and its worst case over the $m-k$ "
         r"inactive features has an exact one-dimensional integral and a rigorous sub-Gaussian "
         r"bound. The post's estimates use the Johnson--Lindenstrauss overlap "
         r"$\epsilon=\sqrt{8\ln m/n}$, the noise $\epsilon\sqrt\ell$ with $\ell=k$ active "
         r"features, and the capacity $\ell<n/(8\ln m)$.")

DISCUSSION = (r"The features are exactly uniform on the sphere and the readout is a single dot "
              "product, so the mean squares are exact; trained features are neither independent "
              "nor isotropic, and a trained readout can use a bias or a threshold. The worst case "
              "is the expectation of the maximum over inactive features for one stored vector, "
              "not a maximum over every input. The compounding model re-embeds every layer in "
              "fresh independent features and computes the identity; correlated embeddings "
              "across layers, or a nonlinear computation, are outside it.")


def _answer_costs(checks) -> str | None:
    noise = records_of(checks, f"{NAME}.noise_max_published")
    inner = records_of(checks, f"{NAME}.max_inner_published")
    bound = records_of(checks, f"{NAME}.noise_max_bound")
    if not noise or not inner or not bound:
        return None
    dn, di = deviations(noise), deviations(inner)

    def side(devs):
        return "below" if max(devs) < 0 else "above" if min(devs) > 0 else "on both sides of"
    verdict = "pessimistic" if max(dn) < 0 else "not uniformly pessimistic"
    return (rf"Linsefors' worst-case noise $\epsilon\sqrt\ell$ is {verdict}: the measured "
            "expected worst inactive readout is "
            + percent_range(dn) + f" {side(dn)} it, and the measured worst pairwise "
            r"overlap is " + percent_range(di) + f" {side(di)} " + r"her $\epsilon$, at "
            + str(len(noise)) + (r" point" if len(noise) == 1 else r" points")
            + r" $(n,m,k)$, while the measurement is "
            + percent_range(deviations(bound)) + f" {side(deviations(bound))} our rigorous "
            "sub-Gaussian bound.")


ANSWERS = (Answer(r"How pessimistic are the noise $\epsilon\sqrt\ell$ and the overlap "
                  r"$\epsilon=\sqrt{8\ln m/n}$ of \citet{costs}?", _answer_costs,
                  "q:costs.noise_max_published"),)


# ------------------------------------------------------------------ quantities

def construction() -> Construction:
    u2 = sp.Symbol("u^2", positive=True)
    qs = [
        _q("inner_ms", (N,), "mean-square", "exact", r"\mathbb E[(f_a\cdot f_b)^2],\ a\ne b",
           1 / n, steps=(Step(r"\sum_{i=1}^n u_i^2", "1",
                              r"$u=(u_1,\dots,u_n)$ is a uniform unit vector"),
                         Step(r"\mathbb E u_1^2", 1 / n, r"the coordinates are exchangeable, and "
                              r"$f_a\cdot f_b$ is a coordinate of $f_a$ in a basis containing "
                              r"$f_b$")),
           doc="Mean square inner product of two random unit features $f_a$, $f_b$."),
        _q("noise_ms_inactive", (N, K), "mean-square", "exact",
           r"\mathbb E[(f_b\cdot x)^2],\ b\notin I", k / n,
           steps=(Step(r"f_b\cdot x", r"\sum_{a\in I}f_a\cdot f_b",
                       r"the stored vector $x$ is the sum of the active features"),
                  Step(r"\mathbb E(\cdot)^2", k / n,
                       r"$k$ uncorrelated terms of mean square $1/n$")),
           doc="Mean-square readout noise of an inactive feature."),
        _q("noise_ms_active", (N, K), "mean-square", "exact",
           r"\mathbb E[(f_b\cdot x-1)^2],\ b\in I", (k - 1) / n,
           doc="Mean-square readout noise of an active feature.",
           steps=(Step(r"f_b\cdot x-1", r"\sum_{a\in I\setminus b}f_a\cdot f_b",
                       r"$|f_b|=1$"),)),
        _q("noise_max_ms", (N, M, K), "max", "exact",
           r"\mathbb E\max_{b\notin I}(f_b\cdot x)^2",
           compute=_wrap(noise_max_ms, "n m k".split()),
           steps=(Step(r"f_b\cdot x", r"|x|\,u_b", r"$u_b=f_b\cdot x/|x|$ are iid given $x$ "
                       r"and independent of $|x|$"),
                  Step(u2, r"\sim\mathrm{Beta}(\tfrac12,\tfrac{n-1}2)",
                       "the square of one coordinate of a uniform point on the sphere"),
                  Step(r"\mathbb E\max_b(f_b\cdot x)^2", r"k\int_0^1\big(1-I_s(\tfrac12,"
                       r"\tfrac{n-1}2)^{m-k}\big)ds",
                       r"$\mathbb E|x|^2=k$, the tail integral of the maximum, and $I_s$ the "
                       "regularised incomplete Beta function")),
           doc="Expected largest squared readout among the inactive features (exact; one "
           "quadrature)."),
        _q("noise_max_bound", (N, M, K), "max", "upper-bound",
           r"\mathbb E\max_{b\notin I}|f_b\cdot x|", noise_max_bound(n, m, k),
           steps=(Step(r"\mathbb E e^{\lambda u}", r"{}_0F_1(;\tfrac n2;\tfrac{\lambda^2}4)"
                       r"\le e^{\lambda^2/(2n)}",
                       r"termwise, since the rising factorial $(n/2)_j\ge(n/2)^j$"),
                  Step(r"\mathbb E\max_b|u_b|", r"\sqrt{2\ln(2(m-k))/n}",
                       r"the sub-Gaussian maximal inequality (Lemma M1) with $\sigma^2=1/n$"),
                  Step(r"\mathbb E|x|", r"\le\sqrt k", "Jensen's inequality"),
                  Step("", noise_max_bound(n, m, k), r"the product, since $|x|$ and the "
                       r"$u_b$ are independent")),
           doc="Rigorous upper bound on the expected worst readout of an inactive feature."),
        _q("max_inner_bound", (N, M), "max", "upper-bound",
           r"\mathbb E\max_{a<b}|f_a\cdot f_b|", gauss_abs_max_mean_bound(m * (m - 1) / 2,
                                                                          1 / sp.sqrt(n)),
           steps=(Step("", gauss_abs_max_mean_bound(m * (m - 1) / 2, 1 / sp.sqrt(n)),
                       r"the maximal inequality (Lemma M1) over the $\binom m2$ sub-Gaussian "
                       "inner products; it needs no independence"),),
           doc="Expected worst pairwise inner product: our rigorous version of the "
           r"Johnson--Lindenstrauss $\epsilon$."),
        _q("max_inner_published", (N, M), "max", "asymptotic",
           r"\epsilon_{\rm JL}", sp.sqrt(8 * sp.log(m) / n), published=True, ours="max_inner_bound",
           limit="an order of magnitude only: the author calls it hand-wavy; a "
           "Johnson--Lindenstrauss bound with constant 8",
           doc=r"Linsefors' interference $\epsilon=\sqrt{8\ln m/n}$ per unit of another "
           "feature."),
        _q("noise_max_published", (N, M, K), "max", "asymptotic",
           r"\epsilon_{\rm JL}\sqrt\ell", sp.sqrt(8 * k * sp.log(m) / n), published=True,
           ours="noise_max_bound",
           limit="an order of magnitude only",
           doc=r"Linsefors' noise $\epsilon\sqrt\ell$ with $\ell=k$ active features."),
        _q("capacity_ms", (N, SIG), "count", "exact", r"\max\{k: k/n\le\sigma^2\}",
           sp.floor(n * SIG.symbol**2), integer=True,
           doc=r"Most active features for which the RMS readout noise of an inactive feature "
           r"is at most $\sigma$."),
        _q("capacity_worst", (N, M, EPS), "count", "exact",
           r"\max\{k\le m/2: \sqrt{2k\ln(2(m-k))/n}\le\epsilon\}", integer=True,
           compute=_wrap(capacity_worst, "n m eps".split()),
           doc="Most active features for which the rigorous bound on the expected worst "
           r"inactive readout is at most $\epsilon$."),
        _q("capacity_published", (N, M), "count", "exact", r"n/(8\ln m)",
           sp.floor(n / (8 * sp.log(m))), integer=True, published=True, ours="capacity_worst",
           doc=r"Linsefors' capacity $\ell<n/(8\ln m)$, from the noise $\epsilon\sqrt\ell<1$."),
    ] + _compound_quantities()
    return Construction(
        NAME, "Costs of storing features in superposition",
        r"Readout noise of $k$ active random unit features in $\mathbb R^n$: mean square, "
        "worst case over features, capacity, and how noise compounds over layers.", tuple(qs),
        source=SOURCE, intro_latex=INTRO, discussion=DISCUSSION, answers=ANSWERS)
