r"""l4codes: L4 loss of the three-scalar binary-code network at its optimal scalars, against K.

Lines: ``l4codes.opt_loss_l4`` (approximate, exact strata k <= 2 plus sampled strata) for the
three code families at F = 100, N = 50, p = 0.02, and the naive baseline
``l4codes.naive_baseline_l4`` (exact).  Points: Monte Carlo of the real network
(``W_in = M^T + b (1 - M^T)``, ``W_out = c pinv(M^T)``) at the registered optimum, inputs drawn
from the definition, measured by ``superpose.verify.l4codes.loss_at_optimum`` (this script only
draws).
"""
from __future__ import annotations

from pathlib import Path

from superpose.derive.quantity import BadInput, get_quantity
from superpose.reports import plots
from superpose.verify import l4codes as V
from superpose.verify.rng import stream

NAME = "l4codes_loss"
F, N, P = 100, 50, 0.02
SIZES = {  # (K values, Monte Carlo inputs per point); one optimisation per (code, K) on a cold
    "smoke": ((4,), 4000),      # cache (about 10 s each): quick stays at K = 4, the default K
    "quick": ((4,), 40000),     # (the optima verify's paper scale caches)
    "paper": ((1, 2, 3, 4, 5, 6), 200000),
}
LABELS = {0: "random", 1: "regular", 2: "overlap $\\leq 1$"}
WORDS = {0: "random", 1: "regular", 2: "overlap-at-most-one"}


def _caption(Ks, trials, scale, seed, missing) -> str:
    ks = ", ".join(map(str, Ks))
    gone = ("" if not missing else " No code of the kind exists here for "
            + "; ".join(missing) + ".")
    return (
        rf"Binary codes with a pseudoinverse readout \citep{{l4codes}} at $F={F}$ features, "
        rf"$N={N}$ neurons, $p={P}$: the $L^4$ loss (mean over features) at the optimal "
        r"scalars ($a=1$, $b$ and $c$ optimised) for $K\in\{" + ks + r"\}$ neurons per "
        r"feature, one optimisation per code and $K$, for random, regular and "
        r"overlap-at-most-one codes (code seed 0)." + gone + r" Bars: the derived loss (exact "
        r"strata with at most two active features, stratified sampling beyond); dashed: the "
        r"naive baseline $(1-N/F)\,p/10=10^{-3}$. Points: Monte Carlo of the real network, "
        + f"{trials}" + rf" inputs per point ({plots.run_phrase(scale, seed)}), "
        + plots.LOG_BARS + ".")


def make(outdir: Path, scale: str, seed: int, progress=None) -> list[tuple[Path, str]]:
    scale = scale if scale in SIZES else "quick"
    Ks, trials = SIZES[scale]
    missing = []
    base = get_quantity("l4codes.naive_baseline_l4").evaluate(dict(F=F, N=N, p=P))
    with plots.style():
        fig, ax = plots.figure()
        for code, label in LABELS.items():
            ks, pred, meas, se = [], [], [], []
            for K in Ks:
                try:
                    e, o = V.loss_at_optimum(F, N, P, K, code, 0, 4, trials,
                                             stream(seed, "l4codes", "figure", code, K))
                except BadInput:
                    missing.append(f"{WORDS[code]} codes at $K={K}$")
                    continue
                ks.append(K)
                pred.append(o["loss"])
                meas.append(e.value)
                se.append(e.se)
                if progress:
                    progress(f"{NAME}: code {code}, K = {K}")
            if not ks:
                continue
            line = ax.plot(ks, pred, "-", marker="_", ms=22, mew=1.6, label=f"{label} (derived)")[0]
            plots.errorbar(ax, ks, meas, se, log=True, color=line.get_color(),
                           label=f"{label} (MC)")
        ax.axhline(base, color="0.3", ls="--", lw=1.0, label="naive baseline")
        ax.set_yscale("log")
        ax.set_xlabel("neurons per feature $K$")
        ax.set_ylabel("$L^4$ loss at the optimal scalars")
        ax.set_xticks(list(Ks))
        ax.legend(loc="best", fontsize=7.5)
    return [plots.save_captioned(fig, outdir, NAME,
                                 _caption(Ks, trials, scale, seed, missing))]
