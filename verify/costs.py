"""Monte Carlo checks of the costs of storing features in superposition (``derive/costs.py``).

The simulation: ``features(m, n, rng)`` draws ``m`` iid uniform unit vectors in ``R^n``
(normalised Gaussians); an input stores ``k`` random active features as ``x = sum_I f_a``;
``read(F, x) = F x`` reads every feature.  A *trial* is one draw of the features (with
``8 n_inputs`` inputs); SEs are clustered by draw.  Compounding: ``t`` layers that read all
features, compute the identity, optionally zero the inactive readouts (clean-up), and
re-embed the readouts in a *fresh* feature draw (``4 n_inputs`` chains share each draw); the
relative MS error of the active
features is measured after every layer.

What this does not establish: behaviour of trained (non-random) features, or of clean-ups
implemented by a thresholding ReLU rather than the oracle used here.
"""
from __future__ import annotations

import numpy as np

from superpose.derive.quantity import Param
from superpose.verify.check import Measurement
from superpose.verify.rng import stream
from superpose.verify.stats import Estimate, from_cluster_sums

NAME = "costs"

PARAMS = (
    Param("n", int, 256, lo=2, hi=8192, doc="dimension"),
    Param("m", int, 1024, lo=2, hi=20000, doc="features"),
    Param("k", int, 8, lo=1, hi=4096, doc="active features"),
    Param("t", int, 3, lo=1, hi=50, doc="layers in the compounding chain"),
    Param("n_inputs", int, 8, lo=1, hi=1000, doc="inputs per feature draw"),
)
DEFAULT_TRIALS = 120


def constraint(v: dict) -> str | None:
    if v["k"] >= v["m"]:
        return f"k = {v['k']} must be < m = {v['m']} (some feature must be inactive)"
    if v["m"] * v["n"] > 5 * 10**7:
        return "m * n too large (max 5e7)"
    return None


SCALES = {
    "smoke": [(dict(n=64, m=256, k=4, t=2, n_inputs=4), 40)],
    "quick": [(dict(n=256, m=1024, k=8, t=3, n_inputs=8), 120),
              (dict(n=64, m=128, k=16, t=4, n_inputs=8), 300)],
    "paper": [(dict(n=1024, m=8192, k=32, t=6, n_inputs=16), 60)],  # ~5 s per trial
}


#: Seconds per multiply-add of the products (float32 Gram, float64 reads) and per element
#: of the Gaussian draws (measured, bench/cost_calibration.py).
SEC_FLOP, SEC_DRAW = 6e-11, 1.2e-8
COST_SIZE = ("m", "n")


def estimate_cost(p: dict, trials: int):
    """Peak memory and time (superpose.verify.cost).  Memory: per draw F (m x n) float64 and
    float32, the float32 Gram matrix G (m x m) with its upper triangle gathered (int64 indices,
    float32 values and their float64 squares), and the (m x 8 n_inputs) reads."""
    from superpose.verify.cost import F8, cost

    n, m, k, t, nx = (p[x] for x in ("n", "m", "k", "t", "n_inputs"))
    B = 8 * nx
    pairs = m * (m - 1) / 2
    gram = 4 * m * m + pairs * (2 * 8 + 4 + 2 * F8)
    mem = 2 * F8 * m * n + gram + 5 * F8 * m * B
    flops = trials * (m * m * n + 2 * m * n * B + t * 4 * m * n * 4 * nx)
    draws = trials * (m * n * (1 + t) + m * (B + 4 * nx))
    return cost(mem, SEC_FLOP * flops + SEC_DRAW * draws)


def features(m: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """F (m x n): rows iid uniform on the unit sphere of R^n."""
    F = rng.standard_normal((m, n))
    return F / np.linalg.norm(F, axis=1, keepdims=True)


def store(F: np.ndarray, active: np.ndarray, values: np.ndarray | None = None) -> np.ndarray:
    """x = sum_a values_a f_a over the given features (values default to 1)."""
    v = np.ones(len(active)) if values is None else values
    return v @ F[active]


def read(F: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Readouts f_b . x of every feature: (m,)."""
    return F @ x


def readout_sums(F: np.ndarray, k: int, inputs: int,
                 rng: np.random.Generator) -> dict[str, tuple[float, int]]:
    """One feature draw ``F`` (m x n) read with ``inputs`` fresh inputs, each storing ``k``
    random active features: ``(sum, count)`` of the squared error of the active readouts
    (``"act"``), of the squared inactive readouts (``"inact"``), and over the inputs of the
    largest squared (``"maxsq"``) and absolute (``"maxabs"``) inactive readout."""
    m = F.shape[0]
    on = np.zeros((m, inputs), bool)
    for b in range(inputs):
        on[rng.choice(m, size=k, replace=False), b] = True
    R = read(F, F.T @ on.astype(float))   # (m, inputs): readouts of x_b = sum_{a in I_b} f_a
    inact = np.where(on, 0.0, R)
    return {"act": (np.sum(np.where(on, (R - 1) ** 2, 0.0)), k * inputs),
            "inact": (np.sum(inact**2), (m - k) * inputs),
            "maxsq": (np.sum(np.max(inact**2, axis=0)), inputs),
            "maxabs": (np.sum(np.max(np.abs(inact), axis=0)), inputs)}


def inactive_noise(n: int, m: int, k: int, draws: int, inputs: int,
                   rng: np.random.Generator) -> tuple[Estimate, Estimate]:
    """RMS noise of the inactive readouts and ``E max_{b not in I} |f_b . x|``, over ``draws``
    feature draws (``m`` features in ``R^n``) read with ``inputs`` inputs of ``k`` active
    features each (:func:`readout_sums`); SEs clustered by draw.  The report's
    ``costs_noise`` figure plots these."""
    acc = np.zeros((draws, 4))
    for g in range(draws):
        F = features(m, n, rng)
        s = readout_sums(F, k, inputs, rng)
        acc[g] = (*s["inact"], *s["maxabs"])
    return (from_cluster_sums(acc[:, 0], acc[:, 1]).sqrt(),
            from_cluster_sums(acc[:, 2], acc[:, 3]))


def chains(n, m, k, t, batch, rng) -> dict[bool, np.ndarray]:
    """Relative squared error of the active features after each of t layers.

    ``batch`` independent active sets share each layer's fresh feature draw; the same draws
    serve the clean-up and the no-clean-up chain.  Returns {cleanup: (batch, t)}.
    """
    Y = np.zeros((m, batch))
    for b in range(batch):
        Y[rng.choice(m, size=k, replace=False), b] = 1.0      # clean values (identity compute)
    on = Y > 0
    vals = {True: Y.copy(), False: Y.copy()}
    out = {c: np.empty((batch, t)) for c in (True, False)}
    for s in range(t):
        F = features(m, n, rng)            # fresh features for this layer's embedding
        for c in (True, False):
            R = read(F, F.T @ vals[c])     # re-embed every value, read every feature: (m, B)
            out[c][:, s] = np.sum(np.where(on, (R - 1.0) ** 2, 0.0), axis=0) / k
            vals[c] = np.where(on, R, 0.0) if c else R
    return out


def measure(params: dict, *, trials: int, seed: int, progress=None) -> list[Measurement]:
    n, m, k, t, nx = (params[x] for x in ("n", "m", "k", "t", "n_inputs"))
    rng = stream(seed, NAME, "storage", n, m, k, nx)
    keys = ("inner", "act", "inact", "maxsq", "maxabs", "maxinner")
    acc = {x: np.zeros((trials, 2)) for x in keys}
    pairs = m * (m - 1) // 2
    for g in range(trials):
        F = features(m, n, rng)
        F32 = F.astype(np.float32)
        G = F32 @ F32.T                    # inner products; float32 error ~1e-7 << SE
        np.fill_diagonal(G, 0.0)           # symmetric: the pairs a < b are half the rest
        G64 = G.astype(float)
        acc["inner"][g] = (np.sum(G64 * G64) / 2, pairs)
        acc["maxinner"][g] = (float(np.max(np.abs(G))), 1)
        # 8 n_inputs inputs: they are cheap next to the feature draw
        for x, sums in readout_sums(F, k, 8 * nx, rng).items():
            acc[x][g] = sums
        if progress and (g + 1) % max(1, trials // 4) == 0:
            progress(f"{NAME}: feature draws {g + 1}/{trials}")
    est = {x: from_cluster_sums(a[:, 0], a[:, 1]) for x, a in acc.items()}
    out = [
        Measurement(f"{NAME}.inner_ms", dict(n=n), est["inner"], label=dict(m=m)),
        Measurement(f"{NAME}.noise_ms_active", dict(n=n, k=k), est["act"], label=dict(m=m)),
        Measurement(f"{NAME}.noise_ms_inactive", dict(n=n, k=k), est["inact"], label=dict(m=m)),
        Measurement(f"{NAME}.noise_max_ms", dict(n=n, m=m, k=k), est["maxsq"]),
        Measurement(f"{NAME}.noise_max_bound", dict(n=n, m=m, k=k), est["maxabs"],
                    published=f"{NAME}.noise_max_published"),
        Measurement(f"{NAME}.noise_max_published", dict(n=n, m=m, k=k), est["maxabs"],
                    note=r"Linsefors' $\epsilon\sqrt\ell$ against the measured expected worst inactive "
                         "readout"),
        Measurement(f"{NAME}.max_inner_bound", dict(n=n, m=m), est["maxinner"],
                    published=f"{NAME}.max_inner_published"),
        Measurement(f"{NAME}.max_inner_published", dict(n=n, m=m), est["maxinner"],
                    note=r"Linsefors' $\epsilon$ against the measured expected worst overlap "
                         r"$\mathbb E\max_{a<b}|f_a\cdot f_b|$"),
    ]
    rng = stream(seed, NAME, "compound", n, m, k, t)
    err = {c: np.zeros((trials, t)) for c in (True, False)}
    B = 4 * nx
    for g in range(trials):
        got = chains(n, m, k, t, B, rng)
        for c in (True, False):
            err[c][g] = got[c].sum(axis=0)
        if progress and (g + 1) % max(1, trials // 4) == 0:
            progress(f"{NAME}: compounding chains {g + 1}/{trials}")
    for s in sorted({1, t}):
        ones = np.full(trials, float(B))
        out.append(Measurement(f"{NAME}.compound_ms_cleanup", dict(n=n, k=k, t=s),
                               from_cluster_sums(err[True][:, s - 1], ones), label=dict(m=m)))
        out.append(Measurement(f"{NAME}.compound_ms_nocleanup", dict(n=n, m=m, k=k, t=s),
                               from_cluster_sums(err[False][:, s - 1], ones)))
    return out
