"""Rotations (RiS) at fixed T (d/D)^2 = 0.004, growing D: active x error and seizure per layer.

Left: mean-square error of x of the active circuit (z = 1) at layers 1..4 against D (log-log),
points +-4 SE, with the ReLU-activation model ``rotations.x_mse_active_relu`` (lines;
derive/rotations_relu.py, claimed up to seizure onset).  Right: the seized fraction (inactive
alpha_hat > 1/4) per layer with ``rotations.seized_fraction_relu``.  The (H) / mean-square theory
is constant in D; the measured error is not: the variance of the indicator pre-activation at
off positions gains, per layer, the load ``S tau N`` times the previous layer's erroneous
field, so layer l grows like D^(l-2) until it seizes (derive/rotations_relu.py,
derive/rotations_meanfield.py).
"""
from __future__ import annotations

from pathlib import Path

from superpose.derive.quantity import get_quantity
from superpose.reports import plots
from superpose.verify.rotations.fields import n_circuits, run_point

CAPTION = (r"RiS rotations at fixed $T(d/D)^2=0.004$, $d=4$, $S=6$, $z=1$, ReLU network. Left: "
           r"active $\mathbb E|\delta\mathbf x^l|^2$ vs $D$ for $l=2..4$ (points $\pm4$ SE; lines: "
           r"our ReLU-activation model rotations.x\_mse\_active\_relu, claimed up to seizure onset). "
           r"Right: seized fraction of inactive circuits ($\hat\alpha>1/4$) with "
           r"rotations.seized\_fraction\_relu. The (H) theory is flat in $D$; layer $l$ grows like "
           r"$D^{l-2}$ until it seizes. Layer 1 is "
           r"not drawn: at $z=1$ its error and seized fraction are exactly 0.")

SIZES = {"smoke": ((1000,), 40), "quick": ((1000, 2000), 150),
         "paper": ((1000, 2000, 4000, 10_000), 1000)}
TAU, S, Z, L = 0.004, 6, 1, 4


def make(outdir: Path, scale: str, seed: int, progress=None) -> list[Path]:
    Ds, passes = SIZES.get(scale, SIZES["quick"])
    res = []
    for D in Ds:
        res.append(run_point(D, TAU, S, Z, passes, L=L, seed=seed))
        if progress:
            progress(f"rotations_asymptotic: D={D} ({res[-1]['seconds']:.1f} s)")
    xq, sq = get_quantity("rotations.x_mse_active_relu"), get_quantity("rotations.seized_fraction_relu")
    with plots.style():
        fig, (ax, bx) = plots.figure(ncols=2)
        for l in range(2, L + 1):
            ys = [max(r["xa_ms"][l - 1], 1e-6) for r in res]
            line = plots.errorbar(ax, Ds, ys, [r["xa_ms_se"][l - 1] for r in res], label=f"l={l}")
            c = line[0].get_color()
            pr = [xq.evaluate({"l": l, "z": Z, "D": D, "T": n_circuits(D, TAU), "S": S}) for D in Ds]
            ax.plot(Ds, [max(p, 1e-6) for p in pr], color=c, lw=1)
            ys = [max(r["seized"][l - 1], 1e-5) for r in res]
            line = plots.errorbar(bx, Ds, ys, [r["seized_se"][l - 1] for r in res], label=f"l={l}")
            pr = [sq.evaluate({"l": l, "z": Z, "D": D, "T": n_circuits(D, TAU), "S": S}) for D in Ds]
            bx.plot(Ds, [max(p, 1e-5) for p in pr], color=line[0].get_color(), lw=1)
        for a, lab in ((ax, r"active $\mathbb{E}|\delta\mathbf{x}^l|^2$"),
                       (bx, r"seized fraction $\Pr(\hat\alpha_u>1/4)$")):
            a.set_xscale("log")
            a.set_yscale("log")
            a.set_xlabel("network width $D$")
            a.set_ylabel(lab)
            a.legend()
    return plots.save(fig, outdir, "rotations_asymptotic")
