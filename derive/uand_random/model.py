r"""uand-random, the symbolic derivation: readoff coefficients and moments in the sign basis.

The derivation of :mod:`superpose.derive.uand_random` (its docstring states the model and
the results): the Gaussian sign moments from the lemma table (G7, inclusion-exclusion over
the indicators), the Rademacher moments (lemmas R1-R5), the 4 unbiasedness conditions per
readoff, and the mean and mean square of every readoff; cached on disk
(:mod:`superpose.derive.cache`, keyed by the source of this module and of the lemma table).
Shared by the registered quantities (:mod:`superpose.derive.uand_random`) and the max-error
law (:mod:`superpose.derive.uand_random.maxlaw`).
"""
from __future__ import annotations

import sys
from functools import lru_cache

import sympy as sp

from superpose.derive import cache as _cache
from superpose.derive import gaussian as _gaussian
from superpose.derive.quantity import BadInput, Param

WEIGHTS = ("gaussian", "rademacher")
TARGETS = {"and": (0, 0, 0, 1), "xor": (0, 1, 1, 0), "feature": (0, 0, 1, 1)}  # at 00, 01, 10, 11
CASES = ((0, 0), (0, 1), (1, 0), (1, 1))  # (x_i, x_j)
SIGNS = ("UV", "U", "V", "")  # sign-basis monomials s_U s_V, s_U, s_V, 1 (coefficients a, b, c, d)
SOURCE = r"the replies of Mendel and Hänni in the comment thread \citep{tmfthread} of \citet{tmf}"

L = Param("l", int, default=3, lo=2, doc="active inputs (compositeness), at least 2",
          latex=r"\ell")
ON = Param("on", int, default=2, lo=0, hi=2, doc=r"$x_i+x_j$: how many of the pair are on",
           latex=r"\mathrm{on}")
ON_FEATURE = Param("on", int, default=1, lo=0, hi=1, doc=r"$x_i$: whether the read feature is on",
                   latex=r"\mathrm{on}")
M = Param("m", int, default=100, lo=2, doc="number of inputs; the pairs are drawn among them")
LSYM = L.symbol
ONSYM = ON.symbol
MSYM = M.symbol


# --------------------------------------------------------------- the sign algebra


def _tidy(expr: sp.Expr) -> sp.Expr:
    """Cheap, exact normalisation: a rational function of the radicals and arcsines.

    (``sympy.simplify`` spends tens of seconds in combsimp on the binomials and is not
    needed: every cancellation below is polynomial in those generators.)
    """
    return sp.factor_terms(sp.cancel(sp.expand(expr)))



def _mul(s: str, t: str) -> str:
    """s_S s_T = s_{S xor T} (s_U^2 = 1)."""
    return "".join(ch for ch in "UV" if (ch in s) != (ch in t))


def _power(coefs: dict[str, sp.Expr], q: int) -> dict[str, sp.Expr]:
    """r^q as a sign-basis polynomial, for r = sum_S coefs[S] s_S."""
    out: dict[str, sp.Expr] = {"": sp.Integer(1)}
    for _ in range(q):
        nxt: dict[str, sp.Expr] = {}
        for s, a in out.items():
            for t, b in coefs.items():
                u = _mul(s, t)
                nxt[u] = nxt.get(u, 0) + a * b
        out = nxt
    return out


def indicator_coefficients(c: dict[str, sp.Expr]) -> tuple[sp.Expr, ...]:
    r"""(alpha, beta, gamma, delta) from sign-basis (a, b, c, d): s_U = 2 1_U - 1."""
    a, b, cc, d = (c.get(s, 0) for s in SIGNS)
    return (4 * a, 2 * b - 2 * a, 2 * cc - 2 * a, a - b - cc + d)


# ------------------------------------------------------------- Gaussian moments (G7)


def covariance(case: tuple[int, int], l=LSYM) -> sp.Matrix:
    """Covariance of (X, U, V) for (x_i, x_j) = case."""
    xi, xj = case
    return sp.Matrix([[l, xi, xj], [xi, 1, 0], [xj, 0, 1]])


def gaussian_indicator_moment(case, q: str, p: int, l=LSYM) -> sp.Expr:
    r""":math:`\mathbb E[(X^+)^p\,\mathbb 1_Q]`, Q a subset of {U, V} required positive (G7)."""
    comps = [0] + [1 + "UV".index(ch) for ch in q]
    return _gaussian.trunc_moment(covariance(case, l).extract(comps, comps), p, 0)


def gaussian_sign_moment(case, s: str, p: int, l=LSYM) -> sp.Expr:
    r""":math:`\mathbb E[(X^+)^p s_S]` by inclusion-exclusion: :math:`s_U=2\cdot\mathbb 1_U-1`."""
    subsets = [""] + list(s) + (["UV"] if s == "UV" else [])
    total = sum((2 ** len(q)) * (-1) ** (len(s) - len(q)) * gaussian_indicator_moment(case, q, p, l)
                for q in subsets)
    return _tidy(total)


# ------------------------------------------------ display: K_l and [on = 2]


class KEll(sp.Function):
    r"""The constant :math:`K_\ell=\mathbb E[X^+s_Us_V]` of the Gaussian AND readoff: prints as
    :math:`K_\ell` and becomes its closed form (lemma G7) once :math:`\ell` is a number, so the
    closed forms written with it evaluate exactly as the expanded ones."""

    @classmethod
    def eval(cls, l):
        if l.is_Number:
            return sign_moment("gaussian", (1, 1), "UV", 1).xreplace({LSYM: l})
        return None

    def _latex(self, printer, exp=None):
        arg = self.args[0]
        sub = printer._print(arg) if arg.is_Atom else "{%s}" % printer._print(arg)
        out = r"K_{%s}" % sub
        return out if exp is None else r"K_{%s}^{%s}" % (sub, exp)


class KEllPm(sp.Function):
    r"""The same constant for :math:`\pm1` weights, :math:`K^\pm_\ell` (lemma R5)."""

    @classmethod
    def eval(cls, l):
        if l.is_Number:
            return sign_moment("rademacher", (1, 1), "UV", 1).xreplace({LSYM: l})
        return None

    def _latex(self, printer, exp=None):
        arg = self.args[0]
        sub = printer._print(arg) if arg.is_Atom else "{%s}" % printer._print(arg)
        out = r"K^{\pm}_{%s}" % sub
        return out if exp is None else r"\left(K^{\pm}_{%s}\right)^{%s}" % (sub, exp)


def same_numbers(expr: sp.Expr, shown: sp.Expr, points) -> sp.Expr:
    """``shown`` (a display form of ``expr``) after asserting it equals ``expr`` to 30 digits at
    each point (a dict symbol -> integer); the registry prints ``shown`` and evaluates it."""
    for at in points:
        at = {s: sp.Integer(v) for s, v in at.items()}
        a, b = sp.N(expr.xreplace(at), 40), sp.N(shown.xreplace(at), 40)
        assert abs(a - b) <= sp.Float(10) ** -30 * max(1, abs(a)), (at, a, b)
    return shown


class BothOn(sp.Function):
    """The Iverson bracket ``[on = 2]``: the AND target when both inputs of the pair are on."""

    @classmethod
    def eval(cls, on):
        if on.is_Number:
            return sp.Integer(1 if on == 2 else 0)
        return None

    def _latex(self, printer, exp=None):
        out = r"[%s=2]" % printer._print(self.args[0])
        return out if exp is None else r"%s^{%s}" % (out, exp)



# ---------------------------------------------------- Rademacher lemmas (R1-R5)
# S_n = sum of n iid +-1 signs.  Proved by enumeration in tests/test_uand_random_derive.py.


def rad_p0(n) -> sp.Expr:
    """R1: P(S_n = 0) = [n even] binom(n, n/2) / 2^n."""
    return (1 + (-1) ** n) / 2 * sp.binomial(n, sp.floor(n / 2)) / 2**n


def rad_abs(n) -> sp.Expr:
    """R2: E|S_n| = n binom(n-1, floor((n-1)/2)) / 2^(n-1)  (n >= 1)."""
    return n * sp.binomial(n - 1, sp.floor((n - 1) / 2)) / 2 ** (n - 1)


def rademacher_sign_moment(case, s: str, p: int, l=LSYM) -> sp.Expr:
    r""":math:`\mathbb E[(X^+)^p s_S]` for :math:`\pm1` weights, p in {1, 2}.

    R3: :math:`\mathbb E[X^+]=\mathbb E|S_\ell|/2`, :math:`\mathbb E[(X^+)^2]=\ell/2` (X = S_l).
    R4 (:math:`x_i=1`, :math:`X=U+S_{\ell-1}`): :math:`\mathbb E[X^+s_U]=\frac12`,
    :math:`\mathbb E[(X^+)^2s_U]=\mathbb E|S_{\ell-1}|+\frac12P(S_{\ell-1}=0)` (differences of
    :math:`t^+` and :math:`(t^+)^2` at :math:`t\pm1`).
    R5 (:math:`x_i=x_j=1`, :math:`X=U+V+T`, :math:`T=S_{\ell-2}`):
    :math:`\mathbb E[X^+s_Us_V]=\frac14\mathbb E[(2-|T|)^+]=\binom{\ell-2}{\lfloor(\ell-2)/2\rfloor}2^{1-\ell}`,
    :math:`\mathbb E[(X^+)^2s_Us_V]=1` (second differences).  A sign not wired to X
    (:math:`x=0`) is independent of everything else: mean 0.
    """
    if any(case["UV".index(ch)] == 0 for ch in s):
        return sp.Integer(0)
    table = {
        ("", 1): rad_abs(l) / 2,
        ("", 2): l / sp.Integer(2),
        ("U", 1): sp.Rational(1, 2),
        ("V", 1): sp.Rational(1, 2),
        ("U", 2): rad_abs(l - 1) + rad_p0(l - 1) / 2,
        ("V", 2): rad_abs(l - 1) + rad_p0(l - 1) / 2,
        ("UV", 1): sp.binomial(l - 2, sp.floor((l - 2) / 2)) / 2 ** (l - 1),
        ("UV", 2): sp.Integer(1),
    }
    if (s, p) not in table:
        raise ValueError(f"Rademacher sign moments are tabulated for p in 1, 2; got p={p}")
    return table[(s, p)]


@lru_cache(maxsize=None)
def sign_moment(weights: str, case, s: str, p: int, l=LSYM) -> sp.Expr:
    if weights == "gaussian":
        return gaussian_sign_moment(case, s, p, l)
    return rademacher_sign_moment(case, s, p, l)


# ------------------------------------------------------------------- the derivation


def _unknowns(target: str) -> tuple[str, ...]:
    return ("U", "") if target == "feature" else SIGNS


def solve(weights: str, target: str, l=LSYM) -> dict[str, sp.Expr]:
    """Sign-basis coefficients from the 4 unbiasedness conditions E[r X^+] = target(case)."""
    names = _unknowns(target)
    cs = sp.symbols(f"c0:{len(names)}")
    eqs = [sum(c * sign_moment(weights, case, s, 1, l) for c, s in zip(cs, names)) - t
           for case, t in zip(CASES, TARGETS[target])]
    (sol,) = sp.linsolve(eqs, cs)  # the feature system is overdetermined but consistent
    return {s: _tidy(v) for s, v in zip(names, sol)}


def moment_of_readoff(weights, coefs, case, q: int, l=LSYM) -> sp.Expr:
    """E[(r X^+)^q] for r = sum_S coefs[S] s_S (r^q expanded in the sign algebra)."""
    return sum(v * sign_moment(weights, case, s, q, l) for s, v in _power(coefs, q).items())


def _derive_all() -> dict:
    """Everything symbolic, per (weights, target): coefficients, per-case mean and C^2."""
    out: dict = {}
    for weights in WEIGHTS:
        for target in TARGETS:
            coefs = solve(weights, target)
            mean, ms = {}, {}
            for case, t in zip(CASES, TARGETS[target]):
                mean[case] = _tidy(moment_of_readoff(weights, coefs, case, 1))
                # mean must reduce to the target exactly; keep C^2 unexpanded (readable)
                ms[case] = moment_of_readoff(weights, coefs, case, 2) - t**2
                assert mean[case] == t, (weights, target, case, mean[case])
            out[(weights, target)] = {
                "signs": coefs, "indicator": tuple(_tidy(x) for x in indicator_coefficients(coefs)),
                "mean": mean, "ms": ms,
                "moments1": {case: {s: sign_moment(weights, case, s, 1) for s in SIGNS} for case in CASES},
                "moments2": {case: {s: sign_moment(weights, case, s, 2) for s in SIGNS} for case in CASES},
            }
            feat = target == "feature"
            out[(weights, target)]["mean_on"] = _by_on(mean, feat)
            out[(weights, target)]["c_on"] = _by_on({k: sp.sqrt(v) for k, v in ms.items()}, feat)
    return out


@lru_cache(maxsize=1)
def derived() -> dict:
    """The cached symbolic derivation (keyed by the source of this module and the lemma table);
    read from disk once per process."""
    return _cache.cached("uand-random", _derive_all, sys.modules[__name__], _gaussian)


# ------------------------------------------------------------------- public helpers


def _check_args(target: str, l, weights: str) -> int:
    if target not in TARGETS:
        raise BadInput(f"unknown target {target!r} (known: {', '.join(TARGETS)})")
    if weights not in WEIGHTS:
        raise BadInput(f"unknown weights {weights!r} (known: {', '.join(WEIGHTS)})")
    if isinstance(l, bool) or not isinstance(l, int) or l < 2:
        raise BadInput(f"l must be an integer >= 2, got {l!r}")
    return l


@lru_cache(maxsize=None, typed=True)
def coefficients(target: str, l: int, weights: str = "gaussian") -> tuple[float, float, float, float]:
    """(alpha, beta, gamma, delta) as floats, from the derived closed forms (feature: alpha=gamma=0)."""
    _check_args(target, l, weights)
    exprs = derived()[(weights, target)]["indicator"]
    return tuple(float(sp.N(e.xreplace({LSYM: sp.Integer(l)}), 30)) for e in exprs)


def _same(a: sp.Expr, b: sp.Expr) -> bool:
    return _tidy(a - b) == 0


def _by_on(per_case: dict, feature: bool = False) -> sp.Expr:
    """One expression in the symbol ``on`` from per-case ones (01 and 10 must agree)."""
    if feature:  # on = x_i; the feature readoff ignores x_j: use cases 00 and 10
        e0, e1 = per_case[(0, 0)], per_case[(1, 0)]
        assert _same(e0, per_case[(0, 1)]) and _same(e1, per_case[(1, 1)])
        return e1 if _same(e0, e1) else sp.Piecewise((e1, sp.Eq(ONSYM, 1)), (e0, True))
    e0, e1, e2 = per_case[(0, 0)], per_case[(1, 0)], per_case[(1, 1)]
    assert _same(per_case[(0, 1)], e1), "cases 01 and 10 differ"
    if _same(e0, e1):
        return sp.Piecewise((e2, sp.Eq(ONSYM, 2)), (e0, True))
    return sp.Piecewise((e2, sp.Eq(ONSYM, 2)), (e1, sp.Eq(ONSYM, 1)), (e0, True))


def edgeworth_mae_coefficient(l: int, on: int, target: str = "and") -> float:
    r"""c with :math:`\sqrt N\,\mathbb E|e|=C\sqrt{2/\pi}\,(1+c/N+o(1/N))` (Gaussian weights).

    Edgeworth expansion of a non-lattice iid mean (Y = r X^+ has an absolutely continuous
    part, so Cramér's condition holds): with the per-neuron skewness :math:`\gamma_1` and
    excess kurtosis :math:`\kappa` of Y, :math:`c=(\gamma_1^2-\kappa)/24`, because
    :math:`\int|x|\varphi He_4=-2\varphi(0)`, :math:`\int|x|\varphi He_6=6\varphi(0)` and the
    odd :math:`He_3` term integrates to 0.  Moments from G7 (p = 3, 4) at integer l.
    """
    _check_args(target, l, "gaussian")
    case = {0: (0, 0), 1: (1, 0), 2: (1, 1)}[on]
    lv = sp.Integer(l)
    coefs = {s: v.xreplace({LSYM: lv}) for s, v in derived()[("gaussian", target)]["signs"].items()}
    raw = [sp.N(moment_of_readoff("gaussian", coefs, case, q, lv), 30) for q in (1, 2, 3, 4)]
    m1, m2, m3, m4 = raw
    var = m2 - m1**2
    c3 = m3 - 3 * m1 * m2 + 2 * m1**3
    c4 = m4 - 4 * m1 * m3 + 6 * m1**2 * m2 - 3 * m1**4
    skew2, exkurt = c3**2 / var**3, c4 / var**2 - 3
    return float((skew2 - exkurt) / 24)


def _lx(e) -> str:
    return e if isinstance(e, str) else _latex(e)


@lru_cache(maxsize=None)
def _latex(e: sp.Basic) -> str:
    # the same few dozen closed forms appear in the steps of many quantities
    return sp.latex(e)


# Fix the source hash of the derivation cache at import time (see derive/cache.py).
_cache.code_hash(sys.modules[__name__], _gaussian)
