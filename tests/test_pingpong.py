"""pingpong: counts against the built network, exactness for every circuit, mutants fail.

The z = 1 check is exhaustive over all (D/d)^2 circuits at small sizes, with the a-priori
float64 rounding bound as tolerance; a network whose gate constant B is too small (a
structural mutant of the construction) must fail it.  Not established here: sizes beyond
D/d = 64, or a derivation of the z = 2 error (measured only).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from superpose.derive import pingpong as P
from superpose.derive.quantity import BadInput, get_construction, get_quantity
from superpose.verify import pingpong as V
from superpose.verify.check import bind_verify_params, judge
from superpose.verify.rng import stream

C = get_construction("pingpong")


def _val(name, **kw):
    return C.get(name).evaluate(kw)


@pytest.mark.parametrize("D,d", [(1, 1), (4, 2), (12, 4), (16, 1), (40, 5), (64, 8), (63, 1)])
def test_width_and_circuits_match_built_network(D, d):
    """eq:pingpong-width / -circuits: the built network's width; T = (D/d)^2 block pairs."""
    N = D // d
    w, b = V.random_circuits(N * N, d, 2, stream(0, "t", D, d))
    layers = V.build(D, d, 2, w, b, P.gate_constants(w, b, 1.0))
    assert _val("width", D=D, d=d) == layers[0][0].shape[0]
    assert _val("circuits", D=D, d=d) == N * N
    owners = {V.circuit_of(l, r, s, N) for l in (1, 2) for r in range(N) for s in range(N)}
    assert set(range(N * N)) == owners


@pytest.mark.parametrize("n", list(range(1, 70)) + [2**20, 2**20 + 1])
def test_bits_needed_is_ceil_log2(n):
    """ceil(log2 N) (integer arithmetic) equals the closed form's ceiling term."""
    assert P.bits_needed(n) == _val("width", D=n, d=1) - 2 * n


def test_gate_constant_covers_adversarial_inputs():
    """At layer 1 the corner x = sign(w_k) attains P_1; every non-destination block stays <= 0
    before the ReLU (the gate is never too small), and B_1 >= 2 P_1."""
    D, d, L = 12, 3, 1
    N = D // d
    w, b = V.random_circuits(N * N, d, L, stream(1, "adv"))
    B = P.gate_constants(w, b, 1.0)
    W, bias = V.build(D, d, L, w, b, B)[0]
    P1 = np.max(np.abs(w[0]).sum(axis=2) + np.abs(b[0]))
    assert B[0] >= 2 * P1
    for t in range(N * N):
        i, j = divmod(t, N)
        for k in range(d):
            x = np.sign(w[0, :, k, :]).reshape(-1, d)   # corners aimed at row k of each circuit
            for xx in x:
                h = V.encode(D, d, [[(i, j)]], [[xx]])[:, 0]
                pre = W @ h + bias
                for r in range(N):
                    if r != j:
                        assert np.all(pre[r * d:(r + 1) * d] <= 0)


def test_rounding_bound_holds_at_corners():
    """The network output stays within the a-priori rounding bound on corner inputs."""
    D, d, L = 16, 4, 3
    N = D // d
    rng = stream(2, "corner")
    w, b = V.random_circuits(N * N, d, L, rng)
    B = P.gate_constants(w, b, 1.0)
    layers = V.build(D, d, L, w, b, B)
    e_net, e_ref = P.rounding_bounds(w, b, B, 1.0, layers[0][0].shape[0])
    for t in range(N * N):
        i, j = divmod(t, N)
        for _ in range(4):
            x = rng.choice([-1.0, 1.0], size=d)
            H = V.forward(layers, V.encode(D, d, [[(i, j)]], [[x]]))
            o = V.out_block(L, i, j)
            assert np.max(np.abs(H[o * d:(o + 1) * d, 0] - V.reference(w, b, t, x))) <= e_net + e_ref


@pytest.fixture(scope="module")
def default_measurements():
    return V.measure(bind_verify_params("pingpong", {}), trials=V.DEFAULT_TRIALS, seed=1)


def test_default_checks(default_measurements):
    """z = 1 checks pass; the post's L+2 and the z = 2 quantities are info."""
    for m in default_measurements:
        r = judge(m, 1)
        q = get_quantity(m.quantity)
        expected = "info" if (q.published or q.is_measured_only) else "pass"
        assert expected == r.verdict, r.name


def test_z2_is_broken(default_measurements):
    """With two circuits active most outputs are wrong (what the z = 2 measurement shows)."""
    m = next(x for x in default_measurements if x.quantity.endswith("z2_broken_fraction"))
    assert m.estimate.value > 0.5


def test_too_small_gate_fails_exactness():
    """Structural mutant: B_l / 8 (below P_l) lets foreign blocks through; the check fails."""
    params = bind_verify_params("pingpong", V.SCALES["smoke"][0][0])
    ms = V.measure(params, trials=3, seed=1, gate_scale=1 / 8)
    verdicts = {m.quantity: judge(m, 1).verdict for m in ms}
    assert "fail" == verdicts["pingpong.exact_failures"]
    assert "fail" == verdicts["pingpong.circuits"]


def test_perturbed_counts_fail(default_measurements):
    """Width without the binary code, circuits x1.05, depth + 1: each fails its check.

    (depth x1.05 is rounded back to L by the integer quantity, so it is mutated by +1.)"""
    for m in default_measurements:
        q = get_quantity(m.quantity)
        if q.short == "width":
            wrong = q.with_closed_form(P.D + P.D / P.d)
            assert "fail" == judge(m, 1, quantity=wrong).verdict
        if q.short == "circuits":
            assert "fail" == judge(m, 1, quantity=q.scaled(1.05)).verdict
        if q.short == "depth":
            assert "fail" == judge(m, 1, quantity=q.with_closed_form(P.L + 1)).verdict


@pytest.mark.parametrize("raw,msg", [(dict(D=10, d=4), "must divide"), (dict(D=0, d=1), ">= 1")])
def test_bad_input(raw, msg):
    """d must divide D; sizes are positive."""
    with pytest.raises(BadInput, match=msg):
        _val("width", **raw)


def test_verify_rejects_huge_exhaustive_check():
    """The exhaustive check refuses D/d > 64."""
    with pytest.raises(BadInput, match="> 64"):
        bind_verify_params("pingpong", dict(D=4096, d=2))


def test_determinism():
    """Same seed, same numbers."""
    p = bind_verify_params("pingpong", V.SCALES["smoke"][0][0])
    a = V.measure(p, trials=2, seed=5)
    b = V.measure(p, trials=2, seed=5)
    assert [x.estimate for x in a] == [x.estimate for x in b]


@pytest.mark.slow
@pytest.mark.parametrize("case", V.SCALES["quick"] + V.SCALES["paper"])
def test_scales_pass(case):
    """Quick and paper points: no z = 1 failure (slow)."""
    from superpose.verify.check import run_checks
    _, results, _ = run_checks("pingpong", case[0], trials=case[1], seed=7)
    assert [] == [r.name for r in results if r.verdict == "fail"]
