"""Scale-out: the same paper-scale sweep serially, then on a local Dask cluster of 1 and of 2
worker processes, in one run; the speedup and whether the outputs are byte-identical.

The sweep is the first ``--cases`` paper-scale cases of ``--construction`` (default: the
first 4 rotations cases, D = 1000, T = 557, z = 1..4, 2000 passes each: about a minute of
one core here), run through the task layer (``superpose.verify.tasks.run``) with the cache
off.  The bytes compared are the judged checks as ``checks.json`` writes them.

    python bench/scale_out.py [--construction rotations] [--cases 4] [--seed 0]

Timings on a shared machine depend on its load: the load average before and after each
backend is printed beside its time.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import time

from superpose.reports.report import _clean
from superpose.verify import tasks
from superpose.verify.check import verify_module


def sweep(name: str, cases: int, seed: int) -> list[tasks.Task]:
    runs = verify_module(name).SCALES["paper"][:cases]
    return [tasks.check_task(name, params, trials, seed) for params, trials in runs]


def checks_bytes(todo, outcomes) -> bytes:
    for t, o in zip(todo, outcomes):
        if o.error:
            raise SystemExit(f"{t.title}: {o.error}\n{o.trace}")
    rows = [_clean(r.to_json()) for t, o in zip(todo, outcomes)
            for r in tasks.judge_outcome(t, o)]
    return json.dumps(rows, sort_keys=True, indent=1).encode()


def timed(label: str, fn) -> tuple[float, bytes]:
    load0 = os.getloadavg()[0]
    t = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t
    print(f"{label:28s} {dt:7.1f} s   load {load0:.1f} -> {os.getloadavg()[0]:.1f}   "
          f"sha256 {hashlib.sha256(out).hexdigest()[:16]}", flush=True)
    return dt, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--construction", default="rotations")
    ap.add_argument("--cases", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-serial", action="store_true", help="skip the in-process run")
    args = ap.parse_args()
    from distributed import LocalCluster

    todo = sweep(args.construction, args.cases, args.seed)
    print(f"sweep: {len(todo)} paper-scale tasks of {args.construction} "
          f"({', '.join(t.label for t in todo)}); {os.cpu_count()} cores", flush=True)
    results = {}
    if not args.no_serial:
        results["serial (in process)"] = timed(
            "serial (in process)", lambda: checks_bytes(todo, tasks.run(todo, jobs=1, cache=False)))
    for n in (1, 2):
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster:
            label = f"dask LocalCluster, {n} worker" + ("s" if n > 1 else "")
            results[label] = timed(label, lambda: checks_bytes(
                todo, tasks.run(todo, cluster=cluster.scheduler_address, cache=False)))
    one, two = results["dask LocalCluster, 1 worker"], results["dask LocalCluster, 2 workers"]
    same = len({b for _, b in results.values()}) == 1
    print(f"speedup 2 vs 1 workers: {one[0] / two[0]:.2f}x")
    print(f"outputs byte-identical across {', '.join(results)}: {same}")


if __name__ == "__main__":
    main()
