r"""RiS rotations with k copies of the 2-ReLU on-indicator: layer-1 erroneous activation.

Math reference: ``shared/math/cis2.md`` §4 (allocation), §7 (rotation circuits, layer-0 trick),
§10 (the variant; proposal, no source).  Everything here is derived in this module
[reconstructed]; it is exact given the allocation's loads.

**Variant circuit** (width ``d' = 2k + 2``).  Neurons ``(2j, 2j+1)``, ``j < k``, are copy ``j`` of
the RiS step pair, the last two carry the payload ``x + alpha``.  Every copy reads the *mean*
indicator :math:`\bar\alpha=\frac1k\sum_j(a_{2j}-a_{2j+1})`; the payload is gated by it::

    a_{2j}' = ReLU(2 abar - 1/2),  a_{2j+1}' = ReLU(2 abar - 3/2),
    (a_{2k}, a_{2k+1})' = ReLU(r_t (x) + 2 abar - 1) ,   x = payload - abar.

For ``k = 1`` this is RiS's (5.1)-(5.3).  Active input: every copy ``(1.5, 0.5)``, payload
``x + 1``; inactive: 0.

**Kets.**  *Shared*: one ket ``|e_t>`` for all ``d'`` blocks (RiS layout).  *Block-dependent*:
copy ``j`` (both its neurons) uses ``|e^{(j)}_t>`` from an independent uniform permutation of the
prime-step subsets, the payload its own (a ``(k+1)``-th) permutation.

**Layer 1** (``W^1 = I``, layer-0 trick).  At a position ``n`` of copy ``j`` the pre-activation
of neuron ``2j`` is ``2 c_n - 1/2`` with ``c_n`` = number of active circuits covering ``n`` in
ket ``j``; so the copy's field is ``step(c_n) = 1[c_n >= 1]`` and an inactive ``u`` reads exactly

.. math:: \hat\alpha^{(j)}_u = K_j/S,\qquad K_j = \#\{n\in\mathcal S^{(j)}_u:\ c_n\ge1\}.

**Law of K** (exact).  Two subsets share <= 1 position (cis2.md §4), so the other circuits
through the ``S`` positions of ``u`` form disjoint groups of sizes ``g_n = lambda_n - 1``; the
``z`` active circuits are a uniform ``z``-subset of the ``T - 1`` others and ``K`` is the number
of groups hit.  With ``m`` missed groups :math:`X=S-K` and
:math:`N_m=\sum_{|M|=m}\binom{T-1-g_M}{z}/\binom{T-1}{z}` (probability that all groups in ``M``
are missed), inclusion-exclusion gives

.. math:: \Pr(X=x)=\sum_{m\ge x}(-1)^{m-x}\binom mx N_m,

averaged over ``u`` uniform (an inactive circuit read in a uniformly random pass is a uniform
``u`` with a uniform active set among the others).

* **Shared ket**: all copies read ``K/S``, so :math:`\bar\alpha_u=K/S` for every ``k``:
  :math:`P_{\rm err}=\Pr(K>S/4)` -- averaging copies gains nothing; but the loads are those of
  width ``d'`` (``N' = D/d'``), so at equal ``T`` the rate *rises* with ``k``.
* **Block-dependent kets**: the ``k`` permutations are independent, so ``K_1..K_k`` are i.i.d.
  with the law above and :math:`P_{\rm err}=\Pr(\sum_jK_j>kS/4)` (``k``-fold convolution).  The
  mean of :math:`\bar\alpha_u` is unchanged, its variance is :math:`\mathrm{Var}(K)/(kS^2)`, and
  the worst case ``z/S`` needs every copy hit by ``z`` distinct circuits at once.

**Capacity**: :math:`T_{\max}(N'=D/d', S)` of the prime-step allocation, ~ :math:`(D/d')^2`.
"""
from __future__ import annotations

import functools
import itertools

import numpy as np

from superpose.derive.cis2 import alloc as cis2_alloc
from superpose.derive.common import THRESH, binom_ratio, inclusion_exclusion
from superpose.derive.quantity import BadInput, Param, Quantity, Step

NAME = "rotations"
SOURCE = r"derived here: a variant of the circuits of \cite{ris}"
# THRESH (common): erroneous activation is an averaged indicator read-out > 1/4 (the step's dead zone)

Pk = Param("k", int, 2, lo=1, hi=16,
           doc=r"copies $k$ of the two-$\mathrm{ReLU}$ on-indicator; the circuit width is $d'=2k+2$")
Pz = Param("z", int, 2, lo=1, hi=64, doc="active circuits $z$ per forward pass")
PD = Param("D", int, 1200, lo=24, hi=10**6, doc="network width $D$, a multiple of $d'=2k+2$")
PT = Param("T", int, 300, lo=1, hi=10**6, doc="number of circuits, at most the capacity at width $d'$")
PS = Param("S", int, 6, lo=2, hi=64, doc="redundancy $S$: large neurons per small neuron")
PARAMS = (Pk, Pz, PD, PT, PS)


def width(k: int) -> int:
    """d' = 2k + 2: k indicator step pairs and 2 payload neurons."""
    return 2 * k + 2


def check(p: dict) -> str | None:
    """Cross-parameter validation (one-line message or None)."""
    return (cis2_alloc.size_error(p["D"], width(p["k"]), p["S"], p["T"], p["z"], spare=0,
                                  width="d'")
            or cis2_alloc.inactive_error(p["T"], p["z"])      # every k-copies quantity is inactive
            or k_law_work_error(p["S"], p["T"], p["z"]))


# ------------------------------------------------------------------------- law of K


#: Work budget of :func:`k_law`, in units of ``2^S T (S/2 + z)`` element operations (the sum
#: over every subset M of the S positions, each a T-vector of g_M and z binomial factors);
#: measured ~4.5e-9 s per unit on the 2-core development machine, so this is ~5 s.
K_LAW_MAX_WORK = 10**9


def k_law_work(S: int, T: int, z: int) -> float:
    """Work of :func:`k_law` in the units of :data:`K_LAW_MAX_WORK`."""
    return 2.0**S * T * (S / 2 + z)


def k_law_work_error(S: int, T: int, z: int) -> str | None:
    """One line naming ``S`` (the exponent of the work) when :func:`k_law` would run for more
    than a few seconds, with the largest ``S`` that fits at this ``T`` and ``z``; else ``None``.

    The exact inclusion-exclusion over all 2^S subsets of positions is also what limits its
    float64 accuracy (alternating terms up to C(S, S/2)), so no faster route is offered."""
    if k_law_work(S, T, z) <= K_LAW_MAX_WORK:
        return None
    fit = [s for s in range(2, S) if k_law_work(s, T, z) <= K_LAW_MAX_WORK]
    secs = 4.5e-9 * k_law_work(S, T, z)
    where = (f"the largest S that runs in a few seconds at T={T}, z={z} is S={fit[-1]}" if fit
             else f"no S >= 2 does at T={T}, z={z}: lower T")
    return (f"S={S}: the exact law of K sums over all 2^S position subsets of T={T} circuits "
            f"(about {secs:.2g} s); {where}")


@functools.lru_cache(maxsize=256)
def k_law(N: int, S: int, T: int, z: int) -> tuple[float, ...]:
    """pmf of K (covered positions of an inactive circuit), index 0..S; see module docstring.

    Exact finite sums over the loads of the first T prime-step subsets (float64; the alternating
    inclusion-exclusion sums have terms <= C(S, m), so absolute error ~1e-14).  Raises
    ``BadInput`` (:func:`k_law_work_error`) before any work where it would take more than a few
    seconds.
    """
    msg = k_law_work_error(S, T, z)
    if msg:
        raise BadInput(msg)
    sub = cis2_alloc.subsets(N, S, limit=T)
    if sub.shape[0] < T:
        raise ValueError(f"the allocation at N={N}, S={S} holds only {sub.shape[0]} circuits")
    lam = np.bincount(sub.ravel(), minlength=N)
    g = (lam[sub] - 1).astype(np.int64)                          # (T, S) group sizes
    Nm = np.zeros(S + 1)                                         # N_m averaged over u
    for m in range(S + 1):
        for M in itertools.combinations(range(S), m):
            gM = g[:, list(M)].sum(1) if m else np.zeros(T, np.int64)
            Nm[m] += binom_ratio(T - 1 - gM, T - 1, z, divide_last=True).mean()
    px = inclusion_exclusion(Nm)                                 # P(X = x), X = S - K missed
    pk = np.clip(px[::-1], 0.0, None)                            # P(K = k)
    pk[min(z, S) + 1:] = 0.0                                     # K <= z exactly (round-off)
    return tuple((pk / pk.sum()).tolist())


def _law(k: int, D: int, T: int, S: int, z: int) -> np.ndarray:
    return np.asarray(k_law(D // width(k), S, T, z))


def _sum_law(pk: np.ndarray, copies: int) -> np.ndarray:
    """pmf of the sum of ``copies`` i.i.d. K (index 0..copies*S)."""
    out = np.array([1.0])
    for _ in range(copies):
        out = np.convolve(out, pk)
    return out


def err_rate(k: int, z: int, D: int, T: int, S: int, kets: str) -> float:
    r"""Pr(abar_u > 1/4) at layer 1 for an inactive u; ``kets`` = 'shared' | 'block'."""
    pk = _law(k, D, T, S, z)
    if kets == "shared":
        return float(sum(p for j, p in enumerate(pk) if j > THRESH * S))
    if kets != "block":
        raise ValueError(f"kets must be 'shared' or 'block', got {kets!r}")
    ps = _sum_law(pk, k)
    return float(sum(p for j, p in enumerate(ps) if j > THRESH * k * S))


def alpha_ms(k: int, z: int, D: int, T: int, S: int, kets: str) -> float:
    r"""E abar_u^2 at layer 1: E K^2 / S^2 (shared); (Var K / k + (E K)^2) / S^2 (block)."""
    pk = _law(k, D, T, S, z)
    j = np.arange(pk.size)
    m1, m2 = float(pk @ j), float(pk @ j**2)
    if kets == "shared":
        return m2 / S**2
    return ((m2 - m1**2) / k + m1**2) / S**2


def capacity_k(k: int, D: int, S: int) -> int:
    """T_max of the prime-step allocation at width d' = 2k + 2."""
    return cis2_alloc.capacity(D, width(k), S)


# --------------------------------------------------------------------------- quantities


def _q(short, statistic, definition, **kw) -> Quantity:
    return Quantity(f"{NAME}.kcopies_{short}", kw.pop("params", PARAMS), statistic, "exact",
                    definition, constraint=kw.pop("constraint", check), source=SOURCE, **kw)


_ERR_DEF = (r"\Pr\big(\tfrac1k\sum_j\hat\alpha^{(j),1}_u>\tfrac14\big),\ u\notin\mathcal V"
            r"\ \text{(layer 1, %s embeddings)}")


def quantities() -> tuple[Quantity, ...]:
    """``rotations.kcopies_*``: layer-1 erroneous activation, indicator mean square, capacity."""
    law = Step(r"\Pr(K=S-x)", r"\sum_{m\ge x}(-1)^{m-x}\binom mx N_m,\ "
               r"N_m=\mathbb E_u\sum_{|M|=m}\binom{T-1-g_M}{z}\Big/\binom{T-1}{z}",
               r"the other circuits through the positions $n$ of $u$ form disjoint groups of "
               r"sizes $g_n=\lambda_n-1$, since two subsets share at most one position; "
               r"$g_M=\sum_{n\in M}g_n$ (Lemma C3)")
    out = [
        _q("err_shared", "probability", _ERR_DEF % "shared",
           compute=lambda k, z, D, T, S: err_rate(k, z, D, T, S, "shared"),
           eq_label="eq:rot-kcopies-err-shared",
           doc=r"Probability $\Pr(K>S/4)$ that the averaged indicator of an inactive circuit "
               r"exceeds $1/4$ at layer $1$, shared embeddings, $K$ its covered positions. It "
               r"depends on $k$ only through the loads at width $2k+2$.",
           steps=(Step(r"\hat\alpha^{(j)}_u", "K/S",
                       "with one embedding vector, every copy reads the same positions"),
                  law)),
        _q("err_block", "probability", _ERR_DEF % "block-dependent",
           compute=lambda k, z, D, T, S: err_rate(k, z, D, T, S, "block"),
           eq_label="eq:rot-kcopies-err-block",
           doc=r"Probability $\Pr(K_1+\dots+K_k>kS/4)$ that the averaged indicator of an "
               r"inactive circuit exceeds $1/4$ at layer $1$, block-dependent embeddings.",
           steps=(Step(r"\hat\alpha^{(j)}_u", r"K_j/S",
                       r"each copy has its own independent permutation of the subsets, so the "
                       r"$K_j$ are independent, each with the law of $K$ derived for shared "
                       r"embeddings"),
                  Step(r"P_{\rm err}", r"\Pr\big(\sum_{j=1}^kK_j>kS/4\big)",
                       r"the law of the sum is the $k$-fold convolution of the law of $K$"))),
        _q("alpha_ms_shared", "mean-square", r"\mathbb E\bar\alpha_u^2\ \text{(layer 1, shared)}",
           compute=lambda k, z, D, T, S: alpha_ms(k, z, D, T, S, "shared"),
           eq_label="eq:rot-kcopies-ams-shared",
           doc=r"Mean square $\mathbb EK^2/S^2$ of the averaged indicator of an inactive circuit "
               r"at layer $1$, shared embeddings."),
        _q("alpha_ms_block", "mean-square", r"\mathbb E\bar\alpha_u^2\ \text{(layer 1, block)}",
           compute=lambda k, z, D, T, S: alpha_ms(k, z, D, T, S, "block"),
           eq_label="eq:rot-kcopies-ams-block",
           doc=r"Mean square $\big(\mathrm{Var}(K)/k+(\mathbb EK)^2\big)/S^2$ of the averaged "
               r"indicator of an inactive circuit at layer $1$, block-dependent embeddings."),
        _q("alpha_max_shared", "max", r"\max_{\rm passes,u}\bar\alpha_u\ \text{(layer 1, shared)}",
           eq_label="eq:rot-kcopies-amax-shared",
           doc="Largest averaged indicator of an inactive circuit at layer $1$, shared "
               "embeddings. Measured only; it is at most $z/S$."),
        _q("alpha_max_block", "max", r"\max_{\rm passes,u}\bar\alpha_u\ \text{(layer 1, block)}",
           eq_label="eq:rot-kcopies-amax-block",
           doc="Largest averaged indicator of an inactive circuit at layer $1$, block-dependent "
               "embeddings. Measured only; it is at most $z/S$."),
        _q("capacity", "value", r"T_{\max}(D/(2k+2),S)", params=(Pk, PD, PS),
           constraint=lambda p: (None if p["D"] % width(p["k"]) == 0
                                 and p["D"] // width(p["k"]) >= p["S"]
                                 else f"need d'=2k+2 | D and D/d' >= S, got k={p['k']}, D={p['D']}"),
           compute=lambda k, D, S: capacity_k(k, D, S), integer=True,
           eq_label="eq:rot-kcopies-capacity",
           doc="Capacity of the prime-step allocation at circuit width $d'=2k+2$."),
    ]
    return tuple(out)
