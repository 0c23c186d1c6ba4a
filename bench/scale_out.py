"""Scale-out: the same paper-scale sweep serially, then on a local Dask cluster of 1 and of 2
worker processes, in one run; the speedup and whether the outputs are byte-identical.

The sweep is the first ``--cases`` paper-scale cases of ``--construction`` (default: the
first 4 rotations cases, D = 1000, T = 557, z = 1..4, 2000 passes each: about 20 s of one
core per case here), run through the task layer (``superpose.verify.tasks.run``) with the
cache off.  The bytes compared are the judged checks as ``checks.json`` writes them.  Before
the clock starts, every Dask worker imports the sweep's modules (a cluster running a long
sweep pays that once); ``--cold`` times those imports too.

    python bench/scale_out.py [--construction rotations] [--cases 4] [--seed 0] [--cold]
                              [--repeat 2]

Each backend runs the sweep ``--repeat`` times and the best time counts (a shared machine's
other load only ever slows a run down); every run's bytes must agree.

Writes ``bench/results_scale_out.md`` (``--out``).  Timings on a shared machine depend on
its load: the load average before and after each backend is printed beside its time.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import time

from pathlib import Path

from superpose.reports.report import _clean
from superpose.verify import sweep, tasks
from superpose.verify.check import verify_module


def cases_of(name: str, cases: int, seed: int) -> list[tasks.Task]:
    runs = verify_module(name).SCALES["paper"][:cases]
    return [tasks.check_task(name, params, trials, seed) for params, trials in runs]


def warm(address: str, todo) -> None:
    """Import the sweep's modules on every worker before the clock starts: a cluster that
    runs a long sweep pays these imports once, and a benchmark of a minute would otherwise
    time them (about 3 s per worker here) instead of the sweep."""
    import importlib

    from distributed import Client

    mods = sorted({t.measure.__module__ for t in todo})
    with Client(address) as c:
        c.run(lambda: [importlib.import_module(m) for m in mods] and None)


def checks_bytes(todo, outcomes) -> bytes:
    for t, o in zip(todo, outcomes):
        if o.error:
            raise SystemExit(f"{t.title}: {o.error}\n{o.trace}")
    rows = [_clean(r.to_json()) for t, o in zip(todo, outcomes)
            for r in tasks.judge_outcome(t, o)]
    return json.dumps(rows, sort_keys=True, indent=1).encode()


ROWS: list[list] = []
#: What earlier runs of this benchmark showed (kept with the table it explains).
HISTORY = (
    "Earlier runs (2026-12-03, the same sweep, cold workers) gave 0.76x, 0.91x and 1.25x "
    "while other jobs kept the load average of the 2 cores at 1 to 8: two workers doubled "
    "every task's time, no second core was free.  The 1-worker cluster is slower than the "
    "in-process run because Dask's workers run BLAS on one thread and the process on two.")


def timed(label: str, fn, repeat: int = 1) -> tuple[float, bytes]:
    """The best of ``repeat`` timed runs of ``fn`` (the least disturbed by other load) and
    its bytes; every run's bytes must agree."""
    times, outs = [], set()
    load0 = os.getloadavg()[0]
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
        outs.add(out)
    load1 = os.getloadavg()[0]
    sha = "/".join(hashlib.sha256(o).hexdigest()[:16] for o in sorted(outs))
    each = ", ".join(f"{x:.1f}" for x in times)
    print(f"{label:28s} {min(times):7.1f} s (runs: {each})   load {load0:.1f} -> {load1:.1f}   "
          f"sha256 {sha}", flush=True)
    ROWS.append([label, f"{min(times):.1f}", each, f"{load0:.1f} -> {load1:.1f}", sha])
    return min(times), out if len(outs) == 1 else b""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--construction", default="rotations")
    ap.add_argument("--cases", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-serial", action="store_true", help="skip the in-process run")
    ap.add_argument("--repeat", type=int, default=2,
                    help="timed runs per backend; the best counts (default 2)")
    ap.add_argument("--out", default=str(Path(__file__).with_name("results_scale_out")))
    ap.add_argument("--cold", action="store_true",
                    help="time the workers' first imports too (no warm-up)")
    args = ap.parse_args()
    from distributed import LocalCluster

    todo = cases_of(args.construction, args.cases, args.seed)
    print(f"sweep: {len(todo)} paper-scale tasks of {args.construction} "
          f"({', '.join(t.label for t in todo)}); {os.cpu_count()} cores", flush=True)
    results = {}
    if not args.no_serial:
        results["serial (in process)"] = timed(
            "serial (in process)", lambda: checks_bytes(todo, tasks.run(todo, jobs=1, cache=False)),
            args.repeat)
    for n in (1, 2):
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster:
            if not args.cold:
                warm(cluster.scheduler_address, todo)
            label = f"dask LocalCluster, {n} worker" + ("s" if n > 1 else "")
            results[label] = timed(label, lambda: checks_bytes(
                todo, tasks.run(todo, cluster=cluster.scheduler_address, cache=False)),
                args.repeat)
    one, two = results["dask LocalCluster, 1 worker"], results["dask LocalCluster, 2 workers"]
    same = len({b for _, b in results.values()}) == 1
    lines = [f"speedup 2 vs 1 workers: {one[0] / two[0]:.2f}x",
             f"outputs byte-identical across {', '.join(results)}: {same}"]
    print("\n".join(lines))
    sweep.write(args.out, "Scale-out (bench/scale_out.py)",
                ("backend", "best seconds", "each run (s)", "load average",
                 "sha256 of the checks"), ROWS,
                notes=(f"Sweep: {len(todo)} paper-scale tasks of {args.construction} "
                       f"({'; '.join(t.label for t in todo)}), task cache off, "
                       f"{os.cpu_count()} cores, best of {args.repeat} runs per backend; "
                       "Dask workers "
                       + ("cold (first imports timed)" if args.cold else
                          "warmed (the sweep's modules imported before the clock)")
                       + ".\n\n**" + lines[0] + "**; " + lines[1] + ".\n\n" + HISTORY),
                seed=args.seed)


if __name__ == "__main__":
    main()
