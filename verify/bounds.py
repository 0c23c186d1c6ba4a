"""Monte Carlo audit of the ``bounds`` construction: do the bounds hold, and how tight are they?

Every quantity is measured from its *definition* on sampled objects; the predictions come
from the registry (``check.judge``).  Bounds are judged one-sided (``measured - Z se <=
bound``) and report their slack; exact and asymptotic quantities two-sided.

Families (a *trial* is one draw of the random object):

========================= ============================================== =================
family                    object                                         trials
========================= ============================================== =================
deterministic max <-> ms  x in R^n: gaussian, sparse, one-hot, sign       trials // 100
Gaussian extremes         X ~ N(0, sigma^2 I_n), float32 samples           trials
Gaussian, large n (tight) n = 2^20 (only with ``tight=1``)                trials // 1500
sums of Bernoullis        X = sum of m Bernoulli(mu / m)                  trials
  near-tight (``tight=1``) one Bernoulli(0.96) / Bernoulli(0.04)          trials
union of k = n events     independent / disjoint / identical events       trials
========================= ============================================== =================

The deterministic checks have no sampling error: their ``se`` is a bound on the float
rounding (``8 eps |value|``), so a one-hot vector meets ``sqrt(n ms)`` "with equality".
The adversarial inputs (one-hot, sign vectors, disjoint events, p -> 1 Bernoullis, n = 2^20
Gaussians) are where a 10 %-tighter bound is violated; tests/test_bounds.py shows it.

What this does *not* establish: a bound holding at a few points is not a proof (the proofs
are in derive/bounds.py and the quadrature tests); ``float32`` Gaussians resolve the tails
only to ~1e-7 relative, enough for the probabilities >= 1e-3 measured here.
"""
from __future__ import annotations

import copy
import math
from typing import Callable

import numpy as np

from superpose.derive.quantity import Param
from superpose.verify.check import Measurement
from superpose.verify.rng import stream
from superpose.verify.stats import Estimate, clustered_mean, round_sig

PARAMS: tuple[Param, ...] = (
    Param("n", int, default=128, lo=1, hi=2**16, doc="Gaussians per draw / vector length / events"),
    Param("sigma", float, default=2.0, lo=0,
          doc="Gaussian standard deviation (> 0); also ms = sigma^2 and m = sigma (deterministic)"),
    Param("t", float, default=6.5, doc="threshold of P(max X_i > t)"),
    Param("alpha", float, default=0.05, lo=0, hi=1, doc="tail level of the max quantiles"),
    Param("u", float, default=2.0, lo=0, doc="excess over E max of the concentration event"),
    Param("m", int, default=100, lo=1, hi=10_000, doc="number of Bernoulli terms"),
    Param("mu", float, default=10.0, lo=0, doc="mean of the Bernoulli sum (<= m)"),
    Param("delta", float, default=0.5, lo=0, doc="relative deviation of the Bernoulli sum"),
    Param("p", float, default=5e-4, lo=0, hi=1, doc="probability of each of the n union events"),
    Param("tight", int, default=1, lo=0, hi=1, doc="1: also run the fixed near-tight points"),
)

DEFAULT_TRIALS = 200_000
SCALES = {
    "smoke": [({"n": 32, "tight": 0}, 20_000)],
    "quick": [({}, 200_000), ({"n": 1000, "t": 8.0, "mu": 50.0, "m": 500, "delta": 0.3,
                              "tight": 0}, 100_000)],
    "paper": [({}, 1_000_000), ({"n": 1000, "t": 8.0, "mu": 50.0, "m": 500, "delta": 0.3,
                                 "tight": 0}, 1_000_000)],
}

#: Elements per generated block (16 MiB of float32): bounds memory, not the result.
_BLOCK = 2**22
#: The fixed large-n point where E max is within 8 % of sigma sqrt(2 ln n).
BIG_N = 2**20
#: Near-tight Bernoulli points: (q, delta) for the upper tail and the lower tail.
TIGHT_UPPER = (0.96, 0.04)
TIGHT_LOWER = (0.04, 0.5)

Progress = Callable[[str], None] | None


#: Every ``bounds`` quantity takes parameters that are 0 or of magnitude in [1e-50, 1e50]
#: (``derive.bounds._check``); the measurement derives them from these (ms = sigma^2, ...).
MAG = (1e-50, 1e50)


def _magnitude(what: str, x: float, name: str) -> str | None:
    if x == 0 or MAG[0] <= abs(x) <= MAG[1]:
        return None
    return (f"{name} must be 0 or of magnitude in [1e-50, 1e50]"
            + (f" ({what})" if what else "") + f", got {x:g}")


def constraint(v: dict) -> str | None:
    """Relations between the parameters, and the range of every quantity parameter the
    measurement derives from them, checked here so that nothing is drawn before a refusal."""
    if not v["sigma"] > 0:
        return f"sigma must be > 0, got {v['sigma']}"
    if not math.sqrt(MAG[0]) <= v["sigma"] <= math.sqrt(MAG[1]):
        return (f"sigma must be in [1e-25, 1e25] (the deterministic checks take ms = sigma^2, "
                f"which must be of magnitude in [1e-50, 1e50]), got {v['sigma']:g}")
    for name in ("t", "u", "alpha", "mu", "delta", "p"):
        msg = _magnitude("", v[name], name)
        if msg:
            return msg
    q = v["mu"] / v["m"] if v["m"] else 0.0
    for what, x in (("the Bernstein/Hoeffding deviation t = delta mu", v["delta"] * v["mu"]),
                    ("the Bernstein variance m q (1 - q), q = mu/m",
                     v["m"] * q * (1 - q) if 0 <= q <= 1 else 0.0)):
        msg = _magnitude(what, x, "delta" if "delta" in what else "mu")
        if msg:
            return msg
    if not 0 < v["alpha"] < 1:
        return f"alpha must be in (0, 1), got {v['alpha']}"
    if not 0 < v["mu"] <= v["m"]:
        return f"need 0 < mu <= m (mu / m is a probability), got mu={v['mu']}, m={v['m']}"
    return None


#: Seconds per element: Gaussian float32 draw + max/min; deterministic vectors (4 kinds); a
#: Bernoulli term; a union event (measured, bench/cost_calibration.py).
SEC_GAUSS, SEC_DET, SEC_BERN, SEC_UNION = 6e-9, 4e-8, 5e-9, 5e-9
COST_SIZE = ("n", "m")


def estimate_cost(p: dict, trials: int):
    """Peak memory and time from the parameters (module docstring of superpose.verify.cost).

    Memory: one block of deterministic vectors (~6 float64 copies of ``rows x n``), the float32
    blocks of the samplers, and the per-trial arrays (maxima, sums, hits, sorted copies).
    """
    from superpose.verify.cost import F8, cost

    n, m = p["n"], p["m"]
    count = max(100, trials // 100)
    rows = max(2, _BLOCK // n)
    rows += rows % 2
    det = 7 * F8 * min(count, rows) * n                  # one block of vectors, 7 copies
    block = 2 * 4 * min(_BLOCK, max(n, m) * trials)       # a float32 sampler block + masks
    per_trial = 6 * F8 * trials
    big = max(20, trials // 1500) if p["tight"] else 0
    secs = (SEC_DET * 4 * count * n + SEC_GAUSS * trials * n + SEC_BERN * trials * m
            + SEC_UNION * 3 * trials * n
            + (SEC_GAUSS * big * BIG_N + SEC_BERN * 2 * trials if p["tight"] else 0.0))
    return cost(max(det, block) + per_trial, secs)


def _r(x: float) -> float:
    """Parameter values as they appear in check names (12 significant digits)."""
    return round_sig(float(x), 12)


def _exact(value: float, count: int) -> Estimate:
    """A deterministic measurement: the 'se' is a bound on the float rounding error."""
    return Estimate(float(value), 8 * np.finfo(float).eps * abs(value), count, count)


def proportion(hits: np.ndarray) -> Estimate:
    """P(event) from iid indicators, with a Laplace-smoothed binomial SE.

    ``se = sqrt(p~ (1 - p~) / N)``, ``p~ = (k + 1) / (N + 2)``: the textbook ``sqrt(p(1-p)/N)``
    when the count ``k`` is large, but never 0 when no event (or only events) was seen, where
    the plain estimate would claim certainty from a finite sample.
    """
    h = np.asarray(hits, dtype=bool).ravel()
    n, k = h.size, int(h.sum())
    pt = (k + 1) / (n + 2)
    return Estimate(k / n, math.sqrt(pt * (1 - pt) / n), n, n)


def sample_quantile(values: np.ndarray, level: float) -> Estimate:
    """The ``level``-quantile of ``values`` with a distribution-free SE.

    The count of samples below the true quantile is Binomial(N, level), so the ranks
    ``k +- d``, ``d = sqrt(N level (1 - level))``, bracket it by one standard deviation:
    ``se = (x_(k+d) - x_(k-d)) / 2``.
    """
    x = np.sort(np.asarray(values, dtype=float))
    n = x.size
    k = min(n - 1, max(0, math.ceil(n * level) - 1))
    d = max(1, math.ceil(math.sqrt(n * level * (1 - level))))
    se = (x[min(n - 1, k + d)] - x[max(0, k - d)]) / 2
    return Estimate(float(x[k]), float(se), n, n)


# ------------------------------------------------------------------- deterministic


def _vectors(kind: str, n: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` test vectors of length n, shape (count, n); never all-zero."""
    if kind == "gaussian":
        return rng.standard_normal((count, n))
    if kind == "sparse":  # k = max(1, n // 16) non-zeros with Gaussian values
        k = max(1, n // 16)
        x = np.zeros((count, n))
        idx = np.argsort(rng.random((count, n)), axis=1)[:, :k]
        np.put_along_axis(x, idx, rng.standard_normal((count, k)) + 3.0, axis=1)
        return x
    if kind == "one-hot":  # adversarial for max <= sqrt(n ms)
        x = np.zeros((count, n))
        x[np.arange(count), rng.integers(0, n, count)] = 1.0
        return x
    if kind == "sign":  # adversarial for ms <= max^2
        return rng.choice([-1.0, 1.0], size=(count, n))
    raise ValueError(kind)


def _vector_blocks(kind: str, n: int, count: int, rng: np.random.Generator, rows: int):
    """The rows of ``_vectors(kind, n, count, rng)`` in blocks of ``rows`` (``rows`` even), the
    same numbers: every draw consumes the bit stream in order (``sparse``: its normals start
    where its ``count x n`` uniforms end, on a second generator advanced to that point;
    ``sign``: an even block size keeps the buffered 32-bit draws aligned)."""
    if kind == "sparse":
        k = max(1, n // 16)
        normals = copy.deepcopy(rng)                           # the same stream, advanced past
        normals.bit_generator.advance(count * n)                # the uniforms (one 64-bit each)
    if kind == "one-hot":
        hot = rng.integers(0, n, count)
    for s in range(0, count, rows):
        r = min(rows, count - s)
        if kind == "gaussian":
            yield rng.standard_normal((r, n))
        elif kind == "sparse":
            x = np.zeros((r, n))
            idx = np.argsort(rng.random((r, n)), axis=1)[:, :k]
            np.put_along_axis(x, idx, normals.standard_normal((r, k)) + 3.0, axis=1)
            yield x
        elif kind == "one-hot":
            x = np.zeros((r, n))
            x[np.arange(r), hot[s:s + r]] = 1.0
            yield x
        elif kind == "sign":
            yield rng.choice([-1.0, 1.0], size=(r, n))
        else:
            raise ValueError(kind)


def measure_deterministic(n: int, sigma: float, count: int, seed: int) -> list[Measurement]:
    """Blocks of about ``_BLOCK`` elements (the vectors are never held at once: 10^5 x 2^16
    of them is 48.8 GiB); maxima are exact under blocking, so the values do not depend on it."""
    ms, m = _r(sigma**2), _r(sigma)
    rows = max(2, _BLOCK // n)
    rows += rows % 2
    out = []
    for kind in ("gaussian", "sparse", "one-hot", "sign"):
        ymax, zmax = -np.inf, -np.inf
        for x in _vector_blocks(kind, n, count, stream(seed, "bounds", "deterministic", kind, n),
                                rows):
            # rescale each row to mean square ms: the largest |x_i| seen is the measured max
            y = x * np.sqrt(ms / np.mean(x**2, axis=1, keepdims=True))
            ymax = max(ymax, np.abs(y).max())
            # rescale each row to max |x_i| = m: the largest mean square seen is the measured one
            z = x * (m / np.abs(x).max(axis=1, keepdims=True))
            zmax = max(zmax, np.mean(z**2, axis=1).max())
        out.append(Measurement("bounds.max_from_mean_square", {"ms": ms, "n": n},
                               _exact(ymax, count), label={"input": kind}))
        out.append(Measurement("bounds.mean_square_from_max", {"m": m},
                               _exact(zmax, count), label={"n": n, "input": kind}))
    return out


# ------------------------------------------------------------------------ Gaussian


def gauss_maxima(n: int, sigma: float, trials: int, rng: np.random.Generator):
    """max_i X_i and max_i |X_i| of ``trials`` draws of X ~ N(0, sigma^2 I_n); shapes (trials,)."""
    mx, ax = np.empty(trials), np.empty(trials)
    rows = max(1, _BLOCK // n)
    for s in range(0, trials, rows):
        x = rng.standard_normal((min(rows, trials - s), n), dtype=np.float32)  # (rows, n)
        hi, lo = x.max(axis=1), x.min(axis=1)
        mx[s:s + x.shape[0]] = hi
        ax[s:s + x.shape[0]] = np.maximum(hi, -lo)  # max_i |x_i|
    return sigma * mx, sigma * ax


def _mean_checks(n: int, sigma: float, mx: np.ndarray, ax: np.ndarray) -> list[Measurement]:
    ps = {"n": n, "sigma": sigma}
    e_max, e_abs = clustered_mean(mx), clustered_mean(ax)
    out = [Measurement("bounds.gauss_max_mean_bound", ps, e_max),
           Measurement("bounds.gauss_max_mean", ps, e_max),
           Measurement("bounds.gauss_abs_max_mean_bound", ps, e_abs),
           Measurement("bounds.gauss_abs_max_mean", ps, e_abs)]
    if n >= 100:  # the asymptotic quantity's declared range (its tolerance holds there)
        out.append(Measurement("bounds.gauss_max_mean_asymptotic", ps, e_max))
    return out


def measure_gaussian(p: dict, trials: int, seed: int) -> list[Measurement]:
    n, sigma, t, alpha, u = p["n"], _r(p["sigma"]), _r(p["t"]), _r(p["alpha"]), _r(p["u"])
    mx, ax = gauss_maxima(n, sigma, trials, stream(seed, "bounds", "gauss", n, sigma))
    out = _mean_checks(n, sigma, mx, ax)
    tail = proportion(mx > t)
    out += [Measurement("bounds.gauss_max_tail", {"n": n, "t": t, "sigma": sigma}, tail),
            Measurement("bounds.gauss_max_tail_union", {"n": n, "t": t, "sigma": sigma}, tail)]
    q = sample_quantile(mx, 1 - alpha)
    for short in ("gauss_max_quantile", "gauss_max_quantile_union", "gauss_max_quantile_simple"):
        out.append(Measurement(f"bounds.{short}", {"n": n, "alpha": alpha, "sigma": sigma}, q))
    # the event of the definition, max_i X_i >= E max_i X_i + u, with E max estimated by the
    # sample mean of the same maxima (its SE, ~1e-3 sigma, is negligible next to u)
    level = float(mx.mean()) + u
    out.append(Measurement("bounds.gauss_max_concentration", {"u": u, "sigma": sigma},
                           proportion(mx >= level), label={"n": n}))
    return out


def measure_gaussian_big(sigma: float, trials: int, seed: int) -> list[Measurement]:
    """n = 2^20 iid N(0, sigma^2): E max = 0.925 sigma sqrt(2 ln n), so a 0.9x bound fails here."""
    sigma = _r(sigma)
    mx, ax = gauss_maxima(BIG_N, sigma, trials, stream(seed, "bounds", "gauss-big", BIG_N, sigma))
    return _mean_checks(BIG_N, sigma, mx, ax)


# ------------------------------------------------------------- sums of Bernoullis


def bernoulli_sums(m: int, q: float, trials: int, rng: np.random.Generator) -> np.ndarray:
    """X = sum of m independent Bernoulli(q) indicators, drawn term by term; shape (trials,)."""
    x = np.empty(trials)
    rows = max(1, _BLOCK // m)
    for s in range(0, trials, rows):
        k = min(rows, trials - s)
        x[s:s + k] = (rng.random((k, m), dtype=np.float32) < q).sum(axis=1)
    return x


def _sum_checks(m: int, mu: float, delta: float, x: np.ndarray, which: tuple[str, ...]) -> list[Measurement]:
    q = mu / m
    slop = 1e-12 * max(1.0, mu)  # float rounding of (1 +- delta) mu: err towards the larger event
    up = proportion(x >= (1 + delta) * mu - slop)
    low = proportion(x <= (1 - delta) * mu + slop)
    two = proportion(np.abs(x - mu) >= delta * mu - slop)
    md, lab = {"mu": mu, "delta": delta}, {"m": m}
    est = {"chernoff_upper": up, "chernoff_upper_simple": up, "chernoff_upper_small": up,
           "chernoff_lower": low, "chernoff_lower_simple": low, "chernoff_two_sided": two}
    out = []
    for short in which:
        if short in est:
            if delta > 1 and short not in ("chernoff_upper", "chernoff_upper_simple"):
                continue  # outside the quantity's range (delta <= 1)
            out.append(Measurement(f"bounds.{short}", md, est[short], label=lab))
        elif short == "bernstein":  # centred terms B - q: |B - q| <= max(q, 1-q), Var = q(1-q)
            ps = {"t": _r(delta * mu), "var": _r(m * q * (1 - q)), "b": _r(max(q, 1 - q))}
            out.append(Measurement("bounds.bernstein", ps, up, label=lab))
        elif short == "hoeffding":  # each term in [0, 1]
            out.append(Measurement("bounds.hoeffding", {"t": _r(delta * mu), "n": m, "r": 1.0}, up))
    return out


ALL_SUMS = ("chernoff_upper", "chernoff_upper_simple", "chernoff_upper_small", "chernoff_lower",
            "chernoff_lower_simple", "chernoff_two_sided", "bernstein", "hoeffding")


def measure_sums(p: dict, trials: int, seed: int) -> list[Measurement]:
    m, mu, delta = p["m"], _r(p["mu"]), _r(p["delta"])
    x = bernoulli_sums(m, mu / m, trials, stream(seed, "bounds", "bernoulli", m, mu))
    return _sum_checks(m, mu, delta, x, ALL_SUMS)


def measure_sums_tight(trials: int, seed: int) -> list[Measurement]:
    """One Bernoulli(q): P ~ 1 and every bound ~ 1; the regime where Chernoff-type bounds are tight."""
    (qu, du), (ql, dl) = TIGHT_UPPER, TIGHT_LOWER
    xu = bernoulli_sums(1, qu, trials, stream(seed, "bounds", "bernoulli-tight", qu))
    xl = bernoulli_sums(1, ql, trials, stream(seed, "bounds", "bernoulli-tight", ql))
    upper = ("chernoff_upper", "chernoff_upper_simple", "chernoff_upper_small", "chernoff_two_sided",
             "bernstein", "hoeffding")
    return (_sum_checks(1, qu, du, xu, upper)
            + _sum_checks(1, ql, dl, xl, ("chernoff_lower", "chernoff_lower_simple")))


# -------------------------------------------------------------------------- union


def union_events(kind: str, k: int, p: float, trials: int, rng: np.random.Generator) -> np.ndarray:
    """Indicator of A_1 or ... or A_k, each P(A_j) = p; shape (trials,).

    independent: A_j = {U_j < p}; disjoint (when kp <= 1): A_j = {(U - j p) mod 1 < p}, k arcs of
    length p laid end to end on the circle; identical: A_j = {U < p} for all j.
    """
    hit = np.empty(trials, dtype=bool)
    rows = max(1, _BLOCK // k)
    jp = np.mod(np.arange(k) * p, 1.0).astype(np.float32)  # (k,) arc starts j p mod 1
    for s in range(0, trials, rows):
        r = min(rows, trials - s)
        if kind == "independent":
            a = rng.random((r, k), dtype=np.float32) < p  # (r, k)
        elif kind == "disjoint":
            d = rng.random((r, 1), dtype=np.float32) - jp  # in (-1, 1); (d mod 1) < p:
            a = (d < p) & ((d >= 0) | (d < p - 1))
        elif kind == "identical":
            a = np.repeat(rng.random((r, 1)) < p, k, axis=1)
        else:
            raise ValueError(kind)
        hit[s:s + r] = a.any(axis=1)
    return hit


def measure_union(p: dict, trials: int, seed: int) -> list[Measurement]:
    k, prob = p["n"], _r(p["p"])
    out = []
    for kind in ("independent", "disjoint", "identical"):
        hit = union_events(kind, k, prob, trials, stream(seed, "bounds", "union", kind, k, prob))
        out.append(Measurement("bounds.union_bound", {"k": k, "p": prob}, proportion(hit),
                               label={"events": kind}))
    return out


# ------------------------------------------------------------------------ measure


def measure(params: dict, *, trials: int, seed: int, progress: Progress = None) -> list[Measurement]:
    """All ``bounds`` measurements at ``params`` (plus the fixed near-tight points if ``tight``)."""
    say = progress or (lambda msg: None)
    say("bounds: deterministic max <-> mean square")
    out = measure_deterministic(params["n"], params["sigma"], max(100, trials // 100), seed)
    say(f"bounds: Gaussian maxima, n={params['n']}, {trials} trials")
    out += measure_gaussian(params, trials, seed)
    say(f"bounds: Bernoulli sums, m={params['m']}")
    out += measure_sums(params, trials, seed)
    say(f"bounds: union of {params['n']} events")
    out += measure_union(params, trials, seed)
    if params["tight"]:
        say(f"bounds: near-tight points (one Bernoulli; Gaussian maxima at n={BIG_N})")
        out += measure_sums_tight(trials, seed)
        out += measure_gaussian_big(params["sigma"], max(20, trials // 1500), seed)
    return out
