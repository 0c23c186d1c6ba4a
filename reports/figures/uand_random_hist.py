r"""uand-random: the distribution of sqrt(N) e per case against its Gaussian limit.

The readoff is a mean of N iid terms ``r_n h_n`` (given x), so by the CLT
``sqrt(N) e -> N(0, C^2)`` with ``C = uand-random.rms_error_constant`` (exact variance at
every N; the shape is Gaussian only in the limit).  Histograms: Monte Carlo on the real
frozen Gaussian layer (``verify/uand_random.py``).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from superpose.derive.quantity import get_quantity
from superpose.reports import plots
from superpose.verify import uand_random as vu
from superpose.verify.rng import stream

NAME = "uand_random_hist"
L = 3
M = 64
K = 4
#: per scale: N and the trials per case
SIZES = {"smoke": (64, 1024), "quick": (256, 8192), "paper": (1024, 65536)}
CASES = {0: r"$x_i=x_j=0$", 1: r"$x_i+x_j=1$", 2: r"$x_i=x_j=1$"}


def _caption(N, trials, scale, seed) -> str:
    return (
        r"U-AND read off a frozen random layer \citep{tmf}: histograms of $\sqrt N\,e$, the "
        r"scaled error of the AND readoff, per case of $(x_i,x_j)$, against the Gaussian limit "
        r"$\mathcal N(0,C^2)$ (line; $C$ the exact root-mean-square constant). "
        rf"$\ell={L}$ active of $m={M}$ inputs, $\mathcal N(0,1)$ weights, $N={N}$ neurons, "
        rf"$W$ redrawn every $K={K}$ trials, {trials} trials per case "
        rf"({plots.run_phrase(scale, seed)}). The legend gives the sample skewness of "
        r"$\sqrt N\,e$ (0 in the limit).")


def make(outdir: Path, scale: str, seed: int, progress=None) -> list[tuple[Path, str]]:
    scale = scale if scale in SIZES else "quick"
    N, trials = SIZES[scale]
    q = get_quantity("uand-random.rms_error_constant")
    params = {"N": N, "l": L, "m": M, "K": K}
    with plots.style():
        fig, axes = plots.figure(ncols=3, sharey=True, figsize=(plots.MAX_WIDTH, 3.0))
        for ax, (on, label) in zip(axes, CASES.items()):
            rng = stream(seed, "uand-random", "figure", "hist", f"N={N}", f"on={on}")
            res, _ = vu.simulate_pairs(params, "gaussian", "pair", on, ("and",), trials, seed,
                                       rng=rng)
            y = math.sqrt(N) * res["and"][1]                              # (trials,)
            c = q.evaluate({"l": L, "on": on})
            lim = 4.5 * c
            bins = np.linspace(-lim, lim, 61)
            skew = float(np.mean((y - y.mean()) ** 3) / np.std(y) ** 3)
            width = bins[1] - bins[0]  # density over all trials (the rare |y| > lim included)
            ax.hist(y, bins=bins, weights=np.full(y.size, 1.0 / (y.size * width)),
                    color="#56B4E9", alpha=0.8, label=f"MC, skew {skew:+.2f}")
            grid = np.linspace(-lim, lim, 400)
            ax.plot(grid, np.exp(-0.5 * (grid / c) ** 2) / (c * math.sqrt(2 * math.pi)),
                    color="0.2", lw=1.0, label=rf"$\mathcal{{N}}(0,C^2)$" + "\n" + rf"$C={c:.3f}$")
            ax.set_title(label)
            ax.set_xlabel(r"$\sqrt{N}\,e$")
            ax.set_ylim(0, 1.45 / (c * math.sqrt(2 * math.pi)))     # room for the legend
            ax.legend(loc="upper left", fontsize=7, handlelength=1.2, handletextpad=0.4)
            if progress:
                progress(f"on={on}: {trials} trials, sd {np.std(y):.4g} vs C {c:.4g}")
        axes[0].set_ylabel("density")
        fig.suptitle(rf"$\ell={L}$, $N={N}$, {trials} trials per case")
    return [plots.save_captioned(fig, outdir, NAME, _caption(N, trials, scale, seed))]
