r"""The best linear readoff of a frozen random layer, computed exactly per network draw.

From the construction only (uand.md §5, beyond.md §2): a network is ``W`` (N x m) with iid
N(0, 1) or +-1 entries and no bias; the inputs are *all* :math:`D=\binom m\ell` binary
vectors with exactly l of the m inputs on (the exact input distribution is uniform over
them), and ``h(A) = ReLU(sum_{a in A} W[:, a])``.  For the pair (i, j) = (0, 1) (w.l.o.g.:
the columns of W are exchangeable) and each target y (AND, XOR, the feature x_i):

* the **optimal readoff** :math:`r^*=\Sigma^{-1}\Sigma_{hy}` with
  :math:`\Sigma=\mathbb E_x[\tilde h\tilde h^T]`, :math:`\tilde h=(h,1)` (with a bias) or
  :math:`h` (without), the second moments summed over every one of the D inputs (no
  sampling), and its error :math:`\mathrm{MSE}^*=\mathbb E_x(r^{*T}\tilde h-y)^2`, evaluated
  as the mean of the squared residual over the D inputs;
* the **sign-indicator readoff** of the construction, :math:`\frac1N\sum_nr_nh_n` with the
  registry's coefficients, and its exact input-averaged MSE for the same draw.

Numerics.  :math:`\Sigma` is accumulated in chunks of inputs (float64), factored by Cholesky
with the bias column last (so the bias-free system is its leading block); where it is
singular (N + 1 >= D, or duplicate / dependent +-1 neurons) the minimum-norm solution from
an eigen-decomposition is used.  The residual is always computed directly from the
solution, so a rounding error can only make the reported MSE* *larger* than the true
minimum.  Cost: D N^2 for the moments.

The only randomness is W: a *trial* is one network draw, so the standard errors of means
over draws are the ordinary ones (one cluster per draw).

>>> out = optimal_errors(draw(stream(0, "doc"), 8, 6, "gaussian"), 6, 3)
>>> sorted(out)
['and', 'feature', 'xor']
>>> out["and"]["mse"] <= out["and"]["mse_nobias"] <= out["and"]["mse_sign"]
True
"""
from __future__ import annotations

import itertools
import math
from functools import lru_cache
from typing import Callable, Sequence

import numpy as np
import scipy.linalg as sl

from superpose.derive.quantity import BadInput, get_quantity
from superpose.derive.uand_random.model import coefficients as registry_coefficients
from superpose.verify.check import Measurement
from superpose.verify.rng import stream
from superpose.verify.stats import Estimate, clustered_mean

NAME = "uand-random"
TARGETS = ("and", "xor", "feature")
#: target(x_i, x_j) at 00, 01, 10, 11 (as the construction's truth tables).
TABLES = {"and": (0, 0, 0, 1), "xor": (0, 1, 1, 0), "feature": (0, 0, 1, 1)}
#: Inputs per chunk when accumulating the moments (elements of one chunk: CHUNK x N).
CHUNK_ELEMENTS = 1 << 22
#: Largest input set enumerated (D = C(m, l)).
MAX_INPUTS = 1 << 20
Coefficients = Callable[[str, int, str], Sequence[float]]


def draw(rng: np.random.Generator, N: int, m: int, weights: str) -> np.ndarray:
    """W (N, m): iid N(0, 1) or +-1 entries."""
    if weights == "gaussian":
        return rng.standard_normal((N, m))
    if weights == "rademacher":
        return 2.0 * rng.integers(0, 2, size=(N, m)) - 1.0
    raise BadInput(f"unknown weights {weights!r} (known: gaussian, rademacher)")


@lru_cache(maxsize=8)
def subsets(m: int, l: int) -> np.ndarray:
    """All C(m, l) active sets, (D, l) int indices, lexicographic."""
    D = math.comb(m, l)
    if D > MAX_INPUTS:
        raise BadInput(f"C(m, l) = {D} inputs exceed {MAX_INPUTS} (exact enumeration)")
    out = np.fromiter(itertools.chain.from_iterable(itertools.combinations(range(m), l)),
                      dtype=np.int64, count=D * l).reshape(D, l)
    out.flags.writeable = False
    return out


def pair_bits(S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(x_0, x_1) for every active set, as 0/1 ints."""
    return (S == 0).any(axis=1).astype(int), (S == 1).any(axis=1).astype(int)


def target_values(S: np.ndarray, target: str) -> np.ndarray:
    xi, xj = pair_bits(S)
    return np.asarray(TABLES[target], dtype=float)[2 * xi + xj]


def activations(W: np.ndarray, S: np.ndarray) -> np.ndarray:
    """h for the active sets S: (len(S), N) = ReLU(sum_{a in A} W[:, a])."""
    X = W.T[S[:, 0]].copy()
    for c in range(1, S.shape[1]):
        X += W.T[S[:, c]]
    return np.maximum(X, 0.0, out=X)


def _chunks(D: int, N: int):
    step = max(1, CHUNK_ELEMENTS // max(N, 1))
    for a in range(0, D, step):
        yield slice(a, min(D, a + step))


def moments(W: np.ndarray, S: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact second moments over the inputs S: Sigma (N+1, N+1) of (h, 1) and
    Sigma_hy (N+1, T) for the targets ys (D, T); bias last."""
    D, N = S.shape[0], W.shape[0]
    G = np.zeros((N + 1, N + 1))
    b = np.zeros((N + 1, ys.shape[1]))
    for sl_ in _chunks(D, N):
        H = activations(W, S[sl_])
        G[:N, :N] += H.T @ H
        colsum = H.sum(axis=0)
        G[:N, N] += colsum
        b[:N] += H.T @ ys[sl_]
        b[N] += ys[sl_].sum(axis=0)
    G[N, :N] = G[:N, N]
    G[N, N] = D
    return G / D, b / D


def _solve(G: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A minimiser of r^T G r - 2 r^T b (G symmetric PSD): Cholesky, else minimum norm."""
    try:
        return sl.cho_solve(sl.cho_factor(G, lower=True, check_finite=False), b,
                            check_finite=False)
    except (np.linalg.LinAlgError, sl.LinAlgError):
        s, V = np.linalg.eigh(G)
        keep = s > s.max() * G.shape[0] * np.finfo(float).eps
        return V[:, keep] @ ((V[:, keep].T @ b) / s[keep, None])


def _residual_ms(W, S, ys, R_bias, R_free, cases, readoffs=()) -> dict:
    """Mean squared residuals over the inputs: with bias, without, of any extra readoff
    vectors, and per case (x_i + x_j) for the bias solution."""
    D, N, T = S.shape[0], W.shape[0], ys.shape[1]
    acc = {"bias": np.zeros(T), "free": np.zeros(T), "case": np.zeros((3, T)),
           "extra": np.zeros((len(readoffs), T))}
    for sl_ in _chunks(D, N):
        H = activations(W, S[sl_])
        y = ys[sl_]
        e1 = H @ R_bias[:N] + R_bias[N] - y
        e0 = H @ R_free - y
        acc["bias"] += (e1**2).sum(axis=0)
        acc["free"] += (e0**2).sum(axis=0)
        for c in range(3):
            acc["case"][c] += (e1[cases[sl_] == c] ** 2).sum(axis=0)
        for q, R in enumerate(readoffs):
            acc["extra"][q] += ((H @ R - y) ** 2).sum(axis=0)
    counts = np.bincount(cases, minlength=3).astype(float)
    return {"bias": acc["bias"] / D, "free": acc["free"] / D,
            "case": acc["case"] / np.where(counts > 0, counts, 1.0)[:, None],
            "extra": acc["extra"] / D}


def sign_readoff(W: np.ndarray, target: str, coefs: Sequence[float]) -> np.ndarray:
    """The construction's readoff vector (N,) of the pair (0, 1): (1/N) r_n with
    r_n = alpha 1[W_n0>0]1[W_n1>0] + beta 1[W_n0>0] + gamma 1[W_n1>0] + delta."""
    alpha, beta, gamma, delta = coefs
    si, sj = W[:, 0] > 0, W[:, 1] > 0
    return (alpha * (si & sj) + beta * si + gamma * sj + delta) / W.shape[0]


def optimal_errors(W: np.ndarray, m: int, l: int, targets: Sequence[str] = TARGETS, *,
                   weights: str = "gaussian", coefficients: Coefficients | None = None) -> dict:
    """Per target: ``mse`` (optimal with bias), ``mse_nobias``, ``mse_by_on`` (3,) the
    optimal-with-bias error conditional on x_i + x_j = 0, 1, 2, and ``mse_sign`` the
    sign-indicator readoff's exact input-averaged MSE (coefficients from ``coefficients``,
    default the registry's).  All exact over the C(m, l) inputs for this W."""
    coefficients = coefficients or registry_coefficients
    N = W.shape[0]
    if W.shape[1] != m or l < 2 or m < l + 2:
        raise BadInput(f"need W of shape (N, m), l >= 2, m >= l + 2 (got {W.shape}, m={m}, l={l})")
    S = subsets(m, l)
    xi, xj = pair_bits(S)
    ys = np.stack([target_values(S, t) for t in targets], axis=1)          # (D, T)
    G, b = moments(W, S, ys)
    R_bias = _solve(G, b)                                                  # (N+1, T)
    R_free = _solve(G[:N, :N], b[:N])                                      # (N, T)
    signs = [np.stack([sign_readoff(W, t, coefficients(t, l, weights)) if u == t
                       else np.zeros(N) for u in targets], axis=1) for t in targets]
    res = _residual_ms(W, S, ys, R_bias, R_free, xi + xj, readoffs=signs)
    return {t: {"mse": float(res["bias"][q]), "mse_nobias": float(res["free"][q]),
                "mse_by_on": res["case"][:, q].copy(), "mse_sign": float(res["extra"][q, q])}
            for q, t in enumerate(targets)}


def case_weights(m: int, l: int) -> tuple[float, float, float]:
    """P(x_i + x_j = 0, 1, 2) for a fixed pair and a uniform l-subset of m."""
    D = math.comb(m, l)
    return (math.comb(m - 2, l) / D, 2 * math.comb(m - 2, l - 1) / D, math.comb(m - 2, l - 2) / D)


def simulate(N: int, m: int, l: int, weights: str, networks: int, seed: int,
             targets: Sequence[str] = TARGETS, coefficients: Coefficients | None = None,
             progress=None, rng: np.random.Generator | None = None) -> dict[str, dict[str, np.ndarray]]:
    """``networks`` independent draws: per target, arrays (networks,) of mse, mse_nobias,
    mse_sign and (networks, 3) mse_by_on.  ``rng`` defaults to the check's own stream."""
    if rng is None:
        rng = stream(seed, NAME, "readoff", weights, f"N={N}", f"m={m}", f"l={l}")
    rows = []
    for g in range(networks):
        rows.append(optimal_errors(draw(rng, N, m, weights), m, l, targets, weights=weights,
                                   coefficients=coefficients))
        if progress and (g + 1) % max(1, networks // 4) == 0:
            progress(f"readoff {weights} N={N} m={m} l={l}: {g + 1}/{networks} networks")
    return {t: {k: np.array([r[t][k] for r in rows]) for k in rows[0][t]} for t in targets}


# ------------------------------------------------------------------ measurements

#: Registered names of the optimum's RMS constant, per (weights, target).
OPT_NAMES = {(w, t): f"{'' if w == 'gaussian' else 'rademacher_'}{'' if t == 'and' else t + '_'}"
                     "opt_rms_constant" for w in ("gaussian", "rademacher") for t in TARGETS}
#: The sign-indicator readoff's per-case RMS constant C(l, on) in the registry, per (weights, target).
SIGN_NAMES = {("gaussian", "and"): "rms_error_constant", ("gaussian", "xor"): "xor_rms_error_constant",
              ("gaussian", "feature"): "feature_rms_error_constant",
              ("rademacher", "and"): "rademacher_rms_error_constant",
              ("rademacher", "xor"): "rademacher_xor_rms_error_constant"}
MIN_NETWORKS = 30


def analytic_constant(l: int, m: int, weights: str, target: str) -> float | None:
    """sqrt(E_x C(l, on(x))^2): the sign-indicator readoff's RMS constant averaged over the
    exact input distribution, from the registry's per-case constants (None where the
    registry has none)."""
    name = SIGN_NAMES.get((weights, target))
    if name is None:
        return None
    q = get_quantity(f"{NAME}.{name}")
    p0, p1, p2 = case_weights(m, l)
    if target == "feature":   # on = x_i: P(x_i = 1) = l / m
        c2 = (1 - l / m) * q.evaluate(l=l, on=0) ** 2 + l / m * q.evaluate(l=l, on=1) ** 2
    else:
        c2 = sum(p * q.evaluate(l=l, on=on) ** 2 for on, p in enumerate((p0, p1, p2)))
    return math.sqrt(c2)


def rms_estimate(mse: np.ndarray, N: int):
    """sqrt(N * mean over draws of the per-draw MSE), delta-method SE (one cluster per draw)."""
    est = clustered_mean(mse)
    if est.value == 0.0 and est.se == 0.0:
        return Estimate(0.0, 0.0, est.n, est.n_networks)
    return est.sqrt().scale(math.sqrt(N))


def measure_optimal(params: dict, *, trials: int, seed: int, progress=None,
                    coefficients: Coefficients | None = None) -> list:
    """The readoff checks at (N, l, m): ``trials`` network draws per weight distribution.

    Measures the optimal readoff's RMS constant sqrt(N E_W MSE*) of AND, XOR and x_i
    (Gaussian and +-1 weights; judged against the deterministic equivalent) and, as an
    independent cross-check of ``avg_rms_error_constant``, the sign-indicator readoff's
    exact input-averaged MSE (Gaussian)."""
    N, l, m = params["N"], params["l"], params["m"]
    if trials < MIN_NETWORKS:
        raise BadInput(f"readoff checks need >= {MIN_NETWORKS} network draws, got {trials}")
    if m < max(2 * l, l + 2):
        raise BadInput(f"readoff checks need m >= 2 l and m >= l + 2 (got m={m}, l={l})")
    out = []
    p, lab = {"N": N, "l": l, "m": m}, {}
    for weights in ("gaussian", "rademacher"):
        if progress:
            progress(f"optimal readoff, {weights} weights: N={N}, l={l}, m={m}, {trials} networks")
        res = simulate(N, m, l, weights, trials, seed, coefficients=coefficients)
        for t in TARGETS:
            out.append(Measurement(f"{NAME}.{OPT_NAMES[(weights, t)]}", p,
                                   rms_estimate(res[t]["mse"], N), lab))
        if weights == "gaussian":
            out.append(Measurement(f"{NAME}.avg_rms_error_constant", {"l": l, "m": m},
                                   rms_estimate(res["and"]["mse_sign"], N),
                                   {"N": N, "inputs": "all"},
                                   note="sign-indicator readoff, exact mean over all inputs per draw"))
    return out


def constraint(v: dict) -> str | None:
    """Sizes the readoff mode supports (exact enumeration of the inputs)."""
    m, l, N = v["m"], v["l"], v["N"]
    if v.get("max_law"):
        return "readoff=1 and max_law=1 are separate modes: choose one"
    if m < max(2 * l, l + 2):
        return f"readoff checks need m >= 2 l and m >= l + 2 (got m={m}, l={l})"
    D = math.comb(m, l)
    if D > MAX_INPUTS or D * N > 1 << 27:
        return (f"C(m, l) = {D} inputs x N = {N} neurons is too large for the exact "
                "readoff mode (C(m, l) <= 2^20 and C(m, l) N <= 2^27)")
    return None
