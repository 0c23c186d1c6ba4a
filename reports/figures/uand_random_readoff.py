"""uand-random: the best linear readoff of a frozen random layer against N (beyond.md §2).

Points: the exact least-squares optimal readoff of AND (with a bias) per network draw, over all
C(m, l) inputs (superpose.verify.uand_random.optimal), as sqrt(N x mean MSE*) over the draws,
bars +-Z SE of the log.  Dashed: the deterministic equivalent (superpose.derive.uand_random.optimal,
``opt_rms_constant``).  Solid horizontal: the sign-indicator readoff's constant over the same
input distribution, from ``uand-random.rms_error_constant`` (Gaussian) and
``rademacher_rms_error_constant``.  Dotted: the large-m limit ``opt_limit_constant``.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D

from superpose.derive.quantity import get_quantity
from superpose.derive.uand_random import optimal as theory
from superpose.reports import plots
from superpose.verify.check import Z
from superpose.verify.rng import stream
from superpose.verify.uand_random import optimal as opt

NAME = "uand_random_readoff"
#: per scale: the (m, l) configurations, the N grid and the network draws per point
SIZES = {
    "smoke": (((10, 3),), (8, 16, 32), 4),
    "quick": (((16, 3), (12, 4)), (8, 16, 32, 64, 128, 256), 6),
    "paper": (((24, 2), (16, 3), (30, 3), (12, 4), (16, 4)), (8, 16, 32, 64, 128, 256, 512, 1024), 12),
}
WEIGHTS = {"gaussian": r"Gaussian $N(0,1)$ weights", "rademacher": r"$\pm1$ weights"}


def _caption(configs, Ns, draws, scale, seed) -> str:
    cfg = ", ".join(rf"$(m,\ell)=({m},{l})$" for m, l in configs)
    return (
        r"The best linear readoff of a frozen random layer: $\sqrt{N\,\mathbb E_W\mathrm{MSE}^*}$ "
        r"of the least-squares optimal readoff (with a bias) of $\mathrm{AND}_{ij}$ against the "
        r"number of neurons $N\in\{" + ",".join(map(str, Ns)) + r"\}$, for " + cfg + r", the "
        r"mean square taken exactly over all $\binom m\ell$ inputs with $\ell$ of $m$ on, per "
        rf"network draw. Points: mean over {draws} draws per point "
        rf"({plots.run_phrase(scale, seed)}), " + plots.LOG_BARS + r", one cluster per draw. "
        r"Dashed: the deterministic equivalent on the exact Johnson-scheme spectrum. Solid "
        r"horizontal: the sign-indicator readoff over the same inputs, "
        r"$\sqrt{\sum_{\rm on}P(\mathrm{on})C(\ell,\mathrm{on})^2}$. Dotted: the large-$m$ "
        r"limit $C_*$ ($m^2\ll N\ll m^3$). Exact zeros (the optimum reads AND exactly, for "
        r"instance $\pm1$ weights at $\ell=3$ once $N\gtrsim\binom m2$) are not drawn on the "
        r"log axis, nor are points with $N+1\ge\binom m\ell$.")


def make(outdir: Path, scale: str, seed: int, progress=None) -> list[tuple[Path, str]]:
    scale = scale if scale in SIZES else "quick"
    configs, Ns, draws = SIZES[scale]
    with plots.style():
        fig, axes = plots.figure(ncols=2, sharey=True, figsize=(plots.MAX_WIDTH, 3.6))
        for ax, (weights, wlabel) in zip(axes, WEIGHTS.items()):
            lim_q = get_quantity("uand-random." + ("" if weights == "gaussian" else "rademacher_")
                                 + "opt_limit_constant")
            for k, (m, l) in enumerate(configs):
                D = math.comb(m, l)
                xs, ys, ses = [], [], []
                for N in Ns:
                    if N + 1 >= D:
                        continue
                    rng = stream(seed, "uand-random", "figure", "readoff", weights, f"m={m}",
                                 f"l={l}", f"N={N}")
                    res = opt.simulate(N, m, l, weights, draws, seed, targets=("and",), rng=rng)
                    est = opt.rms_estimate(res["and"]["mse"], N)
                    if est.value > 1e-6:
                        xs.append(N)
                        ys.append(est.value)
                        ses.append(est.se)
                    if progress:
                        progress(f"{weights} m={m} l={l} N={N}: {est.value:.4g} +- {est.se:.2g}")
                color = f"C{k}"
                if xs:
                    plots.errorbar(ax, xs, ys, ses, z=Z, color=color, log=True,
                                   label=f"$m={m},\\ \\ell={l}$")
                grid = np.unique(np.geomspace(min(Ns), min(max(Ns), D - 2), 24).astype(int))
                de = [theory.de_rms_constant(int(n), m, l, weights, "and") for n in grid]
                keep = [i for i, v in enumerate(de) if v > 1e-6]
                ax.plot(grid[keep], np.asarray(de)[keep], color=color, ls="--", lw=0.9)
                an = opt.analytic_constant(l, m, weights, "and")
                ax.axhline(an, color=color, lw=0.9)
                if l >= 3:
                    c = lim_q.evaluate(l=l)
                    if c > 0:
                        ax.axhline(c, color=color, lw=0.8, ls=":")
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.set_xlabel(r"neurons $N$")
            ax.set_title(wlabel)
        axes[0].set_ylabel(r"$\sqrt{N\,\mathrm{MSE}}$ of $\mathrm{AND}_{ij}$")
        h, lab = axes[0].get_legend_handles_labels()
        h += [Line2D([], [], color="0.3", ls="--"), Line2D([], [], color="0.3"),
              Line2D([], [], color="0.3", ls=":")]
        lab += ["deterministic equivalent", "sign-indicator readoff", "large-$m$ limit"]
        axes[0].legend(h, lab, loc="lower left", fontsize=7)
    return [plots.save_captioned(fig, outdir, NAME, _caption(configs, Ns, draws, scale, seed))]
