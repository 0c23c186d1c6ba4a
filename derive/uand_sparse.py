"""Universal AND with sparse Bernoulli(p) weights (TMF §1.2-1.3; uand.md §2-3).

The network.  ``W[k, i] ~ Bernoulli(p)`` iid (``d`` neurons x ``m`` inputs), bias ``-1``,
``a = ReLU(W x - 1)``.  ``S_i = {k : W[k, i] = 1}``; the AND of inputs ``i, j`` is read off as
the mean activation over ``C = S_i ∩ S_j``::

    readoff_ij(x) = v_ij . a(x),   v_ij = 1[C] / |C|,   |C| ~ Bin(d, p^2).

With exactly ``l`` active inputs, a neuron ``k in C`` sees ``K`` other active inputs wired to it,
and its activation is ``1 + K`` (both of i, j on), ``K`` (one on) or ``(K - 1)^+`` (neither).
Given ``C`` the neurons are iid, so the readoff's conditional mean is the per-neuron mean and
its variance is ``Var(activation) / |C|``; averaging over ``|C| >= 1`` gives the factor
``E[1/|C| | |C| >= 1]`` (an exact one-dimensional integral, :class:`inv_binom_mean`).

Worst case.  ``eps(W, X)`` = max over all pairs and a sample ``X`` of ``n_inputs`` random
``l``-hot inputs of ``|readoff - AND|`` (``1`` when some ``C`` is empty, since then
``x = e_i + e_j`` is misread).  Its ``(1 - delta)``-quantile over networks is bounded by a
Chernoff bound per (pair, input), averaged over ``|C| ~ Bin(d, p^2)`` in closed form, plus a
union bound (:func:`epsilon_bound`).  All errors are ``>= 0`` (activations never undershoot).

Inputs in superposition (TMF §1.3): ``W = Ŵ F`` with unit features ``f_a`` (rows of ``F``)
uniform on the sphere of ``R^{d0}``.  For neuron ``k`` with wired set ``N_k`` (``n`` features,
``j`` of them active) the interference is ``eta = sum_{b in N_k} sum_{a in I, a != b} f_b.f_a``;
for an idle neuron (``j = 0``) ``eta = X.Y`` with ``X = sum_I f_a``, ``Y = sum_N f_b``.
"""
from __future__ import annotations

import math

import mpmath
import numpy as np
import sympy as sp
from scipy import optimize, special

from superpose.derive.bounds import union_bound
from superpose.derive.quantity import Answer, BadInput, Construction, Param, Quantity, Step

NAME = "uand-sparse"
SOURCE_TMF = r"\citet{tmf}, section 1.2"
SOURCE_SUP = r"\citet{tmf}, section 1.3"

# ------------------------------------------------------------------ parameters
D = Param("d", int, 512, lo=1, hi=10**6, doc="number of ReLU neurons")
M = Param("m", int, 64, lo=2, hi=10**6, doc=r"number of inputs, forming $m(m-1)/2$ pairs")
P = Param("p", float, 0.25, lo=0.0, hi=1.0, doc=r"Bernoulli density of the weights $W$, in $(0,1]$")
L = Param("l", int, 4, lo=2, hi=1000, doc=r"compositeness: exactly $\ell$ active inputs",
          latex=r"\ell")
DELTA = Param("delta", float, 0.1, lo=0.0, hi=1.0, doc="failure probability, in (0, 1)",
              latex="delta")
NX = Param("n_inputs", int, 8, lo=1, hi=10**6, doc="inputs per network in the worst case",
           latex=r"n_{\rm in}")
EPS = Param("eps", float, 0.5, lo=0.0, hi=1000.0, doc=r"target $\epsilon$", latex=r"\epsilon")
D0 = Param("d0", int, 64, lo=2, hi=10**6, doc="feature-space dimension", latex="d_0")
NW = Param("n", int, 16, lo=0, hi=10**6, doc="features wired to the neuron")
J = Param("j", int, 0, lo=0, hi=1000, doc="active features wired to the neuron")
Q = Param("q", float, 0.01, lo=0.0, hi=0.5, doc=r"misfire probability at the onset, in $(0,\frac12)$")

d, m, p, l = D.symbol, M.symbol, P.symbol, L.symbol
d0, n, j = D0.symbol, NW.symbol, J.symbol


def _check(vals: dict) -> str | None:
    """Cross-parameter validation shared by all quantities (returns a message or None)."""
    if "p" in vals and not 0 < vals["p"] <= 1:
        return f"p must be in (0, 1], got {vals['p']}"
    if "delta" in vals and not 0 < vals["delta"] < 1:
        return f"delta must be in (0, 1), got {vals['delta']}"
    if "q" in vals and not 0 < vals["q"] < 0.5:
        return f"q must be in (0, 1/2), got {vals['q']}"
    if "eps" in vals and not vals["eps"] > 0:
        return f"eps must be > 0, got {vals['eps']}"
    if "l" in vals and "m" in vals and vals["l"] > vals["m"]:
        return f"l = {vals['l']} active inputs cannot exceed m = {vals['m']} inputs"
    if "j" in vals and "n" in vals and vals["j"] > vals["n"]:
        return f"j = {vals['j']} active wired features cannot exceed n = {vals['n']} wired"
    if "j" in vals and "l" in vals and vals["j"] > vals["l"]:
        return f"j = {vals['j']} active wired features cannot exceed l = {vals['l']} active"
    return None


# ------------------------------------------------------- E[1/C | C >= 1], C ~ Bin(d, q)


class inv_binom_mean(sp.Function):
    r"""``E[1/C | C >= 1]`` for ``C ~ Bin(n, q)``.

    Exact integral form (``1/c = \int_0^1 t^{c-1} dt`` and ``E t^C = (1-q+qt)^n``)::

        E[1/C; C >= 1] = \int_0^1 ((1 - q + q t)^n - (1 - q)^n) / t dt,

    divided by ``P(C >= 1) = 1 - (1-q)^n``.  Evaluated with mpmath quadrature (split where
    the integrand's peak near ``t = 1`` has width ``1/(nq)``), in log1p/expm1 form so that
    tiny ``q`` loses no digits.
    """

    nargs = 2
    is_real = True
    is_positive = True

    def _eval_evalf(self, prec):
        nn, qq = self.args
        if not (nn.is_number and qq.is_number):
            return None
        with mpmath.workprec(prec + 30):
            val = inv_binom_mean_mp(int(nn), mpmath.mpf(sp.Float(qq, prec + 30)._mpf_))
        return sp.Float(val, precision=prec)

    def _latex(self, printer):
        a, b = (printer._print(x) for x in self.args)
        return (r"\mathbb{E}\!\left[\tfrac{1}{C}\,\middle|\,C\ge1\right]_{C\sim\mathrm{Bin}(%s,\,%s)}"
                % (a, b))

    def as_integral(self) -> sp.Expr:
        nn, qq = self.args
        t = sp.Symbol("t", positive=True)
        return (sp.Integral(((1 - qq + qq * t) ** nn - (1 - qq) ** nn) / t, (t, 0, 1))
                / (1 - (1 - qq) ** nn))


def inv_binom_mean_mp(nn: int, qq) -> mpmath.mpf:
    """mpmath value of :class:`inv_binom_mean` at the working precision."""
    qq = mpmath.mpf(qq)
    if nn < 1 or not 0 < qq <= 1:
        raise BadInput(f"E[1/C | C>=1] needs n >= 1 and q in (0, 1], got n={nn}, q={qq}")
    if qq == 1:
        return mpmath.mpf(1) / nn
    l1 = mpmath.log1p(-qq)
    p_pos = -mpmath.expm1(nn * l1)  # P(C >= 1)

    def g(s):  # t = 1 - s: ((1 - q s)^n - (1-q)^n) / (1 - s)
        if s == 1:
            return nn * qq * mpmath.exp((nn - 1) * l1)
        return mpmath.exp(nn * l1) * mpmath.expm1(nn * (mpmath.log1p(-qq * s) - l1)) / (1 - s)

    w = 1 / (nn * qq)
    pts = [mpmath.mpf(0)] + [k * w for k in (1, 10, 100, 1000) if k * w < 1] + [mpmath.mpf(1)]
    return mpmath.quad(g, pts) / p_pos


# --------------------------------------------------- per-neuron activation statistics

def _case_moments():
    """Mean and variance of one wired neuron's activation, and its target, per case.

    K ~ Bin(n_other, p) counts the other active inputs wired to the neuron (uand.md §2 table):
    both on: act = 1 + K, n_other = l - 2; one on: act = K, n_other = l - 1;
    neither: act = (K - 1)^+ = K - 1 + 1[K = 0], n_other = l.
    """
    EK = lambda nn: nn * p                       # noqa: E731
    VK = lambda nn: nn * p * (1 - p)              # noqa: E731
    p0 = (1 - p) ** l                             # P(K = 0), K ~ Bin(l, p)
    mu0 = EK(l) - 1 + p0
    # E[((K-1)^+)^2] = E[(K-1)^2] - P(K=0)
    var0 = VK(l) + (EK(l) - 1) ** 2 - p0 - mu0 ** 2
    return {
        "both": (1 + EK(l - 2), VK(l - 2), sp.Integer(1)),
        "one": (EK(l - 1), VK(l - 1), sp.Integer(0)),
        "none": (mu0, var0, sp.Integer(0)),
    }


CASES = _case_moments()


def _shown_var(var: sp.Expr) -> sp.Expr:
    """``Var(a)`` as a researcher writes it: ``p(1-p)`` times a factor free of ``p`` when it
    has that form (the display of a derivation step; the value is unchanged), else factored."""
    rest = sp.cancel(var / (p * (1 - p)))
    if not rest.has(p):
        shown = sp.Mul(p, sp.Add(1, -p, evaluate=False), rest, evaluate=False)
        assert sp.simplify(shown - var) == 0
        return shown
    return sp.factor(var)
CASE_TEXT = {"both": "both of i, j active", "one": "exactly one of i, j active",
             "none": "neither of i, j active"}
CASE_PROSE = {"both": r"both of $i$, $j$ active", "one": r"exactly one of $i$, $j$ active",
              "none": r"neither of $i$, $j$ active"}
INV = inv_binom_mean(d, p**2)


def case_pmf(case: str, lv: int, pv: float) -> np.ndarray:
    """pmf of one wired neuron's *error* (activation - target) on 0..l-1 (numeric)."""
    nn = {"both": lv - 2, "one": lv - 1, "none": lv}[case]
    k = np.arange(nn + 1)
    pk = special.binom(nn, k) * pv**k * (1 - pv) ** (nn - k) if pv < 1 else (k == nn) * 1.0
    if case != "none":
        return np.asarray(pk, float)
    out = np.zeros(max(nn, 1))
    out[0] = pk[0] + (pk[1] if nn >= 1 else 0.0)
    out[1:nn] = pk[2:]
    return out


def case_counts(mv: int, lv: int) -> dict[str, int]:
    """Pairs of each case for one input with exactly l of m inputs active."""
    return {"both": lv * (lv - 1) // 2, "one": lv * (mv - lv), "none": (mv - lv) * (mv - lv - 1) // 2}



# ------------------------------------------------ bound helpers (not in derive/bounds.py)

T_GRID = np.concatenate([[0.0], np.geomspace(1e-4, 80.0, 320)])


def chernoff_rate(pmf: np.ndarray, eps, t_grid: np.ndarray = T_GRID):  # noqa: D401
    """Rate ``I(eps) >= max_{t in grid} (t eps - log E e^{tY})`` for Y on 0..len(pmf)-1.

    Chernoff: for every ``t >= 0`` the mean of c iid copies satisfies
    ``P(mean >= eps) <= exp(-c (t eps - log E e^{tY}))``, so the maximum over any grid of t
    is a valid (slightly conservative) rate; the grid reaches t = 80, beyond which the gain
    is below e^-80.  ``inf`` when eps is at or above the largest value of Y (the strict
    event ``mean > eps`` is then impossible).  Vectorised over ``eps``.
    """
    pmf = np.asarray(pmf, float)
    k = np.arange(pmf.size)
    mask = pmf > 0
    ymax = k[mask].max()
    lam = special.logsumexp(np.log(pmf[mask])[None, :] + t_grid[:, None] * k[mask][None, :], axis=1)
    e = np.atleast_1d(np.asarray(eps, float))
    rate = np.max(t_grid[None, :] * e[:, None] - lam[None, :], axis=1)
    rate = np.where(e >= ymax, np.inf, np.maximum(rate, 0.0))
    return rate if np.ndim(eps) else float(rate[0])


def binomial_pgf_excess(nn: int, q: float, s: float) -> float:
    """``E[s^C; C >= 1] = (1-q+qs)^n - (1-q)^n`` for ``C ~ Bin(n, q)`` (log1p form)."""
    if q >= 1:
        return s**nn
    a = nn * math.log1p(-q * (1 - s))
    b = nn * math.log1p(-q)
    return math.exp(a) - math.exp(b)

# ----------------------------------------------------------------- worst-case bound

def _lam(pmf: np.ndarray) -> tuple[np.ndarray, int]:
    """``log E e^{tY}`` on :data:`T_GRID` and the largest value of Y."""
    k = np.arange(pmf.size)
    mask = pmf > 0
    lam = special.logsumexp(np.log(pmf[mask])[None, :] + T_GRID[:, None] * k[mask][None, :], axis=1)
    return lam, int(k[mask].max())


def _tail_from_lam(lam, ymax, dv, q, eps):
    e = np.atleast_1d(np.asarray(eps, float))
    rate = np.maximum(np.max(T_GRID[None, :] * e[:, None] - lam[None, :], axis=1), 0.0)
    s = np.exp(-rate)
    if q >= 1:
        out = s**dv
    else:
        out = np.exp(dv * np.log1p(-q * (1 - s))) - math.exp(dv * math.log1p(-q))
    return np.where(e >= ymax, 0.0, np.maximum(out, 0.0))


def case_tail_bound(case: str, dv: int, pv: float, lv: int, eps):
    """Upper bound on P(readoff error > eps and |C| >= 1) for one (pair, input) of ``case``.

    Given ``|C| = c`` the error is the mean of c iid copies of Y (pmf :func:`case_pmf`);
    Chernoff (:func:`chernoff_rate`): ``P(mean >= eps) <= exp(-c I(eps))``; averaging over
    ``c ~ Bin(d, p^2)`` in closed form:
    ``E[e^{-c I}; c >= 1] = (1 - q + q e^{-I})^d - (1 - q)^d``, ``q = p^2``.
    Vectorised over ``eps``.
    """
    lam, ymax = _lam(case_pmf(case, lv, pv))
    out = _tail_from_lam(lam, ymax, dv, pv * pv, eps)
    return out if np.ndim(eps) else float(out[0])


def epsilon_bound(d: int, m: int, p: float, l: int, delta: float, n_inputs: int) -> float:
    """Upper bound on the (1 - delta)-quantile of eps(W, X) (union + Chernoff).

    ``P(eps(W,X) > e) <= C(m,2)(1-p^2)^d + n_inputs * sum_case count_case * tail_case(e)``;
    the bound is the smallest ``e`` where the right side is ``<= delta`` (grid, then
    bisection; the right side is non-increasing in e).  Errors never exceed
    ``max(1, l - 1)``, which is returned when no smaller e qualifies.
    """
    msg = _check(dict(d=d, m=m, p=p, l=l, delta=delta))
    if msg:
        raise BadInput(f"{NAME}.epsilon_bound: {msg}")
    counts = case_counts(m, l)
    top = float(max(1, l - 1))
    empty = union_bound(math.comb(m, 2), math.exp(d * math.log1p(-p * p)) if p < 1 else 0.0)
    parts = [(n_inputs * k, _lam(case_pmf(c, l, p))) for c, k in counts.items() if k]

    def excess(e):
        tot = empty
        for w, (lam, ymax) in parts:
            tot = tot + w * _tail_from_lam(lam, ymax, d, p * p, e)
        return tot

    grid = np.linspace(0.0, top, 257)
    ok = np.nonzero(excess(grid) <= delta)[0]
    if ok.size == 0:
        return top
    k = int(ok[0])
    if k == 0:
        return 0.0
    lo, hi = float(grid[k - 1]), float(grid[k])
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        if excess(mid)[0] <= delta:
            hi = mid
        else:
            lo = mid
    return hi


def _p_grid(d: int) -> np.ndarray:
    lo = min(0.5, 0.5 / math.sqrt(d))
    return np.exp(np.linspace(math.log(lo), 0.0, 17))


def p_opt(d: int, m: int, l: int, delta: float, n_inputs: int) -> float:
    """The density p in (0, 1] that minimises :func:`epsilon_bound` (grid + golden section)."""
    grid = _p_grid(d)
    vals = [epsilon_bound(d, m, float(x), l, delta, n_inputs) for x in grid]
    k = int(np.argmin(vals))
    a = math.log(grid[max(k - 1, 0)])
    b = math.log(grid[min(k + 1, len(grid) - 1)])
    if b <= a:
        return float(grid[k])
    res = optimize.minimize_scalar(
        lambda lp: epsilon_bound(d, m, math.exp(min(lp, 0.0)), l, delta, n_inputs),
        bounds=(a, b), method="bounded", options={"xatol": 1e-3})
    best = math.exp(min(res.x, 0.0))
    return best if epsilon_bound(d, m, best, l, delta, n_inputs) <= vals[k] else float(grid[k])


def epsilon_opt(d: int, m: int, l: int, delta: float, n_inputs: int) -> float:
    return epsilon_bound(d, m, p_opt(d, m, l, delta, n_inputs), l, delta, n_inputs)


def p_for_epsilon(d: int, m: int, l: int, eps: float, delta: float, n_inputs: int) -> float:
    """The optimal p when it certifies ``eps``; BadInput when d neurons are too few."""
    pv = p_opt(d, m, l, delta, n_inputs)
    got = epsilon_bound(d, m, pv, l, delta, n_inputs)
    if got > eps:
        raise BadInput(
            f"{NAME}: d = {d} neurons are too few for eps = {eps:g} (m={m}, l={l}, delta={delta:g},"
            f" n_inputs={n_inputs}): the best certified eps is {got:.4g}, at p = {pv:.4g}")
    return pv


def neurons_needed(m: int, l: int, eps: float, delta: float, n_inputs: int) -> int:
    """Smallest d whose optimal p certifies ``eps`` (bisection in d; BadInput beyond 10^6)."""
    hi = 16
    while epsilon_opt(hi, m, l, delta, n_inputs) > eps:
        hi *= 4
        if hi > 10**6:
            raise BadInput(f"{NAME}: eps = {eps:g} needs more than 10^6 neurons "
                           f"(m={m}, l={l}, delta={delta:g}, n_inputs={n_inputs})")
    lo = hi // 4 if hi > 16 else 0
    while hi - lo > max(1, hi // 50):
        mid = (lo + hi) // 2
        if mid >= 1 and epsilon_opt(mid, m, l, delta, n_inputs) <= eps:
            hi = mid
        else:
            lo = mid
    return hi


# --------------------------------------------------------------- quantities

#: How each quantity is written in the report (its symbol).
SYMBOLS = {
    "intersection_mean": r"\mathbb E|S_i\cap S_j|",
    "p_empty": r"P(S_i\cap S_j=\emptyset)",
    "p_any_empty_union": r"P_\cup",
    "p_any_empty_poisson": r"P_{\rm Poisson}",
    "p_any_empty_cs_upper": r"P^+_{\rm CS}",
    "p_any_empty_cs_lower": r"P^-_{\rm CS}",
    "mean_both": r"\mu_{11}", "mse_both": r"\mathrm{MSE}_{11}",
    "mean_one": r"\mu_{10}", "mse_one": r"\mathrm{MSE}_{10}",
    "mean_none": r"\mu_{00}", "mse_none": r"\mathrm{MSE}_{00}",
    "epsilon_bound": r"\epsilon_{\rm bound}",
    "p_opt": r"p_{\rm opt}",
    "epsilon_opt": r"\epsilon_{\rm opt}",
    "p_for_epsilon": r"p_{\rm opt}(\epsilon)",
    "neurons_needed": r"d_{\min}(\epsilon)",
    "p_published": r"p_{\rm TMF}",
    "d_min_published": r"d_{\rm TMF}",
    "epsilon_published": r"\epsilon_{\rm TMF}",
    "interference_ms_given": r"\mathbb E[\eta_k^2\mid n,j]",
    "interference_ms": r"\mathbb E\eta_k^2",
    "interference_m4_idle": r"\mathbb E\eta^4",
    "misfire_prob": r"P(\eta>1)",
    "misfire_onset": r"m_{\rm onset}",
}


#: Report sentences of the quantities whose construction passes no ``doc``.
DOCS = {
    "intersection_mean": "Mean number of neurons wired to both inputs of a pair.",
    "p_empty": "Probability that no neuron is wired to both inputs of a given pair.",
    "p_any_empty_union": "Union bound on the probability that some pair has no common neuron.",
    "p_any_empty_poisson": "Poisson approximation of the probability that some pair has no "
                           "common neuron.",
    "p_any_empty_cs_upper": "Upper end of the Chen--Stein interval around the Poisson "
                            "approximation.",
    "p_any_empty_cs_lower": "Lower end of the Chen--Stein interval around the Poisson "
                            "approximation.",
    "epsilon_opt": r"Certified $\epsilon$ at the density that minimises it.",
    "epsilon_published": r"The published worst-case error $\epsilon=1/\log^2m$, with its "
                         "unstated constant taken as 1.",
}


def _q(short, params, statistic, accuracy, definition, closed_form=None, **kw) -> Quantity:
    kw.setdefault("symbol", SYMBOLS.get(short, ""))
    kw.setdefault("doc", DOCS.get(short, ""))
    return Quantity(f"{NAME}.{short}", params, statistic, accuracy, definition,
                    closed_form=closed_form, constraint=_check, **kw)


def _wrap(fn, names):
    def compute(**kw):
        return fn(*(kw[k] for k in names))
    return compute


def _readoff_quantities() -> list[Quantity]:
    out = []
    for case, (mu, var, target) in CASES.items():
        why = CASE_TEXT[case]
        out.append(_q(
            f"mean_{case}", (D, P, L), "mean", "exact",
            rf"\mathbb{{E}}[\hat{{\mathrm{{AND}}}}_{{ij}}(x)\mid |S_i\cap S_j|\ge1]\ \text{{({why})}}",
            sp.simplify(mu), eq_label=f"eq:uand-sparse-mean-{case}", source=SOURCE_TMF,
            doc=rf"Mean readoff with exactly $\ell$ inputs active, {CASE_PROSE[case]}.",
            steps=(Step(r"\hat{\mathrm{AND}}_{ij}", r"\frac{1}{|C|}\sum_{k\in C}a_k",
                        r"the readoff vector is $v_{ij}=\mathbb 1[C]/|C|$, with "
                        r"$C=S_i\cap S_j$ the neurons wired to both inputs and $a_k$ their "
                        "activations"),
                   Step("", sp.simplify(mu), r"the neurons in $C$ are iid given $C$; the mean "
                        r"activation of one, with $K$ its binomial number of other active "
                        "inputs"))))
        mse = (mu - target) ** 2 + var * INV
        out.append(_q(
            f"mse_{case}", (D, P, L), "mean-square", "exact",
            rf"\mathbb{{E}}[(\hat{{\mathrm{{AND}}}}_{{ij}}-\mathrm{{AND}}_{{ij}})^2\mid|C|\ge1]\ \text{{({why})}}",
            mse, eq_label=f"eq:uand-sparse-mse-{case}", source=SOURCE_TMF + r", made exact here",
            doc=rf"Mean-square readoff error given a non-empty intersection, {CASE_PROSE[case]}.",
            steps=(Step(r"\mathrm{MSE}", r"(\mathbb{E}a-\mathrm{AND})^2+\mathrm{Var}(a)\,"
                        r"\mathbb{E}[1/|C|\,\mid\,|C|\ge1]",
                        r"the conditional mean does not depend on $|C|$, and the variance given "
                        r"$C$ is $\mathrm{Var}(a)/|C|$"),
                   Step(r"\mathrm{Var}(a)", _shown_var(var), "binomial moments"),
                   Step("", mse, r"$|C|\sim\mathrm{Bin}(d,p^2)$"))))
    return out


def _superposition_quantities() -> list[Quantity]:
    x_given = (l * n + j**2 - 2 * j) / d0
    x_avg = l * p * (m - 1 + (l - 1) * p) / d0
    ex4 = (l**2 + 2 * l * (l - 1) / d0) * (n**2 + 2 * n * (n - 1) / d0) * 3 / (d0 * (d0 + 2))
    t = sp.sqrt(d0 / (l * n))
    misfire = sp.erfc(t / sp.sqrt(2)) / 2
    zq = sp.sqrt(2) * sp.erfinv(1 - 2 * Q.symbol)
    onset = d0 / (l * p * zq**2)
    kurt_ex = ex4 / (l * n / d0) ** 2 - 3
    return [
        _q("interference_ms_given", (D0, L, NW, J), "mean-square", "exact",
           r"\mathbb{E}_F[\eta_k^2],\ \eta_k=\sum_{b\in N_k}\sum_{a\in I\setminus b}f_b\cdot f_a",
           x_given, eq_label="eq:uand-sparse-eta-given", source=SOURCE_SUP,
           doc=r"Interference on a neuron with $n$ wired features, $j$ of them active, and "
           r"$\ell$ active features in all.",
           steps=(Step(r"\mathbb{E}(f_a\cdot f_b)^2", r"1/d_0",
                       r"uniform unit vectors, $a\ne b$"),
                  Step(r"\mathbb{E}[(f_a\cdot f_b)(f_{a'}\cdot f_{b'})]", "0",
                       "different unordered pairs: flip the sign of a vector used once"),
                  Step(r"\mathbb{E}\eta_k^2", r"\frac{1}{d_0}\sum_{\{a,b\}}\mu_{ab}^2,\ "
                       r"\mu_{ab}\in\{1,2\}", r"the pair $\{a,b\}$ appears twice exactly when $a,b\in I\cap N_k$, "
                       r"with $I$ the active features and $N_k$ those wired to neuron $k$"),
                  Step("", x_given, r"$\ell n-j$ ordered pairs appear once and $j(j-1)/2$ "
                       "pairs twice"))),
        _q("interference_ms", (D0, M, P, L), "mean-square", "exact",
           r"\mathbb{E}_{\hat W,F,I}[\eta_k^2]", sp.factor(x_avg), eq_label="eq:uand-sparse-eta",
           source=SOURCE_SUP, doc="Interference on a random neuron of the network.",
           steps=(Step(r"\mathbb{E}\eta_k^2", r"\mathbb{E}[l n + j^2 - 2j]/d_0",
                       "eq:uand-sparse-eta-given"),
                  Step("", sp.factor(x_avg), r"$n\sim\mathrm{Bin}(m,p)$, "
                       r"$j\sim\mathrm{Bin}(\ell,p)$"))),
        _q("interference_m4_idle", (D0, L, NW), "mean", "exact",
           r"\mathbb{E}[\eta^4]\ \text{for an idle neuron } (j=0)", sp.factor(ex4),
           eq_label="eq:uand-sparse-eta4", source=SOURCE_SUP,
           doc="Fourth moment of the interference on an idle neuron; it fixes the tolerance "
           "of the Gaussian approximation.",
           steps=(Step(r"\eta", r"X\cdot Y=|X||Y|u", r"$X$ (the active features) and $Y$ (the "
                       r"wired features) are independent and rotation invariant, and $u$ is one "
                       "coordinate of a uniform unit vector"),
                  Step(r"\mathbb{E}u^4", r"\frac{3}{d_0(d_0+2)}", "a sphere coordinate"),
                  Step(r"\mathbb{E}|X|^4", sp.expand(l**2 + 2 * l * (l - 1) / d0),
                       r"$|X|^2=\ell+2\sum_{a<a'}f_a\cdot f_{a'}$"),
                  Step("", sp.factor(ex4), "the product of the two moments"))),
        _q("misfire_prob", (D0, L, NW), "probability", "approximate",
           r"P(\eta>1)\ \text{for an idle neuron with } n \text{ wired features}", misfire,
           tolerance=0.1, tolerance_reason=(
               r"Gaussian approximation of $\eta=X\cdot Y$; its excess kurtosis "
               r"$\kappa_{\rm ex}$ is $O(1/d_0)$ by \eqref{eq:uand-sparse-eta4}, so the Edgeworth "
               r"correction $\kappa_{\rm ex}(t^4-6t^2+3)/24$ stays below 10% for "
               r"$t=\sqrt{d_0/(\ell n)}\le2.5$ and $d_0\ge64$"),
           eq_label="eq:uand-sparse-misfire", source=SOURCE_SUP,
           doc=r"Probability that an idle neuron fires, that is its pre-activation $\eta-1$ "
           "is positive.",
           steps=(Step(r"\mathrm{Var}\,\eta", r"\ell n/d_0",
                       r"\eqref{eq:uand-sparse-eta-given} with $j=0$"),
                  Step(r"\kappa_{\rm ex}", sp.simplify(kurt_ex), r"\eqref{eq:uand-sparse-eta4}"),
                  Step(r"P(\eta>1)", misfire, "the Gaussian tail"))),
        _q("misfire_onset", (D0, L, P, Q), "value", "asymptotic",
           r"m:\ P(\eta>1\mid n=mp)=q", onset, limit=r"$mp\to\infty$, so that $n$ "
           r"concentrates at $mp$, with Gaussian interference", tolerance=0.1,
           tolerance_reason=r"as for \eqref{eq:uand-sparse-misfire}; moreover "
           r"$n\sim\mathrm{Bin}(m,p)$ spreads the onset",
           eq_label="eq:uand-sparse-onset", source=SOURCE_SUP,
           doc=r"Number of features $m$ at which a typical idle neuron misfires with "
           r"probability $q$.",
           steps=(Step(r"q", r"\bar\Phi(\sqrt{d_0/(\ell m p)})",
                       r"\eqref{eq:uand-sparse-misfire} with $n=mp$"),
                  Step("m", onset, r"solving for $m$"))),
    ]


POISSON_TOL = 0.1


def _poisson_constraint(poisson: sp.Expr, cs: sp.Expr):
    """The shared checks, plus: the Chen-Stein error bound is <= POISSON_TOL of the value."""
    def check(vals: dict) -> str | None:
        msg = _check(vals)
        if msg:
            return msg
        subs = {D.symbol: vals["d"], M.symbol: vals["m"], P.symbol: sp.Float(vals["p"], 30)}
        val, err = (float(sp.N(e.xreplace(subs), 20)) for e in (poisson, cs))
        if not val > 0 or err > POISSON_TOL * val:
            return (f"the Poisson approximation is not certified here: Chen-Stein error bound "
                    f"{err:.3g} exceeds {POISSON_TOL:.0%} of the value {val:.3g}")
        return None
    return check


def _empty_quantities() -> list[Quantity]:
    qq = p**2
    pe = (1 - qq) ** d
    pairs = m * (m - 1) / 2
    lam = pairs * pe
    pe2 = (1 - p + p * (1 - p) ** 2) ** d  # P(C_ij empty and C_ik empty)
    b1 = pairs * (2 * m - 3) * pe**2
    b2 = pairs * 2 * (m - 2) * pe2
    poisson = 1 - sp.exp(-lam)
    cs = (b1 + b2) * (1 - sp.exp(-lam)) / lam
    return [
        _q("intersection_mean", (D, P), "mean", "exact", r"\mathbb{E}|S_i\cap S_j|", d * qq,
           eq_label="eq:uand-sparse-isect", source=SOURCE_TMF,
           steps=(Step(r"|S_i\cap S_j|", r"\sum_k W_{ki}W_{kj}\sim\mathrm{Bin}(d,p^2)", "iid"),)),
        _q("p_empty", (D, P), "probability", "exact", r"P(S_i\cap S_j=\emptyset)", pe,
           eq_label="eq:uand-sparse-pempty", source=SOURCE_TMF),
        _q("p_any_empty_union", (D, M, P), "probability", "upper-bound",
           r"P(\exists i<j: S_i\cap S_j=\emptyset)", lam, eq_label="eq:uand-sparse-union",
           source=SOURCE_TMF, steps=(Step("P", lam, r"the union bound over the $\binom m2$ "
                                          "pairs"),)),
        Quantity(f"{NAME}.p_any_empty_poisson", (D, M, P), "probability", "approximate",
           r"P(\exists i<j: S_i\cap S_j=\emptyset)", closed_form=poisson, tolerance=POISSON_TOL,
           symbol=SYMBOLS["p_any_empty_poisson"], doc=DOCS["p_any_empty_poisson"],
           tolerance_reason=r"the Chen--Stein bound \citep{agg1989}: the error is at most "
           r"$(b_1+b_2)(1-e^{-\lambda})/\lambda$; the quantity is defined only where that bound "
           "is at most 10% of the value",
           constraint=_poisson_constraint(poisson, cs),
           eq_label="eq:uand-sparse-poisson", source=SOURCE_TMF,
           steps=(Step(r"\lambda", lam, r"the expected number $\lambda$ of empty pairs"),
                  Step("P", poisson, "the Poisson approximation"))),
        _q("p_any_empty_cs_upper", (D, M, P), "probability", "upper-bound",
           r"P(\exists i<j: S_i\cap S_j=\emptyset)", poisson + cs,
           eq_label="eq:uand-sparse-cs", source=r"\citet{agg1989}, Theorem 1",
           steps=(Step("b_1", b1, r"the pairs sharing an input, $2m-3$ including the pair "
                       "itself"),
                  Step("b_2", b2, r"both are empty with probability $(1-p+p(1-p)^2)^d$ per "
                       "sharing pair"),
                  Step("b_3", "0", "disjoint pairs use disjoint columns, so they are "
                       "independent"),
                  Step("P", poisson + cs, r"$|P(W=0)-e^{-\lambda}|\le(b_1+b_2)"
                       r"(1-e^{-\lambda})/\lambda$, with $W$ the number of empty pairs"))),
        _q("p_any_empty_cs_lower", (D, M, P), "probability", "lower-bound",
           r"P(\exists i<j: S_i\cap S_j=\emptyset)", poisson - cs,
           eq_label="eq:uand-sparse-cs-lower", source=r"\citet{agg1989}, Theorem 1"),
    ]


def _worst_case_quantities() -> list[Quantity]:
    pub_p = sp.log(m) ** 2 / sp.sqrt(d)
    return [
        _q("epsilon_bound", (D, M, P, L, DELTA, NX), "max", "upper-bound",
           r"(1-\delta)\text{-quantile of }\max_{i<j,\,x\in X}|\hat{\mathrm{AND}}_{ij}(x)-"
           r"\mathrm{AND}_{ij}(x)|", compute=_wrap(epsilon_bound, "d m p l delta n_inputs".split()),
           eq_label="eq:uand-sparse-eps", source=SOURCE_TMF + ", with the Chernoff and union bounds and their constants kept",
           doc=r"Certified $\epsilon$: a union over pairs and sampled inputs of Chernoff tails."),
        _q("p_opt", (D, M, L, DELTA, NX), "value", "exact",
           r"\arg\min_p \epsilon_{\rm bound}", compute=_wrap(p_opt, "d m l delta n_inputs".split()),
           eq_label="eq:uand-sparse-popt", doc=r"Density minimising the certified $\epsilon$."),
        _q("epsilon_opt", (D, M, L, DELTA, NX), "max", "upper-bound",
           r"\epsilon_{\rm bound}\ \text{at}\ p_{\rm opt}",
           compute=_wrap(epsilon_opt, "d m l delta n_inputs".split()),
           eq_label="eq:uand-sparse-epsopt"),
        _q("p_for_epsilon", (D, M, L, EPS, DELTA, NX), "value", "exact",
           r"p_{\rm opt}\ \text{if it certifies}\ \epsilon",
           compute=_wrap(p_for_epsilon, "d m l eps delta n_inputs".split()),
           doc=r"Optimal density $p$ for a target $\epsilon$; undefined when there are too "
           "few neurons."),
        _q("neurons_needed", (M, L, EPS, DELTA, NX), "count", "exact",
           r"\min\{d:\epsilon_{\rm opt}(d)\le\epsilon\}", integer=True,
           compute=_wrap(neurons_needed, "m l eps delta n_inputs".split()),
           doc=r"Fewest neurons, to within 2%, that certify $\epsilon$."),
        _q("p_published", (D, M), "value", "exact", r"p_{\rm TMF}", pub_p, published=True,
           eq_label="eq:uand-sparse-ptmf", source=SOURCE_TMF,
           doc=r"The source's density $\log^2m/\sqrt d$; a probability only when "
           r"$d\ge\log^4m$."),
        _q("d_min_published", (M,), "count", "exact", r"\min\{d: \log^2 m/\sqrt d\le 1\}",
           sp.ceiling(sp.log(m) ** 4), integer=True, eq_label="eq:uand-sparse-dmin",
           source=SOURCE_TMF, doc=r"Smallest $d$ at which the source's $p$ is at most 1."),
        _q("epsilon_published", (M,), "max", "asymptotic", r"\epsilon_{\rm TMF}",
           1 / sp.log(m) ** 2, published=True, limit=r"$m\to\infty$ with "
           r"$d=\omega(\log^8m)$; the constant of the $O$ is not given and is taken as 1",
           eq_label="eq:uand-sparse-epstmf",
           source=SOURCE_TMF),
    ]


INTRO = (r"In the sparse universal AND of \citet{tmf}, $d$ ReLU neurons read $m$ boolean inputs "
         r"through iid Bernoulli($p$) weights $W$, with bias $-1$; exactly $\ell$ inputs are "
         r"active. The AND of a pair $(i,j)$ is read off as the mean activation of the neurons "
         r"$C=S_i\cap S_j$ wired to both, where $S_i$ is the set of neurons wired to input $i$. "
         r"We give the exact mean and mean square of this readoff in the three cases of the "
         r"pair, the probability that some intersection is empty, a certified worst-case "
         r"$\epsilon$ with every constant kept, and the interference on a neuron when the "
         r"inputs themselves are superposed as random unit vectors in $\mathbb R^{d_0}$ "
         r"(section 1.3 of the source). The source takes $p=\log^2m/\sqrt d$ and claims "
         r"$\epsilon=O(1/\log^2m)$.")

DISCUSSION = ("The moments are exact for the Bernoulli model with exactly $\\ell$ active inputs; "
              "the certified $\\epsilon$ is a union bound over pairs and a finite sample of "
              "inputs, so it certifies those inputs only, and it is loose by the union over "
              "pairs. The published density is a probability only for $d\\ge\\log^4m$, which "
              "excludes most sizes one can run, and the published $\\epsilon$ carries an "
              "unstated constant, so the comparison with it is informative, not a test. The "
              "superposed-input model takes the inputs as independent uniform unit vectors and "
              "its misfire probability uses a Gaussian approximation.")


def _answer_eps(checks) -> str | None:
    from superpose.derive.common import records_of
    pub = records_of(checks, f"{NAME}.epsilon_published")
    if not pub:
        return None
    r = pub[0]
    pp = r["params"]
    return (r"At the source's own density $p=\log^2m/\sqrt d$ " + f"($d={pp['d']}$, $m={pp['m']}$, "
            rf"$\ell={pp['l']}$" + r"), the measured $(1-\delta)$-quantile over networks of "
            r"the worst readoff error is " + f"{float(r['measured']):.3g}" + r", against the "
            r"published $\epsilon=1/\log^2m=" + f"{float(r['predicted']):.3g}" + r"$, "
            f"{float(r['measured']) / float(r['predicted']):.0f} times larger: the claim "
            r"$\epsilon=O(1/\log^2m)$ can hold only with a large unstated constant or at "
            r"far larger $d$.")


ANSWERS = (Answer(r"Does the sparse construction reach the published $\epsilon=1/\ln^2m$ at "
                  "sizes one can run?", _answer_eps, "q:uand-sparse.epsilon_published"),)


def construction() -> Construction:
    qs = (_empty_quantities() + _readoff_quantities() + _worst_case_quantities()
          + _superposition_quantities())
    return Construction(
        NAME, "Universal AND with sparse Bernoulli weights",
        r"The sparse universal AND of \citet{tmf}: exact readoff moments, empty intersections, "
        r"a certified $\epsilon$, and the interference of superposed inputs.", tuple(qs),
        source=SOURCE_TMF, intro_latex=INTRO, discussion=DISCUSSION, answers=ANSWERS)
