r"""CiS2 Monte Carlo checks on the real factored network (verify/cis2_engine.py).

Every error is measured from its *definition* on the built network; predictions come from
the registry (derive/cis2.py).  The Monte Carlo unit: a trial is one forward pass with a fresh
uniform active set of ``z`` circuits and fresh inputs; the network (allocation permutations and
circuit weights) is redrawn every ``K`` trials; SEs are clustered by network.

**Circuit family for the error recursion** (``family=0``, "isotropic"): ``w^l_t`` Haar-orthogonal
(``E w = 0``, ``w^T w = I``, so ``g = 1``), no bias, inputs ``a^0_v`` uniform on the unit sphere,
so :math:`\rho_l=\sigma_w^2=1`, :math:`|\mathbb E w\mathbf a|=|\mathbb E\mathbf a|=0` exactly (no
circuit statistic needs estimating).  This is CiS2's setting (zero-mean, uncorrelated weights).
The (H) gate is the RiS/CiS2 one: every neuron of an active circuit passes its pre-activation,
all others output 0 (composed here from the engine's ``preactivation``/``readout``: the engine's
``ideal`` mode gates per coordinate on ``a > 0``, which needs non-negative circuits).

**Isolation of the terms** (layer ``l``, same network, same pass):

* *overlap alone*: feed layer ``l`` the true activations of layer ``l-1`` (no carried error):
  :math:`P^{\rm iso}=\sum_{v\in\mathcal V}E^l_vw^l_v\mathbf a^{l-1}_v`, gate, read;
  :math:`\mathring\epsilon^l=\hat{\mathbf a}^{\rm iso}-\mathbf a^l`;
* *carried*: :math:`\delta^l-\mathring\epsilon^l` (the read-out of the gated error-only
  pre-activation, by linearity of the gate);
* *propagation*: active :math:`\tilde\epsilon^l_t=\text{carried}_t-w^l_t\delta^{l-1}_t` (own
  carried error removed); inactive: :math:`\tilde\epsilon^l_u=\text{carried}_u`.

``linear`` mode (no gate at all) runs on the same family.  The ReLU activation error
(``relu`` minus ``ideal`` read-outs, same network, same inputs) is measured on the engine's
zero-mean family (``d >= 4``) with the engine's own ``run`` (verdict ``info``).

**Capacity crossing** (``eps > 0``; :func:`capacity_crossing`): ``cis2.max_circuits`` claims
T* = max{T : A_L(T) <= eps^2 rho_L}.  The active MS at layer L relative to rho_L is measured
at T* and at ceil(1.3 T*) (ideal mode, isotropic family, ``CAP_TRIALS`` passes each); both are
judged as exact checks of ``cis2.total_ms_active`` (labels ``case=capacity``/``capacity_x1.3``),
and the crossing itself -- measured(T*) - Z SE <= eps^2 < measured(1.3 T*) - Z SE -- is stated
in their note (no registered quantity holds the threshold).  **Worst cases**
(:func:`worst_overlaps`, :func:`adversarial`): sup-norm overlap errors against the bounds
``cis2.worst_overlap_inactive``/``_active`` (figure reports/figures/cis2_worst.py).

**Edge sizes.**  ``z = T`` (no inactive circuit) and ``T = 1`` are valid: every check about
inactive circuits gets verdict ``skip`` ("no inactive circuits: z = T"), the pair statistics
skip at ``T = 1`` ("no circuit pairs"), linear-mode ratios skip where the allocation shares no
position (0/0); every other check runs.
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import numpy as np

from superpose.derive import cis2 as theory
from superpose.derive.cis2 import alloc as cis2_alloc
from superpose.derive.cis2 import designs
from superpose.derive.quantity import Param, get_quantity
from superpose.verify.cis2 import engine as eng
from superpose.verify.check import Z, Measurement, critical_value
from superpose.verify.rng import stream
from superpose.verify.stats import Estimate, clustered_mean, sample_max

NAME = "cis2"
#: D, d, S, T, z, L are the derive side's parameters (superpose.derive.cis2) with the ranges the
#: simulation supports: d >= 4 (the engine's zero-mean family), D, T <= 10^5, S <= 32, z <= 64,
#: 2 <= L <= 16 (memory, time); T defaults to 0 = "at capacity".
PARAMS = (
    dataclasses.replace(theory.PD, lo=8, hi=10**5, doc="network width"),
    dataclasses.replace(theory.Pd, lo=4, hi=64,
                        doc="circuit width (>= 4 for the engine's zero-mean family)"),
    dataclasses.replace(theory.PS, hi=32, doc="redundancy"),
    dataclasses.replace(theory.PT, default=0, lo=0, hi=10**5, doc="circuits; 0 = capacity T_max"),
    dataclasses.replace(theory.Pz, hi=64, doc="active circuits per pass"),
    dataclasses.replace(theory.PL, lo=2, hi=16, doc="layers"),
    Param("K", int, 16, lo=1, hi=10**4, doc="trials per network draw"),
    Param("eps", float, 0.0, lo=0.0, hi=10.0,
          doc="capacity crossing check at this eps (0 = off; see capacity_crossing)"),
    designs.PALLOC,
)
DEFAULT_TRIALS = 4800
OVL_EXTRA = 16  # extra isolated-overlap passes per trial (active overlap: few sources, noisy)
CAP_TRIALS = 1600  # passes per T of the capacity crossing check (~1.5 s at D = 1000)
CAP_MARGIN = 1.3   # the crossing's "above" point: ceil(CAP_MARGIN * T)
ROUNDOFF = 1e-24   # squared errors below this are float round-off (see _sq)
SCALES = {
    "smoke": [({"D": 240, "T": 0, "z": 2, "L": 3, "K": 4}, 40)],
    "quick": [({"D": 1000, "T": 0, "z": 2, "L": 4, "K": 16, "eps": 0.2}, 800),
              ({"D": 1000, "T": 300, "z": 3, "L": 4, "K": 16}, 320)]
    # allocations at one size where prime steps, PG(3, 5) lines and the greedy packing exist
    + [({"D": 624, "T": 180, "z": 2, "L": 4, "K": 16, "alloc": a}, 320)
       for a in ("prime", "projective", "greedy")],
    "paper": [({"D": D, "T": T, "z": z, "L": 4, "K": 16}, 3200)
              for D, T in ((1000, 557), (2000, 1000)) for z in (1, 2, 3, 4)],
}


def _alloc(p: dict) -> int:
    return designs.PALLOC.parse(p.get("alloc", 0))


def _akey(p: dict) -> tuple:
    """Random-stream key suffix: none for prime steps (the streams of the existing checks)."""
    return (designs.ALLOCS[_alloc(p)],) if _alloc(p) else ()


def _alabel(p: dict) -> dict:
    """The allocation as a check parameter / label: absent for prime steps (existing names)."""
    return {"alloc": designs.ALLOCS[_alloc(p)]} if _alloc(p) else {}


def constraint(p: dict) -> str | None:
    D, d, S = p["D"], p["d"], p["S"]
    msg = cis2_alloc.size_error(D, d, S, p["T"], p["z"], spare=0,   # z = T, T = 1 are valid
                                alloc=_alloc(p))
    if msg:
        return msg
    tmax = theory.capacity(D, d, S, _alloc(p))
    if p.get("eps"):
        ts = theory.max_circuits(D, d, S, p["z"], p["L"], p["eps"], 1.0, _alloc(p))
        if ts < p["z"] + 2 or math.ceil(CAP_MARGIN * ts) > tmax:
            return (f"capacity check at eps={p['eps']}: need z+2 <= T* and {CAP_MARGIN} T* <= "
                    f"T_max={tmax}, got T*={ts}")
    return None


#: Seconds per unit of :func:`estimate_cost`'s work (circuit-position-coordinate reads per
#: pass and layer; measured, bench/cost_calibration.py).
SEC_UNIT = 9e-9
COST_SIZE = ("D", "T", "K")


def estimate_cost(p: dict, trials: int):
    """Peak memory and time (superpose.verify.cost), T = 0 taken at capacity.

    Memory, the sum of: one network (circuit weights and the reduced tables, (L+1) T d^2
    floats each, plus the allocation and embeddings) with the per-pass error arrays of the
    ideal and linear passes (3 L K T d floats) and the OVL_EXTRA K extra passes ((B, D) floats,
    3 copies), all still referenced when the ReLU-error run starts; that run (two (L+1, n, T, d)
    read-outs, the (n, T, S, d) gather); the capacity crossing's networks at 1.3 T*.
    """
    from superpose.verify.cost import F8, cost

    D, d, S, z, L, K = (p[k] for k in ("D", "d", "S", "z", "L", "K"))
    tmax = ((cis2_alloc.capacity_sum(max(1, D // d), S) if not _alloc(p)   # any D (size search)
             else cis2_alloc.ceiling(max(1, D // d), S))
            if not p["T"] or p.get("eps") else p["T"])
    T = p["T"] or tmax
    K = min(K, trials)
    nets = max(2, math.ceil(trials / K))
    build = F8 * (L + 1) * T * d * d * 3 + (L + 1) * T * (4 * S + 8 + 12 * S + 4)
    passes = F8 * K * T * d * (3 * L + 6) + 3 * F8 * OVL_EXTRA * K * D + F8 * 2 * K * D * L
    n = min(trials, 64)
    relu = (F8 * (L + 1) * T * d * d * 2 + (L + 1) * T * d * 16 + 2 * F8 * (L + 1) * n * T * d
            + F8 * n * T * S * d * 1.5 + 4 * n * T * S + n * T * z + 2 * F8 * n * D)
    rows = 56 * nets * L * (4096 + OVL_EXTRA * K + 12 * K)   # Python floats in lists (pairs)
    mem = build + passes + relu + rows     # the last network's arrays live on during relu
    work = nets * (L * K * (T * S * d * 3 + D * (2 + 2 * OVL_EXTRA)) + (L + 1) * T * d * d * 8)
    work += 2 * n * L * (T * S * d + D * S)
    if p.get("eps"):
        Tc = math.ceil(CAP_MARGIN * tmax)
        mem = max(mem, F8 * (L + 1) * Tc * d * d * 3 + F8 * K * Tc * d * (2 * L + 4))
        work += 2 * max(2, math.ceil(CAP_TRIALS / K)) * L * K * Tc * S * d * 3
    return cost(mem, 0.1 + SEC_UNIT * work)


# ------------------------------------------------------------------- family and gate


def isotropic_family(T: int, d: int, L: int, rng: np.random.Generator) -> eng.CircuitFamily:
    """Haar-orthogonal circuit weights, no bias (see module docstring): (L+1, T, d, d)."""
    w = np.zeros((L + 1, T, d, d))
    for l in range(1, L + 1):
        q, r = np.linalg.qr(rng.standard_normal((T, d, d)))
        w[l] = q * np.sign(np.diagonal(r, axis1=1, axis2=2))[:, None, :]
    return eng.CircuitFamily("isotropic", w, np.zeros((L + 1, d)), np.zeros((L + 1, d, d)))


def gate_all(net: eng.Network, l: int, active: np.ndarray) -> np.ndarray:
    """(H) as in RiS: every block neuron at a position of an active circuit is on: (B, D) bool."""
    B = active.shape[0]
    on = np.zeros((B, net.N), bool)
    on[np.arange(B)[:, None, None], net.alloc[l][active]] = True
    return np.broadcast_to(on[:, None, :], (B, net.d, net.N)).reshape(B, -1)


def embed(net: eng.Network, l: int, active: np.ndarray, u: np.ndarray) -> np.ndarray:
    """sum_{v active} u_v (x) |e^l_v> as (B, D) from u (B, z, d)."""
    B, z, d = u.shape
    pos = net.alloc[l][active]                                        # (B, z, S)
    out = np.zeros((B, d, net.N))
    bi = np.broadcast_to(np.arange(B)[:, None, None], pos.shape)
    for i in range(d):
        np.add.at(out[:, i, :], (bi, pos), np.broadcast_to(u[:, :, None, i], pos.shape))
    return out.reshape(B, -1)


def read_all(net: eng.Network, l: int, A: np.ndarray) -> np.ndarray:
    """Read-outs (1/S)<e^l_t|A> of all T circuits, (B, T, d), via the engine's CSR E[l]."""
    B = A.shape[0]
    A3 = A.reshape(B, net.d, net.N)
    At = np.ascontiguousarray(A3.transpose(2, 0, 1)).reshape(net.N, B * net.d)
    return (net.E[l] @ At).reshape(net.T, B, net.d).transpose(1, 0, 2)


def forward(net, active, a0, mode: str, overlap: bool = True):
    """Ideal ("all") or linear pass of the isotropic family, with isolated overlap errors.

    Returns dict of (L+1,)-lists: ``true`` (B,z,d), ``err`` (B,T,d) read-out errors of all
    circuits, ``ovl`` (B,T,d) isolated overlap errors (ideal mode only).
    """
    B, z, d = a0.shape
    w = net.family.w
    T, L = net.T, net.L
    true = [a0]
    A = embed(net, 1, active, np.einsum("bzij,bzj->bzi", w[1][active], a0))
    errs, ovls = [None], [None]
    for l in range(1, L + 1):
        src = np.einsum("bzij,bzj->bzi", w[l][active], true[-1])          # w_v a^{l-1}_v
        true.append(src)                                                 # linear circuits
        P = A if l == 1 else eng.preactivation(net, l, A)
        gate = gate_all(net, l, active) if mode == "ideal" else None
        A = P * gate if gate is not None else P
        tr = np.zeros((B, T, d))
        tr[np.arange(B)[:, None], active] = src
        errs.append(read_all(net, l, A) - tr)
        if mode == "ideal" and overlap:
            Piso = embed(net, l, active, src)
            ovls.append(read_all(net, l, Piso * gate) - tr)
    return {"true": true, "err": errs, "ovl": ovls}


# ---------------------------------------------------------------------- measurement


def _draw(p: dict, net_id: int, seed: int):
    rng = stream(seed, NAME, "network", p["D"], p["d"], p["S"], p["T"], p["L"], net_id, *_akey(p))
    fam = isotropic_family(p["T"], p["d"], p["L"], rng)
    return eng.Network.build(p["D"], p["d"], p["S"], p["T"], p["L"], fam, rng,
                             alloc=_alloc(p)), rng


def _inputs(net, z: int, K: int, rng):
    active = eng.sample_active(net.T, z, K, rng)
    x = rng.standard_normal((K, z, net.d))
    return active, x / np.linalg.norm(x, axis=-1, keepdims=True)


def measure(params: dict, *, trials: int, seed: int, progress=None) -> list[Measurement]:
    """All cis2 checks at one parameter point (see module docstring)."""
    p = dict(params)
    p["alloc"] = al = _alloc(p)
    p["T"] = p["T"] or theory.capacity(p["D"], p["d"], p["S"], al)
    D, d, S, T, z, L, K = (p[k] for k in ("D", "d", "S", "T", "z", "L", "K"))
    A = _alabel(p)
    nets = max(2, math.ceil(trials / K))
    rows: dict[str, list] = {}

    def add(key, vals, g):
        rows.setdefault(key, ([], []))
        rows[key][0].extend(np.ravel(vals).tolist())
        rows[key][1].extend([g] * np.size(vals))

    t0 = time.perf_counter()
    worst = []
    for g in range(nets):
        net, rng = _draw(p, g, seed)
        active, a0 = _inputs(net, z, K, rng)
        act_mask = np.zeros((K, T), bool)
        act_mask[np.arange(K)[:, None], active] = True
        res = forward(net, active, a0, "ideal")
        lin = forward(net, active, a0, "linear")
        for l in range(1, L + 1):
            e, o = res["err"][l], res["ovl"][l]
            carried = e - o
            if l > 1:
                own = np.einsum("tij,btj->bti", net.family.w[l], res["err"][l - 1])
                prop = np.where(act_mask[..., None], carried - own, carried)
            else:
                prop = np.zeros_like(e)
            sq = _sq                                                          # (B, T)
            for name, arr in (("ovl", o), ("prop", prop), ("tot", e)):
                s = sq(arr)
                if name != "ovl":
                    add((name, "a", l), s[act_mask].reshape(K, z).mean(1), g)
                if T > z:
                    add((name, "i", l), s[~act_mask].reshape(K, T - z).mean(1), g)
            add(("lin", l), sq(lin["err"][l]).mean(1), g)
            if T > z:
                amax = np.abs(res["true"][l]).max(axis=(1, 2))              # (K,)
                worst.append((np.abs(o)[~act_mask].reshape(K, -1).max(1) / amax).max())
        # active overlap alone: OVL_EXTRA x K more passes (no carried error needed, cheap)
        act2, b0 = _inputs(net, z, OVL_EXTRA * K, rng)
        tru = b0
        for l in range(1, L + 1):
            src = np.einsum("bzij,bzj->bzi", net.family.w[l][act2], tru)
            gate = gate_all(net, l, act2)
            err = eng.readout(net, l, embed(net, l, act2, src) * gate, act2) - src
            add(("ovl", "a", l), _sq(err).mean(1), g)
            tru = src
        # overlap of random circuit pairs of the real allocation (not the load identity)
        for l in range(1, L + 1 if T >= 2 else 1):
            t, u = rng.integers(0, T, 4096), rng.integers(0, T, 4096)
            keep = t != u
            sh = (net.alloc[l][t[keep], :, None] == net.alloc[l][u[keep], None, :]).sum((1, 2))
            add(("pair", l), sh / S, g)
        if progress and (g + 1) % max(1, nets // 4) == 0:
            progress(f"cis2: {g + 1}/{nets} networks ({time.perf_counter() - t0:.1f} s)")
    none = Estimate(math.nan, math.nan, 0, 0)
    est = lambda key: clustered_mean(*rows[key]) if key in rows else none  # noqa: E731
    no_in = cis2_alloc.inactive_error(T, z) or ""          # "" or the reason to skip
    no_pairs = "" if T >= 2 else f"no circuit pairs: $T={T}$"
    no_share = ("" if theory.alloc_stats(D // d, S, T, 1, al).psh > 0 else   # construction statistic
                r"no shared positions ($P_{\rm sh}=0$): the linear-mode errors are $0$ and their "
                "ratio is undefined")
    base = {"D": D, "d": d, "S": S, "T": T, **A}
    out: list[Measurement] = alloc_checks(p)
    pair_vals, pair_g = [], []
    for l in range(1, L + 1):
        pair_vals += rows.get(("pair", l), ([], []))[0]
        pair_g += rows.get(("pair", l), ([], []))[1]
    po = np.asarray(pair_vals)
    pe = (lambda v: clustered_mean(v, pair_g)) if pair_g else (lambda v: none)  # noqa: E731
    out.append(Measurement("cis2.share_prob", base, pe(po > 0), skip=no_pairs,
                           note="random pairs of the real allocation"))
    out.append(Measurement("cis2.overlap_mean", base, pe(po), skip=no_pairs))
    ms = pe(po**2)
    out.append(Measurement("cis2.overlap_ms", base, ms, published="cis2.overlap_ms_q", skip=no_pairs))
    out.append(Measurement("cis2.overlap_ms_dD", {"D": D, "d": d}, ms, label={"S": S, "T": T, **A},
                           skip=no_pairs))
    out.append(Measurement("cis2.overlap_ms_q", {"D": D, "d": d, "S": S, "T": T}, ms, label=A,
                           skip=no_pairs))
    rec = {"g": 1.0, "rho0": 1.0}
    for l in range(1, L + 1):
        lab = {"l": l, "L": L}
        out.append(Measurement("cis2.overlap_ms_active", {**base, "z": z, "sigma_w2": 1.0, "mu_w2": 0.0},
                               est(("ovl", "a", l)), label=lab))
        out.append(Measurement("cis2.overlap_ms_active_dD", {"D": D, "d": d, "z": z, "sigma_w2": 1.0},
                               est(("ovl", "a", l)), label={**lab, "S": S, "T": T, **A}))
        ovi = est(("ovl", "i", l))
        out.append(Measurement("cis2.overlap_ms_inactive", {**base, "z": z, "rho": 1.0, "mu2": 0.0},
                               ovi, label=lab, published="cis2.overlap_ms_inactive_q", skip=no_in))
        out.append(Measurement("cis2.overlap_ms_inactive_dD", {"D": D, "d": d, "z": z, "rho": 1.0},
                               ovi, label={**lab, "S": S, "T": T, **A}, skip=no_in))
        out.append(Measurement("cis2.overlap_ms_inactive_q",
                               {"D": D, "d": d, "S": S, "T": T, "z": z, "rho": 1.0}, ovi,
                               label={**lab, **A}, skip=no_in))
        full = {**base, "z": z, "l": l, **rec}
        if l > 1:
            out.append(Measurement("cis2.propagation_ms_active", full, est(("prop", "a", l))))
            out.append(Measurement("cis2.propagation_ms_inactive", full, est(("prop", "i", l)),
                                   skip=no_in))
        tot = est(("tot", "a", l))
        out.append(Measurement("cis2.total_ms_active", full, tot))
        out.append(Measurement("cis2.total_ms_inactive", full, est(("tot", "i", l)), skip=no_in))
        out.append(Measurement("cis2.total_ms_active_notes",
                               {"D": D, "d": d, "T": T, "z": z, "l": l, "sigma2": 1.0}, tot,
                               label={"S": S, **A}))
        out.append(Measurement("cis2.total_ms_active_ris",
                               {"D": D, "d": d, "S": S, "T": T, "z": z, "l": l, "sigma2": 1.0}, tot,
                               label=A))
        out.append(Measurement("cis2.linear_ms", full, est(("lin", l))))
        if l > 1:
            r = _ratio(rows[("lin", l)], rows[("lin", l - 1)])
            out.append(Measurement("cis2.linear_ms_ratio", full, r, skip=no_share or _zero_ratio(r)))
    ratio_L = _ratio(rows[("lin", L)], rows[("lin", L - 1)])
    G = theory.linear_gain(theory.alloc_stats(D // d, S, T, 1, al), 1.0)  # construction statistic
    skip = "" if (L >= 4 and G - 1 >= 1.5) else r"the asymptotic check needs $L\ge4$ and $\kappa\ge1.5$"
    out.append(Measurement("cis2.linear_gain", {**base, "l": L, "g": 1.0}, ratio_L, label={"z": z},
                           skip=skip))
    out.append(Measurement("cis2.linear_gain_notes", {"D": D, "d": d, "T": T, "l": L}, ratio_L,
                           label={"S": S, "z": z, **A}, skip=no_share or _zero_ratio(ratio_L)))
    w = sample_max(worst) if worst else none
    out.append(Measurement("cis2.worst_overlap_inactive", {"S": S, "z": z, "amax": 1.0}, w,
                           label={"D": D, "T": T, **A}, skip=no_in,
                           note=r"largest entry of an inactive overlap error relative to $a_{\max}$, over "
                                "random passes"))
    adv = none if no_in else _adversarial(p, seed)
    out.append(Measurement("cis2.worst_overlap_inactive", {"S": S, "z": z, "amax": 1.0},
                           adv, label={"D": D, "T": T, "case": "adversarial", **A},
                           skip=no_in or ("" if math.isfinite(adv.value) else
                                          r"no circuit sharing one position with each of the $z$ "
                                          "active circuits was found"),
                           note=r"a circuit $u$ sharing one position with each of the $z$ active circuits, "
                                "all entries $1$"))
    out += _relu_error(p, seed, min(trials, 64))
    if p.get("eps"):
        out += capacity_crossing(p, p["eps"], trials=CAP_TRIALS, seed=seed).measurements()
    return out


def _sq(x: np.ndarray) -> np.ndarray:
    """|x|^2 over the last axis; below ``ROUNDOFF`` it is float round-off of O(1) sums: 0.

    (Where no position is shared every error is exactly 0 and the prediction is 0; an exact
    check with SE ~ 1e-34 would otherwise fail on ~1e-32 of round-off.)"""
    s = np.sum(x**2, -1)
    s[s < ROUNDOFF] = 0.0
    return s


def _ratio(num, den) -> Estimate:
    """Ratio of means sum x / sum y with a clustered delta-method SE."""
    x, g = np.asarray(num[0]), num[1]
    y = np.asarray(den[0])
    if y.sum() == 0:                                   # 0/0: nothing to divide (see _zero_ratio)
        return Estimate(math.nan, math.nan, len(y), len(set(g)))
    R = x.sum() / y.sum()
    lin = clustered_mean((x - R * y) / y.mean(), g)
    return Estimate(float(R), lin.se, lin.n, lin.n_networks)


def _zero_ratio(r: Estimate) -> str:
    """Skip reason for a linear-mode ratio that is 0/0 (no shared position: no error), or ''."""
    return "" if math.isfinite(r.value) else r"undefined ratio: no linear-mode error at layer $l-1$ (no sharing)"


def _adversarial(p: dict, seed: int) -> Estimate:
    """Hand-built worst case of the inactive overlap bound (:func:`adversarial`): z/S exactly."""
    v = adversarial(p, seed)
    return Estimate(v, 0.0, 1, 1) if math.isfinite(v) else Estimate(math.nan, math.nan, 0, 0)


def _relu_error(p: dict, seed: int, n: int) -> list[Measurement]:
    """ReLU activation error on the engine's zero-mean family: relu minus ideal read-outs."""
    rng = stream(seed, NAME, "relu", p["D"], p["T"], p["z"], *_akey(p))
    fam = eng.zero_mean_family(p["T"], p["d"], p["L"], rng)
    net = eng.Network.build(p["D"], p["d"], p["S"], p["T"], p["L"], fam, rng, alloc=_alloc(p))
    active = eng.sample_active(p["T"], p["z"], n, rng)
    x = fam.sample_x(rng, n, p["z"])
    ids = np.arange(p["T"])                              # every circuit; the engine masks actives
    out = []
    r = eng.run(net, active, x, "relu", read=ids)
    i = eng.run(net, active, x, "ideal", read=ids)
    for l in range(1, p["L"] + 1):
        da = np.sum((r.read_active[l] - i.read_active[l]) ** 2, -1).mean(1)
        valid = r.inactive_ids[l] >= 0
        q = {"D": p["D"], "d": p["d"], "S": p["S"], "T": p["T"], "z": p["z"], "l": l, **_alabel(p)}
        note = "zero-mean circuit family, one network; standard error over passes"
        out.append(Measurement("cis2.relu_ms_active", q, clustered_mean(da), note=note))
        if p["T"] > p["z"]:
            di = (np.sum((r.read_inactive[l] - i.read_inactive[l]) ** 2, -1) * valid).sum(1) \
                / valid.sum(1)
            out.append(Measurement("cis2.relu_ms_inactive", q, clustered_mean(di), note=note))
        else:
            out.append(Measurement("cis2.relu_ms_inactive", q, Estimate(math.nan, math.nan, 0, 0),
                                   skip=cis2_alloc.inactive_error(p["T"], p["z"])))
    return out


# ------------------------------------------------------------------ capacity crossing


def active_ms_last(p: dict, T: int, *, trials: int, seed: int) -> Estimate:
    r"""Measured :math:`\mathbb E|\delta^L_t|^2/\rho_L` of active circuits at layer ``L``
    (ideal mode, isotropic family) on networks with ``T`` circuits; ratio of means, SE
    clustered by network.  :math:`\rho_L=\mathbb E|\mathbf a^L_v|^2` is measured too (it is 1
    here: unit inputs, orthogonal weights)."""
    q = {**p, "T": T}
    z, L, K = q["z"], q["L"], q["K"]
    num, den = ([], []), ([], [])
    for g in range(max(2, math.ceil(trials / K))):
        net, rng = _draw(q, 2 * 10**6 + g, seed)
        active, a0 = _inputs(net, z, K, rng)
        res = forward(net, active, a0, "ideal", overlap=False)
        err = res["err"][L][np.arange(K)[:, None], active]                 # (K, z, d)
        num[0].extend(np.sum(err**2, -1).mean(1).tolist())
        den[0].extend(np.sum(res["true"][L] ** 2, -1).mean(1).tolist())
        num[1].extend([g] * K)
        den[1].extend([g] * K)
    return _ratio(num, den)


@dataclass(frozen=True)
class Crossing:
    """The measured crossing of the capacity condition at a claimed capacity ``T_claim``.

    ``below``/``above``: measured active MS / rho_L at layer L at ``T_claim`` and at
    ``T_up = ceil(CAP_MARGIN T_claim)``; ``threshold`` = eps^2.  ``passed``: the claim is a
    capacity, i.e. ``below - z SE <= eps^2`` (not significantly above the target at T_claim)
    and ``above - z SE > eps^2`` (significantly above it 30% further), z the checks' critical
    value (verify.check.critical_value at the number of networks).
    """

    params: dict
    eps: float
    T_claim: int
    T_up: int
    below: Estimate
    above: Estimate

    @property
    def threshold(self) -> float:
        return self.eps**2

    def _z(self, e: Estimate) -> float:
        return critical_value(e.n_networks, Z)

    @property
    def below_ok(self) -> bool:
        return self.below.value - self._z(self.below) * self.below.se <= self.threshold

    @property
    def above_ok(self) -> bool:
        return self.above.value - self._z(self.above) * self.above.se > self.threshold

    @property
    def passed(self) -> bool:
        return self.below_ok and self.above_ok

    def measurements(self) -> list[Measurement]:
        """Both points as exact checks of ``cis2.total_ms_active`` (rho_L = 1), the crossing
        verdict in the note (no registered quantity states the threshold itself)."""
        p = self.params
        base = {"D": p["D"], "d": p["d"], "S": p["S"], "z": p["z"], "l": p["L"], "g": 1.0, "rho0": 1.0,
                **_alabel(p)}
        note = (f"capacity crossing at $\\epsilon={self.eps}$: the active error at "
                f"$T^*={self.T_claim}$ is {'not' if self.below_ok else ''} significantly above "
                f"$\\epsilon^2={self.threshold:.4g}$, at $T={self.T_up}$ it is "
                f"{'' if self.above_ok else 'not '}significantly above; "
                f"{'PASS' if self.passed else 'FAIL'}").replace("  ", " ")
        return [Measurement("cis2.total_ms_active", {**base, "T": T}, e,
                            label={"L": p["L"], "eps": self.eps, "case": case}, note=note)
                for T, e, case in ((self.T_claim, self.below, "capacity"),
                                   (self.T_up, self.above, "capacity_x1.3"))]


def capacity_crossing(p: dict, eps: float, *, trials: int = CAP_TRIALS, seed: int,
                      T_claim: int | None = None) -> Crossing:
    """Measure the crossing of ``cis2.max_circuits`` (or of a claimed ``T_claim``, for
    mutants) on the simulated network: active MS at layer L at T_claim and 1.3 T_claim."""
    if T_claim is None:
        T_claim = int(get_quantity("cis2.max_circuits").evaluate(
            {"D": p["D"], "d": p["d"], "S": p["S"], "z": p["z"], "L": p["L"], "eps": eps, "g": 1.0,
             **_alabel(p)}))
    T_up = math.ceil(CAP_MARGIN * T_claim)
    return Crossing(dict(p), eps, T_claim, T_up,
                    active_ms_last(p, T_claim, trials=trials, seed=seed),
                    active_ms_last(p, T_up, trials=trials, seed=seed))


# ----------------------------------------------------------------------- worst cases


def worst_overlaps(p: dict, *, trials: int, seed: int) -> tuple[float, float]:
    r"""Max over ``trials`` random passes and layers of the isolated overlap errors in the
    sup norm, relative to the pass's amax: inactive :math:`\max_{u,i}|\mathring\epsilon_{u,i}|
    /\max_v\|\mathbf a^l_v\|_\infty` and active :math:`\max_{t,i}|\mathring\epsilon_{t,i}|
    /\max_v\|w_v\mathbf a^{l-1}_v\|_\infty` (the two bounds' ``amax``)."""
    p = {**p, "T": p["T"] or theory.capacity(p["D"], p["d"], p["S"], _alloc(p))}
    z, L, K, T = p["z"], p["L"], p["K"], p["T"]
    wi = wa = 0.0
    for g in range(max(1, math.ceil(trials / K))):
        net, rng = _draw(p, 3 * 10**6 + g, seed)
        active, a0 = _inputs(net, z, K, rng)
        mask = np.zeros((K, T), bool)
        mask[np.arange(K)[:, None], active] = True
        res = forward(net, active, a0, "ideal")
        for l in range(1, L + 1):
            o = np.abs(res["ovl"][l])                                        # (K, T, d)
            amax = np.abs(res["true"][l]).max(axis=(1, 2))                   # (K,)
            wi = max(wi, float((o[~mask].reshape(K, -1).max(1) / amax).max()))
            wa = max(wa, float((o[mask].reshape(K, -1).max(1) / amax).max()))
    return wi, wa


def adversarial(p: dict, seed: int, active: bool = False) -> float:
    """Hand-built worst case of the overlap bounds at layer 1 (a^1_v = w_v a^0_v = 1 in every
    coordinate): inactive, a circuit u sharing one distinct position with each of z active
    circuits (|error|_inf = z/S); active (``active=True``), an active t sharing one with each
    of the z-1 others ((z-1)/S).  NaN if no such circuit is found among 200 tries."""
    p = {**p, "T": p["T"] or theory.capacity(p["D"], p["d"], p["S"], _alloc(p))}
    rng = stream(seed, NAME, "adversarial", p["D"], p["T"], int(active), *_akey(p))
    net, _ = _draw(p, 10**6, seed)
    need = p["z"] - 1 if active else p["z"]
    al = net.alloc[1]
    for u in rng.permutation(net.T)[:200]:
        part, used = [], set()
        for n in al[u]:
            if len(part) == need:
                break
            holders = [t for t in np.flatnonzero((al == n).any(1)) if t != u and t not in part]
            if holders and n not in used:
                part.append(holders[0])
                used.add(n)
        if len(part) == need:
            break
    else:
        return math.nan
    act = np.asarray([[u, *part]] if active else [part])
    ones = np.ones((1, act.shape[1], p["d"]))
    gate = gate_all(net, 1, act)
    read = eng.readout(net, 1, embed(net, 1, act, ones) * gate, np.asarray([[u]]))
    return float(np.abs(read - 1.0 if active else read).max())


# ------------------------------------------------------------------------- allocations


def alloc_checks(p: dict) -> list[Measurement]:
    """The allocation of this run, built in full and inspected (no random draw).

    ``cis2.capacity``: the number of subsets the allocation builds, against the registered
    count; ``cis2.capacity_ceiling``: the same number against the packing ceiling (one-sided);
    ``cis2.pair_overlap_max``: the largest overlap of two of the first ``T`` subsets, computed
    from the subsets (pair keys, not the T x T matrix), against the guarantee 1.
    """
    D, d, S, T = p["D"], p["d"], p["S"], p["T"]
    A = _alabel(p)
    N = D // d
    full = cis2_alloc.subsets(N, S, alloc=_alloc(p))
    built = Estimate(float(full.shape[0]), 0.0, 1, 1)
    ov = cis2_alloc.max_pair_overlap(full[:T], N) if T >= 2 else math.nan
    note = f"{full.shape[0]} subsets built at N={N}, S={S}"
    run = {"T": T, "z": p["z"]}                  # the run's size: one name per run point
    return [Measurement("cis2.capacity", {"D": D, "d": d, "S": S, **A}, built, label=run,
                        note=note),
            Measurement("cis2.capacity_ceiling", {"D": D, "d": d, "S": S}, built,
                        label={**run, **A}, note=note),
            Measurement("cis2.pair_overlap_max", {"D": D, "d": d, "S": S, "T": T, **A},
                        Estimate(float(ov), 0.0, 1, 1), label={"z": p["z"]}, skip="" if T >= 2 else
                        f"no circuit pairs: T = {T}", note="first T subsets, every pair")]
