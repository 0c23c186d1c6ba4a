r"""CiS2 allocations: capacity against the number of positions (answers (a) and (d)).

Left: :math:`T_{\max}(d/D)^2=T_{\max}/N^2` at S = 6 for prime steps (cis2.capacity,
alloc=prime), the greedy packing (alloc=greedy), lines of PG(n, 5) where they exist
(alloc=projective) and the ceiling N(N-1)/(S(S-1)) (cis2.capacity_ceiling); the prime-step
limit c_6 (cis2.capacity_limit) as a dotted line.  Right: the greedy packing's and prime
steps' capacity as a fraction of the ceiling, S = 4, 6, 8.  Derived values only (the
allocations are built and counted; no network is simulated).
"""
from __future__ import annotations

from pathlib import Path

from matplotlib.ticker import NullFormatter, ScalarFormatter

from superpose.derive.quantity import get_quantity
from superpose.reports import plots

NS = {"smoke": [31, 60, 156, 250], "quick": [31, 60, 100, 156, 250, 400, 781],
      "paper": [31, 60, 100, 156, 250, 400, 600, 781, 1000, 1600, 2500, 3906]}
PROJ = (31, 156, 781, 3906)
SS = (4, 6, 8)


def _cap(N: int, S: int, alloc: str) -> int:
    return int(get_quantity("cis2.capacity").evaluate(D=4 * N, d=4, S=S, alloc=alloc))


def make(outdir: Path, scale: str, seed: int, progress=None) -> list[tuple[Path, str]]:
    Ns = NS.get(scale, NS["quick"])
    ceil_q = get_quantity("cis2.capacity_ceiling")
    c6 = float(get_quantity("cis2.capacity_limit").evaluate(S=6))
    prime = [_cap(N, 6, "prime") / N**2 for N in Ns]
    greedy = [_cap(N, 6, "greedy") / N**2 for N in Ns]
    ceil = [int(ceil_q.evaluate(D=4 * N, d=4, S=6)) / N**2 for N in Ns]
    proj = [(N, _cap(N, 6, "projective") / N**2) for N in PROJ if N <= max(Ns)]
    frac = {S: {a: [_cap(N, S, a) / int(ceil_q.evaluate(D=4 * N, d=4, S=S)) for N in Ns
                    if N >= S * S] for a in ("prime", "greedy")} for S in SS}
    if progress:
        progress(f"cis2_alloc_capacity: {len(Ns)} sizes")
    with plots.style():
        fig, axes = plots.figure(ncols=2)
        ax = axes[0]
        ax.plot(Ns, ceil, "-", color="k", label="ceiling $N(N-1)/(S(S-1))$")
        ax.plot(*zip(*proj), "s", ms=5, label="lines of PG$(n,5)$")
        ax.plot(Ns, greedy, "o-", ms=3, label="greedy packing")
        ax.plot(Ns, prime, "^-", ms=3, label="prime steps")
        ax.axhline(c6, ls=":", color="grey", label=f"prime-step limit $c_6={c6:.4f}$")
        ax.set_xscale("log")
        ax.set_xlabel("positions $N=D/d$")
        ax.set_ylabel(r"$T_{\max}\,(d/D)^2$, $S=6$")
        ax.set_ylim(0, 0.05)
        ax.legend(loc="upper right", ncol=2)
        ax = axes[1]
        for i, S in enumerate(SS):
            xs = [N for N in Ns if N >= S * S]
            col = plots.STYLE["axes.prop_cycle"].by_key()["color"][i]
            ax.plot(xs, frac[S]["greedy"], "o-", ms=3, color=col, label=f"greedy, $S={S}$")
            ax.plot(xs, frac[S]["prime"], "^--", ms=3, color=col, label=f"prime steps, $S={S}$")
        ax.set_xscale("log")
        ax.set_ylim(0, 1.15)
        ax.set_xlabel("positions $N=D/d$")
        ax.set_ylabel("capacity / ceiling")
        ax.legend(ncol=2, loc="upper right")
        for a in axes:
            a.xaxis.set_minor_formatter(NullFormatter())
            a.set_xticks([t for t in (30, 100, 300, 1000, 3000) if t <= 1.2 * max(Ns)])
            a.xaxis.set_major_formatter(ScalarFormatter())
        caption = (
            r"Capacity of the allocations against the number of positions $N=D/d$ "
            rf"($N$ from ${min(Ns)}$ to ${max(Ns)}$). Left, $T_{{\max}}(d/D)^2$ at $S=6$: "
            r"prime steps approach their limit $c_6$, the greedy packing holds about twice as "
            r"many circuits, and lines of projective spaces reach the packing ceiling "
            r"$N(N-1)/(S(S-1))$, whose value $1/30$ at large $N$ is the cap for any allocation. "
            r"Right: capacity as a fraction of the ceiling for the greedy packing and for "
            r"prime steps, $S=4,6,8$. Every allocation is built and counted; "
            + plots.run_phrase(scale, seed) + ".")
        return [plots.save_captioned(fig, outdir, "cis2_alloc_capacity", caption)]
