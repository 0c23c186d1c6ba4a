r"""uand-random: sqrt(N) x RMS error of the AND readoff against N, per case (uand.md §5).

Points: Monte Carlo on the real frozen Gaussian layer (``verify/uand_random.py``: a fresh
input per trial, W redrawn every K = 4 trials, SEs clustered by network draw), measured as
``sqrt(N) sqrt(mean e^2)`` with bars of +-Z SE (Z = 4, the checks' acceptance band).
Lines: the closed form ``uand-random.rms_error_constant`` (exact for every N, so the
points should lie on a flat line at every N, small N included).
"""
from __future__ import annotations

from pathlib import Path

from superpose.derive.quantity import get_quantity
from superpose.reports import plots
from superpose.verify import uand_random as vu
from superpose.verify.check import Z
from superpose.verify.rng import stream

NAME = "uand_random_rms"
L = 3
M = 64
K = 4
#: per scale: the N grid and the trials per point (per case)
SIZES = {
    "smoke": ((16, 64), 512),
    "quick": ((16, 64, 256, 1024), 4096),
    "paper": ((16, 32, 64, 128, 256, 512, 1024, 2048, 4096), 16384),
}
CASES = {0: "neither on ($x_i=x_j=0$)", 1: "one on ($x_i+x_j=1$)", 2: "both on ($x_i=x_j=1$)"}

CAPTION = (
    r"U-AND read off a frozen random layer: $\sqrt N\times$ RMS error of the AND readoff "
    r"against the number of neurons $N$ (log axis), $\ell=3$ active of $m=64$ inputs, "
    r"$\mathcal N(0,1)$ weights, no bias. Points: Monte Carlo (one fresh input per trial, "
    r"$W$ redrawn every $K=4$ trials; trials per point: "
    + ", ".join(f"{s} {t}" for s, (_, t) in SIZES.items())
    + rf"), bars $\pm{Z:g}$ standard errors clustered by network draw (delta method for the "
    r"square root). Lines: the closed form $C(\ell,\mathrm{on})$ "
    r"(\texttt{uand-random.rms\_error\_constant}), exact for every $N$. The cases ``neither'' "
    r"and ``one on'' have the same constant."
)


def make(outdir: Path, scale: str, seed: int, progress=None) -> list[Path]:
    Ns, trials = SIZES.get(scale, SIZES["quick"])
    q = get_quantity("uand-random.rms_error_constant")
    with plots.style():
        fig, ax = plots.figure()
        for k, (on, label) in enumerate(CASES.items()):
            ys, ses = [], []
            for N in Ns:
                params = {"N": N, "l": L, "m": M, "K": K}
                rng = stream(seed, "uand-random", "figure", "rms", f"N={N}", f"on={on}")
                res, cl = vu.simulate_pairs(params, "gaussian", "pair", on, ("and",), trials,
                                            seed, rng=rng)
                est = vu.rms_constant(res["and"][1], cl, N)
                ys.append(est.value)
                ses.append(est.se)
                if progress:
                    progress(f"on={on} N={N}: {est.value:.4g} +- {est.se:.2g}")
            # offset the cases a little along x so that their bars do not overlap
            xs = [N * 1.06 ** (k - 1) for N in Ns]
            line = plots.errorbar(ax, xs, ys, ses, z=Z, label=f"MC, {label}")
            c = q.evaluate({"l": L, "on": on})
            # on = 0 and 1 share their constant: interleaved dashes keep both lines visible
            ls = "-" if on == 2 else (4.0 * on, (4.0, 4.0))
            ax.axhline(c, color=line[0].get_color(), lw=1.0, ls=ls,
                       label=f"closed form, on={on}: $C={c:.4f}$")
        ax.set_xscale("log", base=2)
        ax.set_xlabel(r"neurons $N$")
        ax.set_ylabel(r"$\sqrt{N}\times$ RMS error of $\widehat{\mathrm{AND}}_{ij}$")
        ax.set_title(rf"$\ell={L}$, $m={M}$, Gaussian weights, {trials} trials per point")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    return plots.save(fig, outdir, NAME)
