r"""RiS rotations with k on-indicator copies, all layers: a dense multi-layer ReLU simulator.

Math reference: ``shared/math/cis2.md`` §3 (embedding, layer-0 trick), §7 (RiS circuits, the
mean-weight construction (5.20)-(5.24), capped :math:`\mathcal W`), §10 (the variant, proposal);
the variant circuit and its exact layer-1 law are in ``derive/rotations_kcopies.py``; the
layer-1-only simulator is ``verify/rotations_kcopies.py``.  Nothing here is a closed form: this
module *measures* layers 1..L of the real ReLU network.

**Small circuit** (width ``d' = 2k + 2``, :func:`verify.rotations_kcopies.circuit_weights`).
Copy ``j < k`` is neurons ``(2j, 2j+1)``, the payload ``(2k, 2k+1)``; every copy and the payload
read the mean indicator :math:`\bar\alpha=\frac1k\sum_j(a_{2j}-a_{2j+1})`::

    a_{2j}' = ReLU(2 abar - 1/2),   a_{2j+1}' = ReLU(2 abar - 3/2),
    (a_{2k}, a_{2k+1})' = ReLU(r_t x + 2 abar - 1),   x = payload - abar,

with ``r_t`` the rotation by :math:`\theta_t\sim U[0,2\pi)`, drawn once per circuit and used at
*every* layer, exactly as the engine's ``rotation_family`` (``verify/cis2_engine.py``) does; the
bias is ``(-1/2, -3/2)`` per copy and ``(-1, -1)`` for the payload at every layer.  For ``k = 1``
these are RiS's (5.1)-(5.3).  The design mean weight :math:`\bar w` (mean over
:math:`\theta`) has every row equal to the ``2 abar`` read-out ``(2/k, -2/k, ..., 0, 0)``; so
:math:`\Delta w_t = w_t - \bar w` is zero in the copy rows.

**Kets.**  Block ``i`` uses ket ``kappa(i)``: ``0`` for all (*shared*, RiS layout) or
``kappa(2j) = kappa(2j+1) = j`` and ``kappa(2k) = kappa(2k+1) = k`` (*block*-dependent).  Ket
``a`` at layer ``l`` is the first ``T`` prime-step subsets of ``N = D/d'`` under its own uniform
permutation, independent over kets *and* layers (the engine's per-layer permutations, per ket);
layer 0 = layer 1 (layer-0 trick).

**Large network** (dense ``D x D``, neuron ``(i, n)`` at ``i N + n``)::

    A^0 = sum_{v active} sum_i (w_v a^0_v)_i  e_i (x) |e^{kappa(i),1}_v>         (W^1 = I)
    A^l = ReLU(W^l A^{l-1} + b (x) |1>)
    W^l[(i,n),(i',m)] = (1/S) sum_t (Dw_t)_{ii'} [n in S^{kappa(i),l}_t] [m in S^{kappa(i'),l-1}_t]
                        + wbar_{ii'} calW^{l; kappa(i), kappa(i')}_{nm}                 (5.20, blockwise)
    calW^{l;ab} = cap^{ab}/S - chi^{l;ab} (1 - cap^{ab}),
    cap^{ab}_{nm} = min(1, #{t : n in S^{a,l}_t, m in S^{b,l-1}_t}),
    chi^{l;ab} = (1/S) Nsym / (T(T-1) S^2 - Nsym),  Nsym = sum_{t != u} <e^{a,l}_t|cap^{ab}|e^{b,l-1}_u>

Readout ``a_hat_t[i] = (1/S) <e^{kappa(i),l}_t| A^l[i]>`` (5.30, per block ket), decoded by the
circuit's own rule (``abar_hat``, ``x_hat = payload_hat - abar_hat``).

**The choice the notes do not fix** (cis2.md §10: "(5.20) must be generalised").  We keep one
capped link matrix *per ket pair* ``(a, b)`` and choose ``chi^{l;ab}`` so that (5.24) holds for
that pair, :math:`\mathbb E_{t\ne u}\langle e^{a,l}_t|\mathcal W^{ab}|e^{b,l-1}_u\rangle=0`
(symmetrised sum over ordered pairs, as the engine).  Why: every mean-weight term reads block
``i'`` through ket ``b = kappa(i')`` and writes block ``i`` through ket ``a = kappa(i)``, so the
cross-talk from an active ``v`` into an inactive ``t`` through that term is
:math:`\bar w_{ii'}\langle e^{a}_t|\mathcal W^{ab}|e^{b}_v\rangle a_{v,i'}`; zeroing its mean
for each pair separately zeroes the mean of the sum, whatever the allocation of the other kets.
It also keeps the exact self term :math:`\frac1S\langle e^{a,l}_t|\mathcal W^{ab}|e^{b,l-1}_t\rangle=1`
(the pair ``(n, m)`` with ``n in S^a_t``, ``m in S^b_t`` is linked by ``t``, so ``cap = 1``),
hence the active signal passes exactly as in RiS.  With shared kets there is a single pair
``(0, 0)`` and the construction *is* RiS's (5.20) with the engine's chi (tested to 1e-12).

**Measurements** (:func:`measure_point`, per layer 1..L): seized fraction (inactive ``u`` with
``abar_hat_u > 1/4``; ``FLOOR`` as in ``verify/rotations_kcopies.py``), inactive ``abar`` mean
square, active ``x`` error mean square, active ``abar`` error mean square, fraction of neurons
with ``|A| > ON_TOL``, and the onset layer (first layer whose seized fraction exceeds 1%, ``L+1``
if none).  Monte Carlo unit: one pass (fresh uniform active set, fresh unit inputs); network
(angles, permutations of every ket at every layer) redrawn every ``K`` passes; SEs clustered by
network (``verify.stats.clustered_mean``).  Memory: ``(L-1)`` dense ``D x D`` float64 matrices
(~46 MB each at D = 2400).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from superpose.derive.cis2 import alloc as cis2_alloc
from superpose.derive.common import ONSET_FRAC, THRESH
from superpose.verify.rng import stream
from superpose.verify.rotations.kcopies import circuit_weights, decode, embed_input, encode
from superpose.verify.stats import Estimate, clustered_mean

NAME = "rotations-kcopies-deep"
KETS = ("shared", "block")
FLOOR = 1e-9       # abar is a sum of multiples of 1/(kS) at layer 1: exact ties at 1/4 are not on
ON_TOL = 1e-12     # a neuron is "on" when |A| > ON_TOL (as the engine)
KEYS = ("seiz", "ai", "xa", "aa", "fon")


def ket_of_block(k: int, kets: str) -> np.ndarray:
    """kappa (d',): block -> ket index (module docstring)."""
    if kets == "shared":
        return np.zeros(2 * k + 2, np.int64)
    if kets == "block":
        return np.concatenate([np.repeat(np.arange(k), 2), [k, k]]).astype(np.int64)
    raise ValueError(f"kets must be one of {KETS}, got {kets!r}")


def mean_weight(k: int) -> np.ndarray:
    """wbar (d', d'): mean over theta of w_t; every row is the 2 abar read-out (cos, sin average 0)."""
    ind = np.zeros(2 * k + 2)
    ind[0:2 * k:2], ind[1:2 * k:2] = 2.0 / k, -2.0 / k
    return np.tile(ind, (2 * k + 2, 1))


@dataclass(frozen=True, eq=False)
class DeepNet:
    """Dense k-copy rotation network.

    ``alloc`` (n_kets, L+1, T, S): S^{a,l}_t (layer 0 = layer 1); ``ket`` (d',); ``w`` (T, d', d')
    circuit weights (every layer); ``wbar`` (d', d'); ``b`` (d',); ``E[l][a]`` CSR (T, N) with
    entries 1/S (readouts); ``W[l]`` (D, D) for l >= 2 (None at 0, 1); ``chi`` (L+1, n_kets, n_kets)
    (0 where the pair is unused).
    """

    D: int
    S: int
    T: int
    k: int
    L: int
    kets: str
    N: int
    alloc: np.ndarray
    ket: np.ndarray
    w: np.ndarray
    wbar: np.ndarray
    b: np.ndarray
    E: tuple
    W: tuple
    chi: np.ndarray

    @property
    def dp(self) -> int:
        return 2 * self.k + 2


def build(D: int, S: int, T: int, k: int, kets: str, L: int, rng: np.random.Generator) -> DeepNet:
    """Draw angles, then per layer l = 1..L one permutation per ket, and assemble every W^l.

    The draw order (theta, then layer by layer) is the engine's (``rotation_family`` then
    ``allocate``), so for ``k = 1``, shared kets, the same generator state gives the engine's
    network exactly.
    """
    dp = 2 * k + 2
    N = D // dp
    if D % dp or N < S:
        raise ValueError(f"need d' = 2k+2 = {dp} to divide D={D} with D/d' >= S={S}")
    sub = cis2_alloc.subsets(N, S, limit=T)
    if sub.shape[0] < T:
        raise ValueError(f"T={T} exceeds the allocation's capacity {sub.shape[0]} at N={N}, S={S}")
    if L < 1:
        raise ValueError(f"need L >= 1, got L={L}")
    n_kets = 1 if kets == "shared" else k + 1
    ket_of_block(k, kets)                                                    # validates kets
    theta = rng.uniform(0.0, 2 * np.pi, T)
    alloc = np.empty((n_kets, L + 1, T, S), np.int64)
    for l in range(1, L + 1):
        for a in range(n_kets):
            alloc[a, l] = sub[rng.permutation(T)]
    alloc[:, 0] = alloc[:, 1]
    return from_parts(D, S, k, kets, alloc, theta)


def from_parts(D: int, S: int, k: int, kets: str, alloc: np.ndarray, theta: np.ndarray) -> DeepNet:
    """The network from given supports ``alloc`` (n_kets, L+1, T, S) and angles ``theta`` (T,)."""
    n_kets, Lp1, T, _ = alloc.shape
    dp, L = 2 * k + 2, Lp1 - 1
    N = D // dp
    ket = ket_of_block(k, kets)
    if n_kets != ket.max() + 1:
        raise ValueError(f"{kets} kets at k={k} need {ket.max() + 1} supports, got {n_kets}")
    w, b = circuit_weights(np.asarray(theta, float), k)
    wbar = mean_weight(k)
    data = np.full(T * S, 1.0 / S)
    indptr = np.arange(0, T * S + 1, S)
    E = tuple(tuple(sp.csr_matrix((data, alloc[a, l].ravel(), indptr), shape=(T, N))
                    for a in range(n_kets)) for l in range(L + 1))
    W, chi = [None, None], np.zeros((L + 1, n_kets, n_kets))
    for l in range(2, L + 1):
        Wl, chi[l] = _dense_layer(E[l], E[l - 1], ket, w - wbar, wbar, S, N)
        W.append(Wl)
    return DeepNet(D, S, T, k, L, kets, N, alloc, ket, w, wbar, b, E, tuple(W), chi)


def _dense_layer(El, Em, ket, dw, wbar, S, N):
    """W^l (D, D) by blocks (module docstring), and chi (n_kets, n_kets).

    ``El[a]``, ``Em[b]``: (T, N) CSR with entries 1/S at layers l and l-1; ``dw`` (T, d', d').
    """
    dp, T = ket.size, dw.shape[0]
    n_kets = len(El)
    Bl = [(e * S).tocsc() for e in El]                                   # 0/1 (T, N)
    Bm = [(e * S).tocsr() for e in Em]
    calW, chi = {}, np.zeros((n_kets, n_kets))
    for a, bb in {(ket[i], ket[j]) for i in range(dp) for j in range(dp) if wbar[i, j] != 0}:
        links = (Bl[a].T @ Bm[bb]).toarray()                             # (N, N) #t linking n <- m
        cap = np.minimum(links, 1.0)
        lam_a, lam_b = np.asarray(Bl[a].sum(0)).ravel(), np.asarray(Bm[bb].sum(0)).ravel()
        nsym = lam_a @ cap @ lam_b - T * S * S                           # own pairs: S^2 each
        chi[a, bb] = nsym / (T * (T - 1) * S * S - nsym) / S if T > 1 else 0.0
        calW[a, bb] = cap / S - chi[a, bb] * (1.0 - cap)
    W = np.zeros((dp * N, dp * N))
    for i in range(dp):
        for j in range(dp):
            blk = W[i * N:(i + 1) * N, j * N:(j + 1) * N]
            col = dw[:, i, j]
            if np.any(col):
                blk += (Bl[ket[i]].T @ sp.diags(col / S) @ Bm[ket[j]]).toarray()
            if wbar[i, j]:
                blk += wbar[i, j] * calW[ket[i], ket[j]]
    return W, chi


# ---------------------------------------------------------------------------- forward


def embed(net: DeepNet, active: np.ndarray, a0: np.ndarray) -> np.ndarray:
    """A^0 (B, d', N) = sum_v (w_v a0_v)_i at S^{kappa(i),1}_v (layer-0 trick; the layer-1
    simulator's :func:`~superpose.verify.rotations.kcopies.embed_input`)."""
    return embed_input(net.w, net.alloc[:, 1], net.ket, net.N, active, a0)[0]


def readout(net: DeepNet, l: int, A3: np.ndarray) -> np.ndarray:
    """(1/S) <e^{kappa(i),l}_t | A[i]> for every circuit: (B, T, d') from A3 (B, d', N)."""
    return np.stack([(net.E[l][net.ket[i]] @ A3[:, i, :].T).T for i in range(net.dp)], -1)


def small_forward(net: DeepNet, active: np.ndarray, a0: np.ndarray) -> np.ndarray:
    """True small-circuit activations (L+1, B, z, d')."""
    out = [a0]
    for _ in range(net.L):
        out.append(np.maximum(np.einsum("bzij,bzj->bzi", net.w[active], out[-1]) + net.b, 0.0))
    return np.stack(out)


def forward(net: DeepNet, active: np.ndarray, x: np.ndarray):
    """B passes: ``acts`` list of A^l (B, d', N), l = 0..L; ``reads`` (L+1, B, T, d') (layer 0:
    zeros); ``true`` (L+1, B, z, d')."""
    B = active.shape[0]
    a0 = encode(net.k, x)
    A3 = embed(net, active, a0)
    bias = np.repeat(net.b, net.N)                                            # (D,)
    acts, reads = [A3], [np.zeros((B, net.T, net.dp))]
    for l in range(1, net.L + 1):
        P = A3.reshape(B, -1) + bias if l == 1 else A3.reshape(B, -1) @ net.W[l].T + bias
        A3 = np.maximum(P, 0.0).reshape(B, net.dp, net.N)
        acts.append(A3)
        reads.append(readout(net, l, A3))
    return acts, np.stack(reads), small_forward(net, active, a0)


def sample_active(T: int, z: int, B: int, rng: np.random.Generator) -> np.ndarray:
    """(B, z): z distinct uniform circuits per pass."""
    return np.argsort(rng.random((B, T)), axis=1)[:, :z]


def pass_stats(net: DeepNet, active: np.ndarray, x: np.ndarray) -> dict:
    """Per-pass statistics, each (L+1, B) (layer 0 unused): ``seiz``, ``ai``, ``xa``, ``aa``, ``fon``."""
    acts, reads, true = forward(net, active, x)
    Lp1, B, T, _ = reads.shape
    z = active.shape[1]
    abar, xh = decode(net.k, reads)                                           # (L+1, B, T), (.., 2)
    at, xt = decode(net.k, true)                                              # (L+1, B, z)
    bi = np.arange(B)[:, None]
    inact = np.ones((B, T), bool)
    inact[bi, active] = False
    ab_in = np.where(inact, abar, 0.0)
    n_in = max(T - z, 1)
    return {"seiz": (ab_in > THRESH + FLOOR).sum(-1) / n_in,
            "ai": (ab_in ** 2).sum(-1) / n_in,
            "xa": (np.linalg.norm(xh[:, bi, active] - xt, axis=-1) ** 2).mean(-1),
            "aa": ((abar[:, bi, active] - at) ** 2).mean(-1),
            "fon": np.stack([(np.abs(A) > ON_TOL).mean(axis=(1, 2)) for A in acts])}


# ------------------------------------------------------------------------ measurement


@dataclass(frozen=True)
class Point:
    """One measured configuration (per-layer Estimates, index 1..L) and its onset layer."""

    k: int
    kets: str
    D: int
    T: int
    S: int
    z: int
    L: int
    est: dict          # (key, l) -> Estimate
    onset: int
    seconds: float


def onset_layer(seized: list[float], L: int) -> int:
    """First layer l >= 1 with seized[l - 1] > 1%, else L + 1."""
    return next((l for l in range(1, L + 1) if seized[l - 1] > ONSET_FRAC), L + 1)


def measure_point(k: int, kets: str, D: int, T: int, S: int, z: int, L: int = 4, *,
                  passes: int, K: int, seed: int, batch: int = 50) -> Point:
    """``passes`` passes on ``ceil(passes / K)`` (>= 2) network draws; clustered SEs."""
    import time
    t0 = time.perf_counter()
    if not 1 <= z < T:
        raise ValueError(f"need 1 <= z < T (inactive circuits to read), got z={z}, T={T}")
    K = min(K, passes)
    nets = max(2, math.ceil(passes / K))
    vals = {key: [[] for _ in range(L + 1)] for key in KEYS}
    groups = []
    for g in range(nets):
        rng = stream(seed, NAME, kets, k, D, T, S, z, L, K, g)
        net = build(D, S, T, k, kets, L, rng)
        for b0 in range(0, K, batch):
            B = min(batch, K - b0)
            act = sample_active(T, z, B, rng)
            x = rng.standard_normal((B, z, 2))
            x /= np.linalg.norm(x, axis=-1, keepdims=True)
            st = pass_stats(net, act, x)
            for key in KEYS:
                for l in range(1, L + 1):
                    vals[key][l].extend(st[key][l].tolist())
            groups += [g] * B
    est = {(key, l): clustered_mean(vals[key][l], groups) for key in KEYS for l in range(1, L + 1)}
    onset = onset_layer([est[("seiz", l)].value for l in range(1, L + 1)], L)
    return Point(k, kets, D, T, S, z, L, est, onset, time.perf_counter() - t0)


__all__ = ["DeepNet", "Point", "build", "from_parts", "forward", "pass_stats", "measure_point",
           "onset_layer", "mean_weight", "ket_of_block", "sample_active", "Estimate"]
