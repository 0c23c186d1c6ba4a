r"""CiS1 Monte Carlo checks on the real network (:mod:`superpose.derive.cis1.network`).

Every term is measured from its *definition* on the built network; predictions come from the
registry (:mod:`superpose.derive.cis1`).  A trial is one forward pass with a fresh active set of
``k`` networks and inputs uniform on the sphere of radius :math:`\sqrt{\rho_0}`; the network
(frames, copies, small weights) is redrawn every ``K`` trials; SEs are clustered by network.

**Isolated terms** (Gaussian family, block 1, the same pass):

* overlap: :math:`E_t^\top A^0-a^0_t` (active), :math:`E_u^\top A^0` (inactive);
* read-in per copy: :math:`\xi_i=P^1_i-(W^{\rm in}_tE_t^\top A^0)_j` at every copy ``i`` of an
  active small neuron ``(t, j)``; after averaging: the mean of :math:`\xi_i` over the copies;
* write-back leak (linear): :math:`E_t^\top W^{\rm out}h-W^{\rm out}_t\bar h_t`, the own write
  (copy average :math:`\bar h_t`) removed;
* layer-1 total (linear): :math:`E_t^\top A^1-a^1_t`;
* linear gain: :math:`\|I+J\|_F^2/D` per network draw (the mean gain of an isotropic error);
* relu with shared bias ``b``: the on-fraction per block (and the seizure block), and the gain
  :math:`1+\|J_{\mathcal O}\|_F^2/D` of block 1 restricted to the pass's on-set, with the
  on-set's pair statistic ``q_on`` measured on the same pass.

**Growth rate** (``family``): the fixed network draw of ``cis1.growth_rate`` with its block
repeated ``GROWTH_L`` times in linear mode; measured is the ratio of the residual error energies
:math:`|A^l-\sum_tE_ta^l_t|^2` at the last two blocks.

**CiS1 against CiS2** (``compare=1``): rotation family (``m = 2d``, norm-preserving, so no
small network amplifies noise), ``Tc`` networks, untied blocks; CiS1 in linear mode, relu with ``b = 0`` and relu
with the shared bias ``b``; CiS2 (:mod:`superpose.verify.cis2`) at matched weight budget
(:math:`D_2^2=2MD`, ``S = c``, ``z = k``, the same ``T`` and ``L``, Haar-orthogonal circuits) in
ideal and linear mode.  Measured per block: the active relative error, its per-block growth and
the block at which it passes 1 (verdict info: nothing is predicted).

**Capacity** (``cap=1``): the active relative error at block 1 and at block ``L`` (linear mode,
Gaussian family) on a geometric grid of ``T``; the crossing of :math:`\epsilon^2` (log-linear
interpolation, delta-method SE) is the measured single-layer capacity (checked against
``cis1.capacity_1layer`` and shown beside the published ``cis1.capacity_claim``) and the capacity
that survives ``L`` blocks.
"""
from __future__ import annotations

import math
import time

import numpy as np

from superpose.derive import cis1 as theory
from superpose.derive.cis1 import network as nw
from superpose.derive.quantity import Param
from superpose.verify.check import Measurement
from superpose.verify.rng import stream
from superpose.verify.stats import Estimate, clustered_mean

NAME = "cis1"
PARAMS = (
    Param("D", int, 256, lo=8, hi=4096, doc="residual width of the large network"),
    Param("M", int, 256, lo=8, hi=4096, doc="neurons per block of the large network"),
    Param("d", int, 4, lo=1, hi=64, doc="residual width of a small network"),
    Param("m", int, 4, lo=1, hi=64, doc="neurons per block of a small network (Gaussian family)"),
    Param("T", int, 128, lo=2, hi=4096, doc="number of small networks"),
    Param("Tc", int, 16, lo=2, hi=4096, doc="number of small networks in the comparison with CiS2"),
    Param("k", int, 2, lo=1, hi=64, doc="active networks per pass"),
    Param("c", int, 6, lo=1, hi=32, doc="copies per small neuron"),
    Param("L", int, 6, lo=2, hi=32, doc="blocks"),
    theory.Pg2, theory.Prho0, theory.Pb,
    Param("family", int, 1, lo=0, hi=1, doc="family of the growth-rate check (1: rotations, m = 2d)"),
    Param("K", int, 16, lo=1, hi=10**4, doc="passes per network draw"),
    theory.Peps,
    Param("compare", int, 1, lo=0, hi=1, doc="1: CiS1 against CiS2 at matched budget"),
    Param("cap", int, 0, lo=0, hi=1, doc="1: measured capacity on a grid of T"),
)
DEFAULT_TRIALS = 1280
ISO_EXTRA = 4          # passes per trial of the linear isolated terms (on twice the networks)
OVL_NETS = 4           # frame draws per network draw for the block-0 overlap (frames only)
GROWTH_L = 40          # blocks of the tied growth run
GROWTH_TAIL = 20       # the rate is the geometric mean of the per-block ratios of the last ones
GROWTH_PASSES = 64
CMP_NETS = 3           # network draws per variant of the comparison
CAP_NETS = 4           # network draws per T of the capacity grid
CAP_GRID = 2 ** 0.5    # ratio of consecutive T on the capacity grid
SCALES = {
    "smoke": [({"D": 128, "M": 128, "T": 32, "L": 3, "K": 8, "compare": 0}, 32)],
    "quick": [({}, 96),
              ({"D": 128, "M": 128, "T": 32, "cap": 1, "compare": 0, "family": 0}, 32)],
    "paper": [({}, 960),
              ({"D": 512, "M": 512, "T": 256, "Tc": 32, "compare": 1}, 960)]
    + [({"D": n, "M": n, "cap": 1, "compare": 0, "family": 0}, 256) for n in (128, 256, 512)],
}


def matched_width(D: int, M: int, d: int) -> int:
    """CiS2's width at the same weight budget per block: D_2^2 = 2 M D, a multiple of d."""
    return max(d, d * round(math.sqrt(2 * M * D) / d))


def constraint(p: dict) -> str | None:
    if p["c"] > p["M"]:
        return f"c={p['c']} copies need c <= M={p['M']}"
    if p["d"] > p["D"] or 2 * p["d"] > p["M"]:
        return f"d={p['d']} too large for D={p['D']}, M={p['M']}"
    if p["k"] >= p["T"]:
        return f"k={p['k']} must be < T={p['T']} (inactive networks are measured)"
    if p["compare"]:
        from superpose.derive import cis2

        D2 = matched_width(p["D"], p["M"], p["d"])
        if p["c"] < 2 or D2 // p["d"] < p["c"]:
            return f"the CiS2 comparison needs 2 <= c <= D2/d (D2 = {D2})"
        tmax = cis2.capacity(D2, p["d"], p["c"])
        if p["Tc"] > tmax or p["k"] >= p["Tc"]:
            return (f"the CiS2 comparison at matched budget (D2 = {D2}, S = c = {p['c']}) holds "
                    f"k < Tc <= {tmax}, got Tc={p['Tc']}")
    return None


def estimate_cost(p: dict, trials: int):
    """Peak memory: the dense large weights of one network (L blocks of M x D, twice) and the
    per-pass arrays; time from the dense products (constant measured on this machine)."""
    from superpose.verify.cost import F8, cost

    D, M, T, L, K = p["D"], p["M"], p["T"], p["L"], p["K"]
    m = max(p["m"], 2 * p["d"])
    net = F8 * (2 * L * M * D + T * D * p["d"] + 2 * T * m * D + T * m * M)
    passes = F8 * K * (L + 1) * (2 * D + M + T * p["d"])
    nets = max(2, math.ceil(trials / K))
    work = nets * (L * (4 * T * m * D * p["d"] + 2 * M * D * K) + D * D * M)
    if p["cap"]:
        Tmax = 16 * T
        net = max(net, F8 * (2 * M * D + 3 * Tmax * m * D))
        work += 10 * CAP_NETS * L * (4 * Tmax * m * D * p["d"])
    work += 30 * D**3
    dense = F8 * 6 * D * D                    # J, I + J, eigenvalue workspace (complex)
    iso = F8 * ISO_EXTRA * K * (2 * M + 3 * T * p["d"] + T * m * p["c"])
    rows = 56 * nets * (L + 8) * ISO_EXTRA * K   # Python floats of the clustered rows
    return cost(net + passes + dense + iso + rows, 0.5 + 6e-9 * work)


# ---------------------------------------------------------------------- helpers


def _inputs(T: int, k: int, d: int, K: int, rho0: float, rng):
    ids = np.argsort(rng.random((K, T)), axis=1)[:, :k]
    x = rng.standard_normal((K, k, d))
    return ids, x * (math.sqrt(rho0) / np.linalg.norm(x, axis=-1, keepdims=True))


def _sq(x):
    return np.sum(x**2, -1)


def _ratio(num, den) -> Estimate:
    """Ratio of means sum x / sum y with a clustered delta-method SE."""
    x, g = np.asarray(num[0], float), num[1]
    y = np.asarray(den[0], float)
    if y.sum() == 0:
        return Estimate(math.nan, math.nan, len(y), len(set(g)))
    R = x.sum() / y.sum()
    lin = clustered_mean((x - R * y) / y.mean(), g)
    return Estimate(float(R), lin.se, lin.n, lin.n_networks)


class _Rows(dict):
    def add(self, key, vals, g):
        v, c = self.setdefault(key, ([], []))
        vals = np.ravel(vals).tolist()
        v.extend(vals)
        c.extend([g] * len(vals))

    def est(self, key) -> Estimate:
        return clustered_mean(*self[key]) if key in self else Estimate(math.nan, math.nan, 0, 0)


def _net(p: dict, *, family: int, mode: str, b: float, L: int, rng, T=None, m=None):
    return nw.build(p["D"], p["M"], p["d"], m or p["m"], T or p["T"], p["c"], L, p["g2"], family,
                    mode, b, rng)


# ------------------------------------------------------------------ isolated terms


def isolated(p: dict, trials: int, seed: int, progress=None) -> _Rows:
    """Block-0/1 terms, linear gain (Gaussian family, linear), relu on-fractions and gain."""
    D, M, d, m, T, k, c, L, K = (p[x] for x in ("D", "M", "d", "m", "T", "k", "c", "L", "K"))
    rows = _Rows()
    nets = max(2, math.ceil(trials / K))
    t0 = time.perf_counter()
    for g in range(OVL_NETS * nets):          # block-0 overlap: frames and inputs only
        rng = stream(seed, NAME, "overlap", D, d, T, g)
        E = nw.haar_frames(T, D, d, rng)
        ids, a0 = _inputs(T, k, d, 4 * K, p["rho0"], rng)
        B = len(ids)
        act = np.zeros((B, T), bool)
        act[np.arange(B)[:, None], ids] = True
        r0 = np.einsum("bD,tDk->btk", np.einsum("bsDk,bsk->bD", E[ids], a0), E)
        rows.add("ovl_a", _sq(r0[np.arange(B)[:, None], ids] - a0).mean(1), g)
        rows.add("ovl_i", _sq(r0[~act].reshape(B, T - k, d)).mean(1), g)
    for g in range(2 * nets):
        rng = stream(seed, NAME, "isolated", D, M, d, m, T, c, g)
        net = _net(p, family=0, mode="linear", b=0.0, L=1, rng=rng)
        J = nw.jacobian(net, 1)
        rows.add("gain", (np.sum(J**2) + 2 * np.trace(J)) / D + 1.0, g)
        cnt = np.bincount(net.cp[1].ravel(), minlength=M)
        rows.add("load", cnt.mean(), g)
        rows.add("others", (cnt[net.cp[1]] - 1).mean(axis=-1).ravel(), g)
        K = p["K"] * ISO_EXTRA
        ids, a0 = _inputs(T, k, d, K, p["rho0"], rng)
        act = np.zeros((K, T), bool)
        act[np.arange(K)[:, None], ids] = True
        A0 = nw.embed(net, ids, a0)
        r0 = nw.read(net, A0)                                            # (K, T, d)
        ra = r0[np.arange(K)[:, None], ids]                              # (K, k, d)
        P1 = A0 @ net.Win[1].T                                           # (K, M)
        own = np.einsum("bkjd,bkd->bkj", net.win[1][ids], ra)           # (K, k, m)
        cps = net.cp[1][ids]                                             # (K, k, m, c)
        xi = P1[np.arange(K)[:, None, None, None], cps] - own[..., None]
        rows.add("xi", (xi**2).mean(axis=(1, 2, 3)), g)
        rows.add("xibar", (xi.mean(-1) ** 2).mean(axis=(1, 2)), g)
        hbar = P1[:, net.cp[1]].mean(-1)                                 # (K, T, m) copy averages
        wr = nw.read(net, P1 @ net.Wout[1].T)                            # E_t^T W_out h
        ownw = np.einsum("tdj,btj->btd", net.wout[1], hbar)
        leak = (wr - ownw)[np.arange(K)[:, None], ids]
        rows.add("leak", _sq(leak).mean(1), g)
        a1 = nw.small_step(net, 1, ids, a0)
        e1 = (r0 + wr)[np.arange(K)[:, None], ids] - a1
        rows.add("tot1", _sq(e1).mean(1), g)
        if g >= nets:
            continue
        # relu mode with the shared bias: on-fractions over blocks, suppressed gain at block 1
        K = p["K"]
        rng2 = stream(seed, NAME, "relu", D, M, d, m, T, c, g)
        rn = _net(p, family=0, mode="relu", b=p["b"], L=L, rng=rng2)
        ids2, b0 = _inputs(T, k, d, K, p["rho0"], rng2)
        _, pre, _ = nw.forward(rn, ids2, b0)
        for l in range(1, L + 1):
            rows.add(("on", l), (pre[l] + rn.b > 0).mean(1), g)
        V = rn.V(1)
        for s in range(min(K, 8)):
            on = pre[1][s] + rn.b > 0
            Jo = nw.jacobian(rn, 1, on)
            rows.add("sgain", np.sum(Jo**2) / D, g)
            Vo = V[on]
            C = (Vo.T @ Vo).toarray()
            rows.add("qon", np.sum(C**2) / (c * c * T * m), g)
        if progress and (g + 1) % max(1, nets // 4) == 0:
            progress(f"cis1: {g + 1}/{nets} networks ({time.perf_counter() - t0:.1f} s)")
    return rows


def growth(p: dict, seed: int) -> tuple[float, Estimate, dict]:
    """Measured late-block ratio of the fixed draw of ``cis1.growth_rate`` (tied, linear)."""
    fam = p["family"]
    m = 2 * p["d"] if fam == 1 else p["m"]
    q = {"D": p["D"], "M": p["M"], "d": p["d"], "m": m, "T": p["T"], "c": p["c"],
         "g2": p["g2"], "family": fam, "net": 0}
    net = theory.fixed_net(q["D"], q["M"], q["d"], m, q["T"], q["c"], float(q["g2"]), fam, 0)
    rng = stream(seed, NAME, "growth", *q.values())
    ids, a = _inputs(p["T"], p["k"], p["d"], GROWTH_PASSES, p["rho0"], rng)
    A = nw.embed(net, ids, a)
    logs = np.zeros(GROWTH_PASSES)        # log of the joint rescaling (the map is linear)
    loge = []
    for _ in range(GROWTH_L):
        A = A + (A @ net.Win[1].T) @ net.Wout[1].T
        a = nw.small_step(net, 1, ids, a)
        R = A - nw.embed(net, ids, a)
        e = _sq(R)
        loge.append(np.log(e) + 2 * logs)
        s = np.sqrt(e)[:, None]
        A, a, logs = A / s, a / s[:, :, None], logs + np.log(s[:, 0])
    rate = np.exp((loge[-1] - loge[-1 - GROWTH_TAIL]) / GROWTH_TAIL)   # per pass
    return GROWTH_L, clustered_mean(rate), q


# ------------------------------------------------------------------ CiS1 vs CiS2


VARIANTS = ("cis1-linear", "cis1-relu", "cis1-relu-supp", "cis2-ideal", "cis2-linear")


def compare(p: dict, seed: int, K: int | None = None) -> dict[str, tuple[list, list]]:
    """Per variant: per-block (error energy, signal energy) rows of active networks, with the
    network id as cluster: ``{variant: (err[l] rows, sig[l] rows, clusters)}``, l = 0..L."""
    from superpose.verify import cis2 as vc2
    from superpose.verify.cis2 import engine as eng

    D, M, d, T, k, c, L = (p[x] for x in ("D", "M", "d", "Tc", "k", "c", "L"))
    p = {**p, "T": T}
    K = K or p["K"]
    out = {}
    for v in VARIANTS:
        err = [[] for _ in range(L + 1)]
        sig = [[] for _ in range(L + 1)]
        cl = []
        for g in range(CMP_NETS):
            rng = stream(seed, NAME, "compare", v, D, M, T, c, L, g)
            if v.startswith("cis1"):
                mode = "linear" if v == "cis1-linear" else "relu"
                b = p["b"] if v == "cis1-relu-supp" else 0.0
                net = _net(p, family=1, mode=mode, b=b, L=L, rng=rng, m=2 * d)
                ids, a0 = _inputs(T, k, d, K, p["rho0"], rng)
                A, _, true = nw.forward(net, ids, a0)
                for l in range(L + 1):
                    r = nw.read(net, A[l])[np.arange(K)[:, None], ids]
                    err[l] += _sq(r - true[l]).mean(1).tolist()
                    sig[l] += _sq(true[l]).mean(1).tolist()
            else:
                D2 = matched_width(D, M, d)
                fam = vc2.isotropic_family(T, d, L, rng)
                net2 = eng.Network.build(D2, d, c, T, L, fam, rng)
                active = eng.sample_active(T, k, K, rng)
                x = rng.standard_normal((K, k, d))
                a0 = x * (math.sqrt(p["rho0"]) / np.linalg.norm(x, axis=-1, keepdims=True))
                res = vc2.forward(net2, active, a0, v.split("-")[1], overlap=False)
                err[0] += [0.0] * K
                sig[0] += _sq(a0).mean(1).tolist()
                for l in range(1, L + 1):
                    e = res["err"][l][np.arange(K)[:, None], active]
                    err[l] += _sq(e).mean(1).tolist()
                    sig[l] += _sq(res["true"][l]).mean(1).tolist()
            cl += [g] * K
        out[v] = (err, sig, cl)
    return out


def compare_measurements(p: dict, res: dict) -> list[Measurement]:
    L = p["L"]
    base = {k: p[k] for k in ("D", "M", "d", "m", "T", "k", "c", "L")}
    base["m"], base["T"] = 2 * p["d"], p["Tc"]
    out = []
    for v, (err, sig, cl) in res.items():
        lab = {"variant": v, "b": p["b"] if v == "cis1-relu-supp" else 0.0}
        if v.startswith("cis2"):
            lab["D2"] = matched_width(p["D"], p["M"], p["d"])
        blow = L + 1
        for l in range(1, L + 1):
            rel = _ratio((err[l], cl), (sig[l], cl))
            out.append(Measurement("cis1.rel_ms", {**base, "l": l}, rel, label=lab))
            if l >= 2:
                out.append(Measurement("cis1.layer_ratio", {**base, "l": l},
                                       _ratio((err[l], cl), (err[l - 1], cl)), label=lab))
            if blow > L and rel.value > 1:
                blow = l
        out.append(Measurement("cis1.blowup_layer", {**base, "l": L},
                               Estimate(float(blow), 0.0, len(cl), len(set(cl))), label=lab,
                               note=f"{L + 1} means the relative error stayed below 1"))
    return out


# ----------------------------------------------------------------------- capacity


def rel_error_at(p: dict, T: int, seed: int, K: int) -> tuple[Estimate, Estimate]:
    """Active relative MS error at block 1 and block L (linear mode, Gaussian family)."""
    L = p["L"]
    e1, eL, s1, sL, cl = [], [], [], [], []
    for g in range(CAP_NETS):
        rng = stream(seed, NAME, "capacity", p["D"], p["M"], T, L, g)
        net = _net(p, family=0, mode="linear", b=0.0, L=L, rng=rng, T=T)
        ids, a0 = _inputs(T, p["k"], p["d"], K, p["rho0"], rng)
        A, _, true = nw.forward(net, ids, a0)
        for l, e, s in ((1, e1, s1), (L, eL, sL)):
            r = nw.read(net, A[l])[np.arange(K)[:, None], ids]
            e += _sq(r - true[l]).mean(1).tolist()
            s += _sq(true[l]).mean(1).tolist()
        cl += [g] * K
    return _ratio((e1, cl), (s1, cl)), _ratio((eL, cl), (sL, cl))


def crossing(Ts: list[int], ests: list[Estimate], target: float) -> Estimate:
    """Log-linear interpolation of the first crossing of ``target``; delta-method SE."""
    for i in range(1, len(Ts)):
        lo, hi = ests[i - 1], ests[i]
        if lo.value <= target < hi.value and lo.value > 0:
            x0, x1 = math.log(Ts[i - 1]), math.log(Ts[i])
            y0, y1 = math.log(lo.value), math.log(hi.value)
            s = (y1 - y0) / (x1 - x0)
            x = x0 + (math.log(target) - y0) / s
            # moving y0 (y1) by its SE moves x by -(1 - w) / s (-w / s)
            w = (x - x0) / (x1 - x0)
            se_x = math.hypot((1 - w) * lo.se / lo.value, w * hi.se / hi.value) / s
            T = math.exp(x)
            return Estimate(T, T * se_x, lo.n + hi.n, min(lo.n_networks, hi.n_networks))
    return Estimate(math.nan, math.nan, 0, 0)


def capacity(p: dict, seed: int, K: int) -> tuple[Estimate, Estimate, list]:
    """Measured single-layer capacity and the capacity that survives L blocks at eps."""
    target = p["eps"] ** 2
    T, Ts, one, last = p["k"] + 1, [], [], []
    while True:
        e1, eL = rel_error_at(p, T, seed, K)
        Ts.append(T)
        one.append(e1)
        last.append(eL)
        if e1.value > target or T > 2**14:
            break
        T = max(T + 1, round(T * CAP_GRID))
    survive = crossing(Ts, last, target)
    if last[0].value > target:        # no T on the grid survives: below the smallest, k + 1
        survive = Estimate(0.0, 0.0, last[0].n, last[0].n_networks)
    return crossing(Ts, one, target), survive, list(zip(Ts, one, last))


# ------------------------------------------------------------------------ measure


def measure(params: dict, *, trials: int, seed: int, progress=None) -> list[Measurement]:
    p = dict(params)
    D, M, d, m, T, k, c, L = (p[x] for x in ("D", "M", "d", "m", "T", "k", "c", "L"))
    rho0, g2 = p["rho0"], p["g2"]
    out: list[Measurement] = []
    rows = isolated(p, trials, seed, progress)
    lab = {"M": M, "T": T}
    out += [
        Measurement("cis1.overlap_ms_active", {"D": D, "d": d, "k": k, "rho0": rho0},
                    rows.est("ovl_a"), label=lab),
        Measurement("cis1.overlap_ms_inactive", {"D": D, "d": d, "k": k, "rho0": rho0},
                    rows.est("ovl_i"), label=lab),
        Measurement("cis1.load_mean", {"M": M, "m": m, "T": T, "c": c}, rows.est("load")),
        Measurement("cis1.load_others", {"M": M, "m": m, "T": T, "c": c}, rows.est("others")),
    ]
    full = {"D": D, "M": M, "d": d, "m": m, "T": T, "k": k, "c": c, "rho0": rho0}
    out += [Measurement("cis1.readin_ms_copy", full, rows.est("xi")),
            Measurement("cis1.readin_ms_avg", full, rows.est("xibar")),
            Measurement("cis1.writeback_ms", {**full, "g2": g2}, rows.est("leak")),
            Measurement("cis1.layer1_ms_active", {**full, "g2": g2}, rows.est("tot1")),
            Measurement("cis1.linear_gain", {"D": D, "M": M, "d": d, "m": m, "T": T, "c": c,
                                             "g2": g2}, rows.est("gain"), label={"k": k}),
            Measurement("cis1.params_small", {"d": d, "m": m, "L": L},
                        Estimate(float(2 * L * m * d), 0.0, 1, 1),
                        note="counted: read-in and write-back arrays of one small network"),
            Measurement("cis1.params_large", {"D": D, "M": M, "L": L},
                        Estimate(float(sum(w.size for w in _count_net(p))), 0.0, 1, 1),
                        note="counted: the dense read-in and write-back matrices of every block")]
    qon = rows.est("qon")
    q4 = float(f"{qon.value:.4g}")
    out.append(Measurement("cis1.suppressed_gain", {"D": D, "d": d, "T": T, "g2": g2, "q_on": q4},
                           rows.est("sgain"), label={"M": M, "b": p["b"], "l": 1},
                           note="q_on measured on the same passes"))
    on1 = rows.est(("on", 1))
    out.append(Measurement("cis1.on_fraction_l1", {**full, "b": p["b"]}, on1))
    fr = [rows.est(("on", l)) for l in range(1, L + 1)]
    meas = {"D": D, "M": M, "d": d, "m": m, "T": T, "k": k, "c": c, "L": L}
    for l, f in enumerate(fr, start=1):
        out.append(Measurement("cis1.on_fraction", {**meas, "l": l}, f, label={"b": p["b"]}))
    onset = next((l for l, f in enumerate(fr, start=1) if f.value > 2 * fr[0].value), L + 1)
    out.append(Measurement("cis1.seizure_layer", {**meas, "l": L},
                           Estimate(float(onset), 0.0, fr[0].n, fr[0].n_networks),
                           label={"b": p["b"]}, note=f"{L + 1} means no seizure within L blocks"))
    gl, ratio, q = growth(p, seed)
    out.append(Measurement("cis1.growth_rate", q, ratio, label={"k": k, "l": gl},
                           note=f"geometric mean of the per-block error-energy ratios over the last {GROWTH_TAIL} of {GROWTH_L} tied blocks"))
    if p["compare"]:
        out += compare_measurements(p, compare(p, seed))
    if p["cap"]:
        one, last, _ = capacity(p, seed, p["K"])
        cq = {"D": D, "M": M, "d": d, "m": m, "k": k, "c": c, "g2": g2, "rho0": rho0, "eps": p["eps"]}
        skip = "" if math.isfinite(one.value) else "no crossing on the grid"
        out.append(Measurement("cis1.capacity_1layer", cq, one, skip=skip,
                               published="cis1.capacity_claim"))
        out.append(Measurement("cis1.capacity_claim", {"D": D, "M": M, "d": d, "m": m, "k": k},
                               one, label={"eps": p["eps"]}, skip=skip,
                               note="measured: single-layer capacity at this eps"))
        out.append(Measurement("cis1.capacity_layers", {**{x: cq[x] for x in ("D", "M", "d", "m", "k", "c")},
                                                        "L": L, "eps": p["eps"]}, last,
                               skip="" if math.isfinite(last.value) else "no crossing on the grid",
                               note=("0 means the error at block L exceeds the target already at "
                                     f"T = k + 1 = {k + 1}") if last.value == 0 else ""))
    return out


def _count_net(p: dict):
    rng = stream(0, NAME, "count")
    net = _net(p, family=0, mode="linear", b=0.0, L=p["L"], rng=rng)
    return [w for w in net.Win[1:] + net.Wout[1:]]
