r"""CiS2 / RiS on different allocations at fixed D and T (answer (b)).

Left: the ideal-mode mean-square error of an active circuit, cis2.total_ms_active at layer
L = 4, against T at D = 624 (N = 156 positions, where lines of PG(3, 5) exist) for prime steps,
projective lines and the greedy packing, each from the statistics of the allocation built
(derived values).  Right: the RiS rotation network (verify/rotations, ReLU mode) at
D = 624, T = 180, z = 2 on the three allocations: measured mean-square error of the active
circuits' x read-out per layer (points with bars) and the measured seizure onset (legend).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from superpose.derive.quantity import get_quantity
from superpose.reports import plots
from superpose.verify import rotations as vr
from superpose.verify.check import bind_verify_params

ALLOCS = ("prime", "projective", "greedy")
D, TRI = 624, 180
TRIALS = {"smoke": 40, "quick": 100, "paper": 1000}


def make(outdir: Path, scale: str, seed: int, progress=None) -> list[tuple[Path, str]]:
    trials = TRIALS.get(scale, TRIALS["quick"])
    q = get_quantity("cis2.total_ms_active")
    Ts = list(range(20, 191, 10))
    pred = {a: [q.evaluate(D=D, d=4, S=6, T=T, z=2, l=4, g=1.0, rho0=1.0, alloc=a) for T in Ts]
            for a in ALLOCS}
    meas, onset = {}, {}
    for a in ALLOCS:
        p = bind_verify_params("rotations", {"D": D, "T": TRI, "z": 2, "L": 4, "K": 10, "alloc": a})
        ms = vr.measure(p, trials=trials, seed=seed)
        rows = sorted((m.params["l"], m.estimate) for m in ms
                      if m.quantity == "rotations.x_mse_active_published")
        meas[a] = rows
        onset[a] = next(int(m.estimate.value) for m in ms if m.quantity == "rotations.onset_layer")
        if progress:
            progress(f"cis2_alloc_errors: {a} ({trials} passes)")
    with plots.style():
        fig, axes = plots.figure(ncols=2)
        ax = axes[0]
        for a, mk in zip(ALLOCS, ("^", "s", "o")):
            ax.plot(Ts, pred[a], mk + "-", ms=3, label=a)
        ax.set_xlabel("circuits $T$")
        ax.set_ylabel(r"ideal-mode $E|\delta^4_t|^2$, active")
        ax.legend(title=f"$D={D}$, $S=6$, $z=2$")
        ax = axes[1]
        for i, (a, mk) in enumerate(zip(ALLOCS, ("^", "s", "o"))):
            ls = [l + 0.08 * (i - 1) for l, _ in meas[a]]
            plots.errorbar(ax, ls, [e.value for _, e in meas[a]], [e.se for _, e in meas[a]],
                           label=f"{a}, onset layer {onset[a]}", log=True, fmt=mk + "-")
        ax.set_yscale("log")
        ax.set_xticks([1, 2, 3, 4])
        ax.set_xlabel("layer $l$")
        ax.set_ylabel(r"RiS $E|\hat{x}-x|^2$, active")
        ax.legend(title=f"$D={D}$, $T={TRI}$, $z=2$")
        caption = (
            rf"The same sizes on three allocations, $D={D}$ ($N=156$ positions), $S=6$. Left: "
            r"the ideal-mode mean-square error of an active circuit at layer $4$ against $T$ "
            r"($z=2$), from the load statistics of each allocation as built; the uniform loads "
            r"of projective lines and of the greedy packing give less error than prime steps "
            rf"at every $T$. Right: the rotation network of \citet{{ris}} at $T={TRI}$, $z=2$, "
            r"measured mean-square error of the active read-out per layer "
            rf"({trials} passes, fresh network every $10$; zero values left off the log axis; "
            + plots.LOG_BARS + r") and the measured seizure onset layer; "
            + plots.run_phrase(scale, seed) + ".")
        return [plots.save_captioned(fig, outdir, "cis2_alloc_errors", caption)]
