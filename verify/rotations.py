r"""RiS rotation checks on the real factored network (verify/cis2_engine.py, ``relu`` mode).

The network is the engine's ``rotation_family`` on the prime-step allocation with RiS's mean-weight
construction (5.20).  Each error is measured from its *definition*: the readouts
:math:`\hat\alpha=\hat a_0-\hat a_1` and :math:`\hat{\mathbf x}=(\hat a_2,\hat a_3)-\hat\alpha`
(5.31)-(5.32, corrected) of the true ReLU network against the small circuits' true values
(``family.decode``); inactive circuits' true values are 0.

Monte Carlo unit: one forward pass with a fresh uniform active set of ``z`` circuits and fresh
inputs; the network (rotation angles, per-layer permutations) is redrawn every ``K`` passes;
SEs are clustered by network.  Mean squares over active circuits are per-pass means over the
``z`` active circuits; over inactive circuits per-pass means over all ``T - z``.

**Seizure onset** (task definition): the first layer at which more than 1% of inactive
circuits read :math:`\hat\alpha_u>1/4`; ``L+1`` if none.  Our (H) recursion is checked on the
(H) network (engine ``ideal`` mode, same networks and inputs) as ``*_h``; on the ReLU network it
is judged at layer 1 only (exact there: no ReLU flips), deeper it is reported with verdict
``skip`` because the ReLU activation error is not in the model.  Published lines are always reported (``info`` if off).
"""
from __future__ import annotations

import math
import time

import numpy as np

from derive import cis2 as cis2_theory
from derive import cis2_alloc
from derive.quantity import Param
from verify import cis2_engine as eng
from verify import rotations_kcopies as kcopies
from verify.check import Measurement
from verify.rng import stream
from verify.stats import Estimate, clustered_mean

NAME = "rotations"
d = 4
PARAMS = (
    Param("D", int, 1000, lo=24, hi=10**6, doc="network width"),
    Param("T", int, 557, lo=0, hi=10**6, doc="circuits; 0 = capacity T_max"),
    Param("S", int, 6, lo=2, hi=32, doc="redundancy"),
    Param("z", int, 2, lo=1, hi=64, doc="active circuits per pass"),
    Param("L", int, 4, lo=1, hi=16, doc="layers"),
    Param("K", int, 10, lo=1, hi=10**5, doc="passes per network draw"),
    Param("k", int, 0, lo=0, hi=16,
          doc="0: the RiS network; k >= 1: the layer-1 variant with k on-indicator copies "
              "(verify/rotations_kcopies.py; width d' = 2k+2)"),
)
DEFAULT_TRIALS = 4000
THRESH, ONSET_FRAC = 0.25, 0.01
FLOOR = 1e-9   # |alpha_hat - 1| below this is float round-off (sums of 1/S terms), counted as 0
SCALES = {
    "smoke": [({"D": 600, "T": 150, "z": 2, "L": 3, "K": 5}, 100)],
    "quick": [({"D": 1000, "T": 300, "z": 2, "L": 4, "K": 10}, 800),
              ({"D": 2000, "T": 600, "z": 1, "L": 4, "K": 10}, 400)]
    + [({"k": k, "D": 1200, "T": 118, "z": 4, "K": 25}, 1200) for k in (1, 2, 4)],
    "paper": [({"D": 1000, "T": 557, "z": z, "L": 4, "K": 50}, 2000) for z in (1, 2, 3, 4)]
    + [({"D": 2000, "T": 1000, "z": z, "L": 4, "K": 50}, 2000) for z in (1, 2)]
    + [({"k": k, "D": 1200, "T": 118, "z": z, "K": 50}, 2000)
       for k in (1, 2, 4) for z in (2, 3, 4)],
}


def _kparams(p: dict) -> dict:
    return {k: p[k] for k in ("k", "D", "T", "S", "z", "K")}


def constraint(p: dict) -> str | None:
    if p.get("k"):
        return kcopies.constraint(_kparams(p))
    return cis2_alloc.size_error(p["D"], d, p["S"], p["T"], p["z"], spare=3)


# ---------------------------------------------------------------------- simulation


def build(D: int, T: int, S: int, L: int, rng: np.random.Generator) -> eng.Network:
    """The RiS network: rotation circuits (angles from rng) on the prime-step allocation."""
    return eng.Network.build(D, d, S, T, L, eng.rotation_family(T, L, rng), rng)


def simulate(net: eng.Network, z: int, B: int, rng: np.random.Generator,
             modes=("relu",), read="all") -> dict:
    """B passes, the same active sets and inputs in every mode; per-mode dicts of (L+1, ...) errors.

    Per mode: ``dxa`` (L+1, B, z) |x_hat - x| of active circuits, ``daa`` (L+1, B, z)
    alpha_hat - 1, ``xi`` (L+1, B, k) |x_hat_u| and ``ai`` (L+1, B, k) alpha_hat_u of inactive
    circuits with ``valid`` (L+1, B, k) (False at padding), and ``frac_on`` (L+1,).
    ``ideal`` is the engine's (H) gate (on-set of the true activations; all of them are > 0 here).
    """
    fam = net.family
    active = eng.sample_active(net.T, z, B, rng)
    x = fam.sample_x(rng, B, z)
    ids = read
    if np.ndim(read) == 0 and not isinstance(read, str):     # k sampled inactive ids, shared
        # one uniform id set for all passes (the engine takes a 1-d id array; actives -> -1)
        ids = rng.choice(net.T, size=min(int(read), net.T), replace=False)
    out = {}
    for mode in modes:
        r = eng.run(net, active, x, mode, read=ids)
        at, xt = fam.decode(0, active, r.true)
        ar, xr = fam.decode(0, active, r.read_active)
        ai, xi = fam.decode(0, None, r.read_inactive)
        daa, dxa = ar - at, np.linalg.norm(xr - xt, axis=-1)
        daa[np.abs(daa) < FLOOR] = 0.0        # float round-off (sums of 1/S terms), not an error
        dxa[dxa < FLOOR] = 0.0
        out[mode] = {"dxa": dxa, "daa": daa, "xi": np.linalg.norm(xi, axis=-1), "ai": ai,
                     "valid": r.inactive_ids >= 0, "frac_on": r.frac_on}
    return out


def onset_layer(seized: np.ndarray, L: int) -> int:
    """First layer l >= 1 with seized[l] > 1%, else L + 1; seized (L+1,) fractions."""
    hit = [l for l in range(1, L + 1) if seized[l] > ONSET_FRAC]
    return hit[0] if hit else L + 1


# ---------------------------------------------------------------------- measurement


def measure(params: dict, *, trials: int, seed: int, progress=None) -> list[Measurement]:
    """Every rotations check at one point (see module docstring)."""
    if params.get("k"):
        return kcopies.measure_kcopies(_kparams(params), trials=trials, seed=seed,
                                       progress=progress)
    p = dict(params)
    p["T"] = p["T"] or cis2_theory.capacity(p["D"], d, p["S"])
    D, T, S, z, L, K = (p[k] for k in ("D", "T", "S", "z", "L", "K"))
    K = min(K, trials)
    nets = max(2, math.ceil(trials / K))
    keys = ("xa", "xi", "aa", "ai", "seiz", "fon", "hxa", "hxi", "hai")
    rows = {(k, l): [] for k in keys for l in range(L + 1)}
    groups: list[int] = []
    mx = {(k, l): 0.0 for k in ("xa", "xi", "aa", "ai") for l in range(L + 1)}
    t0 = time.perf_counter()
    for g in range(nets):
        rng = stream(seed, NAME, "net", D, T, S, z, L, K, g)
        net = build(D, T, S, L, rng)
        both = simulate(net, z, K, rng, modes=("relu", "ideal"))
        o, h = both["relu"], both["ideal"]
        groups += [g] * K
        for l in range(1, L + 1):
            hv = h["valid"][l]
            rows[("hxa", l)] += (h["dxa"][l] ** 2).mean(1).tolist()
            rows[("hxi", l)] += ((h["xi"][l] ** 2 * hv).sum(1) / np.maximum(hv.sum(1), 1)).tolist()
            rows[("hai", l)] += ((h["ai"][l] ** 2 * hv).sum(1) / np.maximum(hv.sum(1), 1)).tolist()
            v = o["valid"][l]
            nv = np.maximum(v.sum(1), 1)
            rows[("xa", l)] += (o["dxa"][l] ** 2).mean(1).tolist()
            rows[("aa", l)] += (o["daa"][l] ** 2).mean(1).tolist()
            rows[("xi", l)] += ((o["xi"][l] ** 2 * v).sum(1) / nv).tolist()
            rows[("ai", l)] += ((o["ai"][l] ** 2 * v).sum(1) / nv).tolist()
            rows[("seiz", l)] += (((o["ai"][l] > THRESH) & v).sum(1) / nv).tolist()
            rows[("fon", l)] += [float(o["frac_on"][l])] * K
            mx[("xa", l)] = max(mx[("xa", l)], float(o["dxa"][l].max()))
            mx[("aa", l)] = max(mx[("aa", l)], float(np.abs(o["daa"][l]).max()))
            mx[("xi", l)] = max(mx[("xi", l)], float((o["xi"][l] * v).max(initial=0)))
            mx[("ai", l)] = max(mx[("ai", l)], float((np.abs(o["ai"][l]) * v).max(initial=0)))
        if progress and (g + 1) % max(1, nets // 4) == 0:
            progress(f"rotations: {g + 1}/{nets} networks ({time.perf_counter() - t0:.1f} s)")
    est = {k: clustered_mean(v, groups) for k, v in rows.items() if v}
    seized = np.array([0.0] + [est[("seiz", l)].value for l in range(1, L + 1)])
    onset = onset_layer(seized, L)
    n = len(groups)
    out: list[Measurement] = []
    for l in range(1, L + 1):
        qp = {"l": l, "z": z, "D": D, "T": T, "S": S}
        skip = "" if l == 1 else ("ReLU activation error (off neurons switching on) is not in the "
                                  "(H) model; the model itself is checked by *_h")
        note = f"relu network, onset layer {onset}"
        for short, key in (("x_mse_active_h", "hxa"), ("x_mse_inactive_h", "hxi"),
                           ("alpha_mse_inactive_h", "hai")):
            out.append(Measurement(f"{NAME}.{short}", qp, est[(key, l)], note="(H) network (engine ideal mode)"))
        for var, short in (("x", "x"), ("a", "alpha")):
            for kind, tag in (("active", "a"), ("inactive", "i")):
                e = est[(var + tag, l)]
                out.append(Measurement(f"{NAME}.{short}_mse_{kind}", qp, e, skip=skip, note=note,
                                       published=f"{NAME}.{short}_mse_{kind}_published"))
                out.append(Measurement(f"{NAME}.{short}_mse_{kind}_published", qp, e, note=note))
                out.append(Measurement(f"{NAME}.{short}_max_{kind}", qp,
                                       Estimate(mx[(var + tag, l)], 0.0, n, nets),
                                       note=f"max over {n} passes"))
        out.append(Measurement(f"{NAME}.frac_on", qp, est[("fon", l)]))
        if l == 1:
            out.append(Measurement(f"{NAME}.seizure_fraction_l1", qp, est[("seiz", 1)]))
    out.append(Measurement(f"{NAME}.onset_layer", {"l": L, "z": z, "D": D, "T": T, "S": S},
                           Estimate(float(onset), 0.0, n, nets), label={"L": L},
                           note="first layer with > 1% of inactive alpha_hat > 1/4; L+1 = none"))
    return out
