"""``superpose report``: derivations, Monte Carlo checks and figures, in one folder.

:func:`build_report` writes (DESIGN.md, "The report (main job)")::

    <out>/report.tex        derivations, checks tables, figures, summary
    <out>/report.pdf        when latexmk is present (else report-pdf-missing.txt)
    <out>/figures/*.pdf|png one set per figure script
    <out>/checks.json       {"meta": ..., "checks": [CheckResult...], "errors": [...]}
    <out>/checks.md         the checks as a Markdown table
    <out>/summary.md        counts per verdict per construction, failing checks, timings
    <out>/.superpose-report marker: this folder may be replaced by the next report, and
                            the list of every path the report wrote

Everything but ``summary.md`` (which holds the run time) is a function of the command,
the seed, the code and the package versions: ``checks.json``, the figures and (with
pdfTeX's dates switched off and ``SOURCE_DATE_EPOCH`` fixed) ``report.pdf`` are
byte-identical between runs.

The folder is built in a temporary sibling (same filesystem) and renamed into place at
the end, so an error, Ctrl-C or SIGTERM leaves the old report (or nothing), never half a
report.  An existing folder is replaced only if it carries the marker and holds nothing but
what the marker lists (a user's file in it is refused, named, exit 2); any other non-empty
folder, a file at that path or an unwritable place is bad input (exit 2).

The Monte Carlo cases run as tasks of :mod:`superpose.verify.tasks` (in this process, on
local worker processes or on a Dask cluster, finished ones reused from the task cache); the
verdicts, the figures and LaTeX are made in this process.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import json
import math
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from superpose.derive import quantity as registry
from superpose.derive.quantity import BadInput, snake
from superpose.reports import latex, paper, plots
from superpose.reports import outdir
from superpose.verify import provenance
from superpose.verify.provenance import git_revision
from superpose.verify import tasks
from superpose.verify.check import CHECKS_SCHEMA_VERSION
from superpose.verify.check import Z, verify_module
from superpose.verify.stats import round_sig

SCALES = ("smoke", "quick", "paper")
MARKER = ".superpose-report"
MARKER_TEXT = "superpose report folder: `superpose report` may replace it\n"
LATEX_TIMEOUT_S = 300
PACKAGES = ("superpose", "sympy", "mpmath", "numpy", "scipy", "matplotlib")
HOW_TO_GET_LATEX = (
    "report.pdf was not built: latexmk was not found. Install a LaTeX toolchain "
    "(Debian/Ubuntu: apt-get install latexmk texlive-latex-base texlive-latex-recommended; "
    "macOS: MacTeX) and run `superpose report` again; report.tex is complete.\n"
)


# ---------------------------------------------------------------------- provenance


def versions() -> dict[str, str]:
    """Versions of Python and of the packages that make the numbers."""
    return provenance.versions(PACKAGES)


def make_meta(scale: str, seed: int, names: Sequence[str],
              only: Sequence[str] | None = None) -> dict[str, Any]:
    """What every output file records: parameters, seed, versions, revision."""
    return {"command": f"superpose report --scale {scale} --seed {seed}"
                       + "".join(f" --only {n}" for n in only or ()),
            "scale": scale, "seed": seed, "constructions": list(names), "z": Z,
            "git_revision": git_revision(), "versions": versions()}


def _meta_lines(meta: Mapping[str, Any]) -> list[str]:
    return [f"- {k}: {', '.join(f'{a} {b}' for a, b in v.items()) if isinstance(v, Mapping) else v}"
            for k, v in meta.items()]


# ------------------------------------------------------------------ output folder


def _is_report(path: Path) -> bool:
    try:
        return (path / MARKER).read_text().startswith(MARKER_TEXT[:24])
    except (OSError, UnicodeDecodeError):
        return False


#: What a report written before the marker listed its files could hold (nothing else).
_LEGACY = re.compile(r"(report\.(tex|pdf|log)|report-pdf-missing\.txt|checks\.(json|md)"
                     r"|summary\.md|figures|figures/[^/]+\.(pdf|png))")


def _tree(folder: Path) -> list[str]:
    """Every path under ``folder`` (files, links and folders), relative, sorted."""
    out = []
    for root, dirs, files in os.walk(folder):
        rel = Path(root).relative_to(folder)
        out += [(rel / d).as_posix() for d in dirs] + [(rel / f).as_posix() for f in files]
    return sorted(out)


def marker_text(folder: Path) -> str:
    """The marker of a finished report folder: its first line says superpose may replace the
    folder, the others list every path it wrote (anything else there makes it refuse)."""
    paths = [p for p in _tree(folder) if p != MARKER]
    return MARKER_TEXT + "".join(f"{p}\n" for p in paths)


def _foreign(folder: Path) -> list[str]:
    """The paths in an earlier report folder that superpose did not write."""
    try:
        lines = (folder / MARKER).read_text().splitlines()
    except (OSError, UnicodeDecodeError):
        lines = []
    ours = set(lines[1:])
    legacy = len(lines) <= 1
    out = []
    for p in _tree(folder):
        if p == MARKER or p in ours or (legacy and _LEGACY.fullmatch(p)):
            continue
        if (folder / p).is_dir() and not (folder / p).is_symlink() \
                and any(q.startswith(p + "/") for q in ours):
            continue  # a folder we wrote files into (its foreign files are named themselves)
        out.append(p)
    return out


def check_target(out: str | os.PathLike) -> Path:
    """The absolute output folder, or ``BadInput`` if it may not be (re)written: a folder
    holding anything the earlier report did not write is refused, the path named."""
    return outdir.check_target(out, _is_report, "report", _foreign)


# --------------------------------------------------------------------- the parts


def figure_modules(name: str) -> list[str]:
    """Figure scripts of construction ``name``: ``reports/figures/<snake>_*.py``, sorted.

    A script belongs to the construction with the longest matching prefix, so that
    ``uand_sparse_x`` never counts as a figure of a construction called ``uand``.
    """
    import superpose.reports.figures as pkg
    prefixes = sorted({snake(n) for n in registry.available()},
                      key=len, reverse=True)
    mine = []
    for info in pkgutil.iter_modules(pkg.__path__):
        owner = next((p for p in prefixes if info.name.startswith(p + "_")), None)
        if owner == snake(name):
            mine.append(info.name)
    return sorted(mine)


def _has_verify(name: str):
    try:
        return verify_module(name)
    except BadInput:
        return None


def _clean(x: Any) -> Any:
    """JSON-ready: floats rounded to 12 significant digits, non-finite -> null,
    NumPy scalars -> Python, tuples -> lists."""
    if isinstance(x, bool) or x is None or isinstance(x, str):
        return x
    if isinstance(x, Mapping):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if hasattr(x, "item") and not isinstance(x, (int, float)):
        x = x.item()
    if isinstance(x, int):
        return x
    if isinstance(x, float):
        return round_sig(x, 12) if math.isfinite(x) else None
    return str(x)


class _Clock:
    """Progress lines on stderr: ``[  12.3s] what``; with ``quiet`` only errors, warnings
    and the closing line."""

    def __init__(self, t0: float | None = None, quiet: bool = False) -> None:
        self.t0 = time.perf_counter() if t0 is None else t0
        self.quiet = quiet

    def __call__(self, msg: str, always: bool = False) -> None:
        if self.quiet and not always and not msg.startswith(("ERROR", "WARNING")):
            return
        print(f"[{time.perf_counter() - self.t0:7.1f}s] {msg}", file=sys.stderr, flush=True)

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0


def _error(where: str, clock: _Clock) -> str:
    """Log an unexpected exception (a bug, not bad input) with its traceback."""
    exc = sys.exc_info()[1]
    clock(f"ERROR in {where}: {type(exc).__name__}: {exc}")
    traceback.print_exc(file=sys.stderr)
    return f"{where}: {type(exc).__name__}: {' '.join(str(exc).split())}"


@dataclass
class Part:
    """What one construction adds to the report (plain data: it crosses processes)."""

    name: str
    checks: list[dict] = field(default_factory=list)
    figures: list[latex.Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0          # wall clock
    cpu_seconds: float = 0.0      # this process's CPU time (all its threads)


def _figures(part: Part, scale: str, seed: int, tmp: Path, clock: _Clock,
             modules: Sequence[str] | None = None) -> None:
    """Each figure script of the construction (or those in ``modules``).  (The per-check plot,
    :func:`plots.checks_figures`, is not drawn here: the paper does not show it, the
    ledger carries the same numbers, and it cost a tenth of a quick report's time.)"""
    name, figdir = part.name, tmp / "figures"
    for modname in figure_modules(name) if modules is None else modules:
        clock(f"{name}: figure {modname}")
        try:
            fmod = importlib.import_module(f"superpose.reports.figures.{modname}")
            with plots.style():       # the report style, only while the script draws
                made = fmod.make(figdir, scale, seed, progress=lambda m: clock(f"    {m}"))

            def rel(p) -> str:
                return Path(p).resolve().relative_to(tmp.resolve()).as_posix()

            if made and all(isinstance(x, tuple) for x in made):
                # (file, caption) pairs: one figure each, placed at the size it was drawn
                for k, (path, caption) in enumerate(made):
                    fname = modname if len(made) == 1 else f"{modname}-{k + 1}"
                    part.figures.append(latex.Figure(fname, [rel(path)], str(caption),
                                                     natural=True))
            else:
                part.figures.append(latex.Figure(modname, sorted(rel(p) for p in made),
                                                 str(getattr(fmod, "CAPTION", ""))))
        except Exception:
            part.errors.append(_error(f"figure {modname}", clock))


def _derive(part: Part, clock: _Clock) -> bool:
    """Build the construction's derivation (here); False, with the error recorded in
    ``Part.errors``, if it fails."""
    t, cpu = time.perf_counter(), time.process_time()
    clock(f"{part.name}: derivation")
    try:
        registry.get_construction(part.name)
        return True
    except Exception:
        part.errors.append(_error(f"derivation of {part.name}", clock))
        return False
    finally:
        part.seconds = round(part.seconds + time.perf_counter() - t, 2)
        part.cpu_seconds = round(part.cpu_seconds + time.process_time() - cpu, 2)


def _judge_run(part: Part, task: tasks.Task, out: tasks.Outcome,
               clock: _Clock) -> tuple[list[dict], list[str]]:
    """The verdicts of one finished task (here, against the derivation) and its errors.
    Never raises (but for Ctrl-C and SIGTERM)."""
    t, cpu = time.perf_counter(), time.process_time()
    where = f"checks of {part.name} [{task.label}]"
    rows: list[dict] = []
    errors: list[str] = []
    if out.error is not None:
        clock(f"ERROR in {where}: {out.error}")
        if out.trace:
            print(out.trace, end="", file=sys.stderr, flush=True)
        errors.append(f"{where}: {out.error}")
    else:
        try:
            rows = [_clean(r.to_json()) for r in tasks.judge_outcome(task, out)]
        except Exception:  # a verify module measuring what its construction lacks
            errors.append(_error(where, clock))
    part.seconds = round(part.seconds + time.perf_counter() - t, 2)
    part.cpu_seconds = round(part.cpu_seconds + time.process_time() - cpu, 2)
    return rows, errors


@dataclass
class FigureOutcome:
    """What :class:`FigureJob` drew: the figures, errors and the files' bytes."""

    name: str
    figures: list[latex.Figure] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    error: str | None = None
    reused: bool = False


@dataclass
class FigureJob:
    """One figure script of a construction, drawn in a worker into a private folder and sent
    back as bytes (so a Dask worker on another machine can draw it too).  A figure script
    measures what it shows itself (it needs no check of the run), so its job is queued with
    the checks from the start."""

    name: str
    module: str
    scale: str
    seed: int
    provenance: dict
    quiet: bool = True
    key = None                      # figures are not cached (a figure is a view of the code)

    @property
    def title(self) -> str:
        return f"{self.name}: figure {self.module}"

    def run(self) -> FigureOutcome:
        import tempfile

        t, cpu = time.perf_counter(), time.process_time()
        part = Part(self.name)
        with tempfile.TemporaryDirectory(prefix="superpose-figures-") as d:
            folder = Path(d).resolve()
            with plots.provenance(self.provenance), _working_dir(folder):
                _figures(part, self.scale, self.seed, folder, _Clock(quiet=self.quiet),
                         [self.module])
            files = {p.relative_to(folder).as_posix(): p.read_bytes()
                     for p in sorted(folder.rglob("*")) if p.is_file()}
        return FigureOutcome(part.name, part.figures, part.errors, files,
                             round(time.perf_counter() - t, 3),
                             round(time.process_time() - cpu, 3))


@contextlib.contextmanager
def _working_dir(path: Path):
    """Draw with the working directory in the report's own temporary folder: matplotlib
    takes a mathtext font name (``bb``, ``cmr10``, ...) for a file path when the working
    directory has an entry of that name, so a user's folder called ``bb`` broke every
    figure with ``\\mathbb`` (IsADirectoryError)."""
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def _draw_here(part: Part, scale: str, seed: int, tmp: Path, clock: _Clock,
               provenance: Mapping[str, Any]) -> None:
    t, cpu = time.perf_counter(), time.process_time()
    tmp = tmp.resolve()
    with plots.provenance(provenance), _working_dir(tmp):
        _figures(part, scale, seed, tmp, clock)
    part.seconds = round(part.seconds + time.perf_counter() - t, 2)
    part.cpu_seconds = round(part.cpu_seconds + time.process_time() - cpu, 2)


def default_jobs(n: int) -> int:
    """Worker processes: ``$SUPERPOSE_JOBS`` or one per core, at most ``n`` (tasks)."""
    return tasks.default_jobs(n)


def plan(names: Sequence[str], scale: str, seed: int,
         clock: _Clock) -> tuple[dict[str, Part], list[tasks.Task], list[str]]:
    """The parts and the task list: one task per (construction, scale case), in order."""
    parts = {n: Part(n) for n in names}
    todo: list[tasks.Task] = []
    owner: list[str] = []
    for name in names:
        part = parts[name]
        try:
            mod = _has_verify(name)
        except Exception:  # the verify module exists but does not import: keep the derivation
            part.errors.append(_error(f"import of verify.{snake(name)}", clock))
            continue
        if mod is None:
            part.notes.append("No Monte Carlo verification module yet for this construction.")
            continue
        for params, trials in mod.SCALES.get(scale, []):
            label = ", ".join(f"{k}={v}" for k, v in params.items())
            try:
                todo.append(tasks.check_task(name, params, trials, seed))
                owner.append(name)
            except Exception:  # a bug in a verify module (its SCALES), not the user's input
                part.errors.append(_error(f"checks of {name} [{label}]", clock))
    return parts, todo, owner


def run_parts(names: Sequence[str], scale: str, seed: int, tmp: Path, clock: _Clock,
              provenance: Mapping[str, Any], jobs: int | None = None, *,
              cluster: str | None = None, cache: bool = True,
              progress: bool | None = None) -> tuple[list[Part], dict[str, Any]]:
    """Every construction's part, in ``names`` order, and what the task layer did.

    The Monte Carlo cases run as tasks (:mod:`superpose.verify.tasks`: here, on local worker
    processes, or on a Dask cluster; finished ones reused from the cache); the verdicts are
    made here as each case arrives, the figures (one job per script, queued first) in the
    workers, or here when everything runs here.
    Every number depends only on the seed and on names, never on ``jobs`` or on which
    worker ran what.
    """
    parts, todo, owner = plan(names, scale, seed, clock)
    slot = [owner[:i].count(owner[i]) for i in range(len(owner))]
    left = {n: owner.count(n) for n in names}
    address = tasks.cluster_address(cluster)
    # A construction whose code is on disk (every task cacheable) is the same in a fresh
    # worker process, so its figures are drawn there; one defined at run time here.
    portable = {n: n in owner and all(t.code is not None for t, o in zip(todo, owner)
                                          if o == n) for n in names}
    if jobs is None:
        jobs = default_jobs(len(todo) + sum(len(figure_modules(n)) for n in names))
    jobs = max(1, int(jobs))
    parallel = address is not None or jobs > 1
    # The figure jobs go first: each is one script of a few seconds, the checks that follow
    # are shorter, so the workers finish together (and the verdicts, made here, overlap them).
    figjobs = [FigureJob(n, m, scale, seed, dict(provenance), clock.quiet)
               for n in names if parallel and portable[n] for m in figure_modules(n)]
    derived: dict[str, bool] = {}
    verdicts: dict[str, list] = {n: [None] * owner.count(n) for n in names}
    nf = len(figjobs)

    def done(i: int, out) -> list:
        if i < nf:                  # a figure: kept in `outcomes`, placed below
            return []
        i -= nf
        n = owner[i]
        parts[n].seconds += out.seconds
        parts[n].cpu_seconds += out.cpu_seconds
        # judged as it arrives (the verdicts overlap the workers' remaining tasks), kept in
        # the order of the cases
        if n not in derived:
            derived[n] = _derive(parts[n], clock)
        if derived[n]:
            verdicts[n][slot[i]] = _judge_run(parts[n], todo[i], out, clock)
        left[n] -= 1
        if left[n] or not derived[n]:
            return []
        for rows, errors in verdicts[n]:
            parts[n].checks.extend(rows)
            parts[n].errors.extend(errors)
        if not (parallel and portable[n]):
            _draw_here(parts[n], scale, seed, tmp, clock, provenance)
        return []

    outcomes = tasks.run([*figjobs, *todo], jobs=jobs, cluster=address,
                         cache=None if cache else False, progress=progress, on_done=done)
    for job, out in zip(figjobs, outcomes):   # in the order of the scripts
        part = parts[job.name]
        if not derived.get(job.name):
            continue               # no derivation: the section shows the error, no figures
        if not isinstance(out, FigureOutcome):      # the worker died drawing it
            part.errors.append(f"figure {job.module} of {job.name}: {out.error}")
            continue
        for rel, data in out.files.items():
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp / rel).write_bytes(data)
        part.figures.extend(out.figures)
        part.errors.extend(out.errors)
        if out.error:
            part.errors.append(f"figure {job.module} of {job.name}: {out.error}")
        part.seconds = round(part.seconds + out.seconds, 2)
        part.cpu_seconds = round(part.cpu_seconds + out.cpu_seconds, 2)
    for n in names:                 # constructions without Monte Carlo cases
        if n not in owner and _derive(parts[n], clock):
            _draw_here(parts[n], scale, seed, tmp, clock, provenance)
    checks = [o for o in outcomes[nf:] if isinstance(o, tasks.Outcome)]
    info = {"tasks": len(checks), "reused": sum(o.reused for o in checks),
            "reused_seconds": round(sum(o.seconds for o in checks if o.reused), 1),
            "jobs": f"the Dask cluster at {address}" if address else jobs}
    return [parts[n] for n in names], info


def run_latex(tmp: Path, clock: _Clock) -> tuple[bool, str]:
    """``latexmk -pdf`` in ``tmp`` with fixed dates: (success, output tail)."""
    clock("latex: latexmk -pdf report.tex")
    env = dict(os.environ, SOURCE_DATE_EPOCH=os.environ.get("SOURCE_DATE_EPOCH", "0"),
               FORCE_SOURCE_DATE="1")
    try:
        proc = subprocess.run(
            ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error",
             "report.tex"], cwd=tmp, env=env, stdin=subprocess.DEVNULL,
            capture_output=True, text=True, errors="replace", timeout=LATEX_TIMEOUT_S)
        ok = proc.returncode == 0 and (tmp / "report.pdf").is_file()
        log = proc.stdout + proc.stderr
    except subprocess.TimeoutExpired:
        ok, log = False, f"latexmk took longer than {LATEX_TIMEOUT_S} s"
    for ext in ("aux", "out", "toc", "fls", "fdb_latexmk", "lof", "lot", "bbl", "blg", "log"):
        f = tmp / f"report.{ext}"
        if f.exists() and ext != "log":
            f.unlink()
    if not ok and (tmp / "report.pdf").exists():
        (tmp / "report.pdf").unlink()
    return ok, log


def layout(log: str) -> dict[str, Any]:
    """What the LaTeX log says about the layout: pages, body pages, overfull boxes wider
    than 5 pt (with their lines) and floats too large for the page."""
    pages = re.findall(r"Output written on \S+ \((\d+) pages?", log)
    body = re.findall(r"superpose-body-pages: (\d+)", log)
    overfull = [(float(w), where) for w, where in
                re.findall(r"Overfull \\[hv]box \(([\d.]+)pt too \w+\) (.*)", log)]
    return {"pages": int(pages[-1]) if pages else None,
            "body_pages": int(body[-1]) if body else None,
            "overfull": [f"{w:.1f} pt {where}" for w, where in overfull if w > 5.0],
            "float_too_large": len(re.findall(r"Float too large", log))}


def typeset(tmp: Path, sections: Sequence[latex.Section], checks: Sequence[Mapping],
            meta: Mapping[str, Any], clock: _Clock) -> tuple[str, list[str], str | None]:
    """Write report.tex and build report.pdf: (pdf state, warnings, error).

    A construction whose author-written LaTeX breaks the build is typeset again in
    :func:`latex.safe_mode` (its strings shown as source text) and named in a warning;
    an error anywhere else is an error.
    """
    warnings: list[str] = []
    from superpose.reports.findings import BIB
    if BIB.is_file():
        shutil.copyfile(BIB, tmp / "references.bib")
    while True:
        tex = paper.document(sections, checks, meta)
        _write(tmp / "report.tex", tex)
        if shutil.which("latexmk") is None:
            _write(tmp / "report-pdf-missing.txt", HOW_TO_GET_LATEX)
            clock("latexmk not found: report.pdf skipped (see report-pdf-missing.txt)")
            return "not built: latexmk missing", warnings, None
        ok, log = run_latex(tmp, clock)
        if ok:
            try:
                lay = layout((tmp / "report.log").read_text(encoding="utf-8", errors="replace"))
            except OSError:
                lay = layout("")
            warnings += [f"LaTeX layout: overfull box {o}" for o in lay["overfull"]]
            if lay["float_too_large"]:
                warnings.append(f"LaTeX layout: {lay['float_too_large']} float(s) too large "
                                "for the page")
            pages = (f", {lay['pages']} pages (body {lay['body_pages']})"
                     if lay["pages"] else "")
            return "built" + pages, warnings, None
        lines = [int(m) for m in re.findall(r"report\.tex:(\d+):", log)]
        culprit = latex.section_at_line(tex, lines[0]) if lines else None
        sec = next((s for s in sections if s.construction.name == culprit and not s.safe), None)
        if sec is None:
            print("\n".join(log.splitlines()[-30:]), file=sys.stderr)
            return "failed", warnings, ("LaTeX failed to build report.pdf (see report.log; "
                                        "report.tex is complete)")
        msg = (f"the LaTeX of {culprit}'s section does not compile (report.tex line "
               f"{lines[0]}); typeset it again with its strings shown as source text")
        clock("WARNING: " + msg)
        warnings.append(msg)
        sec.safe = True


# ---------------------------------------------------------------- output files


def checks_markdown(sections: Sequence[latex.Section], meta: Mapping[str, Any]) -> str:
    from superpose.reports import findings as F

    def f(x: Any) -> str:
        return "-" if x is None else (str(x) if isinstance(x, int) else f"{x:.6g}")

    out = ["# superpose checks", "", *_meta_lines(meta), ""]
    for s in sections:
        out += [f"## {s.construction.name}", ""]
        if not s.checks:
            out += ["(no checks)", ""]
            continue
        out += ["| check | predicted | published | measured | CI (±t·SE) | t | verdict | notes |",
                "|---|---|---|---|---|---|---|---|"]
        for r in s.checks:
            lo, hi, _ = F.shown_interval(r)
            ci = "-" if lo is None else f"[{f(lo)}, {f(hi)}]"
            bar = "\\|"
            notes = "; ".join(x for x in (
                "; ".join([r.get("note") or ""] + F.remarks(r)).strip("; ").replace("|", bar),
                f"n={r['n']}, networks={r['n_networks']}" if r.get("n") is not None else "")
                if x)
            out.append(f"| `{r['name']}` | {f(r['predicted'])} | {f(r['predicted_published'])} "
                       f"| {f(r['measured'])} | {ci} | {f(r.get('z'))} | {r['verdict']} "
                       f"| {notes} |")
        out.append("")
    return "\n".join(out)


def _md_number(x: Any, digits: int = 3) -> str:
    if x is None:
        return "-"
    if isinstance(x, int):
        return str(x)
    return f"{float(x):.{digits}g}"


def findings_markdown(sections: Sequence[latex.Section],
                      checks: Sequence[Mapping]) -> list[str]:
    """The report's Findings as Markdown (math in ``$...$``, rendered by code-hosting sites)."""
    from superpose.reports import findings as F

    cons = [s.construction for s in sections]
    corr = F.corrections(cons, checks)
    ans, _ = F.answers(cons, checks)
    bib = F.bibliography()
    out = ["## Findings", ""]
    for title, rows in (("Published formulas the measurements contradict",
                         [c for c in corr if not c.asymptotic]),
                        ("Published asymptotic forms at the sizes run (compared, not judged)",
                         [c for c in corr if c.asymptotic])):
        out += _corrections_md(title, rows, bib)
    if ans:
        out += ["### Open questions answered", ""]
        for a in ans:
            out.append(f"- **{F.cite_text(a.question, bib)}** {F.cite_text(a.answer, bib)}"
                       + (f" (report.pdf: {a.where})" if a.where else ""))
        out.append("")
    return out


def _corrections_md(title: str, corr, bib) -> list[str]:
    from superpose.reports import findings as F

    out = [f"### {title}", ""]
    if not corr:
        out += ["None at this scale.", ""]
    else:
        out += ["Each row: a formula as its source states it, at the check where it is furthest "
                "off; *ours* is the value superpose derives there (†: our own check there did "
                "not pass or did not run); the last column is the range of measured/published − 1 "
                "over the checks outside tolerance (k of n checks).", "",
                "| published formula | source | at | published | ours | measured [interval] "
                "| measured vs published |", "|---|---|---|---|---|---|---|"]
        for c in corr:
            q, r = c.quantity, c.worst
            sym = latex.quantity_symbol(q)
            form = f"${sym}$"
            if q.closed_form is not None:
                body = latex.math(q.closed_form)
                if len(body) <= 90:
                    form = f"${sym} = {body}$"
            lo, hi, _ = F.shown_interval(r)
            meas = _md_number(r.get("measured")) + (
                f" [{_md_number(lo)}, {_md_number(hi)}]" if lo is not None else "")
            devs = c.deviations
            dev = (f"{devs[0]:+.0%}" if len(devs) == 1 else f"{devs[0]:+.0%} to {devs[-1]:+.0%}")
            at = ", ".join(f"{k}={v}" for k, v in (r.get("params") or {}).items())
            form = form.replace("|", "\\|")
            ours = _md_number(c.ours_value) + (
                " †" if c.ours_value is not None and c.ours_verdict != "pass" else "")
            out.append(f"| {form} | {F.cite_text(q.source, bib)} | {at} "
                       f"| {_md_number(r.get('predicted'))} | {ours} | {meas} "
                       f"| {dev} ({len(devs)} of {c.n_checks} checks) |")
        out.append("")
    return out


def summary_markdown(sections: Sequence[latex.Section], meta: Mapping[str, Any],
                     timings: Mapping[str, Any], pdf: str, warnings: Sequence[str] = (),
                     latex_error: str | None = None) -> str:
    out = ["# superpose report: summary", "", *_meta_lines(meta), f"- report.pdf: {pdf}", "",
           *findings_markdown(sections, [r for s in sections for r in s.checks]),
           "## Checks", "",
           "| construction | pass | fail | info | skip | errors | seconds | CPU seconds |",
           "|---|---|---|---|---|---|---|---|"]
    bad = []
    for s in sections:
        cnt = {v: 0 for v in latex.VERDICTS}
        for r in s.checks:
            cnt[r["verdict"]] = cnt.get(r["verdict"], 0) + 1
            if r["verdict"] == "fail":
                bad.append(r)
        wall, cpu = timings.get(s.construction.name, (0.0, 0.0))
        out.append(f"| {s.construction.name} | " + " | ".join(str(cnt[v]) for v in latex.VERDICTS)
                   + f" | {len(s.errors)} | {wall:.1f} | {cpu:.1f} |")
    jobs = timings.get("jobs", 1)
    out += ["", f"Total run time: {timings.get('total', 0):.1f} s "
            f"(LaTeX {timings.get('latex', 0):.1f} s) on "
            + (f"{jobs} worker process(es)" if isinstance(jobs, int) else str(jobs))
            + (f"; reused {timings['reused']} of {timings['tasks']} tasks "
               f"({timings.get('reused_seconds', 0):.1f} s of work) from the cache"
               if timings.get("reused") else "") + ".", ""]
    if bad:
        out += ["## Failing checks", ""] + [
            f"- `{r['name']}`: predicted {r['predicted']}, measured {r['measured']} "
            f"± {r['se']} (SE), n={r['n']}" for r in bad] + [""]
    else:
        out += ["No check failed.", ""]
    errors = [e for s in sections for e in s.errors] + ([latex_error] if latex_error else [])
    if errors:
        out += ["## Errors", ""] + [f"- {e}" for e in errors] + [""]
    if warnings:
        out += ["## Warnings", ""] + [f"- {w}" for w in warnings] + [""]
    return "\n".join(out)


def _write(path: Path, content: str) -> None:
    path.write_text(content, encoding="utf-8")


# ------------------------------------------------------------------------ the job


def validate(scale: str, seed: int, only: Sequence[str] | None) -> list[str]:
    """The constructions to report on, after validating the arguments (``BadInput``)."""
    if scale not in SCALES:
        raise BadInput(f"--scale must be one of {', '.join(SCALES)}, got {scale!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise BadInput(f"--seed must be a non-negative integer, got {seed!r}")
    known = registry.available()
    if only:
        for n in only:
            if n not in known:
                raise BadInput(f"unknown construction {n!r} (known: {', '.join(known)})")
        return [n for n in known if n in set(only)]
    return known


def build_report(out: str | os.PathLike = "superpose-report", scale: str = "quick",
                 seed: int = 0, only: Sequence[str] | None = None, *,
                 pdf: bool = True, jobs: int | None = None, cluster: str | None = None,
                 cache: bool = True, progress: bool | None = None) -> int:
    """Build the report folder ``out``; 0 if no check failed, 1 otherwise (2 via BadInput).

    ``pdf=False`` skips LaTeX (tests of the other files).  The Monte Carlo cases run as
    tasks (:mod:`superpose.verify.tasks`): ``jobs`` local worker processes (default one per
    core, ``$SUPERPOSE_JOBS``), or the Dask scheduler at ``cluster`` (default
    ``$SUPERPOSE_CLUSTER``); ``cache=False`` neither reads nor writes the task cache;
    ``progress`` prints a line per step and task on stderr (default: when stderr is a
    terminal; ``False`` also silences the "reused N of M tasks" line).  SIGTERM is handled like Ctrl-C (workers stopped, the temporary folder
    removed), then the process exits 143.
    """
    names = validate(scale, seed, only)
    target = check_target(out)
    show = progress
    if show is None:
        try:
            show = sys.stderr.isatty()
        except (AttributeError, ValueError):
            show = False
    clock = _Clock(quiet=not show)   # (the "reused" line is printed unless progress=False)
    with tasks.sigterm_as_exit():
        tmp, created = outdir.make_temp(target)
        try:
            meta = make_meta(scale, seed, names, only)
            provenance = {k: meta[k] for k in ("scale", "seed", "git_revision", "versions")}
            parts, info = run_parts(names, scale, seed, tmp, clock, provenance, jobs,
                                    cluster=cluster, cache=cache, progress=progress)
            timings: dict[str, Any] = {p.name: (p.seconds, p.cpu_seconds) for p in parts}
            sections = []
            for p in parts:
                try:
                    c = registry.get_construction(p.name)
                except Exception:  # (recorded by the part already)
                    c = registry.Construction(p.name, p.name, "(failed to load)", ())
                sections.append(latex.Section(c, p.checks, p.figures, p.notes, p.errors))
            checks = [r for s in sections for r in s.checks]
            errors = [e for s in sections for e in s.errors]
            data = {"schema_version": CHECKS_SCHEMA_VERSION, "meta": meta, "checks": checks,
                    "errors": errors}
            _write(tmp / "checks.json", json.dumps(_clean(data), sort_keys=True, indent=1) + "\n")
            _write(tmp / "checks.md", checks_markdown(sections, meta))
            t = time.perf_counter()
            if pdf:
                pdf_state, warnings, problem = typeset(tmp, sections, checks, meta, clock)
            else:
                _write(tmp / "report.tex", paper.document(sections, checks, meta))
                pdf_state, warnings, problem = "not built (pdf=False)", [], None
            if problem:
                errors.append(problem)
            timings["latex"] = round(time.perf_counter() - t, 2)
            timings["total"] = round(clock.elapsed(), 2)
            timings.update(info)
            summary = summary_markdown(sections, meta, timings, pdf_state, warnings, problem)
            _write(tmp / "summary.md", summary)
            _write(tmp / MARKER, marker_text(tmp))
            outdir.move_into_place(tmp, target, _is_report, "report", _foreign)
        except BaseException as exc:
            outdir.discard(tmp, created)
            if isinstance(exc, tasks.Terminated):
                print("superpose: terminated (SIGTERM); workers stopped, nothing written",
                      file=sys.stderr, flush=True)
            raise
    n_fail = sum(r["verdict"] == "fail" for r in checks)
    clock(f"wrote {target}: {len(checks)} checks, {n_fail} failed, {len(errors)} errors",
          always=True)
    return 1 if n_fail or errors else 0
