"""Rotations (RiS) at fixed T (d/D)^2 = 0.004, growing D: active x error and seizure per layer.

Left: mean-square error of x of the active circuit (z = 1) at layers 1..4 against D (log-log),
points +-4 SE of the log, with the ReLU-activation model ``rotations.x_mse_active_relu`` (lines;
derive/rotations_relu.py, claimed up to seizure onset).  Right: the seized fraction (inactive
alpha_hat > 1/4) per layer with ``rotations.seized_fraction_relu``.  The (H) / mean-square theory
is constant in D; the ReLU model's error is not: the variance of the indicator pre-activation
at off positions gains, per layer, the load ``S tau N`` times the previous layer's erroneous
field, so the model's layer l grows with D (like D^(l-2)) until it seizes
(derive/rotations/relu.py, derive/rotations/meanfield.py).  The caption states what the run's
widths show (at two widths: the ratio per layer, measured and modelled, not a power law).
"""
from __future__ import annotations

import math
from pathlib import Path

from matplotlib.lines import Line2D

from superpose.derive.quantity import get_quantity
from superpose.reports import plots
from superpose.verify.rotations.fields import n_circuits, run_point

SIZES = {"smoke": ((1000,), 40), "quick": ((1000, 2000), 150),
         "paper": ((1000, 2000, 4000, 10_000), 1000)}
TAU, S, Z, L = 0.004, 6, 1, 4


def _ratios(res, Ds, key, l):
    """Measured value at the largest D over the value at the smallest, with its standard
    error to first order (the two points are independent runs); None if either is 0."""
    a, b = res[0][key][l - 1], res[-1][key][l - 1]
    if not (a > 0 and b > 0):
        return None
    sa, sb = res[0][key + "_se"][l - 1], res[-1][key + "_se"][l - 1]
    r = b / a
    return r, r * math.hypot(sa / a, sb / b)


def _caption(scale, seed, Ds, passes, res, model) -> str:
    widths = ", ".join(f"${D}$" for D in Ds)
    head = (r"Rotations in superposition \citep{ris} at fixed load $T(d/D)^2=0.004$, $d=4$, "
            r"$S=6$, one active circuit ($z=1$), ReLU network, at the widths $D\in\{"
            + ",".join(map(str, Ds)) + r"\}$"
            rf" ({passes} passes each, {plots.run_phrase(scale, seed)}). Left: the mean-square "
            r"error $\mathbb E|\delta\mathbf x^\ell|^2$ of the active circuit's payload at "
            r"layers $\ell=2,3,4$; right: the fraction of inactive circuits that seize "
            r"($\hat\alpha>1/4$). Points: measured, " + plots.LOG_BARS + r"; lines: our "
            r"ReLU-activation model, claimed up to the onset of seizure; values that are "
            r"exactly 0 are not drawn. Layer 1 is not drawn: at $z=1$ its error and seized "
            r"fraction are exactly 0. The (H) theory is flat in $D$; the model predicts that "
            r"each layer's error grows with $D$, faster at deeper layers, until it seizes. ")
    if len(Ds) < 3:
        parts = []
        for l in range(2, L + 1):
            r = _ratios(res, Ds, "xa_ms", l)
            p = model[l]
            if r is not None and p is not None:
                parts.append(rf"$\ell={l}$: ${r[0]:.2f}\pm{r[1]:.2f}$ (model {p:.2f})")
        return head + (
            f"This run has only {len(Ds)} width" + ("s" if len(Ds) > 1 else "")
            + (", which cannot establish a law in $D$. What it shows: the error at "
               rf"$D={Ds[-1]}$ over the error at $D={Ds[0]}$ is " + "; ".join(parts)
               + " (one standard error)."
               if parts and len(Ds) > 1 else ", which cannot establish a law in $D$.")
            + " The paper scale adds widths up to $D=10^4$.")
    return head + (rf"The widths span a factor {Ds[-1] / Ds[0]:g}; the slope between neighbouring widths on "
                   r"these log axes is the local exponent of the growth in $D$.")


def make(outdir: Path, scale: str, seed: int, progress=None) -> list[tuple[Path, str]]:
    scale = scale if scale in SIZES else "quick"
    Ds, passes = SIZES[scale]
    res = []
    for D in Ds:
        res.append(run_point(D, TAU, S, Z, passes, L=L, seed=seed))
        if progress:
            progress(f"rotations_asymptotic: D={D} ({res[-1]['seconds']:.1f} s)")
    xq, sq = get_quantity("rotations.x_mse_active_relu"), get_quantity("rotations.seized_fraction_relu")
    model = {}
    with plots.style():
        fig, (ax, bx) = plots.figure(ncols=2, figsize=(plots.MAX_WIDTH, 3.3))
        for l in range(2, L + 1):
            line = plots.errorbar(ax, Ds, [r["xa_ms"][l - 1] for r in res],
                                  [r["xa_ms_se"][l - 1] for r in res], log=True,
                                  label=rf"$\ell={l}$")
            c = line[0].get_color()
            pr = [xq.evaluate({"l": l, "z": Z, "D": D, "T": n_circuits(D, TAU), "S": S}) for D in Ds]
            model[l] = pr[-1] / pr[0] if pr[0] > 0 and pr[-1] > 0 else None
            keep = [i for i, p in enumerate(pr) if p > 0]
            ax.plot([Ds[i] for i in keep], [pr[i] for i in keep], color=c, lw=1)
            plots.errorbar(bx, Ds, [r["seized"][l - 1] for r in res],
                           [r["seized_se"][l - 1] for r in res], log=True, color=c,
                           label=rf"$\ell={l}$")
            pr = [sq.evaluate({"l": l, "z": Z, "D": D, "T": n_circuits(D, TAU), "S": S}) for D in Ds]
            keep = [i for i, p in enumerate(pr) if p > 0]
            bx.plot([Ds[i] for i in keep], [pr[i] for i in keep], color=c, lw=1)
        for a, lab in ((ax, r"active $\mathbb{E}|\delta\mathbf{x}^\ell|^2$"),
                       (bx, r"seized fraction $\Pr(\hat\alpha_u>1/4)$")):
            a.set_xscale("log")
            a.set_yscale("log")
            a.set_xlabel("network width $D$")
            a.set_ylabel(lab)
        h, lab = ax.get_legend_handles_labels()
        h += [Line2D([], [], ls="", marker="o", color="0.3"), Line2D([], [], color="0.3")]
        lab += ["measured", "ReLU model"]
        ax.legend(h, lab, loc="best", fontsize=7.5)
    return [plots.save_captioned(fig, outdir, "rotations_asymptotic",
                                 _caption(scale, seed, Ds, passes, res, model))]
