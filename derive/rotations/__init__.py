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

from superpose.derive.cis2.notation import q_ris, with_symbols
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
TOL_WHY = (r"the recursion under hypothesis $(\mathrm H)$ drops second-order terms (the "
           r"cross-covariances of link counts, the capping of multiply linked pairs, $\pi_\times$ "
           r"from the loads instead of the realised $\chi$); it is claimed only up to seizure "
           r"onset, since the $\mathrm{ReLU}$ activation error is not in the model")
_PUB_WHY = "leading order; the deviation is reported, not judged"
#: The setup paragraph: every symbol the rotations quantities use, defined once.
INTRO = (
    r"\citet{ris} run rotation circuits of width $d=4$ on the prime-step allocation of "
    r"\citet{cis2} (notation of \S\ref{sec:cis2}). Circuit $t$ carries an on-indicator "
    r"$\alpha_t$, $1$ when active and $0$ when inactive, cleaned every layer by the two-"
    r"$\mathrm{ReLU}$ step $\mathrm{step}(c)=\min(1,\max(0,2c-1/2))$, and a payload "
    r"$\mathbf x_t\in\mathbb R^2$ rotated every layer by an independent uniform rotation "
    r"$r_t$; the read-outs are $\hat\alpha^l_t$ and $\hat{\mathbf x}^l_t$. Because the circuit "
    r"weights have a non-zero mean $\bar w$, the network embeds it through the mean-weight "
    r"matrix $\mathcal W^l$ of \citet{ris}, eq. (5.20): $1/S$ on the position pairs $(n,m)$ "
    r"linked by some circuit and $-\chi$ elsewhere, with $\chi$ chosen so that distinct "
    r"circuits do not interact on average. With $\pi_\times$ the fraction of position pairs "
    r"of two random circuits that are linked, $1/S+\chi=1/(S(1-\pi_\times))$. At a position "
    r"$n$ the network carries an indicator field $f_n=\mathrm{step}(c_n)$, driven by "
    r"$c_n=(\mathcal W^lf^{l-1})_n$, and a payload field. Under hypothesis $(\mathrm H)$ "
    r"$f=1$ on the on-set (the positions of active circuits) and the payload passes linearly "
    r"there; all other positions are zero. Besides $P_{\rm sh}$, $P_3$, $K_1$ and $K_2$ of "
    r"\S\ref{sec:cis2}, the recursions use $p=P_{\rm sh}/S^2$, the probability "
    r"$P_{\rm tri}$ that three distinct circuits share a position, the mean excess load "
    r"$\Lambda_{\rm cov}=\mathbb E\sum_n(\lambda_n-2)$ over the covered positions $n$ of an "
    r"inactive circuit, the mean link-count variance $v$ of a position pair, and "
    r"$\kappa=1/(1-\pi_\times)^2$. $A_l$ and $I_l$ are the mean-square payload errors of an "
    r"active and an inactive circuit at layer $l$. An inactive circuit is seized when "
    r"$\hat\alpha_u>1/4$, where the step no longer removes its error; the onset layer is the "
    r"first layer where more than $1\%$ of inactive circuits are seized. In the $k$-copies "
    r"variant a circuit of width $d'=2k+2$ holds $k$ copies of the on-indicator, whose mean "
    r"$\bar\alpha$ gates the payload; the copies either share one embedding vector (shared "
    r"embeddings) or each use an independent permutation of the subsets (block-dependent "
    r"embeddings).")
DISCUSSION = (
    r"Three models describe the network at increasing cost. The recursion under hypothesis "
    r"$(\mathrm H)$ is exact at layer $1$ and, with exact allocation statistics, corrects the "
    r"published lines there; it assumes that no off neuron switches on, so it fails from the "
    r"seizure onset on, which the measured onset layer locates for each point. The mean-field "
    r"model of the indicator field explains why the error grows with $D$ at fixed $T(d/D)^2$ "
    r"(the load of a position grows like $N$), but it closes the field over independent "
    r"read-outs and is semi-quantitative, a factor of two on tail probabilities. The model of "
    r"the $\mathrm{ReLU}$ network propagates the exact discrete law of the off-position links "
    r"and holds within its tolerance up to onset; past onset the on-set no longer has $f=1$ "
    r"and none of the models applies. The $k$-copies variant is derived at layer $1$ only; "
    r"deeper layers need a generalisation of the mean-weight matrix that the sources leave "
    r"open.")


#: Display symbols: $A$ / $I$ for active / inactive payload errors, a superscript $\alpha$ for the
#: indicator, and the model or source as a second superscript ((6.55): RiS's equation).
SYMBOLS = {
    "x_mse_inactive_published": r"I_l^{(6.57)}",
    "x_mse_active_published": r"A_l^{(6.55)}",
    "alpha_mse_inactive_published": r"I_l^{\alpha,(6.43)}",
    "alpha_mse_active_published": r"A_l^{\alpha,(6.42)}",
    "alpha_mse_inactive": r"I^\alpha_l",
    "alpha_mse_active": r"A^\alpha_l",
    "seizure_fraction_l1": r"P^{(1)}_{\rm seized}",
    "x_mse_active_h": r"A_l^{\rm H}",
    "x_mse_inactive_h": r"I_l^{\rm H}",
    "alpha_mse_inactive_h": r"I_l^{\alpha,\rm H}",
    "offfield_var_mf": r"\mathrm{Var}(c^l_{\rm off})",
    "seized_fraction_mf": r"P_{\rm seized}^{\rm mf}",
    "x_mse_active_mf": r"A_l^{\rm mf}",
    "onset_layer_predicted": r"l_{\rm onset}^{\rm mf}",
    "x_max_active": r"\max|\delta\mathbf x^l_t|",
    "x_max_inactive": r"\max|\hat{\mathbf x}^l_u|",
    "alpha_max_active": r"\max|\delta\alpha^l_t|",
    "alpha_max_inactive": r"\max\hat\alpha^l_u",
    "frac_on": r"f^l_{\rm on}",
    "onset_layer": r"l_{\rm onset}",
    "x_mse_active_relu": r"A_l^{\rm relu}",
    "x_mse_inactive_relu": r"I_l^{\rm relu}",
    "alpha_mse_inactive_relu": r"I_l^{\alpha,\rm relu}",
    "alpha_mse_active_relu": r"A_l^{\alpha,\rm relu}",
    "seized_fraction_relu": r"P_{\rm seized}^{\rm relu}",
    "onset_layer_relu": r"l_{\rm onset}^{\rm relu}",
    "kcopies_err_shared": r"P_{\rm err}^{\rm shared}",
    "kcopies_err_block": r"P_{\rm err}^{\rm block}",
    "kcopies_alpha_ms_shared": r"\mathbb E(\bar\alpha^{\rm shared}_u)^2",
    "kcopies_alpha_ms_block": r"\mathbb E(\bar\alpha^{\rm block}_u)^2",
    "kcopies_alpha_max_shared": r"\max\bar\alpha_u^{\rm shared}",
    "kcopies_alpha_max_block": r"\max\bar\alpha_u^{\rm block}",
    "kcopies_capacity": r"T_{\max}(D/(2k+2),S)",
}


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
    q = q_ris(d, D, S, T)                                        # (6.3): d/D - 1/(S T), printed q
    pub = dict(published=True, tolerance=TOL, tolerance_reason=_PUB_WHY)
    ours = dict(tolerance=TOL, tolerance_reason=TOL_WHY)
    out = [
        _q("x_mse_inactive_published", "mean-square", "approximate", _DEF["x_inactive"], inactive=True,
           closed_form=q * z, eq_label="eq:ris-6.57",
           source=r"\cite{ris}, eq. (6.57), the payload part of eq. (6.4)",
           doc=r"The inactive payload error $qz$ of \citet{ris}, with $q=d/D-1/(ST)$.", **pub),
        _q("x_mse_active_published", "mean-square", "approximate", _DEF["x_active"], inactive=False,
           closed_form=(l - 1) * T * q**2 * (z + 8 * (z - 1)) + 9 * l * q * (z - 1),
           eq_label="eq:ris-6.55",
           source=r"\cite{ris}, eq. (6.55), from eq. (6.41) with eqs. (6.49), (6.53) and (6.54)",
           doc=r"The active payload error $(l-1)Tq^2\big(z+8(z-1)\big)+9lq(z-1)$ of \citet{ris}.",
           **pub),
        _q("alpha_mse_inactive_published", "mean-square", "approximate", _DEF["alpha_inactive"],
           inactive=True,
           closed_form=q * z, eq_label="eq:ris-6.43", source=r"\cite{ris}, eq. (6.43)",
           doc=r"The inactive indicator error $(1.5-0.5)qz=qz$ of \citet{ris}.", **pub),
        _q("alpha_mse_active_published", "mean-square", "approximate", _DEF["alpha_active"],
           inactive=False,
           closed_form=sp.Integer(0), eq_label="eq:ris-6.42", source=r"\cite{ris}, eq. (6.42)",
           doc=r"Zero: equal errors on the two indicator neurons cancel while no $\mathrm{ReLU}$ "
               r"flips.", **pub),
        _q("x_mse_inactive", "mean-square", "approximate", _DEF["x_inactive"], inactive=True,
           compute=_pick("x_inactive"), eq_label="eq:rot-x-inactive",
           source=r"derived here; corrects \cite{ris}, eq. (6.57): exact statistics, the bias "
                  r"shared at doubly covered positions, propagation",
           symbol="I_l",
           doc=r"Our recursion $I_l$ for the inactive payload error under hypothesis "
               r"$(\mathrm H)$, exact at layer $1$.", **ours,
           steps=(Step("I_1", r"\frac{K_1+8\binom z2P_{\rm tri}}{S^2}",
                       r"each covered position adds $\mathbf x_v/S$; a position covered by two "
                       r"active circuits gets the bias once and adds $2(1,1)/S$"),
                  Step("I_l", r"\frac{K_1(1+A_{l-1})+(\Lambda_{\rm cov}+K_2)I_{l-1}+8K_1(z-1)\kappa v/S}{S^2}"
                       r"+\frac{8\binom z2P_{\rm tri}}{S^2}",
                       r"covered positions re-broadcast the read-outs of the other circuits "
                       r"through them and the link-count noise of $c_n$"))),
        _q("x_mse_active", "mean-square", "approximate", _DEF["x_active"], inactive=False,
           compute=_pick("x_active"), eq_label="eq:rot-x-active",
           source=r"derived here; corrects \cite{ris}, eq. (6.55): exact statistics, the "
                  r"link-count variance, propagation of inactive errors",
           symbol="A_l",
           doc=r"Our recursion $A_l$ for the active payload error under hypothesis "
               r"$(\mathrm H)$, exact at layer $1$.", **ours,
           steps=(Step("A_1", r"\frac{(z-1)(9P_{\rm sh}+8(z-2)P_3)}{S^2}",
                       r"a shared position adds $\big((2,2)+r_v\mathbf x_v\big)/S$, whose square "
                       r"has mean $9$ and whose mean is $(2,2)$; two sources at one position "
                       r"occur with probability $P_3$"),
                  Step("A_l", r"A_{l-1}+p[(z-1)(1+A_{l-1})+(T-z)I_{l-1}]+8(z-1)[p+\kappa v/S^2]",
                       r"$r_t$ preserves norms and the rotations are independent; a link has "
                       r"weight $1/S+\chi=1/(S(1-\pi_\times))$, so the link-count variance $v$ "
                       r"enters with $\kappa$"))),
        _q("alpha_mse_inactive", "mean-square", "approximate", _DEF["alpha_inactive"], inactive=True,
           compute=_pick("alpha_inactive"), eq_label="eq:rot-alpha-inactive",
           source=r"derived here; corrects \cite{ris}, eq. (6.43): $\mathbb Ek_u^2$ includes "
                  r"the cross term $z(z-1)P_3$",
           doc=r"Our inactive indicator error $K_2/S^2$, exact at layer $1$ and reset every layer "
               r"under hypothesis $(\mathrm H)$.", **ours,
           steps=(Step(r"\hat\alpha_u", r"k_u/S",
                       r"the indicator field is $1$ at every covered position and $0$ elsewhere"),
                  Step(r"\mathbb E\hat\alpha_u^2", r"K_2/S^2=\frac{zP_{\rm sh}+z(z-1)P_3}{S^2}",
                       r"$k_u=\sum_{v\in\mathcal V}o_{uv}$ with $o_{uv}\in\{0,1\}$: $z$ squares "
                       r"of probability $P_{\rm sh}$ and $z(z-1)$ cross terms of probability $P_3$"))),
        _q("alpha_mse_active", "mean-square", "approximate", _DEF["alpha_active"], inactive=False,
           compute=_pick("alpha_active"), eq_label="eq:rot-alpha-active",
           source=r"agrees with \cite{ris}, eq. (6.42)",
           doc=r"Our active indicator error, zero under hypothesis $(\mathrm H)$, where $f=1$ on "
               r"the whole on-set.", **ours),
        _q("seizure_fraction_l1", "probability", "exact",
           r"\Pr(\hat\alpha^1_u>1/4),\ u\notin\mathcal V", inactive=True,
           compute=lambda l, z, D, T, S: layer1_seizure_fraction(D, T, S, z),
           constraint=_check_klaw, source="derived here (Lemma C3)",
           eq_label="eq:rot-seizure-l1",
           doc=r"The probability $\Pr(K>S/4)$ that an inactive circuit is seized at layer $1$, "
               r"with $K$ the number of its covered positions. It is exact by inclusion-exclusion "
               r"over the loads (Lemma C3); the leading-order form $\binom z2(P_3-P_{\rm tri})$ is "
               r"about $20\%$ high at $z=4$.",
           steps=(Step(r"\Pr(S-K=x)", r"\sum_{m\ge x}(-1)^{m-x}\binom mx N_m",
                       r"$N_m$ is the probability that $m$ given groups of the circuits through the "
                       r"positions of $u$ are all missed by the active set (Lemma C3)"),
                  Step(r"\Pr(\hat\alpha^1_u>1/4)", r"\Pr(K>S/4)\approx\binom z2(P_3-P_{\rm tri})",
                       r"leading order for $S<8$, where $K\ge2$ is needed; it counts three-way "
                       r"coverings twice"))),
    ]
    for short, field, inactive, what in (
            ("x_mse_active_h", "x_active", False, "$A_l$ for the active payload error"),
            ("x_mse_inactive_h", "x_inactive", True, "$I_l$ for the inactive payload error"),
            ("alpha_mse_inactive_h", "alpha_inactive", True,
             r"$K_2/S^2$ for the inactive indicator error")):
        out.append(_q(short, "mean-square", "approximate",
                      _DEF[field] + r"\ \text{on the (H) network}", inactive=inactive,
                      compute=_pick(field), eq_label=f"eq:rot-{short.replace('_', '-')}",
                      source="derived here", tolerance=TOL,
                      tolerance_reason=r"second-order terms dropped from the recursion under "
                                       r"hypothesis $(\mathrm H)$",
                      doc=rf"Our recursion {what}, on a network that obeys hypothesis "
                          r"$(\mathrm H)$ exactly (positions of active circuits linear, all "
                          r"others zero)."))
    out += _meanfield_quantities()
    for var in ("x", "alpha"):
        for kind in ("active", "inactive"):
            sym = r"\mathbf x" if var == "x" else r"\alpha"
            what = "payload" if var == "x" else "indicator"
            out.append(_q(f"{var}_max_{kind}", "max", "exact",
                          rf"\max_{{\text{{passes}},t}}|\delta {sym}^l_t|\ (\text{{{kind}}})",
                          inactive=(kind == "inactive"),
                          eq_label=f"eq:rot-{var}-max-{kind}",
                          doc=f"Largest {kind} {what} error over passes and circuits. Measured "
                              "only, no prediction."))
    out.append(_q("frac_on", "mean", "exact", r"\Pr(A^l_i\ne0)", eq_label="eq:rot-frac-on",
                  inactive=False,
                  doc="Fraction of non-zero neurons at layer $l$. Measured only."))
    out.append(_q("onset_layer", "value", "exact",
                  r"\min\{l:\Pr_u(\hat\alpha^l_u>1/4)>1\%\}", eq_label="eq:rot-onset", inactive=True,
                  doc=r"Seizure onset layer, the first layer where more than $1\%$ of inactive "
                      r"circuits read $\hat\alpha_u>1/4$ ($L+1$ if none). Measured only."))
    return out


def _mf(field: str):
    def f(l, z, D, T, S):
        return getattr(meanfield.predict(D, T, S, z, l), field)[l - 1]
    return f


def _mf_onset(l, z, D, T, S) -> int:
    return meanfield.predict(D, T, S, z, l).onset


def _meanfield_quantities() -> list[Quantity]:
    """Beyond (H): the indicator-field mean-field model (:mod:`.meanfield`)."""
    why = ("mean-field closure (independent read-outs, binomial counts of touching circuits, only "
           "the circuit's own term kept); semi-quantitative, with the tolerance fixed before the "
           "sweep over the width")
    return [
        _q("offfield_var_mf", "mean", "approximate",
           r"\mathrm{Var}_{n\ \rm off}(c^l_n),\ c=\mathcal W^l f^{l-1}", inactive=True,
           compute=_mf("var_c_off"), tolerance=0.5, tolerance_reason=why,
           eq_label="eq:rot-offfield-var",
           source="derived here, for the question how the error grows with the width",
           doc=r"Variance of the pre-activation $c$ over off positions, "
               r"$\kappa_{\rm cap}\bar\lambda\,\mathbb E\hat\alpha^2/(1-\pi)^2$, with mean load "
               r"$\bar\lambda=S\tau N$ and $\tau=T(d/D)^2$.",
           steps=(Step(r"c^l_n", r"\frac{1}{1-\pi}\sum_{u\ni n}\hat\alpha^{l-1}_u-\chi F^{l-1}",
                       r"the mean-weight matrix is $1/S$ on links and $-\chi$ elsewhere, and the "
                       r"links of $n$ come in blocks of $S$, one per circuit through $n$; "
                       r"$\pi=\pi_\times$ and $F=\sum_mf_m$"),
                  Step(r"\mathrm{Var}(c^l)", r"\kappa_{\rm cap}\bar\lambda\,\mathbb E(\hat\alpha^{l-1})^2/(1-\pi)^2",
                       r"the circuits through $n$ are independent; capping the links at $1$ "
                       r"multiplies the variance by $\kappa_{\rm cap}=\pi(1-\pi)/(-\ln(1-\pi))$ "
                       r"(Lemma C6)"),
                  Step(r"\bar\lambda", r"S\tau N",
                       r"the mean load is $TS/N=S\tau N$: at fixed $\tau$ it grows with $D$"))),
        _q("seized_fraction_mf", "probability", "approximate",
           r"\Pr(\hat\alpha^l_u>1/4),\ u\notin\mathcal V", compute=_mf("seized"), inactive=True,
           tolerance=1.0, tolerance_reason=why + "; a tail probability, factor-2 level",
           eq_label="eq:rot-seized-mf", source="derived here",
           doc=r"The seized fraction from the mean-field law of $\hat\alpha_u$, computed over the "
               r"loads by fast Fourier transform, with the circuit's own term persisting."),
        _q("x_mse_active_mf", "mean-square", "approximate", _DEF["x_active"], inactive=True,
           compute=_mf("x_active"), tolerance=0.5, tolerance_reason=why,
           eq_label="eq:rot-x-active-mf", source="derived here",
           doc=r"The recursion $A_l$ plus $8\,\mathrm{Var}_{\rm on}(c)/S$, the indicator noise "
               r"from read-outs switched on in error."),
        _q("onset_layer_predicted", "value", "approximate",
           r"\min\{l:\Pr_u(\hat\alpha^l_u>1/4)>1\%\}", integer=True, inactive=True,
           compute=_mf_onset,
           tolerance=0.34, tolerance_reason=r"one layer either way at onset $3$; the mean field "
           r"over-predicts seizure at small loads, that is at small $D$", eq_label="eq:rot-onset-pred",
           source="derived here",
           doc=r"First layer up to $l$ whose mean-field seized fraction exceeds $1\%$ ($l+1$ if "
               r"none)."),
    ]



def construction() -> Construction:
    from superpose.derive.rotations import answers as _answers
    return Construction(
        NAME, "Rotations in Superposition (mean-weight construction)",
        r"The rotation circuits of \citet{ris} on the prime-step allocation of \citet{cis2}: the "
        r"published error lines, eqs. (6.42), (6.43), (6.55) and (6.57), beside our recursion "
        r"under hypothesis $(\mathrm H)$ with exact allocation statistics, a model of the "
        r"$\mathrm{ReLU}$ network up to seizure onset, and a variant with $k$ copies of the "
        r"on-indicator.",
        with_symbols(tuple(_quantities()) + tuple(rotations_relu.quantities())
                     + tuple(rotations_kcopies.quantities()), SYMBOLS),
        source=SOURCE, intro_latex=INTRO,
        discussion=DISCUSSION, answers=_answers.ANSWERS)
