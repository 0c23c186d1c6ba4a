"""The architecture's rules, checked on the source and on the live registry.

* Data flows one way (DESIGN.md, "Data flow"): ``derive`` never imports ``verify`` or
  ``reports``; ``verify`` never imports ``reports`` -- checked on the AST of every module
  (plain, ``from``, relative and ``importlib.import_module("...")`` imports).
* Randomness comes from :mod:`verify.rng` only: no global NumPy RNG (``np.random.normal``,
  ``np.random.seed``, ``default_rng``...), no stdlib ``random``, no SciPy ``rvs`` without
  ``random_state``, anywhere in derive/verify/reports.
* Every registered quantity is a complete record: a definition, a known statistic and
  accuracy, a closed form in its own parameters (or ``compute``, or measured-only), a
  unique LaTeX label, and a name ``construction.snake_name`` with a kebab-case construction
  that matches its module.
* Verify modules and figure scripts follow their interface (PARAMS, DEFAULT_TRIALS,
  SCALES, measure; CAPTION, make).

What this does not establish: that the modules are *correct* (their own tests do that).
"""
from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest
import sympy as sp

from superpose.derive import quantity as registry
from superpose.derive.quantity import ACCURACIES, STATISTICS, Step, bind_params, snake

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("derive", "verify", "reports")
FORBIDDEN = {"derive": {"verify", "reports"}, "verify": {"reports"}, "reports": set()}
KEBAB = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
# snake_case; capitals allowed inside a word for math names (``overlap_ms_dD``: d/D)
SNAKE = re.compile(r"^[a-z][A-Za-z0-9]*(_[A-Za-z0-9]+)*$")


def modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, root: Path = ROOT) -> set[str]:
    """Every module name that ``path`` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.add(mod)
            out.update(f"{mod}.{a.name}" for a in node.names)
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", ""))
              in ("import_module", "__import__") and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            out.add(node.args[0].value)
    return out


def layer(module: str) -> str:
    """The layer a module name belongs to: ``superpose.verify.check`` -> ``verify``.

    Internal imports all use the installed ``superpose.`` names, so the prefix is stripped
    before the layer is read (otherwise every import would look like the facade's).
    """
    parts = module.split(".")
    if parts[0] == "superpose" and len(parts) > 1:
        return parts[1]
    return parts[0]


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_import_direction(path):
    """derive imports neither verify nor reports; verify does not import reports."""
    top = path.relative_to(ROOT).parts[0]
    bad = sorted(m for m in imported(path) if layer(m) in FORBIDDEN[top])
    assert bad == [], f"{path.relative_to(ROOT)} imports {bad} against the data flow"


def test_import_scan_sees_violations(tmp_path):
    """The scanner itself catches plain, from, relative and importlib imports."""
    pkg = tmp_path / "derive"
    pkg.mkdir()
    f = pkg / "bad.py"
    f.write_text("import verify.check\nfrom reports import latex\nfrom ..verify import rng\n"
                 "import importlib\nimportlib.import_module('superpose.reports.report')\n")
    got = imported(f, root=tmp_path)
    assert {"verify.check", "reports", "verify", "superpose.reports.report"} <= got
    # and the direction rule flags every one of them once the prefix is stripped
    assert {layer(m) for m in got if m != "importlib"} == {"verify", "reports"}


def test_direction_rule_fails_on_a_planted_violation(tmp_path):
    """A derive module importing superpose.verify is reported, prefix and all."""
    pkg = tmp_path / "derive"
    pkg.mkdir()
    f = pkg / "planted.py"
    f.write_text("from superpose.verify.check import Z\n")
    bad = sorted(m for m in imported(f, root=tmp_path) if layer(m) in FORBIDDEN["derive"])
    assert bad == ["superpose.verify.check", "superpose.verify.check.Z"]


def test_old_top_level_names_are_not_installed(tmp_path):
    """``import derive`` fails outside the source tree; ``import superpose`` works."""
    import subprocess
    import sys

    code = ("import importlib.util as u, superpose; "
            "print([u.find_spec(n) is None for n in ('derive', 'verify', 'reports')], "
            "superpose.__version__)")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, check=True).stdout
    assert out.startswith("[True, True, True]")


# ----------------------------------------------------------------------- randomness

NUMPY_RNG_TYPES = {"Generator", "SeedSequence", "BitGenerator", "PCG64"}


def rng_violations(path: Path) -> list[str]:
    """Global-RNG uses in one file (verify/rng.py may construct Generators)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    np_names, random_names, bad = {"numpy"}, set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "numpy":
                    np_names.add(a.asname or "numpy")
                elif a.name == "numpy.random":
                    random_names.add(a.asname or "numpy.random")
                elif a.name == "random":
                    bad.append(f"line {node.lineno}: import random (stdlib global RNG)")
        elif isinstance(node, ast.ImportFrom):
            if node.module == "numpy" and any(a.name == "random" for a in node.names):
                random_names.add(next(a.asname or "random" for a in node.names
                                      if a.name == "random"))
            elif node.module == "numpy.random":
                bad += [f"line {node.lineno}: from numpy.random import {a.name}"
                        for a in node.names if a.name not in NUMPY_RNG_TYPES]
            elif node.module == "random":
                bad.append(f"line {node.lineno}: from random import ... (stdlib global RNG)")
    # Generators are made in verify/rng.py (Monte Carlo streams) and in derive/common.py's
    # fixed_generator (objects that are part of a construction's definition, e.g. a random code)
    seeded = path.as_posix().endswith(("verify/rng.py", "derive/common.py"))
    allowed = NUMPY_RNG_TYPES if seeded else set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Attribute):
            owner = f.value
            # np.random.<fn>(...)
            if (isinstance(owner, ast.Attribute) and owner.attr == "random"
                    and isinstance(owner.value, ast.Name) and owner.value.id in np_names
                    and f.attr not in allowed):
                bad.append(f"line {node.lineno}: {owner.value.id}.random.{f.attr}(...)")
            # npr.<fn>(...) with npr = numpy.random
            elif (isinstance(owner, ast.Name) and owner.id in random_names
                  and f.attr not in allowed):
                bad.append(f"line {node.lineno}: {owner.id}.{f.attr}(...)")
            # scipy distributions: .rvs(...) must be given random_state
            elif f.attr == "rvs" and not any(k.arg == "random_state" for k in node.keywords):
                bad.append(f"line {node.lineno}: .rvs(...) without random_state")
    return bad


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_global_rng(path):
    """Random numbers come from a Generator made by verify.rng, passed explicitly."""
    assert rng_violations(path) == []


def test_rng_scan_sees_violations(tmp_path):
    """The scanner catches np.random.normal, default_rng, seed, stdlib random, bare rvs."""
    f = tmp_path / "x.py"
    f.write_text("import numpy as np\nimport random\nfrom numpy.random import default_rng\n"
                 "np.random.seed(0)\nx = np.random.normal(size=3)\n"
                 "from scipy import stats\nstats.norm.rvs(size=2)\n"
                 "g: np.random.Generator = None\n")
    assert len(rng_violations(f)) == 5


# ------------------------------------------------------------------------- registry


def quantities():
    out = []
    for name in registry.available():
        try:
            out += registry.get_construction(name).quantities
        except Exception:  # reported by test_construction_loads
            pass
    return out


@pytest.mark.parametrize("name", registry.available())
def test_construction_loads(name):
    """Each construction module builds its Construction, named after the module."""
    c = registry.get_construction(name)
    assert c.name == name and KEBAB.match(name), name
    assert c.title and c.quantities


@pytest.mark.parametrize("q", quantities(), ids=lambda q: q.name)
def test_quantity_record_is_complete(q):
    """Definition, statistic, accuracy, prediction (or measured-only), parameters, steps."""
    cname, short = q.name.split(".", 1)
    assert KEBAB.match(cname), f"{q.name}: construction name is not kebab-case"
    assert SNAKE.match(short), f"{q.name}: quantity name is not snake_case"
    assert q.definition is not None and q.definition != "", f"{q.name}: no definition"
    assert q.statistic in STATISTICS and q.accuracy in ACCURACIES
    if q.closed_form is not None:
        assert isinstance(q.closed_form, sp.Basic)
        own = set(q.symbols().values())
        stray = q.closed_form.free_symbols - own
        assert not stray, f"{q.name}: closed form uses {stray}, not among its parameters"
    if q.compute is not None:
        assert callable(q.compute)
        sig = inspect.signature(q.compute)
        takes_kw = any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values())
        assert takes_kw or {p.name for p in q.params} <= set(sig.parameters), q.name
    assert q.is_measured_only == (q.closed_form is None and q.compute is None)
    for p in q.params:
        assert p.name.isidentifier(), f"{q.name}: parameter name {p.name!r}"
        if p.default is not None:
            assert p.parse(p.default) == p.default, f"{q.name}: default of {p.name} invalid"
    for st in q.steps:
        assert isinstance(st, Step) and isinstance(st.why, str)
        for side in (st.lhs, st.rhs):
            assert side is None or isinstance(side, (str, int, float, sp.Basic)), q.name


def test_latex_labels_unique():
    """Each quantity's equation label is unique (LaTeX labels and links must be)."""
    labels = [q.eq_label or q.name for q in quantities()]
    dup = sorted({x for x in labels if labels.count(x) > 1})
    assert dup == []


# -------------------------------------------------------------- verify / figures


def verify_modules():
    out = []
    for name in registry.available():
        try:
            out.append((name, importlib.import_module(f"superpose.verify.{snake(name)}")))
        except ModuleNotFoundError as exc:
            if exc.name != f"superpose.verify.{snake(name)}":
                raise
    return out


@pytest.mark.parametrize("name, mod", verify_modules(), ids=lambda x: getattr(x, "__name__", x))
def test_verify_module_interface(name, mod):
    """PARAMS, DEFAULT_TRIALS, SCALES (smoke/quick/paper, each case binds), measure."""
    assert isinstance(mod.PARAMS, tuple)
    assert isinstance(mod.DEFAULT_TRIALS, int) and mod.DEFAULT_TRIALS >= 1
    assert set(mod.SCALES) >= {"smoke", "quick", "paper"}
    assert callable(mod.measure)
    assert {"trials", "seed", "progress"} <= set(inspect.signature(mod.measure).parameters)
    constraint = getattr(mod, "constraint", None)
    for scale, cases in mod.SCALES.items():
        for params, trials in cases:
            bind_params(mod.PARAMS, params, what=f"{name} SCALES[{scale}]",
                        constraint=constraint)
            assert isinstance(trials, int) and trials >= 1, (scale, params, trials)


def figure_scripts():
    import superpose.reports.figures as pkg
    return sorted(p.stem for p in Path(pkg.__file__).parent.glob("*.py")
                  if p.name != "__init__.py")


@pytest.mark.parametrize("stem", figure_scripts())
def test_figure_script_interface(stem):
    """A figure script is named after a known construction and has ``make`` (which returns
    (file, caption) pairs, or files with a module CAPTION)."""
    assert any(stem.startswith(snake(n) + "_") for n in registry.available()), stem
    mod = importlib.import_module(f"superpose.reports.figures.{stem}")
    if hasattr(mod, "CAPTION"):
        assert isinstance(mod.CAPTION, str) and mod.CAPTION.strip()
    params = list(inspect.signature(mod.make).parameters)
    assert params[:3] == ["outdir", "scale", "seed"] and "progress" in params
