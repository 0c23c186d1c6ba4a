"""The factored CiS2 / RiS engine (verify/cis2_engine.py) against a dense reference.

``cis2_dense_ref`` forms every D x D matrix W^l from cis2.md §3/§7 with plain numpy and is
independent of the engine (they share only the allocation and the circuit weights).  The engine
must agree to float precision (relative 1e-12) in all three modes, both product routes, with
and without the mean-weight part, with biases.  The small-circuit families are checked
against their defining equations (RiS (3.1), (3.3), (5.1)-(5.4)).  Not established here:
timing (bench/cis2_engine.py) or any statistical error claim (the derive/verify checks).
"""
from __future__ import annotations

import dataclasses
import importlib.util
import pathlib

import numpy as np
import pytest

from superpose.derive.cis2.alloc import capacity
from superpose.verify.cis2 import engine as ce

_spec = importlib.util.spec_from_file_location(
    "cis2_dense_ref", pathlib.Path(__file__).with_name("cis2_dense_ref.py"))
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)

RTOL = 1e-12

# family, d, N, S, T (None = T_max), L, z, seed
CASES = [
    ("rotation", 4, 40, 3, None, 3, 2, 1),       # T_max = 98: many multiply-linked pairs
    ("rotation", 4, 30, 4, None, 4, 3, 2),
    ("rotation", 4, 25, 6, 4, 3, 1, 3),
    ("rotation-nomean", 4, 40, 3, None, 3, 2, 4),
    ("zero-mean", 4, 30, 3, None, 3, 2, 5),
    ("zero-mean", 5, 24, 4, 15, 3, 3, 6),
]


def make(kind, d, N, S, T, L, seed):
    rng = np.random.default_rng(seed)
    T = capacity(d * N, d, S) if T is None else T
    if kind.startswith("rotation"):
        fam = ce.rotation_family(T, L, rng)
        if kind == "rotation-nomean":   # CiS2 (6.5): wbar = 0, Dw = w
            fam = dataclasses.replace(fam, wbar=np.zeros_like(fam.wbar))
    else:
        fam = ce.zero_mean_family(T, d, L, rng)
    return ce.Network.build(d * N, d, S, T, L, fam, rng), rng


def close(expected, actual, scale):
    return np.max(np.abs(expected - actual), initial=0.0) <= RTOL * max(1.0, scale)


@pytest.fixture(scope="module", params=CASES, ids=lambda c: f"{c[0]}-d{c[1]}-N{c[2]}-S{c[3]}")
def case(request):
    kind, d, N, S, T, L, z, seed = request.param
    net, rng = make(kind, d, N, S, T, L, seed)
    fam = net.family
    Ws = [None] + [ref.weights(fam.w, fam.wbar, net.alloc, l, S, N) for l in range(1, L + 1)]
    act = ce.sample_active(net.T, z, 3, rng)
    x = fam.sample_x(rng, 3, z)
    return net, Ws, act, x


@pytest.mark.parametrize("mode", ce.MODES)
@pytest.mark.parametrize("strategy", ["events", "sparse"])
def test_run_matches_dense_reference(case, mode, strategy):
    """Readouts (5.30) of active and all inactive circuits at every layer equal the dense network's."""
    net, Ws, act, x = case
    fam = net.family
    acts, reads, true = ref.forward(fam.w, fam.b, fam.wbar, net.alloc, net.S, net.N, act,
                                    fam.encode(act, x), mode, Ws)
    r = ce.run(net, act, x, mode, read="all", strategy=strategy)
    B = act.shape[0]
    assert np.allclose(true, r.true, rtol=0, atol=1e-13)
    for l in range(1, net.L + 1):
        scale = np.abs(acts[l]).max()
        assert close(reads[l][np.arange(B)[:, None], act], r.read_active[l], scale), l
        assert close(reads[l][np.arange(B)[:, None], r.inactive_ids[l]], r.read_inactive[l], scale), l
        on = np.count_nonzero(np.abs(acts[l]) > ce.ON_TOL) / acts[l].size
        assert abs(on - r.frac_on[l]) <= 1.0 / acts[l].size, l   # one neuron at the threshold


def test_bench_dense_path_matches_dense_reference(case):
    """verify.cis2.dense (the benchmarks' dense path: the engine's map densified) equals the
    independent dense reference: every W^l and every ReLU read-out."""
    from superpose.verify.cis2 import dense
    net, Ws, act, x = case
    fam = net.family
    for l in range(1, net.L + 1):
        assert close(Ws[l], dense.layer_matrix(net, l), np.abs(Ws[l]).max()), l
    acts, reads, _ = ref.forward(fam.w, fam.b, fam.wbar, net.alloc, net.S, net.N, act,
                                 fam.encode(act, x), "relu", Ws)
    d_acts, d_reads = dense.forward(net, act, fam.encode(act, x))
    for l in range(net.L + 1):
        scale = max(1.0, np.abs(acts[l]).max())
        assert close(acts[l], d_acts[l], scale) and close(reads[l], d_reads[l], scale), l


@pytest.mark.parametrize("delta,mean,bias", [(True, True, True), (True, False, False),
                                             (False, True, True), (False, False, True)])
@pytest.mark.parametrize("strategy", ["events", "sparse"])
def test_preactivation_parts_match_dense(case, delta, mean, bias, strategy):
    """preactivation(delta, mean, bias) = (Dw part, wbar (x) calW part, b|1>) of (5.20), on arbitrary A."""
    net, _, _, _ = case
    fam, rng = net.family, np.random.default_rng(11)
    A = rng.standard_normal((2, net.D)) * (rng.random((2, net.D)) < 0.3)
    for l in range(2, net.L + 1):
        W = ref.weights(fam.w, fam.wbar, net.alloc, l, net.S, net.N, delta=delta, mean=mean)
        P = A @ W.T + (np.kron(fam.b[l], np.ones(net.N)) if bias else 0.0)
        got = ce.preactivation(net, l, A, delta=delta, mean=mean, bias=bias, strategy=strategy)
        assert close(P, got, np.abs(P).max()), l


def test_readout_and_embed_input(case):
    """readout = (1/S) <e_t|A> per block (5.30); embed_input = layer-0 trick (5.25)."""
    net, _, act, x = case
    fam = net.family
    rng = np.random.default_rng(3)
    A = rng.standard_normal((2, net.D))
    ids = np.array([[0, net.T - 1, -1], [1, 2, 3]])
    e = ref.kets(net.alloc[2], net.N)
    want = np.einsum("btn,bin->bti", e[np.maximum(ids, 0)], A.reshape(2, net.d, net.N)) / net.S
    want[ids < 0] = 0
    assert np.allclose(want, ce.readout(net, 2, A, ids), rtol=0, atol=1e-13)
    a0 = fam.encode(act, x)
    A0 = ce.embed_input(net, act, a0)
    e1 = ref.kets(net.alloc[1], net.N)
    want0 = [sum(np.kron(fam.w[1][v] @ a0[b, k], e1[v]) for k, v in enumerate(act[b]))
             for b in range(act.shape[0])]
    assert np.allclose(np.array(want0), A0, rtol=0, atol=1e-13)


def test_mean_matrix_balanced_and_unbiased(case):
    """Engine corr/chi give calW with (6.25) (1/S)<e_t|calW|e_t> = 1 and (5.24) E_{t!=u} = 0."""
    net, _, _, _ = case
    for l in range(2, net.L + 1):
        if not np.any(net.family.wbar[l]):
            continue
        e_l, e_m = ref.kets(net.alloc[l], net.N), ref.kets(net.alloc[l - 1], net.N)
        M = e_l.T @ e_m
        cap = M - net.corr[l].toarray()
        assert np.array_equal(np.minimum(M, 1.0), cap)
        calW = cap / net.S - net.chi[l] * (1 - cap)
        G = e_l @ calW @ e_m.T
        assert np.allclose(np.diag(G) / net.S, 1.0, rtol=0, atol=1e-12)
        off = G[~np.eye(net.T, dtype=bool)]
        assert abs(off.mean()) <= 1e-12 * np.abs(off).max()
        assert net.chi[l] == pytest.approx(ref.calW(e_l, e_m, net.S)[1], rel=1e-12)


def test_touching_reads_equal_all_in_ideal_mode(case):
    """ideal mode: the inactive circuits not touching an on-neuron read exactly 0, so 'touching'
    gives the same sum of squares as 'all' (and the same value per circuit)."""
    net, _, act, x = case
    ra = ce.run(net, act, x, "ideal", read="all")
    rt = ce.run(net, act, x, "ideal", read="touching")
    for l in range(1, net.L + 1):
        assert np.sum(ra.read_inactive[l] ** 2) == pytest.approx(np.sum(rt.read_inactive[l] ** 2),
                                                                 rel=1e-12, abs=1e-300)
        for b in range(act.shape[0]):
            ids = rt.inactive_ids[l, b]
            got = dict(zip(ids[ids >= 0].tolist(), rt.read_inactive[l, b][ids >= 0]))
            for t, v in zip(ra.inactive_ids[l, b].tolist(), ra.read_inactive[l, b]):
                assert np.allclose(got.get(t, 0.0), v, rtol=0, atol=1e-13)


def test_sampled_and_fixed_reads():
    """read=int samples distinct inactive circuits; read=array marks active ones -1."""
    net, rng = make("rotation", 4, 40, 3, None, 2, 7)
    act = ce.sample_active(net.T, 3, 5, rng)
    x = net.family.sample_x(rng, 5, 3)
    r = ce.run(net, act, x, "relu", read=20, rng=rng)
    ids = r.inactive_ids[1]
    assert (5, 20) == ids.shape
    assert all(len(set(row)) == 20 for row in ids.tolist())
    assert not (ids[:, :, None] == act[:, None, :]).any()
    r2 = ce.run(net, act, x, "relu", read=act[0])
    assert np.all(r2.inactive_ids[1, 0] == -1) and np.all(r2.read_inactive[1, 0] == 0)


def test_rotation_family_equations():
    """RiS (5.1)-(5.4): alpha = 1 is a fixed point, x rotates by theta each layer, 0 stays 0,
    wbar rows (2,-2,0,0) and Dw = w - wbar vanishes in rows 0, 1."""
    rng = np.random.default_rng(0)
    T, L = 50, 5
    fam = ce.rotation_family(T, L, rng)
    act = ce.sample_active(T, 2, 4, rng)
    x0 = fam.sample_x(rng, 4, 2)
    a = fam.forward_small(act, fam.encode(act, x0))
    th = np.arctan2(fam.w[1][:, 3, 2], fam.w[1][:, 2, 2])        # (s, c) entries of r_t
    for l in range(L + 1):
        alpha, x = fam.decode(l, act, a[l])
        assert np.allclose(alpha, 1.0, rtol=0, atol=1e-14)
        ang = np.arctan2(x0[..., 1], x0[..., 0]) + l * th[act]
        assert np.allclose(x, np.stack([np.cos(ang), np.sin(ang)], -1), rtol=0, atol=1e-12)
    assert np.all(fam.forward_small(act, np.zeros_like(a[0]))[1:] == 0)
    assert np.array_equal(np.tile([2.0, -2, 0, 0], (4, 1)), fam.wbar[2])
    assert np.all((fam.w[1] - fam.wbar[1])[:, :2] == 0)
    assert np.array_equal([-0.5, -1.5, -1, -1], fam.b[3])


def test_zero_mean_family_equations():
    """Zero-mean family: rows of every w_t sum to 0 (so E_t w_t = 0 over the role permutation),
    alpha = 1 fixed, y' = Q y with |y| kept, inactive noise below 1/16 is removed."""
    rng = np.random.default_rng(1)
    T, d, L = 4000, 5, 3
    fam = ce.zero_mean_family(T, d, L, rng)
    assert np.allclose(fam.w[1:].sum(-1), 0.0, atol=1e-12)
    m = fam.w[1:].mean(1)
    assert np.all(np.abs(m) <= 6 * fam.w[1:].std(1) / np.sqrt(T))    # fixed seed, 6 sigma
    act = ce.sample_active(T, 3, 6, rng)
    a = fam.forward_small(act, fam.encode(act, fam.sample_x(rng, 6, 3)))
    for l in range(L + 1):
        alpha, y = fam.decode(l, act, a[l])
        assert np.allclose(alpha, 1.0, atol=1e-12)
        assert np.allclose(np.linalg.norm(y, axis=-1), 1.0, atol=1e-12)
    noise = rng.uniform(-1 / 16, 1 / 16, (6, 3, d))
    out = np.maximum(np.einsum("bzij,bzj->bzi", fam.w[1][act], noise) + fam.b[1], 0)
    assert np.all(out == 0)


def test_events_and_sparse_agree_at_capacity():
    """Both product routes agree at D = 1000, T = T_max = 557, relu mode (no dense matrix)."""
    net, rng = make("rotation", 4, 250, 6, None, 4, 8)
    act = ce.sample_active(net.T, 2, 4, rng)
    x = net.family.sample_x(rng, 4, 2)
    r1 = ce.run(net, act, x, "relu", read=50, rng=np.random.default_rng(0), strategy="events")
    r2 = ce.run(net, act, x, "relu", read=50, rng=np.random.default_rng(0), strategy="sparse")
    assert np.allclose(r1.read_active, r2.read_active, rtol=0, atol=1e-12)
    assert np.allclose(r1.read_inactive, r2.read_inactive, rtol=0, atol=1e-12)
    assert np.array_equal(r1.frac_on, r2.frac_on)


def test_deterministic_given_seed():
    """Same seeds, same network and same numbers."""
    out = []
    for _ in range(2):
        net, rng = make("zero-mean", 4, 30, 3, None, 3, 7)[0], np.random.default_rng(9)
        act = ce.sample_active(net.T, 2, 3, rng)
        out.append(ce.run(net, act, net.family.sample_x(rng, 3, 2), "relu", read=10, rng=rng))
    assert np.array_equal(out[0].read_active, out[1].read_active)
    assert np.array_equal(out[0].inactive_ids, out[1].inactive_ids)


@pytest.mark.parametrize("args,msg", [
    ((1000, 4, 1, 10, 2), "S >= 2"),
    ((1002, 4, 6, 10, 2), "d to divide D"),
    ((1000, 4, 6, 558, 2), "capacity T_max=557"),
])
def test_build_rejects_bad_sizes(args, msg):
    """Bad sizes are one-line ValueErrors (the CLI turns them into exit 2)."""
    D, d, S, T, L = args
    fam = ce.rotation_family(T, L, np.random.default_rng(0))
    with pytest.raises(ValueError, match=msg) as e:
        ce.Network.build(D, d, S, T, L, fam, np.random.default_rng(0))
    assert "\n" not in str(e.value)


def test_build_rejects_family_mismatch():
    """A family of the wrong (T, d, L) is refused."""
    fam = ce.rotation_family(10, 2, np.random.default_rng(0))
    with pytest.raises(ValueError, match="family has"):
        ce.Network.build(1000, 4, 6, 11, 2, fam, np.random.default_rng(0))


@pytest.mark.slow
def test_run_matches_dense_reference_published_size():
    """D = 1000, T = 557 (RiS Fig. 1 size), relu and ideal, against the dense network."""
    net, rng = make("rotation", 4, 250, 6, None, 4, 10)
    fam = net.family
    Ws = [None] + [ref.weights(fam.w, fam.wbar, net.alloc, l, 6, 250) for l in range(1, 5)]
    act = ce.sample_active(net.T, 3, 4, rng)
    x = fam.sample_x(rng, 4, 3)
    for mode in ("relu", "ideal"):
        acts, reads, _ = ref.forward(fam.w, fam.b, fam.wbar, net.alloc, 6, 250, act,
                                     fam.encode(act, x), mode, Ws)
        r = ce.run(net, act, x, mode, read="all")
        for l in range(1, 5):
            assert close(reads[l][np.arange(4)[:, None], r.inactive_ids[l]], r.read_inactive[l],
                         np.abs(acts[l]).max())


def test_scatter_of_nothing_is_float():
    """Regression: numpy's bincount of empty weights is int64; a later float += then failed
    (a sparse pass at D=2000, tau=0.001, S=4 with no cap-correction entry hit)."""
    out = ce._scatter((2, 4, 3), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, 4)))
    assert out.dtype == np.float64 and not out.any()
    out += 0.5
