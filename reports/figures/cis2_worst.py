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

CAPTION = (r"CiS2 worst-case overlap errors, $D=1000$, $d=4$, $S=6$, $T=557$, $L=4$, ideal "
           r"mode, isotropic zero-mean circuits; $z=1..4$ active circuits. Points: the largest "
           r"isolated overlap error $\|\mathring\epsilon\|_\infty$ over all random passes "
           r"(320 at the quick scale, 3200 at paper, per $z$, fresh network every 16), layers and circuits, divided by the "
           r"pass's $a_{\max}$; crosses: the adversarial active set (a circuit sharing one "
           r"position with each source, all sources $=\mathbf 1$); lines: the bounds "
           r"$z\,a_{\max}/S$ (cis2.worst\_overlap\_inactive, left) and $(z-1)\,a_{\max}/S$ "
           r"(cis2.worst\_overlap\_active, right). Maxima carry no error bars.")


def make(outdir: Path, scale: str, seed: int, progress=None) -> list[Path]:
    trials = TRIALS.get(scale, TRIALS["quick"])
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
        for ax, key, q, who in ((axes[0], "in", q_in, "inactive $u$"), (axes[1], "act", q_act, "active $t$")):
            bound = [float(q.evaluate({"S": S, "z": z, "amax": 1.0})) for z in ZS]
            plots.predicted_line(ax, ZS, bound, label=f"bound ({q.name.split('.')[1]})", marker="_")
            plots.errorbar(ax, ZS, rand[key], None, label=f"random passes (max of {trials})")
            ax.plot(ZS, adv[key], "x", ms=6, label="adversarial active set")
            ax.set_xticks(ZS)
            ax.set_xlabel("active circuits per pass $z$")
            ax.set_ylabel(r"$\max|\mathring\epsilon_{i}|\,/\,a_{\max}$ (" + who + ")")
            ax.legend(loc="upper left")
    return plots.save(fig, outdir, "cis2_worst")
