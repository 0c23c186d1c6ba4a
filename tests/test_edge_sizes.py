"""Edge sizes of cis2 and rotations through the command line: z = T, T = 1, T = 2, S = 2, smallest D.

``z = T`` (no inactive circuit; ``T = 1`` forces it) is valid input: ``superpose verify`` exits 0,
every check about inactive circuits has verdict ``skip`` with the reason "no inactive circuits:
z = T" in its note, and the checks about active circuits are judged (pass/info).  ``superpose
eval`` of a quantity about inactive circuits at z = T answers one line and exits 2; an active
one evaluates.  Tiny sizes and few trials: each run takes well under a second or two.

What this does not establish: that the (H) recursions are accurate at these sizes beyond the
few trials run here (they are judged, and pass, at this sample size only).
"""
from __future__ import annotations

import contextlib
import io
import json

import pytest

from superpose.derive.cis2.alloc import capacity
from superpose.reports.cli import main

NO_INACTIVE = "no inactive circuits: z = T"


def run(argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


def verify(name: str, trials: int, **params) -> list[dict]:
    argv = ["verify", name, "--trials", str(trials), "--json"]
    for k, v in params.items():
        argv += ["--param", f"{k}={v}"]
    rc, out, err = run(argv)
    assert rc == 0 and "Traceback" not in err, err
    return json.loads(out)["checks"]


def about_inactive(r: dict) -> bool:
    q = r["quantity"]
    return ("inactive" in q or "seiz" in q or "onset_layer" in q or "kcopies" in q)


def assert_edge(checks: list[dict], z_is_T: bool) -> None:
    """No check fails; inactive checks skip (with the reason) iff z = T; active ones judged."""
    assert checks and not [r["name"] for r in checks if r["verdict"] == "fail"]
    inactive = [r for r in checks if about_inactive(r)]
    active = [r for r in checks if not about_inactive(r)]
    if z_is_T:
        assert inactive and all(r["verdict"] == "skip" and NO_INACTIVE in r["note"]
                                for r in inactive)
    else:
        assert not [r for r in inactive if NO_INACTIVE in r["note"]]
    assert any(r["verdict"] == "pass" for r in active)


def test_smallest_sizes_exist():
    """The sizes below are what the allocation holds (capacity by running it)."""
    assert capacity(8, 4, 2) == 1            # cis2's smallest D: one circuit, T = 1
    assert capacity(24, 4, 2) >= 2 and capacity(48, 4, 2) >= 5


@pytest.mark.parametrize("D,T,z", [(48, 5, 5), (8, 1, 1), (24, 2, 2), (24, 2, 1), (1000, 5, 5)])
def test_cis2_edges(D, T, z):
    """cis2 at z = T, T = 1 (smallest D = 8), T = 2, S = 2: exit 0, inactive checks skip."""
    S = 6 if D == 1000 else 2
    checks = verify("cis2", 16, D=D, S=S, T=T, z=z, L=2, K=4)
    assert_edge(checks, z == T)
    if T == 1:   # pair statistics have no pair
        assert {r["verdict"] for r in checks if r["quantity"] == "cis2.share_prob"} == {"skip"}


@pytest.mark.parametrize("D,T,z", [(48, 5, 5), (24, 1, 1), (24, 2, 2), (24, 2, 1), (1000, 3, 3)])
def test_rotations_edges(D, T, z):
    """rotations at z = T, T = 1, T = 2, smallest D = 24, S = 2: exit 0, inactive checks skip."""
    S = 6 if D == 1000 else 2
    checks = verify("rotations", 20, D=D, S=S, T=T, z=z, L=2, K=5)
    assert_edge(checks, z == T)
    l1 = [r for r in checks if r["quantity"] == "rotations.x_mse_active" and r["params"]["l"] == 1]
    assert l1[0]["verdict"] == "pass"        # the layer-1 active check is judged


def test_rotations_kcopies_all_inactive():
    """The k-copies variant measures only inactive circuits: at z = T every check skips."""
    checks = verify("rotations", 10, k=1, D=48, S=2, T=5, z=5, K=5)
    assert checks and all(r["verdict"] == "skip" and NO_INACTIVE in r["note"] for r in checks)


@pytest.mark.parametrize("name,params", [
    ("cis2.total_ms_inactive", {"D": 48, "d": 4, "S": 2, "T": 5, "z": 5, "l": 2}),
    ("cis2.overlap_ms_inactive", {"D": 48, "d": 4, "S": 2, "T": 1, "z": 1}),
    ("rotations.x_mse_inactive", {"D": 48, "S": 2, "T": 5, "z": 5, "l": 1}),
    ("rotations.seizure_fraction_l1", {"D": 24, "S": 2, "T": 1, "z": 1, "l": 1}),
    ("rotations.kcopies_err_shared", {"k": 1, "D": 48, "S": 2, "T": 5, "z": 5}),
])
def test_eval_inactive_at_z_equal_T_is_one_line(name, params):
    """eval of a quantity about inactive circuits at z = T: exit 2, one line naming the reason."""
    argv = ["eval", name] + [a for k, v in params.items() for a in ("--param", f"{k}={v}")]
    rc, out, err = run(argv)
    lines = [x for x in err.splitlines() if x.strip()]
    assert rc == 2 and len(lines) == 1 and NO_INACTIVE in lines[0], err


@pytest.mark.parametrize("name,params", [
    ("cis2.total_ms_active", {"D": 48, "d": 4, "S": 2, "T": 5, "z": 5, "l": 2}),
    ("rotations.x_mse_active", {"D": 24, "S": 2, "T": 1, "z": 1, "l": 3}),
    ("rotations.x_mse_active_h", {"D": 48, "S": 2, "T": 5, "z": 5, "l": 2}),
])
def test_eval_active_at_z_equal_T(name, params):
    """Quantities about active circuits evaluate at z = T (finite, non-negative)."""
    argv = ["eval", name, "--json"] + [a for k, v in params.items()
                                       for a in ("--param", f"{k}={v}")]
    rc, out, err = run(argv)
    assert rc == 0, err
    assert json.loads(out)["value"] >= 0
