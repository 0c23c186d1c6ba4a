"""k-copy on-indicator variant: exact law of K vs brute force, simulator vs dense reference,
MC checks pass and mutants fail (derive/ and verify/rotations_kcopies.py)."""
from __future__ import annotations

import dataclasses
import itertools
from fractions import Fraction

import numpy as np
import pytest

from superpose.derive.cis2 import alloc as cis2_alloc
from superpose.derive.rotations import kcopies as R
from superpose.derive.quantity import BadInput
from superpose.verify.rotations import kcopies as V
from superpose.verify.check import judge
from superpose.verify.rng import stream


def _brute_k_law(N, S, T, z):
    """P(K = j) by enumerating every inactive u and every z-subset of the others (Fractions)."""
    sub = [set(r) for r in cis2_alloc.subsets(N, S, limit=T).tolist()]
    cnt, tot = [0] * (S + 1), 0
    for u in range(T):
        others = [v for v in range(T) if v != u]
        for Vs in itertools.combinations(others, z):
            cov = set().union(*(sub[v] for v in Vs))
            cnt[len(sub[u] & cov)] += 1
            tot += 1
    return [Fraction(c, tot) for c in cnt]


@pytest.mark.parametrize("N,S,T,z", [(20, 3, 25, 2), (24, 4, 18, 3), (30, 3, 40, 1), (36, 5, 19, 4)])
def test_k_law_matches_enumeration(N, S, T, z):
    exact = _brute_k_law(N, S, T, z)
    got = R.k_law(N, S, T, z)
    assert max(abs(float(e) - g) for e, g in zip(exact, got)) < 1e-12


def test_block_convolution_and_shared_identity():
    # k = 1: one copy, the two ket layouts coincide
    for z in (2, 3):
        assert R.err_rate(1, z, 1200, 118, 6, "shared") == R.err_rate(1, z, 1200, 118, 6, "block")
    # block law = sum of k i.i.d. K: mean k E K, checked by the moments of the convolution
    pk = np.asarray(R.k_law(200, 6, 118, 3))
    s = R._sum_law(pk, 4)
    j = np.arange(pk.size)
    assert abs(s @ np.arange(s.size) - 4 * (pk @ j)) < 1e-12
    with pytest.raises(BadInput):
        R.quantities()[0].evaluate({"k": 2, "z": 2, "D": 1000, "T": 100, "S": 6})  # 6 does not divide 1000
    with pytest.raises(BadInput):
        R.quantities()[0].evaluate({"k": 4, "z": 2, "D": 1200, "T": 200, "S": 6})  # > capacity 118


def _dense_layer1(net, active, x):
    """Independent reference: explicit D x d' embedding matrices E_t, A^1 = ReLU(sum E_v w a0 + B)."""
    D, dp, N, S = net.D, net.dp, net.N, net.S
    E = np.zeros((net.T, D, dp))
    for t in range(net.T):
        for i in range(dp):
            for n in net.alloc[net.ket[i], t]:
                E[t, i * N + n, i] = 1.0
    Bvec = np.repeat(net.b, N)
    reads = []
    for b in range(active.shape[0]):
        A0 = np.zeros(D)
        for zi, v in enumerate(active[b]):
            a0 = np.concatenate([np.tile([1.5, 0.5], net.k), x[b, zi] + 1.0])
            A0 += E[v] @ (net.w1[v] @ a0)
        A1 = np.maximum(A0 + Bvec, 0.0)
        reads.append(np.stack([E[t].T @ A1 / S for t in range(net.T)]))
    return np.array(reads)


@pytest.mark.parametrize("kets", V.KETS)
@pytest.mark.parametrize("k", [1, 2, 3])
def test_simulator_matches_dense_reference(k, kets):
    rng = stream(0, "test-kcopies", k, kets)
    D = 8 * (2 * k + 2)
    T = min(12, cis2_alloc.capacity(D, 2 * k + 2, 3))
    net = V.build(D, 3, T, k, kets, rng)
    act = V._sample_active(T, 3, 4, rng)
    x = rng.standard_normal((4, 3, 2))
    got = V.layer1(net, act, x)["read"]
    assert np.allclose(got, _dense_layer1(net, act, x), rtol=1e-12, atol=1e-13)


def test_single_active_circuit_is_exact():
    """z = 1: nothing overlaps an active circuit's own positions, so its readout = its a^1."""
    rng = stream(1, "test-kcopies-exact")
    for k, kets in ((2, "block"), (4, "shared")):
        net = V.build(1200, 6, 100, k, kets, rng)
        act = V._sample_active(100, 1, 8, rng)
        x = rng.standard_normal((8, 1, 2))
        x /= np.linalg.norm(x, axis=-1, keepdims=True)
        o = V.layer1(net, act, x)
        read = o["read"][np.arange(8)[:, None], act]
        assert np.allclose(read, o["true"], atol=1e-12)
        abar, xh = V.decode(k, read)
        assert np.allclose(abar, 1.0)
        th = np.arctan2(net.w1[act[:, 0], 2 * k + 1, 2 * k], net.w1[act[:, 0], 2 * k, 2 * k])
        rx = np.stack([np.cos(th) * x[:, 0, 0] - np.sin(th) * x[:, 0, 1],
                       np.sin(th) * x[:, 0, 0] + np.cos(th) * x[:, 0, 1]], -1)
        assert np.allclose(xh[:, 0], rx, atol=1e-12)


def _tie_mutant(q):
    """Counts ties sum K = kS/4 as activations (>= instead of >): a wrong threshold."""
    def f(k, z, D, T, S):
        pk = np.asarray(R.k_law(D // R.width(k), S, T, z))
        s = R._sum_law(pk, k) if "block" in q.name else pk
        lim = R.THRESH * (k if "block" in q.name else 1) * S
        return float(sum(p for j, p in enumerate(s) if j >= lim))
    return dataclasses.replace(q, compute=f)


def _width4_mutant(q):
    """Loads of the RiS width d = 4 instead of d' = 2k + 2 (forgets the denser packing)."""
    def f(k, z, D, T, S):
        pk = np.asarray(R.k_law(D // 4, S, T, z))
        s = R._sum_law(pk, k) if "block" in q.name else pk
        lim = R.THRESH * (k if "block" in q.name else 1) * S
        return float(sum(p for j, p in enumerate(s) if j > lim))
    return dataclasses.replace(q, compute=f)


@pytest.mark.parametrize("k", [2, 4])
def test_mc_checks_pass_and_mutants_fail(k):
    p, trials = {"k": k, "D": 1200, "T": 118, "S": 6, "z": 4, "K": 50}, 1200   # default size
    ms = {m.quantity: m for m in V.measure_kcopies(p, trials=trials, seed=3)}
    for name, m in ms.items():
        r = judge(m, 3, quantity=V.quantity(name))
        assert r.verdict in ("pass", "info"), (r.name, r.measured, r.predicted, r.se)
    for kets in V.KETS:
        err = ms[f"rotations.kcopies_err_{kets}"]
        q = V.quantity(f"rotations.kcopies_err_{kets}")
        if kets == "block":     # shared: K/S never equals 1/4 at S = 6, no ties to count
            assert judge(err, 3, quantity=_tie_mutant(q)).verdict == "fail"
        assert judge(err, 3, quantity=_width4_mutant(q)).verdict == "fail"
        ams = ms[f"rotations.kcopies_alpha_ms_{kets}"]
        assert judge(ams, 3, quantity=V.quantity(ams.quantity).scaled(1.05)).verdict == "fail"
        assert judge(ams, 3, quantity=V.quantity(ams.quantity).scaled(0.95)).verdict == "fail"
    # the shared-ket law applied to block kets (no averaging gain) is off by far
    blk = ms["rotations.kcopies_err_block"]
    assert judge(blk, 3, quantity=V.quantity("rotations.kcopies_err_shared")).verdict == "fail"
