"""Monte Carlo checks of the sparse Bernoulli U-AND (``derive/uand_sparse.py``).

The simulation is written from the construction, never from the error terms:

* ``build(d, m, p, rng)``: ``W`` (d x m) with iid Bernoulli(p) entries, bias -1;
* ``forward(W, X)``: ``a = ReLU(W X - 1)`` for a batch of inputs ``X`` (m x B);
* ``readoffs(W, a)``: ``v_ij . a = sum_{k in S_i∩S_j} a_k / |S_i∩S_j|`` for all pairs.

A *trial* is one network draw (with ``n_inputs`` fresh ``l``-hot inputs); standard errors
are clustered by network.  Readoff checks condition on a non-empty intersection (the exact
moments are conditional).  The worst case ``eps(W, X)`` is the max error over all pairs and
the network's inputs (1 when some intersection is empty); its ``(1 - delta)``-quantile over
networks is compared with the certified bound.  Superposed inputs (``W = Ŵ F``) are
simulated with random unit features in ``R^{d0}``.

What this does not establish: the readoff moments are checked at the sampled sizes only;
the quantile's standard error is the distribution-free order-statistic estimate
(``(x_(k+) - x_(k-)) / 2`` with ``k± = n q ± sqrt(n q (1-q))``), asymptotic in the
number of networks.
"""
from __future__ import annotations

import math

import numpy as np

from superpose.derive.quantity import BadInput, Param, get_quantity
from superpose.verify.check import Measurement
from superpose.verify.rng import stream
from superpose.verify.stats import Estimate, clustered_mean, from_cluster_sums

NAME = "uand-sparse"

PARAMS = (
    Param("d", int, 512, lo=1, hi=100_000, doc="neurons"),
    Param("m", int, 64, lo=2, hi=2_000, doc="inputs"),
    Param("p", float, 0.25, lo=0.0, hi=1.0, doc="Bernoulli density, in (0, 1]"),
    Param("l", int, 4, lo=2, hi=64, doc="active inputs (and active features)"),
    Param("n_inputs", int, 8, lo=1, hi=1_000, doc="inputs per network"),
    Param("delta", float, 0.1, lo=0.0, hi=1.0, doc="quantile level 1 - delta of eps(W, X)"),
    Param("d0", int, 64, lo=2, hi=4_096, doc="feature dimension (superposition part)"),
    Param("m_sup", int, 256, lo=2, hi=20_000, doc="features (superposition part)"),
    Param("p_sup", float, 0.1, lo=0.0, hi=1.0, doc="wiring density (superposition part)"),
)
DEFAULT_TRIALS = 200
MIN_EVENTS = 10  # probability checks with fewer events are skipped (nothing to test)


def constraint(v: dict) -> str | None:
    for k in ("p", "p_sup"):
        if not 0 < v[k] <= 1:
            return f"{k} must be in (0, 1], got {v[k]}"
    if not 0 < v["delta"] < 1:
        return f"delta must be in (0, 1), got {v['delta']}"
    if v["l"] > v["m"] or v["l"] > v["m_sup"]:
        return f"l = {v['l']} active inputs exceeds m = {v['m']} or m_sup = {v['m_sup']}"
    if v["d"] * v["m"] * v["m"] > 5 * 10**8:
        return "d * m^2 too large for the dense readoff (max 5e8)"
    return None


SCALES = {
    "smoke": [(dict(d=128, m=24, p=0.3, l=3, n_inputs=4, m_sup=128, d0=32, p_sup=0.15), 40)],
    "quick": [
        (dict(d=512, m=64, p=0.25, l=4, n_inputs=8), 200),
        (dict(d=512, m=128, p=0.135, l=3, n_inputs=2, d0=32, m_sup=64, p_sup=0.2), 100),
        (dict(d=64, m=64, p=0.2, l=3, n_inputs=2, d0=32, m_sup=64, p_sup=0.2), 100),
    ],
    "paper": [
        (dict(d=2048, m=128, p=0.15, l=4, n_inputs=16, d0=128, m_sup=1024, p_sup=0.05), 400),
        (dict(d=512, m=128, p=0.13, l=5, n_inputs=8), 1000),
    ],
}


#: Seconds per multiply-add of the float32 readoff products and per element of the pair
#: arrays (measured, bench/cost_calibration.py).
SEC_FLOP, SEC_PAIR = 4e-10, 8e-9
COST_SIZE = ("d", "m", "m_sup")


def estimate_cost(p: dict, trials: int):
    """Peak memory and time (superpose.verify.cost).  Memory: per network the (n_inputs, m, m)
    readoff, error and case arrays with their pair gathers, the int64 pair indices, W (d x m),
    the bitset intersections of the empty-pair networks (m^2 d / 8 bytes) and the
    superposition part's W-hat (d x m_sup) and features."""
    from superpose.verify.cost import F8, cost

    d, m, nx, d0, ms = p["d"], p["m"], p["n_inputs"], p["d0"], p["m_sup"]
    mm = m * m
    readoff = F8 * nx * mm * 5 + 16 * mm + F8 * mm * 4
    net = 3 * F8 * d * m
    empty = mm * (-(-d // 64)) * 8 * 2
    sup = F8 * (2 * d * ms + 2 * ms * d0 + 4 * d)
    mem = max(readoff + net, empty, sup)
    pub = math.log(m) ** 2 / math.sqrt(d) <= 1
    per_net = SEC_FLOP * nx * d * mm * p["p"] + SEC_PAIR * nx * mm + 2e-9 * d * m
    secs = trials * (per_net * (2 if pub else 1) + 8 * nx * (2e-9 * d * ms + 2e-9 * ms * d0)
                     + 1e-9 * d * ms)
    return cost(mem, secs)


# ------------------------------------------------------------------ the network


def build(d: int, m: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """W (d x m), iid Bernoulli(p), as float64."""
    return (rng.random((d, m)) < p).astype(float)


def sample_inputs(m: int, l: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """n inputs with exactly l of m active: X (m x n) in {0, 1}."""
    X = np.zeros((m, n))
    for b in range(n):
        X[rng.choice(m, size=l, replace=False), b] = 1.0
    return X


def forward(W: np.ndarray, X: np.ndarray) -> np.ndarray:
    """a = ReLU(W X - 1): (d x n)."""
    return np.maximum(W @ X - 1.0, 0.0)


def readoffs(W: np.ndarray, a: np.ndarray, C: np.ndarray) -> np.ndarray:
    """readoff[b, i, j] = sum_k W_ki W_kj a_kb / C_ij (nan where C_ij = 0): (n x m x m).

    The sums are over integers below 2^24 (0/1 weights, integer activations), so float32
    matrix products are exact and much faster; only neurons that fire contribute.
    """
    out = np.empty((a.shape[1],) + C.shape)
    for b in range(a.shape[1]):
        on = a[:, b] > 0
        Wa = W[on].astype(np.float32)
        out[b] = Wa.T @ (a[on, b:b + 1].astype(np.float32) * Wa)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(C > 0, out / np.where(C > 0, C, 1.0), np.nan)


def network_errors(W, X):
    """Per network: pair cases (n x m x m, values 0/1/2), readoffs and errors vs AND."""
    W32 = W.astype(np.float32)
    C = (W32.T @ W32).astype(float)                  # |S_i ∩ S_j|, exact (integers)
    R = readoffs(W, forward(W, X), C)
    case = X.T[:, :, None] + X.T[:, None, :]        # number of i, j active
    target = (case == 2).astype(float)
    return C, case, R, R - target


def quantile_estimate(values, q: float) -> Estimate:
    """Empirical q-quantile with the order-statistic SE (see module docstring)."""
    x = np.sort(np.asarray(values, float))
    n = x.size
    k = min(n - 1, max(0, math.ceil(q * n) - 1))
    h = math.sqrt(n * q * (1 - q))
    lo = min(n - 1, max(0, math.floor(q * n - h) - 1))
    hi = min(n - 1, max(0, math.ceil(q * n + h) - 1))
    return Estimate(float(x[k]), float(x[hi] - x[lo]) / 2, n, n)


def pair_sums(W: np.ndarray, X: np.ndarray) -> dict:
    """One network ``W`` read with the inputs ``X`` (m x n), over the pairs ``i < j``.

    Returns ``"sums"``: per case (2, 1, 0 of the pair active) the sum of the readoffs, the sum
    of their squared errors and their number, over the pairs with ``S_i ∩ S_j`` non-empty;
    ``"intersections"``: ``|S_i ∩ S_j|`` per pair; ``"eps"``: ``eps(W, X)``, the largest
    absolute error over the pairs and inputs (1 when some intersection is empty)."""
    iu = np.triu_indices(W.shape[1], 1)
    C, case, R, E = network_errors(W, X)
    c = C[iu]
    Rp, Ep, Kp = R[:, iu[0], iu[1]], E[:, iu[0], iu[1]], case[:, iu[0], iu[1]]
    ok = ~np.isnan(Rp)
    sums = {}
    for cs in (2, 1, 0):
        sel = ok & (Kp == cs)
        sums[cs] = (Rp[sel].sum(), (Ep[sel] ** 2).sum(), sel.sum())
    eps = 1.0 if np.any(c == 0) else float(np.max(np.abs(Ep)))
    return {"sums": sums, "intersections": c, "eps": eps}


def readoff_rms(d: int, m: int, p: float, l: int, n_inputs: int, networks: int,
                rng: np.random.Generator, delta: float = 0.1):
    """RMS readoff error per case and the ``(1 - delta)``-quantile of ``eps(W, X)``.

    ``networks`` networks ``build(d, m, p)``, each read with ``n_inputs`` fresh ``l``-hot
    inputs (:func:`pair_sums`).  Returns ``({2: rms, 1: rms, 0: rms}, quantile)``: the RMS
    errors given a non-empty intersection (SE clustered by network; ``None`` for a case no
    pair fell in) and :func:`quantile_estimate` of the per-network worst case.  The report's
    ``uand_sparse_error`` and ``uand_sparse_compare`` figures plot these."""
    sums = {c: np.zeros((networks, 2)) for c in (2, 1, 0)}
    eps = []
    for g in range(networks):
        W = build(d, m, p, rng)
        r = pair_sums(W, sample_inputs(m, l, n_inputs, rng))
        for c in sums:
            sums[c][g] = r["sums"][c][1:]
        eps.append(r["eps"])
    rms = {c: from_cluster_sums(a[:, 0], a[:, 1]).sqrt() if a[:, 1].sum() else None
           for c, a in sums.items()}
    return rms, quantile_estimate(eps, 1 - delta)


def superposed_network(d: int, d0: int, m: int, p: float, rng: np.random.Generator):
    """Inputs in superposition: ``m`` random unit features ``F`` (m x d0) and the Bernoulli(p)
    wiring ``Ŵ`` (d x m) of ``W = Ŵ F``."""
    F = rng.standard_normal((m, d0))
    F /= np.linalg.norm(F, axis=1, keepdims=True)       # (m x d0), unit rows
    What = (rng.random((d, m)) < p).astype(float)       # (d x m)
    return F, What


def interference(F: np.ndarray, What: np.ndarray, I: np.ndarray):
    """Active features ``I``: per neuron the interference ``eta`` (its pre-activation plus 1
    minus its active wired count, ``(Ŵ F) x - j``) and the active wired count ``j``."""
    x = F[I].sum(axis=0)                                # (d0,)
    j = What[:, I].sum(axis=1)
    return What @ (F @ x) - j, j


def misfire_fraction(d: int, d0: int, m: int, p: float, l: int, networks: int, inputs: int,
                     rng: np.random.Generator) -> Estimate:
    """Fraction of idle neurons (no active wired feature) that misfire (``eta > 1``) with
    inputs in superposition (:func:`superposed_network`), ``inputs`` inputs of ``l`` active
    features per network, SE clustered by network.  The report's ``uand_sparse_misfire``
    figure plots it."""
    acc = np.zeros((networks, 2))
    for g in range(networks):
        F, What = superposed_network(d, d0, m, p, rng)
        for _ in range(inputs):
            eta, j = interference(F, What, rng.choice(m, size=l, replace=False))
            idle = j == 0
            acc[g] += (np.sum(eta[idle] > 1.0), idle.sum())
    return from_cluster_sums(acc[:, 0], acc[:, 1])


# ---------------------------------------------------------------- measurements


def _readoff_part(v, trials, seed, progress):
    d, m, p, l, nx = v["d"], v["m"], v["p"], v["l"], v["n_inputs"]
    rng = stream(seed, NAME, "readoff", d, m, p, l, nx)
    sums = {c: np.zeros((trials, 3)) for c in (2, 1, 0)}    # [sum readoff, sum err^2, count]
    isect, empty_frac, any_empty, eps = [], [], [], []
    for g in range(trials):
        W = build(d, m, p, rng)
        X = sample_inputs(m, l, nx, rng)
        r = pair_sums(W, X)
        c = r["intersections"]
        isect.append(c.mean())
        empty_frac.append(np.mean(c == 0))
        any_empty.append(float(np.any(c == 0)))
        for cs in (2, 1, 0):
            sums[cs][g] = r["sums"][cs]
        eps.append(r["eps"])
        if progress and (g + 1) % max(1, trials // 4) == 0:
            progress(f"{NAME}: readoff networks {g + 1}/{trials}")
    return sums, np.array(isect), np.array(empty_frac), np.array(any_empty), np.array(eps)


def empty_pairs(d, m, p, networks, rng):
    """Per network: fraction of pairs with S_i ∩ S_j empty, and whether any is.

    Only W matters here, so many networks are cheap: each column S_i is packed into a
    bitset and a pair is empty iff the AND of its two bitsets is zero.  Returns two
    (networks,) arrays.
    """
    iu = np.triu_indices(m, 1)
    words = -(-d // 64)
    frac, anyv = np.empty(networks), np.empty(networks)
    for g in range(networks):
        bits_ = np.packbits(rng.random((d, m), dtype=np.float32) < p, axis=0)  # (ceil(d/8), m)
        pad = np.zeros((8 * words, m), np.uint8)
        pad[:bits_.shape[0]] = bits_
        S = np.ascontiguousarray(pad.T).view(np.uint64)                 # (m, words)
        shared = np.any(S[:, None, :] & S[None, :, :], axis=2)[iu]      # (pairs,)
        frac[g] = 1.0 - shared.mean()
        anyv[g] = float(not shared.all())
    return frac, anyv


EMPTY_NETWORKS = 40     # extra W-only networks per readoff network, when empties are seen
EMPTY_WORK = 3 * 10**9  # cap on d (mp)^2 summed over the extra networks


def _epsilon_at(v, pv, trials, seed):
    """eps(W, X) for ``trials`` networks at density ``pv``."""
    d, m, l, nx = v["d"], v["m"], v["l"], v["n_inputs"]
    rng = stream(seed, NAME, "eps", d, m, pv, l, nx)
    out = []
    for _ in range(trials):
        W = build(d, m, pv, rng)
        C, _, _, E = network_errors(W, sample_inputs(m, l, nx, rng))
        out.append(1.0 if np.any(C[np.triu_indices(m, 1)] == 0) else float(np.nanmax(np.abs(E))))
    return np.array(out)


def _superposition_part(v, trials, seed, progress):
    """Idle-neuron interference with W = Ŵ F (random unit features in R^{d0})."""
    d, d0, ms, ps, l, nx = v["d"], v["d0"], v["m_sup"], v["p_sup"], v["l"], v["n_inputs"]
    rng = stream(seed, NAME, "superposition", d, d0, ms, ps, l, nx)
    nstar = max(1, round(ms * ps))
    acc = {k: np.zeros((trials, 2)) for k in ("ms", "g0", "g1", "m4", "mis")}
    for g in range(trials):
        F, What = superposed_network(d, d0, ms, ps, rng)  # (m_sup x d0), (d x m_sup)
        nk = What.sum(axis=1)
        for _ in range(8 * nx):  # inputs are cheap here: 8 per readoff input
            eta, jk = interference(F, What, rng.choice(ms, size=l, replace=False))
            acc["ms"][g] += (np.sum(eta**2), d)
            for key, jj in (("g0", 0), ("g1", 1)):
                s = (nk == nstar) & (jk == jj)
                acc[key][g] += (np.sum(eta[s] ** 2), s.sum())
            s = (nk == nstar) & (jk == 0)
            acc["m4"][g] += (np.sum(eta[s] ** 4), s.sum())
            acc["mis"][g] += (np.sum(eta[s] > 1.0), s.sum())
        if progress and (g + 1) % max(1, trials // 4) == 0:
            progress(f"{NAME}: superposition networks {g + 1}/{trials}")
    return nstar, {k: from_cluster_sums(a[:, 0], a[:, 1]) for k, a in acc.items()}


def _prob(x: np.ndarray, q: str, params: dict, label: dict | None = None) -> Measurement:
    est = clustered_mean(x)
    events = int(round(x.sum())) if x.max(initial=0) <= 1 else int(np.sum(x > 0))
    skip = "" if MIN_EVENTS <= events <= x.size - MIN_EVENTS else \
        f"only {events} events in {x.size} networks: nothing to test"
    return Measurement(f"{NAME}.{q}", params, est, label=label or {}, skip=skip)


def measure(params: dict, *, trials: int, seed: int, progress=None) -> list[Measurement]:
    v = params
    d, m, p, l = v["d"], v["m"], v["p"], v["l"]
    out: list[Measurement] = []
    sums, isect, empty_frac, any_empty, eps = _readoff_part(v, trials, seed, progress)
    out.append(Measurement(f"{NAME}.intersection_mean", dict(d=d, p=p), clustered_mean(isect),
                           label=dict(m=m)))
    # empty intersections only need W: many more (cheap) networks than the readoff part,
    # spent only where the readoff networks saw empty pairs (else there is nothing to resolve)
    extra = 0
    if empty_frac.sum() > 0:
        extra = int(min(EMPTY_NETWORKS * trials, EMPTY_WORK // max(1.0, d * (m * p) ** 2)))
    if extra:
        f2, a2 = empty_pairs(d, m, p, extra, stream(seed, NAME, "empty", d, m, p))
        empty_frac = np.concatenate([empty_frac, f2])
        any_empty = np.concatenate([any_empty, a2])
    pe = Measurement(f"{NAME}.p_empty", dict(d=d, p=p), clustered_mean(empty_frac), label=dict(m=m))
    n_empty = float(np.sum(empty_frac)) * m * (m - 1) / 2
    if n_empty < MIN_EVENTS:
        pe = Measurement(pe.quantity, pe.params, pe.estimate, label=pe.label,
                         skip=f"only {n_empty:.0f} empty pairs seen: nothing to test")
    out.append(pe)
    for q in ("p_any_empty_union", "p_any_empty_poisson", "p_any_empty_cs_upper",
              "p_any_empty_cs_lower"):
        meas = _prob(any_empty, q, dict(d=d, m=m, p=p))
        try:   # the Poisson approximation is only claimed where Chen-Stein certifies it
            get_quantity(meas.quantity).bind(meas.params)
        except BadInput as exc:   # judge() would evaluate it anyway: leave the check out
            if progress:
                progress(f"{NAME}: no Poisson check here ({exc})")
            continue
        out.append(meas)
    names = {2: "both", 1: "one", 0: "none"}
    for cs, name in names.items():
        s = sums[cs]
        if name == "none" and l > m - 2 or s[:, 2].sum() == 0:
            continue
        out.append(Measurement(f"{NAME}.mean_{name}", dict(d=d, p=p, l=l),
                               from_cluster_sums(s[:, 0], s[:, 2]), label=dict(m=m)))
        out.append(Measurement(f"{NAME}.mse_{name}", dict(d=d, p=p, l=l),
                               from_cluster_sums(s[:, 1], s[:, 2]), label=dict(m=m)))
    wc = dict(d=d, m=m, p=p, l=l, delta=v["delta"], n_inputs=v["n_inputs"])
    out.append(Measurement(f"{NAME}.epsilon_bound", wc, quantile_estimate(eps, 1 - v["delta"]),
                           note=r"$(1-\delta)$-quantile over networks of the maximum error"))
    p_pub = math.log(m) ** 2 / math.sqrt(d)
    if p_pub <= 1:
        e_pub = quantile_estimate(_epsilon_at(v, p_pub, trials, seed), 1 - v["delta"])
        out.append(Measurement(f"{NAME}.epsilon_published", dict(m=m), e_pub,
                               label=dict(d=d, l=l, p=round(p_pub, 6), delta=v["delta"]),
                               note=r"measured at the source's density $p=\log^2m/\sqrt d$"))
    else:
        out.append(Measurement(f"{NAME}.epsilon_published", dict(m=m), Estimate(math.nan, 0, 0, 0),
                               label=dict(d=d), skip=r"the source's density $p=\log^2m/\sqrt d="
                               f"{p_pub:.3g}>1$ is not a probability at $d={d}$, $m={m}$"))
    if progress:
        progress(f"{NAME}: superposition part")
    nstar, est = _superposition_part(v, trials, seed, progress)
    d0, ms, ps = v["d0"], v["m_sup"], v["p_sup"]
    out.append(Measurement(f"{NAME}.interference_ms", dict(d0=d0, m=ms, p=ps, l=l), est["ms"],
                           label=dict(d=d)))
    for key, jj in (("g0", 0), ("g1", 1)):
        if est[key].n >= 50 and jj <= l:
            out.append(Measurement(f"{NAME}.interference_ms_given", dict(d0=d0, l=l, n=nstar, j=jj),
                                   est[key], label=dict(m=ms, p=ps)))
    if est["m4"].n >= 50:
        out.append(Measurement(f"{NAME}.interference_m4_idle", dict(d0=d0, l=l, n=nstar),
                               est["m4"], label=dict(m=ms, p=ps)))
        out.append(Measurement(f"{NAME}.misfire_prob", dict(d0=d0, l=l, n=nstar), est["mis"],
                               label=dict(m=ms, p=ps)))
    return out
