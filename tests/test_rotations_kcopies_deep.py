"""Dense k-copy rotation network, all layers (verify/rotations_kcopies_deep.py): k = 1 equals the
engine's RiS network, layer 1 equals the layer-1 simulator, W^l equals an independent brute-force
assembly of the blockwise (5.20), (5.24) holds per ket pair, and the layer-1 seized fraction
agrees with the exact law (derive/rotations_kcopies.py) while a wrong law fails."""
from __future__ import annotations

import numpy as np
import pytest

from superpose.derive.cis2 import alloc as cis2_alloc
from superpose.derive.rotations import kcopies as R
from tests.cis2_dense_ref import calW as ref_calW, kets as ref_kets
from superpose.verify.cis2 import engine as eng
from superpose.verify.rotations import kcopies as V1
from superpose.verify.rotations import kcopies_deep as M
from superpose.verify.check import critical_value
from superpose.verify.rng import stream


def _unit_x(rng, B, z):
    x = rng.standard_normal((B, z, 2))
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


@pytest.mark.parametrize("D,T,z", [(400, 60, 3), (480, 118, 3)])   # 118 = capacity at d=4: seizes
def test_k1_shared_is_the_engine_network(D, T, z):
    """Same seed -> same allocation, chi (5.24) and every layer's readouts as the engine, 1e-12."""
    S, L, B = 6, 4, 8
    r_eng, r_me = stream(0, "deep-vs-engine", D, T), stream(0, "deep-vs-engine", D, T)
    net = eng.Network.build(D, 4, S, T, L, eng.rotation_family(T, L, r_eng), r_eng)
    me = M.build(D, S, T, 1, "shared", L, r_me)
    assert np.array_equal(net.alloc, me.alloc[0])
    assert np.allclose(net.chi, me.chi[:, 0, 0], rtol=1e-12, atol=0)
    rng = stream(1, "deep-vs-engine-passes", D, T)
    act = eng.sample_active(T, z, B, rng)
    x = net.family.sample_x(rng, B, z)
    r = eng.run(net, act, x, "relu", read="all")
    acts, reads, true = M.forward(me, act, x)
    bi = np.arange(B)[:, None]
    assert np.array_equal(r.true, true)
    assert np.allclose(r.read_active[1:], reads[1:, bi, act], rtol=0, atol=1e-12)
    inact = np.stack([np.stack([np.delete(reads[l, b], act[b], axis=0) for b in range(B)])
                      for l in range(L + 1)])
    assert np.allclose(r.read_inactive[1:], inact[1:], rtol=0, atol=1e-12)
    assert np.allclose(r.frac_on, [(np.abs(A) > M.ON_TOL).mean() for A in acts], atol=1e-15)
    if T == 118:   # the comparison covers the nonlinear regime (ReLU flips, seizure)
        st = M.pass_stats(me, act, x)
        assert st["seiz"][2:].max() > 0.05


@pytest.mark.parametrize("k,kets", [(2, "shared"), (2, "block"), (3, "block"), (1, "block")])
def test_layer1_is_the_layer1_simulator(k, kets):
    """Layer 1 with the same supports and angles equals verify/rotations_kcopies.layer1 (1e-12)."""
    dp, S, B, z = 2 * k + 2, 6, 6, 3
    D = 60 * dp
    T = cis2_alloc.capacity(D, dp, S)
    rng = stream(2, "deep-l1", k, kets)
    one = V1.build(D, S, T, k, kets, rng)
    deep = M.build(D, S, T, k, kets, 2, rng)                   # random layer-2 supports
    alloc = deep.alloc.copy()
    alloc[:, 0] = alloc[:, 1] = one.alloc
    theta = np.arctan2(one.w1[:, 2 * k + 1, 2 * k], one.w1[:, 2 * k, 2 * k])
    net = M.from_parts(D, S, k, kets, alloc, theta)
    act = V1._sample_active(T, z, B, rng)
    x = _unit_x(rng, B, z)
    ref = V1.layer1(one, act, x)
    acts, reads, _ = M.forward(net, act, x)
    assert np.allclose(acts[1], ref["A1"], rtol=0, atol=1e-12)
    assert np.allclose(reads[1], ref["read"], rtol=0, atol=1e-12)


def _brute_W(net, l):
    """Independent assembly of the blockwise (5.20): loop over circuits for the Dw part, the dense
    reference's calW (tests/cis2_dense_ref.py) per ket pair for the mean part."""
    N, S, dp = net.N, net.S, net.dp
    W = np.zeros((dp * N, dp * N))
    for t in range(net.T):
        dw = net.w[t] - net.wbar
        for i in range(dp):
            for j in range(dp):
                rows = i * N + net.alloc[net.ket[i], l, t]
                cols = j * N + net.alloc[net.ket[j], l - 1, t]
                W[np.ix_(rows, cols)] += dw[i, j] / S
    for i in range(dp):
        for j in range(dp):
            if net.wbar[i, j]:
                cw, _ = ref_calW(ref_kets(net.alloc[net.ket[i], l], N),
                                 ref_kets(net.alloc[net.ket[j], l - 1], N), S)
                W[i * N:(i + 1) * N, j * N:(j + 1) * N] += net.wbar[i, j] * cw
    return W


@pytest.mark.parametrize("k,kets", [(2, "block"), (2, "shared"), (1, "block")])
def test_dense_weights_match_brute_force(k, kets):
    """W^2, W^3 equal the circuit-by-circuit assembly with the reference calW (rtol 1e-12)."""
    dp = 2 * k + 2
    D = 20 * dp
    T = min(40, cis2_alloc.capacity(D, dp, 4))
    net = M.build(D, 4, T, k, kets, 3, stream(3, "deep-brute", k, kets))
    for l in (2, 3):
        assert np.allclose(net.W[l], _brute_W(net, l), rtol=1e-12, atol=1e-14)


def test_mean_part_balances_per_ket_pair():
    """(5.24) per ket pair: E_{t!=u} <e^a_t|calW^ab|e^b_u> = 0, and (1/S)<e^a_t|calW^ab|e^b_t> = 1.

    calW^ab is read back from a copy-row block of W (Dw = 0 in copy rows): W_ij = wbar_ij calW.
    A single chi for every pair (the RiS value of pair (0, 0)) breaks the balance.
    """
    k, S = 2, 6
    net = M.build(600, S, 80, k, "block", 2, stream(4, "deep-balance"))
    N, T = net.N, net.T
    for i in (0, 2):                       # rows of copy 0 and copy 1
        for j in (0, 1, 2, 3):             # columns: copies 0 and 1
            cw = net.W[2][i * N:(i + 1) * N, j * N:(j + 1) * N] / net.wbar[i, j]
            el = ref_kets(net.alloc[net.ket[i], 2], N)
            em = ref_kets(net.alloc[net.ket[j], 1], N)
            G = el @ cw @ em.T                                        # (T, T)
            off = (G.sum() - np.trace(G)) / (T * (T - 1))
            assert abs(off) < 1e-12, (i, j, off)
            assert np.allclose(np.diag(G) / S, 1.0, atol=1e-12)
            cap = np.minimum(el.T @ em, 1.0)                              # capped links (N, N)
            a, b = net.ket[i], net.ket[j]
            assert np.allclose(cw, cap / S - net.chi[2, a, b] * (1 - cap), atol=1e-14)
            if (a, b) != (0, 0):            # mutant: pair (0, 0)'s chi used for this pair
                Gw = el @ (cap / S - net.chi[2, 0, 0] * (1 - cap)) @ em.T
                assert abs((Gw.sum() - np.trace(Gw)) / (T * (T - 1))) > 1e-9


def test_shared_copies_stay_identical():
    """Shared kets: every copy has the same rows of W and the same input, so A^l is equal across
    copies at every layer (averaging identical copies cannot help)."""
    k = 3
    net = M.build(480, 6, 28, k, "shared", 3, stream(5, "deep-shared"))   # 28 = capacity
    rng = stream(6, "deep-shared-passes")
    act = M.sample_active(28, 3, 4, rng)
    acts, _, _ = M.forward(net, act, _unit_x(rng, 4, 3))
    for A in acts[1:]:
        for j in range(1, k):
            assert np.array_equal(A[:, 2 * j:2 * j + 2], A[:, 0:2])


@pytest.mark.parametrize("kets", M.KETS)
def test_layer1_seized_fraction_matches_exact_law(kets):
    """Layer-1 seized fraction vs rotations.kcopies_err_{kets} (exact): |m - p| <= c se (check's rule); the law
    with the RiS width d = 4 loads (a wrong formula) fails at the same sample size."""
    k, D, S, z = 2, 720, 6, 3
    T = cis2_alloc.capacity(D, 2 * k + 2, S)
    pt = M.measure_point(k, kets, D, T, S, z, L=1, passes=400, K=40, seed=7)
    e = pt.est[("seiz", 1)]
    exact = R.err_rate(k, z, D, T, S, kets)
    c = critical_value(e.n_networks)                                  # as check.judge
    assert abs(e.value - exact) <= c * e.se, (e, exact)
    law = np.asarray(R.k_law(D // 4, S, T, z))                       # RiS width d = 4 loads
    law, lim = (law, R.THRESH * S) if kets == "shared" else (R._sum_law(law, k), R.THRESH * k * S)
    wrong = float(sum(p for j, p in enumerate(law) if j > lim))
    assert abs(e.value - wrong) > c * e.se, (e, wrong)


def test_measure_point_is_deterministic():
    """Same seed -> same estimates."""
    a = M.measure_point(2, "block", 360, 25, 6, 2, L=3, passes=20, K=10, seed=9)
    b = M.measure_point(2, "block", 360, 25, 6, 2, L=3, passes=20, K=10, seed=9)
    assert a.est == b.est and a.onset == b.onset
