"""CiS2 capacity condition (``cis2.max_circuits``) against the measured crossing.

``verify.cis2.capacity_crossing`` measures the ideal-mode active MS at layer L (relative to
rho_L) on the simulated network (isotropic family) at the claimed capacity T* and at
ceil(1.3 T*).  The claim passes iff the first is not significantly above eps^2 and the second
is significantly above it (Z SE, the checks' criterion).  Shown here at D=1000, d=4, S=6, z=2,
L=4, eps=0.2 (T* = 306, predicted A_L = 0.0399 vs eps^2 = 0.04), 1600 passes per point (~5 s):

* the registered formula passes, and both points are exact checks of total_ms_active;
* a capacity claimed 30% too high (T* x 1.3) fails on the "below" side, one 30% too low
  (T* x 0.7, a far too conservative condition) fails on the "above" side.

Not established: the crossing at other (D, z, L, eps), or for non-isotropic circuits.
"""
from __future__ import annotations

import pytest

from superpose.derive.quantity import BadInput, get_quantity
from superpose.verify import cis2 as vc
from superpose.verify.check import bind_verify_params, judge

SEED = 7
EPS = 0.2


@pytest.fixture(scope="module")
def params():
    return bind_verify_params("cis2", {"eps": EPS})


@pytest.fixture(scope="module")
def crossing(params):
    return vc.capacity_crossing(params, EPS, seed=SEED)


def test_registered_capacity_crossing_passes(crossing):
    T = get_quantity("cis2.max_circuits").evaluate(
        {"D": 1000, "d": 4, "S": 6, "z": 2, "L": 4, "eps": EPS, "g": 1.0})
    assert crossing.T_claim == T and crossing.T_up > T
    assert crossing.below_ok and crossing.above_ok and crossing.passed
    # both points are also exact checks of the registered recursion
    ms = crossing.measurements()
    assert len(ms) == 2 and all(judge(m, SEED).verdict == "pass" for m in ms)
    assert all("PASS" in m.note for m in ms)


@pytest.mark.parametrize("factor, side", [(1.3, "below_ok"), (0.7, "above_ok")])
def test_mutant_capacity_condition_fails(params, crossing, factor, side):
    """A capacity condition off by 30% either way is caught at the default sample size."""
    mut = vc.capacity_crossing(params, EPS, seed=SEED, T_claim=round(factor * crossing.T_claim))
    assert not mut.passed
    assert not getattr(mut, side)


def test_crossing_checks_ride_on_measure_when_eps_set(params):
    """measure() adds the two crossing measurements when eps > 0 (the quick scale sets it)."""
    assert any(p.get("eps") for p, _ in vc.SCALES["quick"])
    assert vc.constraint({**params, "T": 557}) is None
    bad = {**params, "T": 557, "eps": 0.3}          # T* = T_max: no room for the 1.3 T* point
    assert "capacity check" in vc.constraint(bad)
    with pytest.raises(BadInput):
        bind_verify_params("cis2", {"eps": 0.3})
