"""Prime-number-step allocation (derive/cis2_alloc.py) against cis2.md §4-§5.

The algorithm is re-transcribed literally from the pseudo-code (cis2.md §4 / assignments.py)
below and compared with the vectorised module; the capacity is checked three ways (running
the algorithm, the per-step closed sum, the literal double sum) and against the published 557.
Not established here: anything about the network built on the allocation (test_cis2_engine).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from superpose.derive.cis2 import alloc as ca


def literal_subsets(N: int, S: int) -> list[list[int]]:
    """cis2.md §4 pseudo-code, transcribed line by line (independent of the module)."""
    P = [p for p in range(2, S) if all(p % q for q in range(2, p))]
    S_prime = all(S % q for q in range(2, S))

    def steps():
        m = 1
        while m * (S - 1) < N:
            if all(m % p for p in P):
                yield m
                if not S_prime:
                    k = m * S
                    while k * (S - 1) < N:
                        yield k
                        k *= S
            m += 1

    out = []
    for s in steps():
        for r in range(s):
            if r + s * (S - 1) >= N:
                break
            i = r
            while i + s * (S - 1) < N:
                out.append([i + k * s for k in range(S)])
                i += S * s
    return out


def test_published_capacity_557():
    """RiS: T_max = 557 at D = 1000, d = 4, S = 6 (N = 250)."""
    assert 557 == ca.capacity(1000, 4, 6)
    assert 557 == ca.capacity_sum(250, 6)


def test_step_order_n250_s6():
    """cis2.md §4: step order 1, 6, 36, 7, 42, 11, 13, 17, ..., 47, 49 at N = 250, S = 6."""
    s = ca.steps(250, 6).tolist()
    assert [1, 6, 36, 7, 42, 11, 13, 17] == s[:8]
    assert [47, 49] == s[-2:]


@pytest.mark.parametrize("N,S", [(1, 2), (7, 2), (30, 2), (25, 3), (60, 4), (100, 5), (250, 6),
                                 (90, 7), (120, 8), (200, 9), (64, 12)])
def test_subsets_match_literal_algorithm(N, S):
    """The vectorised subsets equal the literal transcription, in emission order."""
    assert literal_subsets(N, S) == ca.subsets(N, S).tolist()


@pytest.mark.parametrize("S", range(2, 10))
def test_capacity_three_ways(S):
    """capacity (running it) == capacity_sum (closed per-step sum) == literal double sum (§4)."""
    for N in list(range(1, 40)) + [97, 250, 401]:
        lit = sum((-(-(N - r) // s)) // S for s in ca.steps(N, S).tolist() for r in range(s))
        assert lit == ca.capacity_sum(N, S) == ca.capacity(N * 3, 3, S), (N, S)


@pytest.mark.parametrize("N,S", [(60, 2), (100, 3), (120, 4), (200, 5), (250, 6), (150, 7),
                                 (300, 8), (180, 9)])
def test_pairwise_overlap_at_most_one(N, S):
    """(5.22): any two emitted subsets share at most one position; rows are S distinct positions."""
    sub = ca.subsets(N, S)
    assert sub.min() >= 0 and sub.max() < N
    assert np.all(np.diff(sub, axis=1) > 0)
    assert 1 >= ca.max_pair_overlap(sub, N)


def test_max_pair_overlap_detects_violations():
    """The overlap checker can fail: on random S-subsets it equals the brute-force maximum (>= 2)."""
    rng = np.random.default_rng(3)
    for N, S, T in [(50, 5, 40), (30, 3, 60), (80, 6, 25)]:
        r = np.stack([rng.choice(N, S, replace=False) for _ in range(T)])
        o = ca.overlap_matrix(r, N)
        np.fill_diagonal(o, 0)
        assert o.max() == ca.max_pair_overlap(r, N)
    assert 2 <= ca.max_pair_overlap(np.array([[0, 1, 2], [1, 2, 5]]), 6)


def test_allocate_layers_are_permutations():
    """Layer l = first T subsets under its own permutation; layer 0 equals layer 1; seeded."""
    N, S, T, L = 250, 6, 400, 3
    al = ca.allocate(N, S, T, L, np.random.default_rng(5))
    base = ca.subsets(N, S)[:T]
    assert (L + 1, T, S) == al.shape
    assert np.array_equal(al[0], al[1])
    for l in range(1, L + 1):
        assert sorted(map(tuple, base.tolist())) == sorted(map(tuple, al[l].tolist()))
    assert np.array_equal(al, ca.allocate(N, S, T, L, np.random.default_rng(5)))
    assert not np.array_equal(al[1], al[2])


def test_allocate_rejects_too_many_circuits():
    """T > T_max is a one-line ValueError naming the capacity."""
    with pytest.raises(ValueError, match="capacity T_max=557") as e:
        ca.allocate(250, 6, 558, 2, np.random.default_rng(0))
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("args", [(1000, 4, 1), (1001, 4, 6), (1000, 0, 6)])
def test_capacity_bad_input(args):
    """S < 2 or d not dividing D raise ValueError."""
    with pytest.raises(ValueError):
        ca.capacity(*args)


def test_sharing_probability_exact_from_loads():
    """P_sh from the loads equals the brute-force fraction of sharing ordered pairs (§5)."""
    N, S, T = 250, 6, 557
    al = ca.allocate(N, S, T, 1, np.random.default_rng(1))[1]
    lam = ca.loads(al, N)
    assert T * S == lam.sum()
    o = ca.overlap_matrix(al, N)
    off = o[~np.eye(T, dtype=bool)]
    assert set(np.unique(off).tolist()) <= {0, 1}
    assert off.mean() == pytest.approx(ca.sharing_probability_exact(lam, T), rel=1e-13)
    assert ca.mean_square_overlap(lam, T, S) == pytest.approx(((off / S) ** 2).mean(), rel=1e-13)
    # non-uniform loads make P_sh exceed the uniform-load value (convexity, §5)
    assert ca.sharing_probability_exact(lam, T) > ca.sharing_probability_uniform(N, S, T)


def test_limit_constant_closed_forms():
    """c_2 = ln(2)/2; c_6 = (8/25)(2 ln 2 + 1.5 ln 3 - sqrt(3) pi / 2)/12; equals the k-series."""
    assert ca.limit_constant(2) == pytest.approx(math.log(2) / 2, rel=1e-14)
    c6 = 8 / 25 * (2 * math.log(2) + 1.5 * math.log(3) - math.sqrt(3) * math.pi / 2) / 12
    assert ca.limit_constant(6) == pytest.approx(c6, rel=1e-14)
    for S in range(2, 13):
        rho = math.prod(1 - 1 / p for p in ca.primes_below(S))
        delta = rho if all(S % q for q in range(2, S)) else rho * S / (S - 1)
        k = np.arange(1, 2_000_001, dtype=float)
        series = np.sum(1 / (k * S * (k * S - 1))) + 1 / (S * S * 2_000_000)   # + tail
        assert ca.limit_constant(S) == pytest.approx(delta * series / 2, rel=1e-11), S


@pytest.mark.parametrize("S", range(2, 10))
def test_limit_constant_matches_capacity(S):
    """T_max(N)/N^2 -> c_S with relative gap O(1/N): |N (T_max/(c N^2) - 1)| < 50 at N = 1e5."""
    c = ca.limit_constant(S)
    N = 100_000
    assert abs(N * (ca.capacity_sum(N, S) / (c * N * N) - 1)) < 50


@pytest.mark.slow
@pytest.mark.parametrize("S", [2, 3, 6, 8])
def test_limit_constant_matches_capacity_large(S):
    """Same at N = 10^6 (slow)."""
    c = ca.limit_constant(S)
    N = 1_000_000
    assert abs(N * (ca.capacity_sum(N, S) / (c * N * N) - 1)) < 50
