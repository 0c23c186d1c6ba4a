r"""U-AND readoffs compared at equal neuron count: sparse Bernoulli vs frozen Gaussian vs +-1.

RMS error of the AND readoff against the number of neurons N, per case of the pair (both /
one / neither input active), exactly l inputs active.  Sparse Bernoulli (``uand-sparse``):
density p = ``uand-sparse.p_opt`` at each N (the density that minimises its certified worst
case), error given a non-empty intersection, closed form ``sqrt(uand-sparse.mse_*)``.
Frozen random layer (``uand-random``): ``C/sqrt(N)`` with ``uand-random.rms_error_constant``
(Gaussian) and ``uand-random.rademacher_rms_error_constant`` (+-1).  Points: Monte Carlo of
each real network at a few N, measured by ``superpose.verify.uand_sparse.readoff_rms`` and
``superpose.verify.uand_random.simulate_pairs`` (this script only draws).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from superpose.derive.quantity import get_quantity
from superpose.reports import plots
from superpose.verify import uand_random as VR
from superpose.verify import uand_sparse as VS
from superpose.verify.rng import stream

NAME = "uand_sparse_compare"
L, M, DELTA, NX = 3, 32, 0.1, 8
SIZES = {
    "smoke": ((64, 256), 5, 128),
    "quick": ((64, 256, 1024), 20, 512),
    "paper": ((64, 128, 256, 512, 1024, 2048, 4096), 200, 8192),
}
CASES = ((2, "both", "both on"), (1, "one", "one on"), (0, "none", "neither on"))


def _sparse_mc(N, p, trials, seed):
    """Measured by :func:`superpose.verify.uand_sparse.readoff_rms` on the figure's stream."""
    rms, _ = VS.readoff_rms(N, M, p, L, NX, trials, stream(seed, "uand-sparse", "figure",
                                                           "compare", N))
    return rms


def _caption(Ns, trials, rtrials, scale, seed) -> str:
    return (
        rf"All U-AND readoffs at equal neuron count $N$, exactly $\ell={L}$ of $m={M}$ inputs "
        r"active, one panel per case of the pair. Sparse Bernoulli \citep{tmf}: density $p$ "
        r"the optimum of its certified worst case ($\delta=" + f"{DELTA}" + r"$), RMS error "
        r"given $S_i\cap S_j\neq\emptyset$ (exact closed form), which tends to the bias "
        r"$(\ell-2)p$ or $(\ell-1)p$ rather than to 0. Frozen random layer read off with the "
        r"unbiased four-coefficient readoff: $C/\sqrt N$ with Gaussian ($\mathcal N(0,1)$) "
        r"and $\pm1$ weights (exact for every $N$). Points, at $N\in\{" + ",".join(map(str, Ns))
        + rf"\}}$ ({plots.run_phrase(scale, seed)}): Monte Carlo of each network, {trials} "
        rf"sparse networks per point and {rtrials} trials per random-layer point, "
        + plots.LOG_BARS + ", standard errors clustered by network.")


def make(outdir: Path, scale: str, seed: int, progress=None) -> list[tuple[Path, str]]:
    scale = scale if scale in SIZES else "quick"
    Ns, trials, rtrials = SIZES[scale]
    grid = np.unique(np.geomspace(32, max(Ns) * 2, {"smoke": 3, "quick": 7}.get(scale, 12)).astype(int))
    popt = get_quantity("uand-sparse.p_opt")
    p_at = {int(N): popt.evaluate(dict(d=int(N), m=M, l=L, delta=DELTA, n_inputs=NX))
            for N in set(grid.tolist()) | set(Ns)}
    rand = {"gaussian": get_quantity("uand-random.rms_error_constant"),
            "rademacher": get_quantity("uand-random.rademacher_rms_error_constant")}
    with plots.style():
        fig, axes = plots.figure(ncols=3, figsize=(plots.MAX_WIDTH, 3.4), sharey=True)
        mc_sparse = {int(N): _sparse_mc(int(N), p_at[int(N)], trials, seed) for N in Ns}
        for ax, (c, name, title) in zip(axes, CASES):
            q = get_quantity(f"uand-sparse.mse_{name}")
            ys = [math.sqrt(q.evaluate(dict(d=int(N), p=p_at[int(N)], l=L), dps=15)) for N in grid]
            line = plots.predicted_line(ax, grid, ys, label=r"sparse, $p=p_{\rm opt}(N)$",
                                        color="#0072B2")
            plots.errorbar(ax, Ns, [mc_sparse[N][c].value for N in Ns],
                           [mc_sparse[N][c].se for N in Ns], color=line[0].get_color(), label=None,
                           log=True)
            on = c
            for weights, color in (("gaussian", "#D55E00"), ("rademacher", "#009E73")):
                C = rand[weights].evaluate({"l": L, "on": on})
                plots.predicted_line(ax, grid, C / np.sqrt(grid), color=color,
                                     label=f"random layer, {weights}")
                pts = []
                for N in Ns:
                    params = {"N": int(N), "l": L, "m": M, "K": 4}
                    rng = stream(seed, "uand-random", "figure", "compare", weights, N, on)
                    res, cl = VR.simulate_pairs(params, weights, "pair", on, ("and",), rtrials,
                                                seed, rng=rng)
                    pts.append(VR.rms_constant(res["and"][1], cl, int(N)).scale(1 / math.sqrt(N)))
                plots.errorbar(ax, [N * 1.08 for N in Ns], [e.value for e in pts],
                               [e.se for e in pts], color=color, label=None, fmt="s", ms=2.5,
                               log=True)
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.set_title(title)
            ax.set_xlabel("neurons $N$")
            if progress:
                progress(f"{NAME}: {title} done")
        axes[0].set_ylabel("RMS error of the AND readoff")
        axes[0].legend(loc="lower left", fontsize=7, handlelength=1.5)
    return [plots.save_captioned(fig, outdir, NAME, _caption(Ns, trials, rtrials, scale, seed))]
