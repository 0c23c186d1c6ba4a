"""Benchmark: the RiS paper grid (41 (D, T) pairs x z = 1..4 x 500 passes x 4 layers).

Times ``reports/figures/rotations_grid.run_point`` (factored engine, ``relu`` mode, every
inactive circuit read) on a subset of the grid and extrapolates to the full grid by summing
per-pair costs, each pair's cost estimated from the measured pair with the nearest
``T * D`` (cost ~ linear in T and D at fixed passes; the measured pairs span the grid).  A
dense path (``superpose.verify.cis2.dense``: explicit D x D weight matrices, as the authors'
code does; the engine's own map densified) is timed on 1-2 pairs in the same process for the ratio.

Usage::

    python bench/rotations_grid.py                 # subset (~1-2 min on 2 cores)
    python bench/rotations_grid.py --full          # the whole grid (measured, not extrapolated)
    python bench/rotations_grid.py --passes 100    # fewer passes per point (scaled up linearly)

Writes ``bench/results_rotations_grid.md``.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from superpose.reports.figures import rotations_grid as G
from superpose.verify.cis2 import dense
from superpose.verify.cis2 import engine as eng
from superpose.verify.rng import stream

ROOT = Path(__file__).resolve().parents[1]

SUBSET = [(800, 200), (1200, 400), (1600, 900), (2000, 1000), (2000, 1600), (2000, 2000)]
ZS = (1, 2, 3, 4)


def dense_seconds(D: int, T: int, z: int, passes: int, seed: int = 0) -> tuple[float, float]:
    """(build seconds, seconds per pass) of the dense path: all L weight and read-out matrices,
    then ``passes`` forward passes with every readout (superpose.verify.cis2.dense)."""
    rng = stream(seed, "bench-dense", D, T)
    net = G.rot.build(D, T, G.S, G.L, rng)
    fam = net.family
    t0 = time.perf_counter()
    Ws = [None] + [dense.layer_matrix(net, l) for l in range(1, G.L + 1)]
    Rs = [None] + [dense.readout_matrix(net, l) for l in range(1, G.L + 1)]
    tb = time.perf_counter() - t0
    act = eng.sample_active(T, z, passes, rng)
    a0 = fam.encode(act, fam.sample_x(rng, passes, z))
    t0 = time.perf_counter()
    dense.forward(net, act, a0, Ws, Rs)
    return tb, (time.perf_counter() - t0) / passes


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="run every pair of the grid")
    ap.add_argument("--passes", type=int, default=500)
    ap.add_argument("--dense-passes", type=int, default=20)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results_rotations_grid.md"))
    a = ap.parse_args(argv)
    pairs = G.SWEEP if a.full else SUBSET
    rows, t_all = [], time.perf_counter()
    for D, T in pairs:
        t0 = time.perf_counter()
        for z in ZS:
            G.run_point(D, T, z, a.passes, 100, seed=0)
        sec = time.perf_counter() - t0
        rows.append((D, T, sec))
        print(f"D={D:5d} T={T:5d}  z=1..4 x {a.passes} passes: {sec:6.2f} s", flush=True)
    measured = time.perf_counter() - t_all
    scale = 500 / a.passes
    if a.full:
        total = measured * scale
        how = f"measured over all {len(G.SWEEP)} pairs" + (f" (x{scale:g} for 500 passes)" if scale != 1 else "")
    else:
        est = {}
        for D, T in G.SWEEP:
            Dm, Tm, sec = min(rows, key=lambda r: abs(r[0] * r[1] - D * T))
            est[(D, T)] = sec * (D * T) / (Dm * Tm)
        total = sum(est.values()) * scale
        how = (f"extrapolated from {len(rows)} measured pairs (cost scaled by T*D from the nearest "
               f"measured pair{'' if scale == 1 else f', x{scale:g} for 500 passes'})")
    dense = []
    for D, T in ((800, 200), (1000, 400)):
        tb, tp = dense_seconds(D, T, 2, a.dense_passes)
        fact = [r for r in rows if (r[0], r[1]) == (D, T)]
        fact_s = (fact[0][2] * scale) if fact else G.run_point(D, T, 2, 100, 100, 0)["seconds"] * 5 * 4
        dense_pair = tb + tp * 500 * len(ZS)
        dense.append((D, T, tb, tp, dense_pair, fact_s))
        print(f"dense D={D} T={T}: build {tb:.2f} s, {tp * 1e3:.1f} ms/pass -> {dense_pair:.1f} s per pair "
              f"(z=1..4 x 500), factored {fact_s:.2f} s", flush=True)
    lines = ["# RiS paper grid benchmark (bench/rotations_grid.py)", "",
             f"Grid: {len(G.SWEEP)} (D, T) pairs x z = 1..4 x 500 passes x 4 layers, S = 6, d = 4, "
             "factored engine (verify/cis2_engine.py) in relu mode, every inactive circuit read.", "",
             "| D | T | seconds (z = 1..4, " + f"{a.passes} passes each) |", "|---|---|---|"]
    lines += [f"| {D} | {T} | {s:.2f} |" for D, T, s in rows]
    lines += ["", f"**Full grid: {total:.0f} s ({total / 60:.1f} min)**, {how}. Measured wall time of "
              f"this run: {measured:.0f} s.", "",
              "Dense path (explicit D x D matrices; superpose.verify.cis2.dense), same process:", "",
              "| D | T | build s | ms / pass | dense s per pair (z=1..4 x 500) | factored s | ratio |",
              "|---|---|---|---|---|---|---|"]
    lines += [f"| {D} | {T} | {tb:.2f} | {tp * 1e3:.1f} | {dp:.1f} | {fs:.2f} | {dp / fs:.0f}x |"
              for D, T, tb, tp, dp, fs in dense]
    lines += ["", "Machine: shared 2-core box (other jobs running); wall-clock times."]
    Path(a.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
