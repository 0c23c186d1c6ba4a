"""CiS2 derivations against their definitions: exact enumeration on tiny allocations.

What is proved here (no Monte Carlo): the capacity (published 557, and an independent
re-implementation of the notes' pseudocode), the limit constant c_S (two independent closed
forms, and T_max/N^2 approaching it), the exact allocation statistics P_sh, P_3, K_1, K_2, C
(brute-force enumeration of circuit pairs / active sets), the validity range of RiS's q, and
the structure of the error recursions.  The recursions' *values* are checked by Monte Carlo in
tests/test_cis2_checks.py.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from superpose.derive import cis2
from superpose.derive.cis2 import alloc as cis2_alloc
from superpose.derive.quantity import BadInput, get_quantity


def reference_subsets(N: int, S: int) -> list[tuple[int, ...]]:
    """The notes' pseudocode (cis2.md §4), written independently of derive/cis2_alloc.py."""
    primes = [p for p in range(2, S) if all(p % q for q in range(2, p))]
    composite = any(S % p == 0 for p in range(2, S))
    steps, m = [], 1
    while m * (S - 1) < N:
        if all(m % p for p in primes):
            steps.append(m)
            if composite:
                k = m * S
                while k * (S - 1) < N:
                    steps.append(k)
                    k *= S
        m += 1
    out = []
    for s in steps:
        for r in range(s):
            if r + s * (S - 1) >= N:
                break
            i = r
            while i + s * (S - 1) < N:
                out.append(tuple(range(i, i + S * s, s)))
                i += S * s
    return out


def test_capacity_published_557():
    """cis2.capacity at D=1000, d=4, S=6 is RiS's published 557."""
    assert get_quantity("cis2.capacity").evaluate({"D": 1000, "d": 4, "S": 6}) == 557


@pytest.mark.parametrize("N,S", [(40, 2), (60, 3), (90, 4), (120, 5), (250, 6), (200, 7), (300, 8)])
def test_capacity_matches_reference_pseudocode(N, S):
    """The allocation's subsets are the notes' pseudocode's, and capacity counts them."""
    ref = reference_subsets(N, S)
    assert cis2.capacity(N, 1, S) == len(ref)
    assert [tuple(r) for r in cis2.subsets_array(N, S, len(ref)).tolist()] == ref


@pytest.mark.parametrize("S", [2, 3, 4, 5, 6, 7, 8, 9, 12])
def test_capacity_limit_two_derivations_agree(S):
    """Our digamma form of c_S equals the engine's Gauss-digamma elementary form (1e-12)."""
    assert float(cis2.capacity_limit(S)) == pytest.approx(cis2_alloc.limit_constant(S), rel=1e-12)


def test_capacity_limit_s2_is_ln2_over_2():
    """c_2 = ln(2)/2 (every progression of step s gives floor(count/2) pairs)."""
    assert float(cis2.capacity_limit(2)) == pytest.approx(math.log(2) / 2, rel=1e-15)


@pytest.mark.parametrize("S", [3, 6, 7])
def test_capacity_approaches_limit(S):
    """T_max/N^2 -> c_S: the relative gap at N = 64000 is < 1e-2 and shrinks from N = 1000."""
    c = float(cis2.capacity_limit(S))
    gaps = [abs(cis2_alloc.capacity_sum(N, S) / N**2 / c - 1) for N in (1000, 64000)]
    assert gaps[1] < 1e-2 and gaps[1] < gaps[0]


def _tiny_cases():
    # (N, S, T, z): small enough to enumerate every ordered pair / active set
    return [(12, 3, 9, 1), (12, 3, 9, 2), (15, 3, 12, 3), (20, 4, 13, 2), (30, 3, 40, 2)]


@pytest.mark.parametrize("N,S,T,z", _tiny_cases())
def test_alloc_stats_by_enumeration(N, S, T, z):
    """P_sh, P_3, K_1, K_2, C equal brute-force averages over all circuits / active sets."""
    sub = cis2.subsets_array(N, S, T)
    sets = [set(r) for r in sub.tolist()]
    st = cis2.stats_from_subsets(sub, N, z)
    o = lambda a, b: len(sets[a] & sets[b])  # noqa: E731
    pairs = [(a, b) for a in range(T) for b in range(T) if a != b]
    assert st.psh == pytest.approx(np.mean([o(a, b) for a, b in pairs]), abs=1e-12)
    trip = [o(a, b) * o(a, c) for a, b, c in itertools.permutations(range(T), 3)]
    assert st.p3 == pytest.approx(np.mean(trip), abs=1e-12)
    ks, cs = [], []
    for u in range(T):
        others = [v for v in range(T) if v != u]
        for V in itertools.combinations(others, z):
            cover = set().union(*(sets[v] for v in V))
            ks.append(len(sets[u] & cover))
            cs.extend(len(sets[u] & sets[w] & cover) for w in others if w not in V)
    assert st.k1 == pytest.approx(np.mean(ks), abs=1e-12)
    assert st.k2 == pytest.approx(np.mean(np.square(ks)), abs=1e-12)
    assert st.c == pytest.approx(np.mean(cs), abs=1e-12)


def test_overlap_at_most_one():
    """Any two subsets share at most one position (property (5.22)), N=250, S=6, all 557."""
    sub = cis2.subsets_array(250, 6, 557)
    assert cis2_alloc.max_pair_overlap(sub, 250) == 1


def test_q_negative_exactly_where_nothing_is_shared():
    """q < 0 iff T S d/D < 1; there the first T subsets are disjoint (P_sh = 0)."""
    q = get_quantity("cis2.overlap_ms_q")
    psh = get_quantity("cis2.share_prob")
    for T in (3, 10, 41, 42, 60):  # N = 250, S = 6: floor(N/S) = 41 disjoint step-1 blocks
        p = {"D": 1000, "d": 4, "S": 6, "T": T}
        if T * 6 * 4 / 1000 < 1:
            assert q.evaluate(p) < 0 and psh.evaluate(p) == 0
        else:
            assert q.evaluate(p) > 0
    assert psh.evaluate({"D": 1000, "d": 4, "S": 6, "T": 60}) > 0


def test_exact_overlap_ms_exceeds_uniform_load_value():
    """Non-uniform prime-step loads give P_sh above the uniform-load value (convexity, §5)."""
    for T in (100, 300, 557):
        st = cis2.alloc_stats(250, 6, T)
        assert st.psh > cis2_alloc.sharing_probability_uniform(250, 6, T)


def test_recursion_structure():
    """Layer 1 has no propagation; totals are the sum of their parts; the linear recursion
    matches its closed geometric solution M_l = g^(l-1)[(1+k)^(l-1)(r+M_1) - r] + ... ."""
    st = cis2.alloc_stats(250, 6, 300, 3)
    g, rho0, L = 0.9, 2.0, 5
    rec = cis2.ms_recursion(st, L, g, rho0)
    assert rec.propagation_active[0] == 0 and rec.propagation_inactive[0] == 0
    for l in range(L):
        parts = rec.carried_active[l] + rec.overlap_active[l] + rec.propagation_active[l]
        assert rec.total_active[l] == pytest.approx(parts, rel=1e-14)
        assert rec.total_inactive[l] == pytest.approx(
            rec.overlap_inactive[l] + rec.propagation_inactive[l], rel=1e-14)
    # linear mode: s_l = M_l + (z/T) rho_l obeys s_l = G s_{l-1} exactly (readout power)
    M = cis2.linear_recursion(st, L, g, rho0)
    G = cis2.linear_gain(st, g)
    s = [M[l] + st.z / st.T * rho0 * g ** (l + 1) for l in range(L)]
    for l in range(1, L):
        assert s[l] == pytest.approx(G * s[l - 1], rel=1e-13)


def test_max_circuits_matches_full_scan():
    """The bisection equals a full scan over T (A_L/rho_L is increasing in T here)."""
    D, d, S, z, L, eps, g = 600, 4, 6, 2, 3, 0.15, 1.0
    N, Tmax = D // d, cis2.capacity(D, d, S)
    ratio = []
    for T in range(z + 2, Tmax + 1):
        rec = cis2.ms_recursion(cis2.alloc_stats(N, S, T, z), L, g, 1.0)
        ratio.append(rec.total_active[-1] / rec.rho[-1])
    assert np.all(np.diff(ratio) >= -1e-15)
    ok = [T for T, r in zip(range(z + 2, Tmax + 1), ratio) if r <= eps**2]
    assert cis2.max_circuits(D, d, S, z, L, eps, g) == (max(ok) if ok else 0)


@pytest.mark.parametrize("name,params,msg", [
    ("cis2.capacity", {"D": 1000, "d": 3, "S": 6}, "divide"),
    ("cis2.capacity", {"D": 1000, "d": 4, "S": 1}, ">= 2"),
    ("cis2.share_prob", {"D": 1000, "d": 4, "S": 6, "T": 558}, "capacity"),
    ("cis2.total_ms_active", {"z": 558, "T": 557}, "z=558"),
    ("cis2.total_ms_inactive", {"z": 557, "T": 557}, "no inactive circuits: z = T = 557"),
    ("cis2.share_prob", {"D": 1000, "d": 4, "S": 6, "T": 1}, "no circuit pairs"),
    ("cis2.capacity", {"D": 20, "d": 4, "S": 6}, "N = D/d"),
])
def test_bad_input(name, params, msg):
    """Out-of-range sizes raise BadInput with a clear message."""
    with pytest.raises(BadInput, match=msg):
        get_quantity(name).evaluate(params)
