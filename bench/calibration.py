"""Calibration of the Monte Carlo criterion: false-alarm rates of exact checks over many seeds.

For every construction with a verify module, run its smoke-scale checks for ``--seeds`` seeds,
collect the standardised errors z = (measured - predicted)/se of its exact (non-published)
checks, and compare the rates of |z| > 1, 2, 3 with N(0, 1) (31.7%, 4.55%, 0.27%); at Z = 4
the nominal rate 6.3e-5 is too rare to observe and rests on the same normality.  Prints a
markdown table and writes it to bench/results_calibration.md.

    python bench/calibration.py [--seeds 20] [--scale smoke]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from superpose.derive.quantity import available
from superpose.verify.audit import calibrate, standardised_errors
from superpose.verify.check import Z, nominal_false_alarm, run_checks, verify_module


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--scale", default="smoke")
    args = ap.parse_args(argv)
    rows, allz = [], []
    for name in available():
        try:
            mod = verify_module(name)
        except Exception:
            continue
        t0 = time.perf_counter()
        zs, fails, checks = [], 0, 0
        for seed in range(args.seeds):
            for params, trials in mod.SCALES[args.scale]:
                _, res, _ = run_checks(name, params, trials=trials, seed=1000 + seed)
                ex = [r for r in res if r.accuracy == "exact" and r.verdict in ("pass", "fail")]
                checks += len(ex)
                fails += sum(r.verdict == "fail" for r in ex)
                zs += standardised_errors(res)
        allz += zs
        cal = calibrate(zs)
        rows.append((name, cal, fails, checks, time.perf_counter() - t0))
        print(f"{name}: {len(zs)} z-scores, {fails}/{checks} exact checks failed "
              f"({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)
    lines = [f"Calibration over {args.seeds} seeds at scale {args.scale}, Z = {Z} "
             f"(nominal false-alarm rate per exact check {nominal_false_alarm(Z):.2g}).", "",
             "| construction | z-scores | rate abs(z)>1 (31.7%) | abs(z)>2 (4.55%) | abs(z)>3 (0.27%) "
             "| exact checks failed at Z | expected failures |",
             "|---|---|---|---|---|---|---|"]
    for name, cal, fails, checks, _ in rows + [("all", calibrate(allz), sum(r[2] for r in rows),
                                               sum(r[3] for r in rows), 0)]:
        cells = []
        for r in cal.rows():
            cells.append(f"{r['observed']:.2%} ({r['z_of_difference']:+.1f} sd)"
                         if cal.total else "-")
        lines.append(f"| {name} | {cal.total} | " + " | ".join(cells)
                     + f" | {fails}/{checks} | {checks * nominal_false_alarm(Z):.2f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    Path(__file__).with_name("results_calibration.md").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
