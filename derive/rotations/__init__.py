r"""Rotations in Superposition (RiS): published error lines, and ours from the real allocation.

Math reference: ``shared/math/cis2.md`` §5 (overlap statistics), §7 (rotation circuits, the
mean-weight construction (5.20), equations (6.4), (6.41)-(6.43), (6.55), (6.57) and their typo
corrections).  Built on ``derive/cis2.py`` (exact allocation statistics).

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
import sympy as sp

from superpose.derive import cis2
from superpose.derive.cis2 import alloc as cis2_alloc
from superpose.derive.quantity import Construction, Param, Quantity, Step

NAME = "rotations"
SOURCE = "RiS (Linsefors & Bushnaq, Dec 2025); shared/math/cis2.md §7"
d_ROT = 4

Pl = Param("l", int, 2, lo=1, hi=64, doc="layer (1 = first layer after the input injection)")
Pz = Param("z", int, 2, lo=1, hi=64, doc="active circuits per forward pass")
PD = Param("D", int, 1000, lo=24, hi=10**6, doc="network width (d = 4 divides D)")
PT = Param("T", int, 557, lo=1, hi=10**6, doc="number of circuits <= capacity")
PS = Param("S", int, 6, lo=2, hi=64, doc="redundancy")
PARAMS = (Pl, Pz, PD, PT, PS)
TOL = 0.10
TOL_WHY = ("(H)-model with second-order terms dropped (cross-covariances of link counts, "
           "capping of multiply-linked pairs, pi_x from loads instead of the realised chi); "
           "claimed only up to seizure onset (ReLU activation errors not in the model)")


def _check(p: dict) -> str | None:
    """Sizes that can be built; ``z = T`` (every circuit active) and ``T = 1`` are valid."""
    return cis2_alloc.size_error(p["D"], d_ROT, p["S"], p["T"], p["z"], spare=0)


def _check_inactive(p: dict) -> str | None:
    """:func:`_check`, and a quantity about inactive circuits needs one (``z < T``)."""
    return _check(p) or cis2_alloc.inactive_error(p["T"], p["z"])


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
        q1 = cis2._binom_ratio(T - np.arange(int(lam.max()) + 1), T - 1, z)  # P(not covered | load)
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
    from scipy.special import gammaln
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
    ``u``'s positions (derive/rotations_kcopies.k_law: the k = 1, shared-ket case is RiS's own
    network).  To leading order in the sharing probability (S < 8, where ``K >= 2`` suffices) it is
    :func:`layer1_seizure_fraction_leading` :math:`\binom z2(P_3-P_{\rm tri})`, which is 9% high at
    z = 3 and 20% high at z = 4 (D = 1000, T = 557): it double-counts three-way coverings.
    """
    from superpose.derive.rotations import kcopies as kc      # local: rotations_kcopies imports this module
    return kc.err_rate(1, z, D, T, S, "shared")


def layer1_seizure_fraction_leading(D: int, T: int, S: int, z: int) -> float:
    """The leading-order form of :func:`layer1_seizure_fraction` (S < 8 only; NaN otherwise)."""
    r = rot_stats(D, T, S, z)
    if S // 4 + 1 != 2:
        return math.nan
    return z * (z - 1) / 2 * (r.p3 - r.ptri)


# --------------------------------------------------------------------------- quantities


def _q(short, statistic, accuracy, definition, **kw) -> Quantity:
    # every quantity about inactive circuits (their errors, seizure, onset, the mean-field
    # model of erroneously-on read-outs) refuses z = T with one message
    inactive = "inactive" in short or short.startswith(("seiz", "onset")) or short.endswith("_mf")
    return Quantity(f"{NAME}.{short}", kw.pop("params", PARAMS), statistic, accuracy, definition,
                    constraint=_check_inactive if inactive else _check,
                    source=kw.pop("source", SOURCE), **kw)


def _pick(field: str):
    def f(l, z, D, T, S):
        return getattr(ideal_recursion(D, T, S, z, l), field)[l - 1]
    return f


_DEF = {
    "x_active": r"\mathbb E|\hat{\mathbf x}^l_t-\mathbf x^l_t|^2,\ t\in\mathcal V",
    "x_inactive": r"\mathbb E|\hat{\mathbf x}^l_u|^2,\ u\notin\mathcal V",
    "alpha_active": r"\mathbb E(\hat\alpha^l_t-1)^2,\ t\in\mathcal V",
    "alpha_inactive": r"\mathbb E(\hat\alpha^l_u)^2,\ u\notin\mathcal V",
}


def _quantities() -> list[Quantity]:
    l, z, D, T, S = (p.symbol for p in PARAMS)
    d = sp.Integer(d_ROT)
    q = d / D - 1 / (S * T)                                      # (6.3)
    pub = dict(published=True, tolerance=TOL,
               tolerance_reason="RiS's leading-order line; deviation reported as info")
    ours = dict(tolerance=TOL, tolerance_reason=TOL_WHY)
    out = [
        _q("x_mse_inactive_published", "mean-square", "approximate", _DEF["x_inactive"],
           closed_form=q * z, eq_label="eq:ris-6.57", source="RiS (6.57) (= (6.4), payload part)",
           doc="q z", **pub),
        _q("x_mse_active_published", "mean-square", "approximate", _DEF["x_active"],
           closed_form=(l - 1) * T * q**2 * (z + 8 * (z - 1)) + 9 * l * q * (z - 1),
           eq_label="eq:ris-6.55", source="RiS (6.55) (from (6.41) with (6.49), (6.53), (6.54))",
           doc="(l-1) T q^2 (z + 8(z-1)) + 9 l q (z-1)", **pub),
        _q("alpha_mse_inactive_published", "mean-square", "approximate", _DEF["alpha_inactive"],
           closed_form=q * z, eq_label="eq:ris-6.43", source="RiS (6.43): (1.5-0.5) q z",
           doc="q z", **pub),
        _q("alpha_mse_active_published", "mean-square", "approximate", _DEF["alpha_active"],
           closed_form=sp.Integer(0), eq_label="eq:ris-6.42", source="RiS (6.42)",
           doc="0 (equal errors on the two indicator neurons cancel while no ReLU flips)", **pub),
        _q("x_mse_inactive", "mean-square", "approximate", _DEF["x_inactive"],
           compute=_pick("x_inactive"), eq_label="eq:rot-x-inactive",
           source="corrects RiS (6.57): exact statistics, bias sharing, propagation",
           doc="(H) recursion I_l; layer 1 exact", **ours,
           steps=(Step("I_1", r"\frac{K_1+8\binom z2P_{\rm tri}}{S^2}",
                       "each covered position adds x_v/S; two sources at one position: bias once, +2(1,1)/S"),
                  Step("I_l", r"\frac{K_1(1+A_{l-1})+(\Lambda_{\rm cov}+K_2)I_{l-1}+8K_1(z-1)\kappa v/S}{S^2}"
                       r"+\frac{8\binom z2P_{\rm tri}}{S^2}",
                       "covered positions re-broadcast neighbours' read-outs and the link-count noise of c_n"))),
        _q("x_mse_active", "mean-square", "approximate", _DEF["x_active"],
           compute=_pick("x_active"), eq_label="eq:rot-x-active",
           source="corrects RiS (6.55): exact statistics, link-count variance, propagation of I",
           doc="(H) recursion A_l; layer 1 exact", **ours,
           steps=(Step("A_1", r"\frac{(z-1)(9P_{\rm sh}+8(z-2)P_3)}{S^2}", "|(2,2)+r_vx_v|^2 = 9, mean (2,2)"),
                  Step("A_l", r"A_{l-1}+p[(z-1)(1+A_{l-1})+(T-z)I_{l-1}]+8(z-1)[p+\kappa v/S^2]",
                       "r_t preserves norms; independent rotations; calW link weight 1/(S(1-pi_x))"))),
        _q("alpha_mse_inactive", "mean-square", "approximate", _DEF["alpha_inactive"],
           compute=_pick("alpha_inactive"), eq_label="eq:rot-alpha-inactive",
           source="corrects RiS (6.43): E k_u^2 includes the z(z-1)P_3 cross term",
           doc="K_2/S^2 (exact at layer 1; (H) resets it every layer)", **ours,
           steps=(Step(r"\hat\alpha_u", r"k_u/S", "f = 1 on every covered position"),
                  Step(r"\mathbb E\hat\alpha_u^2", r"K_2/S^2=\frac{zP_{\rm sh}+z(z-1)P_3}{S^2}", "o in {0,1}"))),
        _q("alpha_mse_active", "mean-square", "approximate", _DEF["alpha_active"],
           compute=_pick("alpha_active"), eq_label="eq:rot-alpha-active", source="= RiS (6.42)",
           doc="0 under (H) (f = 1 on the whole on-set)", **ours),
        _q("seizure_fraction_l1", "probability", "exact",
           r"\Pr(\hat\alpha^1_u>1/4),\ u\notin\mathcal V",
           compute=lambda l, z, D, T, S: layer1_seizure_fraction(D, T, S, z),
           eq_label="eq:rot-seizure-l1",
           doc="Pr(K > S/4), K = covered positions of u: exact inclusion-exclusion over the loads; "
               "layer 1 only (the leading-order form binom(z,2)(P_3 - P_tri) was 20% high at z = 4)",
           steps=(Step(r"\Pr(S-K=x)", r"\sum_{m\ge x}(-1)^{m-x}\binom mx N_m",
                       "N_m: probability that m given groups of u's positions are all missed"),
                  Step(r"\Pr(\hat\alpha^1_u>1/4)", r"\Pr(K>S/4)\approx\binom z2(P_3-P_{\rm tri})",
                       "leading order for S < 8 (K >= 2); drops three-way coverings"))),
    ]
    for short, field in (("x_mse_active_h", "x_active"), ("x_mse_inactive_h", "x_inactive"),
                         ("alpha_mse_inactive_h", "alpha_inactive")):
        out.append(_q(short, "mean-square", "approximate", _DEF[field.replace("x_", "x_").split("_")[0]
                                                               + "_" + field.split("_")[1]]
                      + r"\ \text{on the (H) network}",
                      compute=_pick(field), eq_label=f"eq:rot-{short.replace('_', '-')}",
                      source="derived here", tolerance=TOL,
                      tolerance_reason="(H)-model recursion, second-order terms dropped",
                      doc="our recursion on the (H) network (positions of active circuits linear, others 0)"))
    out += _meanfield_quantities()
    for var in ("x", "alpha"):
        for kind in ("active", "inactive"):
            out.append(_q(f"{var}_max_{kind}", "max", "exact",
                          rf"\max_{{\text{{passes}},t}}|\delta {var}^l_t|\ ({kind})",
                          eq_label=f"eq:rot-{var}-max-{kind}",
                          doc="worst case over passes and circuits: measured only (no prediction)"))
    out.append(_q("frac_on", "mean", "exact", r"\Pr(A^l_i\ne0)", eq_label="eq:rot-frac-on",
                  doc="fraction of non-zero neurons at layer l: measured only"))
    out.append(_q("onset_layer", "value", "exact",
                  r"\min\{l:\Pr_u(\hat\alpha^l_u>1/4)>1\%\}", eq_label="eq:rot-onset",
                  doc="seizure onset layer (L+1 if none): measured only"))
    return out


def _mf(field: str):
    def f(l, z, D, T, S):
        from superpose.derive.rotations import meanfield as mf
        return getattr(mf.predict(D, T, S, z, l), field)[l - 1]
    return f


def _meanfield_quantities() -> list[Quantity]:
    """Beyond (H): the indicator-field mean-field model (derive/rotations_meanfield.py)."""
    why = ("mean-field closure (independent read-outs, binomial touching counts, own-circuit term "
           "only); semi-quantitative: tolerance declared before the asymptotic sweep")
    return [
        _q("offfield_var_mf", "mean", "approximate",
           r"\mathrm{Var}_{n\ \rm off}(c^l_n),\ c=\mathcal W^l f^{l-1}",
           compute=_mf("var_c_off"), tolerance=0.5, tolerance_reason=why,
           eq_label="eq:rot-offfield-var", source="derived here (asymptotic question)",
           doc="Var(c) at off positions ~ kappa_cap lambda E alpha_hat^2/(1-pi)^2, lambda = S tau N",
           steps=(Step(r"c^l_n", r"\frac{1}{1-\pi}\sum_{u\ni n}\hat\alpha^{l-1}_u-\chi F^{l-1}",
                       "calW = 1/S on links, -chi elsewhere; links come in S-blocks per circuit"),
                  Step(r"\mathrm{Var}(c^l)", r"\kappa_{\rm cap}\bar\lambda\,\mathbb E(\hat\alpha^{l-1})^2/(1-\pi)^2",
                       "independent circuits through n; capping kappa = pi(1-pi)/(-ln(1-pi))"),
                  Step(r"\bar\lambda", r"S\tau N", "mean load TS/N, tau = T(d/D)^2: grows with D"))),
        _q("seized_fraction_mf", "probability", "approximate",
           r"\Pr(\hat\alpha^l_u>1/4),\ u\notin\mathcal V", compute=_mf("seized"),
           tolerance=1.0, tolerance_reason=why + "; a tail probability, factor-2 level",
           eq_label="eq:rot-seized-mf", source="derived here",
           doc="mean-field law of alpha_hat (FFT over loads, own-circuit persistence)"),
        _q("x_mse_active_mf", "mean-square", "approximate", _DEF["x_active"],
           compute=_mf("x_active"), tolerance=0.5, tolerance_reason=why,
           eq_label="eq:rot-x-active-mf", source="derived here",
           doc="(H) recursion + 8 Var_on(c)/S (indicator noise from erroneously-on read-outs)"),
        _q("onset_layer_predicted", "value", "approximate",
           r"\min\{l:\Pr_u(\hat\alpha^l_u>1/4)>1\%\}", integer=True,
           compute=lambda l, z, D, T, S: __import__("superpose.derive.rotations.meanfield",
                                                     fromlist=["predict"]).predict(D, T, S, z, l).onset,
           tolerance=0.34, tolerance_reason="+-1 layer at onset 3 (mean-field over-predicts seizure "
           "at small loads, i.e. small D)", eq_label="eq:rot-onset-pred", source="derived here",
           doc="first layer <= l with mean-field seized fraction > 1% (l+1 if none)"),
    ]


from superpose.derive.rotations import kcopies as rotations_kcopies  # noqa: E402  (k on-indicator copies, layer 1)
from superpose.derive.rotations import relu as rotations_relu  # noqa: E402  (ReLU-activation error model)


def construction() -> Construction:
    return Construction(
        NAME, "Rotations in Superposition (mean-weight CiS2 construction)",
        "RiS's rotation circuits on the CiS2 prime-step allocation: published error lines "
        "(6.42), (6.43), (6.55), (6.57) beside our (H) recursion with exact allocation statistics.",
        tuple(_quantities()) + tuple(rotations_relu.quantities())
        + tuple(rotations_kcopies.quantities()), source=SOURCE)
