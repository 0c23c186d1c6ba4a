"""The JSON Schemas shipped in ``superpose/schemas`` describe what superpose really writes.

* ``checks.schema.json``: ``checks.json`` of a report and ``superpose verify NAME --json``
  (one check record shape, one ``schema_version``);
* ``manifest.schema.json``: ``manifest.json`` of ``superpose export``.

Each is validated (jsonschema, draft 2020-12) against real output made here, and shown to
reject a broken record (a missing field, a wrong type), so a pass means something.

What this does not establish: that the numbers in a valid file are right (the check tests
do that), or that a field not required by the schema is present.
"""
from __future__ import annotations

import contextlib
import copy
import fnmatch
import io
import json
import tomllib
from importlib import resources
from pathlib import Path

import pytest

jsonschema = pytest.importorskip("jsonschema")

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ("checks.schema.json", "manifest.schema.json")


def schema(name: str) -> dict:
    """A schema as the installed package ships it."""
    return json.loads(resources.files("superpose").joinpath("schemas", name).read_text())


def validator(name: str):
    return jsonschema.Draft202012Validator(schema(name))


def errors(name: str, doc) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator(name).iter_errors(doc)]


def cli(*argv: str) -> tuple[int, str]:
    """``superpose ARGV`` in this process: (exit code, stdout)."""
    from superpose.reports.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(list(argv))
    return rc, buf.getvalue()


@pytest.fixture(scope="module")
def verify_doc() -> dict:
    rc, out = cli("verify", "uand-random", "--trials", "256", "--json")
    assert 0 == rc
    return json.loads(out)


@pytest.fixture(scope="module")
def report_doc(tmp_path_factory) -> dict:
    from superpose.reports.report import build_report

    out = tmp_path_factory.mktemp("report") / "r"
    assert 0 == build_report(out, scale="smoke", only=["costs"], pdf=False, jobs=1)
    return json.loads((out / "checks.json").read_text())


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("export") / "e"
    rc, _ = cli("export", "uand-random", "--param", "N=32", "--param", "m=8", "--out", str(out))
    assert 0 == rc
    return json.loads((out / "manifest.json").read_text())


# ------------------------------------------------------------------ the schemas


@pytest.mark.parametrize("name", SCHEMAS)
def test_schema_is_valid_draft_2020_12(name):
    """Each shipped schema is itself a valid draft 2020-12 schema."""
    s = schema(name)
    assert "https://json-schema.org/draft/2020-12/schema" == s["$schema"]
    jsonschema.Draft202012Validator.check_schema(s)


def test_schemas_are_package_data():
    """Every schema file is matched by the package-data patterns, so wheels ship it."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = data["package-data"]["superpose"]
    files = sorted(p.name for p in (ROOT / "superpose" / "schemas").glob("*.json"))
    assert sorted(SCHEMAS) == files
    for f in files:
        assert any(fnmatch.fnmatch(f"schemas/{f}", pat) for pat in patterns), f


def test_checks_schema_requires_schema_version():
    """A document without schema_version, or with another version, is rejected."""
    s = schema("checks.schema.json")
    assert {"schema_version", "checks"} <= set(s["required"])
    doc = {"schema_version": 1, "checks": [], "meta": None, "errors": []}
    assert errors("checks.schema.json", doc)                       # meta must be an object
    good = {"schema_version": 1, "checks": [], "construction": "x", "params": {}, "seed": 0,
            "trials": 1}
    assert [] == errors("checks.schema.json", good)
    assert errors("checks.schema.json", {**good, "schema_version": 2})
    assert errors("checks.schema.json", {k: v for k, v in good.items() if k != "schema_version"})


# ------------------------------------------------------ the real output validates


def check_record_errors(doc: dict) -> list[str]:
    """Errors of each record in ``doc['checks']`` against the shared check record shape."""
    s = schema("checks.schema.json")
    record = {"$schema": s["$schema"], "$defs": s["$defs"], "$ref": "#/$defs/check"}
    v = jsonschema.Draft202012Validator(record)
    return [f"checks/{i}: {e.message}" for i, c in enumerate(doc["checks"])
            for e in v.iter_errors(c)]


def test_verify_json_check_records(verify_doc):
    """Every check record of `superpose verify uand-random --json` has the shared shape."""
    assert len(verify_doc["checks"]) > 10
    assert [] == check_record_errors(verify_doc)


def test_report_check_records(report_doc):
    """Every check record of a report's checks.json has the same shape."""
    assert len(report_doc["checks"]) > 5
    assert [] == check_record_errors(report_doc)


def test_verify_and_report_records_share_keys(verify_doc, report_doc):
    """The two writers emit the same keys per check record."""
    assert {frozenset(c) for c in verify_doc["checks"]} == \
        {frozenset(c) for c in report_doc["checks"]}


def test_api_results_validate():
    """`superpose.verify(...).to_json()` (the Python API's record) validates as it is."""
    import superpose

    doc = superpose.verify("uand-random", trials=256, seed=0).to_json()
    assert 1 == doc["schema_version"]
    assert [] == errors("checks.schema.json", json.loads(json.dumps(doc)))


def test_verify_json_validates(verify_doc):
    """`superpose verify uand-random --trials 256 --json` validates, schema_version included."""
    assert [] == errors("checks.schema.json", verify_doc)


def test_report_checks_json_validates(report_doc):
    """checks.json of a smoke report (costs) validates, schema_version included."""
    assert [] == errors("checks.schema.json", report_doc)


def test_verify_json_is_strict_json():
    """verify --json is RFC 8259 JSON even when a critical value is infinite (one network)."""
    rc, out = cli("verify", "costs", "--trials", "1", "--json")

    def refuse(name):
        raise ValueError(f"{name} is not JSON")

    doc = json.loads(out, parse_constant=refuse)
    assert rc in (0, 1) and doc["checks"]


def test_export_manifest_validates(manifest):
    """manifest.json of a small uand-random export validates."""
    assert [] == errors("manifest.schema.json", manifest)


# ------------------------------------------------------- broken records are refused


def _mutants(record: dict, missing: str, wrong: tuple[str, object]) -> list[dict]:
    a = copy.deepcopy(record)
    del a[missing]
    b = copy.deepcopy(record)
    b[wrong[0]] = wrong[1]
    return [a, b]


@pytest.mark.parametrize("missing, wrong", [
    ("verdict", ("n", "256")),
    ("se", ("verdict", "maybe")),
    ("params", ("ci", [0.0])),
])
def test_checks_schema_rejects_broken_check(verify_doc, missing, wrong):
    """A check record with a field missing, or of the wrong type, is rejected."""
    doc = {**copy.deepcopy(verify_doc), "schema_version": 1}
    assert [] == errors("checks.schema.json", doc)      # valid before the change
    for bad in _mutants(doc["checks"][0], missing, wrong):
        broken = copy.deepcopy(doc)
        broken["checks"][0] = bad
        assert errors("checks.schema.json", broken)


def test_checks_schema_rejects_broken_report(report_doc):
    """A report without meta, or with a non-integer seed in meta, is rejected."""
    doc = {**copy.deepcopy(report_doc), "schema_version": 1}
    assert [] == errors("checks.schema.json", doc)
    for bad in _mutants(doc, "meta", ("errors", "none")):
        assert errors("checks.schema.json", bad)
    bad = copy.deepcopy(doc)
    bad["meta"]["seed"] = 0.5
    assert errors("checks.schema.json", bad)


@pytest.mark.parametrize("missing, wrong", [
    ("arrays", ("storage", "sparse")),
    ("network", ("seed", "0")),
    ("format", ("params", [3, 64])),
])
def test_manifest_schema_rejects_broken_manifest(manifest, missing, wrong):
    """A manifest with a field missing, or of the wrong type or value, is rejected."""
    for bad in _mutants(manifest, missing, wrong):
        assert errors("manifest.schema.json", bad)
    for key in ("arrays", None):
        bad = copy.deepcopy(manifest)
        (bad[key] if key else bad)["sha256" if key else "manifest_sha256"] = "not-a-digest"
        assert errors("manifest.schema.json", bad)


def test_schema_version_is_one_constant():
    """The API, the CLI and the schema agree on the record version."""
    from superpose import api
    from superpose.verify.check import CHECKS_SCHEMA_VERSION

    doc = schema("checks.schema.json")
    assert api.CHECKS_SCHEMA_VERSION == CHECKS_SCHEMA_VERSION
    assert doc["properties"]["schema_version"]["const"] == CHECKS_SCHEMA_VERSION
