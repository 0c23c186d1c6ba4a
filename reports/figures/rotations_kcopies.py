"""k copies of the on-indicator: layer-1 erroneous activation, shared vs block-dependent kets.

Left: at equal T (= 118, the capacity of k = 4 at D = 1200) the rate Pr(abar_u > 1/4) of an
inactive circuit vs z for k = 1, 2, 4; right: each k at its own capacity T_max(D/(2k+2)).
Lines: ``rotations.kcopies_err_shared`` (dashed) and ``rotations.kcopies_err_block`` (solid);
points: the layer-1 network of ``verify/rotations_kcopies.py`` (+-4 SE, clustered by network).
"""
from __future__ import annotations

from pathlib import Path

from superpose.derive.rotations import kcopies as R
from superpose.reports import plots
from superpose.verify.rotations import kcopies as V

CAPTION = (r"RiS rotations with $k$ copies of the 2-ReLU on-indicator (width $d'=2k+2$, payload "
           r"gated by the mean indicator), $D=1200$, $S=6$, layer 1: rate at which an inactive "
           r"circuit's averaged indicator exceeds $1/4$. Left: equal $T=118$; right: each $k$ at "
           r"its capacity $T_{\max}(D/d')$ (755, 317, 118 for $k=1,2,4$). Dashed: one ket for all "
           r"blocks (rotations.kcopies\_err\_shared); solid: an independent ket per copy "
           r"(rotations.kcopies\_err\_block). Points: network simulation, $\pm4$ SE.")

D, S, KS, ZS = 1200, 6, (1, 2, 4), (2, 3, 4)
PASSES = {"smoke": 100, "quick": 300, "paper": 2000}


def make(outdir: Path, scale: str, seed: int, progress=None) -> list[Path]:
    passes = PASSES.get(scale, PASSES["quick"])
    with plots.style():
        fig, axs = plots.figure(ncols=2, sharey=True)
        for ax, equal in zip(axs, (True, False)):
            for i, k in enumerate(KS):
                T = 118 if equal else R.capacity_k(k, D, S)
                c = plots.STYLE["axes.prop_cycle"].by_key()["color"][i]
                for kets, ls in (("shared", "--"), ("block", "-")):
                    ys = [V.quantity(f"rotations.kcopies_err_{kets}").evaluate(
                        {"k": k, "z": z, "D": D, "T": T, "S": S}) for z in ZS]
                    ax.plot(ZS, [max(y, 1e-7) for y in ys], ls, color=c, lw=1,
                            label=f"k={k}, T={T}" if kets == "block" else None)
                if scale == "smoke" and k != 2:
                    continue
                for z in ZS:
                    ms = V.measure_kcopies({"k": k, "D": D, "T": T, "S": S, "z": z, "K": 50},
                                           trials=passes, seed=seed)
                    for m in ms:
                        if "_err_" in m.quantity and m.estimate.value > 0:
                            plots.errorbar(ax, [z + (0.05 if "block" in m.quantity else -0.05)],
                                           [m.estimate.value], [m.estimate.se], color=c,
                                           fmt="o" if "block" in m.quantity else "s", ms=2.5)
                if progress:
                    progress(f"rotations_kcopies: k={k} {'equal T' if equal else 'capacity'}")
            ax.set_yscale("log")
            ax.set_xticks(ZS)
            ax.set_xlabel("active circuits $z$")
            ax.set_title("equal $T=118$" if equal else r"$T=T_{\max}(D/d')$")
            ax.legend(fontsize=6)
        axs[0].set_ylabel(r"$\Pr(\bar\alpha^1_u>1/4)$")
    return plots.save(fig, outdir, "rotations_kcopies")
