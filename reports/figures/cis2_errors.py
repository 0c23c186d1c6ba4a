"""CiS2: ideal-mode active error at the last layer vs T (d/D)^2, and the linear-mode blow-up.

Left: measured mean-square error of active circuits at layer L (points, +-4 SE of the log) against
T (d/D)^2 for z = 1..4, with our exact prediction (``cis2.total_ms_active``, solid) and the
notes' d/D form (``cis2.total_ms_active_notes``, dashed).  Right: linear mode (no
suppression), mean over all circuits per layer (log y), with the exact recursion
(``cis2.linear_ms``) and the gain G per layer.  Isotropic zero-mean family (verify/cis2.py).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D

from superpose.derive.quantity import get_quantity
from superpose.reports import plots
from superpose.verify import cis2 as vc
from superpose.verify.check import bind_verify_params

SIZES = {"smoke": ((300, 557), 32), "quick": ((300, 557), 64), "paper": ((100, 200, 300, 400, 557), 960)}


def _caption(Ts, trials, scale, seed) -> str:
    return (r"Circuits in superposition, the construction of \citet{cis2}, at $D=1000$, $d=4$, "
            r"$S=6$, $L=4$, isotropic zero-mean circuits; $T\in\{" + ",".join(map(str, Ts))
            + r"\}$, " + f"{trials}" + rf" passes per point ({plots.run_phrase(scale, seed)}). "
            r"Left: the mean-square error of the active circuits at the last layer (ideal mode) "
            r"against $T(d/D)^2$ for $z=1,\dots,4$ active circuits; points measured, "
            + plots.LOG_BARS + r"; solid: our exact recursion; dashed: the notes' $d/D$ form. "
            r"Right: linear mode (no suppression), the mean square over all circuits per layer "
            r"at $z=2$, $T=" + f"{Ts[-1]}" + r"$, with our exact recursion.")


def make(outdir: Path, scale: str, seed: int, progress=None) -> list[tuple[Path, str]]:
    scale = scale if scale in SIZES else "quick"
    Ts, trials = SIZES[scale]
    D, d, S, L = 1000, 4, 6, 4
    tot, notes, lin = (get_quantity(f"cis2.{n}") for n in ("total_ms_active", "total_ms_active_notes", "linear_ms"))
    with plots.style():
        fig, (ax, bx) = plots.figure(ncols=2)
        for z in (1, 2, 3, 4):
            xs, ys, ses = [], [], []
            for T in Ts:
                p = bind_verify_params("cis2", {"D": D, "d": d, "S": S, "T": T, "z": z, "L": L, "K": 16})
                ms = vc.measure(p, trials=trials, seed=seed)
                m = next(m for m in ms if m.quantity == "cis2.total_ms_active" and m.params["l"] == L)
                xs.append(T * (d / D) ** 2)
                ys.append(m.estimate.value)
                ses.append(m.estimate.se)
                if z == 2 and T == Ts[-1]:
                    lm = [m for m in ms if m.quantity == "cis2.linear_ms"]
                if progress:
                    progress(f"cis2_errors: z={z} T={T}")
            line = plots.errorbar(ax, xs, ys, ses, log=True, label=f"$z={z}$")
            c = line[0].get_color()
            grid = [T for T in Ts]
            pred = [tot.evaluate({"D": D, "d": d, "S": S, "T": T, "z": z, "l": L, "g": 1.0, "rho0": 1.0}) for T in grid]
            pub = [notes.evaluate({"D": D, "d": d, "T": T, "z": z, "l": L, "sigma2": 1.0}) for T in grid]
            ax.plot([T * (d / D) ** 2 for T in grid], pred, color=c, lw=1)
            ax.plot([T * (d / D) ** 2 for T in grid], pub, color=c, lw=1, ls="--")
        ax.set_yscale("log")
        ax.set_xlabel(r"$T(d/D)^2$")
        ax.set_ylabel(r"$\mathbb{E}|\delta\mathbf{a}^L_t|^2$ (active)")
        h, lab = ax.get_legend_handles_labels()
        h += [Line2D([], [], color="0.3"), Line2D([], [], color="0.3", ls="--")]
        lab += ["exact recursion", "notes' $d/D$ form"]
        ax.legend(h, lab, loc="best", ncol=2, columnspacing=0.8, handlelength=1.8)
        ls = np.arange(1, L + 1)
        plots.errorbar(bx, ls, [m.estimate.value for m in lm], [m.estimate.se for m in lm],
                       log=True, label=f"measured ($z=2$, $T={Ts[-1]}$)")
        pl = [lin.evaluate({"D": D, "d": d, "S": S, "T": Ts[-1], "z": 2, "l": int(l), "g": 1.0, "rho0": 1.0})
              for l in ls]
        plots.predicted_line(bx, ls, pl, label="exact recursion")
        bx.set_yscale("log")
        bx.set_xlabel(r"layer $\ell$")
        bx.set_xticks(ls)
        bx.set_ylabel(r"$\mathrm{mean}_t\,\mathbb{E}|\delta\mathbf{a}^\ell_t|^2$ (linear)")
        bx.legend()
    return [plots.save_captioned(fig, outdir, "cis2_errors", _caption(Ts, trials, scale, seed))]
