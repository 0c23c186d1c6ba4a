r"""Rotations in Superposition (RiS): published error lines, and ours from the real allocation.

RiS's rotation circuits (Linsefors & Bushnaq, "Rotations in Superposition", Dec 2025) on the
CiS2 prime-step allocation with the mean-weight construction (5.20); maths in
``shared/math/cis2.md`` §5-§7.  The registered quantities put RiS's published lines
(6.42), (6.43), (6.55), (6.57) beside our models:

* :mod:`.model` -- parameters, exact allocation statistics and the (H) recursion (its
  docstring derives the reduction of the network to indicator and payload fields);
* :mod:`.meanfield` -- the indicator-field mean-field model of seizure;
* :mod:`.relu` -- the ReLU-activation error model (``*_relu``);
* :mod:`.kcopies` -- k copies of the on-indicator, layer 1 (``kcopies_*``).
"""
from __future__ import annotations

import sympy as sp

from superpose.derive.quantity import Construction, Quantity, Step
from superpose.derive.rotations import kcopies as rotations_kcopies
from superpose.derive.rotations import meanfield
from superpose.derive.rotations import relu as rotations_relu
from superpose.derive.rotations.model import (  # noqa: F401  (public names of the package)
    NAME, PARAMS, SOURCE, PD, Pl, PS, PT, Pz, RotRecursion, RotStats, _check, _check_inactive,
    _check_klaw, d_ROT, ideal_recursion, layer1_seizure_fraction, layer1_seizure_fraction_leading, rot_stats,
    sp_lgamma,
)

TOL = 0.10
TOL_WHY = ("(H)-model with second-order terms dropped (cross-covariances of link counts, "
           "capping of multiply-linked pairs, pi_x from loads instead of the realised chi); "
           "claimed only up to seizure onset (ReLU activation errors not in the model)")


# --------------------------------------------------------------------------- quantities


def _q(short, statistic, accuracy, definition, *, inactive: bool, **kw) -> Quantity:
    """One quantity; ``inactive``: it is about inactive circuits (their errors, seizure, onset,
    the mean-field model of erroneously-on read-outs), so it refuses ``z = T``."""
    return Quantity(f"{NAME}.{short}", kw.pop("params", PARAMS), statistic, accuracy, definition,
                    constraint=kw.pop("constraint", _check_inactive if inactive else _check),
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
        _q("x_mse_inactive_published", "mean-square", "approximate", _DEF["x_inactive"], inactive=True,
           closed_form=q * z, eq_label="eq:ris-6.57", source="RiS (6.57) (= (6.4), payload part)",
           doc="q z", **pub),
        _q("x_mse_active_published", "mean-square", "approximate", _DEF["x_active"], inactive=False,
           closed_form=(l - 1) * T * q**2 * (z + 8 * (z - 1)) + 9 * l * q * (z - 1),
           eq_label="eq:ris-6.55", source="RiS (6.55) (from (6.41) with (6.49), (6.53), (6.54))",
           doc="(l-1) T q^2 (z + 8(z-1)) + 9 l q (z-1)", **pub),
        _q("alpha_mse_inactive_published", "mean-square", "approximate", _DEF["alpha_inactive"],
           inactive=True,
           closed_form=q * z, eq_label="eq:ris-6.43", source="RiS (6.43): (1.5-0.5) q z",
           doc="q z", **pub),
        _q("alpha_mse_active_published", "mean-square", "approximate", _DEF["alpha_active"],
           inactive=False,
           closed_form=sp.Integer(0), eq_label="eq:ris-6.42", source="RiS (6.42)",
           doc="0 (equal errors on the two indicator neurons cancel while no ReLU flips)", **pub),
        _q("x_mse_inactive", "mean-square", "approximate", _DEF["x_inactive"], inactive=True,
           compute=_pick("x_inactive"), eq_label="eq:rot-x-inactive",
           source="corrects RiS (6.57): exact statistics, bias sharing, propagation",
           doc="(H) recursion I_l; layer 1 exact", **ours,
           steps=(Step("I_1", r"\frac{K_1+8\binom z2P_{\rm tri}}{S^2}",
                       "each covered position adds x_v/S; two sources at one position: bias once, +2(1,1)/S"),
                  Step("I_l", r"\frac{K_1(1+A_{l-1})+(\Lambda_{\rm cov}+K_2)I_{l-1}+8K_1(z-1)\kappa v/S}{S^2}"
                       r"+\frac{8\binom z2P_{\rm tri}}{S^2}",
                       "covered positions re-broadcast neighbours' read-outs and the link-count noise of c_n"))),
        _q("x_mse_active", "mean-square", "approximate", _DEF["x_active"], inactive=False,
           compute=_pick("x_active"), eq_label="eq:rot-x-active",
           source="corrects RiS (6.55): exact statistics, link-count variance, propagation of I",
           doc="(H) recursion A_l; layer 1 exact", **ours,
           steps=(Step("A_1", r"\frac{(z-1)(9P_{\rm sh}+8(z-2)P_3)}{S^2}", "|(2,2)+r_vx_v|^2 = 9, mean (2,2)"),
                  Step("A_l", r"A_{l-1}+p[(z-1)(1+A_{l-1})+(T-z)I_{l-1}]+8(z-1)[p+\kappa v/S^2]",
                       "r_t preserves norms; independent rotations; calW link weight 1/(S(1-pi_x))"))),
        _q("alpha_mse_inactive", "mean-square", "approximate", _DEF["alpha_inactive"], inactive=True,
           compute=_pick("alpha_inactive"), eq_label="eq:rot-alpha-inactive",
           source="corrects RiS (6.43): E k_u^2 includes the z(z-1)P_3 cross term",
           doc="K_2/S^2 (exact at layer 1; (H) resets it every layer)", **ours,
           steps=(Step(r"\hat\alpha_u", r"k_u/S", "f = 1 on every covered position"),
                  Step(r"\mathbb E\hat\alpha_u^2", r"K_2/S^2=\frac{zP_{\rm sh}+z(z-1)P_3}{S^2}", "o in {0,1}"))),
        _q("alpha_mse_active", "mean-square", "approximate", _DEF["alpha_active"], inactive=False,
           compute=_pick("alpha_active"), eq_label="eq:rot-alpha-active", source="= RiS (6.42)",
           doc="0 under (H) (f = 1 on the whole on-set)", **ours),
        _q("seizure_fraction_l1", "probability", "exact",
           r"\Pr(\hat\alpha^1_u>1/4),\ u\notin\mathcal V", inactive=True,
           compute=lambda l, z, D, T, S: layer1_seizure_fraction(D, T, S, z),
           constraint=_check_klaw,
           eq_label="eq:rot-seizure-l1",
           doc="Pr(K > S/4), K = covered positions of u: exact inclusion-exclusion over the loads; "
               "layer 1 only (the leading-order form binom(z,2)(P_3 - P_tri) was 20% high at z = 4)",
           steps=(Step(r"\Pr(S-K=x)", r"\sum_{m\ge x}(-1)^{m-x}\binom mx N_m",
                       "N_m: probability that m given groups of u's positions are all missed"),
                  Step(r"\Pr(\hat\alpha^1_u>1/4)", r"\Pr(K>S/4)\approx\binom z2(P_3-P_{\rm tri})",
                       "leading order for S < 8 (K >= 2); drops three-way coverings"))),
    ]
    for short, field, inactive in (("x_mse_active_h", "x_active", False),
                                   ("x_mse_inactive_h", "x_inactive", True),
                                   ("alpha_mse_inactive_h", "alpha_inactive", True)):
        out.append(_q(short, "mean-square", "approximate",
                      _DEF[field] + r"\ \text{on the (H) network}", inactive=inactive,
                      compute=_pick(field), eq_label=f"eq:rot-{short.replace('_', '-')}",
                      source="derived here", tolerance=TOL,
                      tolerance_reason="(H)-model recursion, second-order terms dropped",
                      doc="our recursion on the (H) network (positions of active circuits linear, others 0)"))
    out += _meanfield_quantities()
    for var in ("x", "alpha"):
        for kind in ("active", "inactive"):
            out.append(_q(f"{var}_max_{kind}", "max", "exact",
                          rf"\max_{{\text{{passes}},t}}|\delta {var}^l_t|\ ({kind})",
                          inactive=(kind == "inactive"),
                          eq_label=f"eq:rot-{var}-max-{kind}",
                          doc="worst case over passes and circuits: measured only (no prediction)"))
    out.append(_q("frac_on", "mean", "exact", r"\Pr(A^l_i\ne0)", eq_label="eq:rot-frac-on",
                  inactive=False,
                  doc="fraction of non-zero neurons at layer l: measured only"))
    out.append(_q("onset_layer", "value", "exact",
                  r"\min\{l:\Pr_u(\hat\alpha^l_u>1/4)>1\%\}", eq_label="eq:rot-onset", inactive=True,
                  doc="seizure onset layer (L+1 if none): measured only"))
    return out


def _mf(field: str):
    def f(l, z, D, T, S):
        return getattr(meanfield.predict(D, T, S, z, l), field)[l - 1]
    return f


def _mf_onset(l, z, D, T, S) -> int:
    return meanfield.predict(D, T, S, z, l).onset


def _meanfield_quantities() -> list[Quantity]:
    """Beyond (H): the indicator-field mean-field model (:mod:`.meanfield`)."""
    why = ("mean-field closure (independent read-outs, binomial touching counts, own-circuit term "
           "only); semi-quantitative: tolerance declared before the asymptotic sweep")
    return [
        _q("offfield_var_mf", "mean", "approximate",
           r"\mathrm{Var}_{n\ \rm off}(c^l_n),\ c=\mathcal W^l f^{l-1}", inactive=True,
           compute=_mf("var_c_off"), tolerance=0.5, tolerance_reason=why,
           eq_label="eq:rot-offfield-var", source="derived here (asymptotic question)",
           doc="Var(c) at off positions ~ kappa_cap lambda E alpha_hat^2/(1-pi)^2, lambda = S tau N",
           steps=(Step(r"c^l_n", r"\frac{1}{1-\pi}\sum_{u\ni n}\hat\alpha^{l-1}_u-\chi F^{l-1}",
                       "calW = 1/S on links, -chi elsewhere; links come in S-blocks per circuit"),
                  Step(r"\mathrm{Var}(c^l)", r"\kappa_{\rm cap}\bar\lambda\,\mathbb E(\hat\alpha^{l-1})^2/(1-\pi)^2",
                       "independent circuits through n; capping kappa = pi(1-pi)/(-ln(1-pi))"),
                  Step(r"\bar\lambda", r"S\tau N", "mean load TS/N, tau = T(d/D)^2: grows with D"))),
        _q("seized_fraction_mf", "probability", "approximate",
           r"\Pr(\hat\alpha^l_u>1/4),\ u\notin\mathcal V", compute=_mf("seized"), inactive=True,
           tolerance=1.0, tolerance_reason=why + "; a tail probability, factor-2 level",
           eq_label="eq:rot-seized-mf", source="derived here",
           doc="mean-field law of alpha_hat (FFT over loads, own-circuit persistence)"),
        _q("x_mse_active_mf", "mean-square", "approximate", _DEF["x_active"], inactive=True,
           compute=_mf("x_active"), tolerance=0.5, tolerance_reason=why,
           eq_label="eq:rot-x-active-mf", source="derived here",
           doc="(H) recursion + 8 Var_on(c)/S (indicator noise from erroneously-on read-outs)"),
        _q("onset_layer_predicted", "value", "approximate",
           r"\min\{l:\Pr_u(\hat\alpha^l_u>1/4)>1\%\}", integer=True, inactive=True,
           compute=_mf_onset,
           tolerance=0.34, tolerance_reason="+-1 layer at onset 3 (mean-field over-predicts seizure "
           "at small loads, i.e. small D)", eq_label="eq:rot-onset-pred", source="derived here",
           doc="first layer <= l with mean-field seized fraction > 1% (l+1 if none)"),
    ]



def construction() -> Construction:
    return Construction(
        NAME, "Rotations in Superposition (mean-weight CiS2 construction)",
        "RiS's rotation circuits on the CiS2 prime-step allocation: published error lines "
        "(6.42), (6.43), (6.55), (6.57) beside our (H) recursion with exact allocation statistics.",
        tuple(_quantities()) + tuple(rotations_relu.quantities())
        + tuple(rotations_kcopies.quantities()), source=SOURCE)
