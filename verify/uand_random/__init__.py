r"""Monte Carlo checks of U-AND read off a frozen random layer (``derive/uand_random.py``).

The simulation is written from the construction (uand.md §5, "Model"), never from an
error formula:

* a network is ``W`` (N x m) with iid N(0, 1) (or +-1 Rademacher) entries and no bias;
* an input ``x`` has exactly ``l`` of the ``m`` inputs on, and ``h = ReLU(W x)`` (N,);
* the readoff of pair (i, j) is ``(1/N) sum_n r_n h_n`` with
  ``r_n = alpha 1[W_ni>0 & W_nj>0] + beta 1[W_ni>0] + gamma 1[W_nj>0] + delta``,
  the coefficients taken from the construction (``derive.uand_random.coefficients``);
* the error is ``e = readoff - target(x_i, x_j)``.

The Monte Carlo unit (DESIGN.md): a *trial* is one forward pass with a fresh input (a
fresh active set); ``W`` is redrawn every ``K`` trials, since unbiasedness holds over the
draw of ``W``, not for one ``W``; standard errors are clustered by network draw.  The
quantities map onto trial averages as

==============================  ===========================================
``mean_readoff``                mean of the readoff
``rms_error_constant``          ``sqrt(N) * sqrt(mean e^2)`` (delta-method SE)
``mae_constant``                ``sqrt(N) * mean |e|``
``avg_rms_error_constant``      as ``rms_error_constant``, with a uniformly
                                random pair among the m inputs per trial
==============================  ===========================================

Per-case checks fix the pair at (i, j) = (0, 1) (w.l.o.g.: the columns of ``W`` are
exchangeable) and draw the other active inputs uniformly from inputs 2..m-1 so that exactly
``on`` of the pair are on (``on = 1``: which one is a fair coin, so the check also tests
that the 01 and 10 cases agree; feature checks: ``on = x_i`` and ``x_j`` is a fair coin,
testing that the feature readoff ignores ``x_j``).  Only the weight columns that a
network's ``K`` trials use are drawn (the pair's two and the union of the active sets);
the others never touch these readoffs, and the drawn ones are iid like a full ``W``'s.  The
pair-averaged check draws the full N x m ``W``.

What this does *not* establish: the delta-method SE of an RMS and the cluster-robust SE
are asymptotic (many network draws, finite fourth moments); the checks are at the sampled
(N, l, m) only.

>>> ms = measure({"N": 16, "l": 2, "m": 6, "K": 2}, trials=64, seed=0)
>>> sorted({m.quantity.split(".")[1] for m in ms})[:3]
['avg_rms_error_constant', 'feature_mean_readoff', 'feature_rms_error_constant']
"""
from __future__ import annotations

import dataclasses
import math
from typing import Callable, Iterator

import numpy as np

from superpose.derive import uand_random as construction
from superpose.derive.uand_random import maxlaw as dmax
from superpose.derive.quantity import BadInput, Param
from superpose.verify.uand_random import maxlaw as maxlaw
from superpose.verify.uand_random import optimal as optimal
from superpose.verify.check import Measurement
from superpose.verify.rng import stream
from superpose.verify.stats import Estimate, clustered_mean

NAME = "uand-random"
Progress = Callable[[str], None] | None
#: ``coefficients(target, l, weights) -> (alpha, beta, gamma, delta)``; a verify run may be
#: given another one (a "wrong construction") to show that the checks catch it.
Coefficients = Callable[[str, int, str], tuple[float, float, float, float]]

#: N, l, m are the derive side's parameters (superpose.derive.uand_random and its maxlaw) with
#: the sizes the simulation supports (N <= 2^16, l <= 64, m <= 4096; m defaults to 64).
PARAMS = (
    dataclasses.replace(dmax.N, hi=1 << 16),
    dataclasses.replace(construction.L, hi=64, doc="active inputs (compositeness)"),
    dataclasses.replace(construction.M, default=64, hi=4096, doc="inputs (d_0); >= l + 2"),
    Param("K", int, 4, lo=1, hi=1 << 16, doc="trials (fresh inputs) per network draw"),
    Param("max_law", int, 0, lo=0, hi=1,
          doc="1: measure the max error over all pairs instead (verify/uand_random_max.py; "
              "one network per trial, K unused)"),
    Param("readoff", int, 0, lo=0, hi=1,
          doc="1: measure the least-squares optimal readoff exactly over all C(m, l) inputs "
              "instead (verify/uand_random/optimal.py; one network draw per trial, K unused)"),
)

#: Trials per check (per case).  24576 trials at K = 4 are 6144 network draws per case.
#: A 5% change of any one AND coefficient moves mean_readoff by 30-90 SE; a 5% change of
#: an RMS constant is 0.05 C / SE ~ 6.5-10 SE away (the relative SE of an RMS constant is
#: 0.6-0.8% here), so with Z = 4 it is caught with probability > 99%
#: (tests/test_uand_random_mc.py).  About 5 s of CPU for the simulation of every check
#: (``superpose verify uand-random``: ~7 s CPU with the registry and the judging).
DEFAULT_TRIALS = 24576

SCALES = {
    "smoke": [({"N": 64, "l": 3}, 2048)],
    "quick": [({"N": 256, "l": 3}, 16384), ({"N": 1024, "l": 5}, 2048),
              ({"N": 256, "l": 3, "m": 16, "max_law": 1}, 400),
              ({"N": 256, "l": 3, "m": 256, "max_law": 1}, 100),
              ({"N": 64, "l": 3, "m": 16, "readoff": 1}, 100)],
    "paper": [
        ({"N": 256, "l": 2}, 65536),
        ({"N": 1024, "l": 3}, 65536),
        ({"N": 4096, "l": 3}, 16384),
        ({"N": 1024, "l": 5}, 32768),
        ({"N": 4096, "l": 8}, 8192),
    ],
}

#: Work per chunk of networks (elements of the largest temporary, G x K x l x N).
CHUNK_ELEMENTS = 1 << 21
#: Largest temporary of one network (float64 elements: 128 MiB).
MAX_NETWORK_ELEMENTS = 1 << 24


#: Seconds per (trial, neuron, active slot) of the pair simulation and of the full-W average
#: (measured, bench/cost_calibration.py).
SEC_SLOT = 1e-8
COST_SIZE = ("N", "m")


def estimate_cost(p: dict, trials: int):
    """Peak memory and time (superpose.verify.cost).  Memory: the largest chunk temporaries
    (the gathered weights ``Wused[cols]`` and h, signs, readoffs: ~8 arrays of one chunk's
    elements) and the per-trial readoffs and errors (three targets, concatenated copies).
    ``max_law=1``: superpose.verify.uand_random.maxlaw.estimate_cost."""
    from superpose.verify.cost import F8, cost

    if p.get("max_law"):
        return maxlaw.estimate_cost({k: p[k] for k in ("N", "l", "m")}, trials)
    N, l, m, K = p["N"], p["l"], p["m"], p["K"]
    G = max(1, CHUNK_ELEMENTS // (K * (l + 2) * N))             # networks per chunk (_chunks)
    pair = G * K * N * (l + 7)              # Wused[cols] (G, K, l, N) and ~7 (G, K, N) arrays
    G2 = max(1, CHUNK_ELEMENTS // (max(m, K * l) * N))
    avg = G2 * N * (m + K * l + 7 * K)      # W (G, m, N), the gathered actives, h and signs
    mem = F8 * 0.8 * max(pair, avg) + F8 * 10 * trials
    secs = SEC_SLOT * trials * N * ((l + 4) * 6 + (l + 4) + 2 * m / K)
    return cost(mem, secs)


def constraint(v: dict) -> str | None:
    if v.get("readoff"):
        return optimal.constraint(v)
    if v.get("max_law"):
        return maxlaw.constraint({k: v[k] for k in ("N", "l", "m")})
    if v["m"] < v["l"] + 2:
        return (f"m must be >= l + 2 (got m={v['m']}, l={v['l']}): the pair (0, 1) has to be "
                "able to be off while l other inputs are on")
    work = max(v["m"], v["K"] * (v["l"] + 2)) * v["N"]
    if work > MAX_NETWORK_ELEMENTS:
        return (f"max(m, K (l + 2)) * N = {work} exceeds {MAX_NETWORK_ELEMENTS} (one network's "
                "weights and activations must fit in memory)")
    return None


#: Fewest network draws per check: the clustered SE is a CLT over network draws.
MIN_NETWORKS = 30


def _check_trials(trials: int, K: int) -> None:
    if -(-trials // K) < MIN_NETWORKS:
        raise BadInput(f"{trials} trials with K={K} give {-(-trials // K)} network draws; "
                       f"clustered standard errors need at least {MIN_NETWORKS} "
                       f"(use --trials >= {MIN_NETWORKS * K} or a smaller K)")


# ------------------------------------------------------------------ the network


def draw_weights(rng: np.random.Generator, shape: tuple[int, ...], weights: str) -> np.ndarray:
    """iid N(0, 1) or +-1 (Rademacher) weights of the given shape."""
    if weights == "gaussian":
        return rng.standard_normal(shape)
    if weights == "rademacher":
        return 2.0 * rng.integers(0, 2, size=shape) - 1.0
    raise ValueError(f"unknown weights {weights!r}")


def random_subsets(rng: np.random.Generator, shape: tuple[int, ...], n: int, k: int) -> np.ndarray:
    """``shape + (k,)`` indices: per entry a uniform k-subset of range(n), ordered by a
    uniform random key, so any prefix of length j < k is itself a uniform j-subset."""
    u = rng.random(shape + (n,))
    idx = np.argpartition(u, k - 1, axis=-1)[..., :k]               # the k smallest keys
    order = np.argsort(np.take_along_axis(u, idx, axis=-1), axis=-1)
    return np.take_along_axis(idx, order, axis=-1)


def readoff(coefs, h: np.ndarray, si: np.ndarray, sj: np.ndarray) -> np.ndarray:
    """(1/N) sum_n r_n h_n with r_n = alpha si sj + beta si + gamma sj + delta.

    ``h`` (..., N); ``si``, ``sj`` (..., N) booleans 1[W_ni > 0], 1[W_nj > 0], broadcast
    against ``h``.  Returns (...).
    """
    alpha, beta, gamma, delta = coefs
    r = alpha * (si & sj) + beta * si + gamma * sj + delta     # (..., N)
    return np.mean(r * h, axis=-1)


def _chunks(trials: int, K: int, per_network: int) -> Iterator[int]:
    """Numbers of networks per chunk (``per_network``: elements of the largest temporary
    per network), covering ceil(trials / K) networks."""
    total = -(-trials // K)
    size = max(1, CHUNK_ELEMENTS // max(1, per_network))
    while total > 0:
        g = min(size, total)
        yield g
        total -= g


def pair_layout(N: int, l: int, m: int, K: int, G: int, x: np.ndarray, weights: str,
                rng: np.random.Generator):
    """The random part of G networks with K inputs each, for the pair (i, j) = (0, 1).

    ``x`` (G, K, 2) gives (x_i, x_j) per trial; the other ``l - x_i - x_j`` active inputs
    are a uniform subset of inputs 2..m-1 (the first ``n_other`` of ``others``).  Only the
    columns of W that the K trials use are drawn: ``Wpair`` (G, 2, N) holds columns i and
    j of each network, ``Wused`` (U, N) one column per distinct (network, input) among the
    slots, and ``cols`` (G, K, l) points each slot at its row of ``Wused``, so trials of
    one network that share an active input share its weights, as with a full W.

    Returns ``(Wpair, Wused, others, cols, mask)``: ``others`` (G, K, l) input ids,
    ``mask`` (G, K, l) 1.0 for the slots that are on.
    """
    others = random_subsets(rng, (G, K), m - 2, l) + 2                 # (G, K, l) input ids
    n_other = l - x.sum(axis=-1)                                      # (G, K)
    mask = (np.arange(l) < n_other[..., None]).astype(float)          # (G, K, l)
    keys = np.arange(G)[:, None, None] * m + others                   # (network, input) ids
    used, cols = np.unique(keys, return_inverse=True)                 # cols: (G, K, l)
    Wpair = draw_weights(rng, (G, 2, N), weights)                     # (G, 2, N)
    Wused = draw_weights(rng, (used.size, N), weights)                # (U, N)
    return Wpair, Wused, others, cols.reshape(G, K, l), mask


def pair_forward(Wpair: np.ndarray, Wused: np.ndarray, cols: np.ndarray, mask: np.ndarray,
                 x: np.ndarray):
    """h = ReLU(x_i W_i + x_j W_j + sum of the other active columns): (G, K, N), and the
    pair's signs ``si`` = 1[W_ni > 0], ``sj`` = 1[W_nj > 0]: (G, 1, N)."""
    U, V = Wpair[:, None, 0, :], Wpair[:, None, 1, :]                  # (G, 1, N)
    Z = np.einsum("gkl,gkln->gkn", mask, Wused[cols])                 # (G, K, N)
    X = x[..., 0:1] * U + x[..., 1:2] * V + Z
    return np.maximum(X, 0.0), U > 0, V > 0


def full_layout(N: int, l: int, m: int, K: int, G: int, weights: str, rng: np.random.Generator):
    """G full networks ``W`` (G, m, N) (columns first), K inputs each: ``active`` (G, K, l)
    a uniform l-subset of the m inputs, ``pair`` (G, K, 2) a uniform pair i != j."""
    W = draw_weights(rng, (G, m, N), weights)
    active = random_subsets(rng, (G, K), m, l)
    pair = random_subsets(rng, (G, K), m, 2)
    return W, active, pair


def full_forward(W: np.ndarray, active: np.ndarray, pair: np.ndarray):
    """h (G, K, N), ``si``, ``sj`` (G, K, N) and ``x`` (G, K, 2) = (x_i, x_j) in {0, 1}."""
    g = np.arange(W.shape[0])[:, None]
    X = W[g[..., None], active].sum(axis=2)                           # (G, K, N) = W x
    Wi, Wj = W[g, pair[..., 0]], W[g, pair[..., 1]]                   # (G, K, N)
    x = (active[..., None, :] == pair[..., :, None]).any(axis=-1)     # (G, K, 2)
    return np.maximum(X, 0.0), Wi > 0, Wj > 0, x.astype(float)


# ------------------------------------------------------------------ estimates


def _clusters(G_total: int, K: int, trials: int) -> np.ndarray:
    return np.repeat(np.arange(G_total), K)[:trials]


def rms_constant(e: np.ndarray, clusters: np.ndarray, N: int) -> Estimate:
    """sqrt(N) * sqrt(mean e^2), delta-method SE; an error that is identically 0 (a
    degenerate case, e.g. +-1 XOR at l = 2 with both on) gives 0 +- 0."""
    ms = clustered_mean(e**2, clusters)
    if ms.value == 0.0 and ms.se == 0.0:
        return Estimate(0.0, 0.0, ms.n, ms.n_networks).scale(math.sqrt(N))
    return ms.sqrt().scale(math.sqrt(N))


def _target(name: str, x: np.ndarray) -> np.ndarray:
    """target(x_i, x_j) from the construction's truth table (00, 01, 10, 11)."""
    table = np.asarray(construction.TARGETS[name], dtype=float)
    return table[(2 * x[..., 0] + x[..., 1]).astype(int)]


def simulate_pairs(params: dict, weights: str, pattern: str, on: int, targets: tuple[str, ...],
                   trials: int, seed: int, coefficients: Coefficients | None = None,
                   rng: np.random.Generator | None = None):
    """Readoffs of ``targets`` for the pair (0, 1) with ``on`` of it on.

    ``pattern`` "pair": on = x_i + x_j (on = 1: a fair coin picks which); "feature":
    on = x_i and x_j is a fair coin.  Returns ``{target: (readoff, error)}`` (trials,)
    and the cluster labels (trials,).  ``rng`` defaults to the check's own stream.
    """
    N, l, m, K = params["N"], params["l"], params["m"], params["K"]
    coefficients = coefficients or construction.coefficients
    if rng is None:
        rng = stream(seed, NAME, pattern, weights, f"l={l}", f"on={on}", f"N={N}", f"m={m}",
                     f"K={K}")
    coefs = {t: coefficients(t, l, weights) for t in targets}
    out: dict[str, list] = {t: [] for t in targets}
    G_total = 0
    for G in _chunks(trials, K, K * (l + 2) * N):
        coin = rng.integers(0, 2, size=(G, K))
        if pattern == "pair":
            xi = np.where(on == 2, 1, np.where(on == 1, coin, 0))
            xj = on - xi
        else:  # l >= 2, so x_i + x_j <= l always
            xi, xj = np.full((G, K), on), coin
        x = np.stack([xi, xj], axis=-1).astype(float)                  # (G, K, 2)
        Wpair, Wused, _, cols, mask = pair_layout(N, l, m, K, G, x, weights, rng)
        h, si, sj = pair_forward(Wpair, Wused, cols, mask, x)
        for t in targets:
            r = readoff(coefs[t], h, si, sj).ravel()                   # (G K,)
            out[t].append((r, r - _target(t, x).ravel()))
        G_total += G
    res = {t: tuple(np.concatenate(p)[:trials] for p in zip(*out[t])) for t in targets}
    return res, _clusters(G_total, K, trials)


def simulate_average(params: dict, trials: int, seed: int, coefficients: Coefficients):
    """AND errors with a uniformly random pair and active set per trial (Gaussian W,
    full N x m).  Returns errors (trials,) and cluster labels (trials,)."""
    N, l, m, K = params["N"], params["l"], params["m"], params["K"]
    rng = stream(seed, NAME, "average", f"l={l}", f"N={N}", f"m={m}", f"K={K}")
    coefs = coefficients("and", l, "gaussian")
    errs, G_total = [], 0
    for G in _chunks(trials, K, max(m, K * l) * N):
        h, si, sj, x = full_forward(*full_layout(N, l, m, K, G, "gaussian", rng))
        errs.append((readoff(coefs, h, si, sj) - _target("and", x)).ravel())
        G_total += G
    return np.concatenate(errs)[:trials], _clusters(G_total, K, trials)


# ------------------------------------------------------------------ measurements


def measure_pairs(params: dict, weights: str, *, trials: int, seed: int, progress: Progress = None,
                  coefficients: Coefficients | None = None) -> list[Measurement]:
    """Per-case AND (and XOR) checks for one weight distribution, on = 0, 1, 2."""
    coefficients = coefficients or construction.coefficients
    N, l = params["N"], params["l"]
    prefix = "" if weights == "gaussian" else "rademacher_"
    out = []
    for on in (0, 1, 2):
        if progress:
            progress(f"{weights} weights, on={on}: {trials} trials, K={params['K']}")
        res, cl = simulate_pairs(params, weights, "pair", on, ("and", "xor"), trials, seed,
                                 coefficients)
        p, lab = {"l": l, "on": on}, {"N": N}
        (r_and, e_and), (r_xor, e_xor) = res["and"], res["xor"]
        out.append(Measurement(f"{NAME}.{prefix}mean_readoff", p, clustered_mean(r_and, cl), lab))
        out.append(Measurement(f"{NAME}.{prefix}rms_error_constant", p, rms_constant(e_and, cl, N), lab))
        if weights == "gaussian":
            mae = clustered_mean(np.abs(e_and), cl).scale(math.sqrt(N))
            out.append(Measurement(f"{NAME}.mae_constant", p, mae, lab))
            out.append(Measurement(f"{NAME}.xor_mean_readoff", p, clustered_mean(r_xor, cl), lab))
        out.append(Measurement(f"{NAME}.{prefix}xor_rms_error_constant", p,
                               rms_constant(e_xor, cl, N), lab))
    return out


def measure_feature(params: dict, *, trials: int, seed: int, progress: Progress = None,
                    coefficients: Coefficients | None = None) -> list[Measurement]:
    """Feature readoff x_i (Gaussian weights), on = x_i = 0, 1."""
    coefficients = coefficients or construction.coefficients
    N, l = params["N"], params["l"]
    out = []
    for on in (0, 1):
        if progress:
            progress(f"feature readoff, x_i={on}: {trials} trials")
        res, cl = simulate_pairs(params, "gaussian", "feature", on, ("feature",), trials, seed,
                                 coefficients)
        r, e = res["feature"]
        p, lab = {"l": l, "on": on}, {"N": N}
        out.append(Measurement(f"{NAME}.feature_mean_readoff", p, clustered_mean(r, cl), lab))
        out.append(Measurement(f"{NAME}.feature_rms_error_constant", p, rms_constant(e, cl, N), lab))
    return out


def measure_average(params: dict, *, trials: int, seed: int, progress: Progress = None,
                    coefficients: Coefficients | None = None) -> list[Measurement]:
    """RMS constant over a uniformly random pair among m inputs and a random input."""
    coefficients = coefficients or construction.coefficients
    if progress:
        progress(f"random pairs among m={params['m']}: {trials} trials")
    e, cl = simulate_average(params, trials, seed, coefficients)
    return [Measurement(f"{NAME}.avg_rms_error_constant", {"l": params["l"], "m": params["m"]},
                        rms_constant(e, cl, params["N"]), {"N": params["N"]})]


def measure(params: dict, *, trials: int, seed: int, progress: Progress = None,
            coefficients: Coefficients | None = None) -> list[Measurement]:
    """Every Monte Carlo check of uand-random at ``params`` (N, l, m, K), ``trials`` per case.

    ``coefficients`` replaces the construction's readoff coefficients (a wrong
    construction, for mutation tests); by default they come from the registry.
    """
    if params.get("readoff"):
        return optimal.measure_optimal({k: params[k] for k in ("N", "l", "m")}, trials=trials,
                                       seed=seed, progress=progress, coefficients=coefficients)
    if params.get("max_law"):
        return maxlaw.measure_max({k: params[k] for k in ("N", "l", "m")}, trials=trials,
                                  seed=seed, progress=progress)
    _check_trials(trials, params["K"])
    kw = dict(trials=trials, seed=seed, progress=progress, coefficients=coefficients)
    return (measure_pairs(params, "gaussian", **kw) + measure_feature(params, **kw)
            + measure_average(params, **kw) + measure_pairs(params, "rademacher", **kw))
