"""k copies of the on-indicator: layer-1 erroneous activation, shared vs block-dependent kets.

Left: at equal T (= 118, the capacity of k = 4 at D = 1200) the rate Pr(abar_u > 1/4) of an
inactive circuit vs z for k = 1, 2, 4; right: each k at its own capacity T_max(D/(2k+2)).
Lines: ``rotations.kcopies_err_shared`` (dashed) and ``rotations.kcopies_err_block`` (solid);
points: the layer-1 network of ``verify/rotations_kcopies.py`` (+-4 SE of the log,
clustered by network).
"""
from __future__ import annotations

from pathlib import Path

from matplotlib.lines import Line2D

from superpose.derive.rotations import kcopies as R
from superpose.reports import plots
from superpose.verify.rotations import kcopies as V

D, S, KS, ZS = 1200, 6, (1, 2, 4), (2, 3, 4)
PASSES = {"smoke": 100, "quick": 300, "paper": 2000}


def _caption(passes, caps, scale, seed) -> str:
    return (
        r"Rotations in superposition \citep{ris} with $k$ copies of the two-ReLU on-indicator "
        r"(width $d'=2k+2$, payload gated by the mean indicator), $D=" + f"{D}" + r"$, $S=" + f"{S}"
        + r"$, layer 1: the rate at which an inactive circuit's averaged indicator exceeds "
        r"$1/4$, against the number $z$ of active circuits. Left: equal $T=118$; right: each "
        r"$k$ at its capacity $T_{\max}(D/d')$ (" + ", ".join(str(c) for c in caps)
        + r" for $k=" + ",".join(map(str, KS)) + r"$). Dashed: one ket shared by all blocks; "
        r"solid: an independent ket per copy. Points: network simulation, " + f"{passes}"
        + rf" passes each ({plots.run_phrase(scale, seed)}; at the smoke scale only $k=2$), "
        r"squares shared, circles per copy, " + plots.LOG_BARS + "; rates that are exactly 0 "
        "are not drawn.")


def make(outdir: Path, scale: str, seed: int, progress=None) -> list[tuple[Path, str]]:
    scale = scale if scale in PASSES else "quick"
    passes = PASSES[scale]
    with plots.style():
        fig, axs = plots.figure(ncols=2, sharey=True, figsize=(plots.MAX_WIDTH, 3.4))
        for ax, equal in zip(axs, (True, False)):
            for i, k in enumerate(KS):
                T = 118 if equal else R.capacity_k(k, D, S)
                c = plots.STYLE["axes.prop_cycle"].by_key()["color"][i]
                for kets, ls in (("shared", "--"), ("block", "-")):
                    ys = [V.quantity(f"rotations.kcopies_err_{kets}").evaluate(
                        {"k": k, "z": z, "D": D, "T": T, "S": S}) for z in ZS]
                    ax.plot(ZS, [max(y, 1e-7) for y in ys], ls, color=c, lw=1,
                            label=f"$k={k}$, $T={T}$" if kets == "block" else None)
                if scale == "smoke" and k != 2:
                    continue
                for z in ZS:
                    ms = V.measure_kcopies({"k": k, "D": D, "T": T, "S": S, "z": z, "K": 50},
                                           trials=passes, seed=seed)
                    for m in ms:
                        if "_err_" in m.quantity and m.estimate.value > 0:
                            plots.errorbar(ax, [z + (0.05 if "block" in m.quantity else -0.05)],
                                           [m.estimate.value], [m.estimate.se], color=c, log=True,
                                           fmt="o" if "block" in m.quantity else "s", ms=2.5)
                if progress:
                    progress(f"rotations_kcopies: k={k} {'equal T' if equal else 'capacity'}")
            ax.set_yscale("log")
            ax.set_xticks(ZS)
            ax.set_xlabel("active circuits $z$")
            ax.set_title("equal $T=118$" if equal else r"$T=T_{\max}(D/d')$")
            h, lab = ax.get_legend_handles_labels()
            h += [Line2D([], [], color="0.3", ls="--", marker="s", ms=3),
                  Line2D([], [], color="0.3", marker="o", ms=3)]
            lab += ["shared ket", "ket per copy"]
            ax.legend(h, lab, fontsize=7, loc="lower right")
        axs[0].set_ylabel(r"$\Pr(\bar\alpha^1_u>1/4)$")
    caps = [R.capacity_k(k, D, S) for k in KS]
    return [plots.save_captioned(fig, outdir, "rotations_kcopies",
                                 _caption(passes, caps, scale, seed))]
