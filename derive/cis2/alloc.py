r"""CiS2 prime-number-step allocation: S-subsets of N positions, any two sharing <= 1.

Math reference: ``shared/math/cis2.md`` §4 (algorithm, from the authors' ``assignments.py``)
and §5 (overlap statistics).  Pure numpy / python: no sympy, no mpmath, no ``verify``.

**Algorithm** (cis2.md §4).  ``P`` = primes below ``S``.  The steps are the ``m`` with
``m (S-1) < N`` and no prime of ``P`` dividing ``m``, each followed (composite ``S`` only) by
``m S^n`` while ``m S^n (S-1) < N``.  For every step ``s`` and shift ``r = 0..s-1`` the
progression ``r, r+s, r+2s, ... < N`` is cut into consecutive blocks of ``S`` elements (the
incomplete tail is dropped); every block is one subset.  Circuit ``t`` gets the ``t``-th
emitted subset; layer ``l`` applies its own uniform permutation of the ``T`` circuits.

**Capacity** ``T_max(N, S)`` = number of emitted subsets; :func:`capacity` counts them by running
the algorithm, :func:`capacity_sum` evaluates the closed sum (cis2.md §4)

.. math::  T_{\max}=\sum_s\sum_{r=0}^{s-1}\Big\lfloor\lceil (N-r)/s\rceil/S\Big\rfloor
           =\sum_s\Big[\rho_s\lfloor (q_s+1)/S\rfloor+(s-\rho_s)\lfloor q_s/S\rfloor\Big],
           \quad N=q_ss+\rho_s,\ 0\le\rho_s<s,

(the shifts ``r < rho_s`` have ``q_s+1`` elements, the others ``q_s``).  At ``N=250, S=6`` both
give the published **557** (RiS).  The limit ``T_max/N^2`` is :func:`limit_constant`.

**Other allocations** (``alloc``: ``prime`` = the above, the default; ``affine``,
``projective``, ``greedy``: :mod:`superpose.derive.cis2.designs`).  :func:`subsets`,
:func:`capacity`, :func:`allocate` and :func:`size_error` take ``alloc`` (a name or its flag
0..3); every allocation is used the same way (first ``T`` subsets, a fresh uniform permutation
per layer).

>>> capacity(1000, 4, 6)
557
>>> capacity(1000, 4, 6, alloc="greedy") > 557
True
"""
from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from superpose.derive.cis2 import designs
from superpose.derive.cis2.designs import ALLOCS, alloc_name, ceiling

__all__ = ["ALLOCS", "alloc_name", "ceiling", "capacity_n", "alloc_error",
    "primes_below", "steps", "subsets", "capacity", "capacity_sum", "capacity_by_running",
    "limit_constant", "allocate", "loads", "sharing_probability_exact",
    "sharing_probability_uniform", "mean_square_overlap", "q_ris", "overlap_matrix", "max_pair_overlap", "validate",
]


def primes_below(S: int) -> list[int]:
    """The primes p < S (sieve)."""
    return [p for p in range(2, S) if all(p % q for q in range(2, int(p**0.5) + 1))]


def _is_prime(S: int) -> bool:
    return S >= 2 and all(S % q for q in range(2, int(S**0.5) + 1))


def validate(N: int, S: int) -> None:
    """Raise ``ValueError`` (one line) unless ``N >= 1`` and ``S >= 2`` are integers."""
    if int(S) != S or S < 2:
        raise ValueError(f"the prime-step allocation needs an integer S >= 2, got S={S}")
    if int(N) != N or N < 1:
        raise ValueError(f"the prime-step allocation needs an integer N = D/d >= 1, got N={N}")


def size_error(D: int, d: int, S: int, T: int, z: int, *, spare: int = 1,
               width: str = "d", alloc=0) -> str | None:
    """One-line reason why (D, d, S, T, z) cannot be built, or ``None``.

    ``d`` must divide ``D``, the block length ``N = D/d`` must hold an S-subset, ``T`` must
    fit the allocation (``T <= T_max``, computed by running it; ``T = 0`` means ``T_max``),
    and ``1 <= z <= T - spare`` (``spare = 0``: every circuit may be active, ``z = T``).
    """
    if D % d:
        return f"{width}={d} must divide D={D}"
    if D // d < S:
        return f"N = D/{width} = {D // d} must be >= S = {S}"
    msg = alloc_error(D // d, S, alloc)
    if msg:
        return msg
    tmax = capacity(D, d, S, alloc)
    T = T or tmax
    if T > tmax:
        name = alloc_name(alloc)
        return (f"T={T} exceeds the allocation's capacity T_max={tmax} at D={D}, {width}={d}, S={S}"
                + ("" if name == "prime" else f", alloc={name}"))
    if not 1 <= z <= T - spare:
        return f"need 1 <= z <= T{f'-{spare}' if spare else ''}, got z={z}, T={T}"
    return None


def inactive_error(T: int, z: int) -> str | None:
    """The one message for a quantity about inactive circuits where there are none (z >= T)."""
    return f"no inactive circuits: z = T = {T}" if T and z >= T else None


def steps(N: int, S: int) -> np.ndarray:
    """The steps in emission order, int64 (cis2.md §4).

    >>> steps(250, 6)[:8].tolist()
    [1, 6, 36, 7, 42, 11, 13, 17]
    """
    validate(N, S)
    P, composite = primes_below(S), not _is_prime(S)
    out: list[int] = []
    m = 1
    while m * (S - 1) < N:
        if all(m % p for p in P):
            out.append(m)
            if composite:
                k = m * S
                while k * (S - 1) < N:
                    out.append(k)
                    k *= S
        m += 1
    return np.asarray(out, dtype=np.int64)


def _step_blocks(N: int, S: int) -> Iterator[np.ndarray]:
    """For every step s in order: the block starts, shift-major (r = 0..s-1, then i = r + kSs)."""
    for s in steps(N, S):
        r = np.arange(s, dtype=np.int64)
        nblk = ((N - r + s - 1) // s) // S              # floor(ceil((N-r)/s)/S) per shift
        nblk = nblk[nblk > 0]                           # shifts with r + s(S-1) >= N stop it
        if nblk.size == 0:
            continue
        first = np.repeat(np.arange(nblk.size, dtype=np.int64), nblk)      # the shift r
        k = np.arange(first.size) - np.repeat(np.cumsum(nblk) - nblk, nblk)  # block within r
        yield first + k * S * s, s


def alloc_error(N: int, S: int, alloc=0) -> str | None:
    """One line saying why allocation ``alloc`` does not exist at (N, S), or None."""
    name = alloc_name(alloc)
    if int(S) != S or S < 2 or int(N) != N or N < S:
        return f"the {name} allocation needs integers S >= 2 and N = D/d >= S, got N={N}, S={S}"
    if name in ("affine", "projective"):
        return designs.design_error(int(N), int(S), name)
    return None


def _check_alloc(N: int, S: int, alloc) -> str:
    name = alloc_name(alloc)
    if name != "prime":
        msg = alloc_error(N, S, name)
        if msg:
            raise ValueError(msg)
    return name


def capacity_n(N: int, S: int, alloc=0) -> int:
    """T_max of allocation ``alloc`` at N positions (exact; ``ValueError`` where it does not exist).

    prime: :func:`capacity_sum`; affine, projective: the number of lines, which equals
    :func:`ceiling` (Steiner systems); greedy: the number of subsets it builds.
    """
    name = _check_alloc(N, S, alloc)
    if name == "prime":
        validate(N, S)
        return capacity_sum(N, S)
    if name in ("affine", "projective"):
        return ceiling(N, S)
    return designs.greedy_capacity(N, S)


def subsets(N: int, S: int, limit: int | None = None, alloc=0) -> np.ndarray:
    """All emitted subsets in order (the first ``limit`` only if given), shape (T, S).

    ``alloc`` other than prime: the design's subsets in its order (rows sorted); the rest of
    this docstring is about prime steps.

    Row ``t`` is ``{i, i+s, ..., i+(S-1)s}`` in increasing order; dtype int32 (int64 if N >= 2^31).

    >>> subsets(250, 6)[:2].tolist()
    [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]]
    """
    name = _check_alloc(N, S, alloc)
    if name == "affine":
        return designs.affine_lines(S, designs.affine_dimension(N, S), limit)
    if name == "projective":
        lines = designs.projective_lines(S - 1, designs.projective_dimension(N, S))
        return designs.balanced_prefix(lines, N, lines.shape[0] if limit is None else limit)
    if name == "greedy":
        full = designs.greedy_subsets(N, S)
        return designs.balanced_prefix(full, N, full.shape[0] if limit is None else limit)
    dt = np.int32 if N < 2**31 else np.int64
    chunks, n = [], 0
    for starts, s in _step_blocks(N, S):
        if limit is not None and n + starts.size > limit:
            starts = starts[: limit - n]
        chunks.append((starts[:, None] + s * np.arange(S)).astype(dt))
        n += starts.size
        if limit is not None and n >= limit:
            break
    return np.concatenate(chunks) if chunks else np.zeros((0, S), dt)


def capacity(D: int, d: int, S: int, alloc=0) -> int:
    """T_max at ``N = D/d``: the number of subsets the algorithm emits (other allocations:
    :func:`capacity_n`).

    Counted per step by the closed form of :func:`capacity_sum` (the number of complete blocks
    of every shift, in exact integer arithmetic: the same count as running the algorithm,
    which costs the sum of all steps, ~N^2/S element operations: a minute at N = 250000, S = 3;
    tests/test_cis2_alloc.py checks both against the literal double sum).
    Raises ``ValueError`` unless ``S >= 2`` and ``d`` divides ``D``.
    """
    if int(d) != d or d < 1 or int(D) != D or D < 1 or D % d:
        raise ValueError(f"the block layout needs d to divide D, got D={D}, d={d}")
    N = D // d
    validate(N, S)
    return capacity_sum(N, S) if alloc_name(alloc) == "prime" else capacity_n(N, S, alloc)


def capacity_by_running(N: int, S: int) -> int:
    """T_max counted by running the algorithm (every shift of every step; reference for tests)."""
    validate(N, S)
    return int(sum(starts.size for starts, _ in _step_blocks(N, S)))


def capacity_sum(N: int, S: int) -> int:
    """T_max from the closed per-step sum (module docstring), O(number of steps)."""
    s = steps(N, S)
    q, rho = N // s, N % s
    return int(np.sum(rho * ((q + 1) // S) + (s - rho) * (q // S)))


def limit_constant(S: int) -> float:
    r"""c_S = lim_{N -> oo} T_max(N, S) / N^2, in closed form (derived here).

    **Derivation.**  A step ``s = uN`` emits, by :func:`capacity_sum`, ``N g(u)`` subsets with
    ``g(u) = u h(1/u)``, where ``h(v) = floor(q/S) + (v-q) [S | q+1]`` (``q = floor(v)``) is the
    piecewise-linear function that ramps from ``k-1`` to ``k`` on ``[kS-1, kS]``.  The steps have
    asymptotic density ``delta_S``: the ``m`` coprime to all primes < S have density
    ``rho_S = prod_{p<S}(1-1/p)``; a composite ``S`` adds the disjoint families ``m S^n``
    (``n >= 1``, density ``rho_S S^-n``), so ``delta_S = rho_S S/(S-1)``, and ``delta_S = rho_S`` for
    prime ``S``.  The coprimality pattern is periodic and ``g`` is bounded and Riemann-integrable,
    so ``T_max / N^2 -> delta_S int_0^oo g(u) du = delta_S int_{S-1}^oo h(v) v^-3 dv``.  Writing ``h``
    as a sum of unit ramps, ``int ramp_k v^-3 dv = 1/(2 kS (kS-1))``, hence

    .. math:: c_S=\frac{\delta_S}{2}\sum_{k\ge1}\frac1{kS(kS-1)}
              =\frac{\delta_S}{2S}\big(-\gamma-\psi(1-1/S)\big),

    and by Gauss's digamma theorem (finite, elementary):
    ``-gamma - psi(1-1/S) = ln(2S) - (pi/2) cot(pi/S) - 2 sum_{n=1}^{floor((S-1)/2)} cos(2 pi n/S) ln sin(pi n/S)``.

    Values: ``c_2 = ln(2)/2``; ``c_6 = (8/25) (2 ln 2 + (3/2) ln 3 - sqrt(3) pi/2) / 12 = 0.00836037``.
    **Check** (:func:`capacity_sum` at large N, tests): ``N (T_max/(c_S N^2) - 1)`` stays O(10) and
    changes sign (S=6: -14, 10, 5, 13, -5 at N = 10^3, 10^4, 10^5, 3 10^5, 10^6), i.e. the relative
    gap is O(1/N); at the published point N=250, S=6: 557 vs ``c_6 N^2 = 522.5``.  (A sum of
    ``1/(S s)`` over the steps is O(log N) and does not give the N^2 law: the per-step count is
    ``~N/S`` only for steps ``s << N``; the integral over ``g`` above is what survives.)

    >>> round(limit_constant(6), 8)
    0.00836037
    """
    validate(1, S)
    rho = math.prod(1 - 1 / p for p in primes_below(S))
    delta = rho if _is_prime(S) else rho * S / (S - 1)
    h = (math.log(2 * S) - math.pi / 2 / math.tan(math.pi / S)
         - 2 * sum(math.cos(2 * math.pi * n / S) * math.log(math.sin(math.pi * n / S))
                   for n in range(1, (S - 1) // 2 + 1)))
    return delta * h / (2 * S)


def allocate(N: int, S: int, T: int, L: int, rng: np.random.Generator,
             return_perms: bool = False, alloc=0):
    """Embedding supports for layers 0..L, shape (L+1, T, S): ``alloc[l, t]`` = S^l_t.

    ``alloc`` (keyword): which allocation's first ``T`` subsets (default prime steps).

    The first ``T`` emitted subsets; layer ``l = 1..L`` gets ``subsets[pi_l]`` for an independent
    uniform permutation ``pi_l`` (drawn in layer order from ``rng``).  **Layer 0 equals layer 1**:
    the input is injected with the layer-1 kets (layer-0 trick, cis2.md §3), so there is no
    separate layer-0 embedding.  Raises ``ValueError`` if ``T`` exceeds the capacity.
    With ``return_perms``: ``(alloc, perms)``, ``perms`` (L+1, T) with
    ``alloc[l] = subsets(N, S)[perms[l]]`` (``perms[0] = perms[1]``).
    """
    validate(N, S)
    if int(T) != T or T < 1:
        raise ValueError(f"need an integer number of circuits T >= 1, got T={T}")
    if int(L) != L or L < 1:
        raise ValueError(f"need an integer number of layers L >= 1, got L={L}")
    base = subsets(N, S, limit=T, alloc=alloc)
    if base.shape[0] < T:
        raise ValueError(f"T={T} exceeds the allocation's capacity T_max={capacity_n(N, S, alloc)} "
                         f"at N={N}, S={S}"
                         + ("" if alloc_name(alloc) == "prime" else f", alloc={alloc_name(alloc)}"))
    perms = np.empty((L + 1, T), dtype=np.int64)
    out = np.empty((L + 1, T, S), dtype=base.dtype)
    for l in range(1, L + 1):
        perms[l] = rng.permutation(T)
        np.take(base, perms[l], axis=0, out=out[l])
    out[0], perms[0] = out[1], perms[1]
    return (out, perms) if return_perms else out


# ------------------------------------------------------------------ overlap statistics


def loads(alloc_layer: np.ndarray, N: int) -> np.ndarray:
    """lambda_n = #{t : n in S_t}, shape (N,), int64 (cis2.md §5)."""
    return np.bincount(np.asarray(alloc_layer).ravel(), minlength=N).astype(np.int64)


def sharing_probability_exact(lam: np.ndarray, T: int) -> float:
    """P_sh = Pr(o_tu = 1) over ordered pairs t != u: sum_n lambda_n(lambda_n-1) / (T(T-1)).

    Exact for subsets with pairwise overlap <= 1 (then o_tu in {0,1} and
    sum_{t != u} o_tu = sum_n lambda_n(lambda_n - 1)).  0 for T < 2.
    """
    lam = np.asarray(lam, dtype=np.int64)
    return float(np.sum(lam * (lam - 1))) / (T * (T - 1)) if T >= 2 else 0.0


def sharing_probability_uniform(N: int, S: int, T: int) -> float:
    """Uniform-load value S (TS/N - 1)/(T - 1) of P_sh (cis2.md §5; the code's p; 0 if TS <= N)."""
    return max(0.0, S * (T * S / N - 1) / (T - 1)) if T >= 2 else 0.0


def mean_square_overlap(lam: np.ndarray, T: int, S: int) -> float:
    """E_{t != u}[(o_tu/S)^2] = P_sh / S^2 exactly (o_tu in {0,1})."""
    return sharing_probability_exact(lam, T) / S**2


def q_ris(D: int, d: int, S: int, T: int) -> float:
    """RiS (6.3): q = d/D - 1/(S T), the approximate mean square overlap."""
    return d / D - 1 / (S * T)


def overlap_matrix(alloc_layer: np.ndarray, N: int) -> np.ndarray:
    """o_tu = |S_t cap S_u| as a dense (T, T) int matrix (small T only; diagonal = S)."""
    a = np.asarray(alloc_layer)
    e = np.zeros((a.shape[0], N), dtype=np.int64)
    np.put_along_axis(e, a.astype(np.int64), 1, axis=1)
    return e @ e.T


def max_pair_overlap(alloc_layer: np.ndarray, N: int) -> int:
    """max_{t != u} |S_t cap S_u| without forming the T x T matrix (pure numpy).

    Two subsets share >= 2 positions iff they share a position *pair*; so sort the C(S, 2) pair
    keys of every subset, intersect exactly only the subsets whose pairs repeat, and otherwise
    the answer is 1 (some position held twice) or 0.
    """
    a = np.sort(np.asarray(alloc_layer, dtype=np.int64), axis=1)
    T, S = a.shape
    i, j = np.triu_indices(S, 1)
    keys = (a[:, i] * N + a[:, j]).ravel()                   # (T C(S,2),) position pairs
    owner = np.repeat(np.arange(T), i.size)
    order = np.argsort(keys, kind="stable")
    ks, ow = keys[order], owner[order]
    rep = np.flatnonzero(ks[1:] == ks[:-1])
    best = 1 if np.any(np.bincount(a.ravel(), minlength=N) >= 2) else 0
    for t, u in set(zip(ow[rep].tolist(), ow[rep + 1].tolist())):
        best = max(best, len(np.intersect1d(a[t], a[u])))
    return best
