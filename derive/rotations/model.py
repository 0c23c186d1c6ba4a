r"""RiS rotations: the (H) model -- parameters, allocation statistics and the recursion.

Math reference: ``shared/math/cis2.md`` §5 (overlap statistics), §7 (rotation circuits, the
mean-weight construction (5.20), equations (6.4), (6.41)-(6.43), (6.55), (6.57) and their typo
corrections).  Built on :mod:`superpose.derive.cis2` (exact allocation statistics).  Shared by the
registered quantities (:mod:`superpose.derive.rotations`) and the models beyond (H)
(:mod:`~superpose.derive.rotations.meanfield`, :mod:`~superpose.derive.rotations.relu`).

**Reduction of the rotation network** (derived here).  For the RiS rotation circuits
(``d = 4``, cis2.md §7) every large position ``n`` carries an *indicator field*
``f_n = A0 - A1`` and a *payload field* ``y_n = (A2, A3) - f_n (1,1)``.  Because
``Dw_u A_m = (0, 0, r_u y_m)`` and ``wbar A_m = 2 f_m (1,1,1,1)``, the layer map is

.. math::
   c_n=(\mathcal W^l f^{l-1})_n,\qquad h_n=\sum_{u\ni n}r_u\hat{\mathbf x}^{l-1}_u,\qquad
   f_n=\mathrm{step}(c_n),\qquad y_n=\mathrm{ReLU}(2c_n-1+h_n)-f_n,

with ``step(c) = ReLU(2c - 1/2) - ReLU(2c - 3/2)`` and readouts
:math:`\hat\alpha_t=\frac1S\langle e_t|f\rangle`, :math:`\hat{\mathbf x}_t=\frac1S\langle e_t|y\rangle`.
Under hypothesis (H) (positions of active circuits pass linearly, all others are 0):
``f = 1`` on the on-set ``U`` and ``y_n = 2(c_n - 1)(1,1) + h_n``.  Hence, for an active ``t``,

.. math::
   \delta\mathbf x^l_t = r_t\,\delta\mathbf x^{l-1}_t
   + \tfrac1S\sum_{u\ne t}o^l_{tu}r_u\hat{\mathbf x}^{l-1}_u
   + \tfrac2S\sum_{n\in\mathcal S^l_t}(c_n-1)\,(1,1),

three mutually uncorrelated terms (independent uniform rotations ``r_u``), which gives the
recursion of :func:`ideal_recursion`.  The ``c_n - 1`` term is the mean-weight (RiS's ``wbar``)
error: a position shared with another active circuit has ``c_n = 2`` (mean ``8 P_sh/S^2``
per source, RiS's "8"), and the *link count* of ``n`` to the other sources' positions
fluctuates with variance :math:`\sum_m\pi_{nm}(1-\pi_{nm})` (capped links), scaled by
:math:`(1/S+\chi)^2=1/(S(1-\pi_\times))^2`.  RiS's (6.41) uses ``q`` for every overlap
statistic and ``1/S`` for the link weight; ``1/(1 - pi_x)^2`` is 2.2 at D=1000, T=557.

**Inactive circuits** at layer 1 (exact): ``alpha_u = k_u/S`` (``k_u`` positions of ``u``
covered by active circuits), and a position covered by two active circuits gets the bias
once, so ``delta x`` gains ``2(1,1)/S`` there: ``E|x_u|^2 = (K_1 + 8 C(z,2) P_tri)/S^2``.

**ReLU activation error / seizure** (measured; cis2.md §6): off positions switch on when
``c_n > 1/4``; ``c_n`` has standard deviation ~ ``sqrt(pi/(S(1-pi)))`` with link density
``pi ~ 1 - exp(-T S^2 (d/D)^2)``, a function of ``T (d/D)^2`` and ``S`` only.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

from superpose.derive import cis2
from superpose.derive.cis2 import alloc as cis2_alloc
from superpose.derive.common import CIRCUIT_WIDTH as d_ROT
from superpose.derive.common import binom_ratio
from superpose.derive.quantity import Param
from superpose.derive.rotations import kcopies

NAME = "rotations"
SOURCE = r"\cite{ris}, code \cite{riscode}; allocation of \cite{cis2}"

Pl = Param("l", int, 2, lo=1, hi=64, doc="layer $l$; layer $1$ is the first layer after the input injection")
Pz = kcopies.Pz            # declared once (the k-copies variant shares z and S)
PD = Param("D", int, 1000, lo=24, hi=10**6, doc="network width $D$, a multiple of the circuit width $d=4$")
PT = Param("T", int, 557, lo=1, hi=10**6, doc=r"number of circuits, at most the capacity $T_{\max}$")
PS = kcopies.PS
PARAMS = (Pl, Pz, PD, PT, PS)


def _check(p: dict) -> str | None:
    """Sizes that can be built; ``z = T`` (every circuit active) and ``T = 1`` are valid."""
    return cis2_alloc.size_error(p["D"], d_ROT, p["S"], p["T"], p["z"], spare=0)


def _check_inactive(p: dict) -> str | None:
    """:func:`_check`, and a quantity about inactive circuits needs one (``z < T``)."""
    return _check(p) or cis2_alloc.inactive_error(p["T"], p["z"])


def _check_klaw(p: dict) -> str | None:
    """:func:`_check_inactive`, and the exact law of K (:func:`kcopies.k_law`) must run in a few
    seconds (its work grows as 2^S T z; refused before anything is computed)."""
    return _check_inactive(p) or kcopies.k_law_work_error(p["S"], p["T"], p["z"])


# ------------------------------------------------------------------- allocation statistics


@dataclass(frozen=True)
class RotStats:
    """Exact (or load-exact) statistics of the first T subsets, see module docstring.

    p: P_sh/S^2; p3: P3; k1, k2: E k_u, E k_u^2; ptri: P(three circuits share one position);
    lam_cov: E sum_{covered n in S_u} (lambda_n - 2); pivar: mean pi(1-pi) over position pairs
    (load-weighted, each side excluding the circuit it came from); pix: link fraction of a
    random circuit pair (sets chi: 1/S + chi = 1/(S(1-pix))).
    """

    S: int
    T: int
    z: int
    psh: float
    p: float
    p3: float
    k1: float
    k2: float
    ptri: float
    lam_cov: float
    pivar: float
    pix: float


@functools.lru_cache(maxsize=512)
def rot_stats(D: int, T: int, S: int, z: int) -> RotStats:
    """Statistics of the real allocation at N = D/4 (exact finite sums over the loads).

    Small sizes: with fewer than three circuits ``ptri`` (no triple) and ``pivar``/``pix`` (no
    third circuit to link through) are 0; with ``z = T`` the inactive statistics ``k1``, ``k2``,
    ``lam_cov`` are NaN (no inactive circuit; the quantities that use them refuse ``z = T``).
    """
    N = D // d_ROT
    st = cis2.alloc_stats(N, S, T, z)
    sub = cis2.subsets_array(N, S, T)
    lam = np.bincount(sub.ravel(), minlength=N).astype(np.int64)
    ptri = float(np.sum(lam * (lam - 1) * (lam - 2))) / (T * (T - 1) * (T - 2)) if T >= 3 else 0.0
    if z < T:
        q1 = binom_ratio(T - np.arange(int(lam.max()) + 1), T - 1, z)  # P(not covered | load)
        lam_cov = float(np.sum(lam * (lam - 2) * (1 - q1[lam]))) / T
    else:
        lam_cov = math.nan
    if T < 3:
        return RotStats(S, T, z, st.psh, st.psh / S**2, st.p3, st.k1, st.k2, ptri, lam_cov,
                        0.0, 1 - (1 - st.psh / S) ** 2)
    vals, cnt = np.unique(lam[lam > 0], return_counts=True)
    w = vals * cnt / (T * S)                                    # load law of a circuit's position
    a, b = vals[:, None], vals[None, :]
    # pi_ab = P(some of the a-1 other circuits at n (layer l) is among the b-1 at m (layer l-1)),
    # a uniform bijection between the two layers' subsets: hypergeometric zero class
    # (small T: where a - 1 exceed the T - 2 - (b - 1) circuits left, the zero class is empty)
    a, b = np.broadcast_arrays(a, b)
    ok = (a - 1 <= T - 2 - (b - 1))
    with np.errstate(invalid="ignore"):
        pi = 1 - np.exp(sp_lgamma(T - 2 - (b - 1) + 1) - sp_lgamma(T - 2 - (b - 1) - (a - 1) + 1)
                        - sp_lgamma(T - 2 + 1) + sp_lgamma(T - 2 - (a - 1) + 1))
    pi = np.where(ok, pi, 1.0)
    pivar = float(w @ (pi * (1 - pi)) @ w)
    pibar = float(w @ pi @ w)
    pix = 1 - (1 - st.psh / S) ** 2 * (1 - pibar)
    return RotStats(S, T, z, st.psh, st.psh / S**2, st.p3, st.k1, st.k2, ptri, lam_cov, pivar, pix)


def sp_lgamma(x):
    """Elementwise log Gamma (scipy)."""
    return gammaln(np.asarray(x, dtype=float))


# ----------------------------------------------------------------------- recursions


@dataclass(frozen=True)
class RotRecursion:
    """Per-layer predictions (index l-1 = layer l) of the (H) model."""

    x_active: tuple[float, ...]
    x_inactive: tuple[float, ...]
    alpha_active: tuple[float, ...]
    alpha_inactive: tuple[float, ...]


def ideal_recursion(D: int, T: int, S: int, z: int, L: int) -> RotRecursion:
    r"""Mean squares under (H) with the real allocation's statistics (module docstring).

    Layer 1 (exact): :math:`A_1=(z-1)(9P_{\rm sh}+8(z-2)P_3)/S^2`,
    :math:`I_1=(K_1+8\binom z2P_{\rm tri})/S^2`, :math:`I^\alpha=K_2/S^2`, active alpha 0.
    Layers l >= 2, with :math:`p=P_{\rm sh}/S^2`, :math:`\kappa=1/(1-\pi_\times)^2`, ``v = pivar``:

    .. math::
       A_l=A_{l-1}+p\,[(z-1)(1+A_{l-1})+(T-z)I_{l-1}]+8(z-1)[p+\kappa v/S^2]

    .. math::
       I_l=\tfrac1{S^2}\big[K_1(1+A_{l-1})+(\Lambda_{\rm cov}+K_2)I_{l-1}
           +8K_1(z-1)\kappa v/S\big]+8\tbinom z2P_{\rm tri}/S^2
    """
    r = rot_stats(D, T, S, z)
    kap = 1.0 / (1.0 - r.pix) ** 2
    A = (z - 1) * (9 * r.psh + 8 * (z - 2) * r.p3) / S**2
    pairs = z * (z - 1) / 2
    I = (r.k1 + 8 * pairs * r.ptri) / S**2
    xa, xi = [A], [I]
    for _ in range(2, L + 1):
        # z = T: no inactive read-outs to propagate (I is NaN there: no inactive circuit)
        A_new = (A + r.p * ((z - 1) * (1 + A) + ((T - z) * I if T > z else 0.0))
                 + 8 * (z - 1) * (r.p + kap * r.pivar / S**2))
        I = ((r.k1 * (1 + A) + (r.lam_cov + r.k2) * I + 8 * r.k1 * (z - 1) * kap * r.pivar / S)
             / S**2 + 8 * pairs * r.ptri / S**2)
        A = A_new
        xa.append(A)
        xi.append(I)
    return RotRecursion(tuple(xa), tuple(xi), (0.0,) * L, (r.k2 / S**2,) * L)


def layer1_seizure_fraction(D: int, T: int, S: int, z: int) -> float:
    r"""P(alpha_u > 1/4) at layer 1 for inactive u, exact from the loads.

    :math:`\hat\alpha^1_u=K_u/S` with ``K_u`` the number of ``u``'s positions covered by active
    circuits; its law is the exact inclusion-exclusion over the group sizes ``lambda_n - 1`` of
    ``u``'s positions (:func:`superpose.derive.rotations.kcopies.k_law`: the k = 1, shared-ket case is RiS's own
    network).  To leading order in the sharing probability (S < 8, where ``K >= 2`` suffices) it is
    :func:`layer1_seizure_fraction_leading` :math:`\binom z2(P_3-P_{\rm tri})`, which is 9% high at
    z = 3 and 20% high at z = 4 (D = 1000, T = 557): it double-counts three-way coverings.
    """
    return kcopies.err_rate(1, z, D, T, S, "shared")


def layer1_seizure_fraction_leading(D: int, T: int, S: int, z: int) -> float:
    """The leading-order form of :func:`layer1_seizure_fraction` (S < 8 only; NaN otherwise)."""
    r = rot_stats(D, T, S, z)
    if S // 4 + 1 != 2:
        return math.nan
    return z * (z - 1) / 2 * (r.p3 - r.ptri)
