r"""The redundancy S in the rotation network at fixed D and T (answer (c)).

Left: the RiS rotation network (verify/rotations, prime-step allocation, ReLU mode) against
S: measured seizure onset layer and, predicted by the ReLU-activation model
(rotations.onset_layer_relu), the onset where the model computes.  Middle: the measured
mean-square error of the active x read-out at layer 2 and the model's prediction
(rotations.x_mse_active_relu).  Right: the capacity cost of larger S at this D: prime steps,
the greedy packing and the ceiling (cis2.capacity, cis2.capacity_ceiling).
"""
from __future__ import annotations

import math
from pathlib import Path

from superpose.derive.quantity import BadInput, get_quantity
from superpose.reports import plots
from superpose.verify import rotations as vr
from superpose.verify.check import bind_verify_params

SCALES = {"smoke": (1000, 60, (4, 8), 30), "quick": (1000, 80, (3, 4, 6, 8, 10, 12), 60),
          "paper": (2000, 300, (3, 4, 5, 6, 7, 8, 9, 10, 11, 12), 400)}
Z, L = 2, 4


def _pred(name, **p):
    try:
        return float(get_quantity(name).evaluate(p))
    except BadInput:
        return math.nan


def make(outdir: Path, scale: str, seed: int, progress=None) -> list[tuple[Path, str]]:
    D, T, Ss, trials = SCALES.get(scale, SCALES["quick"])
    on_m, on_p, x_m, x_p = [], [], [], []
    for S in Ss:
        p = bind_verify_params("rotations", {"D": D, "T": T, "S": S, "z": Z, "L": L, "K": 10})
        ms = vr.measure(p, trials=trials, seed=seed)
        on_m.append(next(m.estimate.value for m in ms if m.quantity == "rotations.onset_layer"))
        x_m.append(next(m.estimate for m in ms if m.quantity == "rotations.x_mse_active_published"
                        and m.params["l"] == 2))
        q = {"l": L, "z": Z, "D": D, "T": T, "S": S}
        on_p.append(_pred("rotations.onset_layer_relu", **q))
        x_p.append(_pred("rotations.x_mse_active_relu", **{**q, "l": 2}))
        if progress:
            progress(f"cis2_alloc_s: S={S}")
    cap = get_quantity("cis2.capacity")
    caps = {a: [cap.evaluate(D=D, d=4, S=S, alloc=a) for S in Ss] for a in ("prime", "greedy")}
    ceil = [get_quantity("cis2.capacity_ceiling").evaluate(D=D, d=4, S=S) for S in Ss]
    with plots.style():
        fig, axes = plots.figure(ncols=3)
        ax = axes[0]
        ax.plot(Ss, on_m, "o", label="measured")
        ax.plot(Ss, on_p, "_", ms=10, mew=2, label="ReLU model")
        ax.set_xlabel("redundancy $S$")
        ax.set_ylabel(f"seizure onset layer ($L+1={L + 1}$: none)")
        ax.set_ylim(0.5, L + 1.5)
        ax.legend()
        ax = axes[1]
        plots.errorbar(ax, Ss, [e.value for e in x_m], [e.se for e in x_m], label="measured",
                       log=True)
        ax.plot(Ss, x_p, "_", ms=10, mew=2, label="ReLU model")
        ax.set_yscale("log")
        ax.set_xlabel("redundancy $S$")
        ax.set_ylabel(r"$E|\hat{x}-x|^2$, active, layer 2")
        ax.legend()
        ax = axes[2]
        ax.plot(Ss, ceil, "-", color="k", label="ceiling")
        ax.plot(Ss, caps["greedy"], "o-", ms=3, label="greedy")
        ax.plot(Ss, caps["prime"], "^-", ms=3, label="prime steps")
        ax.axhline(T, ls=":", color="grey", label=f"$T={T}$")
        ax.set_yscale("log")
        ax.set_xlabel("redundancy $S$")
        ax.set_ylabel(f"capacity at $D={D}$")
        ax.legend()
        caption = (
            rf"The redundancy $S$ in the rotation network of \citet{{ris}} at $D={D}$, "
            rf"$T={T}$, $z={Z}$, $L={L}$, prime-step allocation, {trials} passes per $S$ "
            r"(fresh network every $10$). Left: measured seizure onset layer and the onset "
            r"predicted by the model of the $\mathrm{ReLU}$ network (missing where the model's "
            r"exact law is too costly). Middle: mean-square error of the active read-out at "
            r"layer $2$, measured (" + plots.LOG_BARS + r") and predicted. Right: what larger "
            r"$S$ costs in capacity at this $D$: prime steps, the greedy packing and the "
            r"packing ceiling; " + plots.run_phrase(scale, seed) + ".")
        return [plots.save_captioned(fig, outdir, "cis2_alloc_s", caption)]
