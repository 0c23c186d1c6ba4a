"""RiS Figs. 8-11 grid: MSE of x and alpha (active, inactive), layers 1-4 x z = 1-4, vs T (d/D)^2.

The (D, T) sweep is the authors' (cis2.md §7, 41 pairs, S = 6, d = 4, L = 4, 500 passes per
(D, T, z) at ``paper`` scale).  The numbers are measured by
:mod:`superpose.verify.rotations.grid` (ReLU network through ``verify.rotations.simulate``,
every inactive circuit read, networks redrawn every ``K`` passes); this script only draws
them: points are clustered means +-4 SE.  Lines (one per D): dashed = published (RiS (6.55),
(6.57), (6.42), (6.43): ``rotations.*_published``), solid = ours (``rotations.x_mse_active`` etc., the (H) recursion
with exact allocation statistics), dotted = our ReLU-activation error model
(``rotations.*_relu``, derive/rotations_relu.py).  Also: worst-case errors and the fraction of
neurons on.

Writes ``rotations_grid_{x_active,x_inactive,alpha_active,alpha_inactive,max,frac_on}``.
"""
from __future__ import annotations

from pathlib import Path

from matplotlib import ticker

from superpose.derive.quantity import get_quantity
from superpose.reports import plots
from superpose.verify import rotations as rot  # noqa: F401  (bench/rotations_grid.py: G.rot.build)
from superpose.verify.rotations import grid
from superpose.verify.rotations.grid import KEYS

CAPTION = (r"RiS rotation grid (Figs. 8--11 of the post), $d=4$, $S=6$, $L=4$, ReLU network: mean-square "
           r"error of $\mathbf x$ and $\alpha$ of active and inactive circuits, rows layer $l=1..4$, "
           r"columns $z$, against $T(d/D)^2$, for the authors' 41 $(D,T)$ pairs (paper scale: 500 "
           r"passes per $(D,T,z)$; points $\pm4$ SE clustered by network; $\bullet$ $Td>D$, "
           r"$\blacktriangle$ otherwise; colour $D$). Dashed: published lines (6.55), (6.57), (6.42), "
           r"(6.43); solid: our (H) recursion (rotations.x\_mse\_active etc.); dotted: our ReLU-activation "
           r"error model (rotations.*\_relu, claimed up to seizure onset; not drawn where it stops, "
           r"past a predicted seized fraction of 0.3); a $D$ with one point has markers instead "
           r"(published: Y-shaped tick, (H): dash, ReLU model: $\times$). Extra panels: worst "
           r"case $\max|\delta|$ and fraction of neurons on per layer. Errors that are exactly 0 "
           r"(active $\mathbf x$ at $l=1$, $z=1$) are not drawn on the log axes (the active "
           r"$\alpha$ panel is linear near 0).")

d, S, L = 4, 6, 4
# cis2.md §7: the authors' (D, T) sweep
SWEEP = ([(800, t) for t in (200, 300)] + [(1000, t) for t in range(200, 501, 100)]
         + [(1200, t) for t in range(200, 701, 100)] + [(1400, t) for t in range(200, 1001, 200)]
         + [(1600, t) for t in range(300, 1301, 200)] + [(1800, t) for t in range(300, 1701, 200)]
         + [(2000, t) for t in range(200, 2001, 200)])
SCALES = {
    "smoke": ([(800, 200), (1000, 400)], (1, 2), 40, 20),
    "quick": ([(800, 200), (1000, 400), (1200, 700), (1600, 900), (2000, 1400), (2000, 2000)],
              (1, 2), 100, 50),
    "paper": (SWEEP, (1, 2, 3, 4), 500, 100),
}


def run_point(D: int, T: int, z: int, passes: int, K: int, seed: int, batch: int = 50) -> dict:
    """The grid's measurement at (D, T, z): :func:`superpose.verify.rotations.grid.measure_point`."""
    return grid.measure_point(D, T, z, passes, K, seed, S=S, L=L, batch=batch)


def run_grid(pairs, zs, passes: int, K: int, seed: int, progress=None) -> list[dict]:
    """Every (D, T) in ``pairs`` x z in ``zs``: :func:`superpose.verify.rotations.grid.measure_grid`."""
    return grid.measure_grid(pairs, zs, passes, K, seed, S=S, L=L, progress=progress)


def _pred(name: str, l: int, z: int, D: int, T: int) -> float:
    return float(get_quantity(f"rotations.{name}").evaluate({"l": l, "z": z, "D": D, "T": T, "S": S}))


def _fast_log(ax, symlog: bool = False) -> None:
    """Log y axis with plain-text major labels only (mathtext tick labels dominate the cost);
    ``symlog`` (linear below 1e-6) where the measured values are mostly exactly 0."""
    if symlog:
        ax.set_yscale("symlog", linthresh=1e-6)
        ax.yaxis.set_major_formatter(ticker.FormatStrFormatter("%.0e"))
        ax.tick_params(labelsize=5)
        return
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(ticker.LogLocator(numticks=4))
    ax.yaxis.set_major_formatter(ticker.FormatStrFormatter("%.0e"))
    ax.yaxis.set_minor_formatter(ticker.NullFormatter())
    ax.tick_params(labelsize=5)


def make(outdir: Path, scale: str, seed: int, progress=None) -> list[Path]:
    pairs, zs, passes, K = SCALES.get(scale, SCALES["quick"])
    res = run_grid(pairs, zs, passes, K, seed, progress)
    Ds = sorted({D for D, _ in pairs})
    col = {D: plots.STYLE["axes.prop_cycle"].by_key()["color"][i % 7] for i, D in enumerate(Ds)}
    tau = lambda r: r["T"] * (d / r["D"]) ** 2  # noqa: E731
    paths: list[Path] = []
    with plots.style():
        for key in KEYS:
            fig, axs = plots.figure(ncols=len(zs), nrows=L, figsize=(1.8 * len(zs) + 1, 1.5 * L + 0.6),
                                    sharex=True, sharey="row", squeeze=False, layout=None)
            fig.subplots_adjust(left=0.1, right=0.98, bottom=0.08, top=0.9, wspace=0.08, hspace=0.12)
            for li in range(L):
                for zi, z in enumerate(zs):
                    ax = axs[li][zi]
                    for D in Ds:
                        pts = sorted((r for r in res if r["D"] == D and r["z"] == z), key=tau)
                        if not pts:
                            continue
                        for r in pts:
                            if r[key][li] <= 1e-12 and key != "alpha_active":
                                continue  # exactly 0 (active x at l=1, z=1): not on a log axis
                            mk = "o" if r["T"] * d > D else "^"
                            plots.errorbar(ax, [tau(r)], [r[key][li]], [r[key + "_se"][li]],
                                           color=col[D], fmt=mk, ms=2.5)
                        xs = [tau(r) for r in pts]
                        base = f"{key.split('_')[0]}_mse_{key.split('_')[1]}"
                        for name, ls, mk1 in ((f"{base}_published", "--", "1"), (base, "-", "_"),
                                              (f"{base}_relu", ":", "x")):
                            ys = [_pred(name, li + 1, z, D, r["T"]) for r in pts]
                            if any(y > 0 for y in ys):
                                ax.plot(xs, [max(y, 1e-7) for y in ys], ls, color=col[D], lw=0.8,
                                        marker=mk1 if len(xs) == 1 else None, ms=5)
                    _fast_log(ax, symlog=key == "alpha_active")
                    if li == 0:
                        ax.set_title(f"$z={z}$")
                    if zi == 0:
                        ax.set_ylabel(f"$l={li + 1}$")
                    if li == L - 1:
                        ax.set_xlabel("$T(d/D)^2$")
            for D in Ds:
                axs[0][-1].plot([], [], "o", color=col[D], label=f"D={D}")
            axs[0][-1].legend(fontsize=5)
            fig.suptitle(key.replace("_", " ") + " mean-square error", fontsize=9)
            paths += plots.save(fig, outdir, f"rotations_grid_{key}")
        # worst case: rows z, columns the four errors, colour = layer
        fig, axs = plots.figure(ncols=4, nrows=len(zs), figsize=(7.0, 1.6 * len(zs) + 0.6),
                                sharex=True, squeeze=False, layout=None)
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.1, top=0.9, wspace=0.3, hspace=0.15)
        for zi, z in enumerate(zs):
            pts = sorted((r for r in res if r["z"] == z), key=tau)
            for ki, key in enumerate(KEYS):
                ax = axs[zi][ki]
                for li in range(L):
                    ax.plot([tau(r) for r in pts], [r[key + "_max"][li] for r in pts], ".",
                            ms=3, label=f"l={li + 1}")
                if zi == 0:
                    ax.set_title(r"max $|\delta|$ " + key.replace("_", " "), fontsize=7)
                if ki == 0:
                    ax.set_ylabel(f"$z={z}$")
        axs[0][0].legend(fontsize=5)
        for ax in axs[-1]:
            ax.set_xlabel("$T(d/D)^2$")
        paths += plots.save(fig, outdir, "rotations_grid_max")
        # fraction of neurons on per layer; dotted: the noise-free bound z S d / D per pass
        fig, axs = plots.figure(ncols=len(zs), squeeze=False, sharey=True)
        for zi, z in enumerate(zs):
            ax = axs[0][zi]
            pts = sorted((r for r in res if r["z"] == z), key=tau)
            for li in range(L):
                ax.plot([tau(r) for r in pts], [r["frac_on"][li] for r in pts], ".", ms=3,
                        label=f"l={li + 1}")
            ax.plot([tau(r) for r in pts], [z * S * d / r["D"] for r in pts], "k_", ms=4,
                    label="$zSd/D$")
            ax.set_title(f"$z={z}$")
            ax.set_xlabel("$T(d/D)^2$")
        axs[0][0].set_ylabel("fraction of neurons on")
        axs[0][0].legend(fontsize=6)
        paths += plots.save(fig, outdir, "rotations_grid_frac_on")
    return paths
