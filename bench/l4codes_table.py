"""Loss of the three-scalar binary-code network against code family and K (l4codes).

For each family (0 random, 1 regular, 2 overlap at most one) and K, the optimal (b, c) at a = 1
for L4 (``l4codes.opt_*_l4``), the L4 loss there (approximate, tolerance ``TOL``), its ratio to
the naive baseline, and the L2 optimum (``l4codes.opt_loss_l2``) against its naive baseline;
with ``--measure T`` also a Monte Carlo of the real network at the L4 optimum (T inputs).

    python bench/l4codes_table.py [--K 1 2 3 4 5 6] [--measure 100000] [--out bench/results_l4codes.md]
"""
from __future__ import annotations

import argparse
import time

from superpose.derive import l4codes as L
from superpose.derive.quantity import BadInput, get_quantity
from superpose.verify import l4codes as V
from superpose.verify.provenance import git_revision
from superpose.verify.rng import stream

F, N, P = 100, 50, 0.02


def row(code: int, K: int, measure: int) -> str:
    try:
        M = L.code_matrix(F, N, K, code, 0)
    except BadInput as exc:
        return f"| {code} | {K} | — | — | — | — | — | — | {str(exc).split(': ', 1)[-1]} |"
    st = L.overlap_stats(M)
    o4 = L.optimum(F, N, P, K, code, 0, 4)
    o2 = L.optimum(F, N, P, K, code, 0, 2)
    base4 = get_quantity("l4codes.naive_baseline_l4").evaluate(dict(F=F, N=N, p=P))
    base2 = get_quantity("l4codes.naive_baseline_l2").evaluate(dict(F=F, N=N, p=P))
    mc = ""
    if measure:
        rng = stream(0, "l4codes", "bench", code, K)
        Win, Wout = V.build(M, o4["a"], o4["b"], o4["c"])
        vals = [V.losses(Win, Wout, V.inputs(rng, 20000, F, P))[4]
                for _ in range(max(1, measure // 20000))]
        import numpy as np
        e = V._estimate(np.concatenate(vals))
        mc = f"{e.value:.4g} ± {e.se:.2g}"
    return (f"| {code} | {K} | {st['max_overlap']} | {st['load_min']}–{st['load_max']} | "
            f"{o4['b']:+.4f} | {o4['c']:.4f} | {o4['loss']:.4g} | {o4['loss'] / base4:.4f} | "
            f"{mc} | {o2['loss']:.4g} ({o2['loss'] / base2:.3f}) |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--K", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6])
    ap.add_argument("--codes", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--measure", type=int, default=0)
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    t0 = time.time()
    lines = [f"F = {F}, N = {N}, p = {P}, code_seed = 0, a = 1 (gauge); naive L4 = 1e-3, "
             f"naive L2 = 1/600; revision {git_revision()}", "",
             "| code | K | max overlap | loads | b* (L4) | c* (L4) | L4 at opt | / naive | "
             "MC L4 at opt | L2 opt (/ naive) |", "|" + "---|" * 10]
    for code in a.codes:
        for K in a.K:
            lines.append(row(code, K, a.measure))
            print(lines[-1], flush=True)
    lines.append(f"\n({time.time() - t0:.0f} s)")
    if a.out:
        open(a.out, "w").write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
