"""RiS paper grid (reports/figures/rotations_grid.py): the sweep, per-point runs, the figure."""
from __future__ import annotations

import math

import pytest

from superpose.derive.cis2.alloc import capacity
from superpose.reports.figures import rotations_grid as G


def test_sweep_is_the_authors_41_pairs_within_capacity():
    # cis2.md §7: 2 + 4 + 6 + 5 + 6 + 8 + 10 pairs, D in 800..2000
    assert len(G.SWEEP) == 41 and len(set(G.SWEEP)) == 41
    assert {D for D, _ in G.SWEEP} == {800, 1000, 1200, 1400, 1600, 1800, 2000}
    for D, T in G.SWEEP:
        assert T <= capacity(D, G.d, G.S), (D, T)


def test_run_point_deterministic_and_sane():
    a = G.run_point(800, 200, 2, 20, 10, seed=5)
    b = G.run_point(800, 200, 2, 20, 10, seed=5)
    for k in G.KEYS + ("frac_on",):
        assert a[k] == b[k] and len(a[k]) == G.L
        assert all(v >= 0 and math.isfinite(v) for v in a[k])
    # layer 1 of an active alpha is exact (the step saturates at positions shared by actives)
    assert a["alpha_active"][0] == 0.0
    # mean square <= max^2 for every error and layer
    for k in G.KEYS:
        assert all(m <= x**2 + 1e-12 for m, x in zip(a[k], a[k + "_max"]))
    assert a["passes"] == 20 and a["networks"] == 2


@pytest.mark.slow
def test_smoke_figure(tmp_path):
    paths = G.make(tmp_path, "smoke", 0)
    assert len(paths) == 12 and all(p.stat().st_size > 0 for p in paths)
