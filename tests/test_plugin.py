"""A third-party construction, installed from its own package, runs through ``superpose``.

The worked example of the guide (``examples/my_construction``, docs/guide/construction.md) is
installed the way pip lays out ``pip install --target``: the package folder beside a
``*.dist-info`` folder whose ``entry_points.txt`` is written from the example's own
``pyproject.toml`` (so the entry point tested is the one the example declares).  The command
line then runs in a fresh interpreter with that folder on ``PYTHONPATH``; the test process's
registry is never touched.  (A real ``pip install --no-build-isolation`` needs setuptools >= 68
and ``wheel`` in the environment, which CI's fresh venv does not promise; the layout is the same.)

What this does not establish: that the example's numbers are right beyond the Monte Carlo test
(the quadrature test below does that for the closed forms).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "my_construction"
PACKAGE = "my_construction"
NAME = "relu-neuron"
# The one line of the example a mutant changes: the mean's closed form, 10 % too large.
RIGHT = '_moment("mean", "mean", 1, relu_mean(b, s),'
WRONG = '_moment("mean", "mean", 1, 1.1 * relu_mean(b, s),'


def install(site: Path, mutate: tuple[str, str] | None = None) -> Path:
    """Lay the example out in ``site`` as ``pip install --target site`` would."""
    meta = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]
    shutil.copytree(EXAMPLE / PACKAGE, site / PACKAGE,
                    ignore=shutil.ignore_patterns("__pycache__"))
    if mutate is not None:
        path = site / PACKAGE / "theory.py"
        text = path.read_text()
        assert text.count(mutate[0]) == 1, "the mutated line is no longer in the example"
        path.write_text(text.replace(*mutate))
    dist = site / f"{meta['name'].replace('-', '_')}-{meta['version']}.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {meta['name']}\nVersion: {meta['version']}\n")
    eps = meta["entry-points"]["superpose.constructions"]
    (dist / "entry_points.txt").write_text(
        "[superpose.constructions]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()))
    return site


def superpose(site: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(site)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    return subprocess.run([sys.executable, "-m", "superpose.reports.cli", *args],
                          capture_output=True, text=True, env=env, cwd=site, timeout=120)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return install(tmp_path_factory.mktemp("site"))


def test_example_declares_its_entry_point():
    """The example's pyproject registers relu-neuron in the superpose.constructions group."""
    meta = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]
    assert {NAME: f"{PACKAGE}:ENTRY"} == meta["entry-points"]["superpose.constructions"]


def test_installed_example_is_listed(site):
    """`superpose list` shows the plugin's construction and its quantities."""
    r = superpose(site, "list", "--json")
    assert 0 == r.returncode, r.stderr
    listing = {c["name"]: c for c in json.loads(r.stdout)}
    assert NAME in listing
    assert ["relu-neuron.mean", "relu-neuron.mean_square"] == \
        [q["name"] for q in listing[NAME]["quantities"]]
    assert "uand-random" in listing  # the built-ins are still there


def test_installed_example_verifies(site):
    """`superpose verify relu-neuron --json` exits 0 and every check of the plugin passes."""
    r = superpose(site, "verify", NAME, "--json", "--param", "b=-1", "--param", "sigma=2")
    assert 0 == r.returncode, r.stderr
    out = json.loads(r.stdout)
    assert NAME == out["construction"]
    assert {"b": -1.0, "sigma": 2.0, "n": 16} == out["params"]
    checks = out["checks"]
    assert ["relu-neuron.mean", "relu-neuron.mean_square"] == [c["quantity"] for c in checks]
    assert all("pass" == c["verdict"] for c in checks), checks
    assert all(c["n"] == out["trials"] and c["n_networks"] > 1000 for c in checks)


def test_wrong_closed_form_fails(tmp_path):
    """The same example with the mean 10 % too large: the mean check fails, exit 1."""
    site = install(tmp_path, mutate=(RIGHT, WRONG))
    r = superpose(site, "verify", NAME, "--json")
    assert 1 == r.returncode, r.stderr
    verdicts = {c["quantity"]: c["verdict"] for c in json.loads(r.stdout)["checks"]}
    assert {"relu-neuron.mean": "fail", "relu-neuron.mean_square": "pass"} == verdicts


def test_example_survives_the_mutation_audit(site):
    """`superpose audit --only relu-neuron`: every mutant of both closed forms is caught."""
    r = superpose(site, "audit", "--only", NAME, "--json")
    assert 0 == r.returncode, r.stderr
    rows = json.loads(r.stdout)
    assert ["relu-neuron.mean", "relu-neuron.mean_square"] == [a["quantity"] for a in rows]
    assert all("all-caught" == a["status"] for a in rows), rows


def test_example_closed_forms_match_their_definitions(monkeypatch):
    """Each closed form equals its definition, integrated by quadrature (mpmath, 30 digits)."""
    import mpmath
    import sympy as sp

    from superpose.verify.protocol import conformance_errors

    monkeypatch.syspath_prepend(str(EXAMPLE))
    try:
        import my_construction.network as network
        import my_construction.theory as theory

        assert [] == conformance_errors(network)
        c = theory.construction()
        for q in c.quantities:
            integrand, (z, lo, hi) = q.definition.function, q.definition.limits[0]
            for b, sigma in ((0.5, 1.0), (-1.0, 2.0), (3.0, 0.25)):
                f = sp.lambdify(z, integrand.subs({theory.B.symbol: b,
                                                   theory.SIGMA.symbol: sigma}), "mpmath")
                with mpmath.workdps(30):
                    kink = mpmath.mpf(-b) / sigma
                    value = mpmath.quad(f, [-mpmath.inf, kink, mpmath.inf])
                    assert abs(value - q.evaluate_mp({"b": b, "sigma": sigma})) < 1e-20, q.name
    finally:
        for mod in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[mod]
