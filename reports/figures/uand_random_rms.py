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


def _caption(Ns, trials, scale, seed) -> str:
    return (
        r"U-AND read off a frozen random layer \citep{tmf}: $\sqrt N$ times the RMS error of "
        r"the AND readoff against the number of neurons $N\in\{" + ",".join(map(str, Ns))
        + rf"\}}$ (log axis), $\ell={L}$ active of $m={M}$ inputs, $\mathcal N(0,1)$ "
        rf"weights, no bias. Points: Monte Carlo, one fresh input per trial, $W$ redrawn every "
        rf"$K={K}$ trials, {trials} trials per point ({plots.run_phrase(scale, seed)}), bars "
        rf"$\pm{Z:g}$ standard errors clustered by network draw (propagated to first order "
        r"through the square root). Lines: the closed form $C(\ell,\mathrm{on})$, exact for "
        r"every $N$. The cases neither and one on have the same constant (interleaved dashes).")


def make(outdir: Path, scale: str, seed: int, progress=None) -> list[tuple[Path, str]]:
    scale = scale if scale in SIZES else "quick"
    Ns, trials = SIZES[scale]
    q = get_quantity("uand-random.rms_error_constant")
    with plots.style():
        fig, ax = plots.figure(figsize=(plots.MAX_WIDTH, 3.8))
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
                       label=f"closed form, {on} on: $C={c:.4f}$")
        ax.set_xscale("log", base=2)
        ax.set_xlabel(r"neurons $N$")
        ax.set_ylabel(r"$\sqrt{N}\times$ RMS error of $\widehat{\mathrm{AND}}_{ij}$")
        ax.set_title(rf"$\ell={L}$, $m={M}$, Gaussian weights, {trials} trials per point")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2)
    return [plots.save_captioned(fig, outdir, NAME, _caption(Ns, trials, scale, seed))]
