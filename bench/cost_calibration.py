"""Estimated vs measured cost of verify runs (superpose.verify.cost).

For a few small and medium points per construction: the module's ``estimate_cost`` (memory,
seconds) against the measured peak of numpy/Python allocations (tracemalloc, which tracks
numpy's buffers) and the wall time of the same ``measure`` call run without tracemalloc.

    python bench/cost_calibration.py            # all points, table to stdout
    python bench/cost_calibration.py --md FILE  # also write the markdown table

Results: bench/results_cost_calibration.md.
"""
from __future__ import annotations

import argparse
import gc
import time
import tracemalloc

from superpose.verify.check import bind_verify_params, verify_module
from superpose.verify.cost import BASE_BYTES, fmt_bytes

POINTS = [
    ("cis2", {"D": 240, "T": 0, "z": 2, "L": 3, "K": 4}, 40),
    ("cis2", {"D": 1000, "T": 300, "z": 3, "L": 4, "K": 16}, 320),
    ("cis2", {"D": 4000, "T": 3000, "z": 2, "L": 3, "K": 8}, 32),
    ("cis2", {"D": 8000, "T": 0, "z": 2, "L": 3, "K": 4}, 8),
    ("rotations", {"D": 600, "T": 150, "z": 2, "L": 3, "K": 5}, 100),
    ("rotations", {"D": 1000, "T": 300, "z": 2, "L": 4, "K": 10}, 100),
    ("rotations", {"D": 4000, "T": 4000, "z": 2, "L": 3, "K": 10}, 20),
    ("rotations", {"D": 20000, "T": 0, "z": 2, "L": 3, "K": 4}, 8),
    ("rotations", {"D": 100000, "T": 100000, "S": 10, "z": 2, "L": 2, "K": 2}, 4),
    ("rotations", {"k": 2, "D": 600, "T": 86, "z": 4, "K": 20}, 60),
    ("rotations", {"k": 1, "D": 4000, "T": 2000, "z": 4, "K": 25}, 100),
    ("bounds", {"n": 32, "tight": 0}, 20_000),
    ("bounds", {"n": 1000, "tight": 0}, 100_000),
    ("bounds", {"n": 8192, "tight": 0}, 100_000),
    ("costs", {"n": 64, "m": 256, "k": 4, "t": 2, "n_inputs": 4}, 40),
    ("costs", {"n": 256, "m": 1024, "k": 8, "t": 3, "n_inputs": 8}, 10),
    ("costs", {"n": 256, "m": 4096, "k": 8, "t": 2, "n_inputs": 4}, 3),
    ("pingpong", {"D": 16, "d": 4, "L": 2, "n_inputs": 2}, 5),
    ("pingpong", {"D": 32, "d": 4, "L": 3, "n_inputs": 4}, 5),
    ("pingpong", {"D": 128, "d": 4, "L": 2, "n_inputs": 2}, 1),
    ("uand-sparse", dict(d=128, m=24, p=0.3, l=3, n_inputs=4, m_sup=128, d0=32, p_sup=0.15), 40),
    ("uand-sparse", dict(d=512, m=64, p=0.25, l=4, n_inputs=8), 40),
    ("uand-sparse", dict(d=2048, m=256, p=0.1, l=4, n_inputs=8), 4),
    ("uand-random", {"N": 64, "l": 3}, 2048),
    ("uand-random", {"N": 1024, "l": 5}, 2048),
    ("uand-random", {"N": 8192, "l": 3, "K": 64}, 2048),
    ("uand-random", {"N": 256, "l": 3, "m": 16, "max_law": 1}, 400),
    ("uand-random", {"N": 256, "l": 3, "m": 256, "max_law": 1}, 100),
    ("uand-random", {"N": 4096, "l": 3, "m": 64, "max_law": 1}, 100),
]


def measure_point(name: str, raw: dict, trials: int, *, time_it: bool = True):
    """(estimate Cost, measured peak bytes, measured seconds or None)."""
    mod = verify_module(name)
    params = bind_verify_params(name, raw)
    est = mod.estimate_cost(params, trials)
    mod.measure(params, trials=min(trials, 8) if name != "uand-random" else trials, seed=1)
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    mod.measure(params, trials=trials, seed=0)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    secs = None
    if time_it:
        gc.collect()
        t0 = time.perf_counter()
        mod.measure(params, trials=trials, seed=0)
        secs = time.perf_counter() - t0
    return est, peak, secs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--md", help="write the markdown table here")
    args = ap.parse_args()
    head = ("| construction | params | trials | est. memory | measured peak | ratio | "
            "est. time | measured time | ratio |")
    lines = [head, "|" + "---|" * 9]
    for name, raw, trials in POINTS:
        est, peak, secs = measure_point(name, raw, trials)
        net = est.memory_bytes
        row = (f"| {name} | {' '.join(f'{k}={v}' for k, v in raw.items())} | {trials} | "
               f"{fmt_bytes(net)} | {fmt_bytes(peak)} | {net / max(peak, 1):.2f} | "
               f"{est.seconds:.2g} s | {secs:.2g} s | {est.seconds / max(secs, 1e-9):.2f} |")
        print(row, flush=True)
        lines.append(row)
    note = (f"\nEstimates include the fixed {fmt_bytes(BASE_BYTES)} of superpose.verify.cost."
            "BASE_BYTES; measured = tracemalloc peak above the start of the call (numpy "
            "buffers and Python objects), time = wall time of a second call without "
            "tracemalloc.  Memory ratio = estimate / measured (want 1..2); time ratio is a "
            "rough guide (the machine is shared).\n")
    if args.md:
        with open(args.md, "w") as fh:
            fh.write("# Cost estimates vs measurements\n\n`python bench/cost_calibration.py "
                     f"--md {args.md}`\n\n" + "\n".join(lines) + "\n" + note)


if __name__ == "__main__":
    main()
