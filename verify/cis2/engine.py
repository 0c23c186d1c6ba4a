r"""CiS2 / RiS network simulator: factored, event-driven, never forms the D x D matrix.

Math reference: ``shared/math/cis2.md`` §3 (embedding, layer 0), §6 (modes, hypothesis (H)),
§7 (RiS weights, capped :math:`\mathcal W`, rotation circuits).  Layout (§1): ``d`` contiguous
blocks of length ``N = D/d``; global neuron ``i*N + n``; public activations are ``(B, D)`` arrays,
internally viewed as ``(B, d, N)``.

**Network** (layers ``l = 0..L``)::

    A^0 = sum_t w^1_t a^0_t (x) |e^1_t>                        (layer-0 trick, W^1 = I)
    P^l = W^l A^{l-1} + b^l (x) |1>,   A^l = gate_mode(P^l)
    W^l = wbar^l (x) calW^l + (1/S) sum_t Dw^l_t (x) |e^l_t><e^{l-1}_t|,   l >= 2   (5.20)
    calW = (1/S) cap - chi (1 - cap),  cap_nm = min(1, #circuits linking n <- m),
    chi  = (1/S) Nu / (C(T,2) S^2 - Nu),  Nu = (1/2) sum_{t != u} <e^l_t|cap|e^{l-1}_u>

``Nu`` is symmetrised (cis2.md §7 and the RiS code sum over t < u only): with the half sum over
ordered pairs, (5.24) ``E_{t != u} <e_t|calW|e_u> = 0`` holds exactly and ``Nu`` is computable at
scale; the two differ by sampling noise of the random permutation.  With ``wbar = 0`` this is
CiS2's (6.5).  Modes: ``relu``; ``ideal`` (hypothesis (H): neuron (i, n) passes P linearly iff
``n in S^l_v`` for an active ``v`` with ``(a^l_v)_i > 0``, a = TRUE small-circuit activations;
all others output 0); ``linear`` (every neuron passes P).  Readout ``(1/S) <e^l_t|A^l>`` (5.30).

**Factored product.**  With readouts ``X_t = (1/S) <e^{l-1}_t|A>`` and
``w'_t = Dw_t + (1 + S chi) wbar`` (since ``calW = (1/S + chi) M - (1/S + chi) corr - chi J`` with
``M = sum_t |e^l_t><e^{l-1}_t|`` and ``corr = M - cap``, a sparse matrix of multiply-linked
pairs, built once per layer)::

    W A = sum_t w'_t X_t (x) |e^l_t>  -  (1/S + chi) wbar (x) corr A  -  chi wbar (x) |1><1|A

Two exact routes: ``events`` (expand each non-zero source position through the circuits that
hold it; cost ~ #on positions x load; in ``ideal`` mode only on-set targets are computed) and
``sparse`` (chunks of circuits through scipy's CSR kernels, in the reduced basis
``Dw_t = Qo C_t Qi``, ``wbar = U V`` of :func:`_tables`: the rotation family gathers 3 and not
4 components per position).  ``auto`` picks by the measured fraction of (sample, position) pairs
on (events below ``EVENTS_MAX_FRAC``).  Exactness against an independent dense reference is
tested in ``tests/test_cis2_engine.py`` (rtol 1e-12); timings in ``bench/cis2_engine.py``.

Public API: :class:`CircuitFamily`, :func:`rotation_family`, :func:`zero_mean_family`,
:func:`sample_active`, :meth:`Network.build`, :func:`run` (-> :class:`RunResult`), and the
low-level :func:`embed_input`, :func:`preactivation` (parts switchable), :func:`readout`,
:func:`onset_mask`, for composing error-term isolations on chosen activations.

>>> net = Network.build(160, 4, 3, 20, 2, rotation_family(20, 2, np.random.default_rng(0)),
...                     np.random.default_rng(1))
>>> r = run(net, np.array([[3, 7]]), np.array([[[1.0, 0.0], [0.0, 1.0]]]), "ideal")
>>> bool(np.allclose(r.true[0], r.read_active[0]))     # layer 0: nothing read, no error
True
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from superpose.derive.cis2.alloc import alloc_name, allocate, capacity

try:  # accumulate-in-place sparse kernels (no per-chunk result allocation); public path otherwise
    from scipy.sparse._sparsetools import csc_matvecs as _csc_mv, csr_matvecs as _csr_mv
except ImportError:  # pragma: no cover
    _csc_mv = _csr_mv = None

MODES = ("relu", "ideal", "linear")
EVENTS_MAX_FRAC = 0.01     # auto: events route while the fraction of (sample, position) on is below
EVENTS_MAX_FRAC_IDEAL = 0.05  # (measured crossover ~1% at D = 10^4 for relu; targets make events cheaper)
ON_TOL = 1e-12             # "on" = |output| > ON_TOL (ulp residues of exact cancellations are off)
_CHUNK = 2**26             # sparse route: at most this many floats per (T, d, samples) work array


# ----------------------------------------------------------------------- circuit families


@dataclass(frozen=True, eq=False)
class CircuitFamily:
    """T small circuits of width d, layers 0..L: ``a^l = ReLU(w^l_t a^{l-1} + b^l)``.

    ``w`` (L+1, T, d, d), index 0 unused; ``b`` (L+1, d), shared by all circuits, all <= 0 so an
    inactive circuit (a = 0) stays 0; ``wbar`` (L+1, d, d) design mean weight (5.18);
    ``roles`` (L+1, T, d) neuron of each role (zero-mean family) or None.
    """

    name: str
    w: np.ndarray
    b: np.ndarray
    wbar: np.ndarray
    roles: np.ndarray | None = None

    def __post_init__(self):
        Lp1, T, d, d2 = self.w.shape
        if d != d2 or self.b.shape != (Lp1, d) or self.wbar.shape != (Lp1, d, d):
            raise ValueError(f"inconsistent family shapes w{self.w.shape} b{self.b.shape} "
                             f"wbar{self.wbar.shape}")
        if np.any(self.b[1:] > 0):
            raise ValueError("biases must be <= 0 so that inactive circuits stay at 0")

    T = property(lambda self: self.w.shape[1])
    d = property(lambda self: self.w.shape[2])
    L = property(lambda self: self.w.shape[0] - 1)

    def _kind(self) -> str:
        return "rotation" if self.name == "rotation" else "roles" if self.roles is not None else "raw"

    def sample_x(self, rng: np.random.Generator, B: int, z: int) -> np.ndarray:
        """Inputs of the active circuits, uniform on the unit sphere: (B, z, k).

        k = 2 (rotation), d - 3 (zero-mean), d (any other family: x is a^0 itself, see encode).
        """
        k = {"rotation": 2, "roles": self.d - 3, "raw": self.d}[self._kind()]
        x = rng.standard_normal((B, z, k))
        return x / np.linalg.norm(x, axis=-1, keepdims=True)

    def encode(self, active: np.ndarray, x: np.ndarray) -> np.ndarray:
        """a^0 of the active circuits (B, z, d) from x (B, z, k), indicator alpha = 1 (5.4).

        Families other than rotation / zero-mean take a^0 = x as given.
        """
        kind = self._kind()
        if kind == "rotation":  # (1.5 alpha, 0.5 alpha, x0 + alpha, x1 + alpha)
            return np.concatenate([np.broadcast_to([1.5, 0.5], x.shape[:-1] + (2,)), x + 1], -1)
        if kind == "raw":
            return np.asarray(x, dtype=np.float64)
        role_vals = np.concatenate([np.broadcast_to([3.0, 1 / 3, 0.0], x.shape[:-1] + (3,)),
                                    x + 1], -1)                     # (B, z, d) in role order
        a0 = np.empty_like(role_vals)
        np.put_along_axis(a0, self.roles[0][active], role_vals, axis=-1)
        return a0

    def decode(self, l: int, circuits: np.ndarray, a: np.ndarray):
        """(alpha (...), x (..., k)) from activations a (..., d) of ``circuits`` at layer l.

        Rotation: (5.5 corrected), (5.6) (l and circuits unused); zero-mean: through the roles
        of layer l; other families: (None, a).
        """
        kind = self._kind()
        if kind == "rotation":
            alpha = a[..., 0] - a[..., 1]
            return alpha, a[..., 2:] - alpha[..., None]
        if kind == "raw":
            return None, a
        r = np.take_along_axis(a, self.roles[l][np.asarray(circuits)], axis=-1)  # role order
        alpha = 0.5 * r[..., 0] - 1.5 * r[..., 1]
        return alpha, r[..., 3:] - alpha[..., None]

    def forward_small(self, active: np.ndarray, a0: np.ndarray) -> np.ndarray:
        """True small-circuit activations of ``active`` (B, z): (L+1, B, z, d)."""
        out = np.empty((self.L + 1,) + a0.shape)
        out[0] = a0
        for l in range(1, self.L + 1):
            out[l] = np.maximum(np.einsum("bzij,bzj->bzi", self.w[l][active], out[l - 1])
                                + self.b[l], 0.0)
        return out


def rotation_family(T: int, L: int, rng: np.random.Generator) -> CircuitFamily:
    r"""RiS rotation circuits, d = 4 (cis2.md §7, (5.1)-(5.3)); theta_t ~ U[0, 2pi), same every layer.

    Neurons (two-ReLU step for alpha (3.3), x + alpha for the 2-d payload (3.1)); b = (-0.5, -1.5,
    -1, -1); wbar rows (2, -2, 0, 0).  ``w`` is a read-only broadcast view over layers.
    """
    th = rng.uniform(0.0, 2 * np.pi, T)
    c, s = np.cos(th), np.sin(th)
    w1 = np.zeros((T, 4, 4))
    w1[:, 0, :2] = w1[:, 1, :2] = (2.0, -2.0)
    w1[:, 2] = np.stack([2 - (c - s), -2 + (c - s), c, -s], -1)
    w1[:, 3] = np.stack([2 - (s + c), -2 + (s + c), s, c], -1)
    wbar = np.zeros((L + 1, 4, 4))
    wbar[:, :, 0], wbar[:, :, 1] = 2.0, -2.0
    b = np.tile([-0.5, -1.5, -1.0, -1.0], (L + 1, 1))
    return CircuitFamily("rotation", np.broadcast_to(w1, (L + 1, T, 4, 4)), b, wbar)


def zero_mean_family(T: int, d: int, L: int, rng: np.random.Generator) -> CircuitFamily:
    r"""Circuits whose weights have zero mean over circuits (wbar = 0: CiS2 assumption (4)).

    Roles (permuted independently per circuit and layer, uniformly): ``a, b`` = on-indicator pair,
    ``s`` = sink, ``p_1..p_k`` payload (k = d - 3, needs d >= 4); every bias is -1 (so one shared
    bias vector serves all role permutations).  With ``alpha = a/2 - 3b/2`` and ``y = p - alpha``:

    * ``a' = ReLU(4 alpha - 1)``, ``b' = ReLU(4 alpha/3 - 1)``: alpha' = step (0 for alpha <= 1/4,
      1 for alpha >= 3/4), the RiS step with a single bias value, so inactive noise is removed
      and active alpha errors are not amplified;
    * ``p' = ReLU(Q y + 2 alpha - 1)``, Q_t Haar-orthogonal (k x k, fresh per layer): y' = Q y;
    * ``s' = ReLU(-1) = 0`` always; the sink *column* (whose input is always 0 in the small
      circuit) takes minus each row sum, so every row of the role-template sums to 0 and hence
      ``E_t w_t = 0`` exactly in expectation over the uniform role permutation.

    Active input: a = 3, b = 1/3 (alpha = 1), s = 0, p = x + 1 with |x| = 1.
    """
    if d < 4:
        raise ValueError(f"zero_mean_family needs d >= 4 (indicator pair, sink, payload), got d={d}")
    k = d - 3
    roles = np.argsort(rng.random((L + 1, T, d)), axis=-1)        # roles[l, t, r] = neuron of role r
    w = np.zeros((L + 1, T, d, d))
    for l in range(1, L + 1):
        q, r = np.linalg.qr(rng.standard_normal((T, k, k)))
        q = q * np.sign(np.diagonal(r, axis1=1, axis2=2))[:, None, :]  # Haar
        K = np.zeros((T, d, d))                                   # role template
        K[:, 0, :2] = (2.0, -6.0)
        K[:, 1, :2] = (2 / 3, -2.0)
        g = 2 - q.sum(-1)                                         # (T, k): 2 - row sums of Q
        K[:, 3:, 0], K[:, 3:, 1], K[:, 3:, 3:] = 0.5 * g, -1.5 * g, q
        K[:, :, 2] = -K.sum(-1)                                   # sink column: rows sum to 0
        ti = np.arange(T)[:, None, None]
        w[l][ti, roles[l][:, :, None], roles[l - 1][:, None, :]] = K
    return CircuitFamily("zero-mean", w, -np.ones((L + 1, d)), np.zeros((L + 1, d, d)), roles)


def sample_active(T: int, z: int, B: int, rng: np.random.Generator) -> np.ndarray:
    """(B, z) active sets: z distinct circuits per row, uniform."""
    if not 1 <= z <= T:
        raise ValueError(f"need 1 <= z <= T, got z={z}, T={T}")
    act = rng.integers(0, T, (B, z))
    while True:
        srt = np.sort(act, axis=1)
        bad = np.flatnonzero((srt[:, 1:] == srt[:, :-1]).any(axis=1))
        if bad.size == 0:
            return act
        act[bad] = rng.integers(0, T, (bad.size, z))


# ------------------------------------------------------------------------------ network


@dataclass(frozen=True, eq=False)
class Network:
    """A built CiS2/RiS network: allocation, sparse embeddings, cap corrections, chi per layer."""

    D: int
    d: int
    S: int
    N: int
    T: int
    L: int
    family: CircuitFamily
    alloc: np.ndarray                  # (L+1, T, S) int32; alloc[0] = alloc[1]
    chi: np.ndarray                    # (L+1,), chi^l for l >= 2 (0 elsewhere)
    E: tuple                           # E[l]: CSR (T, N) with data 1/S, E[l] @ block = readouts
    inv: tuple                         # inv[l] = (indptr (N+1,), circuit ids): circuits through n
    corr: tuple                        # corr[l], l >= 2: CSC (N, N), #links(n <- m) - 1 where >= 2
    build_seconds: float = field(default=0.0)
    cache: dict = field(default_factory=dict, repr=False)  # lazily built product tables

    @classmethod
    def build(cls, D: int, d: int, S: int, T: int, L: int, family: CircuitFamily,
              rng: np.random.Generator, alloc=0) -> Network:
        """Allocate (cis2_alloc.allocate), index, and precompute corr and chi for every layer.

        ``alloc``: which allocation (0 / "prime" = prime steps, the default; "affine",
        "projective", "greedy"; superpose.derive.cis2.designs), used the same way: its first
        ``T`` subsets, a fresh uniform permutation per layer.

        Raises ``ValueError`` (one line) for S < 2, d not dividing D, T > T_max, or a family
        of the wrong shape.
        """
        t0 = time.perf_counter()
        tmax = capacity(D, d, S, alloc)
        if T > tmax:
            raise ValueError(f"T={T} exceeds the allocation's capacity T_max={tmax} "
                             f"at D={D}, d={d}, S={S}"
                             + ("" if alloc_name(alloc) == "prime" else f", alloc={alloc_name(alloc)}"))
        if (family.T, family.d, family.L) != (T, d, L):
            raise ValueError(f"family has (T, d, L)=({family.T}, {family.d}, {family.L}), "
                             f"network needs ({T}, {d}, {L})")
        N = D // d
        alloc, perms = allocate(N, S, T, L, rng, return_perms=True, alloc=alloc)
        data = np.full(T * S, 1.0 / S)
        indptr = np.arange(0, T * S + 1, S, dtype=np.int64 if T * S >= 2**31 else np.int32)
        # inverse index of the unpermuted subsets (one stable sort), mapped through each pi_l
        unperm = np.empty(T, np.int64)
        unperm[perms[1]] = np.arange(T)
        flat = np.take(alloc[1], unperm, axis=0).reshape(-1)          # = subsets(N, S, alloc)[:T]
        order = np.argsort(flat.astype(np.uint16) if N <= 2**16 else flat, kind="stable")
        ptr = np.zeros(N + 1, np.int64)
        np.cumsum(np.bincount(flat, minlength=N), out=ptr[1:])
        base_ids = (order // S).astype(alloc.dtype)                     # subset ids, by position
        E, inv = [None] * (L + 1), [None] * (L + 1)
        for l in range(1, L + 1):
            E[l] = sp.csr_matrix((data, alloc[l].reshape(-1), indptr), shape=(T, N))
            invperm = np.empty(T, alloc.dtype)
            invperm[perms[l]] = np.arange(T, dtype=alloc.dtype)
            inv[l] = (ptr, invperm[base_ids])                           # circuits through n
        E[0], inv[0] = E[1], inv[1]
        corr, chi = [None] * (L + 1), np.zeros(L + 1)
        for l in range(2, L + 1):   # the mean part only exists where wbar^l != 0
            corr[l], chi[l] = (_cap_correction(alloc[l], alloc[l - 1], N, S)
                               if np.any(family.wbar[l]) else (sp.csc_matrix((N, N)), 0.0))
        net = cls(D, d, S, N, T, L, family, alloc, chi, tuple(E), tuple(inv), tuple(corr))
        for l in range(2, L + 1):
            _tables(net, l)
            _progression(net, l)
        object.__setattr__(net, "build_seconds", time.perf_counter() - t0)
        return net


def _expand(ptr: np.ndarray, keys: np.ndarray):
    """Ragged expansion of CSR-like rows: for each k every p in ptr[keys[k]]:ptr[keys[k]+1],
    as (rep = k, p)."""
    start, cnt = ptr[keys], ptr[keys + 1] - ptr[keys]
    rep = np.repeat(np.arange(keys.size), cnt)
    off = np.arange(rep.size) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    return rep, start[rep] + off


def _cap_correction(al: np.ndarray, alm1: np.ndarray, N: int, S: int):
    """corr = M - cap as CSC (N, N) (rows n at layer l, cols m at l-1), and chi^l (cis2.md §7).

    Finds the multiply-linked pairs by sorting all T S^2 link keys ``m N + n`` (the sorted
    order is column-major, so the CSC arrays come out directly).
    ``Nsym = lam_l^T cap lam_{l-1} - T S^2`` (own links all capped to 1), exact in int64.
    """
    T = al.shape[0]
    dt = np.int32 if N * N < 2**31 else np.int64
    keys = np.empty((T, S, S), dt)
    for t0 in range(0, T, 1 << 18):
        t1 = min(T, t0 + (1 << 18))
        # the product in the key dtype (alloc is int32: alm1 * N in int32 wraps once N^2 >= 2^31)
        np.add(alm1[t0:t1, :, None].astype(dt) * dt(N), al[t0:t1, None, :], out=keys[t0:t1])
    keys = keys.reshape(-1)
    keys.sort()
    dup = keys[1:][keys[1:] == keys[:-1]]              # key of a link repeated c-1 times
    del keys
    first = np.ones(dup.size, bool)
    first[1:] = dup[1:] != dup[:-1]
    starts = np.flatnonzero(first)
    uk, cnt = dup[starts], np.diff(np.append(starts, dup.size))      # cnt = c - 1
    rows, cols = uk % N, uk // N
    it = np.int32 if uk.size < 2**31 else np.int64
    indptr = np.zeros(N + 1, it)
    np.cumsum(np.bincount(cols, minlength=N), out=indptr[1:])
    corr = sp.csc_matrix((cnt.astype(np.float64), rows.astype(it), indptr), shape=(N, N))
    lam_l, lam_m = np.bincount(al.ravel(), minlength=N), np.bincount(alm1.ravel(), minlength=N)
    full = int(np.dot(lam_l[al].sum(1), lam_m[alm1].sum(1)))          # lam^T M lam'
    over = int(np.dot(cnt, lam_l[rows] * lam_m[cols]))                 # lam^T corr lam'
    nsym = full - over - T * S * S
    if T < 2:
        return corr, 0.0
    den = T * (T - 1) * S * S - nsym
    if den <= 0:
        raise ValueError("every pair of circuits is linked: the balancing constant chi is undefined")
    return corr, nsym / den / S


# ------------------------------------------------------------------------ the products


def _coefs(net: Network, l: int, delta: bool, mean: bool):
    """(c_d, c_M, c_corr, c_J) with W A = sum_t (c_d Dw_t + c_M wbar) X_t |e_t>
    + c_corr wbar (x) corr A + c_J wbar (x) J A  (X_t readouts of A; module docstring)."""
    chi, S = net.chi[l], net.S
    mu = 1.0 if mean and np.any(net.family.wbar[l]) else 0.0
    return (1.0 if delta else 0.0), mu * (1 + S * chi), -mu * (1 / S + chi), -mu * chi


def _scatter(shape, b, n, vals):
    """(B, d, N) array with vals (K, d) added at [b_k, :, n_k] (bincount, duplicates summed)."""
    B, d, N = shape
    flat = (b[:, None] * d + np.arange(d)) * N + n[:, None]
    # float64 even when there is nothing to add (numpy's bincount of empty weights is int64)
    return np.bincount(flat.ravel(), vals.ravel(), minlength=B * d * N).astype(
        np.float64, copy=False).reshape(shape)


def _progression(net: Network, l: int):
    """(start, step) int arrays (T,): S^l_t = {start + k step}, k < S (prime-step subsets)."""
    if ("prog", l) not in net.cache:
        a = net.alloc[l]
        net.cache[("prog", l)] = (np.ascontiguousarray(a[:, 0]), a[:, 1] - a[:, 0])
    return net.cache[("prog", l)]


def _wa_events(net: Network, l: int, A3: np.ndarray, delta: bool, mean: bool,
               targets: np.ndarray | None = None) -> np.ndarray:
    """W^l A by expanding non-zero source positions; only ``targets`` (B, N) if given.

    Triples (b, m, t): sample b, non-zero position m of A^{l-1}, circuit t holding m; each adds
    ``(1/S) w'_t A[b, :, m]`` at its S layer-l positions (module docstring).  The corr and J
    terms go through the low-rank ``wbar = U V``.
    """
    cd, cm, cc, cj = _coefs(net, l, delta, mean)
    _, _, _, _, U, V = _tables(net, l)
    wbar, S, (B, d, N) = net.family.wbar[l], net.S, A3.shape
    bb, mm = np.nonzero(np.any(A3 != 0, axis=1))                 # (b, m) source pairs
    a_p = A3[bb, :, mm]                                           # (pairs, d)
    rep, pos = _expand(net.inv[l - 1][0], mm)
    tt = net.inv[l - 1][1][pos]                                   # triples (b, m, t)
    start, step = _progression(net, l)
    nn = start[tt][:, None] + step[tt][:, None] * np.arange(S)    # (K, S) targets of t
    b3 = bb[rep]
    if targets is not None:
        hit = targets.reshape(-1)[(b3 * N)[:, None] + nn]
        keep = np.flatnonzero(hit.any(1))
        tt, b3, rep, nn, hit = tt[keep], b3[keep], rep[keep], nn[keep], hit[keep]
    a = a_p[rep]
    y = np.einsum("kij,kj->ki", net.family.w[l][tt], a * (cd / S))
    if cm != cd:
        y += np.einsum("ij,kj->ki", wbar * ((cm - cd) / S), a)
    if targets is None:
        out = _scatter(A3.shape, np.repeat(b3, S), nn.ravel(), np.repeat(y, S, axis=0))
    else:
        k, s = np.nonzero(hit)
        out = _scatter(A3.shape, b3[k], nn[k, s], y[k])
    if U.shape[1] and (cj or (cc and net.corr[l].nnz)):
        z_p = np.einsum("pd,rd->pr", a_p, V)                     # (pairs, rw): V A
        Rw = np.zeros((B, V.shape[0], N))
        if cc and net.corr[l].nnz:
            c = net.corr[l]
            rep2, pos2 = _expand(c.indptr, mm)                    # corr entries of columns m
            b2, n2, v = bb[rep2], c.indices[pos2], cc * c.data[pos2]
            if targets is not None:
                keep = np.flatnonzero(targets.reshape(-1)[b2 * N + n2])
                b2, n2, v, rep2 = b2[keep], n2[keep], v[keep], rep2[keep]
            Rw = _scatter(Rw.shape, b2, n2, v[:, None] * z_p[rep2])
        if cj:
            Rw += cj * np.stack([np.bincount(bb, z_p[:, r], B) for r in range(V.shape[0])],
                                -1)[:, :, None]
        out += np.einsum("dr,brn->bdn", U, Rw)
    return out


def _basis(gram: np.ndarray) -> np.ndarray:
    """Orthonormal basis (columns) of the range of a PSD Gram matrix."""
    ev, vec = np.linalg.eigh(gram)
    return vec[:, ev > 1e-12 * max(ev.max(initial=0.0), 1e-300)]


def _tables(net: Network, l: int):
    r"""Reduced form of layer l: ``Dw_t = Qo C_t Qi``, ``wbar = U V`` (cached).

    Qi (ri, d), Qo (d, ro): orthonormal bases of the row / column spaces of all Dw_t (from the
    Gram matrices); C_t = Qo^T Dw_t Qi^T, stored as constant entries ``C0`` (ro, ri) plus
    ``[(i, j, C[:, i, j])]`` for entries that vary over t; wbar = U V by SVD (rank rw).  Exact up
    to rounding, and the gather needs only ``ri + rw`` components per position instead of d
    (rotation family: 2 + 1 of 4).
    """
    w, wbar = net.family.w[l], net.family.wbar[l]
    key = ("tab", w.__array_interface__["data"][0], w.strides, wbar.tobytes())
    if key not in net.cache:
        T, d = w.shape[0], w.shape[1]
        gi, go = np.zeros(wbar.shape), np.zeros(wbar.shape)
        for t0 in range(0, T, 1 << 18):
            dw = w[t0:t0 + (1 << 18)] - wbar                               # (t, d, d)
            r = dw.reshape(-1, d)
            gi += r.T @ r                                                   # sum_t Dw^T Dw
            c = np.ascontiguousarray(dw.transpose(0, 2, 1)).reshape(-1, d)
            go += c.T @ c                                                   # sum_t Dw Dw^T
        Qi, Qo = _basis(gi).T, _basis(go)
        ri, ro = Qi.shape[0], Qo.shape[1]
        C = np.empty((T, ro, ri))                                           # Qo^T Dw_t Qi^T
        for t0 in range(0, T, 1 << 18):
            dw = w[t0:t0 + (1 << 18)] - wbar
            x = (dw.reshape(-1, d) @ Qi.T).reshape(-1, d, ri).transpose(0, 2, 1)
            C[t0:t0 + dw.shape[0]] = (x.reshape(-1, d) @ Qo).reshape(-1, ri, ro).transpose(0, 2, 1)
        C0, vecs = np.zeros(C.shape[1:]), []
        for i in range(C.shape[1]):
            for j in range(C.shape[2]):
                col = C[:, i, j]
                if np.all(col == col[0]):
                    C0[i, j] = col[0]
                else:
                    vecs.append((i, j, np.ascontiguousarray(col)))
        u, sv, vt = np.linalg.svd(wbar)
        rw = int(np.sum(sv > 1e-14 * max(sv[0], 1e-300)))
        net.cache[key] = (Qi, Qo, C0, vecs, u[:, :rw] * sv[:rw], vt[:rw])
    return net.cache[key]


def _wa_sparse(net: Network, l: int, A3: np.ndarray, delta: bool, mean: bool) -> np.ndarray:
    """W^l A over all T circuits: chunks of circuits, scipy CSR gather / scatter.

    With ``G = [Qi; V]`` (see :func:`_tables`): gather ``X_t = (1/S) <e^{l-1}_t| G A`` = (u_t, v_t),
    transform ``y_t = (C_t u_t, v_t)`` (elementwise over t, in place when ri = ro), scatter
    ``R = sum_t |e^l_t> y_t``, and map back ``P = c_d Qo R_u + c_M U R_v``; then the low-rank corr
    and J terms.  Layout (N, g, k) for k samples at a time.
    """
    cd, cm, cc, cj = _coefs(net, l, delta, mean)
    Qi, Qo, C0, vecs, U, V = _tables(net, l)
    ri, ro, rw = Qi.shape[0], Qo.shape[1], U.shape[1]
    if not cd:
        ri = ro = 0
    if not cm and not cc and not cj:
        rw = 0
    G = np.concatenate([Qi[:ri], V[:rw]])                         # (g, d)
    g, (B, d, N), S, T = G.shape[0], A3.shape, net.S, net.T
    out = np.zeros_like(A3)
    if g == 0:
        return out
    k = max(1, min(B, 64 // g))                                   # samples per product
    tc = max(1024, _CHUNK // (k * (g + ro + rw) * 64))           # circuits per chunk
    Em, El = net.E[l - 1], net.E[l]
    for b0 in range(0, B, k):
        kb = A3[b0:b0 + k].shape[0]
        Ag = np.einsum("gd,kdn->ngk", G, A3[b0:b0 + k]).reshape(N, g * kb)   # (N, g, k)
        R = np.zeros((N, (ro + rw) * kb))
        for t0 in range(0, T, tc):
            t1 = min(T, t0 + tc)
            X = _gather(Em, t0, t1, Ag).reshape(t1 - t0, g, kb)        # (t, [u | v], k)
            Y = X if ro == ri else np.empty((t1 - t0, ro + rw, kb))
            if ro:
                u = X[:, :ri].copy()                                     # (t, ri, k)
                Y[:, :ro] = 0.0
                tmp = np.empty((t1 - t0, kb))
                for i, j in zip(*np.nonzero(C0[:ro, :ri])):
                    Y[:, i] += C0[i, j] * u[:, j]
                for i, j, v in vecs:
                    np.multiply(v[t0:t1, None], u[:, j], out=tmp)
                    Y[:, i] += tmp
            if rw and Y is not X:
                Y[:, ro:] = X[:, ri:]
            _scatter_add(El, t0, t1, Y.reshape(t1 - t0, -1), R)
        R = S * R.reshape(N, ro + rw, kb)                         # sum_t |e_t> (C_t u_t, v_t)
        P = np.einsum("di,nik->kdn", cd * Qo[:, :ro], R[:, :ro]) if ro else np.zeros((kb, d, N))
        if rw:
            Z = Ag.reshape(N, g, kb)[:, ri:]                          # (N, rw, k): V A
            M = cm * R[:, ro:]
            if cc and net.corr[l].nnz:
                M = M + cc * (net.corr[l] @ Z.reshape(N, -1)).reshape(Z.shape)
            if cj:
                M = M + cj * Z.sum(0)
            P += np.einsum("di,nik->kdn", U, M)
        out[b0:b0 + kb] = P
    return out


def _rows(E: sp.csr_matrix, t0: int, t1: int) -> sp.csr_matrix:
    """Rows t0..t1 of an embedding CSR (S entries per row) as a view, no copy."""
    S = E.indptr[1] - E.indptr[0]
    return sp.csr_matrix((E.data[t0 * S:t1 * S], E.indices[t0 * S:t1 * S],
                          E.indptr[:t1 - t0 + 1]), shape=(t1 - t0, E.shape[1]), copy=False)


def _gather(E: sp.csr_matrix, t0: int, t1: int, Ag: np.ndarray) -> np.ndarray:
    """E[t0:t1] @ Ag: readouts of circuits t0..t1, (t1 - t0, cols); blocks of <= 64 columns
    (wide right-hand sides thrash the cache)."""
    if Ag.shape[1] > 128:
        return np.concatenate([_gather(E, t0, t1, np.ascontiguousarray(Ag[:, c:c + 64]))
                               for c in range(0, Ag.shape[1], 64)], axis=1)
    if _csr_mv is None:
        return _rows(E, t0, t1) @ Ag
    S = E.indptr[1] - E.indptr[0]
    out = np.zeros((t1 - t0, Ag.shape[1]))
    _csr_mv(t1 - t0, E.shape[1], Ag.shape[1], E.indptr[:t1 - t0 + 1], E.indices[t0 * S:t1 * S],
            E.data[t0 * S:t1 * S], Ag.reshape(-1), out.reshape(-1))
    return out


def _scatter_add(E: sp.csr_matrix, t0: int, t1: int, Y: np.ndarray, R: np.ndarray) -> None:
    """R += E[t0:t1]^T @ Y in place (R (N, cols) C-contiguous)."""
    if _csc_mv is None:
        R += _rows(E, t0, t1).T @ Y
        return
    S = E.indptr[1] - E.indptr[0]
    _csc_mv(E.shape[1], t1 - t0, Y.shape[1], E.indptr[:t1 - t0 + 1], E.indices[t0 * S:t1 * S],
            E.data[t0 * S:t1 * S], np.ascontiguousarray(Y).reshape(-1), R.reshape(-1))


def _choose(A3: np.ndarray, strategy: str, targeted: bool) -> str:
    if strategy in ("events", "sparse"):
        return strategy
    if strategy != "auto":
        raise ValueError(f"unknown strategy {strategy!r} (auto, events, sparse)")
    frac = np.count_nonzero(np.any(A3 != 0, axis=1)) / (A3.shape[0] * A3.shape[2])
    return "events" if frac < (EVENTS_MAX_FRAC_IDEAL if targeted else EVENTS_MAX_FRAC) else "sparse"


# ---------------------------------------------------------------- public low-level API


def embed_input(net: Network, active: np.ndarray, a0: np.ndarray) -> np.ndarray:
    """A^0 = sum_{v active} w^1_v a^0_v (x) |e^1_v> (layer-0 trick): (B, D) from a0 (B, z, d)."""
    B, z, d = a0.shape
    u = np.einsum("bzij,bzj->bzi", net.family.w[1][active], a0)             # (B, z, d)
    pos = net.alloc[1][active]                                               # (B, z, S)
    b = np.broadcast_to(np.arange(B)[:, None, None], pos.shape)
    vals = np.broadcast_to(u[:, :, None, :], pos.shape + (d,))
    return _scatter((B, d, net.N), b.ravel(), pos.ravel(), vals.reshape(-1, d)).reshape(B, -1)


def preactivation(net: Network, l: int, A: np.ndarray, *, delta: bool = True,
                  mean: bool = True, bias: bool = True, strategy: str = "auto") -> np.ndarray:
    """P^l = W^l A + b^l |1> for A = A^{l-1} (B, D) -> (B, D).

    ``delta``: the circuit part (1/S) sum_t Dw_t (x) |e_t><e_t|; ``mean``: wbar (x) calW;
    ``bias``: b^l |1>.  Layer 1 has W^1 = I (the flags then only switch the bias).
    """
    A3 = A.reshape(A.shape[0], net.d, net.N)
    if l == 1:
        P = A3.copy()
    elif _choose(A3, strategy, False) == "events":
        P = _wa_events(net, l, A3, delta, mean)
    else:
        P = _wa_sparse(net, l, A3, delta, mean)
    if bias:
        P += net.family.b[l][None, :, None]
    return P.reshape(A.shape[0], -1)


def readout(net: Network, l: int, A: np.ndarray, circuits: np.ndarray) -> np.ndarray:
    """(1/S) <e^l_t|A> per block for ``circuits`` (k,) or (B, k) (-1 reads 0): (B, k, d)."""
    B = A.shape[0]
    A3 = A.reshape(B, net.d, net.N)
    c = np.broadcast_to(np.asarray(circuits), (B, np.shape(circuits)[-1]))
    pos = net.alloc[l][np.maximum(c, 0)]                                     # (B, k, S)
    out = A3[np.arange(B)[:, None, None], :, pos].sum(2) / net.S             # (B, k, d)
    out[c < 0] = 0.0
    return out


def onset_mask(net: Network, l: int, active: np.ndarray, true_l: np.ndarray) -> np.ndarray:
    """On-set A^l of (H) as a (B, D) bool mask: (i, n) with n in S^l_v, v active, (a^l_v)_i > 0."""
    B, z, d = true_l.shape
    pos = net.alloc[l][active]                                               # (B, z, S)
    flat = ((np.arange(B)[:, None, None, None] * d + np.arange(d)[None, None, :, None]) * net.N
            + pos[:, :, None, :])                                            # (B, z, d, S)
    on = np.broadcast_to((true_l > 0)[..., None], flat.shape)
    mask = np.zeros(B * d * net.N, bool)
    mask[flat[on]] = True
    return mask.reshape(B, -1)


# --------------------------------------------------------------------------------- run


@dataclass(frozen=True, eq=False)
class RunResult:
    """Per-layer arrays, index 0..L.  Layer 0 is the input: nothing is read, so reads = truth.

    ``true``/``read_active`` (L+1, B, z, d); ``inactive_ids`` (L+1, B, k) with -1 padding (a
    read-only view when the ids are the same at every layer) and
    ``read_inactive`` (L+1, B, k, d) (0 at padding; inactive circuits' true activations are 0);
    ``frac_on`` (L+1,) and ``frac_on_block`` (L+1, d): fraction of neurons with |output| > ON_TOL,
    mean over the batch; ``strategy`` per layer (layer 0: "input").
    """

    mode: str
    active: np.ndarray
    true: np.ndarray
    read_active: np.ndarray
    inactive_ids: np.ndarray
    read_inactive: np.ndarray
    frac_on: np.ndarray
    frac_on_block: np.ndarray
    n_inactive: int
    strategy: tuple


def _touching(net: Network, l: int, A3: np.ndarray, active: np.ndarray):
    """Inactive circuits touching a non-zero neuron, with readouts: ids (B, k) -1 padded, (B, k, d).

    Sorted by (sample, circuit); active circuits are blanked to id -1 / value 0 in place.
    """
    B, d, N = A3.shape
    T = net.T
    bb, mm = np.nonzero(np.any(A3 != 0, axis=1))
    rep, pos = _expand(net.inv[l][0], mm)
    key = bb[rep].astype(np.int64) * T + net.inv[l][1][pos]
    order = np.argsort(key)
    ks = key[order]
    first = np.ones(ks.size, bool)
    first[1:] = ks[1:] != ks[:-1]
    starts = np.flatnonzero(first)
    uk = ks[starts]
    seg = np.cumsum(first) - 1                                  # unique-key index, sorted order
    a = A3[bb, :, mm][rep[order]] / net.S                        # (K, d)
    vals = np.stack([np.bincount(seg, a[:, i], uk.size) for i in range(d)], -1)
    ub, ut = uk // T, uk % T
    if uk.size:                                   # blank the active circuits
        ak = (np.arange(B)[:, None] * T + active).ravel()
        j = np.minimum(np.searchsorted(uk, ak), uk.size - 1)
        j = j[uk[j] == ak]
        ut[j], vals[j] = -1, 0.0
    cnt = np.bincount(ub, minlength=B)
    k = int(cnt.max(initial=0))
    flat = ub * k + np.arange(ub.size) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    ids = np.full(B * k, -1, np.int64)
    out = np.zeros((B * k, d))
    ids[flat], out[flat] = ut, vals
    return ids.reshape(B, k), out.reshape(B, k, d)


def _inactive_ids(net: Network, active: np.ndarray, read, rng) -> np.ndarray | None:
    """Fixed (B, k) inactive ids for read = 'all' | int k | array; None for 'touching'."""
    B, z = active.shape
    if isinstance(read, str):
        if read == "touching":
            return None
        if read != "all":
            raise ValueError(f"unknown read {read!r} (all, touching, int, array, None)")
        mask = np.ones((B, net.T), bool)
        mask[np.arange(B)[:, None], active] = False
        return np.nonzero(mask)[1].reshape(B, net.T - z)
    if read is None:
        return np.zeros((B, 0), np.int64)
    if np.ndim(read) == 0:
        if rng is None:
            raise ValueError("read=int samples circuits and needs rng")
        k = int(read)
        if not 0 <= k <= net.T - z:
            raise ValueError(f"cannot sample {k} of {net.T - z} inactive circuits")
        ids = np.stack([rng.choice(net.T - z, size=k, replace=False) for _ in range(B)])
        for a in np.sort(active, axis=1).T:     # j-th non-active circuit: skip actives in order
            ids += ids >= a[:, None]
        return ids
    ids = np.broadcast_to(np.asarray(read, np.int64), (B, np.size(read))).copy()
    ids[(ids[:, :, None] == active[:, None, :]).any(-1)] = -1
    return ids


def run(net: Network, active: np.ndarray, x: np.ndarray, mode: str, *, read="all",
        rng: np.random.Generator | None = None, strategy: str = "auto") -> RunResult:
    """Forward B passes (active (B, z), inputs x (B, z, k)) in ``mode``; see RunResult.

    ``read``: 'all' (every inactive circuit), 'touching' (inactive circuits with a non-zero
    neuron at that layer: exact for sums over all inactive circuits in every mode, since the
    others read exactly 0 = their true value; cheap while the layer is sparse, e.g. ideal mode),
    an int k (k sampled per pass, fixed over layers, needs ``rng``), an id array (actives are
    set to -1), or None.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} (relu, ideal, linear)")
    fam, (B, z), L, d = net.family, active.shape, net.L, net.d
    a0 = fam.encode(active, x)
    true = fam.forward_small(active, a0)                                   # (L+1, B, z, d)
    fixed = _inactive_ids(net, active, read, rng)
    if fixed is not None:                                  # same ids at every layer
        ids_a = np.broadcast_to(fixed, (L + 1,) + fixed.shape)      # read-only view
        read_in = np.zeros((L + 1,) + fixed.shape + (d,))
    touch = []
    read_act = np.empty_like(true)
    read_act[0] = a0
    frac, frac_blk, used = np.zeros(L + 1), np.zeros((L + 1, d)), ["input"]
    A3 = embed_input(net, active, a0).reshape(B, d, net.N)
    for l in range(L + 1):
        if l > 0:
            gate = onset_mask(net, l, active, true[l]).reshape(A3.shape) if mode == "ideal" else None
            if l == 1:
                P, s = A3 + 0.0, "identity"
            else:
                s = _choose(A3, strategy, gate is not None)
                P = (_wa_events(net, l, A3, True, True, None if gate is None else gate.any(1))
                     if s == "events" else _wa_sparse(net, l, A3, True, True))
            P += fam.b[l][None, :, None]
            A3 = np.maximum(P, 0.0) if mode == "relu" else (P * gate if gate is not None else P)
            used.append(s)
            read_act[l] = readout(net, l, A3.reshape(B, -1), active)
        nz = np.abs(A3) > ON_TOL
        frac_blk[l] = nz.mean(axis=(0, 2))
        frac[l] = frac_blk[l].mean()
        if fixed is None:
            touch.append(_touching(net, l, A3, active) if l > 0 else
                         (np.zeros((B, 0), np.int64), np.zeros((B, 0, d))))
        elif l > 0 and isinstance(read, str):          # 'all': every circuit, actives dropped
            for b in range(B):
                X = _gather(net.E[l], 0, net.T, np.ascontiguousarray(A3[b].T))   # (T, d)
                read_in[l, b] = np.delete(X, active[b], axis=0)
        elif l > 0:
            read_in[l] = readout(net, l, A3.reshape(B, -1), fixed)
    if fixed is None:
        k = max(i.shape[1] for i, _ in touch)
        ids_a = -np.ones((L + 1, B, k), np.int64)
        read_in = np.zeros((L + 1, B, k, d))
        for l, (i, r) in enumerate(touch):
            ids_a[l, :, :i.shape[1]], read_in[l, :, :i.shape[1]] = i, r
    return RunResult(mode, active, true, read_act, ids_a, read_in, frac, frac_blk,
                     net.T - z, tuple(used))
