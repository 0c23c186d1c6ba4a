"""RiS Figs. 8-11 grid: MSE of x and alpha (active, inactive), layers 1-4 x z = 1-4, vs T (d/D)^2.

The (D, T) sweep is the authors' (cis2.md §7, 41 pairs, S = 6, d = 4, L = 4, 500 passes per
(D, T, z) at ``paper`` scale).  The numbers are measured by
:mod:`superpose.verify.rotations.grid` (ReLU network through ``verify.rotations.simulate``,
every inactive circuit read, networks redrawn every ``K`` passes); this script only draws
them: points are clustered means with +-4 SE bars of ln(value) (positive on the log
axes), lines (one colour per D): dashed = published (RiS (6.55),
(6.57), (6.42), (6.43): ``rotations.*_published``), solid = ours (``rotations.x_mse_active`` etc., the (H) recursion
with exact allocation statistics), dotted = our ReLU-activation error model
(``rotations.*_relu``, derive/rotations_relu.py).  Also: worst-case errors and the fraction of
neurons on.  The key to colours, markers and line styles is a legend inside each figure;
the captions name the (D, T) pairs, z values, passes and seed of the run.

Writes ``rotations_grid_{x_active,x_inactive,alpha_active,alpha_inactive,max,frac_on}``.
"""
from __future__ import annotations

from pathlib import Path

from matplotlib import ticker
from matplotlib.lines import Line2D

from superpose.derive.quantity import get_quantity
from superpose.reports import plots
from superpose.verify import rotations as rot  # noqa: F401  (bench/rotations_grid.py: G.rot.build)
from superpose.verify.rotations import grid
from superpose.verify.rotations.grid import KEYS

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


TITLES = {"x_active": r"active circuits: $\mathbb{E}|\delta\mathbf{x}^\ell|^2$",
          "x_inactive": r"inactive circuits: $\mathbb{E}|\mathbf{x}^\ell|^2$",
          "alpha_active": r"active circuits: $\mathbb{E}(\delta\alpha^\ell)^2$",
          "alpha_inactive": r"inactive circuits: $\mathbb{E}(\hat\alpha^\ell)^2$"}
#: How each figure's caption names what it shows.
WHAT = {"x_active": r"the mean-square error of the payload $\mathbf x$ of the active circuits",
        "x_inactive": r"the mean square of the payload $\mathbf x$ read off inactive circuits",
        "alpha_active": r"the mean-square error of the on-indicator $\alpha$ of the active circuits",
        "alpha_inactive": r"the mean square of the on-indicator $\alpha$ read off inactive "
                          r"circuits"}
#: Published equations of RiS per figure (the dashed lines).
PUBLISHED = {"x_active": "(6.55)", "x_inactive": "(6.57)", "alpha_active": "(6.42)",
             "alpha_inactive": "(6.43)"}
#: The three predictions: (quantity suffix, line style, marker for a D with one point, label).
MODELS = (("_published", "--", "1", "published (RiS)"), ("", "-", "_", r"ours, (H) recursion"),
          ("_relu", ":", "x", "ours, ReLU-activation model"))


def _log_axis(ax) -> None:
    """Log y axis with plain-text major labels at most four per panel (mathtext tick
    labels and dense minor ticks dominate the drawing cost) and no minor labels."""
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(ticker.LogLocator(numticks=4))
    ax.yaxis.set_minor_locator(ticker.LogLocator(subs=(2.0, 5.0), numticks=4))
    ax.yaxis.set_major_formatter(ticker.LogFormatterSciNotation())
    ax.yaxis.set_minor_formatter(ticker.NullFormatter())


def _pairs_text(pairs) -> str:
    return ", ".join(f"$({D},{T})$" for D, T in pairs)


def _run_text(pairs, zs, passes, K, scale, seed) -> str:
    more = ("" if len(pairs) == len(SWEEP) else
            f" (the paper scale runs all {len(SWEEP)} pairs of the post with $z=1,\\dots,4$)")
    return (f"Measured at {len(pairs)} pairs $(D,T)$: {_pairs_text(pairs)}{more}; "
            f"$z\\in\\{{{','.join(map(str, zs))}\\}}$ active circuits; {passes} passes per "
            f"$(D,T,z)$, a fresh network every {K} passes ({plots.run_phrase(scale, seed)}); "
            f"$d={d}$, $S={S}$, $L={L}$, ReLU network.")


def _key_figure(key, res, pairs, zs, col, tau):
    Ds = sorted(col)
    ncol = len(zs)
    fig, axs = plots.figure(ncols=ncol, nrows=L, figsize=(plots.MAX_WIDTH, 1.55 * L + 1.2),
                            sharex=True, sharey="row", squeeze=False)
    base = f"{key.split('_')[0]}_mse_{key.split('_')[1]}"
    for li in range(L):
        for zi, z in enumerate(zs):
            ax = axs[li][zi]
            drawn = 0
            for D in Ds:
                pts = sorted((r for r in res if r["D"] == D and r["z"] == z), key=tau)
                if not pts:
                    continue
                for up in (True, False):            # marker: T d > D or not
                    sel = [r for r in pts if (r["T"] * d > D) == up]
                    y = [r[key][li] for r in sel]
                    if any(v > 0 for v in y):
                        plots.errorbar(ax, [tau(r) for r in sel], y,
                                       [r[key + "_se"][li] for r in sel], log=True,
                                       color=col[D], fmt="o" if up else "^", ms=3)
                        drawn += 1
                xs = [tau(r) for r in pts]
                for suffix, ls, mk1, _ in MODELS:
                    ys = [_pred(base + suffix, li + 1, z, D, r["T"]) for r in pts]
                    keep = [i for i, v in enumerate(ys) if v > 0]
                    if keep:
                        ax.plot([xs[i] for i in keep], [ys[i] for i in keep], ls, color=col[D],
                                lw=0.9, marker=mk1 if len(keep) == 1 else None, ms=6, mew=1.0)
                        drawn += 1
            if drawn:
                _log_axis(ax)
            else:
                ax.set_yticks([])
                ax.text(0.5, 0.5, "all exactly 0", transform=ax.transAxes, ha="center",
                        va="center", fontsize=8, color="0.35")
            if li == 0:
                ax.set_title(f"$z={z}$")
            if zi == 0:
                ax.set_ylabel(rf"layer $\ell={li + 1}$")
            if li == L - 1:
                ax.set_xlabel("$T(d/D)^2$")
            ax.xaxis.set_major_locator(ticker.MaxNLocator(4))
    handles = [Line2D([], [], ls="", marker="s", color=col[D], label=f"$D={D}$") for D in Ds]
    handles += [Line2D([], [], ls="", marker="o", color="0.3", label=r"measured, $Td>D$"),
                Line2D([], [], ls="", marker="^", color="0.3", label=r"measured, $Td\leq D$")]
    handles += [Line2D([], [], ls=ls, marker=mk1, ms=6, color="0.3", label=lab)
                for _, ls, mk1, lab in MODELS]
    fig.legend(handles=handles, loc="outside upper center", ncol=4, fontsize=7.5,
               handlelength=2.4, columnspacing=1.0, title=TITLES[key])
    return fig


def make(outdir: Path, scale: str, seed: int, progress=None) -> list[tuple[Path, str]]:
    scale = scale if scale in SCALES else "quick"
    pairs, zs, passes, K = SCALES[scale]
    res = run_grid(pairs, zs, passes, K, seed, progress)
    Ds = sorted({D for D, _ in pairs})
    col = {D: plots.STYLE["axes.prop_cycle"].by_key()["color"][i % 7] for i, D in enumerate(Ds)}
    tau = lambda r: r["T"] * (d / r["D"]) ** 2  # noqa: E731
    run = _run_text(pairs, zs, passes, K, scale, seed)
    out: list[tuple[Path, str]] = []
    with plots.style():
        for key in KEYS:
            fig = _key_figure(key, res, pairs, zs, col, tau)
            cap = (f"Rotations in superposition \\citep{{ris}}, the grid of Figs. 8 to 11 of the "
                   f"post: {WHAT[key]} against $T(d/D)^2$, one row per layer $\\ell$, one column "
                   f"per number $z$ of active circuits. {run} Points: means over passes, "
                   f"{plots.LOG_BARS}, standard errors clustered by network. Lines, one colour "
                   f"per $D$ (a single marker where a $D$ has one point): the published form "
                   f"{PUBLISHED[key]} of RiS, our (H) recursion with exact allocation "
                   "statistics, and our ReLU-activation error model, claimed up to the onset "
                   "of seizure. Values that are exactly 0, measured or predicted, are not "
                   "drawn on the log axes.")
            out.append(plots.save_captioned(fig, outdir, f"rotations_grid_{key}", cap))
        # worst case: rows z, columns the four errors, colour = layer
        fig, axs = plots.figure(ncols=2, nrows=2 * len(zs),
                                figsize=(plots.MAX_WIDTH, min(1.6 * 2 * len(zs) + 0.6,
                                                              plots.MAX_HEIGHT)),
                                sharex=True, squeeze=False)
        short = {"x_active": r"$\max|\delta\mathbf{x}|$, active",
                 "x_inactive": r"$\max|\mathbf{x}|$, inactive",
                 "alpha_active": r"$\max|\delta\alpha|$, active",
                 "alpha_inactive": r"$\max|\hat\alpha|$, inactive"}
        for zi, z in enumerate(zs):
            pts = sorted((r for r in res if r["z"] == z), key=tau)
            for ki, key in enumerate(KEYS):
                ax = axs[2 * zi + ki // 2][ki % 2]
                for li in range(L):
                    ax.plot([tau(r) for r in pts], [r[key + "_max"][li] for r in pts], ".",
                            ms=4, label=rf"$\ell={li + 1}$")
                ax.set_title(short[key] + f", $z={z}$", fontsize=8)
                ax.xaxis.set_major_locator(ticker.MaxNLocator(4))
        axs[0][0].legend(loc="upper left", ncol=2, handletextpad=0.1, columnspacing=0.6)
        for ax in axs[-1]:
            ax.set_xlabel("$T(d/D)^2$")
        cap = (r"Rotations in superposition \citep{ris}: the largest error over all passes, "
               r"circuits and coordinates, of the payload $\mathbf x$ and the on-indicator "
               r"$\alpha$ of active and inactive circuits, against $T(d/D)^2$, per layer $\ell$ "
               r"(colour) and number $z$ of active circuits. " + run
               + " A maximum has no standard error: no bars.")
        out.append(plots.save_captioned(fig, outdir, "rotations_grid_max", cap))
        # fraction of neurons on per layer; the noise-free value z S d / D per pass
        fig, axs = plots.figure(ncols=len(zs), squeeze=False, sharey=True,
                                figsize=(plots.MAX_WIDTH, 3.0))
        for zi, z in enumerate(zs):
            ax = axs[0][zi]
            pts = sorted((r for r in res if r["z"] == z), key=tau)
            for li in range(L):
                ax.plot([tau(r) for r in pts], [r["frac_on"][li] for r in pts], ".", ms=4,
                        label=rf"$\ell={li + 1}$")
            ax.plot([tau(r) for r in pts], [z * S * d / r["D"] for r in pts], "k_", ms=6,
                    label="$zSd/D$")
            ax.set_title(f"$z={z}$")
            ax.set_xlabel("$T(d/D)^2$")
            ax.xaxis.set_major_locator(ticker.MaxNLocator(4))
        axs[0][0].set_ylabel("fraction of neurons on")
        axs[0][0].legend(loc="upper left", handletextpad=0.1)
        cap = (r"Rotations in superposition \citep{ris}: the fraction of neurons on per layer "
               r"$\ell$ against $T(d/D)^2$, beside $z\,S\,d/D$, the fraction a pass would switch on "
               r"without interference. " + run)
        out.append(plots.save_captioned(fig, outdir, "rotations_grid_frac_on", cap))
    return out
