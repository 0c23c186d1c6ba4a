"""The public Python API (``superpose.evaluate``, ``verify``, ``build``, ``load``, listings).

What is established here: ``import superpose`` loads none of the heavy dependencies; numpy
scalars and arrays give exactly the scalar call's values; ``verify`` returns the same record
as ``superpose verify NAME --json`` for the same seed and trials; errors name the parameter,
not a command-line flag; ``build``'s ``sample_inputs`` takes a seed or a Generator with the same
result; importing superpose and evaluating leaves matplotlib's global state alone.

What is not: that the values are right (the derive and check tests do that).
"""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import types

import numpy as np
import pytest

import superpose
from superpose import api
from superpose.derive.quantity import get_construction, get_quantity

RMS = "uand-random.rms_error_constant"     # float closed form, parameters l >= 2, 0 <= on <= 2
CIRCUITS = "pingpong.circuits"            # integer closed form, parameters D, d


def _python(code: str) -> str:
    """Run ``code`` in a fresh interpreter; its stdout (a failure shows stderr)."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


# ------------------------------------------------------------------------- package


def test_import_superpose_is_light():
    out = _python("import sys, superpose; heavy = ('numpy', 'sympy', 'mpmath', 'scipy', "
                  "'matplotlib', 'superpose.api'); "
                  "print(superpose.__version__, [m for m in heavy if m in sys.modules])")
    from importlib.metadata import version

    assert out.split(" ", 1) == [version("superpose"), "[]\n"]


def test_names_are_served_from_api():
    assert superpose.api is api
    for name in api.__all__:
        assert name in superpose.__all__ and name in dir(superpose)
        if name != "verify":
            assert getattr(superpose, name) is getattr(api, name)
    from superpose.derive.quantity import BadInput

    assert superpose.BadInput is BadInput and issubclass(BadInput, ValueError)
    with pytest.raises(AttributeError, match="no_such_name"):
        superpose.no_such_name


def test_verify_is_the_subpackage_and_callable():
    # superpose.verify is bound by the import system to the subpackage superpose.verify;
    # the module still has its submodules and calling it is api.verify.
    import superpose.verify.check

    assert isinstance(superpose.verify, types.ModuleType)
    assert superpose.verify.check.run_checks is not None
    res = superpose.verify("bounds", trials=5, seed=1)
    assert isinstance(res, api.Results)
    assert res.to_json() == api.verify("bounds", trials=5, seed=1).to_json()


def test_verify_callable_whichever_import_came_first():
    out = _python("import superpose.verify.check, superpose; "
                  "print(type(superpose.verify('bounds', trials=5)).__name__)")
    assert out == "Results\n"


def test_docstring_examples():
    import doctest

    failed, tried = doctest.testmod(api, optionflags=doctest.ELLIPSIS)
    assert tried >= 5 and failed == 0


# ------------------------------------------------------------------------ evaluate


def test_evaluate_scalar_types_agree():
    want = get_quantity(RMS).evaluate({"l": 5, "on": 2})
    for l, on in [(5, 2), (np.int64(5), np.int32(2)), (np.float64(5.0), 2.0),
                  (np.array(5), np.uint8(2))]:
        got = superpose.evaluate(RMS, l=l, on=on)
        assert type(got) is float and got == want
    assert superpose.evaluate(RMS) == get_quantity(RMS).evaluate({})   # defaults


def test_evaluate_integer_quantity_returns_int():
    got = superpose.evaluate(CIRCUITS, D=np.int64(100), d=4)
    assert type(got) is int and got == get_quantity(CIRCUITS).evaluate({"D": 100, "d": 4})


def test_evaluate_algorithm_returns_a_python_number():
    # an algorithm (``compute``) may produce a NumPy scalar; the API hands back a Python one
    name = "rotations.x_mse_inactive_relu"
    assert get_quantity(name).compute is not None
    got = superpose.evaluate(name)
    assert type(got) is float and got == float(get_quantity(name).evaluate({}))


def test_evaluate_array_equals_scalar_calls():
    ls = np.arange(2, 14)
    got = superpose.evaluate(RMS, l=ls, on=2)
    assert got.shape == ls.shape and got.dtype == np.float64
    for l, v in zip(ls, got):
        assert v == superpose.evaluate(RMS, l=int(l), on=2)
    assert np.array_equal(superpose.evaluate(RMS, l=list(ls), on=2), got)   # a list too


def test_evaluate_broadcasts():
    ls, ons = np.array([[3], [4], [9]]), [0, 1, 2]
    got = superpose.evaluate(RMS, l=ls, on=ons)
    assert got.shape == (3, 3)
    for i in range(3):
        for j in range(3):
            assert got[i, j] == superpose.evaluate(RMS, l=int(ls[i, 0]), on=ons[j])


def test_evaluate_integer_array_is_int():
    Ds = np.array([8, 96, 1000])      # d divides D
    got = superpose.evaluate(CIRCUITS, D=Ds, d=[[4], [8]])
    assert got.dtype == np.int64 and got.shape == (2, 3)
    for i, d in enumerate((4, 8)):
        for j, D in enumerate(Ds):
            assert got[i, j] == superpose.evaluate(CIRCUITS, D=int(D), d=d)


def _no_flag(exc) -> str:
    msg = str(exc.value)
    assert "--" not in msg, msg
    return msg


def test_evaluate_errors_name_the_parameter():
    with pytest.raises(superpose.BadInput) as e:
        superpose.evaluate(RMS, l=3, x=1)
    assert "'x'" in _no_flag(e)
    with pytest.raises(superpose.BadInput) as e:
        superpose.evaluate(RMS, l=1)
    assert "parameter l" in _no_flag(e)
    with pytest.raises(superpose.BadInput) as e:          # bad element: its index
        superpose.evaluate(RMS, l=[3, 4, 1], on=2)
    assert "parameter l" in _no_flag(e) and "index 2" in str(e.value)
    with pytest.raises(superpose.BadInput) as e:
        superpose.evaluate(RMS, l=[3, 4], on=[0, 1, 2])
    assert "l (2,)" in _no_flag(e) and "on (3,)" in str(e.value)
    with pytest.raises(superpose.BadInput) as e:
        superpose.evaluate(RMS, l=[True, False])
    assert "parameter l" in _no_flag(e)
    with pytest.raises(superpose.BadInput) as e:
        superpose.evaluate(RMS, l=[3, 4], x=1)
    assert "'x'" in _no_flag(e)
    with pytest.raises(superpose.BadInput):
        superpose.evaluate("uand-random")                # not construction.quantity
    measured = next(q for q in get_construction("uand-random").quantities if q.is_measured_only)
    with pytest.raises(superpose.BadInput, match="measured"):
        superpose.evaluate(measured.name)


def test_missing_parameter_names_it_not_a_flag():
    from superpose.derive.quantity import Param

    with pytest.raises(superpose.BadInput) as e:
        api._require((Param("k", int, lo=1),), {}, "demo.q")
    assert "parameter k" in _no_flag(e)


# -------------------------------------------------------------------------- verify


def test_verify_matches_the_cli_json(capsys):
    from superpose.reports.cli import main

    rc = main(["verify", "uand-random", "--trials", "400", "--seed", "3", "--param", "N=128",
               "--json"])
    cli = json.loads(capsys.readouterr().out)
    res = superpose.verify("uand-random", trials=np.int64(400), seed=np.int64(3),
                           N=np.int64(128))
    ours = json.loads(json.dumps(res.to_json(), allow_nan=False))
    assert ours.pop("schema_version") == api.CHECKS_SCHEMA_VERSION
    assert cli.pop("schema_version") == api.CHECKS_SCHEMA_VERSION
    assert ours == cli
    assert (res.construction, res.seed, res.trials) == ("uand-random", 3, 400)
    assert type(res.seed) is int and type(res.trials) is int
    assert res.params == cli["params"] and res.params["N"] == 128
    assert res.passed == (rc == 0)
    assert len(res) == len(res.checks) == len(cli["checks"]) > 0
    assert list(res) == res.checks and res[0] is res.checks[0]
    assert sum(res.counts().values()) == len(res)


def test_verify_default_trials(monkeypatch):
    from superpose.verify.check import verify_module

    monkeypatch.setattr(verify_module("bounds"), "DEFAULT_TRIALS", 7)   # a fast default
    res = superpose.verify("bounds", seed=2)
    assert res.trials == 7
    assert res.to_json() == superpose.verify("bounds", trials=7, seed=2).to_json()


@pytest.fixture(scope="module")
def small() -> api.Results:
    """A fast run with more checks than the repr shows."""
    return superpose.verify("bounds", trials=5, seed=0)


def test_results_passed_and_failed(small):
    res = small
    assert res.passed == (not any(c.verdict == "fail" for c in res.checks))
    bad = [dataclasses.replace(c, verdict="fail") if i == 1 else c
           for i, c in enumerate(res.checks)]
    broken = api.Results("bounds", res.params, res.seed, res.trials, bad)
    assert not broken.passed and broken.failed == [bad[1]]
    assert "FAILED 1" in repr(broken)


def test_results_repr_and_html(small):
    res = small
    text = repr(res)
    assert text.startswith("Results('bounds', seed=0, trials=5)")
    lines = text.splitlines()
    assert lines[3].startswith(res.checks[0].verdict) and res.checks[0].name in lines[3]
    assert len(res) > api._REPR_ROWS and len(lines) == 3 + api._REPR_ROWS + 1
    assert lines[-1].startswith(f"... {len(res) - api._REPR_ROWS} more")
    html = res._repr_html_()
    assert html.count("<tr>") == len(res) + 1


def test_results_to_frame(small):
    pd = pytest.importorskip("pandas")
    res = small
    df = res.to_frame()
    assert isinstance(df, pd.DataFrame) and len(df) == len(res)
    assert list(df.columns) == list(api._FRAME_COLUMNS)
    for row, c in zip(df.itertuples(), res.checks):
        j = c.to_json()
        assert (row.name, row.verdict, row.params) == (j["name"], j["verdict"], j["params"])
        assert [row.ci_low, row.ci_high] == j["ci"]
        assert row.measured == j["measured"]


def test_to_frame_without_pandas(small, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"pip install 'superpose\[frame\]'"):
        small.to_frame()


def test_to_json_follows_the_shipped_schema(small):
    jsonschema = pytest.importorskip("jsonschema")
    from importlib import resources

    schema = json.loads(resources.files("superpose").joinpath("schemas", "checks.schema.json")
                        .read_text())
    doc = json.loads(json.dumps(small.to_json()))
    jsonschema.Draft202012Validator(schema).validate(doc)


@pytest.mark.parametrize("kw, word", [
    ({"trials": 0}, "trials"), ({"trials": True}, "trials"), ({"trials": 2.5}, "trials"),
    ({"seed": -1}, "seed"), ({"seed": "0"}, "seed"), ({"l": 99}, "parameter l"),
    ({"x": 1}, "'x'"), ({"progress": 3}, "progress"),
])
def test_verify_errors_name_the_parameter(kw, word):
    with pytest.raises(superpose.BadInput) as e:
        superpose.verify("uand-random", **kw)
    assert word in _no_flag(e)


def test_verify_unknown_construction():
    with pytest.raises(superpose.BadInput, match="unknown construction 'nope'"):
        superpose.verify("nope")


def test_verify_progress_is_called():
    seen = []
    superpose.verify("uand-random", trials=128, progress=seen.append)
    assert seen and all(isinstance(m, str) for m in seen)


# ------------------------------------------------------------------ build and load


def _exporter():
    try:
        from superpose.reports import export
    except ModuleNotFoundError:
        pytest.skip("superpose.reports.export does not exist yet (the exporter moves there)")
    return export


def test_build_sample_inputs_seed_or_generator(tmp_path):
    export = _exporter()
    net = superpose.build("uand-random", seed=np.int64(0), N=64, m=8)
    again = superpose.build("uand-random", seed=0, N=64, m=8)
    assert net.arrays.keys() == again.arrays.keys()
    assert all(np.array_equal(net.arrays[k], again.arrays[k]) for k in net.arrays)
    a = net.sample_inputs(16, 7)
    b = net.sample_inputs(16, np.random.default_rng(7))
    c = net.sample_inputs(16, np.int64(7))
    assert a.keys() == b.keys() == c.keys() and "input" in a and "target" in a
    for k in a:
        assert np.array_equal(a[k], b[k]) and np.array_equal(a[k], c[k])
    other = net.sample_inputs(16, 8)
    assert not np.array_equal(a["input"], other["input"])
    y = net.forward(a["input"])
    assert y.shape == a["target"].shape
    path = export.write(net, tmp_path / "net")
    loaded = superpose.load(path)
    assert np.array_equal(loaded.forward(a["input"]), y)


def test_build_errors_name_the_parameter():
    _exporter()
    with pytest.raises(superpose.BadInput) as e:
        superpose.build("uand-random", seed=-1)
    assert "seed" in _no_flag(e)
    with pytest.raises(superpose.BadInput, match="'x'"):
        superpose.build("uand-random", x=1)
    with pytest.raises(superpose.BadInput) as e:
        superpose.build("uand-random", storage="sparse")
    assert "storage" in _no_flag(e)


def test_build_factored_gives_the_dense_outputs():
    _exporter()
    dense = superpose.build("uand-random", seed=3, N=32, m=6)
    factored = superpose.build("uand-random", seed=3, N=32, m=6, storage="factored")
    assert (dense.storage, factored.storage) == ("dense", "factored")
    x = dense.sample_inputs(8, 0)["input"]
    assert np.allclose(dense.forward(x), factored.forward(x), rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------- listings


def test_constructions_in_order():
    from superpose.derive.quantity import available

    names = superpose.constructions()
    assert names == available()
    builtin = ["uand-random", "uand-sparse", "costs", "pingpong", "cis2", "rotations", "bounds"]
    assert [n for n in names if n in builtin] == builtin


def test_quantities():
    assert superpose.quantities("pingpong") == \
        [q.name for q in get_construction("pingpong").quantities]
    every = superpose.quantities()
    assert set(superpose.quantities("pingpong")) < set(every) and RMS in every
    recs = superpose.quantities("pingpong", detail=True)
    assert [r["name"] for r in recs] == superpose.quantities("pingpong")
    assert recs[0] == get_construction("pingpong").quantities[0].describe()
    with pytest.raises(superpose.BadInput):
        superpose.quantities("nope")


def test_parameters():
    from superpose.verify.check import verify_module

    ps = superpose.parameters("uand-random")
    assert ps == [p.describe() for p in verify_module("uand-random").PARAMS]
    assert {"name", "type", "default", "min", "max", "doc"} <= set(ps[0])
    qs = superpose.parameters(RMS)
    assert [p["name"] for p in qs] == ["l", "on"]
    assert qs[0]["type"] == "int" and qs[0]["min"] == 2
    for bad in ("nope", "uand-random.nope"):
        with pytest.raises(superpose.BadInput):
            superpose.parameters(bad)
    with pytest.raises(superpose.BadInput, match="which"):
        superpose.parameters("uand-random", which="nope")


def test_parameters_of_the_network():
    export = _exporter()
    ps = superpose.parameters("uand-random", which="build")
    assert ps == [p.describe() for p in export.spec("uand-random").params]
    assert {"N", "l", "m"} <= {p["name"] for p in ps}
    with pytest.raises(superpose.BadInput):
        superpose.parameters("costs", which="build")       # not exportable


# --------------------------------------------------------------------- matplotlib


_MPL_STATE = """
import matplotlib
matplotlib.use("pdf")                     # the user's choices, to be kept
matplotlib.rcParams["font.size"] = 13.5
before_backend, before = matplotlib.get_backend(), dict(matplotlib.rcParams.copy())
{body}
after = dict(matplotlib.rcParams.copy())
changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
print(before_backend, matplotlib.get_backend(), changed)
"""


def test_import_and_evaluate_leave_matplotlib_alone():
    body = ("import superpose, superpose.api\n"
            f"superpose.evaluate({RMS!r}, l=[3, 4], on=2)\n"
            "superpose.verify('bounds', trials=5)\n")
    assert _python(_MPL_STATE.format(body=body)) == "pdf pdf []\n"


def test_importing_every_module_leaves_matplotlib_alone():
    body = ("import importlib, pkgutil, superpose\n"
            "for m in pkgutil.walk_packages(superpose.__path__, 'superpose.'):\n"
            "    importlib.import_module(m.name)\n"
            "for sub in ('derive', 'verify', 'reports'):\n"
            "    pkg = importlib.import_module('superpose.' + sub)\n"
            "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
            "        importlib.import_module(m.name)\n")
    assert _python(_MPL_STATE.format(body=body)) == "pdf pdf []\n"
