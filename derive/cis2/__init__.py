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
from superpose.derive.cis2.notation import q_ris, q_ris_expanded, with_symbols
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
SOURCE = r"\cite{cis2}; equation numbers are those of \cite{ris}"
PD = Param("D", int, 1000, lo=2, hi=10**6, doc="network width (neurons per layer)")
Pd = Param("d", int, CIRCUIT_WIDTH, lo=1, hi=10**4, doc="circuit width $d$, a divisor of $D$")
PS = Param("S", int, 6, lo=2, hi=64, doc="redundancy $S$: large neurons per small neuron")
PT = Param("T", int, 557, lo=1, hi=10**6, doc=r"number of circuits, at most the capacity $T_{\max}$")
Pz = Param("z", int, 2, lo=1, hi=10**4, doc="active circuits per forward pass, at most $T$")
Pl = Param("l", int, 2, lo=1, hi=64, doc="layer $l$; layer $1$ is the first layer after the input injection")
PL = Param("L", int, 4, lo=1, hi=64, doc="number of layers $L$")
Peps = Param("eps", float, 0.2, lo=1e-9, hi=1e3, doc=r"target relative root-mean-square error $\epsilon$ at layer $L$", latex="epsilon")
Pg = Param("g", float, 1.0, lo=1e-9, hi=1e3,
           doc=r"circuit gain $g$: $\mathbb E[w^\top w]=gI$ for the isotropic zero-mean family")
Prho0 = Param("rho0", float, 1.0, lo=1e-12, hi=1e12, doc=r"input power $\rho_0=\mathbb E|\mathbf a^0_v|^2$", latex="rho_0")
Psw2 = Param("sigma_w2", float, 1.0, lo=0.0, hi=1e12, doc=r"circuit statistic $\sigma_w^2=\mathbb E_v|w^l_v\mathbf a^{l-1}_v|^2$", latex="sigma_w^2")
Pmw2 = Param("mu_w2", float, 0.0, lo=0.0, hi=1e12, doc=r"circuit statistic $|\bar\mu_w|^2=|\mathbb E_vw^l_v\mathbf a^{l-1}_v|^2$, zero for zero-mean circuits",
           latex=r"|\bar{\mu}_w|^2")
Prho = Param("rho", float, 1.0, lo=0.0, hi=1e12, doc=r"circuit statistic $\rho=\mathbb E_v|\mathbf a^l_v|^2$")
Pm2 = Param("mu2", float, 0.0, lo=0.0, hi=1e12, doc=r"circuit statistic $|\bar{\mathbf a}|^2=|\mathbb E_v\mathbf a^l_v|^2$",
           latex=r"|\bar{\mathbf a}|^2")
Pamax = Param("amax", float, 1.0, lo=0.0, hi=1e12, doc=r"largest entry $a_{\max}=\max_v\|\mathbf a^l_v\|_\infty$ (for active circuits $\max_v\|w_v\mathbf a_v\|_\infty$)",
               latex=r"a_{\max}")
Psig2 = Param("sigma2", float, 1.0, lo=0.0, hi=1e12,
              doc=r"stationary circuit power $\sigma^2=\sigma_w^2=\rho$, the setting of eq. (6.41) of \cite{ris}",
              latex="sigma^2")


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
_EXACT_WHY = (" It is exact in expectation over the per-layer permutations, the active set and "
              "the zero-mean circuit draw: every cross term has a zero-mean independent weight "
              "factor (Lemma C5).")
_MODEL_WHY = (r" Under hypothesis $(\mathrm H)$ with zero-mean isotropic circuits it is exact in "
              "expectation over the per-layer permutations, the active set and the circuit draw "
              "(Lemma C5).")
_PUB_WHY = "leading order; the deviation is reported, not judged"
_RELU_DOC = (r"The $\mathrm{ReLU}$ activation error of %s circuit, the read-out of the "
             r"$\mathrm{ReLU}$ network less that of the ideal network. Measured only, no "
             r"prediction yet.")
#: The symbols every cis2 quantity uses, defined once (the section's setup paragraph).
INTRO = (
    r"\citet{cis2} embed $T$ circuits of width $d$ into a network of width $D$. With $N=D/d$ "
    r"positions per block, circuit $t$ occupies an $S$-subset $\mathcal S^l_t$ of the positions "
    r"at layer $l$, emitted by an allocation (by default the prime-step allocation of "
    r"\citet{cis2}) and permuted uniformly among the circuits at every layer. The load "
    r"$\lambda_n$ of position $n$ is the number of circuits holding it, "
    r"and $o_{tu}=|\mathcal S_t\cap\mathcal S_u|$ is the overlap of circuits $t$ and $u$. At "
    r"most $z$ circuits are active in a forward pass; $\mathcal V$ is the active set. Circuit $t$ "
    r"reads $\hat{\mathbf a}^l_t$ where it should read $\mathbf a^l_t$, with error "
    r"$\delta^l_t=\hat{\mathbf a}^l_t-\mathbf a^l_t$. The ideal network obeys hypothesis "
    r"$(\mathrm H)$: neurons at positions of active circuits pass their pre-activation, all others "
    r"output zero. Circuit weights $w^l_t$ are zero-mean, independent across circuits and layers, "
    r"and isotropic, $\mathbb E[w^\top w]=gI$, so $\rho_l=\mathbb E|\mathbf a^l_v|^2=g^l\rho_0$. "
    r"From the loads we compute exactly $P_{\rm sh}=\Pr(o_{tu}=1)$ and "
    r"$P_3=\Pr(o_{tu}=o_{tv}=1)$ for distinct $t,u,v$ (Lemmas C1 and C2); for an inactive $u$, "
    r"$k_u$ is the number of its positions covered by active circuits, with moments "
    r"$K_1=\mathbb Ek_u$ and $K_2=\mathbb Ek_u^2$, and $C$ is the probability that two inactive "
    r"circuits share a position covered by an active one. $A_l$ and $I_l$ are the mean-square "
    r"errors of an active and of an inactive circuit at layer $l$, with $A_0=I_0=0$.")
DISCUSSION = (
    r"The capacity and the overlap statistics are exact for the allocation as built. The error "
    r"recursion is exact in expectation only under hypothesis $(\mathrm H)$ and for isotropic "
    r"zero-mean circuits. It leaves out the $\mathrm{ReLU}$ activation error (neurons of the "
    r"on-set driven negative, off neurons switched on), which is measured only: on the real "
    r"network it is negligible at layer $1$ and exceeds the modelled error from layer $2$ on, so "
    r"the recursion describes the network only while inactive circuits stay suppressed. The "
    r"published forms $d/D$ and $Td/D$ assume uniform loads and $T\gg D/d$; the prime-step loads "
    r"are uneven, which makes $d/D$ too high and the linear-mode gain $Td/D$ too low (the "
    r"Findings give the measured deviations). The capacity criterion solves the recursion for "
    r"$T$ at one target error and inherits its limits; it is checked by the measured crossing "
    r"of the target.")


#: Display symbols of the quantities that state none where they are built (the published forms
#: carry their source: CiS2, or RiS's equation number).
SYMBOLS = {
    "overlap_mean": r"\mathbb E[o/S]",
    "overlap_ms": r"\mathbb E[(o/S)^2]",
    "overlap_ms_dD": r"\mathbb E[(o/S)^2]_{\rm CiS2}",
    "overlap_ms_q": r"\mathbb E[(o/S)^2]_{(6.3)}",
    "worst_overlap_inactive": r"\|\mathring\epsilon^l_u\|_\infty",
    "worst_overlap_active": r"\|\mathring\epsilon^l_t\|_\infty",
    "overlap_ms_inactive_dD": r"\mathbb E|\mathring\epsilon^l_u|^2_{\rm CiS2}",
    "overlap_ms_inactive_q": r"\mathbb E|\mathring\epsilon^l_u|^2_{(6.4)}",
    "overlap_ms_active_dD": r"\mathbb E|\mathring\epsilon^l_t|^2_{\rm CiS2}",
    "total_ms_active_notes": r"A_l^{\rm CiS2}",
    "total_ms_active_ris": r"A_l^{(6.41)}",
    "relu_ms_active": r"\mathbb E|\ddot\epsilon^l_t|^2",
    "relu_ms_inactive": r"\mathbb E|\ddot\epsilon^l_u|^2",
    "linear_ms_ratio": r"M_l/M_{l-1}",
    "linear_gain_notes": r"G_{\rm CiS2}",
    "max_circuits_notes": r"T^*_{\rm CiS2}",
}


# --------------------------------------------------------------------- quantities


def _capacity_quantities() -> list[Quantity]:
    return [
        _q("capacity", (PD, Pd, PS), "count", "exact",
           r"\#\{\text{subsets emitted by the allocation at }N=D/d\}",
           compute=lambda D, d, S, alloc=0: capacity(D, d, S, alloc), integer=True, eq_label="eq:cis2-capacity",
           source=r"\cite{cis2}, allocation code of \cite{riscode}; \citet{ris} report "
                  r"$T_{\max}=557$ at $N=250$, $S=6$",
           symbol=r"T_{\max}",
           doc=r"The number of subsets the allocation emits at $N=D/d$, counted by running it. "
               r"It is $557$ for the prime-step allocation at $D=1000$, $d=4$, $S=6$, as published.",
           steps=(Step(r"T_{\max}", r"\sum_s\sum_{r=0}^{s-1}\Big\lfloor\frac{\lceil (N-r)/s\rceil}{S}\Big\rfloor",
                       r"for the prime-step allocation: the progression of step $s$ and shift "
                       r"$r$ has $\lceil (N-r)/s\rceil$ "
                       r"positions and is cut into blocks of $S$"),)),
        _q("capacity_limit", (PS,), "value", "exact",
           r"\lim_{N\to\infty}T_{\max}(N,S)/N^2",
           compute=lambda S: float(capacity_limit(S)), eq_label="eq:cis2-capacity-limit",
           source=r"derived here (Lemma C4); \citet{cis2} state $T_{\max}=\Theta(N^2)$",
           symbol="c_S",
           doc=r"The constant of $T_{\max}=c_SN^2+O(N)$: $c_S=-\delta_S\kappa_S\big(\psi(1-1/S)"
               r"+\gamma\big)/(2S)$, with $\psi$ the digamma function and $\gamma$ Euler's constant.",
           steps=(Step(r"T_{\max}", r"\sum_{s}N\,x\,\phi(1/x)+O(N),\quad x=s/N",
                       r"a step $s=xN$ contributes $Nx\,\phi(1/x)$ subsets, where $\phi$ "
                       r"interpolates $y\mapsto\lfloor y/S\rfloor$ linearly between integers"),
                  Step(r"c_S", r"\delta_S\kappa_S\int_{S-1}^\infty\phi(y)\,y^{-3}dy",
                       r"steps coprime to the primes below $S$ have density "
                       r"$\delta_S=\prod_{p<S}(1-1/p)$; a composite $S$ adds the steps $mS^n$, "
                       r"a factor $\kappa_S=S/(S-1)$ ($\kappa_S=1$ for prime $S$)"),
                  Step("", r"\frac{\delta_S\kappa_S}{2S}\sum_{j\ge1}\frac1{j(jS-1)}"
                       r"=-\frac{\delta_S\kappa_S}{2S}\big(\psi(1-\tfrac1S)+\gamma\big)",
                       r"$\phi=\sum_{j\ge1}\mathrm{ramp}_j$, where $\mathrm{ramp}_j$ rises from "
                       r"$0$ at $jS-1$ to $1$ at $jS$ and $\int\mathrm{ramp}_j\,y^{-3}dy="
                       r"1/(2jS(jS-1))$; the sum is the series of $\psi$"))),
    ]


def _overlap_quantities() -> list[Quantity]:
    D, d, S, T = (p.symbol for p in (PD, Pd, PS, PT))
    q_expr = q_ris_expanded(d, D, S, T)                          # d/D - 1/(S T), printed so
    base = (PD, Pd, PS, PT)
    return [
        _q("share_prob", base, "probability", "exact", r"\Pr_{t\ne u}(o_{tu}=1)",
           needs="pairs",
           compute=lambda D, d, S, T, alloc=0: _st(D, d, S, T, alloc=alloc).psh, eq_label="eq:cis2-psh",
           symbol=r"P_{\rm sh}",
           doc="Exact probability that two distinct circuits share a position, from the loads.",
           steps=(Step(r"P_{\rm sh}", r"\frac{\sum_{t\ne u}o_{tu}}{T(T-1)}",
                       "the permutation is uniform, so every ordered pair of distinct circuits "
                       "is equally likely"),
                  Step("", r"\frac{\sum_n\lambda_n(\lambda_n-1)}{T(T-1)}",
                       r"two subsets share at most one position (Lemma C1), so "
                       r"$\sum_{t\ne u}o_{tu}$ counts the ordered pairs of circuits through each "
                       r"position"))),
        _q("overlap_mean", base, "mean", "exact", r"\mathbb E_{t\ne u}[o_{tu}/S]",
           needs="pairs",
           compute=lambda D, d, S, T, alloc=0: _st(D, d, S, T, alloc=alloc).psh / S, eq_label="eq:cis2-overlap-mean",
           doc=r"Mean of $o_{tu}/S$: $P_{\rm sh}/S\approx Sd/D$, so the overlap is not zero-mean.",
           steps=(Step(r"\mathbb E[o/S]", r"P_{\rm sh}/S", r"$o_{tu}\in\{0,1\}$ (Lemma C1)"),)),
        _q("overlap_ms", base, "mean-square", "exact", r"\mathbb E_{t\ne u}[(o_{tu}/S)^2]",
           needs="pairs",
           compute=lambda D, d, S, T, alloc=0: _st(D, d, S, T, alloc=alloc).psh / S**2, eq_label="eq:cis2-overlap-ms",
           doc=r"Exact mean square $P_{\rm sh}/S^2$ of $o_{tu}/S$, which corrects the "
               r"approximation $d/D$ of \citet{cis2} and $q$ of \citet{ris}.",
           steps=(Step(r"\mathbb E[(o/S)^2]", r"P_{\rm sh}/S^2", r"$o_{tu}^2=o_{tu}$"),)),
        _q("overlap_ms_dD", (PD, Pd), "mean-square", "approximate", r"\mathbb E_{t\ne u}[(o_{tu}/S)^2]",
           closed_form=d / D, published=True, tolerance=0.05,
           tolerance_reason=r"leading order for uniform loads and $T\to\infty$; the deviation "
                            "is reported, not judged",
           eq_label="eq:cis2-overlap-dD", source=r"\cite{cis2}, restated in \cite{ris}",
           ours="overlap_ms",
           doc=r"The approximation $d/D$ of \citet{cis2} for the overlap mean square."),
        _q("overlap_ms_q", base, "mean-square", "approximate", r"\mathbb E_{t\ne u}[(o_{tu}/S)^2]",
           closed_form=q_expr, published=True, tolerance=0.05,
           tolerance_reason=r"the uniform-load value with $T-1$ replaced by $T$; negative, and so "
                            r"invalid, when $TS\,d/D<1$",
           eq_label="eq:ris-6.3", source=r"\cite{ris}, eq. (6.3)", ours="overlap_ms",
           doc=r"The overlap mean square $q=d/D-1/(ST)$ of \citet{ris}. It is valid only when "
               r"$TS\,d/D>1$; otherwise the allocation shares no position."),
    ]


def _error_quantities() -> list[Quantity]:
    D, d, S, T, z, l = (p.symbol for p in (PD, Pd, PS, PT, Pz, Pl))
    rho, sw2, sig2, L, eps = Prho.symbol, Psw2.symbol, Psig2.symbol, PL.symbol, Peps.symbol
    q = q_ris(d, D, S, T)                                        # d/D - 1/(S T), printed q
    rec = (PD, Pd, PS, PT, Pz, Pl, Pg, Prho0)

    def pick(field):
        return lambda D, d, S, T, z, l, g, rho0, alloc=0: getattr(_rec(D, d, S, T, z, l, g, rho0, alloc), field)[l - 1]

    out = [
        _q("overlap_ms_active", (PD, Pd, PS, PT, Pz, Psw2, Pmw2), "mean-square", "exact",
           r"\mathbb E\big|\tfrac1S\sum_{v\in\mathcal V\setminus t}o^l_{tv}w^l_v\mathbf a^{l-1}_v\big|^2,\ t\in\mathcal V",
           compute=lambda D, d, S, T, z, sigma_w2, mu_w2, alloc=0: (
               (z - 1) * _st(D, d, S, T, z, alloc).psh * sigma_w2
               + (z - 1) * (z - 2) * _st(D, d, S, T, z, alloc).p3 * mu_w2) / S**2,
           eq_label="eq:cis2-overlap-active", symbol=r"\mathbb E|\mathring\epsilon^l_t|^2",
           doc=r"Mean square of the overlap error $\mathring\epsilon^l_t$ of an active circuit at "
               r"layer $l$ ($\sigma_w^2$ of that layer)." + _EXACT_WHY,
           steps=(Step(r"\mathbb E|\mathring\epsilon^l_t|^2", r"\frac1{S^2}\sum_{v,v'\in\mathcal V\setminus t}"
                       r"\mathbb E[o_{tv}o_{tv'}]\,\mathbb E[(w_v\mathbf a_v)\cdot(w_{v'}\mathbf a_{v'})]",
                       r"expand the square over pairs of sources $v,v'$"),
                  Step("", r"\frac{(z-1)P_{\rm sh}\sigma_w^2+(z-1)(z-2)P_3|\bar{\mu}_w|^2}{S^2}",
                       r"pairs with $v=v'$ give $P_{\rm sh}\sigma_w^2$; pairs with $v\ne v'$ both "
                       r"overlap $t$ with probability $P_3$ and, the circuits being independent, "
                       r"give $|\bar\mu_w|^2$"))),
        _q("overlap_ms_inactive", (PD, Pd, PS, PT, Pz, Prho, Pm2), "mean-square", "exact",
           r"\mathbb E\big|\tfrac1S\sum_{v\in\mathcal V}o^l_{uv}\mathbf a^l_v\big|^2,\ u\notin\mathcal V",
           needs="inactive",
           compute=lambda D, d, S, T, z, rho, mu2, alloc=0: (
               z * _st(D, d, S, T, z, alloc).psh * rho + z * (z - 1) * _st(D, d, S, T, z, alloc).p3 * mu2) / S**2,
           eq_label="eq:cis2-overlap-inactive", symbol=r"\mathbb E|\mathring\epsilon^l_u|^2",
           source=r"derived here; corrects \cite{ris}, eqs. (6.2) and (6.4)",
           doc=r"Mean square of the overlap error $\mathring\epsilon^l_u$ of an inactive circuit, "
               r"the error of equation (6.1) of \citet{ris}." + _EXACT_WHY,
           steps=(Step(r"\mathbb E|\mathring\epsilon^l_u|^2",
                       r"\frac{zP_{\rm sh}\rho_l+z(z-1)P_3|\bar{\mathbf a}|^2}{S^2}",
                       r"as for an active circuit, with $z$ sources and their activations "
                       r"$\mathbf a^l_v$ in place of $w_v\mathbf a^{l-1}_v$"),)),
        _q("worst_overlap_inactive", (PS, Pz, Pamax), "max", "upper-bound",
           r"\max_{u\notin\mathcal V,i}\big|\tfrac1S\sum_{v\in\mathcal V}o_{uv}(\mathbf a_v)_i\big|",
           needs="inactive",
           closed_form=z * Pamax.symbol / S, eq_label="eq:cis2-worst-inactive",
           doc=r"Bound on the largest entry of an inactive circuit's overlap error. It is tight, "
               r"attained when $u$ shares one position with each of $z$ active circuits whose entries have "
               r"equal sign.",
           steps=(Step(r"|\mathring\epsilon_{u,i}|", r"\frac1S\sum_v o_{uv}|(\mathbf a_v)_i|\le\frac zS\max_v\|\mathbf a_v\|_\infty",
                       r"$o_{uv}\in\{0,1\}$ and $|\mathcal V|=z$"),)),
        _q("worst_overlap_active", (PS, Pz, Pamax), "max", "upper-bound",
           r"\max_{t\in\mathcal V,i}\big|\tfrac1S\sum_{v\in\mathcal V\setminus t}o_{tv}(w_v\mathbf a_v)_i\big|",
           closed_form=(z - 1) * Pamax.symbol / S, eq_label="eq:cis2-worst-active",
           doc=r"Bound on the largest entry of an active circuit's overlap error, with "
               r"$a_{\max}=\max_v\|w_v\mathbf a_v\|_\infty$ here.",
           steps=(Step(r"|\mathring\epsilon_{t,i}|", r"\frac{z-1}S\max_v\|w_v\mathbf a_v\|_\infty",
                       r"as for an inactive circuit, with the $z-1$ other active circuits as sources"),)),
        _q("propagation_ms_active", rec, "mean-square", "exact",
           r"\mathbb E\big|\tfrac1S\sum_{u\ne t}o^l_{tu}w^l_u\delta^{l-1}_u\big|^2,\ t\in\mathcal V",
           compute=pick("propagation_active"), eq_label="eq:cis2-prop-active",
           symbol=r"\mathbb E|\tilde\epsilon^l_t|^2",
           doc=r"Mean square of the propagation error $\tilde\epsilon^l_t$ of an active circuit, "
               r"zero at layer $1$." + _MODEL_WHY,
           steps=(Step(r"\mathbb E|\tilde\epsilon^l_t|^2",
                       r"\frac{gP_{\rm sh}}{S^2}\big[(z-1)A_{l-1}+(T-z)I_{l-1}\big]",
                       r"each other circuit $u$ passes $w_u\delta^{l-1}_u$ through a position it "
                       r"shares with $t$, with probability $P_{\rm sh}$; the overlaps of layer $l$ "
                       r"are independent of the errors of layer $l-1$, and distinct circuits have "
                       r"independent zero-mean weights (Lemma C5)"),)),
        _q("propagation_ms_inactive", rec, "mean-square", "exact",
           r"\mathbb E\big|\tfrac1S\sum_{n\in\mathcal S_u\cap\mathcal A}\sum_{u'\ni n}w_{u'}\delta^{l-1}_{u'}\big|^2,\ u\notin\mathcal V",
           needs="inactive",
           compute=pick("propagation_inactive"), eq_label="eq:cis2-prop-inactive",
           symbol=r"\mathbb E|\tilde\epsilon^l_u|^2",
           doc=r"Mean square of the propagation error $\tilde\epsilon^l_u$ of an inactive "
               r"circuit, the carried part of its error that \citet{cis2} leave out."
               + _MODEL_WHY,
           steps=(Step(r"\mathbb E|\tilde\epsilon^l_u|^2",
                       r"\frac g{S^2}\big[K_2I_{l-1}+zP_{\rm sh}A_{l-1}+(T-z-1)C\,I_{l-1}\big]",
                       r"only positions covered by an active circuit are on: $u$ passes its own "
                       r"error through its $k_u$ covered positions, each active circuit through a "
                       r"shared position (probability $P_{\rm sh}$), and each other inactive "
                       r"circuit through a shared covered position (probability $C$); cross "
                       r"terms vanish (Lemma C5)"),)),
        _q("total_ms_active", rec, "mean-square", "exact",
           r"\mathbb E|\hat{\mathbf a}^l_t-\mathbf a^l_t|^2,\ t\in\mathcal V\ (\text{ideal})",
           compute=pick("total_active"), eq_label="eq:cis2-total-active",
           symbol="A_l",
           doc=r"Mean square $A_l$ of the error of an active circuit." + _MODEL_WHY,
           steps=(Step(r"A_l", r"gA_{l-1}+\frac{(z-1)P_{\rm sh}}{S^2}g\rho_{l-1}+\mathbb E|\tilde\epsilon^l_t|^2",
                       r"the carried own error $w_t\delta^{l-1}_t$, the overlap error and the "
                       r"propagation error are uncorrelated (Lemma C5)"),)),
        _q("total_ms_inactive", rec, "mean-square", "exact",
           r"\mathbb E|\hat{\mathbf a}^l_u|^2,\ u\notin\mathcal V\ (\text{ideal})",
           needs="inactive",
           compute=pick("total_inactive"), eq_label="eq:cis2-total-inactive",
           symbol="I_l",
           doc=r"Mean square $I_l$ of the read-out of an inactive circuit." + _MODEL_WHY,
           steps=(Step(r"I_l", r"\frac{zP_{\rm sh}}{S^2}\rho_l+\mathbb E|\tilde\epsilon^l_u|^2",
                       "the overlap error and the propagation error are uncorrelated (Lemma C5)"),)),
        # --- the notes' / sources' forms, registered beside ours
        _q("overlap_ms_inactive_dD", (PD, Pd, Pz, Prho), "mean-square", "approximate",
           r"\mathbb E|\delta\mathbf a^l_u|^2", closed_form=z * d / D * rho, published=True,
           needs="inactive",
           tolerance=0.05, tolerance_reason=_PUB_WHY,
           eq_label="eq:ris-6.2", source=r"\cite{cis2}, as restated in \cite{ris}, eq. (6.2)",
           ours="overlap_ms_inactive",
           doc=r"The inactive overlap error $zd\rho/D$ of \citet{cis2}."),
        _q("overlap_ms_inactive_q", (PD, Pd, PS, PT, Pz, Prho), "mean-square", "approximate",
           r"\mathbb E|\delta\mathbf a^l_u|^2", closed_form=z * q * rho, published=True,
           needs="inactive",
           tolerance=0.05, tolerance_reason=_PUB_WHY,
           eq_label="eq:ris-6.4", source=r"\cite{ris}, eq. (6.4)", ours="overlap_ms_inactive",
           doc=r"The inactive overlap error $zq\rho$ of \citet{ris}, with $q=d/D-1/(ST)$."),
        _q("overlap_ms_active_dD", (PD, Pd, Pz, Psw2), "mean-square", "approximate",
           r"\mathbb E|\mathring\epsilon^l_t|^2", closed_form=(z - 1) * d / D * sw2, published=True,
           tolerance=0.05, tolerance_reason=_PUB_WHY,
           eq_label="eq:cis2-notes-overlap-active",
           source=r"our reconstruction of the per-layer overlap term of \cite{cis2}",
           ours="overlap_ms_active",
           doc=r"The active overlap error $(z-1)d\sigma_w^2/D$ of one layer, after \citet{cis2}."),
        _q("total_ms_active_notes", (PD, Pd, PT, Pz, Pl, Psig2), "mean-square", "approximate",
           r"\mathbb E|\delta\mathbf a^l_t|^2",
           closed_form=(l - 1) * z * T * (d / D) ** 2 * sig2 + l * (z - 1) * d / D * sig2, published=True,
           tolerance=0.05, tolerance_reason=_PUB_WHY,
           eq_label="eq:cis2-notes-total",
           source=r"our reconstruction of \cite{cis2}: \cite{ris}, eq. (6.41), with $q$ replaced "
                  r"by $d/D$",
           ours="total_ms_active",
           doc=r"The active error $(l-1)zT(d/D)^2\sigma^2+l(z-1)(d/D)\sigma^2$ of stationary "
               r"circuits, after \citet{cis2}."),
        _q("total_ms_active_ris", (PD, Pd, PS, PT, Pz, Pl, Psig2), "mean-square", "approximate",
           r"\mathbb E|\delta\mathbf a^l_t|^2",
           closed_form=(l - 1) * T * q**2 * z * sig2 + l * q * (z - 1) * sig2, published=True,
           tolerance=0.05, tolerance_reason=_PUB_WHY,
           eq_label="eq:ris-6.41", source=r"\cite{ris}, eq. (6.41), with mean weight $\bar w=0$",
           ours="total_ms_active",
           doc=r"The active error $(l-1)Tq^2z\sigma^2+lq(z-1)\sigma^2$ of \citet{ris} for "
               r"zero-mean circuits, $q=d/D-1/(ST)$."),
        # --- measured only: the ReLU activation error (relu - ideal)
        _q("relu_ms_active", (PD, Pd, PS, PT, Pz, Pl), "mean-square", "exact",
           r"\mathbb E|\hat{\mathbf a}^{l,\rm relu}_t-\hat{\mathbf a}^{l,\rm ideal}_t|^2,\ t\in\mathcal V",
           eq_label="eq:cis2-relu-active", doc=_RELU_DOC % "an active"),
        _q("relu_ms_inactive", (PD, Pd, PS, PT, Pz, Pl), "mean-square", "exact",
           r"\mathbb E|\hat{\mathbf a}^{l,\rm relu}_u-\hat{\mathbf a}^{l,\rm ideal}_u|^2,\ u\notin\mathcal V",
           needs="inactive",
           eq_label="eq:cis2-relu-inactive", doc=_RELU_DOC % "an inactive"),
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
           eq_label="eq:cis2-linear-ms", symbol="M_l",
           doc=r"Mean square $M_l$ of the error, averaged over all circuits, in linear mode, where "
               r"every neuron passes its pre-activation and nothing is suppressed." + _EXACT_WHY,
           steps=(Step(r"M_l", r"G\,M_{l-1}+g\kappa\frac zT\rho_{l-1},\quad G=g(1+\kappa),\ "
                       r"\kappa=\frac{(T-1)P_{\rm sh}}{S^2}",
                       r"every circuit re-broadcasts its read-out, signal and error, to the $T-1$ "
                       r"others, each sharing a position with probability $P_{\rm sh}$; $M_0=0$"),)),
        _q("linear_ms_ratio", lin, "value", "exact", r"M_l/M_{l-1}",
           compute=ratio, eq_label="eq:cis2-linear-ratio",
           doc=r"Ratio $M_l/M_{l-1}$ of the linear-mode mean squares of consecutive layers (a "
               r"ratio of expectations), which tends to the gain $G$."),
        _q("linear_gain", (PD, Pd, PS, PT, Pl, Pg), "value", "asymptotic", r"\lim_{l\to\infty}M_l/M_{l-1}",
           compute=lambda D, d, S, T, l, g, alloc=0: linear_gain(_st(D, d, S, T, alloc=alloc), g),
           limit=r"$l\to\infty$, where the geometric growth dominates the source term",
           tolerance=0.1,
           tolerance_reason=r"at finite $l$ the source term adds $g\kappa z\rho_{l-1}/(TM_{l-1})$, "
                            r"of order $(1+\kappa)^{-(l-1)}$; checked at $l\ge4$ with "
                            r"$\kappa\ge1.5$, where it is below $10\%$",
           eq_label="eq:cis2-linear-gain", symbol="G",
           doc=r"The per-layer gain $G=g\big(1+(T-1)P_{\rm sh}/S^2\big)\approx g(1+Td/D-1/S)$ "
               r"of linear mode.",
           steps=(Step("G", r"g\Big(1+\frac{(T-1)P_{\rm sh}}{S^2}\Big)",
                       r"the recursion for $M_l$ grows geometrically with ratio $G$"),
                  Step("", r"\approx g\big(1+T\tfrac dD-\tfrac1S\big)",
                       r"uniform loads $\lambda_n=TS/N$"))),
        _q("linear_gain_notes", (PD, Pd, PT, Pl), "value", "approximate", r"\lim_{l\to\infty}M_l/M_{l-1}",
           closed_form=T * d / D, published=True, tolerance=0.1,
           tolerance_reason=r"leading order in $Td/D\gg1$; the deviation is reported, not judged",
           eq_label="eq:cis2-notes-gain", ours="linear_gain",
           source=r"our reconstruction of the argument of \cite{cis2} that noise suppression is "
                  "needed",
           doc=r"The per-layer gain $Td/D$ of linear mode, after \citet{cis2}."),
        _q("max_circuits", (PD, Pd, PS, Pz, PL, Peps, Pg), "count", "exact",
           r"\max\{T\le T_{\max}:A_L(T)\le\epsilon^2\rho_L\}",
           compute=lambda D, d, S, z, L, eps, g, alloc=0: max_circuits(D, d, S, z, L, eps, g, alloc), integer=True,
           eq_label="eq:cis2-max-circuits",
           symbol="T^*",
           doc=r"The largest $T$ whose predicted active mean square $A_L$ at layer $L$ is at most "
               r"$\epsilon^2\rho_L$. It is exact given the recursion for $A_l$, and checked "
               r"against the measured crossing of the target on the network.",
           steps=(Step(r"T^*", r"\max\{T:A_L(T)\le\epsilon^2\rho_L\}",
                       r"$A_L$ increases with $T$ (checked by a full scan), so bisection finds $T^*$"),)),
        _q("max_circuits_notes", (PD, Pd, Pz, PL, Peps), "count", "approximate",
           r"\max\{T:(L-1)zT(d/D)^2+L(z-1)d/D\le\epsilon^2\}",
           closed_form=sp.Max(0, sp.floor((eps**2 - L * (z - 1) * d / D) / ((L - 1) * z * (d / D) ** 2))),
           integer=True, published=True, tolerance=0.1,
           tolerance_reason=_PUB_WHY,
           eq_label="eq:cis2-notes-max", ours="max_circuits",
           source=r"our reconstruction of the scaling condition of \cite{cis2}",
           doc=r"The mean-square condition of \citet{cis2} for stationary circuits solved for $T$ "
               r"($L\ge2$)."),
    ]


def construction() -> Construction:
    from superpose.derive.cis2 import answers as _answers

    return Construction(
        NAME, "Circuits in Superposition 2 (prime-step allocation)",
        r"$T$ circuits of width $d$ embedded $S$-fold into a network of width $D$ by the "
        r"prime-step allocation of \citet{cis2}: its capacity, the exact overlap statistics of "
        r"the allocation, and the mean-square error recursion of the ideal network (overlap and "
        r"propagation errors).",
        with_symbols(_capacity_quantities() + _overlap_quantities() + _error_quantities()
                     + _linear_quantities(), SYMBOLS)
        + tuple(_allocs.quantities(PD, Pd, PS, PT, _check)),
        answers=tuple(_allocs.answers()) + _answers.ANSWERS,
        source=SOURCE, intro_latex=INTRO, discussion=DISCUSSION)
