"""CiS2 Monte Carlo checks: agreement at the default sample size, and every check can fail.

One run of ``verify.cis2.measure`` at the module defaults (D=1000, d=4, S=6, T=557, z=2, L=4,
480 passes, K=8 per network, ~15 s) is shared by the tests.  The same measurements are
re-judged against perturbed closed forms (x1.05, x0.95; bounds tightened x0.9) to show that
each check would have caught a 5% error.  What this does NOT establish: agreement at other
sizes (the slow test runs a second point) or for circuit families other than the isotropic one.
"""
from __future__ import annotations

import pytest

from superpose.derive.quantity import get_quantity
from superpose.verify import cis2 as vc
from superpose.verify.check import bind_verify_params, judge

SEED = 7


@pytest.fixture(scope="module")
def measured():
    params = bind_verify_params("cis2", {})
    return vc.measure(params, trials=vc.DEFAULT_TRIALS, seed=SEED)


def test_all_our_checks_pass(measured):
    """Every non-published, predicted check passes (exact: |m - p| <= Z se)."""
    bad = []
    for m in measured:
        r = judge(m, SEED)
        if r.verdict == "fail":
            bad.append((r.name, r.predicted, r.measured, r.se))
    assert bad == []


def test_relu_error_is_measured_not_predicted(measured):
    """The ReLU activation error has no prediction: verdict info, never a placeholder zero."""
    rs = [judge(m, SEED) for m in measured if m.quantity.startswith("cis2.relu_ms")]
    assert rs and all(r.verdict == "info" and r.predicted is None for r in rs)
    assert any(r.measured > 0 for r in rs)


MUTATED = ["share_prob", "overlap_mean", "overlap_ms", "overlap_ms_active", "overlap_ms_inactive",
           "propagation_ms_active", "propagation_ms_inactive", "total_ms_active",
           "total_ms_inactive", "linear_ms", "linear_ms_ratio", "linear_gain"]


@pytest.mark.parametrize("short", MUTATED)
@pytest.mark.parametrize("factor", [1.05, 0.95])
def test_perturbed_closed_form_fails(measured, short, factor):
    """A closed form off by 5% (plus the declared tolerance) fails at the default sample size."""
    q = get_quantity(f"cis2.{short}")
    ms = [m for m in measured if m.quantity == q.name and not m.skip]
    assert ms, f"no measurement of {q.name}"
    f = factor + (q.tolerance if factor > 1 else -q.tolerance)
    verdicts = [judge(m, SEED, quantity=q.scaled(f)).verdict for m in ms]
    assert "fail" in verdicts


def test_worst_case_bound_is_tight(measured):
    """The inactive worst-case bound z/S is attained by the adversarial active set, so a
    bound tightened by 10% fails there."""
    q = get_quantity("cis2.worst_overlap_inactive")
    ms = [m for m in measured if m.quantity == q.name and m.label.get("case") == "adversarial"]
    assert ms and judge(ms[0], SEED).verdict == "pass"
    assert judge(ms[0], SEED, quantity=q.scaled(0.9)).verdict == "fail"


def test_structural_mutant_of_propagation_fails(measured):
    """Dropping the inactive sources of the propagation term (the notes' dominant T term)
    is caught: predicted propagation without (T-z) I_{l-1} is far too small."""
    q = get_quantity("cis2.propagation_ms_active")
    # mutant: z = 1 source chain only, i.e. prediction scaled to the active-only share
    ms = [m for m in measured if m.quantity == q.name]
    verdicts = [judge(m, SEED, quantity=q.scaled(0.5)).verdict for m in ms]
    assert all(v == "fail" for v in verdicts)


@pytest.mark.slow
def test_second_point_agrees():
    """At T=300, z=3 (below capacity) every exact check passes too."""
    params = bind_verify_params("cis2", {"T": 300, "z": 3})
    for m in vc.measure(params, trials=640, seed=SEED + 1):
        assert judge(m, SEED).verdict != "fail", m.quantity


def test_worst_case_helpers_respect_and_attain_bounds():
    """The figure's helpers (reports/figures/cis2_worst.py): random-pass maxima stay under
    z/S and (z-1)/S (registry bounds, amax = 1 after normalising), and the adversarial sets
    attain them exactly, so a bound 10% tighter would be violated."""
    qi, qa = get_quantity("cis2.worst_overlap_inactive"), get_quantity("cis2.worst_overlap_active")
    for z in (2, 3):
        p = bind_verify_params("cis2", {"z": z})
        bi, ba = (float(q.evaluate({"S": 6, "z": z, "amax": 1.0})) for q in (qi, qa))
        wi, wa = vc.worst_overlaps(p, trials=32, seed=SEED)
        assert 0 < wi <= bi + 1e-12 and 0 < wa <= ba + 1e-12
        ai, aa = vc.adversarial(p, SEED), vc.adversarial(p, SEED, active=True)
        assert ai == pytest.approx(bi, rel=1e-12) and aa == pytest.approx(ba, rel=1e-12)
        assert ai > 0.9 * bi and aa > 0.9 * ba
