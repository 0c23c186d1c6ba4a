r"""CiS2: worst-case (sup-norm) overlap errors against their bounds, z = 1..4.

Left, inactive circuits: the largest :math:`|\mathring\epsilon^l_{u,i}|` (isolated overlap
error, max over passes, layers, inactive circuits u and coordinates i) relative to
:math:`a_{\max}=\max_v\|\mathbf a^l_v\|_\infty`, for random uniform active sets (points), and
for the hand-built adversarial active set (u shares one position with each of the z active
circuits, all :math:`\mathbf a_v=\mathbf 1`; crosses), against the bound
``cis2.worst_overlap_inactive`` = z amax / S (line, read from the registry).  Right, the
same for active circuits against ``cis2.worst_overlap_active`` = (z-1) amax / S (amax =
:math:`\max_v\|w_v\mathbf a^{l-1}_v\|_\infty`).  A maximum has no standard error, so there
are no bars.  Ideal mode, isotropic zero-mean family (verify/cis2.py), D = 1000, d = 4,
S = 6, T = 557, L = 4.
"""
from __future__ import annotations

from pathlib import Path

from superpose.derive.quantity import get_quantity
from superpose.reports import plots
from superpose.verify import cis2 as vc
from superpose.verify.check import bind_verify_params

ZS = (1, 2, 3, 4)
TRIALS = {"smoke": 32, "quick": 320, "paper": 3200}


def _caption(trials, scale, seed) -> str:
    return (r"Worst-case overlap errors of circuits in superposition \citep{cis2}, $D=1000$, "
            r"$d=4$, $S=6$, $T=557$, $L=4$, ideal mode, isotropic zero-mean circuits, "
            r"$z=1,\dots,4$ active circuits. Points: the largest isolated overlap error "
            r"$\|\mathring\epsilon\|_\infty$ over " + f"{trials}" + r" random passes per $z$ "
            rf"(a fresh network every 16; {plots.run_phrase(scale, seed)}), all layers and "
            r"circuits, divided by the pass's $a_{\max}$; crosses: the adversarial active set "
            r"(a circuit sharing one position with each source, all sources equal to "
            r"$\mathbf 1$); lines: the bounds $z\,a_{\max}/S$ (inactive circuits, left) and "
            r"$(z-1)\,a_{\max}/S$ (active circuits, right). A maximum has no standard error: "
            r"no bars.")


def make(outdir: Path, scale: str, seed: int, progress=None) -> list[tuple[Path, str]]:
    scale = scale if scale in TRIALS else "quick"
    trials = TRIALS[scale]
    S = 6
    q_in, q_act = get_quantity("cis2.worst_overlap_inactive"), get_quantity("cis2.worst_overlap_active")
    rand = {"in": [], "act": []}
    adv = {"in": [], "act": []}
    for z in ZS:
        p = bind_verify_params("cis2", {"D": 1000, "d": 4, "S": S, "T": 0, "z": z, "L": 4, "K": 16})
        wi, wa = vc.worst_overlaps(p, trials=trials, seed=seed)
        rand["in"].append(wi)
        rand["act"].append(wa)
        adv["in"].append(vc.adversarial(p, seed))
        adv["act"].append(vc.adversarial(p, seed, active=True))
        if progress:
            progress(f"cis2_worst: z={z} ({trials} passes)")
    with plots.style():
        fig, axes = plots.figure(ncols=2)
        for ax, key, q, who, form in ((axes[0], "in", q_in, "inactive $u$", r"$z\,a_{\max}/S$"),
                                      (axes[1], "act", q_act, "active $t$",
                                       r"$(z-1)\,a_{\max}/S$")):
            bound = [float(q.evaluate({"S": S, "z": z, "amax": 1.0})) for z in ZS]
            plots.predicted_line(ax, ZS, bound, label=f"bound {form}", marker="_")
            plots.errorbar(ax, ZS, rand[key], None, label=f"random passes (max of {trials})")
            ax.plot(ZS, adv[key], "x", ms=6, label="adversarial active set")
            ax.set_xticks(ZS)
            ax.set_xlabel("active circuits per pass $z$")
            ax.set_ylabel(r"$\max|\mathring\epsilon_{i}|\,/\,a_{\max}$ (" + who + ")")
            ax.legend(loc="upper left")
    return [plots.save_captioned(fig, outdir, "cis2_worst", _caption(trials, scale, seed))]
