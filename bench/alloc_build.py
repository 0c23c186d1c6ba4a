"""Building an allocation at D = 10^5 (N = 25,000 positions, d = 4): time and peak memory.

Each allocation is built in full (every subset; the capacity), in its own process so that the
peak resident memory (ru_maxrss) is its own; the pairwise-overlap guarantee of the result is
checked (pair keys, superpose.derive.cis2.alloc.max_pair_overlap) outside the timing.  Affine
and projective lines need N = q^n or (q^(n+1)-1)/(q-1): the nearest sizes are used (AG(6, 5):
N = 15625, S = 5; PG(6, 5): N = 19531, S = 6).  Usage: ``python bench/alloc_build.py [--out
bench/results_alloc_build.md]``.  Budget: under 60 s and 8 GB per allocation.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys

POINTS = [("prime", 25000, 6), ("greedy", 25000, 6), ("projective", 19531, 6),
          ("affine", 15625, 5)]

CHILD = r"""
import json, resource, sys, time
from superpose.derive.cis2 import alloc as A
alloc, N, S = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t0 = time.perf_counter()
sub = A.subsets(N, S, alloc=alloc)
dt = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
ov = A.max_pair_overlap(sub[:200000], N)
print(json.dumps({"alloc": alloc, "N": N, "S": S, "T": int(sub.shape[0]),
                  "ceiling": A.ceiling(N, S), "seconds": round(dt, 2), "peak_GB": round(rss, 3),
                  "max_overlap_first_200000": int(ov)}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    rows = []
    for alloc, N, S in POINTS:
        r = subprocess.run([sys.executable, "-c", CHILD, alloc, str(N), str(S)],
                           capture_output=True, text=True, timeout=900)
        row = json.loads(r.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(row, flush=True)
    lines = ["# bench/alloc_build.py results", "",
             "| alloc | N | S | T built | ceiling | T / ceiling | seconds | peak GB | max overlap |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['alloc']} | {r['N']} | {r['S']} | {r['T']} | {r['ceiling']} | "
                     f"{r['T'] / r['ceiling']:.3f} | {r['seconds']} | {r['peak_GB']} | "
                     f"{r['max_overlap_first_200000']} |")
    lines += ["", "Budget: < 60 s and < 8 GB each: "
              + ("met" if all(r["seconds"] < 60 and r["peak_GB"] < 8 for r in rows) else "NOT met")]
    if args.out:
        open(args.out, "w").write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
