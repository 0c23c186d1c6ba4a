"""Killed runs clean up (issue 16, item 5).

``superpose report`` runs in a subprocess on a fake construction whose Monte Carlo cases
sleep (so the run is surely mid-way, with two worker processes alive, when it is signalled):

* SIGTERM is handled like Ctrl-C: exit 143, the temporary folder removed, every worker gone;
* SIGKILL cannot be handled: the temporary folder stays, but the workers die with their
  parent (``PR_SET_PDEATHSIG``), and the next run into the same folder succeeds and removes
  the stale folder (its name records the dead owner's process id).

Workers are found by a scan of ``/proc`` (every descendant of the run, recorded before the
signal), so these tests run on Linux only.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")

SCRIPT = textwrap.dedent('''
    import os, sys, time
    import numpy as np
    from superpose.derive import protocol, quantity as registry
    from superpose.derive.quantity import Construction, Param, Quantity
    from superpose.verify.check import Measurement
    from superpose.verify.stats import clustered_mean
    import types

    NAME = "fake-slow"
    SIGMA = Param("sigma", float, default=1.0, lo=0.1, hi=10.0, doc="noise scale")
    SLEEP = float(os.environ["FAKE_SLEEP"])

    def measure(params, *, trials, seed, progress=None):
        time.sleep(SLEEP)
        x = np.random.default_rng([seed, int(10 * params["sigma"])]).normal(
            0, params["sigma"], trials)
        return [Measurement(NAME + ".second_moment", {"sigma": params["sigma"]},
                            clustered_mean(x ** 2, np.arange(trials) // 10))]

    mod = types.ModuleType("superpose.verify.fake_slow")
    mod.PARAMS, mod.DEFAULT_TRIALS, mod.measure = (SIGMA,), 100, measure
    CASES = int(os.environ.get("FAKE_CASES", "2"))
    mod.SCALES = {s: [({"sigma": 1.0 + i}, 200) for i in range(CASES)]
                  for s in ("smoke", "quick", "paper")}
    sys.modules[mod.__name__] = mod
    current = protocol.entries()
    entry = protocol.ConstructionEntry(NAME, derive="superpose.derive.fake_slow",
                                       verify="superpose.verify.fake_slow")
    protocol.entries = lambda: {**current, NAME: entry}
    registry._CACHE[NAME] = Construction(NAME, "fake", "sleeps", (
        Quantity(NAME + ".second_moment", (SIGMA,), "mean-square", "exact",
                 definition="E x^2", closed_form=SIGMA.symbol ** 2),))
    from superpose.reports.cli import main
    sys.exit(main(["report", "--out", sys.argv[1], "--scale", "smoke", "--only", NAME]))
''')


def _children(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (a /proc scan)."""
    parent: dict[int, int] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat", "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()
                parent[int(d)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                pass
    out, todo = set(), [pid]
    while todo:
        p = todo.pop()
        for c, pp in parent.items():
            if pp == p and c not in out:
                out.add(c)
                todo.append(c)
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
    except OSError:
        return False


def _temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".rep.tmp-"))


def _start(tmp_path: Path, sleep: float, cases: int = 2) -> subprocess.Popen:
    script = tmp_path / "run_fake.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, FAKE_SLEEP=str(sleep), SUPERPOSE_JOBS="2", SUPERPOSE_NO_CACHE="1",
               FAKE_CASES=str(cases))
    return subprocess.Popen([sys.executable, str(script), str(tmp_path / "rep")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _midway(proc: subprocess.Popen, tmp_path: Path, workers: int = 2) -> set[int]:
    """Wait until the run has its temporary folder and ``workers`` busy worker processes;
    return every descendant's pid."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        kids = _children(proc.pid)
        if _temps(tmp_path) and len(kids) >= workers:
            time.sleep(2.0)         # the workers import and start sleeping in measure
            return _children(proc.pid)
        time.sleep(0.2)
    pytest.fail("the run never got mid-way")


def _gone(pids: set[int], within: float = 10.0) -> list[int]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    return [p for p in pids if _alive(p)]


def _stops_cleanly(tmp_path: Path, sig: int, code: int, word: str, cases: int = 2) -> None:
    """Signal a run mid-way: it exits ``code`` within seconds with one line containing
    ``word`` and no traceback, its temporary folder removed and every worker gone."""
    proc = _start(tmp_path, sleep=60, cases=cases)
    kids = _midway(proc, tmp_path)
    t = time.monotonic()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - t < 10
    assert proc.returncode == code, err
    assert word in err and "Traceback" not in err, err
    assert _temps(tmp_path) == [] and not (tmp_path / "rep").exists()
    assert _gone(kids) == []


def test_sigterm_stops_workers_and_removes_the_temporary_folder(tmp_path):
    _stops_cleanly(tmp_path, signal.SIGTERM, 143, "terminated")


def test_ctrl_c_with_cases_still_queued_exits_at_once(tmp_path):
    """Ctrl-C while cases wait in the queue behind the two running ones.  (Cancelling the
    queued futures before killing the workers made loky's manager thread fail on them: a
    traceback, then the process hung at exit.)"""
    _stops_cleanly(tmp_path, signal.SIGINT, 130, "interrupted", cases=6)


def test_sigkill_workers_die_and_the_next_run_reclaims_the_folder(tmp_path):
    proc = _start(tmp_path, sleep=60)
    kids = _midway(proc, tmp_path)
    left = _temps(tmp_path)
    assert len(left) == 1 and left[0].startswith(f".rep.tmp-{proc.pid}-")
    proc.kill()
    proc.communicate(timeout=30)
    assert _gone(kids) == []                   # no orphan keeps computing
    assert _temps(tmp_path) == left            # SIGKILL cannot clean up
    again = _start(tmp_path, sleep=0)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert _temps(tmp_path) == [] and (tmp_path / "rep" / "checks.json").is_file()
