r"""costs: readout noise of features stored in superposition, against k and against n (uand.md §6).

``m`` random unit features in ``R^n``, ``k`` active, ``x = sum_I f_a``.  Points: Monte Carlo
on the real readouts ``f_b . x``, measured by :func:`superpose.verify.costs.inactive_noise`
(this script only draws): the RMS noise of inactive features and
the expected worst inactive readout ``E max_b |f_b . x|``.  Lines: ``sqrt(k/n)``
(``costs.noise_ms_inactive``, exact), ``sqrt(costs.noise_max_ms)`` (exact E max^2, an upper
bound on E max by Jensen), the rigorous ``costs.noise_max_bound``, and Linsefors' published
``sqrt(8 k ln m / n)`` (``costs.noise_max_published``).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from superpose.derive.quantity import get_quantity
from superpose.reports import plots
from superpose.verify import costs as V
from superpose.verify.rng import stream

NAME = "costs_noise"
M = 1024
N_LEFT = 256
K_RIGHT = 8
INPUTS = 64   # inputs per feature draw
SIZES = {
    "smoke": ((2, 16), (64, 256), 5),
    "quick": ((1, 2, 4, 8, 16, 32, 64), (32, 64, 128, 256, 512), 20),
    "paper": ((1, 2, 4, 8, 16, 32, 64, 128, 256), (16, 32, 64, 128, 256, 512, 1024, 2048), 100),
}


def _point(n, k, trials, seed):
    """Measured by :func:`superpose.verify.costs.inactive_noise` on the figure's stream."""
    return V.inactive_noise(n, M, k, trials, INPUTS, stream(seed, "costs", "figure", n, k))


def _panel(ax, xs, pts, lines, xlabel):
    rms, mx = zip(*pts)
    plots.errorbar(ax, xs, [e.value for e in rms], [e.se for e in rms], log=True,
                   label="MC RMS noise")
    plots.errorbar(ax, xs, [e.value for e in mx], [e.se for e in mx], log=True,
                   label=r"MC $\mathbb{E}\,\mathrm{max}_b|f_b\cdot x|$")
    styles = {"rms": ("-", r"$\sqrt{k/n}$"),
              "maxms": ("-.", r"$\sqrt{\mathbb{E}\,\mathrm{max}_b(f_b\cdot x)^2}$ (exact)"),
              "bound": (":", "sub-Gaussian bound"), "pub": ("--", "Linsefors $\\sqrt{8k\\ln m/n}$")}
    for key, (ls, lab) in styles.items():
        gx, gy = lines[key]
        plots.predicted_line(ax, gx, gy, label=lab, ls=ls,
                             color="#D55E00" if key == "pub" else "0.25")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)


def _lines(pairs):
    q = {s: get_quantity(f"costs.{s}") for s in
         ("noise_ms_inactive", "noise_max_ms", "noise_max_bound", "noise_max_published")}
    out = {"rms": [], "maxms": [], "bound": [], "pub": []}
    for n, k in pairs:
        out["rms"].append(math.sqrt(q["noise_ms_inactive"].evaluate({"n": n, "k": k})))
        out["maxms"].append(math.sqrt(q["noise_max_ms"].evaluate({"n": n, "m": M, "k": k})))
        out["bound"].append(q["noise_max_bound"].evaluate({"n": n, "m": M, "k": k}))
        out["pub"].append(q["noise_max_published"].evaluate({"n": n, "m": M, "k": k}))
    return out


def _caption(trials, scale, seed) -> str:
    return (
        rf"Storing $k$ of $m={M}$ random unit features in $\mathbb R^n$ \citep{{costs}}. Left: "
        rf"against $k$ at $n={N_LEFT}$; right: against $n$ at $k={K_RIGHT}$. Points: Monte "
        r"Carlo RMS noise of the inactive readouts and the mean largest inactive readout "
        rf"$\mathbb E\max_{{b\notin I}}|f_b\cdot x|$, {trials} feature draws per point with "
        rf"{INPUTS} inputs each ({plots.run_phrase(scale, seed)}), "
        + plots.LOG_BARS + r", standard errors clustered by draw. Lines: $\sqrt{k/n}$ (exact), "
        r"$\sqrt{\mathbb E\max(f_b\cdot x)^2}$ (exact, by quadrature), the sub-Gaussian bound "
        r"$\sqrt{2k\ln(2(m-k))/n}$ and Linsefors' $\sqrt{8k\ln m/n}$ (dashed), which "
        r"overstates the measured worst case by about a factor two and the typical noise by "
        r"$\sqrt{8\ln m}$.")


def make(outdir: Path, scale: str, seed: int, progress=None) -> list[tuple[Path, str]]:
    scale = scale if scale in SIZES else "quick"
    ks, ns, trials = SIZES[scale]
    with plots.style():
        fig, (a1, a2) = plots.figure(ncols=2, figsize=(plots.MAX_WIDTH, 4.2), sharey=False)
        pts = [_point(N_LEFT, k, trials, seed) for k in ks]
        kg = np.unique(np.geomspace(min(ks), max(ks), 20).astype(int))
        ln = _lines([(N_LEFT, int(k)) for k in kg])
        _panel(a1, ks, pts, {x: (kg, y) for x, y in ln.items()}, "active features $k$")
        a1.set_ylabel("readout noise of inactive features")
        a1.set_title(rf"$n={N_LEFT}$, $m={M}$")
        if progress:
            progress(f"{NAME}: k sweep done")
        pts = [_point(n, K_RIGHT, trials, seed) for n in ns]
        ng = np.unique(np.geomspace(min(ns), max(ns), 20).astype(int))
        ln = _lines([(int(n), K_RIGHT) for n in ng])
        _panel(a2, ns, pts, {x: (ng, y) for x, y in ln.items()}, "dimension $n$")
        a2.set_title(rf"$k={K_RIGHT}$, $m={M}$")
        fig.legend(*a2.get_legend_handles_labels(), loc="outside lower center", ncol=3,
                   fontsize=7.5, columnspacing=1.2)
    return [plots.save_captioned(fig, outdir, NAME, _caption(trials, scale, seed))]
