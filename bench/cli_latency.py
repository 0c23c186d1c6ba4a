"""Start-up latency of the ``superpose`` command against ``python -c "import sympy"``.

Usage::

    python bench/cli_latency.py [--runs 7] [--out bench/results_cli_latency.md]

Times, in one run and interleaved (so that the machine's load affects every command alike),
the subprocess wall time of

* ``python -c "import sympy"`` (the floor: every closed form needs SymPy),
* ``superpose eval uand-random.rms_error_constant --param l=3 --param on=2`` (a cached closed
  form),
* ``superpose list``,
* ``superpose --version``,

after one untimed warm-up run of each (it fills the derivation and listing caches under
``~/.cache/superpose`` and the OS file cache).  It reports the best and the median of
``--runs`` runs and the difference of the best to the best SymPy import.  Targets (issue
"One package, one contract", item 5): ``eval`` within 0.15 s of the SymPy import, ``list``
within 0.4 s of it.  Prints a markdown table and writes it, with a header saying how it was
made, to ``--out``.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGETS = {"eval": 0.15, "list": 0.4}


def superpose_cmd() -> list[str]:
    """The installed ``superpose`` script beside this interpreter, else ``python -m``."""
    exe = Path(sys.executable).parent / "superpose"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("superpose")
    return [found] if found else [sys.executable, "-m", "superpose.reports.cli"]


def commands() -> dict[str, list[str]]:
    sp = superpose_cmd()
    return {
        "sympy": [sys.executable, "-c", "import sympy"],
        "eval": [*sp, "eval", "uand-random.rms_error_constant", "--param", "l=3", "--param", "on=2"],
        "list": [*sp, "list"],
        "version": [*sp, "--version"],
    }


def wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.decode()[-500:]}")
    return dt


def measure(runs: int) -> dict[str, list[float]]:
    cmds = commands()
    for cmd in cmds.values():  # warm-up, untimed
        wall(cmd)
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(runs):
        for k, cmd in cmds.items():
            times[k].append(wall(cmd))
    return times


def table(times: dict[str, list[float]]) -> str:
    cmds = commands()
    base = min(times["sympy"])
    rows = ["| command | best (s) | median (s) | best - sympy import (s) | target | met |",
            "|---|---:|---:|---:|---|---|"]
    for k, ts in times.items():
        best, med = min(ts), statistics.median(ts)
        shown = " ".join(Path(c).name if i == 0 else c for i, c in enumerate(cmds[k]))
        if k == "sympy":
            shown = 'python -c "import sympy"'
        target = TARGETS.get(k)
        met = "" if target is None else ("yes" if best - base <= target else "**no**")
        rows.append(f"| `{shown}` | {best:.3f} | {med:.3f} | "
                    f"{'' if k == 'sympy' else f'{best - base:+.3f}'} | "
                    f"{'' if target is None else f'<= {target:.2f}'} | {met} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7, help="timed runs per command (default: 7)")
    ap.add_argument("--out", default=str(Path(__file__).with_name("results_cli_latency.md")),
                    help="markdown file to write (default: bench/results_cli_latency.md)")
    args = ap.parse_args(argv)
    try:
        load = " / ".join(f"{x:.2f}" for x in os.getloadavg())   # 1, 5, 15 minutes
    except OSError:  # pragma: no cover - not on every platform
        load = "n/a"
    times = measure(args.runs)
    tab = table(times)
    print(tab)
    from importlib.metadata import version

    header = (
        "# `superpose` start-up latency\n\n"
        f"Made with `python bench/cli_latency.py --runs {args.runs}` on "
        f"{datetime.date.today().isoformat()}; machine: {os.cpu_count()} cores "
        f"({platform.machine()}, {platform.system()}), load average (1/5/15 min) before the run {load}; "
        f"Python {platform.python_version()}, SymPy {version('sympy')}, "
        f"superpose {version('superpose')}.\n\n"
        "Subprocess wall time, best and median of the timed runs (commands interleaved, after "
        "one untimed warm-up run each, which fills the derivation and listing caches). "
        "Targets: `eval` of a cached closed form within 0.15 s of the SymPy import, `list` "
        "within 0.4 s of it.\n\n")
    Path(args.out).write_text(header + tab + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
