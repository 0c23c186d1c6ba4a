"""cis1: the network is the construction, the checks pass at small sizes and can fail, the export
round-trips.  Reference values are computed here from the construction's definition (explicit
loops), never typed in."""
from __future__ import annotations

import dataclasses
import tempfile

import numpy as np
import pytest

from superpose.derive import cis1 as theory
from superpose.derive.cis1 import network as nw
from superpose.derive.quantity import get_construction, get_quantity
from superpose.verify import cis1 as v
from superpose.verify.audit import audit_measurements
from superpose.verify.check import judge, run_checks
from superpose.verify.rng import stream


def small(family=0, mode="linear", b=0.0, T=6, L=2, tied=False, seed=0):
    d, m = 3, (6 if family == 1 else 4)
    return nw.build(20, 24, d, m, T, 3, L, 0.5, family, mode, b, stream(seed, "test-cis1"), tied=tied)


def test_frames_copies_and_weights_are_the_construction():
    net = small()
    for t in range(net.T):
        assert np.allclose(net.E[t].T @ net.E[t], np.eye(net.d))
    for l in (1, 2):
        assert all(len(set(net.cp[l, t, j])) == net.c for t in range(net.T) for j in range(net.m))
        Win, Wout = np.zeros((net.M, net.D)), np.zeros((net.D, net.M))
        for t in range(net.T):
            for j in range(net.m):
                for i in net.cp[l, t, j]:
                    Win[i] += net.E[t] @ net.win[l, t, j]
                    Wout[:, i] += net.E[t] @ net.wout[l, t, :, j] / net.c
        assert np.allclose(Win, net.Win[l]) and np.allclose(Wout, net.Wout[l])


@pytest.mark.parametrize("mode", ["linear", "relu"])
def test_rotation_family_preserves_norms(mode):
    net = small(family=1, mode=mode)
    ids = np.array([[0, 3]])
    a = stream(1, "test-cis1", "a").standard_normal((1, 2, net.d))
    out = nw.small_step(net, 1, ids, a)
    assert np.allclose(np.linalg.norm(out, axis=-1), np.linalg.norm(a, axis=-1))


def test_linear_network_is_the_residual_map():
    net = small(tied=True, L=3)
    ids = np.array([[1, 2]])
    a0 = stream(2, "test-cis1").standard_normal((1, 2, net.d))
    A, _, _ = nw.forward(net, ids, a0)
    step = np.eye(net.D) + nw.jacobian(net, 1)
    assert np.allclose(A[3][0], np.linalg.matrix_power(step, 3) @ A[0][0])
    lam = np.linalg.eigvals(step)
    assert np.isclose(nw.growth_rate(net), np.max(np.abs(lam)) ** 2)


def test_linear_gain_mean_over_isotropic_errors():
    """G1 is E|(I+J)R|^2/|R|^2 for isotropic R: (1/D)||I+J||_F^2, computed here by sampling R."""
    net = small(T=8)
    J = nw.jacobian(net, 1)
    R = stream(3, "test-cis1").standard_normal((20000, net.D))
    R /= np.linalg.norm(R, axis=1, keepdims=True)
    g = np.mean(np.sum((R + R @ J.T) ** 2, 1))
    assert abs(g - np.sum((np.eye(net.D) + J) ** 2) / net.D) < 0.05 * g


def test_smoke_checks_pass():
    p, res, ms = run_checks("cis1", v.SCALES["smoke"][0][0], trials=v.SCALES["smoke"][0][1], seed=0)
    assert [r.name for r in res if r.verdict == "fail"] == []
    assert {r.quantity for r in res if r.verdict == "pass"} >= {
        "cis1.overlap_ms_active", "cis1.readin_ms_copy", "cis1.readin_ms_avg", "cis1.linear_gain"}


@pytest.fixture(scope="module")
def medium():
    """A run large enough to tell the structural mutants apart (no comparison, no capacity)."""
    return run_checks("cis1", {"D": 128, "M": 128, "T": 64, "L": 2, "K": 16, "compare": 0},
                      trials=320, seed=1)


def test_structural_mutants_fail(medium):
    """Dropping the sharing term of the gain, the copy-pair factor of the averaged read-in, or a
    term of the read-in bracket is caught by the same measurements that pass."""
    _, res, ms = medium
    assert [r.name for r in res if r.verdict == "fail"] == []
    by = {m.quantity: m for m in ms}
    gain = get_quantity("cis1.linear_gain")
    for label, expr in gain.mutants:
        if label == "no neuron sharing":
            assert judge(by["cis1.linear_gain"], 1, quantity=gain.with_closed_form(expr)).verdict == "fail"
    D, M, d, m, T, k, c, rho = (p.symbol for p in (theory.PD, theory.PM, theory.Pd, theory.Pm,
                                                   theory.PT, theory.Pk, theory.Pc, theory.Prho0))
    avg = get_quantity("cis1.readin_ms_avg")
    no_F = avg.closed_form / (1 + (c - 1) ** 2 / (M - 1))        # copies treated independent
    assert judge(by["cis1.readin_ms_avg"], 1, quantity=avg.with_closed_form(no_F)).verdict == "fail"
    copy = get_quantity("cis1.readin_ms_copy")
    only_inactive = c / (d * M) * (T - k) * m * k * d / D * rho   # collisions with actives dropped
    assert judge(by["cis1.readin_ms_copy"], 1, quantity=copy.with_closed_form(only_inactive)).verdict == "fail"


def test_audit_catches_the_structural_mutants(medium):
    audits = {a.quantity: a for a in audit_measurements(medium[2], 1)}
    for name in ("load_mean", "params_large", "params_small", "linear_gain", "readin_ms_copy"):
        live = [mu for mu in audits[f"cis1.{name}"].mutants
                if not mu.equivalent and not mu.label.startswith("x")]
        assert live and all(mu.caught for mu in live), audits[f"cis1.{name}"].to_json()


def test_capacity_scales_with_the_claim_and_shrinks_with_eps():
    cap = get_quantity("cis1.capacity_1layer")
    base = {"d": 4, "m": 4, "k": 2, "c": 6, "g2": 0.25, "rho0": 1.0}
    a = cap.evaluate({**base, "D": 512, "M": 512, "eps": 0.3})
    b = cap.evaluate({**base, "D": 1024, "M": 1024, "eps": 0.3})
    assert 3.0 < b / a < 4.5          # ~ MD; the overlap offset makes it slightly above 4 at eps
    assert cap.evaluate({**base, "D": 512, "M": 512, "eps": 0.2}) < a


def test_on_fraction_l1_against_direct_sampling():
    """The binomial-mixture compute against pre-activations of the built relu network."""
    p = {"D": 256, "M": 256, "d": 4, "m": 4, "T": 48, "k": 2, "c": 6, "rho0": 1.0, "b": -0.3}
    fr = []
    for g in range(6):
        rng = stream(4, "test-cis1", g)
        net = nw.build(p["D"], p["M"], 4, 4, p["T"], 6, 1, 0.25, 0, "relu", p["b"], rng)
        ids, a0 = v._inputs(p["T"], 2, 4, 64, 1.0, rng)
        _, pre, _ = nw.forward(net, ids, a0)
        fr.append(np.mean(pre[1] + p["b"] > 0))
    assert abs(np.mean(fr) - theory.on_fraction_l1(**p)) < 0.1 * np.mean(fr) + 4 * np.std(fr) / 2


def test_answer_and_strings():
    c = get_construction("cis1")
    assert c.answers and c.discussion
    assert c.answers[0].answer({}) is None


def test_export_round_trip_and_dense_equals_network():
    from superpose.reports import export as E

    p = {"D": 48, "M": 40, "T": 10, "L": 3}
    ex, built = E.make("cis1", p, seed=1)
    fx, _ = E.make("cis1", p, seed=1, fmt="factored")
    s = ex.sample_inputs(5, 3)
    y = ex.forward(s["input"])
    assert np.allclose(y, fx.forward(s["input"]), atol=1e-12)
    A, _, _ = nw.forward(built.network, s["active"], s["true"][0])
    assert np.allclose(nw.read(built.network, A[-1]).reshape(5, -1), y, atol=1e-12)
    for fmt in ("dense", "factored"):
        out = tempfile.mkdtemp() + "/x"
        E.write(E.make("cis1", p, seed=1, fmt=fmt)[0], out)
        assert E.load(out).verify()[0]
    assert set(ex.neurons(2, 1)) == set(2 * 48 + built.network.cp[1, 2].ravel())
