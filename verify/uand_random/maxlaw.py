r"""Monte Carlo of the max-error law of uand-random (``derive/uand_random_max.py``).

From the construction only: a network is ``W`` (m x N, iid N(0, 1), no bias); an input has
a uniform l-subset of the m inputs on, ``h = ReLU(W^T x)`` (N,); the readoff of *every* pair
is ``(1/N) sum_k r_ij,k h_k`` with ``r = alpha b_i b_j + beta b_i + gamma b_j + delta``,
``b = 1[W > 0]`` and the coefficients from the registry (``derive.uand_random.coefficients``).
All pairs at once are one matrix product (m x m):

    R = (1/N) [alpha (b * h) b^T + beta (b h) 1^T + gamma 1 (b h)^T + delta sum(h)].

The error of pair (i, j) is ``R_ij - AND(x_i, x_j)``; the max runs over the off pairs
(``x_i x_j = 0``, i < j).  A *trial* is one network with one input (one max); the estimate is
``sqrt(N)`` times the mean of the trial maxima, with its ordinary SE (trials are independent).

>>> ms = measure_max({"N": 16, "l": 3, "m": 8}, trials=32, seed=0)
>>> [m.quantity.split(".")[1] for m in ms][:2]
['max_error_chernoff_bound', 'max_error_subgaussian_bound']
"""
from __future__ import annotations

import dataclasses
import math
from typing import Callable

import numpy as np

from superpose.derive import uand_random as construction
from superpose.derive.uand_random import maxlaw as dmax
from superpose.derive.quantity import BadInput, Param
from superpose.verify.check import Measurement
from superpose.verify.rng import stream
from superpose.verify.stats import clustered_mean

NAME = "uand-random"
Progress = Callable[[str], None] | None

#: The derive side's N, l, m (superpose.derive.uand_random.maxlaw) at simulated sizes.
PARAMS = (
    dataclasses.replace(dmax.N, hi=1 << 16),
    dataclasses.replace(dmax.L, hi=64, doc="active inputs"),
    dataclasses.replace(dmax.M, default=64, lo=4, hi=1024, doc="inputs; >= l + 1"),
)
DEFAULT_TRIALS = 400
#: Largest batch temporary (elements of G x m x N).
CHUNK_ELEMENTS = 1 << 22
MIN_TRIALS = 30

#: What the report runs (params, trials): m = ceil(N^a) for a = 1/2 and a = 1.
SCALES = {
    "smoke": [({"N": 64, "l": 3, "m": 8}, 200)],
    "quick": [({"N": 256, "l": 3, "m": 16}, 400), ({"N": 256, "l": 3, "m": 256}, 100),
              ({"N": 4096, "l": 3, "m": 64}, 200)],
    "paper": [({"N": n, "l": 3, "m": math.ceil(n ** a)}, t)
              for a, ns, t in ((0.5, (16, 64, 256, 1024, 4096), 1000),
                               (1.0, (16, 32, 64, 128, 256, 512), 300)) for n in ns],
}


#: Seconds per multiply-add of the all-pairs product (plain einsum) (bench/cost_calibration.py).
SEC_FLOP = 8e-10
COST_SIZE = ("N", "m")


def estimate_cost(p: dict, trials: int):
    """Peak memory and time (superpose.verify.cost).  Memory: per chunk of G networks the
    (G, m, N) weights, signs and b h, and the (G, m, m) products, targets, errors and pair
    gathers (G = CHUNK_ELEMENTS / (m max(N, m)))."""
    from superpose.verify.cost import F8, cost

    N, m = p["N"], p["m"]
    G = min(trials, max(1, CHUNK_ELEMENTS // (m * max(N, m))))
    mem = F8 * G * (4 * m * N + 7 * m * m) + F8 * 2 * trials
    return cost(mem, SEC_FLOP * trials * m * m * N + 4e-9 * trials * m * N)


def constraint(v: dict) -> str | None:
    if v["m"] < v["l"] + 1:
        return f"m must be >= l + 1 (got m={v['m']}, l={v['l']})"
    if v["m"] * v["N"] > CHUNK_ELEMENTS * 4:
        return f"m * N = {v['m'] * v['N']} exceeds {CHUNK_ELEMENTS * 4} (memory of one network)"
    return None


def network_max(rng: np.random.Generator, N: int, l: int, m: int, G: int, coefs) -> np.ndarray:
    """max over off pairs of |e_ij(x)| for G independent (network, input) draws: (G,)."""
    alpha, beta, gamma, delta = coefs
    W = rng.standard_normal((G, m, N))                                  # (G, m, N)
    active = np.argsort(rng.random((G, m)), axis=1)[:, :l]             # (G, l) uniform l-subset
    x = np.zeros((G, m))
    np.put_along_axis(x, active, 1.0, axis=1)                           # (G, m)
    h = np.maximum(np.einsum("gm,gmn->gn", x, W), 0.0)                  # (G, N)
    b = (W > 0).astype(float)                                           # (G, m, N)
    bh = b * h[:, None, :]
    # batched BLAS (6x the plain einsum; worker processes run BLAS on one thread each)
    R = alpha * (bh @ b.transpose(0, 2, 1))                             # (G, m, m)
    s = bh.sum(axis=2)                                                  # (G, m) = b h
    R += beta * s[:, :, None] + gamma * s[:, None, :] + delta * h.sum(axis=1)[:, None, None]
    R /= N
    both = x[:, :, None] * x[:, None, :]                                # AND target (G, m, m)
    e = np.abs(R - both)
    iu = np.triu_indices(m, 1)
    off = both[:, iu[0], iu[1]] == 0                                    # (G, P)
    return np.where(off, e[:, iu[0], iu[1]], 0.0).max(axis=1)


def simulate_max(params: dict, trials: int, seed: int, coefficients=None) -> np.ndarray:
    """``trials`` maxima (one network + one input each): (trials,)."""
    N, l, m = params["N"], params["l"], params["m"]
    coefs = (coefficients or construction.coefficients)("and", l, "gaussian")
    rng = stream(seed, NAME, "max", f"N={N}", f"l={l}", f"m={m}")
    g = max(1, CHUNK_ELEMENTS // (m * max(N, m)))
    out, done = [], 0
    while done < trials:
        G = min(g, trials - done)
        out.append(network_max(rng, N, l, m, G, coefs))
        done += G
    return np.concatenate(out)


def measure_max(params: dict, *, trials: int, seed: int, progress: Progress = None,
                coefficients=None) -> list[Measurement]:
    """sqrt(N) E max|e| over off pairs, judged against the bounds, the extreme-value
    approximation and (info) the published log N law."""
    msg = constraint(params)
    if msg:
        raise BadInput(msg)
    if trials < MIN_TRIALS:
        raise BadInput(f"max-error checks need >= {MIN_TRIALS} trials (networks), got {trials}")
    N, l, m = params["N"], params["l"], params["m"]
    if progress:
        progress(f"max error: N={N}, l={l}, m={m}, {trials} networks")
    est = clustered_mean(simulate_max(params, trials, seed, coefficients)).scale(math.sqrt(N))
    p = {"l": l, "m": m, "N": N}
    out = [Measurement(f"{NAME}.{q}", p, est) for q in
           ("max_error_chernoff_bound", "max_error_subgaussian_bound", "max_error_extreme_value")]
    if N >= 2:
        out.append(Measurement(f"{NAME}.max_error_log_ratio", p, est.scale(1 / math.log(N))))
    return out
