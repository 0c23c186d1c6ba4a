"""CiS1 against CiS2 at matched budget, and CiS1's per-block growth against T.

Figure 1: active relative error per block (log scale) and its per-block growth, for CiS1
(linear, relu with b = 0, relu with the shared negative bias; rotation family, so no small
network amplifies noise) and CiS2 (ideal and linear, Haar-orthogonal circuits) at the weight
budget D_2^2 = 2 M D, from :func:`superpose.verify.cis1.compare`.  Figure 2: CiS1's growth rate
per block against T: the spectral rate of ``cis1.growth_rate`` (computed), the measured rate
(:func:`superpose.verify.cis1.growth`) and the one-step gain ``cis1.linear_gain`` (closed form).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from superpose.derive.quantity import get_quantity
from superpose.reports import plots
from superpose.verify import cis1 as vc
from superpose.verify.check import bind_verify_params

CAPTION = ("CiS1 against CiS2 at matched weight budget (relative error per block and its growth), "
           "and the growth rate of CiS1 per block against the number of small networks.")

#: (passes per network draw of the comparison, T values of the growth panel)
SIZES = {"smoke": (8, (8, 16)), "quick": (32, (8, 128)), "paper": (96, (8, 16, 32, 64, 128, 256))}
NAMES = {"cis1-linear": "CiS1 linear", "cis1-relu": "CiS1 relu, $b=0$",
         "cis1-relu-supp": "CiS1 relu, $b={b}$", "cis2-ideal": "CiS2 ideal",
         "cis2-linear": "CiS2 linear"}
STYLES = {"cis1-linear": "-o", "cis1-relu": "-s", "cis1-relu-supp": "-^", "cis2-ideal": "--D",
          "cis2-linear": "--v"}


def make(outdir: Path, scale: str, seed: int, progress=None) -> list[tuple[Path, str]]:
    K, Ts = SIZES.get(scale, SIZES["quick"])
    p = bind_verify_params("cis1", {})
    L, b = p["L"], p["b"]
    res = vc.compare(p, seed, K=K)
    if progress:
        progress("cis1_vs_cis2: comparison measured")
    layers = np.arange(1, L + 1)
    fig, (ax, bx) = plots.figure(ncols=2, figsize=(6.4, 2.7))
    growth = {}
    for v, (err, sig, _) in res.items():
        rel = np.array([np.sum(err[l]) / np.sum(sig[l]) for l in layers])
        h = max(1, L // 2)
        growth[v] = (rel[L - 1] / rel[h - 1]) ** (1 / (L - h))
        ratio = np.array([np.sum(err[l]) / np.sum(err[l - 1]) for l in layers[1:]])
        lab = NAMES[v].format(b=f"{b:g}")
        ax.plot(layers, rel, STYLES[v], label=lab, ms=3.5)
        bx.plot(layers[1:], ratio, STYLES[v], label=lab, ms=3.5)
    ax.axhline(1.0, color="0.4", lw=0.8, ls=":")
    ax.set_yscale("log")
    ax.set_xlabel("block $l$")
    ax.set_ylabel("active relative error")
    bx.axhline(1.0, color="0.4", lw=0.8, ls=":")
    bx.set_yscale("log")
    bx.set_xlabel("block $l$")
    bx.set_ylabel("error growth per block")
    from matplotlib.ticker import NullFormatter, ScalarFormatter
    bx.yaxis.set_major_formatter(ScalarFormatter())
    bx.yaxis.set_minor_formatter(NullFormatter())
    ax.legend(fontsize=7, loc="upper left")
    D2 = vc.matched_width(p["D"], p["M"], p["d"])
    out = plots.save(fig, outdir, "cis1_vs_cis2")
    cap1 = (f"CiS1 against CiS2 at matched weight budget, $D=M={p['D']}$ for CiS1 and $D_2={D2}$ "
            f"for CiS2 ($D_2^2\\approx 2MD$), $T={p['Tc']}$ small networks of residual width "
            f"$d={p['d']}$, $k={p['k']}$ active, $c={p['c']}$ copies, "
            f"{vc.CMP_NETS} network draws of {K} passes each, seed {seed}. The small networks are "
            "norm-preserving rotations, so none of them amplifies noise. Left: relative mean-square "
            "error of the active networks per block (dotted line: 1). Right: its growth per block. "
            "Mean growth per block over the last half of the blocks: "
            + "; ".join(f"{NAMES[v].format(b=f'{b:g}')}: {g:.2f}" for v, g in growth.items()) + ".")
    # --- figure 2: growth rate against T
    gain = get_quantity("cis1.linear_gain")
    fig2, cx = plots.figure(figsize=(6.4, 2.7))
    for fam, mark in ((0, "o"), (1, "s")):
        spec, meas, se = [], [], []
        for T in Ts:
            q = {**p, "T": T, "family": fam}
            _, est, qq = vc.growth(q, seed)
            spec.append(get_quantity("cis1.growth_rate").evaluate(qq))
            meas.append(est.value)
            se.append(est.se)
            if progress:
                progress(f"cis1_vs_cis2: growth family={fam} T={T}")
        name = "Gaussian, $g_2=" + f"{p['g2']:g}" + "$" if fam == 0 else "rotations"
        line = cx.plot(Ts, spec, "-", lw=1.0, label=f"spectral rate, {name}")
        plots.errorbar(cx, Ts, meas, se, fmt=mark, color=line[0].get_color(),
                       label=f"measured, {name}")
    g1 = [gain.evaluate({"D": p["D"], "M": p["M"], "d": p["d"], "m": p["m"], "T": T,
                         "c": p["c"], "g2": p["g2"]}) for T in Ts]
    cx.plot(Ts, g1, "k--", lw=1.0, label="one-step gain $G_1$, Gaussian")
    cx.axhline(1.0, color="0.4", lw=0.8, ls=":")
    cx.set_xscale("log")
    cx.set_yscale("log")
    cx.set_xlabel("small networks $T$")
    cx.set_ylabel("error growth per block")
    cx.legend(fontsize=7)
    out2 = plots.save(fig2, outdir, "cis1_growth")
    cap2 = (f"Growth of CiS1's residual-stream error per block against $T$ at $D=M={p['D']}$, "
            f"$d={p['d']}$, $c={p['c']}$, linear mode with the same block repeated: the spectral "
            "rate of one fixed network draw (lines), the rate measured over the last "
            f"{vc.GROWTH_TAIL} of {vc.GROWTH_L} blocks on that draw ({vc.GROWTH_PASSES} passes, "
            f"seed {seed}, bars $\\pm4$ SE), and the closed-form one-step gain $G_1$ of the Gaussian "
            f"family ($m={p['m']}$); the rotation family has $m=2d$.")
    return [(out[0], cap1), (out2[0], cap2)]
