"""The mutation audit and the calibration of the Monte Carlo criterion.

* ``audit --scale smoke`` runs end to end and finds the mutants it should (small samples:
  only gross mutants are expected to be caught here; the 100% target is at the verify
  defaults, ``superpose audit``, reported in the closing notes).
* A doubled closed form is caught, an unmoved mutant is "equivalent", not "escaped".
* Calibration: over many seeds the standardised errors ``(measured - predicted)/se`` of the
  exact uand-random checks exceed 1 and 2 as often as N(0, 1) says, within sampling error.
  What this does not establish: the rate at ``Z = 4`` itself (6.3e-5 is too rare to observe;
  its value rests on normality of the same z-scores, checked here at lower thresholds).
"""
from __future__ import annotations

import math

import pytest

from superpose.derive.quantity import get_quantity
from superpose.reports.cli import main
from superpose.verify import audit
from superpose.verify.check import run_checks
from superpose.verify.stats import Estimate
from superpose.verify.check import Measurement


def test_audit_smoke_runs_for_uand_random():
    """The smoke audit of uand-random runs and audits every measured quantity."""
    rows = audit.audit_construction("uand-random", [({"N": 64, "l": 3}, 2048)], seed=1)
    names = {a.quantity for a in rows}
    assert "uand-random.rms_error_constant" in names
    for a in rows:
        assert a.mutants, a.quantity
        assert a.status in ("all-caught", "escaped", "no-mutants", "loose-bound",
                            "published-partial")


def test_gross_mutant_is_caught_and_unmoved_is_equivalent():
    """x2 of an exact form fails its check; a mutant identical at the checked point is equivalent."""
    q = get_quantity("uand-random.rms_error_constant")
    p = {"l": 3, "on": 2}
    c = q.evaluate(p)
    m = Measurement(q.name, p, Estimate(c, 0.01 * c, 1000, 1000))
    res = audit.audit_measurements([m])
    assert 1 == len(res)
    assert "all-caught" == res[0].status, res[0].to_json()
    # A "mutant" equal to the original at the checked point cannot be told apart.
    same = q.with_closed_form(q.closed_form + 0 * q.closed_form)
    assert 0.0 == audit._rel_change(q, same, [m])


def test_cli_audit_smoke_json(capsys):
    """superpose audit --scale smoke --only bounds prints a JSON table."""
    rc = main(["audit", "--scale", "smoke", "--only", "bounds", "--json"])
    out = capsys.readouterr().out
    assert rc in (0, 1)
    assert '"quantity": "bounds.' in out


SEEDS = 12


@pytest.fixture(scope="module")
def zscores():
    zs = []
    for seed in range(SEEDS):
        _, results, _ = run_checks("uand-random", {"N": "64", "l": "3"}, trials=2048, seed=seed)
        zs += audit.standardised_errors(results)
    return zs


def test_calibration_of_exact_checks(zscores):
    """Rates of |z| > 1 and |z| > 2 match N(0,1) within 4 binomial SDs (fixed in advance)."""
    cal = audit.calibrate(zscores, thresholds=(1.0, 2.0))
    assert cal.total >= 200
    for row in cal.rows():
        assert abs(row["z_of_difference"]) <= 4, row


def test_calibration_criterion_can_fail(zscores):
    """The same criterion rejects z-scores whose SEs were understated by a factor 2."""
    cal = audit.calibrate([(2 * z, g) for z, g in zscores], thresholds=(1.0, 2.0))
    assert any(abs(row["z_of_difference"]) > 4 for row in cal.rows())
