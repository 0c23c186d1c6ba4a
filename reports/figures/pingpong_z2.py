r"""pingpong: width overhead of the exact z = 1 construction, and what z = 2 does to it.

Left: relative width overhead ``width/D - 1 = 1/d + ceil(log2(D/d))/D`` (line,
``pingpong.width_overhead``) against the number of blocks N = D/d, with the width of the
network actually built (``verify/pingpong.py``) as points.  Right: with two circuits active
(memory and codes superposed) the fraction of wrong outputs and the RMS output error,
measured on the real network (measured only: ``pingpong.z2_*``); z = 1 is exact.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from superpose.derive.quantity import get_quantity
from superpose.reports import plots
from superpose.verify import pingpong as V
from superpose.verify.check import Z
from superpose.verify.rng import stream

NAME = "pingpong_z2"
DS = (2, 4, 8)
L = 3
SIZES = {"smoke": ((2, 4), 2), "quick": ((2, 4, 8, 16), 5), "paper": ((2, 4, 8, 16, 32, 64), 20)}


def _caption(Ns, trials, scale, seed) -> str:
    return (
        r"Ping-pong \citep{pingpong}, original layout: memory $D$ in $N=D/d$ blocks, one-hot "
        r"source code, binary destination code. Left: relative width overhead against $N$ for "
        r"circuit widths $d\in\{" + ",".join(map(str, DS)) + r"\}$; lines: "
        r"$1/d+\lceil\log_2 N\rceil/D$, points: the network as built. Right: two circuits "
        rf"active at once ($d=4$, $L={L}$, random circuits $w\sim\mathcal N(0,2/d)$) at "
        r"$N\in\{" + ",".join(map(str, Ns)) + r"\}$: the fraction of active circuits whose "
        r"output is wrong (left axis, bars $\pm" + f"{Z:g}" + r"$ standard errors) and the RMS "
        r"output error (right axis, " + plots.LOG_BARS + r"), " + f"{trials}" + " networks per "
        rf"point ({plots.run_phrase(scale, seed)}). The superposed binary code breaks the "
        r"gate, so errors are of the order of the gate constant $B$. With one circuit active "
        r"the outputs are exact (all $N^2$ circuits checked).")


def make(outdir: Path, scale: str, seed: int, progress=None) -> list[tuple[Path, str]]:
    scale = scale if scale in SIZES else "quick"
    Ns, trials = SIZES[scale]
    qw = get_quantity("pingpong.width_overhead")
    with plots.style():
        fig, (a1, a2) = plots.figure(ncols=2, figsize=(plots.MAX_WIDTH, 3.2))
        for d, color in zip(DS, ("#0072B2", "#D55E00", "#009E73")):
            grid = np.arange(1, 65)
            line = plots.predicted_line(a1, grid, [qw.evaluate({"D": int(n) * d, "d": d})
                                                   for n in grid], label=f"$d={d}$", color=color)
            pts = []
            for n in Ns:
                w, b = V.random_circuits(n * n, d, 1, stream(seed, "pingpong", "fig", d, n))
                W = V.build(n * d, d, 1, w, b, np.ones(1))[0][0]
                pts.append(W.shape[0] / (n * d) - 1)
            a1.plot(Ns, pts, "o", color=line[0].get_color(), ms=3.5)
        a1.set_xscale("log", base=2)
        a1.set_yscale("log")
        a1.set_xlabel("blocks $N=D/d$")
        a1.set_ylabel(r"width$/D-1$")
        a1.legend(loc="upper right")
        fr, rm = [], []
        for n in Ns:
            ms = V.measure({"D": 4 * n, "d": 4, "L": L, "n_inputs": 2}, trials=trials, seed=seed)
            by = {m.quantity.split(".")[1]: m.estimate for m in ms}
            fr.append(by["z2_broken_fraction"])
            rm.append(by["z2_error_ms"].sqrt())
            if progress:
                progress(f"{NAME}: N={n}")
        plots.errorbar(a2, Ns, [e.value for e in fr], [e.se for e in fr], label="wrong fraction")
        a2.set_ylim(0, 1.05)
        a2.set_xscale("log", base=2)
        a2.set_xlabel("blocks $N=D/d$ ($d=4$)")
        a2.set_ylabel("fraction of wrong outputs, $z=2$")
        a3 = a2.twinx()
        plots.errorbar(a3, [n * 1.06 for n in Ns], [e.value for e in rm], [e.se for e in rm],
                       log=True, label="RMS error", color="#D55E00", fmt="s")
        a3.set_yscale("log")
        a3.set_ylabel("RMS output error, $z=2$")
        h1, l1 = a2.get_legend_handles_labels()
        h2, l2 = a3.get_legend_handles_labels()
        a2.legend(h1 + h2, l1 + l2, loc="lower right")
    return [plots.save_captioned(fig, outdir, NAME, _caption(Ns, trials, scale, seed))]
