"""The ReLU-activation error model (derive/rotations_relu.py) against its definitions.

* layer 1 is exact: equal to the (H) layer-1 values (no ReLU flips at layer 1);
* the layer-2 law of the off-position link count ``L_n`` (inclusion-exclusion over the
  on-set groups) against a direct count on built networks (explicit cap matrix);
* one Monte Carlo point judged with the grid criterion (bench/rotations_relu_grid.py), and the
  x1.15 mutant fails there.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from derive import rotations as drot
from derive import rotations_relu as rr
from verify import rotations as vrot
from verify.check import critical_value
from verify.rng import stream
from verify.stats import clustered_mean

S = 6


@pytest.mark.parametrize("D,T,z", [(800, 200, 1), (1000, 300, 2), (1200, 500, 3)])
def test_layer1_equals_exact_h(D, T, z):
    p = rr.predict(D, T, S, z, 2)
    h = drot.ideal_recursion(D, T, S, z, 2)
    assert p.x_active[0] == h.x_active[0]
    assert p.x_inactive[0] == h.x_inactive[0]
    # E k_u^2 / S^2 from the exact k law = K_2 / S^2 of rot_stats (two independent exact sums)
    assert math.isclose(p.alpha_inactive[0], h.alpha_inactive[0], rel_tol=1e-9)
    assert p.alpha_active[0] == 0.0


def _link_counts(D, T, z, nets, reps, seed=0):
    """Per pass: fraction of layer-2 off positions with L_n = j (j = 0..5), by direct count."""
    rows, groups = [], []
    for g in range(nets):
        rng = stream(seed, "test-relu-links", D, T, z, g)
        net = vrot.build(D, T, S, 2, rng)
        N, a2, a1 = net.N, net.alloc[2], net.alloc[1]
        cap = np.zeros((N, N), bool)                       # cap[n, m]: n (layer 2) <- m (layer 1)
        for t in range(T):
            cap[np.ix_(a2[t], a1[t])] = True
        for _ in range(reps):
            act = rng.choice(T, z, replace=False)
            U = np.zeros(N, bool)
            U[a1[act].ravel()] = True
            off = np.ones(N, bool)
            off[a2[act].ravel()] = False
            Ln = cap[:, U].sum(1)[off]
            rows.append(np.bincount(np.minimum(Ln, 5), minlength=6) / off.sum())
            groups.append(g)
    return np.array(rows), groups


def test_layer2_link_law_matches_direct_count():
    D, T, z = 800, 200, 1
    s = rr._setup(D, T, S, z)
    from derive import cis2
    w = s.cnt * cis2._binom_ratio(T - s.lam, T, z)
    w = w / w.sum()
    law = sum(wi * rr._hits_law(D, T, S, z, 0, int(lm), T - z) for lm, wi in zip(s.lam, w))
    pred = np.append(law[:5], law[5:].sum())
    rows, groups = _link_counts(D, T, z, nets=24, reps=25)
    for j in range(6):
        e = clustered_mean(rows[:, j], groups)
        assert abs(pred[j] - e.value) <= critical_value(e.n_networks) * e.se + 1e-12, (j, pred[j], e)


def _judge(model_scale: float, meas: dict, pred, L_on: int) -> list[tuple]:
    fails = []
    for q, field in (("xa", "x_active"), ("xi", "x_inactive"), ("ai", "alpha_inactive"),
                     ("aa", "alpha_active"), ("sz", "seized")):
        for l in range(1, L_on + 1):
            e = meas[(q, l)]
            pv = model_scale * getattr(pred, field)[l - 1]
            if not abs(pv - e.value) <= max(critical_value(e.n_networks) * e.se, 0.10 * abs(e.value)):
                fails.append((q, l, pv, e.value, e.se))
    return fails


@pytest.fixture(scope="module")
def mc_point():
    D, T, z, L, K, passes = 1000, 300, 1, 4, 20, 1000
    rows = {}
    groups = []
    for g in range(passes // K):
        rng = stream(0, "test-relu-mc", D, T, z, g)
        net = vrot.build(D, T, S, L, rng)
        o = vrot.simulate(net, z, K, rng)["relu"]
        groups += [g] * K
        for l in range(1, L + 1):
            v = o["valid"][l]
            nv = np.maximum(v.sum(1), 1)
            for key, val in (("xa", (o["dxa"][l] ** 2).mean(1)), ("aa", (o["daa"][l] ** 2).mean(1)),
                             ("xi", (o["xi"][l] ** 2 * v).sum(1) / nv),
                             ("ai", (o["ai"][l] ** 2 * v).sum(1) / nv),
                             ("sz", ((o["ai"][l] > vrot.THRESH) & v).sum(1) / nv)):
                rows.setdefault((key, l), []).extend(val.tolist())
    meas = {k: clustered_mean(v, groups) for k, v in rows.items()}
    onset = next((l for l in range(1, L + 1) if meas[("sz", l)].value > vrot.ONSET_FRAC), L + 1)
    return meas, rr.predict(D, T, S, z, L), min(onset, L)


def test_mc_point_agrees_up_to_onset(mc_point):
    meas, pred, L_on = mc_point
    assert L_on >= 2          # the point is chosen so that the check reaches past layer 1
    assert _judge(1.0, meas, pred, L_on) == []


def test_mutant_fails_at_mc_point(mc_point):
    meas, pred, L_on = mc_point
    assert _judge(1.15, meas, pred, L_on)
