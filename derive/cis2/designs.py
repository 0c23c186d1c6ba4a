r"""Allocations beyond prime steps: lines of affine and projective spaces, and a greedy packing.

Math reference: ``shared/math/beyond.md`` §1.  Every allocation is a list of ``S``-subsets of
the ``N = D/d`` positions, any two sharing at most one position (a *packing*); each pair of
positions is then covered at most once, so the number of subsets is at most the **ceiling**
``N(N-1)/(S(S-1))`` (:func:`ceiling`); equality is a Steiner system S(2, S, N).

* **affine**: the lines of the affine space AG(n, q), ``q`` a prime power: ``N = q^n``
  points, ``S = q`` points per line, ``q^(n-1)(q^n-1)/(q-1)`` lines (= the ceiling).  Two
  distinct lines meet in at most one point.  Emitted direction by direction (each direction is
  a parallel class: ``q^(n-1)`` disjoint lines covering every point once), so any prefix of
  ``T`` lines has loads differing by at most one.
* **projective**: the lines of PG(n, q): ``N = (q^(n+1)-1)/(q-1)`` points (normalised
  non-zero vectors of GF(q)^(n+1)), ``S = q+1``, ``N(N-1)/(S(S-1))`` lines (= the ceiling).
  A line is a 2-dimensional subspace, enumerated by its reduced row-echelon basis; the first
  ``T < `` all lines are taken in a load-balancing order (:func:`balanced_prefix`), since the
  enumeration order piles the first lines onto the first points.
* **greedy** (any ``N >= S``): first a *cyclic* greedy packing: base blocks
  ``B = {0 = b_0 < b_1 < ...}`` are chosen greedily (smallest elements first) so that all
  ordered differences ``b_i - b_j mod N`` of all blocks are distinct, non-zero and not ``N/2``;
  then the ``N`` translates ``B + x mod N`` of every block pairwise share at most one position
  (two translates, or translates of two blocks, sharing two positions would repeat a
  difference).  Each block gives ``N`` subsets and uses ``S(S-1)`` of the ``N-1`` non-zero
  differences, so this phase alone reaches the fraction (used differences)/(N-1) of the ceiling.
  Then, for ``N <= FILL_MAX``, a first-fit completion: for every position ``a`` in order,
  subsets ``{a < c_1 < ... }`` are built from the smallest positions whose pairs with all
  chosen ones are still uncovered, until none completes.  Deterministic (no random draw).
  The first ``T <`` all subsets are taken in the load-balancing order of
  :func:`balanced_prefix` (the translates of one block, in order, pile onto a window).

The finite-field arithmetic (prime powers ``q = p^k``) uses addition and multiplication tables
built from a monic irreducible polynomial of degree ``k`` over GF(p), found by search (a
polynomial is accepted when its multiplication table makes every non-zero element invertible).
Pure numpy / python.
"""
from __future__ import annotations

import dataclasses
import functools
import itertools

import numpy as np

from superpose.derive.quantity import BadInput, Param

__all__ = ["ALLOCS", "ceiling", "prime_power", "gf_tables", "affine_dimension",
           "projective_dimension", "affine_lines", "projective_lines", "greedy_blocks",
           "greedy_subsets", "greedy_capacity", "FILL_MAX", "alloc_name", "design_error",
           "ChoiceParam", "PALLOC"]

#: The allocation names, in the order of their integer flag (0 = prime steps, the default).
ALLOCS = ("prime", "affine", "projective", "greedy")

#: The greedy packing's first-fit completion runs for N up to this (its cost grows like N^3/8
#: bit operations; above it only the cyclic phase runs, which is O(N) per block).
FILL_MAX = 4096


def ceiling(N: int, S: int) -> int:
    """floor(N(N-1)/(S(S-1))): at most this many S-subsets pairwise share <= 1 position."""
    return (N * (N - 1)) // (S * (S - 1))


def prime_power(q: int) -> tuple[int, int] | None:
    """``(p, k)`` with ``q = p^k``, p prime, k >= 1; ``None`` if ``q`` is not a prime power."""
    if q < 2:
        return None
    p = next(f for f in range(2, q + 1) if q % f == 0)
    k, r = 0, q
    while r % p == 0:
        r //= p
        k += 1
    return (p, k) if r == 1 else None


def _poly_mulmod(a: list[int], b: list[int], mod: list[int], p: int) -> list[int]:
    """a b mod ``mod`` (monic, degree k) over GF(p); polynomials as coefficient lists, low first."""
    k = len(mod) - 1
    prod = [0] * (2 * k - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            prod[i + j] = (prod[i + j] + x * y) % p
    for i in range(len(prod) - 1, k - 1, -1):          # reduce by the monic modulus
        c = prod[i]
        if c:
            for j in range(k + 1):
                prod[i - k + j] = (prod[i - k + j] - c * mod[j]) % p
    return prod[:k]


@functools.lru_cache(maxsize=None)
def gf_tables(q: int) -> tuple[np.ndarray, np.ndarray]:
    """Addition and multiplication tables of GF(q), ``(q, q)`` int64; 0 and 1 are the field's.

    Element ``x`` is the polynomial whose base-``p`` digits (lowest first) are the coefficients.
    Raises ``ValueError`` if ``q`` is not a prime power.
    """
    pk = prime_power(q)
    if pk is None:
        raise ValueError(f"GF(q) needs a prime power q, got q={q}")
    p, k = pk
    x = np.arange(q)
    if k == 1:
        return (x[:, None] + x[None, :]) % p, (x[:, None] * x[None, :]) % p
    digits = [[(e // p**i) % p for i in range(k)] for e in range(q)]
    weights = p ** np.arange(k)
    add = (np.asarray(digits)[:, None, :] + np.asarray(digits)[None, :, :]) % p @ weights
    for tail in itertools.product(range(p), repeat=k):          # monic modulus: tail + x^k
        mod = list(tail) + [1]
        if tail[0] == 0:
            continue                                            # divisible by x
        mul = np.asarray([[int(np.dot(_poly_mulmod(a, b, mod, p), weights)) for b in digits]
                          for a in digits])
        if all(len(set(mul[a, 1:].tolist())) == q - 1 for a in range(1, q)):
            return add, mul
    raise AssertionError(f"no irreducible polynomial of degree {k} over GF({p})")  # pragma: no cover


def _power_dimension(N: int, q: int, offset: int) -> int | None:
    """n >= 1 with ``N = q^n`` (offset 0) or ``N = (q^(n+1)-1)/(q-1)`` (offset 1), else None."""
    n, val = 1, (q if offset == 0 else q + 1)
    while val < N:
        n += 1
        val = q**n if offset == 0 else (q ** (n + 1) - 1) // (q - 1)
    return n if val == N else None


def affine_dimension(N: int, S: int) -> int | None:
    """The n with AG(n, S) of ``N`` points (S a prime power), else None."""
    return _power_dimension(N, S, 0) if prime_power(S) else None


def projective_dimension(N: int, S: int) -> int | None:
    """The n with PG(n, S-1) of ``N`` points (S-1 a prime power), else None."""
    return _power_dimension(N, S - 1, 1) if prime_power(S - 1) else None


def _design_sizes(S: int, offset: int, count: int = 4) -> list[int]:
    q = S - offset
    return [q**n if offset == 0 else (q ** (n + 1) - 1) // (q - 1) for n in range(1, count + 1)]


def design_error(N: int, S: int, kind: str) -> str | None:
    """One line naming what ``N``, ``S`` the affine/projective allocation needs, or None."""
    if kind == "affine":
        if not prime_power(S):
            return (f"the affine allocation (lines of AG(n, q)) needs S = q a prime power, "
                    f"got S={S}")
        if affine_dimension(N, S) is None:
            sizes = ", ".join(map(str, _design_sizes(S, 0)))
            return (f"the affine allocation at S={S} needs N = D/d = {S}^n ({sizes}, ...), "
                    f"got N={N}")
    else:
        if not prime_power(S - 1):
            return (f"the projective allocation (lines of PG(n, q)) needs S = q+1 with q a prime "
                    f"power, got S={S}")
        if projective_dimension(N, S) is None:
            sizes = ", ".join(map(str, _design_sizes(S, 1)[1:]))
            return (f"the projective allocation at S={S} needs N = D/d = ({S - 1}^(n+1)-1)/"
                    f"{S - 2} ({sizes}, ...), got N={N}")
    return None


def _digits(count: int, q: int, width: int) -> np.ndarray:
    """All vectors of GF(q)^width in base-q order (first coordinate most significant): (count, width)."""
    x = np.arange(count, dtype=np.int64)
    return np.stack([(x // q ** (width - 1 - k)) % q for k in range(width)], -1) if width \
        else np.zeros((count, 0), np.int64)


def affine_lines(q: int, n: int, limit: int | None = None) -> np.ndarray:
    """Lines of AG(n, q) (point index = base-q value of the coordinates), sorted rows, (L, q).

    Order: by direction (normalised: first non-zero coordinate 1, directions with an earlier
    leading coordinate first, then base-q), then by base point (the points whose coordinate at
    the direction's leading index is 0, in base-q order).
    """
    add, mul = gf_tables(q)
    dt = np.int32 if q**n < 2**31 else np.int64
    powers = q ** np.arange(n - 1, -1, -1, dtype=np.int64)
    out, total = [], 0
    t = np.arange(q)
    for lead in range(n):
        tails = _digits(q ** (n - 1 - lead), q, n - 1 - lead)
        dirs = np.zeros((tails.shape[0], n), np.int64)
        dirs[:, lead] = 1
        dirs[:, lead + 1:] = tails
        bases = np.insert(_digits(q ** (n - 1), q, n - 1), lead, 0, axis=1)   # (q^(n-1), n)
        step = mul[t[:, None, None], dirs[None]]                            # (q, ndir, n)
        for di in range(dirs.shape[0]):
            pts = add[bases[:, None, :], step[None, :, di, :]] @ powers       # (q^(n-1), q)
            pts = np.sort(pts, axis=1).astype(dt)
            if limit is not None and total + pts.shape[0] >= limit:
                out.append(pts[: limit - total])
                return np.concatenate(out)
            out.append(pts)
            total += pts.shape[0]
    return np.concatenate(out) if out else np.zeros((0, q), dt)


def projective_lines(q: int, n: int, limit: int | None = None) -> np.ndarray:
    """Lines of PG(n, q), sorted rows, shape (L, q+1).

    Points: normalised vectors of GF(q)^(n+1) (first non-zero coordinate 1); index of a point
    with leading coordinate ``i``: ``sum_{i' < i} q^(n-i')`` plus the base-q value of its
    coordinates after ``i``.  A line is the span of its reduced row-echelon basis ``(r_1, r_2)``
    with pivots ``i < j``; its points are ``r_1 + t r_2`` (t in GF(q)) and ``r_2``.  Order: by
    ``(i, j)``, then ``r_1``'s free coordinates, then ``r_2``'s.
    """
    add, mul = gf_tables(q)
    N = (q ** (n + 1) - 1) // (q - 1)
    dt = np.int32 if N < 2**31 else np.int64
    offset = np.concatenate([[0], np.cumsum([q ** (n - i) for i in range(n + 1)])])

    def index(v: np.ndarray) -> np.ndarray:                 # normalised vectors (..., n+1)
        lead = np.argmax(v != 0, axis=-1)
        w = q ** np.clip(n - np.arange(n + 1), 0, None)      # weight of coordinate k: q^(n-k)
        after = np.arange(n + 1) > lead[..., None]
        return offset[lead] + np.sum(np.where(after, v * w, 0), -1)

    out, total = [], 0
    t = np.arange(q)
    for i in range(n + 1):
        for j in range(i + 1, n + 1):
            free1 = [k for k in range(i + 1, n + 1) if k != j]
            free2 = list(range(j + 1, n + 1))
            R2 = np.zeros((q ** len(free2), n + 1), np.int64)
            R2[:, j] = 1
            R2[:, free2] = _digits(R2.shape[0], q, len(free2))
            p2 = index(R2)                                                  # (n2,)
            tr2 = mul[t[:, None, None], R2[None]]                           # (q, n2, n+1)
            F1 = _digits(q ** len(free1), q, len(free1))
            for c0 in range(0, F1.shape[0], max(1, 2**20 // max(1, R2.shape[0] * q))):
                R1 = np.zeros((min(F1.shape[0] - c0, max(1, 2**20 // max(1, R2.shape[0] * q))),
                               n + 1), np.int64)
                R1[:, i] = 1
                R1[:, free1] = F1[c0:c0 + R1.shape[0]]
                pts = index(add[R1[:, None, None, :], tr2[None]])           # (n1, q, n2)
                lines = np.concatenate([pts.transpose(0, 2, 1),
                                        np.broadcast_to(p2[None, :, None],
                                                        (R1.shape[0], R2.shape[0], 1))], -1)
                lines = np.sort(lines.reshape(-1, q + 1), axis=1).astype(dt)
                if limit is not None and total + lines.shape[0] >= limit:
                    out.append(lines[: limit - total])
                    return np.concatenate(out)
                out.append(lines)
                total += lines.shape[0]
    return np.concatenate(out) if out else np.zeros((0, q + 1), dt)


def balanced_prefix(lines: np.ndarray, N: int, limit: int) -> np.ndarray:
    """The first ``limit`` lines of a load-balancing order of ``lines`` (rows of positions).

    Rounds: among the remaining lines whose points carry the lowest total load, take (in
    their given order) every line none of whose points is held by an earlier candidate of the
    round (pairwise disjoint lines, so every point gains at most one), until ``limit``.  A
    prefix of a longer run is the shorter run (the rounds do not depend on ``limit``); loads
    stay within a few units of each other, against a pile-up on the first points in the
    enumeration order.  ``limit >= len(lines)``: all lines, in their order.
    """
    if limit >= lines.shape[0]:
        return lines
    loads = np.zeros(N, np.int64)
    remaining = np.arange(lines.shape[0])
    out, total = [], 0
    while total < limit and remaining.size:
        ml = loads[lines[remaining]].sum(1)
        cand = remaining[ml == ml.min()]
        pts = lines[cand].ravel()
        owner = np.repeat(np.arange(cand.size), lines.shape[1])
        _, first = np.unique(pts, return_index=True)
        first_owner = np.full(N, -1)
        first_owner[pts[first]] = owner[first]
        ok = (first_owner[lines[cand]] == np.arange(cand.size)[:, None]).all(1)
        acc = cand[ok][: limit - total]
        loads[lines[acc].ravel()] += 1
        keep = np.ones(lines.shape[0], bool)
        keep[acc] = False
        remaining = remaining[keep[remaining]]
        out.append(acc)
        total += acc.size
    return lines[np.concatenate(out)]


# ------------------------------------------------------------------------------- greedy


@functools.lru_cache(maxsize=64)
def greedy_blocks(N: int, S: int) -> tuple[tuple[int, ...], ...]:
    """Base blocks of the cyclic greedy difference packing mod ``N`` (module docstring).

    Block search: ``b_0 = 0``; for ``b_1`` in increasing order among the admissible differences,
    complete the block first-fit (each next element the smallest admissible one above the last,
    else the smallest admissible one at all); the first ``b_1`` that completes gives the block.
    Stops when no ``b_1`` completes.
    """
    used = np.zeros(N, bool)
    used[0] = True
    if N % 2 == 0:
        used[N // 2] = True                          # the translate by N/2 would repeat a pair
    idx = np.arange(N)
    blocks = []
    if N < S:
        return ()
    while True:
        found = None
        for b1 in np.flatnonzero(~used).tolist():
            if used[(-b1) % N] or (2 * b1) % N == 0:
                continue
            blk, dif = [0, b1], {b1, (-b1) % N}
            while len(blk) < S:
                bad = np.zeros(N, bool)
                for b in blk:                        # c - b or b - c already used (any block)
                    bad |= used[(idx - b) % N] | used[(b - idx) % N]
                    dd = np.fromiter(dif, np.int64)
                    bad[(b + dd) % N] = True         # ... or already a difference of this block
                    bad[(b - dd) % N] = True
                    bad[b] = True
                cand = np.flatnonzero(~bad)
                got = None
                for c in np.concatenate([cand[cand > blk[-1]], cand[cand < blk[-1]]]).tolist():
                    nd = [(c - b) % N for b in blk] + [(b - c) % N for b in blk]
                    if len(set(nd)) == len(nd) and not (set(nd) & dif) and (2 * c) % N not in \
                            {(2 * b) % N for b in blk}:
                        got = c
                        break
                if got is None:
                    break
                dif |= {(got - b) % N for b in blk} | {(b - got) % N for b in blk}
                blk.append(got)
            if len(blk) == S:
                found = (blk, dif)
                break
        if found is None:
            return tuple(blocks)
        used[list(found[1])] = True
        blocks.append(tuple(sorted(found[0])))


def _cyclic_subsets(N: int, S: int, blocks, limit: int | None) -> np.ndarray:
    dt = np.int32 if N < 2**31 else np.int64
    x = np.arange(N, dtype=np.int64)
    out, total = [], 0
    for B in blocks:
        sub = np.sort((x[:, None] + np.asarray(B, np.int64)[None, :]) % N, axis=1).astype(dt)
        if limit is not None and total + N >= limit:
            out.append(sub[: limit - total])
            break
        out.append(sub)
        total += N
    return np.concatenate(out) if out else np.zeros((0, S), dt)


@functools.lru_cache(maxsize=64)
def _fill(N: int, S: int) -> np.ndarray:
    """The first-fit completion subsets after the cyclic phase (N <= FILL_MAX), (k, S)."""
    dt = np.int32
    if N > FILL_MAX or N < S:
        return np.zeros((0, S), dt)
    free = np.ones((N, N), bool)
    np.fill_diagonal(free, False)
    for B in greedy_blocks(N, S):                    # pairs covered by the cyclic phase
        sub = (np.arange(N)[:, None] + np.asarray(B)[None, :]) % N
        i, j = np.triu_indices(S, 1)
        free[sub[:, i], sub[:, j]] = False
        free[sub[:, j], sub[:, i]] = False
    idx = np.arange(N)
    out = []
    for a in range(N):
        while True:
            cand = free[a] & (idx > a)
            blk = [a]
            while len(blk) < S:
                nz = np.flatnonzero(cand)
                if nz.size == 0:
                    break
                c = int(nz[0])
                blk.append(c)
                cand &= free[c]
            if len(blk) < S:
                break
            b = np.asarray(blk)
            free[b[:, None], b[None, :]] = False
            out.append(blk)
    return np.asarray(out, dt).reshape(-1, S)


def greedy_capacity(N: int, S: int) -> int:
    """Number of subsets of the greedy packing (cyclic phase + completion)."""
    return len(greedy_blocks(N, S)) * N + _fill(N, S).shape[0]


def greedy_subsets(N: int, S: int, limit: int | None = None) -> np.ndarray:
    """The greedy packing's subsets in order (cyclic blocks' translates, then the completion)."""
    blocks = greedy_blocks(N, S)
    cyc = _cyclic_subsets(N, S, blocks, limit)
    if limit is not None and cyc.shape[0] >= limit:
        return cyc
    fill = _fill(N, S)
    if limit is not None:
        fill = fill[: limit - cyc.shape[0]]
    return np.concatenate([cyc.astype(np.int32 if N < 2**31 else np.int64), fill]) \
        if fill.size else cyc


# ------------------------------------------------------------------------- the parameter


def alloc_name(alloc) -> str:
    """The allocation's name from its flag (0..3) or name; ``ValueError`` otherwise."""
    if isinstance(alloc, str) and alloc.strip() in ALLOCS:
        return alloc.strip()
    if isinstance(alloc, (int, np.integer)) and not isinstance(alloc, bool) \
            and 0 <= int(alloc) < len(ALLOCS):
        return ALLOCS[int(alloc)]
    raise ValueError(f"alloc must be one of {', '.join(ALLOCS)} (or 0-{len(ALLOCS) - 1}), "
                     f"got {alloc!r}")


@dataclasses.dataclass(frozen=True)
class ChoiceParam(Param):
    """An int parameter that also accepts the name of a choice (``alloc=greedy``)."""

    choices: tuple[str, ...] = ()

    def parse(self, raw):
        if isinstance(raw, str) and raw.strip() in self.choices:
            return self.choices.index(raw.strip())
        try:
            return super().parse(raw)
        except BadInput:
            raise BadInput(f"parameter {self.name}: expected one of "
                           f"{', '.join(self.choices)}, got {raw!r}") from None

    def describe(self):
        return {**super().describe(), "choices": list(self.choices)}


PALLOC = ChoiceParam("alloc", int, 0, lo=0, hi=len(ALLOCS) - 1, choices=ALLOCS,
                     doc="the allocation of circuits to positions, by name or number: "
                         + ", ".join(f"{a} ({i})" for i, a in enumerate(ALLOCS))
                         + r" for prime steps, lines of $\mathrm{AG}(n,q)$, lines of "
                           r"$\mathrm{PG}(n,q)$ and a greedy packing")
