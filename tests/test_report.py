"""The report (DESIGN.md, "The report (main job)", "Determinism").

A tiny fake construction, ``fake-demo`` (moments of a Gaussian, with a published form that
is off, a bound, a measured-only and a computed quantity, and one figure script), is added
to the registry beside the real ones, so these tests exercise every part of the report
whatever constructions exist.  The real constructions run too, at the smoke scale.

What this does not establish: that the quick/paper scales fit their time budgets (the
benchmarks and the lead's timing runs do), or that the PDF *looks* right.
"""
from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import signal
import time
import shutil
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import superpose.reports.figures
from superpose.derive import quantity as registry
from superpose.derive.quantity import BadInput, Construction, Param, Quantity, Step
from superpose.reports import latex, report
from superpose.reports.cli import main
from superpose.verify.check import Measurement
from superpose.verify.rng import stream
from superpose.verify.stats import clustered_mean

HAS_LATEX = shutil.which("latexmk") is not None
CHECK_KEYS = {"name", "quantity", "params", "statistic", "accuracy", "predicted",
              "predicted_published", "measured", "se", "ci", "z", "n", "n_networks", "seed",
              "sided", "verdict", "source"}

# ------------------------------------------------------------------ fake construction

SIGMA = Param("sigma", float, default=1.0, lo=0.1, hi=10.0, doc="noise scale", latex="sigma")
K = Param("k", int, default=4, lo=1, hi=64, doc="number of coordinates")


def fake_construction(name: str = "fake-demo", factor: int = 1) -> Construction:
    """Moments of x ~ N(0, sigma^2); ``factor`` != 1 makes the second moment wrong."""
    s, k = SIGMA.symbol, K.symbol
    x = sp.Symbol("x", real=True)
    long_sum = sp.Add(*[s**i / sp.factorial(i) for i in range(1, 40)])
    return Construction(name, "A Gaussian toy (x_i ~ N(0, sigma^2), 100% fake)",
                        "Gaussian moments & a bound; for tests only.", (
        Quantity(f"{name}.second_moment", (SIGMA,), "mean-square", "exact",
                 definition=r"\mathbb{E}\,[x^2],\quad x\sim\mathcal{N}(0,\sigma^2)",
                 closed_form=factor * s**2, eq_label="eq:fake_m2", source="folklore, eq. (1)",
                 steps=(Step(r"\mathbb{E}[x^2]", r"\operatorname{Var}x + (\mathbb{E}x)^2",
                             "variance plus squared mean"),
                        Step("", s**2, "zero mean, variance $\\sigma^2$ (x_i centred)")),
                 doc="The mean square of one coordinate_with_underscores."),
        Quantity(f"{name}.abs_mean", (SIGMA,), "mean", "exact",
                 definition=sp.Integral(sp.Abs(x) * sp.exp(-x**2 / (2 * s**2))
                                        / sp.sqrt(2 * sp.pi * s**2), (x, -sp.oo, sp.oo)),
                 closed_form=s * sp.sqrt(2 / sp.pi), symbol=r"\mathbb{E}|x|"),
        Quantity(f"{name}.abs_mean_published", (SIGMA,), "mean", "exact",
                 definition="E|x| as published", closed_form=sp.Rational(7, 10) * s,
                 published=True, source="a post ≤ 2024 with a typo"),
        Quantity(f"{name}.max_abs", (SIGMA, K), "max", "upper-bound",
                 definition=r"\mathbb{E}\max_{i\le k}|x_i|",
                 closed_form=s * sp.sqrt(2 * sp.log(2 * k)) + s,
                 steps=(Step("", long_sum, "a long sum (tests line splitting)"),)),
        Quantity(f"{name}.fourth_moment", (SIGMA,), "mean", "approximate",
                 definition=r"\mathbb{E}[x^4]", closed_form=3 * s**4, tolerance=0.05,
                 tolerance_reason="a stated 5% margin (toy)"),
        Quantity(f"{name}.sixth_moment", (SIGMA,), "mean", "exact",
                 definition=r"\mathbb{E}[x^6]"),
        Quantity(f"{name}.pairs", (K,), "count", "exact", definition="number of pairs",
                 compute=lambda k: k * (k - 1) // 2, integer=True),
    ), source="tests/test_report.py")


def fake_verify(name: str = "fake-demo") -> types.ModuleType:
    """A verify module measuring the fake construction from its definitions."""
    mod = types.ModuleType(f"superpose.verify.{registry.snake(name)}")
    mod.PARAMS = (SIGMA, K)
    mod.DEFAULT_TRIALS = 4000
    mod.SCALES = {s: [({"sigma": 1.0, "k": 4}, 4000), ({"sigma": 2.5, "k": 8}, 4000)]
                  for s in ("smoke", "quick", "paper")}

    def measure(params, *, trials, seed, progress=None):
        sig, k = params["sigma"], params["k"]
        rng = stream(seed, name, sig, k)
        x = rng.normal(0.0, sig, size=(trials, k))          # (trials, k)
        g = np.arange(trials) // 20                          # 20 trials per "network"
        p = {"sigma": sig}
        if progress:
            progress(f"{trials} trials")
        return [
            Measurement(f"{name}.second_moment", p, clustered_mean(x[:, 0] ** 2, g)),
            Measurement(f"{name}.abs_mean", p, clustered_mean(abs(x[:, 0]), g),
                        published=f"{name}.abs_mean_published"),
            Measurement(f"{name}.abs_mean_published", p, clustered_mean(abs(x[:, 0]), g)),
            Measurement(f"{name}.max_abs", {"sigma": sig, "k": k},
                        clustered_mean(abs(x).max(axis=1), g)),
            Measurement(f"{name}.fourth_moment", p, clustered_mean(x[:, 0] ** 4, g)),
            Measurement(f"{name}.sixth_moment", p, clustered_mean(x[:, 0] ** 6, g),
                        label={"k": k}),
        ]

    mod.measure = measure
    return mod


FIGURE = '''
"""Histogram of the fake construction's samples (test figure)."""
from superpose.reports import plots
from superpose.verify.rng import stream

CAPTION = "Samples of $x\\\\sim\\\\mathcal{N}(0,1)$ (fake_demo, 2000 draws)."


def make(outdir, scale, seed, progress=None):
    x = stream(seed, "fake-demo", "figure").standard_normal(2000)
    fig, ax = plots.figure()
    ax.hist(x, bins=40)
    ax.set_xlabel("$x$")
    ax.set_ylabel("$\\\\mathbb{E}$ count")
    return plots.save(fig, outdir, "fake_demo_hist")
'''


def add_entry(mp: pytest.MonkeyPatch, name: str) -> None:
    """Register ``name`` through the construction protocol (as an entry point would)."""
    from superpose.derive import protocol

    current = protocol.entries()                  # may already be patched: chain it
    snake_name = registry.snake(name)
    entry = protocol.ConstructionEntry(name, derive=f"superpose.derive.{snake_name}",
                                       verify=f"superpose.verify.{snake_name}")
    mp.setattr(protocol, "entries", lambda: {**current, name: entry})


def register(mp: pytest.MonkeyPatch, tmp: Path, name: str = "fake-demo", factor: int = 1):
    """Add a fake construction (registry, verify module, figure script) for this test."""
    add_entry(mp, name)
    mp.setitem(registry._CACHE, name, fake_construction(name, factor))
    mp.setitem(sys.modules, f"superpose.verify.{registry.snake(name)}", fake_verify(name))
    figdir = tmp / "figure-scripts"
    figdir.mkdir(exist_ok=True)
    (figdir / f"{registry.snake(name)}_hist.py").write_text(
        FIGURE.replace("fake-demo", name).replace("fake_demo", registry.snake(name)))
    mp.setattr(superpose.reports.figures, "__path__", [*superpose.reports.figures.__path__, str(figdir)])
    mp.delitem(sys.modules, f"superpose.reports.figures.{registry.snake(name)}_hist", raising=False)


@pytest.fixture
def no_figures(monkeypatch):
    """Skip drawing (matplotlib costs seconds) in tests about the folder, not the figures."""
    monkeypatch.setattr(report, "figure_modules", lambda name: [])
    monkeypatch.setattr(report.plots, "checks_figures", lambda *a, **k: [])


def test_fake_construction_latex_renders_every_part():
    """The LaTeX of a construction has each quantity, label, escaped names and steps."""
    tex = latex.construction_latex(fake_construction())
    assert r"\label{eq:fake_m2}" in tex
    assert "coordinate\\_with\\_underscores" in tex
    assert "second\\_moment" in tex and "[published form]" in tex
    assert r"\overset{\text{(a)}}{=}" in tex            # justified step markers
    assert "variance plus squared mean" in tex
    assert "≤" not in tex and r"\ensuremath{\le}" in tex  # unicode made safe
    assert tex.count(r"\fitmath{") >= 10
    text = latex.construction_text(fake_construction())
    assert "fake-demo.second_moment" in text and "variance plus squared mean" in text


def test_long_sum_is_split_over_lines():
    """A sum longer than one line is broken at its top-level + signs."""
    s = SIGMA.symbol
    lines = latex._rhs_lines(sp.Add(*[s**i / sp.factorial(i) for i in range(1, 40)]))
    assert len(lines) > 3
    assert all(len(l) <= 2 * latex._SPLIT_AT for l in lines)


@pytest.mark.parametrize("raw, expected", [
    ("a_b", r"a\_b"), ("5%", r"5\%"), ("x & y", r"x \& y"), ("#1", r"\#1"),
    ("a<b>c", r"a\textless{}b\textgreater{}c"), ("{x}", r"\{x\}"), ("σ≤1", r"\ensuremath{\sigma}\ensuremath{\le}1"),
])
def test_escape(raw, expected):
    """Plain text is escaped character by character."""
    assert latex.escape(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("a_b", r"a\_b"), (r"5\% done", r"5\% done"), ("5% & more", r"5\% \& more"),
    ("$x_i$ and y_j", r"$x_i$ and y\_j"), (r"see \cite{tmf}, \S 2", r"see \cite{tmf}, \S{} 2"),
    (r"\emph{with $a_1$ b_c}", r"\emph{with $a_1$ b\_c}"),
    # the markup rule: no guessing; a command outside math that the rule does not allow is
    # shown as characters, never put into math
    (r"at \lambda=1.", r"at \textbackslash{}lambda=1."), (r"\texttt{x}", r"\textbackslash{}texttt\{x\}"),
    ("costs $5 only", r"costs \$5 only"),
])
def test_prose(raw, expected):
    """Prose keeps $math$, commands and typed escapes; bare math commands get dollars."""
    assert latex.text(raw) == expected


def test_number_formatting():
    """Numbers keep 5 significant digits; large/small ones get a power of ten."""
    assert latex.number(1.234567) == "1.2346"
    assert latex.number(1.234567e-7) == r"1.2346\times 10^{-7}"
    assert latex.number(None) == "--"
    assert latex.number(12) == "12"


# ---------------------------------------------------------------- end to end


@pytest.fixture(scope="module", autouse=True)
def no_task_cache():
    """Every report here computes its tasks (none read from or written to the user's cache:
    the determinism tests compare two computations, not a computation and its copy)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SUPERPOSE_NO_CACHE", "1")
        yield


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The smoke report of fake-demo, built twice into two folders."""
    tmp = tmp_path_factory.mktemp("reports")
    with pytest.MonkeyPatch.context() as mp:
        register(mp, tmp)
        mp.setattr(report, "git_revision", lambda: "0123abc")  # HEAD may move between runs
        codes = []
        for sub in ("a", "b"):
            codes.append(report.build_report(tmp / sub, scale="smoke", seed=3,
                                             only=["fake-demo"]))
    return tmp / "a", tmp / "b", codes


@pytest.mark.skipif(not HAS_LATEX, reason="latexmk not installed (CI installs it)")
def test_real_derivations_compile(tmp_path):
    """The derivations of every registered construction compile as they are (no section
    needs the source-text fallback)."""
    names = registry.available()
    if not names:
        pytest.skip("no construction registered yet")
    sections = [latex.Section(registry.get_construction(n)) for n in names]
    state, warnings, error = report.typeset(tmp_path, sections, [], {"test": "derivations"},
                                            report._Clock())
    assert state.startswith("built") and (warnings, error) == ([], None)
    assert (tmp_path / "report.pdf").stat().st_size > 10_000


def test_real_smoke_report(tmp_path):
    """The smoke report of every registered construction builds: no errors, every LaTeX
    string compiles (no fallback), the PDF is built where LaTeX is installed (CI installs
    it), and no check fails (about a minute of CPU)."""
    if not registry.available():
        pytest.skip("no construction registered yet")
    out = tmp_path / "rep"
    code = main(["report", "--out", str(out), "--scale", "smoke"])
    data = json.loads((out / "checks.json").read_text())
    assert data["errors"] == []
    assert code == (1 if any(c["verdict"] == "fail" for c in data["checks"]) else 0)
    assert {c["quantity"].split(".")[0] for c in data["checks"]} <= set(registry.available())
    if HAS_LATEX:
        summary = (out / "summary.md").read_text()
        assert "report.pdf: built" in summary and "## Warnings" not in summary, summary
    assert code == 0, [c["name"] for c in data["checks"] if c["verdict"] == "fail"]


def test_report_writes_every_file(built):
    """report.tex, checks.json/md, summary.md, figures (pdf+png), the marker, and the PDF
    (or the note saying how to get LaTeX)."""
    a, _, codes = built
    for f in ("report.tex", "checks.json", "checks.md", "summary.md", report.MARKER):
        assert (a / f).is_file(), f
    assert (a / "figures" / "fake_demo_hist.pdf").is_file()
    assert (a / "figures" / "fake_demo_hist.png").is_file()
    assert not list((a / "figures").glob("checks_*"))   # the per-check plot: not drawn
    if HAS_LATEX:
        assert (a / "report.pdf").read_bytes()[:5] == b"%PDF-"
        assert not (a / "report.aux").exists()
    else:
        assert (a / "report-pdf-missing.txt").is_file()
    assert not [p for p in a.parent.iterdir() if p.name.startswith(".")]  # no temp leftovers
    assert codes == [0, 0]


@pytest.mark.skipif(not HAS_LATEX, reason="latexmk not installed (CI installs it)")
def test_pdf_compiled(built):
    """LaTeX compiled the whole report (the PDF exists and no error was recorded)."""
    a, _, _ = built
    assert (a / "report.pdf").stat().st_size > 10_000
    assert "report.pdf: built" in (a / "summary.md").read_text()


def test_deterministic(built):
    """Same command and seed: byte-identical checks.json, figures, report.tex and PDF."""
    a, b, _ = built
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    different = [str(f) for f in files
                 if f.name != "summary.md" and (a / f).read_bytes() != (b / f).read_bytes()]
    assert different == []


def test_checks_json_schema(built):
    """checks.json: meta (seed, scale, revision, versions) and CheckResults with every key."""
    a, _, _ = built
    data = json.loads((a / "checks.json").read_text())
    meta = data["meta"]
    assert meta["seed"] == 3 and meta["scale"] == "smoke"
    assert meta["git_revision"] == "0123abc" and "numpy" in meta["versions"]
    fake = data["checks"]
    assert len(fake) == 12                               # 6 measurements x 2 parameter sets
    for c in data["checks"]:
        assert CHECK_KEYS <= set(c), CHECK_KEYS - set(c)
        assert c["verdict"] in ("pass", "fail", "info", "skip")
        assert c["seed"] == 3
    verdicts = {c["name"]: c["verdict"] for c in fake}
    # the Gaussian toy is right, except the published form (0.7 sigma vs sqrt(2/pi) sigma)
    # and the measured-only sixth moment, which are reported as info
    assert verdicts["fake-demo.second_moment[sigma=1.0]"] == "pass"
    assert verdicts["fake-demo.abs_mean_published[sigma=2.5]"] == "info"
    assert verdicts["fake-demo.sixth_moment[sigma=1.0,k=4]"] == "info"
    assert verdicts["fake-demo.max_abs[sigma=2.5,k=8]"] == "pass"
    pub = [c for c in fake if c["quantity"] == "fake-demo.abs_mean"][0]
    assert pub["predicted_published"] == pytest.approx(0.7)
    assert data["errors"] == []


def test_markdown_files_record_provenance(built):
    """checks.md and summary.md carry the seed, scale, revision and versions."""
    a, _, _ = built
    for f in ("checks.md", "summary.md"):
        t = (a / f).read_text()
        assert "seed: 3" in t and "scale: smoke" in t and "0123abc" in t and "sympy" in t
    assert "fake-demo.second_moment[sigma=1.0]" in (a / "checks.md").read_text()
    tex = (a / "report.tex").read_text()
    assert "0123abc" in tex and r"\includegraphics" in tex


def test_failing_check_exits_1_and_still_writes(tmp_path, monkeypatch, no_figures):
    """A wrong closed form fails its check: exit 1, the report is written and says so."""
    register(monkeypatch, tmp_path, name="fake-bad", factor=2)
    out = tmp_path / "rep"
    assert report.build_report(out, scale="smoke", seed=0, only=["fake-bad"], pdf=False) == 1
    assert "## Failing checks" in (out / "summary.md").read_text()
    data = json.loads((out / "checks.json").read_text())
    assert {c["verdict"] for c in data["checks"] if "second_moment" in c["name"]} == {"fail"}


def test_refuses_foreign_folder(tmp_path, monkeypatch, no_figures, capsys):
    """A non-empty folder that is not a report: exit 2, one line, untouched, no temp left."""
    register(monkeypatch, tmp_path)
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    rc = main(["report", "--out", str(out), "--scale", "smoke", "--only", "fake-demo"])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "not empty" in err
    assert [p.name for p in out.iterdir()] == ["thesis.tex"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figure-scripts", "mine"]


def test_refuses_file_and_unwritable_place(tmp_path, monkeypatch):
    """A file at --out, or a path under a file: bad input, nothing created."""
    f = tmp_path / "file.txt"
    f.write_text("x")
    for out in (f, f / "report"):
        with pytest.raises(BadInput):
            report.build_report(out, scale="smoke", pdf=False)
    assert [p.name for p in tmp_path.iterdir()] == ["file.txt"]


def test_replaces_earlier_report(tmp_path, monkeypatch, no_figures):
    """An earlier report (recognised by its marker) is replaced; a file it wrote that the
    new one does not write (listed in its marker) vanishes."""
    register(monkeypatch, tmp_path)
    out = tmp_path / "rep"
    assert report.build_report(out, scale="smoke", only=["fake-demo"], pdf=False) == 0
    (out / "stale.txt").write_text("old")
    with open(out / report.MARKER, "a") as f:     # as if the earlier report had written it
        f.write("stale.txt\n")
    assert report.build_report(out, scale="smoke", only=["fake-demo"], pdf=False) == 0
    assert not (out / "stale.txt").exists() and (out / "checks.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figure-scripts", "rep"]


def test_empty_folder_and_missing_parents_are_fine(tmp_path, monkeypatch, no_figures):
    """An empty folder is used; missing parent folders are created."""
    register(monkeypatch, tmp_path)
    (tmp_path / "empty").mkdir()
    for out in (tmp_path / "empty", tmp_path / "new" / "deeper" / "rep"):
        assert report.build_report(out, scale="smoke", only=["fake-demo"], pdf=False) == 0
        assert (out / "checks.json").is_file()


@pytest.mark.parametrize("kw, msg", [
    ({"scale": "huge"}, "--scale"), ({"only": ["no-such-thing"]}, "unknown construction"),
    ({"seed": -1}, "--seed"),
])
def test_bad_arguments(tmp_path, kw, msg):
    """Bad scale, unknown construction, negative seed: BadInput before anything is written."""
    with pytest.raises(BadInput, match=msg):
        report.build_report(tmp_path / "r", **kw)
    assert not any(tmp_path.iterdir())


def test_interrupt_leaves_nothing(tmp_path, monkeypatch):
    """Ctrl-C during the build: the temporary folder is removed, the target not created."""
    register(monkeypatch, tmp_path)

    def boom(params, *, trials, seed, progress=None):
        raise KeyboardInterrupt
    monkeypatch.setattr(sys.modules["superpose.verify.fake_demo"], "measure", boom)
    with pytest.raises(KeyboardInterrupt):
        report.build_report(tmp_path / "rep", scale="smoke", only=["fake-demo"], pdf=False,
                            jobs=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figure-scripts"]


def test_broken_figure_is_an_error_not_a_crash(tmp_path, monkeypatch):
    """A figure script that raises: the report is still written, the error recorded, exit 1."""
    register(monkeypatch, tmp_path)
    script = tmp_path / "figure-scripts" / "fake_demo_hist.py"
    script.write_text("CAPTION = 'x'\ndef make(outdir, scale, seed, progress=None):\n"
                      "    raise RuntimeError('figure bug')\n")
    out = tmp_path / "rep"
    assert report.build_report(out, scale="smoke", only=["fake-demo"], pdf=False) == 1
    assert "figure bug" in (out / "summary.md").read_text()
    assert "figure bug" in (out / "report.tex").read_text()


@pytest.mark.skipif(not HAS_LATEX, reason="latexmk not installed (CI installs it)")
def test_broken_author_latex_falls_back_to_source_text(tmp_path, monkeypatch, no_figures):
    """A derivation whose LaTeX string does not compile is typeset as escaped source text,
    with a warning; the PDF is still built."""
    register(monkeypatch, tmp_path)
    good = registry._CACHE["fake-demo"]
    q = good.quantities[0]
    broken = dataclasses.replace(q, steps=(Step(r"\mathbb{E}[x^2]", r"\frac{1}{", "oops"),))
    monkeypatch.setitem(registry._CACHE, "fake-demo",
                        dataclasses.replace(good, quantities=(broken,)))
    monkeypatch.setattr(sys.modules["superpose.verify.fake_demo"], "SCALES", {"smoke": [], "quick": [], "paper": []})
    out = tmp_path / "rep"
    assert report.build_report(out, scale="smoke", only=["fake-demo"]) == 0
    assert (out / "report.pdf").is_file()
    summary = (out / "summary.md").read_text()
    assert "## Warnings" in summary and "fake-demo" in summary
    assert r"\textbackslash{}frac" in (out / "report.tex").read_text()


def test_worker_processes_give_the_same_report(tmp_path, monkeypatch, no_figures):
    """Constructions run on 2 worker processes: the same checks.json, byte for byte, as
    on one (numbers depend on the seed and the names only)."""
    register(monkeypatch, tmp_path)
    register(monkeypatch, tmp_path, name="fake-bad", factor=2)
    monkeypatch.setattr(report, "git_revision", lambda: "0123abc")
    outs = []
    for jobs in (1, 2):
        out = tmp_path / f"jobs{jobs}"
        assert report.build_report(out, scale="smoke", only=["fake-demo", "fake-bad"],
                                   pdf=False, jobs=jobs) == 1
        outs.append((out / "checks.json").read_bytes())
    assert outs[0] == outs[1]
    names = [c["name"] for c in json.loads(outs[0])["checks"]]
    assert names[0].startswith("fake-demo.") and names[-1].startswith("fake-bad.")


def test_interrupt_stops_worker_processes(tmp_path, monkeypatch, no_figures):
    """Ctrl-C while workers run: they are stopped at once and the temp folder removed
    (no worker writes into it afterwards)."""
    register(monkeypatch, tmp_path)
    register(monkeypatch, tmp_path, name="fake-bad", factor=2)

    def stuck(params, *, trials, seed, progress=None):
        time.sleep(60)
    monkeypatch.setattr(sys.modules["superpose.verify.fake_demo"], "measure", stuck)
    monkeypatch.setattr(sys.modules["superpose.verify.fake_bad"], "measure", stuck)

    def ctrl_c(signum, frame):
        raise KeyboardInterrupt
    old = signal.signal(signal.SIGALRM, ctrl_c)
    t = time.perf_counter()
    try:
        signal.alarm(3)
        with pytest.raises(KeyboardInterrupt):
            report.build_report(tmp_path / "rep", scale="smoke", only=["fake-demo", "fake-bad"],
                                pdf=False, jobs=2)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert time.perf_counter() - t < 20
    assert multiprocessing.active_children() == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figure-scripts"]


def test_user_file_in_earlier_report_is_refused_and_kept(tmp_path, monkeypatch, capsys):
    """Issue 16: a file of the user's in an earlier report folder (not in the marker's list
    of what superpose wrote) makes `superpose report` refuse, exit 2, one line naming it;
    the file and the earlier report survive untouched, no temporary folder is left."""
    register(monkeypatch, tmp_path)
    out = tmp_path / "rep"
    assert report.build_report(out, scale="smoke", only=["fake-demo"], pdf=False) == 0
    marker = (out / report.MARKER).read_text().splitlines()
    assert marker[0] + "\n" == report.MARKER_TEXT and "checks.json" in marker
    assert "figures/fake_demo_hist.pdf" in marker
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    capsys.readouterr()
    for notes in (out / "my-notes.txt", out / "figures" / "my-sketch.png"):
        notes.write_text("precious")
        rc = main(["report", "--out", str(out), "--scale", "smoke", "--only", "fake-demo"])
        err = capsys.readouterr().err.strip().splitlines()
        assert rc == 2 and len(err) == 1, err
        assert notes.relative_to(out).as_posix() in err[0] and "not written by superpose" in err[0]
        assert notes.read_text() == "precious"
        assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and p != notes} == before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["figure-scripts", "rep"]
        notes.unlink()
    # without it, the folder is replaced again
    assert report.build_report(out, scale="smoke", only=["fake-demo"], pdf=False) == 0


def test_report_written_before_the_file_list_is_still_replaced(tmp_path, monkeypatch,
                                                               no_figures):
    """A report whose marker has no file list (written before it had one) is replaced when it
    holds only what a report writes, and refused when it holds anything else."""
    register(monkeypatch, tmp_path)
    out = tmp_path / "old"
    (out / "figures").mkdir(parents=True)
    for f in ("report.tex", "checks.json", "checks.md", "summary.md", "figures/a.png"):
        (out / f).write_text("old")
    (out / report.MARKER).write_text(report.MARKER_TEXT)
    (out / "thesis.tex").write_text("precious")
    with pytest.raises(BadInput, match="thesis.tex"):
        report.build_report(out, scale="smoke", only=["fake-demo"], pdf=False)
    (out / "thesis.tex").unlink()
    assert report.build_report(out, scale="smoke", only=["fake-demo"], pdf=False) == 0
    assert not (out / "figures" / "a.png").exists()


def test_a_folder_named_like_a_math_font_in_the_working_directory_breaks_nothing(
        tmp_path, monkeypatch):
    """matplotlib takes a mathtext font name for a path when the working directory holds an
    entry of that name: with a folder ``bb`` there, every figure using ``\\mathbb`` failed.
    The report draws inside its own temporary folder, here and in a worker's job."""
    register(monkeypatch, tmp_path)
    work = tmp_path / "work"
    (work / "bb").mkdir(parents=True)
    monkeypatch.chdir(work)
    code = report.build_report("rep", scale="smoke", only=["fake-demo"], pdf=False, jobs=1,
                               cache=False, progress=False)
    data = json.loads((work / "rep" / "checks.json").read_text())
    assert code == 0 and data["errors"] == [], data["errors"]
    assert (work / "rep" / "figures" / "fake_demo_hist.pdf").is_file()
    out = report.FigureJob("fake-demo", "fake_demo_hist", "smoke", 0, {}).run()
    assert out.errors == [] and "figures/fake_demo_hist.pdf" in out.files, out.errors
    assert sorted(p.name for p in work.iterdir()) == ["bb", "rep"] and os.getcwd() == str(work)
