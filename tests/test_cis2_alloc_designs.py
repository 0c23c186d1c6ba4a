"""Allocations beyond prime steps (derive/cis2/designs.py): overlap guarantee, exact capacities,
loads, the alloc parameter; statistics computed from the allocation actually built."""
import itertools

import numpy as np
import pytest

from superpose.derive import cis2
from superpose.derive.cis2 import alloc as A
from superpose.derive.cis2 import designs as G
from superpose.derive.quantity import BadInput, get_quantity

# (N, S, alloc) points where each allocation exists
POINTS = [(250, 6, "prime"), (31, 6, "prime"), (13, 4, "projective"), (21, 5, "projective"),
          (31, 6, "projective"), (156, 6, "projective"), (57, 8, "projective"),
          (40, 4, "projective"), (9, 3, "affine"), (16, 4, "affine"), (64, 4, "affine"),
          (125, 5, "affine"), (81, 9, "affine"), (64, 8, "affine"), (49, 7, "affine"),
          (250, 6, "greedy"), (31, 6, "greedy"), (25, 6, "greedy"), (100, 12, "greedy"),
          (7, 3, "greedy"), (1000, 4, "greedy")]


def _pairs_ok(sub: np.ndarray) -> bool:
    """Independent check: no pair of positions appears in two subsets (python sets)."""
    seen = set()
    for row in sub.tolist():
        for pr in itertools.combinations(sorted(row), 2):
            if pr in seen:
                return False
            seen.add(pr)
    return True


@pytest.mark.parametrize("N,S,alloc", POINTS)
def test_overlap_guarantee_and_count(N, S, alloc):
    sub = A.subsets(N, S, alloc=alloc)
    assert sub.shape == (A.capacity_n(N, S, alloc), S)
    assert sub.min() >= 0 and sub.max() < N
    assert all(len(set(r)) == S for r in sub.tolist())        # S distinct positions each
    assert _pairs_ok(sub)
    assert A.max_pair_overlap(sub, N) <= 1
    assert sub.shape[0] <= G.ceiling(N, S)
    if sub.shape[0] <= 400:                                   # dense reference
        o = A.overlap_matrix(sub, N)
        np.fill_diagonal(o, 0)
        assert o.max(initial=0) <= 1


@pytest.mark.parametrize("N,S,alloc", [p for p in POINTS if p[2] in ("affine", "projective")])
def test_designs_are_steiner_systems(N, S, alloc):
    """Lines reach the ceiling and every point lies on (N-1)/(S-1) lines (uniform loads)."""
    sub = A.subsets(N, S, alloc=alloc)
    assert sub.shape[0] == G.ceiling(N, S) == N * (N - 1) // (S * (S - 1))
    lam = np.bincount(sub.ravel(), minlength=N)
    assert np.all(lam == (N - 1) // (S - 1))


def test_affine_parallel_classes_give_near_uniform_prefix_loads():
    for T in (1, 30, 125, 333, 700):
        lam = np.bincount(A.subsets(125, 5, limit=T, alloc="affine").ravel(), minlength=125)
        assert lam.max() - lam.min() <= 1


@pytest.mark.parametrize("alloc,N,S", [("prime", 250, 6), ("affine", 125, 5),
                                       ("projective", 156, 6), ("greedy", 250, 6)])
def test_prefix_is_a_prefix(alloc, N, S):
    full = A.subsets(N, S, alloc=alloc)
    for T in (1, 7, 100, full.shape[0] - 1):
        assert np.array_equal(A.subsets(N, S, limit=T, alloc=alloc), full[:T]) or \
            alloc in ("projective", "greedy")
    if alloc in ("projective", "greedy"):   # balanced order: shorter runs are prefixes of longer ones
        a, b = A.subsets(N, S, limit=120, alloc=alloc), A.subsets(N, S, limit=400, alloc=alloc)
        assert np.array_equal(a, b[:120])
        lam = np.bincount(b.ravel(), minlength=N)
        assert lam.max() - lam.min() <= 2


def test_prime_default_unchanged():
    assert np.array_equal(A.subsets(250, 6), A.subsets(250, 6, alloc="prime"))
    assert A.capacity(1000, 4, 6) == A.capacity(1000, 4, 6, alloc=0) == 557


@pytest.mark.parametrize("q", [2, 3, 4, 5, 7, 8, 9, 16, 25, 27])
def test_gf_tables_are_fields(q):
    add, mul = G.gf_tables(q)
    x = np.arange(q)
    assert np.array_equal(add[0], x) and np.array_equal(mul[1], x)
    assert all(sorted(add[a]) == list(range(q)) for a in range(q))
    assert all(sorted(mul[a, 1:]) == list(range(1, q)) for a in range(1, q))   # inverses
    a, b, c = np.meshgrid(x, x, x, indexing="ij")
    assert np.array_equal(mul[a, add[b, c]], add[mul[a, b], mul[a, c]])         # distributive
    assert np.array_equal(mul[a, mul[b, c]], mul[mul[a, b], c])                 # associative


def test_missing_designs_are_one_line_bad_input():
    q = get_quantity("cis2.capacity")
    with pytest.raises(BadInput, match=r"S = q a prime power, got S=6"):
        q.evaluate(D=1000, d=4, S=6, alloc="affine")
    with pytest.raises(BadInput, match=r"31, 156, 781.*got N=250"):
        q.evaluate(D=1000, d=4, S=6, alloc="projective")
    with pytest.raises(BadInput, match="expected one of prime, affine, projective, greedy"):
        q.evaluate(D=1000, d=4, S=6, alloc="steiner")
    for msg in (A.alloc_error(250, 6, "affine"), A.alloc_error(250, 6, "projective")):
        assert "\n" not in msg


def test_capacity_per_allocation():
    q = get_quantity("cis2.capacity")
    assert q.evaluate(D=1000, d=4, S=6, alloc="greedy") == A.capacity_n(250, 6, "greedy") > 557
    assert q.evaluate(D=624, d=4, S=6, alloc="projective") == 806
    assert q.evaluate(D=500, d=4, S=5, alloc="affine") == 775
    assert q.evaluate(D=1000, d=4, S=6) == 557
    assert get_quantity("cis2.capacity_ceiling").evaluate(D=1000, d=4, S=6) == 2075


def test_stats_from_the_built_allocation():
    """P_sh of cis2 equals the pair count of the subsets actually built (dense overlap matrix)."""
    for alloc in ("projective", "greedy"):
        sub = A.subsets(156, 6, limit=180, alloc=alloc)
        o = A.overlap_matrix(sub, 156)
        np.fill_diagonal(o, 0)
        st = cis2.alloc_stats(156, 6, 180, 2, G.ALLOCS.index(alloc))
        assert st.psh == pytest.approx(o.sum() / (180 * 179), rel=1e-12)
        q = get_quantity("cis2.share_prob").evaluate(D=624, d=4, S=6, T=180, alloc=alloc)
        assert q == pytest.approx(st.psh, rel=1e-12)


def test_alloc_param_spellings():
    assert G.PALLOC.parse("greedy") == 3 and G.PALLOC.parse("3") == 3 and G.PALLOC.parse(1) == 1
    with pytest.raises(BadInput):
        G.PALLOC.parse(4)
    assert G.PALLOC.describe()["choices"] == list(G.ALLOCS)


def test_greedy_against_ceiling_grows():
    """The greedy packing holds more than prime steps and stays below the ceiling."""
    for N in (156, 250, 781):
        g, p = A.capacity_n(N, 6, "greedy"), A.capacity_n(N, 6, "prime")
        assert p < g <= G.ceiling(N, 6)
