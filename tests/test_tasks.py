"""The task layer (superpose.verify.tasks): determinism over workers and backends, the cache
(resume, keys, LRU limit, clearing), progress lines.

The Monte Carlo cases used are small real ones (pingpong's and costs' smoke cases, a few
seconds each), so the bytes compared are those of the real measurements.
"""
from __future__ import annotations

import io
import json
import os
import pickle
import time

import pytest

from superpose.reports import report
from superpose.verify import tasks
from superpose.verify.check import run_checks, verify_module

CASES = [("pingpong", 0), ("costs", 0)]


@pytest.fixture(autouse=True)
def cache_here(tmp_path, monkeypatch):
    """Each test has its own task cache (never the user's)."""
    monkeypatch.setenv("SUPERPOSE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SUPERPOSE_NO_CACHE", raising=False)
    monkeypatch.delenv("SUPERPOSE_CLUSTER", raising=False)
    monkeypatch.delenv("SUPERPOSE_CACHE_MAX", raising=False)
    return tmp_path / "cache"


def smoke_tasks(seed: int = 0) -> list[tasks.Task]:
    out = []
    for name, _ in CASES:
        for params, trials in verify_module(name).SCALES["smoke"]:
            out.append(tasks.check_task(name, params, trials, seed))
    return out


def as_bytes(todo, outcomes) -> bytes:
    """The judged results, as the report writes them (checks.json's rounding and order)."""
    rows = [report._clean(r.to_json()) for t, o in zip(todo, outcomes)
            for r in tasks.judge_outcome(t, o)]
    return json.dumps(rows, sort_keys=True, indent=1).encode()


def test_a_task_is_run_checks():
    """A task measured and judged gives run_checks' results exactly."""
    t = smoke_tasks()[0]
    out = tasks.execute(t)
    assert out.error is None and not out.reused
    _, expected, _ = run_checks(t.construction, dict(t.params), trials=t.trials, seed=t.seed)
    assert [r.to_json() for r in tasks.judge_outcome(t, out)] == \
        [r.to_json() for r in expected]


def test_one_and_two_local_workers_give_the_same_bytes():
    todo = smoke_tasks()
    one = as_bytes(todo, tasks.run(todo, jobs=1, cache=False))
    two = as_bytes(todo, tasks.run(todo, jobs=2, cache=False))
    assert one == two and len(json.loads(one)) > 10


def test_dask_local_cluster_gives_the_same_bytes_as_serial():
    """A LocalCluster of 2 worker processes, reached by its address like a real scheduler."""
    distributed = pytest.importorskip("distributed")
    todo = smoke_tasks()
    serial = as_bytes(todo, tasks.run(todo, jobs=1, cache=False))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        got = as_bytes(todo, tasks.run(todo, cluster=cluster.scheduler_address, cache=False))
    assert got == serial


def test_cluster_address_unreachable_is_bad_input(monkeypatch):
    pytest.importorskip("distributed")
    from superpose.derive.quantity import BadInput

    monkeypatch.setattr(tasks, "CONNECT_TIMEOUT", "2s")
    with pytest.raises(BadInput, match="cannot reach a Dask scheduler"):
        tasks.run(smoke_tasks()[:2], cluster="tcp://127.0.0.1:9", cache=False)


def test_resume_reuses_finished_tasks_and_says_so(cache_here):
    todo = smoke_tasks()
    first = tasks.run(todo[:1], jobs=1)              # "interrupted" after one task
    said = []
    second = tasks.run(todo, jobs=1, say=said.append)
    assert said == [f"reused 1 of {len(todo)} tasks ({first[0].seconds:.1f} s of work)"]
    assert second[0].reused and not any(o.reused for o in second[1:])
    assert as_bytes(todo, second) == as_bytes(todo, tasks.run(todo, jobs=1, cache=False))
    third = tasks.run(todo, jobs=1, say=said.append)
    assert all(o.reused for o in third) and said[-1].startswith(f"reused {len(todo)} of")


def test_the_key_changes_with_what_made_the_numbers():
    t = smoke_tasks()[0]
    same = tasks.check_task(t.construction, dict(t.params), t.trials, t.seed)
    assert t.key == same.key and len(t.key) == 64
    other = [tasks.check_task(t.construction, dict(t.params), t.trials, t.seed + 1),
             tasks.check_task(t.construction, dict(t.params), t.trials + 1, t.seed),
             smoke_tasks()[-1]]
    assert len({t.key} | {o.key for o in other}) == 4
    code = tasks.Task(**{**t.__dict__, "code": "edited"})
    assert code.key != t.key


def test_code_digest_follows_imports(tmp_path, monkeypatch):
    """The digest covers the modules imported (transitively), and only superpose's."""
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("import numpy\nfrom superpose.verify.b import f\n")
    b.write_text("def f():\n    return 1\n")
    files = {"superpose.verify.a": str(a), "superpose.verify.b": str(b)}
    real = tasks._source_of
    monkeypatch.setattr(tasks, "_source_of",
                        lambda n: (files[n], False) if n in files else real(n))
    monkeypatch.setattr(tasks, "_DIGESTS", {})
    d1 = tasks.code_digest(["superpose.verify.a"])
    tasks._DIGESTS.clear()
    b.write_text("def f():\n    return 2\n")
    d2 = tasks.code_digest(["superpose.verify.a"])
    assert d1 and d2 and d1 != d2
    tasks._DIGESTS.clear()
    assert tasks.code_digest(["superpose.verify.a", None]) is None
    names = tasks._imports(verify_module("costs").__file__, "superpose.verify.costs", False)
    assert "superpose.verify.rng" in names or "superpose.verify.stats" in names
    assert not any(n.startswith("numpy") for n in names)


def test_a_construction_defined_at_run_time_is_not_cached(cache_here):
    t = smoke_tasks()[0]
    fake = tasks.Task(t.construction, t.params, t.trials, t.seed, t.measure, code=None)
    assert fake.key is None
    tasks.run([fake], jobs=1)
    assert not list(cache_here.rglob("*.pkl"))


def test_cache_limit_evicts_least_recently_used(tmp_path):
    c = tasks.Cache(tmp_path / "c", max_bytes=10**9)
    blob = tasks.Outcome(measurements=[b"x" * 1000], seconds=1.0)
    for k in ("a" * 64, "b" * 64, "c" * 64):
        c.put(k, blob)
        time.sleep(0.02)
    size = c.size()
    assert size > 3000
    assert c.get("a" * 64) is not None          # "a" used: now "b" is the oldest
    c.max_bytes = size * 2 // 3 + 1
    c.evict()
    assert c.get("b" * 64) is None and c.get("a" * 64) is not None \
        and c.get("c" * 64) is not None
    assert c.clear() > 0 and c.size() == 0 and c.get("a" * 64) is None


def test_cache_errors_and_junk_are_not_reused(tmp_path):
    c = tasks.Cache(tmp_path / "c", max_bytes=10**9)
    c.put("d" * 64, tasks.Outcome(error="ValueError: boom"))
    assert c.get("d" * 64) is None
    p = c._path("e" * 64)
    p.parent.mkdir(parents=True)
    p.write_bytes(b"not a pickle")
    assert c.get("e" * 64) is None
    p.write_bytes(pickle.dumps({"format": tasks.CACHE_FORMAT, "key": "f" * 64,
                                "outcome": tasks.Outcome()}))
    assert c.get("e" * 64) is None               # a file under the wrong name


def test_cache_settings_from_the_environment(monkeypatch, tmp_path):
    for raw, n in (("", tasks.DEFAULT_CACHE_MAX), ("1000", 1000), ("2G", 2 * 1024**3),
                   ("500M", 500 * 1024**2), ("1.5k", 1536), ("junk", tasks.DEFAULT_CACHE_MAX)):
        monkeypatch.setenv("SUPERPOSE_CACHE_MAX", raw)
        assert tasks.cache_max_bytes() == n
    monkeypatch.delenv("SUPERPOSE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert tasks.cache_dir() == tmp_path / "xdg" / "superpose" / "tasks"
    monkeypatch.setenv("SUPERPOSE_NO_CACHE", "1")
    assert not tasks.cache_enabled()
    tasks.run(smoke_tasks()[:1], jobs=1)
    assert not (tmp_path / "xdg").exists()


def test_clear_cache(cache_here):
    tasks.run(smoke_tasks()[:1], jobs=1)
    assert list(cache_here.rglob("*.pkl"))
    assert tasks.clear_cache() > 0
    assert not list(cache_here.rglob("*.pkl"))


def test_progress_lines_only_when_asked_or_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    quiet, tty = io.StringIO(), Tty()
    for stream in (quiet, tty):
        p = tasks.Progress(2, None, stream=stream)
        p.step("first")
        p.step("second")
    assert quiet.getvalue() == ""
    lines = tty.getvalue().splitlines()
    assert lines[0].startswith("[1/2] ") and "elapsed" in lines[0] and "left: first" in lines[0]
    assert lines[1].startswith("[2/2] ") and "~0 s left" in lines[1]
    got = []
    tasks.Progress(1, got.append).step("x")
    assert got and got[0].startswith("[1/1]")


def test_report_resumes_from_the_cache(tmp_path, capsys):
    """A second report reuses every task, says so, and writes the same checks.json."""
    out = []
    for k in range(2):
        assert report.build_report(tmp_path / f"r{k}", scale="smoke", only=["pingpong"],
                                   pdf=False, jobs=1, progress=True) == 0
        out.append((tmp_path / f"r{k}" / "checks.json").read_bytes())
    err = capsys.readouterr().err
    n = len(verify_module("pingpong").SCALES["smoke"])
    assert f"reused {n} of {n} tasks" in err
    assert out[0] == out[1]
    assert f"reused {n} of {n} tasks" in (tmp_path / "r1" / "summary.md").read_text()
    report.build_report(tmp_path / "r2", scale="smoke", only=["pingpong"], pdf=False,
                        jobs=1, cache=False, progress=True)
    assert "reused" not in capsys.readouterr().err


def test_sigterm_handler_is_scoped():
    import signal

    before = signal.getsignal(signal.SIGTERM)
    with tasks.sigterm_as_exit():
        inside = signal.getsignal(signal.SIGTERM)
        with pytest.raises(tasks.Terminated) as exc:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)
        assert exc.value.code == 143
    assert signal.getsignal(signal.SIGTERM) == before
    assert inside is not before or before is not signal.SIG_DFL


def test_report_files_identical_for_one_and_two_workers(tmp_path):
    """checks.json, the figures (drawn in a worker with 2 jobs, here with 1) and report.tex
    are byte-identical."""
    trees = []
    for jobs in (1, 2):
        out = tmp_path / f"j{jobs}"
        assert report.build_report(out, scale="smoke", only=["pingpong"], pdf=False,
                                   jobs=jobs, cache=False) == 0
        trees.append({p.relative_to(out).as_posix(): p.read_bytes()
                      for p in sorted(out.rglob("*")) if p.is_file() and p.name != "summary.md"})
    assert trees[0] == trees[1]
    assert any(k.startswith("figures/pingpong_") and k.endswith(".png") for k in trees[0])
