"""Cost estimates before work (superpose.verify.cost; issue 16 "sizes refused before they are tried").

* every built-in verify module defines ``estimate_cost``, and at a handful of small points its
  memory is within the documented factor of a tracemalloc measurement of the real run;
* ``check_affordable`` refuses the issue's examples in well under a second or two, allocating
  nothing that scales with the run, names the largest size that fits, and returns the Cost of a
  size that fits;
* bounded work where the issue saw runs that never refuse (bounds' test vectors in blocks with
  the same numbers; the rotations eval refusals; the histogram path of alloc_stats).
"""
from __future__ import annotations

import gc
import time
import tracemalloc

import numpy as np
import pytest

from superpose.derive.quantity import BadInput, get_quantity
from superpose.verify import cost
from superpose.verify.check import bind_verify_params, verify_module
from superpose.verify.protocol import Cost

BUILTIN = ("uand-random", "uand-sparse", "costs", "pingpong", "cis2", "rotations", "bounds")


@pytest.mark.parametrize("name", BUILTIN)
def test_every_module_estimates(name):
    mod = verify_module(name)
    assert callable(getattr(mod, "estimate_cost", None))
    params = bind_verify_params(name, {})
    c = mod.estimate_cost(params, mod.DEFAULT_TRIALS)
    assert isinstance(c, Cost) and c.memory_bytes > 0 and c.seconds > 0
    # more trials never cost less time
    assert mod.estimate_cost(params, 10 * mod.DEFAULT_TRIALS).seconds >= c.seconds


# small points (each < ~1 s); modes: uand-random max_law, rotations k-copies
POINTS = [
    ("cis2", {"D": 1000, "T": 300, "z": 3, "L": 4, "K": 16}, 64),
    ("rotations", {"D": 1000, "T": 300, "z": 2, "L": 4, "K": 10}, 40),
    ("rotations", {"k": 1, "D": 4000, "T": 2000, "z": 4, "K": 25}, 50),
    ("bounds", {"n": 4096, "tight": 0}, 20_000),
    ("costs", {"n": 256, "m": 4096, "k": 8, "t": 2, "n_inputs": 4}, 1),
    ("pingpong", {"D": 128, "d": 4, "L": 2, "n_inputs": 2}, 1),
    ("uand-sparse", dict(d=2048, m=256, p=0.1, l=4, n_inputs=8), 2),
    ("uand-random", {"N": 1024, "l": 5}, 512),
    ("uand-random", {"N": 256, "l": 3, "m": 256, "max_law": 1}, 40),
]


def _peak(name, params, trials) -> int:
    mod = verify_module(name)
    mod.measure(params, trials=trials, seed=1)          # warm caches (registry, derive lru)
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        mod.measure(params, trials=trials, seed=0)
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("name,raw,trials", POINTS, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(POINTS)])
def test_memory_estimate_within_factor(name, raw, trials):
    params = bind_verify_params(name, raw)
    est = verify_module(name).estimate_cost(params, trials).memory_bytes
    peak = _peak(name, params, trials)
    assert est >= peak, f"{name} {raw}: estimate {est:.3g} below the measured peak {peak:.3g}"
    if peak >= cost.FLOOR_BYTES:
        assert est <= cost.FACTOR * peak, f"{name} {raw}: estimate {est:.3g} > 2x peak {peak:.3g}"


# ------------------------------------------------------------------ check_affordable

ISSUE = [  # the issue's memory failures under `ulimit -v 8 GB` (rotations at D = 10^5, T = 0 is
    # refused by its constraint: the law of K over 5.2e6 circuits; here T = 10^5 under 300 MB)
    ("cis2", {"D": 100000}, 4800, "D", 8e9),
    ("rotations", {"D": 100000, "T": 100000}, 4000, "T", 3e8),
    ("cis2", {"D": 100000, "T": 100000}, 10**30, "trials", 8e9),
]


@pytest.mark.parametrize("name,raw,trials,what,limit", ISSUE)
def test_refusals_are_fast_and_allocate_nothing(name, raw, trials, what, limit):
    verify_module(name)                                   # import outside the timing
    gc.collect()
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(BadInput) as exc:
            cost.check_affordable(name, raw, trials, max_memory=limit)
        elapsed = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    msg = str(exc.value)
    assert elapsed < 2.0, elapsed
    assert peak < 20 * 2**20, peak                        # the size search is arithmetic only
    assert "\n" not in msg and f"verify {name}" in msg and "needs about" in msg
    assert ("most trials that fit" if what == "trials" else f"largest {what} that fits") in msg
    # the size it names does fit, and the given one does not
    fitted = int(msg.rsplit("about ", 1)[1].split(";")[0])
    mod = verify_module(name)
    p = bind_verify_params(name, raw)
    if what == "trials":
        assert mod.estimate_cost(p, fitted).memory_bytes <= limit
    else:
        assert mod.estimate_cost({**p, what: fitted}, trials).memory_bytes <= limit
    assert mod.estimate_cost(p, trials).memory_bytes > limit


def test_fitting_size_returns_cost():
    c = cost.check_affordable("cis2", {"D": 240, "T": 0, "z": 2, "L": 3, "K": 4}, 40,
                              max_memory=8e9)
    assert isinstance(c, Cost) and 0 < c.memory_bytes < 8e9
    assert cost.check_affordable("bounds", {}, None, max_memory=8e9).memory_bytes < 8e9


def test_bad_params_refused_before_estimating():
    with pytest.raises(BadInput):
        cost.check_affordable("bounds", {"sigma": 1e308}, 10)
    with pytest.raises(BadInput):
        cost.check_affordable("cis2", {}, 0)


def test_available_memory_respects_rlimit(monkeypatch):
    vm = cost._vm_size()
    monkeypatch.setattr(cost.resource, "getrlimit", lambda which: (vm + 5e8, -1))
    assert cost.available_memory() <= 5e8 + 1
    monkeypatch.setattr(cost.resource, "getrlimit", lambda which: (vm + 5e8, -1))
    with pytest.raises(BadInput, match="available"):
        cost.check_affordable("cis2", {"D": 100000}, 4800)


# ------------------------------------------------------------------ bounded work


def test_bounds_blocks_same_numbers():
    """The blocked deterministic vectors are the one-block ones, whatever the block size."""
    from superpose.verify import bounds
    from superpose.verify.rng import stream

    for n, count in ((7, 301), (128, 200)):
        for kind in ("gaussian", "sparse", "one-hot", "sign"):
            full = bounds._vectors(kind, n, count, stream(0, "bounds", "deterministic", kind, n))
            for rows in (2, 10, 10**6):
                blk = np.concatenate(list(bounds._vector_blocks(
                    kind, n, count, stream(0, "bounds", "deterministic", kind, n), rows)))
                assert np.array_equal(full, blk), (kind, n, rows)


def test_bounds_measurements_independent_of_block(monkeypatch):
    from superpose.verify import bounds

    a = bounds.measure_deterministic(64, 2.0, 300, 0)
    monkeypatch.setattr(bounds, "_BLOCK", 64 * 6)
    b = bounds.measure_deterministic(64, 2.0, 300, 0)
    assert [m.estimate for m in a] == [m.estimate for m in b]


@pytest.mark.parametrize("q", ["alpha_mse_active_relu", "seizure_fraction_l1"])
def test_rotations_eval_refuses_exponential_law(q):
    # (verify rotations refuses the same work in its constraint: test_verify_rotations_refuses_law)
    """The issue's eval (l = z = 64, D = T = 10^6, S = 64): one-line refusal naming S, fast."""
    t0 = time.perf_counter()
    with pytest.raises(BadInput, match=r"S=64: .*largest S that runs in a few seconds") as exc:
        get_quantity(f"rotations.{q}").evaluate(l=64, z=64, D=10**6, T=10**6, S=64)
    assert time.perf_counter() - t0 < 2.0
    assert "\n" not in str(exc.value)


def test_verify_rotations_refuses_law():
    t0 = time.perf_counter()
    with pytest.raises(BadInput, match="S=32: the exact law of K"):
        bind_verify_params("rotations", {"D": 40000, "T": 2000, "S": 32})
    with pytest.raises(BadInput, match="S=6: the exact law of K"):
        bind_verify_params("rotations", {"D": 100000, "T": 0})
    assert time.perf_counter() - t0 < 2.0
    bind_verify_params("rotations", {"D": 40000, "T": 2000, "S": 12})   # 2^12 2000 7: fits


def test_alloc_stats_histogram_path_agrees():
    """The load-pair histogram sum of k2 (large sizes) equals the direct loop to rounding."""
    from superpose.derive import cis2

    for N, S, T, z in ((1000, 13, 1100, 2), (2000, 7, 20000, 40), (15625, 64, 7000, 64)):
        sub = cis2.subsets_array(N, S, T)
        lam = np.bincount(sub.ravel(), minlength=N)
        q1 = cis2.binom_ratio(T - np.arange(int(lam.max()) + 1), T - 1, z)
        lsub = lam[sub]
        direct = 0.0
        for a in range(S):
            for b in range(S):
                if a != b:
                    la, lb = lsub[:, a], lsub[:, b]
                    direct += float(np.sum(1 - q1[la] - q1[lb]
                                           + cis2.binom_ratio(T + 1 - la - lb, T - 1, z)))
        assert cis2._both_by_load_pairs(lsub, q1, T, z) == pytest.approx(direct, rel=1e-13)


def test_capacity_closed_count_equals_running():
    from superpose.derive.cis2 import alloc

    for N in (6, 97, 250, 1000, 4321):
        for S in (2, 3, 4, 6, 7, 12):
            if N >= S:
                assert alloc.capacity(N, 1, S) == alloc.capacity_by_running(N, S), (N, S)
