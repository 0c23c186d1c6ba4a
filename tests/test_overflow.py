"""Index arithmetic at the largest allowed sizes (issue 16: int32 overflow in ``_cap_correction``).

The allocation is int32 (positions < N), so ``alm1 * N`` (the link key ``m N + n``) wraps once
``N^2 >= 2^31`` (N >= 46341, e.g. D = 10^6, d = 4).  These tests use small synthetic arrays with
large position values (fast) and compare against exact Python-int arithmetic; one of them runs
the *old* expression to show the inputs do trigger the bug the fix removes.
"""
from __future__ import annotations

import inspect
import textwrap
from collections import Counter

import numpy as np
import pytest

from superpose.verify.cis2 import engine as eng

N_BIG = 250_000  # D = 10^6, d = 4


def _exact(al: np.ndarray, alm1: np.ndarray, N: int):
    """corr (dict (n, m) -> c - 1 for links repeated c >= 2 times) and chi, in Python ints."""
    T, S = al.shape
    links = Counter((int(m), int(n)) for t in range(T) for m in alm1[t] for n in al[t])
    corr = {(n, m): c - 1 for (m, n), c in links.items() if c >= 2}
    lam_l, lam_m = Counter(int(x) for x in al.ravel()), Counter(int(x) for x in alm1.ravel())
    full = sum(sum(lam_l[int(n)] for n in al[t]) * sum(lam_m[int(m)] for m in alm1[t])
               for t in range(T))
    over = sum(c * lam_l[n] * lam_m[m] for (n, m), c in corr.items())
    nsym = full - over - T * S * S
    den = T * (T - 1) * S * S - nsym
    return corr, nsym / den / S


def _synthetic(N: int = N_BIG):
    """6 circuits, S = 3, positions near N: circuits 0/1 and 2/3 share a (m, n) link pair."""
    hi = N - 1
    alm1 = np.array([[hi, hi - 7, 5], [hi, hi - 9, 11], [hi - 20, hi - 21, 3],
                     [hi - 20, 40, 41], [hi - 3, 2, 1], [7, 8, 9]], np.int32)
    al = np.array([[hi - 1, 17, 60000], [hi - 1, 18, 61000], [hi - 30, 123456, 4],
                   [hi - 30, 9, 123456], [hi - 2, 6, 10], [hi, 12, 13]], np.int32)
    return al, alm1


def _as_dict(corr) -> dict:
    c = corr.tocoo()
    return {(int(r), int(k)): float(v) for r, k, v in zip(c.row, c.col, c.data)}


def test_cap_correction_large_positions_exact():
    al, alm1 = _synthetic()
    assert al.dtype == np.int32 and N_BIG * N_BIG >= 2**31
    corr, chi = eng._cap_correction(al, alm1, N_BIG, 3)
    want, chi_exact = _exact(al, alm1, N_BIG)
    assert _as_dict(corr) == {k: float(v) for k, v in want.items()}
    # a link (m=hi-20 -> n=hi-30) held twice and (hi -> hi-1) twice, plus 123456 shared twice
    assert len(want) >= 2
    assert chi == pytest.approx(chi_exact, rel=1e-15, abs=0)


def _old_cap_correction():
    """The function as it was before the fix (int32 product), rebuilt from today's source."""
    src = textwrap.dedent(inspect.getsource(eng._cap_correction))
    new = "np.add(alm1[t0:t1, :, None].astype(dt) * dt(N), al[t0:t1, None, :], out=keys[t0:t1])"
    old = "np.add((alm1[t0:t1, :, None] * N).astype(dt), al[t0:t1, None, :], out=keys[t0:t1])"
    assert new in src, "the fixed line moved: update this test"
    ns = dict(vars(eng))
    exec(compile(src.replace(new, old), "<old _cap_correction>", "exec"), ns)
    return ns["_cap_correction"]


def test_old_int32_product_fails_on_these_inputs():
    """The same inputs break the pre-fix code: it raises or returns a wrong correction."""
    al, alm1 = _synthetic()
    # the wrapped key itself (what the old code computed before widening)
    wrapped = (alm1[:, :, None] * N_BIG).astype(np.int64)
    exact = alm1[:, :, None].astype(np.int64) * N_BIG
    assert (wrapped != exact).any()
    old = _old_cap_correction()
    want, chi_exact = _exact(al, alm1, N_BIG)
    try:
        corr, chi = old(al, alm1, N_BIG, 3)
    except ValueError:
        return                                      # e.g. negative rows/cols in the CSC build
    assert _as_dict(corr) != {k: float(v) for k, v in want.items()} or chi != pytest.approx(chi_exact)


@pytest.mark.parametrize("N", [1000, 46340, 46341, 10**6 // 4])
def test_cap_correction_matches_exact_around_the_int32_edge(N):
    """Random int32 allocations whose positions span [0, N): exact at every N (both key dtypes)."""
    rng = np.random.default_rng(N)
    T, S = 40, 4
    al = np.sort(rng.choice(N, (T, S)), axis=1).astype(np.int32)
    alm1 = al[rng.permutation(T)]
    alm1[::5] = alm1[1::5]                           # force repeated links
    corr, chi = eng._cap_correction(al, alm1, N, S)
    want, chi_exact = _exact(al, alm1, N)
    assert _as_dict(corr) == {k: float(v) for k, v in want.items()}
    assert chi == pytest.approx(chi_exact, rel=1e-14, abs=0)


def test_network_build_at_d_1e6_T_20000():
    """The issue's failing size (D = 10^6, T = 20000: positions up to ~120000, keys past 2^31)
    builds, and chi agrees with an independent int64 count of the links."""
    D, d, S, T, L = 10**6, 4, 6, 20000, 2
    rng = np.random.default_rng(0)
    net = eng.Network.build(D, d, S, T, L, eng.rotation_family(T, L, rng), rng)
    al, alm1 = net.alloc[2].astype(np.int64), net.alloc[1].astype(np.int64)
    N = net.N
    assert int(al.max()) * N >= 2**31                 # the int32 product would have wrapped
    keys = (alm1[:, :, None] * N + al[:, None, :]).ravel()
    uk, c = np.unique(keys, return_counts=True)
    lam_l, lam_m = np.bincount(al.ravel(), minlength=N), np.bincount(alm1.ravel(), minlength=N)
    rep = c >= 2
    over = int(np.sum((c[rep] - 1) * lam_l[uk[rep] % N] * lam_m[uk[rep] // N]))
    full = int(np.dot(lam_l[al].sum(1), lam_m[alm1].sum(1)))
    nsym = full - over - T * S * S
    assert net.chi[2] == pytest.approx(nsym / (T * (T - 1) * S * S - nsym) / S, rel=1e-14)
    assert net.corr[2].nnz == int(rep.sum())
    assert net.corr[2].data.min(initial=1) >= 1
