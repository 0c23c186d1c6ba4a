"""The ``superpose`` command line (DESIGN.md, "The command line").

Every verb runs on a small fake construction (``cli-demo``: Gaussian moments, an integer
count, a parameter without default) added to the registry, and ``derive``/``eval`` also on
every real construction.  Bad input must give exit 2 and exactly one line on stderr,
never a traceback; one case runs in a subprocess to check that end to end.

What this does not establish: the numbers themselves (the constructions' tests do), or
the report's contents (tests/test_report.py).
"""
from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import types

import numpy as np
import pytest
import sympy as sp

from superpose.derive import quantity as registry
from superpose.derive.quantity import Construction, Param, Quantity, Step
from superpose.reports import cli, report
from superpose.reports.cli import main
from superpose.verify.check import Measurement
from superpose.verify.rng import stream
from superpose.verify.stats import clustered_mean

SIGMA = Param("sigma", float, default=1.0, lo=0.1, hi=10.0, doc="noise scale")
K = Param("k", int, default=4, lo=1, hi=64, doc="coordinates")
M = Param("m", int, lo=1, hi=100, doc="no default")


def demo(name: str = "cli-demo", factor: int = 1) -> Construction:
    s = SIGMA.symbol
    return Construction(name, "CLI demo", "Gaussian moments (tests only).", (
        Quantity(f"{name}.second_moment", (SIGMA,), "mean-square", "exact",
                 definition=r"\mathbb{E}x^2", closed_form=factor * s**2,
                 steps=(Step(r"\mathbb{E}x^2", s**2, "zero mean"),)),
        Quantity(f"{name}.abs_mean", (SIGMA,), "mean", "exact", definition=r"\mathbb{E}|x|",
                 closed_form=s * sp.sqrt(2 / sp.pi)),
        Quantity(f"{name}.pairs", (K,), "count", "exact", definition="pairs",
                 closed_form=K.symbol * (K.symbol - 1) / 2, integer=True),
        Quantity(f"{name}.needs_m", (M,), "value", "exact", definition="m", closed_form=M.symbol),
        Quantity(f"{name}.measured", (SIGMA,), "mean", "exact", definition=r"\mathbb{E}x^6"),
    ))


def demo_verify(name: str) -> types.ModuleType:
    mod = types.ModuleType(f"superpose.verify.{registry.snake(name)}")
    mod.PARAMS, mod.DEFAULT_TRIALS = (SIGMA, K), 2000
    mod.SCALES = {s: [({"sigma": 1.0}, 2000)] for s in ("smoke", "quick", "paper")}

    def measure(params, *, trials, seed, progress=None):
        x = stream(seed, name).normal(0.0, params["sigma"], size=trials)   # (trials,)
        g = np.arange(trials) // 10
        p = {"sigma": params["sigma"]}
        return [Measurement(f"{name}.second_moment", p, clustered_mean(x**2, g)),
                Measurement(f"{name}.abs_mean", p, clustered_mean(abs(x), g))]
    mod.measure = measure
    return mod


def add_entry(mp: pytest.MonkeyPatch, name: str) -> None:
    """Register ``name`` through the construction protocol (as an entry point would)."""
    from superpose.derive import protocol

    current = protocol.entries()                  # may already be patched: chain it
    snake_name = registry.snake(name)
    entry = protocol.ConstructionEntry(name, derive=f"superpose.derive.{snake_name}",
                                       verify=f"superpose.verify.{snake_name}")
    mp.setattr(protocol, "entries", lambda: {**current, name: entry})


@pytest.fixture
def fake(monkeypatch):
    """Register cli-demo (right) and cli-bad (second moment off by 2x)."""
    for name, factor in (("cli-demo", 1), ("cli-bad", 2)):
        add_entry(monkeypatch, name)
        monkeypatch.setitem(registry._CACHE, name, demo(name, factor))
        monkeypatch.setitem(sys.modules, f"superpose.verify.{registry.snake(name)}", demo_verify(name))


def run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def assert_bad_input(rc, out, err, pattern=""):
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("superpose: error: ") and "Traceback" not in err
    assert re.search(pattern, lines[0], re.I), lines[0]
    assert out == ""


# ------------------------------------------------------------------------- verbs


def test_list(fake, capsys):
    """list shows every construction and quantity; --json gives the records."""
    rc, out, _ = run(capsys, "list")
    assert rc == 0 and "cli-demo.second_moment(sigma:float)" in out
    rc, out, _ = run(capsys, "list", "--json")
    data = json.loads(out)
    assert rc == 0 and [c["name"] for c in data] == registry.available()
    q = next(c for c in data if c["name"] == "cli-demo")["quantities"][0]
    assert {"name", "statistic", "accuracy", "params", "closed_form", "eq_label"} <= set(q)
    assert q["params"][0] == {"name": "sigma", "type": "float", "default": 1.0, "min": 0.1,
                              "max": 10.0, "doc": "noise scale"}


@pytest.mark.parametrize("name", [*registry.available(), "cli-demo"])
def test_derive_text_and_latex(fake, capsys, name):
    """derive prints every quantity, as text and as LaTeX."""
    c = registry.get_construction(name)
    rc, text, _ = run(capsys, "derive", name)
    assert rc == 0 and all(q.name in text for q in c.quantities)
    rc, tex, _ = run(capsys, "derive", name, "--latex")
    assert rc == 0 and tex.count(r"\subsection*{") == len(c.quantities)
    assert tex.count("{") == tex.count("}") - tex.count(r"\}") + tex.count(r"\{")


def test_eval_json(fake, capsys):
    """eval --json: a JSON number (int where integer), value_str with >= 15 digits."""
    rc, out, _ = run(capsys, "eval", "cli-demo.abs_mean", "--param", "sigma=2", "--json")
    d = json.loads(out)
    assert rc == 0 and set(d) == {"name", "params", "value", "value_str", "statistic",
                                  "accuracy", "latex"}
    assert isinstance(d["value"], float) and d["params"] == {"sigma": 2.0}
    expected = 2 * math.sqrt(2 / math.pi)                 # E|x| = sigma sqrt(2/pi)
    assert d["value"] == pytest.approx(expected, rel=1e-15)
    assert len(re.sub(r"[^0-9]", "", d["value_str"].split("e")[0]).lstrip("0")) >= 15
    assert float(d["value_str"]) == d["value"]
    rc, out, _ = run(capsys, "eval", "cli-demo.pairs", "--param", "k=7", "--json")
    d = json.loads(out)
    assert rc == 0 and d["value"] == 21 and isinstance(d["value"], int) and d["value_str"] == "21"
    rc, out, _ = run(capsys, "eval", "cli-demo.pairs", "--param", "k=7")
    assert rc == 0 and "= 21" in out


def _defaults_complete(q: Quantity) -> bool:
    return not q.is_measured_only and all(p.default is not None for p in q.params)


def real_quantities() -> list[Quantity]:
    out = []
    for n in registry.available():
        try:
            out += registry.get_construction(n).quantities
        except Exception:  # a broken construction fails test_architecture, not collection
            pass
    return out


@pytest.mark.parametrize("qname", [q.name for q in real_quantities()
                                   if _defaults_complete(q) and q.closed_form is not None])
def test_eval_every_real_quantity(capsys, qname):
    """Every real closed form evaluates at its defaults to a finite JSON number."""
    rc, out, err = run(capsys, "eval", qname, "--json")
    assert rc == 0, err
    d = json.loads(out)
    assert isinstance(d["value"], (int, float)) and math.isfinite(d["value"])
    assert d["name"] == qname


def test_verify_json(fake, capsys):
    """verify --json: construction, params, seed, trials and the checks; exit 0 on pass."""
    rc, out, _ = run(capsys, "verify", "cli-demo", "--seed", "5", "--trials", "3000", "--json")
    d = json.loads(out)
    assert rc == 0 and set(d) == {"schema_version", "construction", "params", "seed", "trials", "checks"}
    assert d["seed"] == 5 and d["trials"] == 3000 and d["params"] == {"sigma": 1.0, "k": 4}
    assert [c["verdict"] for c in d["checks"]] == ["pass", "pass"]
    rc, out, err = run(capsys, "verify", "cli-demo", "--param", "sigma=2")
    assert rc == 0 and "pass  cli-demo.second_moment[sigma=2.0]" in out


def test_verify_failing_check_exits_1(fake, capsys):
    """A wrong closed form (2 sigma^2) fails: exit 1."""
    rc, out, _ = run(capsys, "verify", "cli-bad", "--json")
    d = json.loads(out)
    assert rc == 1 and d["checks"][0]["verdict"] == "fail"


def test_report_verb(fake, capsys, tmp_path, monkeypatch):
    """report writes the folder; without latexmk it says how to get LaTeX, and exits 0."""
    monkeypatch.setattr(report.shutil, "which", lambda name: None)
    monkeypatch.setattr(report, "figure_modules", lambda name: [])
    monkeypatch.setattr(report.plots, "checks_figures", lambda *a, **k: [])
    out = tmp_path / "r"
    rc, _, err = run(capsys, "report", "--out", str(out), "--scale", "smoke", "--only",
                     "cli-demo", "--seed", "2", "--progress", "--no-cache")
    assert rc == 0, err
    assert "latexmk" in (out / "report-pdf-missing.txt").read_text()
    assert json.loads((out / "checks.json").read_text())["meta"]["seed"] == 2
    assert "[1/1]" in err and "cli-demo" in err           # progress on stderr (--progress)


# -------------------------------------------------------------------- bad input


@pytest.mark.parametrize("argv, pattern", [
    ([], "command"),
    (["frobnicate"], "invalid choice"),
    (["derive", "no-such"], "unknown construction"),
    (["eval", "cli-demo.nope"], "unknown quantity"),
    (["eval", "no-dot"], "CONSTRUCTION.QUANTITY"),
    (["eval", "cli-demo.needs_m"], "missing parameter m"),
    (["eval", "cli-demo.abs_mean", "--param", "bogus=1"], "unknown parameter 'bogus'"),
    (["eval", "cli-demo.abs_mean", "--param", "sigma=abc"], "expected a number"),
    (["eval", "cli-demo.pairs", "--param", "k=2.5"], "integer"),
    (["eval", "cli-demo.abs_mean", "--param", "sigma=-1"], ">= 0.1"),
    (["eval", "cli-demo.abs_mean", "--param", "sigma=nan"], "finite|number"),
    (["eval", "cli-demo.abs_mean", "--param", "sigma"], "k=v"),
    (["eval", "cli-demo.abs_mean", "--param", "sigma=1", "--param", "sigma=2"], "twice"),
    (["eval", "cli-demo.measured"], "measured"),
    (["verify", "cli-demo", "--trials", "-5"], "--trials"),
    (["verify", "cli-demo", "--trials", "0"], "--trials"),
    (["verify", "cli-demo", "--trials", "many"], "--trials"),
    (["verify", "cli-demo", "--seed", "-1"], "--seed"),
    (["verify", "cli-demo", "--param", "k=0"], ">= 1"),
    (["verify", "cli-demo", "--param", "N=3"], "unknown parameter"),
    (["verify", "no-such"], "unknown construction"),
    (["report", "--scale", "huge"], "--scale"),
    (["report", "--only", "no-such"], "unknown construction"),
    (["report", "--seed", "x"], "--seed"),
])
def test_bad_input(fake, capsys, tmp_path, monkeypatch, argv, pattern):
    """Bad input: exit 2, one line on stderr, nothing on stdout, nothing written."""
    monkeypatch.chdir(tmp_path)
    rc, out, err = run(capsys, *argv)
    assert_bad_input(rc, out, err, pattern)
    assert list(tmp_path.iterdir()) == []


def test_bad_input_in_a_subprocess():
    """The installed entry point itself: exit 2, one stderr line, no traceback."""
    proc = subprocess.run([sys.executable, "-m", "superpose.reports.cli", "eval", "no-such.q",
                           "--json"], capture_output=True, text=True, timeout=120)
    assert_bad_input(proc.returncode, proc.stdout, proc.stderr, "unknown construction")
