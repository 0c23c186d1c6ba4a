r"""uand-sparse: misfiring idle neurons against the number of superposed features (uand.md §3).

Inputs in superposition: ``W = Ŵ F`` with ``m`` random unit features in ``R^{d0}`` and
Bernoulli(p) wiring ``Ŵ``.  A neuron none of whose wired features is active misfires when its
interference exceeds the bias (``eta > 1``).  Points: the fraction of idle neurons that
misfire on the real network (measured by ``superpose.verify.uand_sparse.misfire_fraction``;
this script only draws); line: the Gaussian
tail ``uand-sparse.misfire_prob`` averaged over the wired count ``n ~ Bin(m - l, p)`` of an idle
neuron; the vertical lines mark ``uand-sparse.misfire_onset`` for q = 1% and 10%.
"""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import sympy as sp
from scipy import special, stats

from superpose.derive.quantity import get_quantity
from superpose.reports import plots
from superpose.verify import uand_sparse as V
from superpose.verify.rng import stream

NAME = "uand_sparse_misfire"
D0, L, P, D = 64, 4, 0.05, 256
INPUTS = 8   # inputs per network
SIZES = {
    "smoke": ((64, 512), 5),
    "quick": ((32, 64, 128, 256, 512, 1024, 2048, 4096), 20),
    "paper": (tuple(int(x) for x in np.geomspace(32, 16384, 16)), 100),
}


def _measure(m, trials, seed):
    """Measured by :func:`superpose.verify.uand_sparse.misfire_fraction` on the figure's stream."""
    return V.misfire_fraction(D, D0, m, P, L, trials, INPUTS,
                              stream(seed, "uand-sparse", "figure", "misfire", m))


@functools.lru_cache(maxsize=None)
def _misfire_prob():
    """The registry's closed form of ``misfire_prob`` at (d0, l), lambdified once."""
    q = get_quantity("uand-sparse.misfire_prob")
    sym = q.symbols()
    return sp.lambdify(sym["n"], q.closed_form.subs({sym["d0"]: D0, sym["l"]: L}),
                       modules=[{"erfc": special.erfc}, "numpy"])


def _predicted(m):
    """sum_n Bin(n; m - l, p) misfire_prob(d0, l, n), the registry's closed form lambdified."""
    f = _misfire_prob()
    ns = np.arange(1, m - L + 1)
    pmf = stats.binom.pmf(ns, m - L, P)
    keep = pmf > 1e-12
    return float(np.sum(pmf[keep] * f(ns[keep].astype(float))))


def _caption(trials, scale, seed) -> str:
    return (
        rf"Inputs in superposition \citep{{tmf}}: $W=\hat WF$, $m$ random unit features in "
        rf"$\mathbb R^{{{D0}}}$, wiring density $p={P}$, $d={D}$ neurons, $\ell={L}$ active "
        r"features. Points: the fraction of idle neurons (no active wired feature) whose "
        rf"pre-activation $\eta-1$ is positive, Monte Carlo with {trials} networks per point "
        rf"and {INPUTS} inputs each ({plots.run_phrase(scale, seed)}), " + plots.LOG_BARS
        + r", standard errors clustered by network. Line: the Gaussian approximation "
        r"$\bar\Phi(\sqrt{d_0/(\ell n)})$ averaged over $n\sim\mathrm{Bin}(m-\ell,p)$. "
        r"Vertical lines: the onset $m^*=d_0/(\ell p\,z_q^2)$ for $q=1\%$ and $10\%$.")


def make(outdir: Path, scale: str, seed: int, progress=None) -> list[tuple[Path, str]]:
    scale = scale if scale in SIZES else "quick"
    ms, trials = SIZES[scale]
    with plots.style():
        fig, ax = plots.figure()
        ys, ses = [], []
        for m in ms:
            e = _measure(m, trials, seed)
            ys.append(e.value)
            ses.append(e.se)
            if progress:
                progress(f"{NAME}: m={m}: {e.value:.3g}")
        plots.errorbar(ax, ms, ys, ses, log=True, label="MC, idle neurons")
        grid = np.unique(np.geomspace(min(ms), max(ms), 25).astype(int))
        plots.predicted_line(ax, grid, [_predicted(int(m)) for m in grid],
                             label=r"Gaussian tail, averaged over $n$")
        onset = get_quantity("uand-sparse.misfire_onset")
        for qv, ls in ((0.01, ":"), (0.1, "--")):
            x = onset.evaluate({"d0": D0, "l": L, "p": P, "q": qv})
            ax.axvline(x, ls=ls, color="0.4", lw=0.9, label=rf"onset $m^*$, $q={qv:g}$: {x:.0f}")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_ylim(bottom=1e-4)
        ax.set_xlabel("features $m$")
        ax.set_ylabel("misfire probability of an idle neuron")
        ax.set_title(rf"$d_0={D0}$, $p={P}$, $\ell={L}$")
        ax.legend(loc="lower right")
    return [plots.save_captioned(fig, outdir, NAME, _caption(trials, scale, seed))]
