r"""RiS rotations with k on-indicator copies: layer-1 network simulator and checks.

Math reference: ``shared/math/cis2.md`` §3 (embedding, layer-0 trick), §7 (rotation circuits),
§10 (variant); the derivation is in ``derive/rotations/kcopies.py``.

**Network** (width ``D``, ``d' = 2k + 2`` blocks of ``N = D/d'`` positions, global neuron
``i N + n``).  Block ``i`` uses ket ``kappa(i)``: ``0`` for every block (*shared*), or copy
``j = i // 2`` for the indicator blocks and ``k`` for the payload blocks (*block*-dependent; every
ket is the prime-step subsets under its own uniform permutation).  Layer 0 (cis2.md §3)::

    A^0[i, n] = sum_{v active} (w^1_v a^0_v)_i  [n in S^{kappa(i)}_v]
    A^1 = ReLU(A^0 + b (x) |1>)                                      (W^1 = I)
    readout  a_hat_t[i] = (1/S) sum_{n in S^{kappa(i)}_t} A^1[i, n]   (5.30, per block ket)

and the circuit's own decoding: :math:`\bar\alpha=\frac1k\sum_j(\hat a_{2j}-\hat a_{2j+1})`,
:math:`\hat{\mathbf x}=(\hat a_{2k},\hat a_{2k+1})-\bar\alpha`.  Nothing here types the law of
``K``: erroneous activation is counted from the readouts of every inactive circuit.

Monte Carlo unit: one pass (fresh uniform active set, fresh inputs); networks (angles and
permutations) redrawn every ``K`` passes; SEs clustered by network.  A probability check whose
predicted number of events over all reads is below ``MIN_EVENTS`` is reported as ``skip``
(unresolvable at that sample size), never judged.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from superpose.derive.cis2 import alloc as cis2_alloc
from superpose.derive.rotations import kcopies as theory
from superpose.derive.quantity import BadInput, Param, get_quantity
from superpose.verify.check import Measurement
from superpose.verify.rng import stream
from superpose.verify.stats import Estimate, clustered_mean

NAME = "rotations"
KETS = ("shared", "block")
MIN_EVENTS = 10
FLOOR = 1e-9   # abar is a sum of multiples of 1/(kS): ties at exactly 1/4 (e.g. sum K = kS/4) are
               # not activations (the step is 0 at 1/4); round-off must not turn them into ones
# k, D, T, S, z are the derive side's parameters (superpose.derive.rotations.kcopies); the
# simulation stops at D, T <= 10^5 and S <= 32 (memory), and T = 0 means "at capacity".
PARAMS = (
    theory.Pk,
    dataclasses.replace(theory.PD, hi=10**5, doc="network width (d' = 2k + 2 divides D)"),
    dataclasses.replace(theory.PT, lo=0, hi=10**5, doc="circuits; 0 = capacity at width d'"),
    dataclasses.replace(theory.PS, hi=32, doc="redundancy (<= 32 in the simulation)"),
    theory.Pz,
    Param("K", int, 50, lo=1, hi=10**5, doc="passes per network draw"),
)
DEFAULT_TRIALS = 1200
SCALES = {
    "smoke": [({"k": 2, "D": 600, "T": 86, "z": 4, "K": 20}, 60)],
    "quick": [({"k": k, "D": 1200, "T": 118, "z": 4, "K": 25}, 1200) for k in (1, 2, 4)],
    "paper": [({"k": k, "D": 1200, "T": 118, "z": z, "K": 50}, 2000)
              for k in (1, 2, 4) for z in (2, 3, 4)],
}


def constraint(p: dict) -> str | None:
    dp = theory.width(p["k"])
    if p["D"] % dp or p["D"] // dp < p["S"]:
        return f"need d' = 2k+2 = {dp} to divide D={p['D']} with D/d' >= S={p['S']}"
    T = p["T"] or theory.capacity_k(p["k"], p["D"], p["S"])
    # z = T is valid input: every k-copies check is about inactive circuits, so all are skipped
    return (cis2_alloc.size_error(p["D"], dp, p["S"], T, p["z"], spare=0, width="d'")
            or (theory.k_law_work_error(p["S"], T, p["z"]) if T > p["z"] else None))


#: Seconds per circuit-position gather of the layer-1 read-outs (bench/cost_calibration.py).
SEC_GATHER = 1e-8
COST_SIZE = ("D", "T", "K")


def estimate_cost(p: dict, trials: int):
    """Peak memory and time (superpose.verify.cost), T = 0 taken at capacity.  Memory: per batch
    of 25 passes the (B, T, S) gather of one block, the (B, T, d') read-outs and the (B, T) draws
    and masks, and the per-ket allocation (int64)."""
    from superpose.verify.cost import F8, cost

    k, D, S = p["k"], p["D"], p["S"]
    dp = theory.width(k)
    T = p["T"] or cis2_alloc.capacity_sum(max(1, D // dp), S)   # any D (the size search)
    B = min(25, p["K"], trials)
    nets = max(2, math.ceil(trials / min(p["K"], trials)))
    mem = (F8 * B * T * S * 1.5 + F8 * B * T * dp * 2 + 6 * F8 * B * T
           + 8 * (k + 2) * T * S + F8 * B * D * 2 + 64 * trials)
    work = 2 * nets * min(p["K"], trials) * T * S * dp
    return cost(mem, SEC_GATHER * work)


# ---------------------------------------------------------------------- simulator


@dataclass(frozen=True, eq=False)
class KNet:
    """k-copy rotation network: ``alloc`` (n_kets, T, S) positions, ``ket`` (d',) block -> ket,
    ``w1`` (T, d', d') layer-1 circuit weights, ``b`` (d',) bias."""

    D: int
    S: int
    T: int
    k: int
    kets: str
    N: int
    alloc: np.ndarray
    ket: np.ndarray
    w1: np.ndarray
    b: np.ndarray

    @property
    def dp(self) -> int:
        return 2 * self.k + 2


def circuit_weights(theta: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """w (T, d', d') and b (d',) of the k-copy circuit (derive/rotations/kcopies.py docstring)."""
    T, dp = theta.size, 2 * k + 2
    c, s = np.cos(theta), np.sin(theta)
    w = np.zeros((T, dp, dp))
    ind = np.zeros(dp)
    ind[0:2 * k:2], ind[1:2 * k:2] = 2.0 / k, -2.0 / k      # 2 abar
    w[:, :2 * k, :] = ind
    p0, p1 = 2 * k, 2 * k + 1
    w[:, p0, :2 * k] = np.outer(2 - (c - s), ind[:2 * k] / 2)
    w[:, p1, :2 * k] = np.outer(2 - (s + c), ind[:2 * k] / 2)
    w[:, p0, p0], w[:, p0, p1], w[:, p1, p0], w[:, p1, p1] = c, -s, s, c
    b = np.concatenate([np.tile([-0.5, -1.5], k), [-1.0, -1.0]])
    return w, b


def build(D: int, S: int, T: int, k: int, kets: str, rng: np.random.Generator) -> KNet:
    """Draw angles and the per-ket permutations of the first T prime-step subsets."""
    if kets not in KETS:
        raise ValueError(f"kets must be one of {KETS}, got {kets!r}")
    dp = 2 * k + 2
    N = D // dp
    sub = cis2_alloc.subsets(N, S, limit=T)
    if D % dp or sub.shape[0] < T:
        raise ValueError(f"need d'={dp} | D={D} and T={T} <= capacity at N={N}")
    n_kets = 1 if kets == "shared" else k + 1
    alloc = np.stack([sub[rng.permutation(T)] for _ in range(n_kets)]).astype(np.int64)
    ket = (np.zeros(dp, np.int64) if kets == "shared"
           else np.concatenate([np.repeat(np.arange(k), 2), [k, k]]))
    w1, b = circuit_weights(rng.uniform(0, 2 * np.pi, T), k)
    return KNet(D, S, T, k, kets, N, alloc, ket, w1, b)


def encode(k: int, x: np.ndarray) -> np.ndarray:
    """a^0 of active circuits (B, z, d') from x (B, z, 2): copies (1.5, 0.5), payload x + 1."""
    ind = np.broadcast_to(np.tile([1.5, 0.5], k), x.shape[:-1] + (2 * k,))
    return np.concatenate([ind, x + 1.0], -1)


def decode(k: int, a: np.ndarray):
    """(abar (...), x (..., 2)) from activations (..., d')."""
    abar = (a[..., 0:2 * k:2] - a[..., 1:2 * k:2]).mean(-1)
    return abar, a[..., 2 * k:] - abar[..., None]


def embed_input(w1: np.ndarray, alloc1: np.ndarray, ket: np.ndarray, N: int,
                active: np.ndarray, a0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Layer-0 trick, shared by layer 1 here and the deep network (``kcopies_deep.embed``).

    ``A^0`` (B, d', N): block ``i`` holds :math:`(w_va^0_v)_i` at the layer-1 positions of every
    active ``v`` in ket ``ket[i]`` (``alloc1`` (n_kets, T, S)); also ``u = w_v a^0_v`` (B, z, d').
    """
    B, z = active.shape
    dp = ket.size
    u = np.einsum("bzij,bzj->bzi", w1[active], a0)                           # (B, z, d')
    pos = alloc1[ket][:, active]                                              # (d', B, z, S)
    flat = ((np.arange(B)[None, :, None, None] * dp + np.arange(dp)[:, None, None, None]) * N
            + pos)
    vals = np.broadcast_to(u.transpose(2, 0, 1)[..., None], pos.shape)
    return np.bincount(flat.ravel(), vals.ravel(), B * dp * N).reshape(B, dp, N), u


def layer1(net: KNet, active: np.ndarray, x: np.ndarray) -> dict:
    """Layer-1 activations and readouts of all T circuits for B passes.

    active (B, z), x (B, z, 2).  Returns ``A1`` (B, d', N), ``read`` (B, T, d'),
    ``true`` (B, z, d') (small-circuit a^1 of the actives).
    """
    dp, S = net.dp, net.S
    A0, u = embed_input(net.w1, net.alloc, net.ket, net.N, active, encode(net.k, x))
    A1 = np.maximum(A0 + net.b[None, :, None], 0.0)
    read = np.stack([A1[:, i, :][:, net.alloc[net.ket[i]]].sum(-1) for i in range(dp)], -1) / S
    true = np.maximum(u + net.b, 0.0)                                         # small circuit a^1
    return {"A1": A1, "read": read, "true": true}


# ---------------------------------------------------------------------- measurement


def measure_kcopies(params: dict, *, trials: int, seed: int, progress=None) -> list[Measurement]:
    """Layer-1 erroneous activation, mean square and max of abar_u, shared and block kets."""
    p = dict(params)
    k, D, S, z = p["k"], p["D"], p["S"], p["z"]
    T = p["T"] or theory.capacity_k(k, D, S)
    K = min(p["K"], trials)
    nets = max(2, math.ceil(trials / K))
    qp = {"k": k, "z": z, "D": D, "T": T, "S": S}
    out: list[Measurement] = []
    if z >= T:                                   # nothing to read: every check is skipped
        none, why = Estimate(math.nan, math.nan, 0, 0), f"no inactive circuits: z = T = {T}"
        return [Measurement(f"{NAME}.kcopies_{short}_{kets}", qp, none, skip=why)
                for kets in KETS for short in ("err", "alpha_ms", "alpha_max")]
    for kets in KETS:
        err, ams, groups, amax = [], [], [], 0.0
        for g in range(nets):
            rng = stream(seed, NAME, "kcopies", kets, k, D, T, S, z, K, g)
            net = build(D, S, T, k, kets, rng)
            for b0 in range(0, K, 25):
                B = min(25, K - b0)
                act = _sample_active(T, z, B, rng)
                x = rng.standard_normal((B, z, 2))
                x /= np.linalg.norm(x, axis=-1, keepdims=True)
                abar, _ = decode(k, layer1(net, act, x)["read"])              # (B, T)
                inact = np.ones((B, T), bool)
                inact[np.arange(B)[:, None], act] = False
                a = np.where(inact, abar, 0.0)
                err += ((a > theory.THRESH + FLOOR).sum(1) / (T - z)).tolist()
                ams += ((a ** 2).sum(1) / (T - z)).tolist()
                amax = max(amax, float(a.max()))
                groups += [g] * B
        n = len(groups)
        e_err = clustered_mean(err, groups)
        pred = quantity(f"{NAME}.kcopies_err_{kets}").evaluate(qp)
        skip = ("" if pred * n * (T - z) >= MIN_EVENTS else
                f"predicted ${pred * n * (T - z):.2g}$ events in ${n * (T - z)}$ reads: too few "
                "to resolve")
        note = f"{n} passes, {T - z} inactive circuits, {nets} networks"
        out += [Measurement(f"{NAME}.kcopies_err_{kets}", qp, e_err, skip=skip, note=note),
                Measurement(f"{NAME}.kcopies_alpha_ms_{kets}", qp, clustered_mean(ams, groups),
                            note=note),
                Measurement(f"{NAME}.kcopies_alpha_max_{kets}", qp, Estimate(amax, 0.0, n, nets),
                            note=f"largest over {n} passes; bound $z/S={z / S:.3g}$")]
        if progress:
            progress(f"kcopies k={k} {kets}: {n} passes, err {e_err.value:.3g}")
    return out


def quantity(full: str):
    """The registry's quantity; before ``derive/rotations.py`` registers the k-copies quantities,
    the same records from ``derive.rotations_kcopies.quantities()``."""
    try:
        return get_quantity(full)
    except BadInput:
        own = {q.name: q for q in theory.quantities()}
        if full not in own:
            raise
        return own[full]


def _sample_active(T: int, z: int, B: int, rng: np.random.Generator) -> np.ndarray:
    """(B, z) distinct uniform circuits per row."""
    return np.argsort(rng.random((B, T)), axis=1)[:, :z]


def measure(params: dict, *, trials: int, seed: int, progress=None) -> list[Measurement]:
    """Alias of :func:`measure_kcopies` (so this file also works as a verify-style module)."""
    return measure_kcopies(params, trials=trials, seed=seed, progress=progress)
