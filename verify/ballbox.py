"""Monte Carlo checks of threshold gates on a stored Gaussian code (``derive/ballbox.py``).

Two simulations, both written from the construction, never from an error term:

* **the real network**: a dictionary ``E`` (``d x m``, columns iid ``N(0, I/d)``), a uniform
  random ``k``-subset ``S``, the stored vector ``u = sum_S e_i``, the feature reads ``r = E^T u``
  and every pairwise AND gate ``r_i + r_j > θ`` (all ``C(m, 2)`` pairs, brute force).  A *trial*
  is one dictionary draw, read with ``INPUTS = 4`` fresh random subsets ``S`` (every SE is
  clustered by dictionary, ``n_networks = trials``).  Measured: the read moments, the one-gate
  error frequencies by kind of pair, the
  number of wrong gates, the law of the largest inactive read, ``P(no wrong gate)``.
* **the exact sampler** (:func:`sample_no_error`): per draw ``H ~ chi2_d/d``, the ``k`` active
  reads ``H + σ(Z_i - Zbar)``, and only the two largest of the ``n = m - k`` inactive reads
  ``σ W_(1) >= σ W_(2)``, drawn by sequential order statistics in log space (Rényi: with
  ``T_j = -ln Φ(W_j)`` iid Exp(1), ``T_(1) = E_1/n``, ``T_(2) = T_(1) + E_2/(n-1)``, and
  ``W = Φbar^{-1}(1 - e^{-T})`` evaluated from ``ln T`` with ``ndtri_exp``), O(k) per draw
  whatever ``m``.  It is the read law applied to the no-error event, so it is checked against
  the brute-force network (``ballbox.sampler_gap_no_error``, a two-sample difference whose
  hand-written mutants say the test sees a sampler off by 0.05) and, at the window sizes,
  through the exact law of the largest inactive read.

Window checks: the sampler at the critical-window centres (``x = 0``; the width is rounded to
an integer and the check reports the ``x`` that integer width corresponds to) against
``ballbox.window_limit_midpoint`` / ``_halfslack`` (asymptotic, tolerance declared in the
derive module before measuring).  The expected number of wrong gates at the same point is
attached to the check as a note (the ball-versus-box gap: it is astronomically large while
``P(no error)`` is about 1/3).

What this does not establish: other gate families (THR, OR, MAJ), adversarial supports, or
finite-size accuracy of the window limits away from the checked ``(k, m)``.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtri_exp

from superpose.derive import ballbox as B
from superpose.derive.quantity import Param, get_quantity
from superpose.verify.check import Measurement
from superpose.verify.protocol import Cost
from superpose.verify.rng import stream
from superpose.verify.stats import Estimate, from_cluster_sums

NAME = "ballbox"
BATCH = 500           # networks per vectorised batch
INPUTS = 4            # stored vectors (fresh active subsets) read per dictionary draw
SAMPLER_BATCH = 5000  # sampler draws per batch

PARAMS = (
    Param("d", int, 16, lo=2, hi=4096, doc="width of the real network (read law, gate errors)"),
    Param("k", int, 4, lo=2, hi=64, doc="active features of the real network"),
    Param("m_exp", float, 2.5, lo=1.0, hi=6.0,
          doc="m = k^m_exp features of the real network (an integer, at most 4096)"),
    Param("d_box", int, 128, lo=2, hi=8192,
          doc="width at which P(no wrong gate) of the network is compared with the sampler"),
    Param("k_win", int, 1024, lo=3, hi=4096, doc="active features at the window checks"),
    Param("m_exp_win", float, 16.0, lo=1.5, hi=400.0, doc="m = k_win^m_exp_win at the window"),
    Param("draws", int, 60000, lo=100, hi=10**8, doc="sampler draws per window check"),
)
DEFAULT_TRIALS = 12000

SCALES = {
    "smoke": [(dict(d=16, k=4, m_exp=2.5, d_box=128, k_win=64, m_exp_win=4.0, draws=2000), 600)],
    "quick": [(dict(d=16, k=4, m_exp=2.5, d_box=128, k_win=1024, m_exp_win=16.0, draws=20000),
               4000)],
    "paper": [(dict(d=16, k=4, m_exp=2.5, d_box=128, k_win=1024, m_exp_win=16.0, draws=400000),
               40000),
              (dict(d=40, k=8, m_exp=2.0, d_box=256, k_win=1024, m_exp_win=64.0, draws=200000),
               20000)],
}


def _m(k: int, m_exp: float) -> int:
    m = round(k ** m_exp)
    return m


def constraint(v: dict) -> str | None:
    m = k_ = None
    k_ = v["k"]
    mf = k_ ** v["m_exp"]
    m = round(mf)
    if abs(mf - m) > 1e-6 * mf:
        return f"m = k^m_exp = {mf:.6g} must be an integer for the real network"
    if m - k_ < 2 or m > 4096:
        return f"the real network needs k + 2 <= m <= 4096 (m = {m})"
    if v["k_win"] ** min(v["m_exp_win"], 60.0) - v["k_win"] < 2:
        return "the window needs m - k >= 2"
    return None


def estimate_cost(v: dict, trials: int) -> Cost:
    m = _m(v["k"], v["m_exp"])
    mem = 8.0 * BATCH * (v["d"] * m + m * m) + 8.0 * SAMPLER_BATCH * v["k_win"] * 2
    sec = 2e-8 * trials * (v["d"] + v["d_box"]) * m + 3e-8 * trials * m * m \
        + 1.2e-7 * v["draws"] * v["k_win"]
    return Cost(mem, sec)


# ------------------------------------------------------------------ the real network

def network(d: int, k: int, m: int, batch: int, rng: np.random.Generator, inputs: int = 1):
    """``batch`` independent dictionaries, each read with ``inputs`` fresh random subsets:
    reads ``r = E^T u`` (batch, inputs, m) and the active masks (same shape)."""
    E = rng.standard_normal((batch, d, m)) / math.sqrt(d)
    order = np.argsort(rng.random((batch, inputs, m)), axis=2)
    active = np.zeros((batch, inputs, m), bool)
    np.put_along_axis(active, order[:, :, :k], True, axis=2)
    u = np.einsum("bdm,bsm->bsd", E, active.astype(float))        # stored vectors
    r = np.einsum("bdm,bsd->bsm", E, u)                           # r_j = <e_j, u>
    return r, active


def gates(r: np.ndarray, active: np.ndarray, theta: float):
    """Every pairwise AND gate ``r_i + r_j > θ`` (i < j) against its target: wrong-gate counts
    by kind of pair, (..., 3) for (both active, one active, none active)."""
    m = r.shape[-1]
    iu = np.triu_indices(m, 1)
    fire = (r[..., :, None] + r[..., None, :])[..., iu[0], iu[1]] > theta
    na = active[..., iu[0]].astype(int) + active[..., iu[1]]
    wrong = fire != (na == 2)
    return np.stack([np.sum(wrong & (na == c), axis=-1) for c in (2, 1, 0)], axis=-1)


# ------------------------------------------------------------------- the exact sampler

def _log_sf_from_log_t(log_t: np.ndarray) -> np.ndarray:
    """``ln(1 - e^{-T})`` from ``ln T`` without underflow (``-T/2`` series below 1e-5)."""
    t = np.exp(np.minimum(log_t, 700.0))
    small = log_t < math.log(1e-5)
    out = np.empty_like(log_t)
    out[small] = log_t[small] + np.log1p(-t[small] / 2)
    out[~small] = np.log(-np.expm1(-t[~small]))
    return out


def top_two_inactive(log_n: float, size: int, rng: np.random.Generator):
    """The two largest of ``n = e^{log_n}`` iid N(0,1), exactly, in O(1) per draw."""
    e1 = rng.standard_exponential(size)
    e2 = rng.standard_exponential(size)
    # T_(1) = E1/n, T_(2) = E1/n + E2/(n-1) = (E1 + E2 n/(n-1))/n
    ratio = -math.log1p(-math.exp(-log_n))          # ln(n/(n-1))
    lt1 = np.log(e1) - log_n
    lt2 = np.log(e1 + e2 * math.exp(ratio)) - log_n
    return -ndtri_exp(_log_sf_from_log_t(lt1)), -ndtri_exp(_log_sf_from_log_t(lt2))


def sample_reads(d: float, k: int, log_n: float, size: int, rng: np.random.Generator):
    """``(H, sigma, max D, two smallest D summed, W_(1), W_(2))`` for ``size`` draws."""
    h = rng.gamma(d / 2, 2 / d, size=size)
    sig = np.sqrt(k * h / d)
    z = rng.standard_normal((size, k))
    z -= z.mean(axis=1, keepdims=True)
    dmax = z.max(axis=1)
    rows = np.arange(size)
    j = z.argmin(axis=1)
    lo1 = z[rows, j]
    z[rows, j] = np.inf
    lo2 = z.min(axis=1)
    w1, w2 = top_two_inactive(log_n, size, rng)
    return h, sig, dmax, lo1 + lo2, w1, w2


def no_error_events(reads, theta) -> dict[str, np.ndarray]:
    """The three no-error events (module docstring of derive/ballbox.py) and their meet."""
    h, sig, dmax, lo2, w1, w2 = reads
    ev = {"mixed": h + sig * (dmax + w1) <= theta,
          "active": 2 * h + sig * lo2 > theta,
          "inactive": sig * (w1 + w2) <= theta}
    ev["all"] = ev["mixed"] & ev["active"] & ev["inactive"]
    return ev


def sample_no_error(d, k, log_n, thetas, draws, rng, extra=None):
    """Per-draw indicators of the no-error event at each bias in ``thetas`` (and of ``extra``:
    a function of the reads giving more boolean arrays): an array (draws, columns)."""
    parts = []
    done = 0
    while done < draws:
        b = min(SAMPLER_BATCH, draws - done)
        reads = sample_reads(d, k, log_n, b, rng)
        cols = [no_error_events(reads, th)["all"] for th in thetas]
        if extra is not None:
            cols += list(extra(reads))
        parts.append(np.stack(cols, axis=1).astype(float))
        done += b
    return np.concatenate(parts)


def _est(rows, col) -> Estimate:
    """Mean of one column; every sampler draw is independent (its own cluster)."""
    return from_cluster_sums(rows[:, col], np.ones(len(rows)))


def window_no_error(k: int, m_exp: float, which: str, x: float, draws: int,
                    seed: int) -> Estimate:
    """P(no wrong gate) by the exact sampler at window coordinate ``x`` of the critical window
    (``which``: ``"midpoint"`` bias 3/2 or ``"halfslack"`` bias), ``m = k^m_exp``.

    The width ``ballbox.window_width_<which>`` at ``x`` is rounded to an integer ``d >= 2``
    (the half-slack bias is the one of that integer width); ``draws`` independent sampler
    draws (:func:`sample_no_error`) on the stream ``("ballbox", "figure", which, k, m_exp, d)``.
    The report's ``ballbox_window`` figure plots these."""
    wp = dict(k=k, m_exp=m_exp, x=x)
    d = max(2, round(get_quantity(f"{NAME}.window_width_{which}").evaluate(wp)))
    theta = 1.5 if which == "midpoint" else B.bias_halfslack(k, m_exp, d)
    rng = stream(seed, NAME, "figure", which, k, m_exp, d)
    rows = sample_no_error(d, k, B.log_n(k, m_exp), (theta,), draws, rng)
    return _est(rows, 0)


# ------------------------------------------------------------------------------ measure

def _network_part(p, trials, seed, progress):
    d, k, me, dbox = p["d"], p["k"], p["m_exp"], p["d_box"]
    m = _m(k, me)
    n = m - k
    t_level = math.sqrt(k / d) * math.sqrt(2 * math.log(n))   # a test point, not a prediction
    rng = stream(seed, NAME, "network", d, k, m)
    cols = ("act", "act_n", "act_sq", "act_pair", "act_pair_n", "in_sq", "in_n", "in_four",
            "in_prod", "in_prod_n", "w11", "n11", "w10", "n10", "w00", "n00", "wrong", "maxin")
    acc = np.zeros((trials, len(cols)))
    done = 0
    while done < trials:
        b = min(BATCH, trials - done)
        r, act = network(d, k, m, b, rng, INPUTS)
        ra = np.where(act, r - 1.0, 0.0)
        ri = np.where(act, 0.0, r)
        s1 = ra.sum(-1)
        s2 = (ra**2).sum(-1)
        q2 = (ri**2).sum(-1)
        q4 = (ri**4).sum(-1)
        wr = gates(r, act, 1.5).sum(1)                     # (b, 3), summed over the inputs
        blk = acc[done:done + b]
        blk[:, 0] = np.where(act, r, 0.0).sum((1, 2))
        blk[:, 1] = k * INPUTS
        blk[:, 2] = s2.sum(1)
        blk[:, 3] = (s1**2).sum(1)                         # (sum_S r_i - k)^2
        blk[:, 4] = INPUTS
        blk[:, 5] = q2.sum(1)
        blk[:, 6] = n * INPUTS
        blk[:, 7] = q4.sum(1)
        blk[:, 8] = (q2**2 - q4).sum(1)
        blk[:, 9] = n * (n - 1) * INPUTS
        blk[:, 10], blk[:, 11] = wr[:, 0], k * (k - 1) / 2 * INPUTS
        blk[:, 12], blk[:, 13] = wr[:, 1], k * n * INPUTS
        blk[:, 14], blk[:, 15] = wr[:, 2], n * (n - 1) / 2 * INPUTS
        blk[:, 16] = wr.sum(1)
        blk[:, 17] = (np.max(np.where(act, -np.inf, r), axis=-1) <= t_level).sum(1)
        done += b
    if progress:
        progress(f"{NAME}: {trials} networks (d={d}, k={k}, m={m})")
    c = {x: acc[:, i] for i, x in enumerate(cols)}
    one = np.full(trials, float(INPUTS))
    dk = dict(d=d, k=k)
    lab = dict(m=m)
    out = [
        Measurement(f"{NAME}.read_mean_active", dict(k=k), from_cluster_sums(c["act"], c["act_n"]),
                    label=dict(d=d, m=m)),
        Measurement(f"{NAME}.read_ms_active", dk, from_cluster_sums(c["act_sq"], c["act_n"]),
                    label=lab),
        Measurement(f"{NAME}.read_sum_active_ms", dk,
                    from_cluster_sums(c["act_pair"], c["act_pair_n"]), label=lab),
        Measurement(f"{NAME}.read_ms_inactive", dk, from_cluster_sums(c["in_sq"], c["in_n"]),
                    label=lab),
        Measurement(f"{NAME}.read_fourth_inactive", dk, from_cluster_sums(c["in_four"], c["in_n"]),
                    label=lab),
        Measurement(f"{NAME}.read_sq_prod_inactive", dk,
                    from_cluster_sums(c["in_prod"], c["in_prod_n"]), label=lab),
        Measurement(f"{NAME}.gate_error_both_active", dict(d=d, k=k, theta=1.5),
                    from_cluster_sums(c["w11"], c["n11"]), label=lab),
        Measurement(f"{NAME}.gate_error_mixed", dict(d=d, k=k, theta=1.5),
                    from_cluster_sums(c["w10"], c["n10"]), label=lab),
        Measurement(f"{NAME}.gate_error_both_inactive", dict(d=d, k=k, theta=1.5),
                    from_cluster_sums(c["w00"], c["n00"]), label=lab),
        Measurement(f"{NAME}.expected_errors", dict(d=d, k=k, m_exp=me, theta=1.5),
                    from_cluster_sums(c["wrong"], one), label=lab),
        Measurement(f"{NAME}.max_inactive_cdf", dict(d=d, k=k, m_exp=me, t=round(t_level, 12)),
                    from_cluster_sums(c["maxin"], one), label=lab),
    ]
    # P(no wrong gate): brute force on the network against the sampler, at two biases
    thetas = (1.5, round(B.bias_halfslack(k, me, dbox), 12))
    rng = stream(seed, NAME, "network-box", dbox, k, m)
    ok = np.zeros((trials, 2))
    done = 0
    while done < trials:
        b = min(BATCH, trials - done)
        r, act = network(dbox, k, m, b, rng, INPUTS)
        for j, th in enumerate(thetas):
            ok[done:done + b, j] = (gates(r, act, th).sum(-1) == 0).sum(1)
        done += b
    rng = stream(seed, NAME, "sampler-box", dbox, k, m)
    rows = sample_no_error(dbox, k, math.log(n), thetas, 4 * INPUTS * trials, rng)
    for j, th in enumerate(thetas):
        net = from_cluster_sums(ok[:, j], one)
        smp = _est(rows, j)
        gap = Estimate(net.value - smp.value, math.hypot(net.se, smp.se), net.n + smp.n,
                       net.n_networks)
        out.append(Measurement(
            f"{NAME}.sampler_gap_no_error", dict(d=dbox, k=k, m_exp=me, theta=th), gap,
            label=dict(m=m),
            note=f"probability of no wrong gate: network ${net.value:.4f}\\pm{net.se:.4f}$ "
                 f"({net.n} inputs), sampler ${smp.value:.4f}\\pm{smp.se:.4f}$ ({smp.n} draws)"))
    if progress:
        progress(f"{NAME}: no-error network vs sampler at d={dbox}")
    return out


def _window_part(p, seed, progress):
    k, me, draws = p["k_win"], p["m_exp_win"], p["draws"]
    ln = B.log_n(k, me)
    w_mid = get_quantity(f"{NAME}.window_width_midpoint")
    w_half = get_quantity(f"{NAME}.window_width_halfslack")
    wp = dict(k=k, m_exp=me)
    out = []
    for which, wq in (("midpoint", w_mid), ("halfslack", w_half)):
        d0 = wq.evaluate({**wp, "x": 0.0})
        d1 = wq.evaluate({**wp, "x": 1.0})
        d = max(2, round(d0))
        x_eff = round((d - d0) / (d1 - d0), 12)                    # x of the integer width
        theta = 1.5 if which == "midpoint" else \
            get_quantity(f"{NAME}.window_bias_halfslack").evaluate({**wp, "x": x_eff})
        t_level = round(math.sqrt(k / d) * -float(ndtri_exp(-ln)), 12)   # test point
        rng = stream(seed, NAME, "window", which, k, me, d)
        rows = sample_no_error(d, k, ln, (theta,), draws, rng,
                               extra=lambda rd: [rd[1] * rd[4] <= t_level])
        p_ok = _est(rows, 0)
        ee = get_quantity(f"{NAME}.expected_errors_{which}").evaluate({**wp, "x": x_eff})
        out.append(Measurement(
            f"{NAME}.window_limit_{which}", dict(k=k, m_exp=me, x=x_eff), p_ok,
            label=dict(d=d),
            note=f"width $d={d}$, bias {theta:.6f}; expected number of wrong gates there "
                 f"{ee:.3g} (ball), while the probability of no wrong gate is {p_ok.value:.3f} "
                 "(box)"))
        out.append(Measurement(
            f"{NAME}.max_inactive_cdf", dict(d=d, k=k, m_exp=me, t=t_level), _est(rows, 1),
            note=r"measured by the sampler's order statistics of the $m-k$ inactive reads"))
        if progress:
            progress(f"{NAME}: window {which}, k={k}, m=k^{me:g}, {draws} sampler draws")
    return out


def measure(params: dict, *, trials: int, seed: int, progress=None) -> list[Measurement]:
    return _network_part(params, trials, seed, progress) + _window_part(params, seed, progress)
