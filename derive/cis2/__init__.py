r"""CiS2 (Circuits in Superposition 2): capacity, overlap statistics, error terms.

Math reference: ``shared/math/cis2.md`` (equation numbers are RiS's).  Every formula the
notes tag [reconstructed] is re-derived here and checked (tests/test_cis2_derive.py against
exact enumeration, verify/cis2.py by Monte Carlo on the real factored network).

**Setting** (cis2.md §1, §3, §6).  ``N = D/d`` positions per block, ``T`` circuits, each an
``S``-subset :math:`\mathcal S^l_t` of the positions (prime-step allocation,
``derive/cis2_alloc.py``, cis2.md §4), freshly permuted among circuits at every layer.
Weights :math:`W^l=\sum_t E^l_t w^l_t U^{l-1}_t` (6.5), so the pre-activation at position
``n`` is :math:`P^l_n=\sum_{u\ni n} w^l_u\hat{\mathbf a}^{l-1}_u` (+ bias): the network
re-broadcasts every circuit's *read-out*.  Overlaps :math:`o_{tu}\in\{0,1\}`.

**Exact allocation statistics.**  The permutation is uniform, so for distinct circuits the
pair (and triple...) of subsets they get is a uniform draw of distinct subsets; every
expectation below is therefore an exact finite sum over the loads
:math:`\lambda_n=\#\{t:n\in\mathcal S_t\}` (cis2.md §5):

* :math:`P_{\rm sh}=\Pr(o_{tu}=1)=\sum_n\lambda_n(\lambda_n-1)/(T(T-1))`;
* :math:`P_3=\Pr(o_{tu}=o_{tv}=1)=\sum_a\deg_a(\deg_a-1)/(T(T-1)(T-2))`,
  :math:`\deg_a=\sum_{n\in\mathcal S_a}(\lambda_n-1)`;
* for an inactive ``u`` and a uniform active set of size ``z``: ``k_u`` = number of positions
  of ``u`` covered by the active circuits, with :math:`K_1=\mathbb E k_u`,
  :math:`K_2=\mathbb E k_u^2`, and :math:`C=\Pr(` two inactive circuits share a position that
  an active circuit covers :math:`)`.

**Error model** (hypothesis (H), ``ideal`` mode: neurons of active circuits pass their
pre-activation, all others output 0; zero-mean circuits, independent across circuits and
layers, isotropic :math:`\mathbb E[w^\top w]=g\,I`, linear on the active path).  With
:math:`\delta^{l}_u=\hat{\mathbf a}^l_u-\mathbf a^l_u`:

.. math::
   \delta^l_t = w_t\delta^{l-1}_t + \underbrace{\tfrac1S\sum_{v\in\mathcal V\setminus t}
   o^l_{tv}w_v\mathbf a^{l-1}_v}_{\text{overlap}} + \underbrace{\tfrac1S\sum_{u\ne t}
   o^l_{tu}w_u\delta^{l-1}_u}_{\text{propagation}}\quad(t\in\mathcal V)

.. math::
   \delta^l_u = \underbrace{\tfrac1S\sum_{v\in\mathcal V}o^l_{uv}\mathbf a^l_v}_{\text{overlap}}
   + \underbrace{\tfrac1S\big(k_u w_u\delta^{l-1}_u+\sum_{u'\ne u}c_{uu'}w_{u'}\delta^{l-1}_{u'}\big)}
   _{\text{propagation}}\quad(u\notin\mathcal V)

and every cross term has zero mean (independent zero-mean weights), which gives the exact
mean-square recursion implemented in :func:`ms_recursion`.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import mpmath
import numpy as np
import scipy.sparse as sp_sparse
import sympy as sp

from superpose.derive.cis2 import alloc as cis2_alloc
from superpose.derive.cis2 import allocations as _allocs
from superpose.derive.cis2.designs import PALLOC
from superpose.derive.common import CIRCUIT_WIDTH, binom_ratio
from superpose.derive.quantity import BadInput, Construction, Param, Quantity, Step

# ----------------------------------------------------------------- allocation access


def subsets_array(N: int, S: int, T: int, alloc: int = 0) -> np.ndarray:
    """The first ``T`` subsets of allocation ``alloc`` (0 = prime steps), shape (T, S), int64."""
    try:
        sub = np.asarray(cis2_alloc.subsets(N, S, limit=T, alloc=alloc), dtype=np.int64)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    if sub.shape[0] < T:
        raise BadInput(f"the allocation at N={N}, S={S} holds only {sub.shape[0]} circuits, asked T={T}")
    return sub


@dataclass(frozen=True)
class AllocStats:
    """Exact overlap statistics of the first ``T`` subsets under a uniform permutation.

    psh: P(o_tu = 1); p3: P(o_tu = o_tv = 1) (t, u, v distinct); k1, k2: E k_u, E k_u^2
    (positions of an inactive u covered by a uniform active set of size z); c: P(two
    inactive circuits share a position covered by the active set).  See module docstring.
    """

    N: int
    S: int
    T: int
    z: int
    psh: float
    p3: float
    k1: float
    k2: float
    c: float


#: Above this many (circuit, ordered position pair) terms the pair sum of ``k2`` is taken over
#: the histogram of load pairs (:func:`_both_by_load_pairs`, O(T S) work) instead of the
#: direct O(T S^2 z) loop; both are exact finite sums and agree to rounding (~1e-15 relative,
#: tests/test_cis2_derive.py).  The direct loop stays below it so that every size the report
#: uses keeps its numbers to the last bit.
PAIR_LOOP_MAX = 5 * 10**7


def _both_by_load_pairs(lsub: np.ndarray, q1: np.ndarray, T: int, z: int) -> float:
    """``sum_t sum_{a != b} (1 - q1[l_ta] - q1[l_tb] + C(T+1-l_ta-l_tb, z)/C(T-1, z))``.

    The summand depends only on the pair of loads ``(u, v)``; the number of (t, a != b) with
    loads (u, v) is ``C = sum_t h_t h_t^T - diag(sum_t h_t)`` (``h_t`` the histogram of the loads
    of subset ``t``), accumulated in blocks of circuits, exactly (integer counts < 2^53).
    """
    Tn, S = lsub.shape
    nl = int(lsub.max(initial=0)) + 1
    cnt = np.zeros((nl, nl))
    rows = max(1, (1 << 22) // S)
    for t0 in range(0, Tn, rows):
        blk = lsub[t0:t0 + rows]
        r = np.repeat(np.arange(blk.shape[0]), S)
        h = sp_sparse.csr_matrix((np.ones(blk.size), (r, blk.ravel())),
                                 shape=(blk.shape[0], nl))      # duplicates summed: h_t
        cnt += (h.T @ h).toarray()
    cnt -= np.diag(np.bincount(lsub.ravel(), minlength=nl).astype(np.float64))
    u = np.arange(nl)
    neither = binom_ratio(T + 1 - (u[:, None] + u[None, :]), T - 1, z)   # (nl, nl)
    return float(np.sum(cnt * (1 - q1[:nl, None] - q1[None, :nl] + neither)))


def stats_from_subsets(sub: np.ndarray, N: int, z: int) -> AllocStats:
    """AllocStats of an explicit (T, S) subset array (exact finite sums over the loads)."""
    T, S = sub.shape
    lam = np.bincount(sub.ravel(), minlength=N).astype(np.int64)  # (N,) loads
    pair = int(np.sum(lam * (lam - 1)))                             # sum_{t != u} o_tu
    psh = pair / (T * (T - 1)) if T >= 2 else 0.0
    deg = (lam[sub] - 1).sum(axis=1)                                # (T,) overlap degrees
    p3 = float(np.sum(deg * (deg - 1))) / (T * (T - 1) * (T - 2)) if T >= 3 else 0.0
    if not 1 <= z <= T - 1:
        return AllocStats(N, S, T, z, psh, p3, math.nan, math.nan, math.nan)
    # q1[lam] = P(a fixed position with load lam, held by u, is NOT covered by V), V ~ z of T-1
    q1 = binom_ratio(T - np.arange(int(lam.max()) + 1), T - 1, z)
    k1 = float(np.sum(lam * (1 - q1[lam]))) / T
    # pairs of positions n != n' of the same subset: held by disjoint sets of other circuits
    lsub = lam[sub]                                                 # (T, S)
    if T * S * (S - 1) <= PAIR_LOOP_MAX:
        both = 0.0
        for a in range(S):
            for b in range(S):
                if a == b:
                    continue
                la, lb = lsub[:, a], lsub[:, b]
                neither = binom_ratio(T + 1 - la - lb, T - 1, z)
                both += float(np.sum(1 - q1[la] - q1[lb] + neither))
    else:
        both = _both_by_load_pairs(lsub, q1, T, z)
    k2 = k1 + both / T
    if T >= 3 and z <= T - 2:
        cov = np.where(lam >= 2, 1 - binom_ratio(T - lam, T - 2, z), 0.0)
        c = float(np.sum(lam * (lam - 1) * cov)) / (T * (T - 1))
    else:
        c = math.nan
    return AllocStats(N, S, T, z, psh, p3, k1, k2, c)


@functools.lru_cache(maxsize=256)
def alloc_stats(N: int, S: int, T: int, z: int = 1, alloc: int = 0) -> AllocStats:
    """Exact statistics of the real allocation (first ``T`` subsets of ``alloc`` at ``N``, ``S``)."""
    return stats_from_subsets(subsets_array(N, S, T, alloc), N, z)


# ----------------------------------------------------------------------- capacity


def capacity(D: int, d: int, S: int, alloc: int = 0) -> int:
    """T_max: the number of subsets allocation ``alloc`` (0 = prime steps) emits at N = D/d."""
    try:
        return int(cis2_alloc.capacity(D, d, S, alloc))
    except ValueError as exc:
        raise BadInput(str(exc)) from None


def capacity_limit(S: int, dps: int = 30) -> mpmath.mpf:
    r"""c_S = lim_{N->oo} T_max / N^2 (derived here; cis2.md §4 only says Theta(N^2)).

    A step s = xN contributes sum_r floor(ceil((N-r)/s)/S) = N x phi(1/x) subsets, where
    phi is the piecewise-linear interpolation of floor(y/S) between integers; steps m
    coprime to the primes < S have density delta_S = prod_{p<S}(1-1/p), and a composite S
    adds the families m S^n (n >= 1), a factor 1 + sum_n S^-n = S/(S-1).  Hence
    c_S = delta_S kappa_S int_{S-1}^oo phi(y) y^-3 dy, and with phi = sum_j ramp_j
    (ramp_j rising from jS-1 to jS), int ramp_j y^-3 = 1/(2 jS (jS-1)), so
    c_S = delta_S kappa_S (1/(2S)) sum_j 1/(j(jS-1)) = -delta_S kappa_S (psi(1-1/S)+gamma)/(2S).
    S = 2: ln(2)/2.
    """
    with mpmath.workdps(dps):
        delta = mpmath.mpf(1)
        for p in sp.primerange(2, S):
            delta *= 1 - mpmath.mpf(1) / p
        kappa = mpmath.mpf(1) if sp.isprime(S) else mpmath.mpf(S) / (S - 1)
        return -delta * kappa * (mpmath.digamma(1 - mpmath.mpf(1) / S) + mpmath.euler) / (2 * S)


# ---------------------------------------------------------------- error recursion


@dataclass(frozen=True)
class Recursion:
    """Per-layer mean squares (index l-1 holds layer l), see :func:`ms_recursion`."""

    overlap_active: tuple[float, ...]
    overlap_inactive: tuple[float, ...]
    carried_active: tuple[float, ...]      # E|w_t delta^{l-1}_t|^2 = g A_{l-1}
    propagation_active: tuple[float, ...]
    propagation_inactive: tuple[float, ...]
    total_active: tuple[float, ...]
    total_inactive: tuple[float, ...]
    rho: tuple[float, ...]                 # E|a^l_v|^2


def ms_recursion(st: AllocStats, L: int, g: float, rho0: float) -> Recursion:
    r"""Exact mean squares of the ideal-mode errors, layers 1..L (module docstring model).

    With :math:`\rho_l=g^l\rho_0`, :math:`p=P_{\rm sh}/S^2`:

    * overlap, active: :math:`(z-1)\,p\,g\rho_{l-1}`; inactive: :math:`z\,p\,\rho_l`;
    * propagation, active: :math:`p\,g\,[(z-1)A_{l-1}+(T-z)I_{l-1}]`;
      inactive: :math:`\frac g{S^2}[K_2I_{l-1}+zP_{\rm sh}A_{l-1}+(T-z-1)C\,I_{l-1}]`;
    * :math:`A_l=gA_{l-1}+\text{overlap}+\text{propagation}`, :math:`I_l=` overlap + propagation;
      :math:`A_0=I_0=0` (layer-0 injection is exact, so layer 1 has no propagation).
    """
    S, T, z = st.S, st.T, st.z
    p = st.psh / S**2
    A = I = 0.0
    out: dict[str, list[float]] = {k: [] for k in Recursion.__dataclass_fields__}
    c = st.c if T - z - 1 > 0 else 0.0
    for l in range(1, L + 1):
        rho_prev, rho = rho0 * g ** (l - 1), rho0 * g**l
        ov_a = (z - 1) * p * g * rho_prev
        ov_i = z * p * rho
        pr_a = p * g * ((z - 1) * A + ((T - z) * I if T > z else 0.0))   # z = T: I is NaN
        pr_i = g / S**2 * (st.k2 * I + z * st.psh * A + (T - z - 1) * c * I)
        carried = g * A
        A, I = carried + ov_a + pr_a, ov_i + pr_i
        for k, v in (("overlap_active", ov_a), ("overlap_inactive", ov_i),
                     ("carried_active", carried), ("propagation_active", pr_a),
                     ("propagation_inactive", pr_i), ("total_active", A),
                     ("total_inactive", I), ("rho", rho)):
            out[k].append(v)
    return Recursion(**{k: tuple(v) for k, v in out.items()})


def linear_recursion(st: AllocStats, L: int, g: float, rho0: float) -> tuple[float, ...]:
    r"""Mean over all T circuits of E|delta^l_t|^2 in ``linear`` mode (no ReLU), l = 1..L.

    Every neuron passes its pre-activation, so every circuit re-broadcasts its read-out
    :math:`\hat{\mathbf a}_u=\mathbf a_u+\delta_u`:
    :math:`\delta^l_t=w_t\delta^{l-1}_t+\frac1S\sum_{u\ne t}o_{tu}w_u(\mathbf a_u+\delta_u)`.
    Averaging over t (each u appears in T-1 sums, E o_tu = P_sh) and over the zero-mean weights:
    :math:`M_l=G\,M_{l-1}+g\kappa\frac zT\rho_{l-1}`, :math:`\kappa=(T-1)P_{\rm sh}/S^2`,
    :math:`G=g(1+\kappa)` (the per-layer gain), :math:`M_0=0`.
    """
    kappa = (st.T - 1) * st.psh / st.S**2
    G = g * (1 + kappa)
    M, out = 0.0, []
    for l in range(1, L + 1):
        M = G * M + g * kappa * st.z / st.T * rho0 * g ** (l - 1)
        out.append(M)
    return tuple(out)


def linear_gain(st: AllocStats, g: float) -> float:
    """G = g (1 + (T-1) P_sh / S^2), the per-layer MS gain of ``linear`` mode."""
    return g * (1 + (st.T - 1) * st.psh / st.S**2)


def max_circuits(D: int, d: int, S: int, z: int, L: int, eps: float, g: float,
                 alloc: int = 0) -> int:
    """Largest T <= T_max with A_L(T) <= eps^2 rho_L (predicted active MS at layer L).

    A_L / rho_L does not depend on rho0.  Bisection over T (A_L is increasing in T: more
    circuits, more sharing; checked by a full scan in the tests); 0 if even T = z + 2 fails.
    """
    N, Tmax = D // d, capacity(D, d, S, alloc)

    def ok(T: int) -> bool:
        rec = ms_recursion(alloc_stats(N, S, T, z, alloc), L, g, 1.0)
        return rec.total_active[-1] <= eps**2 * rec.rho[-1]

    lo = z + 2
    if lo > Tmax or not ok(lo):
        return 0
    if ok(Tmax):
        return Tmax
    hi = Tmax  # ok(lo) and not ok(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    return lo


# --------------------------------------------------------------------- parameters

NAME = "cis2"
SOURCE = "CiS2 (Linsefors & Bushnaq 2025) / RiS; shared/math/cis2.md"
PD = Param("D", int, 1000, lo=2, hi=10**6, doc="network width (neurons per layer)")
Pd = Param("d", int, CIRCUIT_WIDTH, lo=1, hi=10**4, doc="circuit width; must divide D")
PS = Param("S", int, 6, lo=2, hi=64, doc="redundancy: large neurons per small neuron")
PT = Param("T", int, 557, lo=1, hi=10**6, doc="number of circuits, <= capacity(D, d, S)")
Pz = Param("z", int, 2, lo=1, hi=10**4, doc="active circuits per forward pass, <= T")
Pl = Param("l", int, 2, lo=1, hi=64, doc="layer (1 = first layer after the input injection)")
PL = Param("L", int, 4, lo=1, hi=64, doc="number of layers")
Peps = Param("eps", float, 0.2, lo=1e-9, hi=1e3, doc="target relative RMS error at layer L")
Pg = Param("g", float, 1.0, lo=1e-9, hi=1e3,
           doc="circuit gain: E[w^T w] = g I (isotropic zero-mean family; measured from circuits)")
Prho0 = Param("rho0", float, 1.0, lo=1e-12, hi=1e12, doc="E|a^0_v|^2 (input power)")
Psw2 = Param("sigma_w2", float, 1.0, lo=0.0, hi=1e12, doc="E_v|w^l_v a^(l-1)_v|^2 (circuit statistic)")
Pmw2 = Param("mu_w2", float, 0.0, lo=0.0, hi=1e12, doc="|E_v w^l_v a^(l-1)_v|^2 (0 for zero-mean w)")
Prho = Param("rho", float, 1.0, lo=0.0, hi=1e12, doc="E_v|a^l_v|^2 (circuit statistic)")
Pm2 = Param("mu2", float, 0.0, lo=0.0, hi=1e12, doc="|E_v a^l_v|^2 (circuit statistic)")
Pamax = Param("amax", float, 1.0, lo=0.0, hi=1e12, doc="max_v ||a^l_v||_inf (resp. ||w_v a_v||_inf)")
Psig2 = Param("sigma2", float, 1.0, lo=0.0, hi=1e12,
              doc="stationary circuit power sigma_w^2 = sigma_x^2 = rho (the notes' (6.41) setting)")


def _check(p: dict) -> str | None:
    """Cross-parameter validation (BadInput message or None)."""
    if "D" in p and "d" in p:
        D, d = p["D"], p["d"]
        if D % d:
            return f"d={d} must divide D={D}"
        if "S" in p:
            N, S = D // d, p["S"]
            if N < S:
                return f"N = D/d = {N} must be >= S = {S} (no S-subset fits)"
            msg = cis2_alloc.alloc_error(N, S, p.get("alloc", 0))
            if msg:
                return msg
            if "T" in p:
                Tmax = capacity(D, d, S, p.get("alloc", 0))
                if p["T"] > Tmax:
                    return f"T={p['T']} exceeds the allocation's capacity T_max={Tmax} at D={D}, d={d}, S={S}"
    if "z" in p and "T" in p and p["z"] > p["T"]:
        return f"z={p['z']} must be <= T={p['T']}"
    if "z" in p and "S" in p and "D" in p and "d" in p and "T" not in p:
        if p["z"] + 2 > capacity(p["D"], p["d"], p["S"], p.get("alloc", 0)):
            return f"z={p['z']} too large for the capacity at D={p['D']}, d={p['d']}, S={p['S']}"
    if "l" in p and "L" in p and p["l"] > p["L"]:
        return f"l={p['l']} must be <= L={p['L']}"
    return None


def _check_inactive(p: dict) -> str | None:
    """:func:`_check`, and a quantity about inactive circuits needs one (z < T)."""
    msg = _check(p)
    if msg or "z" not in p or "T" not in p:
        return msg
    return cis2_alloc.inactive_error(p["T"], p["z"])


def _check_pairs(p: dict) -> str | None:
    """:func:`_check`, and a statistic of circuit pairs needs two circuits."""
    return _check(p) or (f"no circuit pairs: T = {p['T']}" if p.get("T", 2) < 2 else None)


#: The size check of a quantity by what it needs: ``inactive`` (a statistic of inactive
#: circuits refuses z = T), ``pairs`` (a statistic of circuit pairs refuses T = 1).
_NEEDS = {"": _check, "inactive": _check_inactive, "pairs": _check_pairs}


def _q(short, params, statistic, accuracy, definition, *, needs: str = "", **kw) -> Quantity:
    if {PD, Pd, PS} <= set(params) and kw.get("closed_form") is None:
        params = tuple(params) + (PALLOC,)     # built from the allocation: any allocation
    return Quantity(f"{NAME}.{short}", params, statistic, accuracy, definition,
                    constraint=_NEEDS[needs], source=kw.pop("source", SOURCE), **kw)


def _st(D, d, S, T, z=1, alloc=0) -> AllocStats:
    return alloc_stats(D // d, S, T, z, alloc)


def _rec(D, d, S, T, z, l, g, rho0, alloc=0) -> Recursion:
    return ms_recursion(_st(D, d, S, T, z, alloc), l, g, rho0)


_P_SH = r"P_{\rm sh}=\frac{\sum_n\lambda_n(\lambda_n-1)}{T(T-1)}"
_EXACT_WHY = ("exact in expectation over the per-layer permutations, the active set and the "
              "zero-mean circuit draw (every cross term has a zero-mean independent weight factor)")


# --------------------------------------------------------------------- quantities


def _capacity_quantities() -> list[Quantity]:
    return [
        _q("capacity", (PD, Pd, PS), "count", "exact",
           r"T_{\max}=\#\{\text{subsets emitted by the prime-step allocation at }N=D/d\}",
           compute=lambda D, d, S, alloc=0: capacity(D, d, S, alloc), integer=True, eq_label="eq:cis2-capacity",
           source="RiS (T_max = 557 at N = 250, S = 6); cis2.md §4",
           doc="T_max by running the allocation; 557 at D=1000, d=4, S=6 (published)",
           steps=(Step(r"T_{\max}", r"\sum_s\sum_{r=0}^{s-1}\Big\lfloor\frac{\lceil (N-r)/s\rceil}{S}\Big\rfloor",
                       "each shift r of step s is cut into floor(count/S) blocks"),)),
        _q("capacity_limit", (PS,), "value", "exact",
           r"c_S=\lim_{N\to\infty}T_{\max}(N,S)/N^2",
           compute=lambda S: float(capacity_limit(S)), eq_label="eq:cis2-capacity-limit",
           source="derived here (cis2.md §4: Theta(N^2) [reconstructed])",
           doc="c_S = -delta_S kappa_S (psi(1-1/S) + gamma)/(2S); T_max = c_S N^2 + O(N)",
           steps=(Step(r"T_{\max}", r"\sum_{s}N\,x\,\phi(1/x),\ x=s/N,\ \phi=\text{lin. interp. of }\lfloor y/S\rfloor",
                       "shift r < N mod s has one element more"),
                  Step(r"c_S", r"\delta_S\kappa_S\int_{S-1}^\infty\phi(y)\,y^{-3}dy",
                       r"steps coprime to primes < S have density \delta_S=\prod_{p<S}(1-1/p); "
                       r"composite S adds m S^n: \kappa_S=S/(S-1)"),
                  Step("", r"\frac{\delta_S\kappa_S}{2S}\sum_{j\ge1}\frac1{j(jS-1)}"
                       r"=-\frac{\delta_S\kappa_S}{2S}\big(\psi(1-\tfrac1S)+\gamma\big)",
                       r"\int \mathrm{ramp}_j/y^3=1/(2jS(jS-1)); digamma series"))),
    ]


def _overlap_quantities() -> list[Quantity]:
    D, d, S, T = (p.symbol for p in (PD, Pd, PS, PT))
    q_expr = d / D - 1 / (S * T)
    base = (PD, Pd, PS, PT)
    return [
        _q("share_prob", base, "probability", "exact", r"\Pr_{t\ne u}(o_{tu}=1)",
           needs="pairs",
           compute=lambda D, d, S, T, alloc=0: _st(D, d, S, T, alloc=alloc).psh, eq_label="eq:cis2-psh",
           doc="exact sharing probability of two distinct circuits (from the loads)",
           steps=(Step(r"P_{\rm sh}", r"\frac{\sum_{t\ne u}o_{tu}}{T(T-1)}", "uniform permutation"),
                  Step("", r"\frac{\sum_n\lambda_n(\lambda_n-1)}{T(T-1)}", "o_tu <= 1: a shared pair shares one position"))),
        _q("overlap_mean", base, "mean", "exact", r"\mathbb E_{t\ne u}[o_{tu}/S]",
           needs="pairs",
           compute=lambda D, d, S, T, alloc=0: _st(D, d, S, T, alloc=alloc).psh / S, eq_label="eq:cis2-overlap-mean",
           doc="mean of o/S: P_sh/S (~ S d/D, not zero-mean)",
           steps=(Step(r"\mathbb E[o/S]", r"P_{\rm sh}/S", "o in {0,1}"),)),
        _q("overlap_ms", base, "mean-square", "exact", r"\mathbb E_{t\ne u}[(o_{tu}/S)^2]",
           needs="pairs",
           compute=lambda D, d, S, T, alloc=0: _st(D, d, S, T, alloc=alloc).psh / S**2, eq_label="eq:cis2-overlap-ms",
           doc="exact mean square of o/S: P_sh/S^2 (corrects the d/D and q approximations)",
           steps=(Step(r"\mathbb E[(o/S)^2]", r"P_{\rm sh}/S^2", "o^2 = o"),)),
        _q("overlap_ms_dD", (PD, Pd), "mean-square", "approximate", r"\mathbb E_{t\ne u}[(o_{tu}/S)^2]",
           closed_form=d / D, published=True, tolerance=0.05,
           tolerance_reason="leading order (uniform loads, T -> oo); deviation reported as info",
           eq_label="eq:cis2-overlap-dD", source="CiS2 [restated] (cis2.md §5)",
           doc="CiS2's approximation d/D of the overlap mean square"),
        _q("overlap_ms_q", base, "mean-square", "approximate", r"\mathbb E_{t\ne u}[(o_{tu}/S)^2]",
           closed_form=q_expr, published=True, tolerance=0.05,
           tolerance_reason="uniform-load value with T-1 -> T; negative (invalid) when T S d/D < 1",
           eq_label="eq:ris-6.3", source="RiS (6.3)",
           doc="RiS (6.3): q = d/D - 1/(S T); valid only when T S d/D > 1 (else the allocation shares nothing)"),
    ]


def _error_quantities() -> list[Quantity]:
    D, d, S, T, z, l = (p.symbol for p in (PD, Pd, PS, PT, Pz, Pl))
    rho, sw2, sig2, L, eps = Prho.symbol, Psw2.symbol, Psig2.symbol, PL.symbol, Peps.symbol
    q = d / D - 1 / (S * T)
    rec = (PD, Pd, PS, PT, Pz, Pl, Pg, Prho0)
    model = ("ideal mode (H), zero-mean isotropic circuits E[w^T w] = g I, independent across "
             "circuits and layers, linear on the active path; ")

    def pick(field):
        return lambda D, d, S, T, z, l, g, rho0, alloc=0: getattr(_rec(D, d, S, T, z, l, g, rho0, alloc), field)[l - 1]

    out = [
        _q("overlap_ms_active", (PD, Pd, PS, PT, Pz, Psw2, Pmw2), "mean-square", "exact",
           r"\mathbb E\big|\tfrac1S\sum_{v\in\mathcal V\setminus t}o^l_{tv}w^l_v\mathbf a^{l-1}_v\big|^2,\ t\in\mathcal V",
           compute=lambda D, d, S, T, z, sigma_w2, mu_w2, alloc=0: (
               (z - 1) * _st(D, d, S, T, z, alloc).psh * sigma_w2
               + (z - 1) * (z - 2) * _st(D, d, S, T, z, alloc).p3 * mu_w2) / S**2,
           eq_label="eq:cis2-overlap-active", doc=_EXACT_WHY + "; any layer l (sigma_w2 of layer l)",
           steps=(Step(r"\mathbb E|\mathring\epsilon^l_t|^2", r"\frac1{S^2}\sum_{v,v'\in\mathcal V\setminus t}"
                       r"\mathbb E[o_{tv}o_{tv'}]\,\mathbb E[(w_v\mathbf a_v)\cdot(w_{v'}\mathbf a_{v'})]", "expand"),
                  Step("", r"\frac{(z-1)P_{\rm sh}\sigma_w^2+(z-1)(z-2)P_3|\bar{\mu}_w|^2}{S^2}",
                       "v = v': P_sh; v != v': P_3 and independent circuits"))),
        _q("overlap_ms_inactive", (PD, Pd, PS, PT, Pz, Prho, Pm2), "mean-square", "exact",
           r"\mathbb E\big|\tfrac1S\sum_{v\in\mathcal V}o^l_{uv}\mathbf a^l_v\big|^2,\ u\notin\mathcal V",
           needs="inactive",
           compute=lambda D, d, S, T, z, rho, mu2, alloc=0: (
               z * _st(D, d, S, T, z, alloc).psh * rho + z * (z - 1) * _st(D, d, S, T, z, alloc).p3 * mu2) / S**2,
           eq_label="eq:cis2-overlap-inactive", source="corrects (6.2)/(6.4) (cis2.md §6)",
           doc=_EXACT_WHY + "; the overlap part of the inactive error (6.1)",
           steps=(Step(r"\mathbb E|\mathring\epsilon^l_u|^2",
                       r"\frac{zP_{\rm sh}\rho_l+z(z-1)P_3|\bar{\mathbf a}|^2}{S^2}", "as for active, z sources"),)),
        _q("worst_overlap_inactive", (PS, Pz, Pamax), "max", "upper-bound",
           r"\max_{u\notin\mathcal V,i}\big|\tfrac1S\sum_{v\in\mathcal V}o_{uv}(\mathbf a_v)_i\big|",
           needs="inactive",
           closed_form=z * Pamax.symbol / S, eq_label="eq:cis2-worst-inactive",
           doc="tight: attained when u shares one position with each of z active circuits of equal sign",
           steps=(Step(r"|\mathring\epsilon_{u,i}|", r"\frac1S\sum_v o_{uv}|(\mathbf a_v)_i|\le\frac zS\max_v\|\mathbf a_v\|_\infty",
                       "o in {0,1}, |V| = z"),)),
        _q("worst_overlap_active", (PS, Pz, Pamax), "max", "upper-bound",
           r"\max_{t\in\mathcal V,i}\big|\tfrac1S\sum_{v\in\mathcal V\setminus t}o_{tv}(w_v\mathbf a_v)_i\big|",
           closed_form=(z - 1) * Pamax.symbol / S, eq_label="eq:cis2-worst-active",
           doc="amax = max_v ||w_v a_v||_inf; z-1 sources",
           steps=(Step(r"|\mathring\epsilon_{t,i}|", r"\frac{z-1}S\max_v\|w_v\mathbf a_v\|_\infty", "z-1 sources"),)),
        _q("propagation_ms_active", rec, "mean-square", "exact",
           r"\mathbb E\big|\tfrac1S\sum_{u\ne t}o^l_{tu}w^l_u\delta^{l-1}_u\big|^2,\ t\in\mathcal V",
           compute=pick("propagation_active"), eq_label="eq:cis2-prop-active",
           doc=model + _EXACT_WHY + "; 0 at l = 1",
           steps=(Step(r"\mathbb E|\tilde\epsilon^l_t|^2",
                       r"\frac{gP_{\rm sh}}{S^2}\big[(z-1)A_{l-1}+(T-z)I_{l-1}\big]",
                       "o^l independent of layer l-1; distinct circuits' weights independent, zero mean"),)),
        _q("propagation_ms_inactive", rec, "mean-square", "exact",
           r"\mathbb E\big|\tfrac1S\sum_{n\in\mathcal S_u\cap\mathcal A}\sum_{u'\ni n}w_{u'}\delta^{l-1}_{u'}\big|^2,\ u\notin\mathcal V",
           needs="inactive",
           compute=pick("propagation_inactive"), eq_label="eq:cis2-prop-inactive",
           doc=model + _EXACT_WHY + "; the inactive error's carried part (dropped by the notes)",
           steps=(Step(r"\mathbb E|\tilde\epsilon^l_u|^2",
                       r"\frac g{S^2}\big[K_2I_{l-1}+zP_{\rm sh}A_{l-1}+(T-z-1)C\,I_{l-1}\big]",
                       "k_u own positions on, c_uu' shared on-positions"),)),
        _q("total_ms_active", rec, "mean-square", "exact",
           r"\mathbb E|\hat{\mathbf a}^l_t-\mathbf a^l_t|^2,\ t\in\mathcal V\ (\text{ideal})",
           compute=pick("total_active"), eq_label="eq:cis2-total-active",
           doc=model + _EXACT_WHY,
           steps=(Step(r"A_l", r"gA_{l-1}+\frac{(z-1)P_{\rm sh}}{S^2}g\rho_{l-1}+\mathbb E|\tilde\epsilon^l_t|^2",
                       "own carried error + overlap + propagation, cross terms zero-mean"),)),
        _q("total_ms_inactive", rec, "mean-square", "exact",
           r"\mathbb E|\hat{\mathbf a}^l_u|^2,\ u\notin\mathcal V\ (\text{ideal})",
           needs="inactive",
           compute=pick("total_inactive"), eq_label="eq:cis2-total-inactive",
           doc=model + _EXACT_WHY,
           steps=(Step(r"I_l", r"\frac{zP_{\rm sh}}{S^2}\rho_l+\mathbb E|\tilde\epsilon^l_u|^2", "overlap + propagation"),)),
        # --- the notes' / sources' forms, registered beside ours
        _q("overlap_ms_inactive_dD", (PD, Pd, Pz, Prho), "mean-square", "approximate",
           r"\mathbb E|\delta\mathbf a^l_u|^2", closed_form=z * d / D * rho, published=True,
           needs="inactive",
           tolerance=0.05, tolerance_reason="leading order; deviation reported as info",
           eq_label="eq:ris-6.2", source="CiS2 (6.2) [restated]", doc="z d/D rho"),
        _q("overlap_ms_inactive_q", (PD, Pd, PS, PT, Pz, Prho), "mean-square", "approximate",
           r"\mathbb E|\delta\mathbf a^l_u|^2", closed_form=z * q * rho, published=True,
           needs="inactive",
           tolerance=0.05, tolerance_reason="leading order; deviation reported as info",
           eq_label="eq:ris-6.4", source="RiS (6.4)", doc="z q rho"),
        _q("overlap_ms_active_dD", (PD, Pd, Pz, Psw2), "mean-square", "approximate",
           r"\mathbb E|\mathring\epsilon^l_t|^2", closed_form=(z - 1) * d / D * sw2, published=True,
           tolerance=0.05, tolerance_reason="leading order; deviation reported as info",
           eq_label="eq:cis2-notes-overlap-active", source="cis2.md §6 table [reconstructed]",
           doc="(z-1) d/D sigma_w^2 (the notes' per-layer overlap row)"),
        _q("total_ms_active_notes", (PD, Pd, PT, Pz, Pl, Psig2), "mean-square", "approximate",
           r"\mathbb E|\delta\mathbf a^l_t|^2",
           closed_form=(l - 1) * z * T * (d / D) ** 2 * sig2 + l * (z - 1) * d / D * sig2, published=True,
           tolerance=0.05, tolerance_reason="leading order; deviation reported as info",
           eq_label="eq:cis2-notes-total", source="cis2.md §6 [reconstructed] = (6.41) with q -> d/D",
           doc="(l-1) z T (d/D)^2 sigma^2 + l (z-1) d/D sigma^2 (stationary circuits)"),
        _q("total_ms_active_ris", (PD, Pd, PS, PT, Pz, Pl, Psig2), "mean-square", "approximate",
           r"\mathbb E|\delta\mathbf a^l_t|^2",
           closed_form=(l - 1) * T * q**2 * z * sig2 + l * q * (z - 1) * sig2, published=True,
           tolerance=0.05, tolerance_reason="leading order; deviation reported as info",
           eq_label="eq:ris-6.41", source="RiS (6.41) with w-bar = 0",
           doc="(l-1) T q^2 z sigma^2 + l q (z-1) sigma^2"),
        # --- measured only: the ReLU activation error (relu - ideal)
        _q("relu_ms_active", (PD, Pd, PS, PT, Pz, Pl), "mean-square", "exact",
           r"\mathbb E|\hat{\mathbf a}^{l,\rm relu}_t-\hat{\mathbf a}^{l,\rm ideal}_t|^2,\ t\in\mathcal V",
           eq_label="eq:cis2-relu-active", doc="ReLU activation error, measured only (no prediction)"),
        _q("relu_ms_inactive", (PD, Pd, PS, PT, Pz, Pl), "mean-square", "exact",
           r"\mathbb E|\hat{\mathbf a}^{l,\rm relu}_u-\hat{\mathbf a}^{l,\rm ideal}_u|^2,\ u\notin\mathcal V",
           needs="inactive",
           eq_label="eq:cis2-relu-inactive", doc="ReLU activation error, measured only (no prediction)"),
    ]
    return out


def _linear_quantities() -> list[Quantity]:
    D, d, T, L, eps, z = (p.symbol for p in (PD, Pd, PT, PL, Peps, Pz))
    lin = (PD, Pd, PS, PT, Pz, Pl, Pg, Prho0)

    def ratio(D, d, S, T, z, l, g, rho0, alloc=0):
        if l < 2:
            raise BadInput("linear_ms_ratio needs l >= 2 (ratio of layer l to layer l-1)")
        m = linear_recursion(_st(D, d, S, T, z, alloc), l, g, rho0)
        if m[l - 2] == 0:
            raise BadInput(f"linear_ms_ratio is 0/0 here: no shared positions (P_sh = 0 at "
                           f"D={D}, d={d}, S={S}, T={T})")
        return m[l - 1] / m[l - 2]

    return [
        _q("linear_ms", lin, "mean-square", "exact",
           r"\frac1T\sum_t\mathbb E|\hat{\mathbf a}^{l,\rm lin}_t-\mathbf a^l_t|^2",
           compute=lambda D, d, S, T, z, l, g, rho0, alloc=0: linear_recursion(_st(D, d, S, T, z, alloc), l, g, rho0)[l - 1],
           eq_label="eq:cis2-linear-ms", doc="linear mode (no suppression), mean over all circuits; " + _EXACT_WHY,
           steps=(Step(r"M_l", r"G\,M_{l-1}+g\kappa\frac zT\rho_{l-1},\quad \kappa=\frac{(T-1)P_{\rm sh}}{S^2}",
                       "every circuit re-broadcasts its read-out"),)),
        _q("linear_ms_ratio", lin, "value", "exact", r"M_l/M_{l-1}",
           compute=ratio, eq_label="eq:cis2-linear-ratio",
           doc="ratio of consecutive layers' linear-mode MS (ratio of expectations), -> G"),
        _q("linear_gain", (PD, Pd, PS, PT, Pl, Pg), "value", "asymptotic", r"\lim_{l\to\infty}M_l/M_{l-1}",
           compute=lambda D, d, S, T, l, g, alloc=0: linear_gain(_st(D, d, S, T, alloc=alloc), g),
           limit="l -> infinity (geometric growth dominates the source term)", tolerance=0.1,
           tolerance_reason="at finite l the source adds g kappa z rho/(T M_{l-1}) ~ (1+kappa)^-(l-1); "
                            "checked at l >= 4 with kappa >= 1.5, i.e. < 10%",
           eq_label="eq:cis2-linear-gain",
           doc="G = g (1 + (T-1) P_sh / S^2) ~ g (1 + T d/D - 1/S)",
           steps=(Step("G", r"g\Big(1+\frac{(T-1)P_{\rm sh}}{S^2}\Big)", "linear recursion"),
                  Step("", r"\approx g\big(1+T\tfrac dD-\tfrac1S\big)", "uniform loads"))),
        _q("linear_gain_notes", (PD, Pd, PT, Pl), "value", "approximate", r"\lim_{l\to\infty}M_l/M_{l-1}",
           closed_form=T * d / D, published=True, tolerance=0.1,
           tolerance_reason="leading order in T d/D >> 1; deviation reported as info",
           eq_label="eq:cis2-notes-gain", source="cis2.md §6 'why suppression' [reconstructed]",
           doc="the notes' per-layer gain T d/D"),
        _q("max_circuits", (PD, Pd, PS, Pz, PL, Peps, Pg), "count", "exact",
           r"\max\{T\le T_{\max}:A_L(T)\le\epsilon^2\rho_L\}",
           compute=lambda D, d, S, z, L, eps, g, alloc=0: max_circuits(D, d, S, z, L, eps, g, alloc), integer=True,
           eq_label="eq:cis2-max-circuits",
           doc="largest T whose predicted ideal-mode active MS at layer L is <= eps^2 E|a_L|^2 "
               "(exact given total_ms_active; the measured crossing is checked in verify)",
           steps=(Step(r"T^*", r"\max\{T:A_L(T)\le\epsilon^2\rho_L\}", "A_L increasing in T"),)),
        _q("max_circuits_notes", (PD, Pd, Pz, PL, Peps), "count", "approximate",
           r"\max\{T:(L-1)zT(d/D)^2+L(z-1)d/D\le\epsilon^2\}",
           closed_form=sp.Max(0, sp.floor((eps**2 - L * (z - 1) * d / D) / ((L - 1) * z * (d / D) ** 2))),
           integer=True, published=True, tolerance=0.1,
           tolerance_reason="leading order; deviation reported as info",
           eq_label="eq:cis2-notes-max", source="cis2.md §6 scaling [reconstructed]",
           doc="the notes' mean-square condition solved for T (stationary circuits, L >= 2)"),
    ]


def construction() -> Construction:
    return Construction(
        NAME, "Circuits in Superposition 2 (prime-step allocation)",
        "T circuits of width d embedded S-fold into width D; capacity, exact overlap "
        "statistics, and the ideal-mode error recursion (overlap + propagation).",
        tuple(_capacity_quantities() + _overlap_quantities() + _error_quantities()
              + _linear_quantities() + _allocs.quantities(PD, Pd, PS, PT, _check)),
        answers=_allocs.answers(),
        source=SOURCE)
