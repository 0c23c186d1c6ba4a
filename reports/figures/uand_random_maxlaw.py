r"""uand-random: the max-error law, sqrt(N) E max|e| against N with m = ceil(N^a) inputs.

Points: Monte Carlo (``verify/uand_random_max.py``: one network and one input per trial, the
max over all off pairs, x_i x_j = 0), bars +-Z SE.  Lines: the union + Chernoff upper bound,
the extreme-value approximation (``derive/uand_random_max.py``), and the two candidate laws
c sqrt(ln N) and c ln N with c fitted to the points (least squares through the origin).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from superpose.derive.uand_random import maxlaw as d
from superpose.reports import plots
from superpose.verify.uand_random import maxlaw as vm
from superpose.verify.check import Z

NAME = "uand_random_maxlaw"
L = 3
#: per scale: {a: N grid}, trials per point
SIZES = {
    "smoke": ({0.5: (64, 256), 1.0: (16, 64)}, 100),
    "quick": ({0.5: (16, 64, 256, 1024, 4096), 1.0: (16, 32, 64, 128, 256)}, 200),
    "paper": ({0.5: (16, 64, 256, 1024, 4096, 16384), 1.0: (16, 32, 64, 128, 256, 512)}, 300),
}


def fit_through_origin(x: np.ndarray, y: np.ndarray, se: np.ndarray) -> tuple[float, float]:
    """Weighted least squares y ~ c x: (c, chi^2 per degree of freedom)."""
    w = 1 / np.maximum(se, 1e-12) ** 2
    c = float(np.sum(w * x * y) / np.sum(w * x * x))
    dof = max(1, len(x) - 1)
    return c, float(np.sum(w * (y - c * x) ** 2) / dof)


def measure(scale: str, seed: int, progress=None) -> dict:
    """{a: (Ns, values, ses)} of sqrt(N) E max|e|."""
    grids, trials = SIZES.get(scale, SIZES["quick"])
    out = {}
    for a, Ns in grids.items():
        ys, ses = [], []
        for N in Ns:
            m = max(L + 1, math.ceil(N ** a))
            est = vm.measure_max({"N": N, "l": L, "m": m}, trials=trials, seed=seed)[0].estimate
            ys.append(est.value)
            ses.append(est.se)
            if progress:
                progress(f"a={a} N={N} m={m}: {est.value:.4g} +- {est.se:.2g}")
        out[a] = (np.array(Ns, float), np.array(ys), np.array(ses))
    return out


def _caption(scale, seed, trials, fits, slopes) -> str:
    f = {a: fits[a] for a in sorted(fits)}
    chi = "; ".join(rf"$a={a:g}$: {f[a][0]:.3g} for $c\sqrt{{\ln N}}$ against {f[a][1]:.3g} "
                    rf"for $c\ln N$" for a in f)
    if all(v[1] < v[0] for v in f.values()):
        verdict = rf"and their $\chi^2$ per degree of freedom even prefers $\ln N$ ({chi})"
    elif all(v[0] < v[1] for v in f.values()):
        verdict = (rf"although their $\chi^2$ per degree of freedom prefers $\sqrt{{\ln N}}$ "
                   rf"({chi})")
    else:
        verdict = rf"and their $\chi^2$ per degree of freedom is split ({chi})"
    falling = all(s1 < s0 for s0, s1 in slopes.values())
    slope = "; ".join(rf"$a={a:g}$: from {s0:.2f} to {s1:.2f}" for a, (s0, s1) in slopes.items())
    tail = (r" The measured local slope $\Delta T/\Delta\ln N$ between the first two and the "
            rf"last two points ({slope}) " + ("falls, while a $\\ln N$ law would keep it "
                                               "constant." if falling else
                                               "does not fall at this scale; a $\\ln N$ law "
                                               "would keep it constant.")) if slopes else ""
    return (
        r"U-AND read off a frozen Gaussian layer \citep{tmf}: $T=\sqrt N\,\mathbb E\max|e|$, the "
        r"largest error over all pairs with $x_ix_j=0$ of one input ($\ell=3$ active of "
        r"$m=\lceil N^a\rceil$ inputs), against $N$ (log axis), for $a=1/2$ and $a=1$. Points: "
        rf"Monte Carlo, one fresh network and input per trial, {trials} trials per point "
        rf"({plots.run_phrase(scale, seed)}), bars $\pm{Z:g}$ standard errors. Solid: the "
        r"extreme-value approximation $C_0g_M\big(1-\rho_4g_M^2/(12N)-(\rho_4-1)/(8N)\big)$, "
        r"$g_M$ the mean maximum of $M$ absolute standard normals; dashed: the union and "
        r"Chernoff bound; dotted and dash-dotted: $c\sqrt{\ln N}$ and $c\ln N$ with $c$ fitted "
        r"to the points. Which evidence carries the law $T=\Theta(\sqrt{\ln N})$: the upper "
        r"half, $T=O(\sqrt{\ln N})$, is the union and Chernoff bound, rigorous at every $N$ "
        r"and growing as $C_0\sqrt{4a\ln N}$; the lower half is not proved: it rests on the "
        r"extreme-value line, which has no fitted constant and grows at the same rate, and on "
        r"its agreement with the points. The one-constant fits do not decide between the laws "
        rf"at these $N$, {verdict}: the finite-$N$ term $-\rho_4g_M^2/(12N)$ depresses the "
        r"small-$N$ points and $\ln M=2a\ln N-\ln2+o(1)$ has an offset, so neither law is a "
        r"line through the origin here." + tail
    )


def _local_slopes(data) -> dict:
    out = {}
    for a, (Ns, ys, _) in data.items():
        if len(Ns) >= 3:
            lg = np.log(Ns)
            out[a] = ((ys[1] - ys[0]) / (lg[1] - lg[0]), (ys[-1] - ys[-2]) / (lg[-1] - lg[-2]))
    return out


def make(outdir: Path, scale: str, seed: int, progress=None) -> list[tuple[Path, str]]:
    scale = scale if scale in SIZES else "quick"
    data = measure(scale, seed, progress)
    fits = {}
    with plots.style():
        fig, ax = plots.figure(figsize=(plots.MAX_WIDTH, 4.6))
        for a, (Ns, ys, ses) in data.items():
            line = plots.errorbar(ax, Ns, ys, ses, z=Z, label=f"Monte Carlo, $a={a:g}$")
            col = line[0].get_color()
            grid = np.unique(np.round(np.geomspace(Ns[0], Ns[-1], 40)).astype(int))
            ms = [max(L + 1, math.ceil(n ** a)) for n in grid]
            ax.plot(grid, [d.extreme_value(L, m, n) for n, m in zip(grid, ms)], color=col,
                    lw=1.0, label=f"extreme value, $a={a:g}$")
            # the bound is smooth in ln N: every other grid point (each is a quadrature)
            gb = grid[::2] if grid[::2][-1] == grid[-1] else np.r_[grid[::2], grid[-1]]
            mb = [max(L + 1, math.ceil(n ** a)) for n in gb]
            ax.plot(gb, [d.chernoff_bound(L, m, n) for n, m in zip(gb, mb)], color=col, lw=0.8,
                    ls="--", label=f"union and Chernoff bound, $a={a:g}$")
            chis = []
            for f, ls, name in ((np.sqrt, ":", r"\sqrt{\ln N}"), (lambda t: t, "-.", r"\ln N")):
                c, chi2 = fit_through_origin(f(np.log(Ns)), ys, ses)
                chis.append(chi2)
                ax.plot(grid, c * f(np.log(grid)), color=col, lw=0.8, ls=ls, alpha=0.8,
                        label=rf"${c:.3g}\,{name}$ ($\chi^2/$dof {chi2:.3g})")
            fits[a] = tuple(chis)
        ax.set_xscale("log", base=2)
        ax.set_xlabel(r"neurons $N$ ($m=\lceil N^a\rceil$ inputs)")
        ax.set_ylabel(r"$\sqrt{N}\,\mathbb{E}\max|e_{ij}(x)|$")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=7.5)
    trials = SIZES[scale][1]
    return [plots.save_captioned(fig, outdir, NAME,
                                 _caption(scale, seed, trials, fits, _local_slopes(data)))]
