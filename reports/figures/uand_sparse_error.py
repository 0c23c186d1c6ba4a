r"""uand-sparse: readoff error against the neuron count d and the density p (uand.md §2).

Left: RMS readoff error per case (both / one / neither input of the pair active), given a
non-empty intersection, against d at fixed p; points are Monte Carlo on the real network
(measured by ``superpose.verify.uand_sparse.readoff_rms``; this script only draws), lines
the exact closed forms ``uand-sparse.mse_*`` (square root).  Right: the worst case eps(W, X) (max over all pairs and the sampled inputs), its
(1 - delta)-quantile over networks against p at fixed d, with the certified bound
``uand-sparse.epsilon_bound``, the optimal p of the bound, and the source's p = ln^2 m / sqrt d.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib import ticker

from superpose.derive.quantity import get_quantity
from superpose.reports import plots
from superpose.verify import uand_sparse as V
from superpose.verify.check import Z
from superpose.verify.rng import stream

NAME = "uand_sparse_error"
M, L, NX, DELTA = 32, 3, 4, 0.1
P_LEFT = 0.3
D_RIGHT = 512
SIZES = {
    "smoke": ((64, 256), (0.2, 0.5), 10),
    "quick": ((32, 128, 512, 2048), (0.12, 0.17, 0.25, 0.35, 0.5, 0.7), 30),
    "paper": ((32, 64, 128, 256, 512, 1024, 2048, 4096),
              tuple(np.round(np.geomspace(0.08, 0.9, 12), 3)), 400),
}
GRID = {"smoke": 3, "quick": 8, "paper": 16}  # closed-form points per line
CASES = {2: "both", 1: "one", 0: "none"}
LABEL = {"both": "both on", "one": "one on", "none": "neither on"}


def _rms_point(d, p, trials, seed):
    """Measured by :func:`superpose.verify.uand_sparse.readoff_rms` on the figure's stream."""
    return V.readoff_rms(d, M, p, L, NX, trials, stream(seed, "uand-sparse", "figure", "rms", d, p),
                         delta=DELTA)


def _caption(ds, ps, trials, scale, seed) -> str:
    return (
        rf"Sparse Bernoulli U-AND \citep{{tmf}}, $m={M}$ inputs, exactly $\ell={L}$ active, "
        rf"{NX} inputs per network, {trials} networks per point ({plots.run_phrase(scale, seed)}). "
        r"Left: RMS error of the AND readoff given $S_i\cap S_j\neq\emptyset$ against the "
        rf"number of neurons $d$ at $p={P_LEFT}$; points: Monte Carlo, " + plots.LOG_BARS
        + r", standard errors clustered by network; lines: the exact closed forms. Right: the "
        rf"$(1-\delta)$-quantile ($\delta={DELTA}$) over networks of the worst error over all "
        rf"pairs and the network's inputs, at $d={D_RIGHT}$, against $p$ (bars $\pm{Z:g}$ "
        r"order-statistic standard errors); line: the certified bound (union bound plus "
        r"Chernoff, averaged over $|S_i\cap S_j|\sim\mathrm{Bin}(d,p^2)$); dotted: the "
        r"bound's optimal $p$; dashed: the source's $p=\ln^2 m/\sqrt d$.")


def make(outdir: Path, scale: str, seed: int, progress=None) -> list[tuple[Path, str]]:
    scale = scale if scale in SIZES else "quick"
    ds, ps, trials = SIZES[scale]
    with plots.style():
        fig, (a1, a2) = plots.figure(ncols=2, figsize=(plots.MAX_WIDTH, 3.6))
        pts = {c: ([], [], []) for c in CASES}
        for d in ds:
            rms, _ = _rms_point(d, P_LEFT, trials, seed)
            for c, est in rms.items():
                if est is not None and math.isfinite(est.se):
                    pts[c][0].append(d)
                    pts[c][1].append(est.value)
                    pts[c][2].append(est.se)
            if progress:
                progress(f"{NAME}: d={d}")
        grid = np.unique(np.round(np.geomspace(min(ds), max(ds), GRID[scale])).astype(int))
        for k, (c, name) in enumerate(CASES.items()):
            q = get_quantity(f"uand-sparse.mse_{name}")
            xs = [x * 1.05 ** (k - 1) for x in pts[c][0]]
            line = plots.errorbar(a1, xs, pts[c][1], pts[c][2], log=True,
                                  label=f"MC, {LABEL[name]}")
            ys = [math.sqrt(q.evaluate({"d": int(x), "p": P_LEFT, "l": L}, dps=15)) for x in grid]
            plots.predicted_line(a1, grid, ys, label=None, color=line[0].get_color())
        a1.set_xscale("log", base=2)
        a1.set_yscale("log")
        a1.set_xlabel("neurons $d$")
        a1.set_ylabel("RMS readoff error")
        a1.set_title(rf"$p={P_LEFT}$; lines: exact closed forms", fontsize=8)
        a1.legend(loc="center right")
        eq, es = [], []
        for p in ps:
            _, e = _rms_point(D_RIGHT, float(p), trials, seed)
            eq.append(e.value)
            es.append(e.se)
            if progress:
                progress(f"{NAME}: p={p}")
        plots.errorbar(a2, ps, eq, es, label=rf"MC $(1-\delta)$-quantile of $\epsilon(W,X)$")
        qb = get_quantity("uand-sparse.epsilon_bound")
        pg = np.geomspace(min(ps), max(ps), 4 * GRID[scale])
        bound = [qb.evaluate(dict(d=D_RIGHT, m=M, p=float(p), l=L, delta=DELTA, n_inputs=NX))
                 for p in pg]
        plots.predicted_line(a2, pg, bound, label="certified bound")
        popt = get_quantity("uand-sparse.p_opt").evaluate(
            dict(d=D_RIGHT, m=M, l=L, delta=DELTA, n_inputs=NX))
        ppub = get_quantity("uand-sparse.p_published").evaluate(dict(d=D_RIGHT, m=M))
        a2.axvline(popt, ls=":", color="0.3", lw=0.9, label=f"bound's optimum $p={popt:.2f}$")
        if ppub <= 1:
            a2.axvline(ppub, ls="--", color="#D55E00", lw=0.9,
                       label=rf"source $p=\ln^2 m/\sqrt{{d}}={ppub:.2f}$")
        a2.set_xscale("log")
        a2.xaxis.set_major_locator(ticker.FixedLocator([0.1, 0.2, 0.3, 0.5, 0.7, 1.0]))
        a2.xaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
        a2.xaxis.set_minor_formatter(ticker.NullFormatter())
        a2.set_xlabel("density $p$")
        a2.set_ylabel(r"worst-case error $\epsilon$")
        a2.set_title(rf"$d={D_RIGHT}$, $\delta={DELTA}$")
        a2.legend(loc="upper center", fontsize=7)
    return [plots.save_captioned(fig, outdir, NAME, _caption(ds, ps, trials, scale, seed))]
