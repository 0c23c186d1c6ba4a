"""The benchmarks' sweep layer (superpose.verify.sweep, tasks.CallTask): points run as
cached tasks, one writer for their tables."""
from __future__ import annotations

import argparse
import json

import pytest

from superpose.derive.quantity import snake
from superpose.verify import sweep, tasks


def _args(**kw) -> argparse.Namespace:
    ap = argparse.ArgumentParser()
    sweep.add_arguments(ap)
    a = ap.parse_args([])
    a.jobs, a.quiet = 1, True
    for k, v in kw.items():
        setattr(a, k, v)
    return a


def test_call_task_key_follows_code_arguments_and_function(tmp_path):
    t1 = tasks.call_task(snake, name="cis-two")
    assert t1.code is not None and t1.key == tasks.call_task(snake, name="cis-two").key
    assert t1.key != tasks.call_task(snake, name="cis-one").key
    assert tasks.call_task(lambda name: name, name="x").key is None    # no stable code: no key
    t1.code = "edited"                         # a change in the code behind the function
    assert t1.key != tasks.call_task(snake, name="cis-two").key


def test_sweep_runs_in_order_and_a_rerun_reuses_every_point(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SUPERPOSE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SUPERPOSE_NO_CACHE", raising=False)
    pts = [dict(name=n) for n in ("cis-two", "uand-random", "ballbox")]
    seen = []
    out = sweep.run(snake, pts, _args(quiet=False), on_result=lambda i, v: seen.append(i))
    assert out == ["cis_two", "uand_random", "ballbox"] and sorted(seen) == [0, 1, 2]
    assert "reused" not in capsys.readouterr().err
    assert sweep.run(snake, pts, _args(quiet=False)) == out
    assert "reused 3 of 3 tasks" in capsys.readouterr().err
    assert sweep.run(snake, pts[:1] + [dict(name="pingpong")], _args(quiet=False)) == \
        ["cis_two", "pingpong"]
    assert "reused 1 of 2 tasks" in capsys.readouterr().err
    # --no-cache: neither read nor written
    assert sweep.run(snake, [dict(name="costs")], _args(no_cache=True)) == ["costs"]
    assert sweep.run(snake, [dict(name="costs")], _args(quiet=False)) == ["costs"]
    assert "reused" not in capsys.readouterr().err


def test_a_failing_point_stops_the_sweep_with_one_line_naming_it(tmp_path, monkeypatch):
    monkeypatch.setenv("SUPERPOSE_NO_CACHE", "1")
    with pytest.raises(SystemExit) as e:
        sweep.run(snake, [dict(name="ok"), dict(name=None)], _args(),
                  labels=["fine", "the bad one"])
    msg = str(e.value.code)
    assert "1 of 2 points failed" in msg and "the bad one" in msg and "\n" not in msg


def test_write_puts_provenance_table_and_results(tmp_path):
    stem = tmp_path / "sub" / "results_demo"
    files = sweep.write(stem, "Demo", ("a", "b"), [[1, "x"], [2, "y"]],
                        results=[{"a": 1}], notes="Read me.", seed=3,
                        tables=[("More", ("c",), [[5]])])
    md = stem.with_suffix(".md").read_text()
    assert md.startswith("# Demo\n\nMade by `python ") and ", seed 3." in md
    assert "git " in md and "numpy " in md and "Read me." in md
    assert "| a | b |\n|---|---|\n| 1 | x |\n| 2 | y |\n" in md
    assert "\n## More\n\n| c |\n|---|\n| 5 |\n" in md
    data = json.loads(stem.with_suffix(".json").read_text())
    assert data["results"] == [{"a": 1}] and data["meta"]["seed"] == 3
    assert sorted(p.name for p in files) == ["results_demo.json", "results_demo.md"]
    assert sorted(p.name for p in stem.parent.iterdir()) == sorted(p.name for p in files)


def test_write_refuses_a_row_of_the_wrong_width_and_leaves_nothing(tmp_path):
    with pytest.raises(ValueError, match="row of 1 cells for 2 columns"):
        sweep.write(tmp_path / "r", "Demo", ("a", "b"), [[1]])
    assert list(tmp_path.iterdir()) == []
