"""The max-error law of the random-init U-AND readoff, over a wide range of N.

For m = ceil(N^a) (a = 1/2 and 1), l = 3: the measured T = sqrt(N) E max|e| over all off pairs
of one input per network (verify/uand_random_max.py), beside the registered predictions (the
union + Chernoff and sub-Gaussian upper bounds, the extreme-value approximation) and the ratio
T / ln N that a Theta(log N / sqrt N) law would keep constant.

    python bench/uand_random_maxlaw.py [--quick] [--jobs N | --cluster ADDRESS]

Writes bench/results_uand_random_maxlaw.md.  The points run as tasks
(:mod:`superpose.verify.sweep`), each cached when it finishes.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from superpose.derive.quantity import get_quantity
from superpose.verify import sweep
from superpose.verify.uand_random.maxlaw import measure_max

POINTS = [(0.5, n, t) for n, t in ((16, 1000), (64, 1000), (256, 1000), (1024, 600), (4096, 300),
                                   (16384, 60))] \
    + [(1.0, n, t) for n, t in ((16, 1000), (32, 1000), (64, 600), (128, 300), (256, 200),
                                (512, 100))]


COLUMNS = ("a", "N", "m", "trials", "measured T (SE)", "Chernoff bound", "sub-Gaussian bound",
           "extreme value", "T / ln N")
NAMES = ("max_error_chernoff_bound", "max_error_subgaussian_bound", "max_error_extreme_value")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="N <= 1024 only")
    ap.add_argument("--out", default=str(Path(__file__).with_name("results_uand_random_maxlaw")))
    sweep.add_arguments(ap)
    args = ap.parse_args(argv)
    pts = [(a, N, math.ceil(N ** a), t) for a, N, t in POINTS if not (args.quick and N > 1024)]
    runs = sweep.run(measure_max, [dict(params={"N": N, "l": 3, "m": m}, trials=t, seed=0)
                                   for a, N, m, t in pts], args,
                     labels=[f"a={a:g} N={N} m={m}" for a, N, m, t in pts])
    rows = []
    for (a, N, m, trials), ms in zip(pts, runs):
        est = next(x.estimate for x in ms if x.quantity.endswith("extreme_value"))
        preds = [get_quantity(f"uand-random.{n}").evaluate(
            {k: v for k, v in {"l": 3, "m": m, "N": N}.items()
             if k in {q.name for q in get_quantity(f"uand-random.{n}").params}}) for n in NAMES]
        rows.append([f"{a:g}", N, m, trials, f"{est.value:.2f} ({est.se:.2f})",
                     *(f"{v:.2f}" for v in preds), f"{est.value / math.log(N):.2f}"])
    print(sweep.markdown_table(COLUMNS, rows), end="")
    sweep.write(args.out, "Max-error law of uand-random (l = 3)", COLUMNS, rows, seed=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
