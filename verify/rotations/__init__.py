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

**Layer-1 stream.**  Layer 1 depends only on the allocation, the active set and the layer-1
weights, and its active error is a rare event (two active circuits sharing a position), so the
active ``x`` error at layer 1 (both networks) and the seizure fraction at layer 1 are measured
on ``L1_PASSES`` extra *layer-1-only* passes per trial on the same network draws
(:func:`layer1_passes`: the engine's embedding, bias, ReLU / (H) gate and read-out; for the
seizure fraction every circuit is read at once through the read-out matrix ``E^1`` on the first
``L1_SEIZE`` per trial), each several times cheaper than a full pass.

**Edge sizes.**  ``z = T`` (every circuit active, ``T = 1`` included) is valid: each check about
inactive circuits gets verdict ``skip`` ("no inactive circuits: z = T"), the active ones run.

**Seizure onset** (task definition): the first layer at which more than 1% of inactive
circuits read :math:`\hat\alpha_u>1/4`; ``L+1`` if none.  Our (H) recursion is checked on the
(H) network (engine ``ideal`` mode, same networks and inputs) as ``*_h``; on the ReLU network it
is judged at layer 1 only (exact there: no ReLU flips), deeper it is reported with verdict
``skip`` because the ReLU activation error is not in the model.  The ReLU-activation error model
(derive/rotations_relu.py, ``*_relu``) is judged on the ReLU network at every layer up to the
*measured* onset (its declared limit; deeper: ``skip``), and its onset layer must equal the
measured one unless the measurement is borderline (:func:`_onset_check`).  Published lines are
always reported (``info`` if off).
"""
from __future__ import annotations

import math
import time

import numpy as np

from superpose.derive import cis2 as cis2_theory
import dataclasses

from superpose.derive.cis2 import alloc as cis2_alloc
from superpose.derive.cis2 import designs
from superpose.derive.common import CIRCUIT_WIDTH as d
from superpose.derive.common import ONSET_FRAC, THRESH
from superpose.derive.quantity import Param, get_quantity
from superpose.derive.rotations import model as theory
from superpose.derive.rotations.kcopies import k_law_work_error
from superpose.verify.cis2 import engine as eng
from superpose.verify.rotations import kcopies as kcopies
from superpose.verify.check import Measurement, critical_value
from superpose.verify.rng import stream
from superpose.verify.stats import Estimate, clustered_mean

NAME = "rotations"
# D, T, S, z are the derive side's parameters (superpose.derive.rotations.model); T also takes
# 0 (build at capacity), and S stops at 32 (the simulated networks' memory), as declared here.
PARAMS = (
    theory.PD,
    dataclasses.replace(theory.PT, lo=0, doc="circuits; 0 = capacity T_max"),
    dataclasses.replace(theory.PS, hi=32, doc="redundancy (<= 32 in the simulation)"),
    theory.Pz,
    Param("L", int, 4, lo=1, hi=16, doc="layers"),
    Param("K", int, 10, lo=1, hi=10**5, doc="passes per network draw"),
    Param("k", int, 0, lo=0, hi=16,
          doc="0: the RiS network; k >= 1: the layer-1 variant with k on-indicator copies "
              "(verify/rotations_kcopies.py; width d' = 2k+2)"),
    designs.PALLOC,
)
#: Why the model checks do not run on an allocation other than prime steps: the rotations
#: model's statistics (derive/rotations) are those of the prime-step allocation.
MODEL_PRIME_ONLY = ("the rotations models use the prime-step allocation's statistics; this "
                    "network uses another allocation (measured errors, onset and the published "
                    "lines only)")
DEFAULT_TRIALS = 4000
FLOOR = 1e-9   # |alpha_hat - 1| below this is float round-off (sums of 1/S terms), counted as 0
L1_PASSES = 100          # layer-1-only passes per trial (module docstring: layer-1 stream)
L1_SEIZE = 10            # of which read in full (every circuit) for the seizure fraction
L1_CHUNK = 2 * 10**6     # neurons x passes per layer-1 batch (memory ~ 16 MB per array)
L1_KEYS = ("xa", "hxa", "seiz")   # measured on the layer-1 stream at l = 1
SCALES = {
    "smoke": [({"D": 600, "T": 150, "z": 2, "L": 3, "K": 5}, 100)],
    "quick": [({"D": 1000, "T": 300, "z": 2, "L": 4, "K": 10}, 800),
              ({"D": 2000, "T": 600, "z": 1, "L": 4, "K": 10}, 400)]
    + [({"k": k, "D": 1200, "T": 118, "z": 4, "K": 25}, 1200) for k in (1, 2, 4)]
    # the same RiS network on three allocations (PG(3, 5) lines exist at N = 156)
    + [({"D": 624, "T": 180, "z": 2, "L": 4, "K": 10, "alloc": a}, 200)
       for a in ("prime", "projective", "greedy")],
    "paper": [({"D": 1000, "T": 557, "z": z, "L": 4, "K": 50}, 2000) for z in (1, 2, 3, 4)]
    + [({"D": 2000, "T": 1000, "z": z, "L": 4, "K": 50}, 2000) for z in (1, 2)]
    + [({"k": k, "D": 1200, "T": 118, "z": z, "K": 50}, 2000)
       for k in (1, 2, 4) for z in (2, 3, 4)],
}


def _kparams(p: dict) -> dict:
    return {k: p[k] for k in ("k", "D", "T", "S", "z", "K")}


def constraint(p: dict) -> str | None:
    """Buildable sizes, and predictions that can be computed: the exact law of K behind
    seizure_fraction_l1 and the *_relu checks refuses beyond a few seconds of work (2^S T z),
    so such a run is refused here, before it is measured and then cannot be judged."""
    if p.get("k"):
        if _alloc(p):
            return "the k-copies variant is built on prime steps only (alloc=prime)"
        return kcopies.constraint(_kparams(p))
    msg = cis2_alloc.size_error(p["D"], d, p["S"], p["T"], p["z"], spare=0, alloc=_alloc(p))
    if msg:
        return msg
    T = p["T"] or cis2_theory.capacity(p["D"], d, p["S"], _alloc(p))
    return k_law_work_error(p["S"], T, p["z"]) if T > p["z"] and not _alloc(p) else None


def _alloc(p: dict) -> int:
    return designs.PALLOC.parse(p.get("alloc", 0))


#: Seconds per unit of :func:`estimate_cost`'s work (circuit-position reads per pass and layer
#: and neuron updates; measured, bench/cost_calibration.py).
SEC_UNIT = 5e-9
COST_SIZE = ("D", "T", "K")


def estimate_cost(p: dict, trials: int):
    """Peak memory and time (superpose.verify.cost), T = 0 taken at capacity; ``k >= 1``:
    superpose.verify.rotations.kcopies.estimate_cost.

    Memory: the network (allocation, embeddings; while it is built also the capped-link sort
    of T S^2 int keys), then the two modes' full read-outs of every circuit ((L+1) K T d
    floats) with their decoded arrays; the layer-1 stream (chunks of L1_CHUNK neurons, and
    the (T, m, d) read of every circuit); the per-pass values kept for the estimates.
    """
    from superpose.verify.cost import F8, cost

    if p.get("k"):
        return kcopies.estimate_cost(_kparams(p), trials)
    D, S, z, L, K = (p[k] for k in ("D", "S", "z", "L", "K"))
    T = p["T"] or (cis2_alloc.capacity_sum(max(1, D // d), S) if not _alloc(p)   # any D
                   else cis2_alloc.ceiling(max(1, D // d), S))
    N = D // d
    K = min(K, trials)
    nets = max(2, math.ceil(trials / K))
    key = 4 if N * N < 2**31 else 8
    net = (L + 1) * T * (4 * S + 8 + 12 * S + 4 + F8 * d * d)     # kept while it is used
    build = net + 2.5 * key * T * S * S                          # the link-key sort, then freed
    passes = (L + 1) * K * T * (2 * F8 + 1) + (L + 1) * K * T * (F8 * d + 4 * F8 + 1) + 16 * K * T
    chunk = max(1, L1_CHUNK // D)
    m = min(L1_SEIZE * K, chunk)
    layer1 = F8 * 4 * min(chunk, L1_PASSES * K) * D + F8 * T * m * d * 1.5 + 2 * F8 * m * T
    rows = 56 * trials * (15 * L + 2 * L1_PASSES + L1_SEIZE)     # Python floats in lists
    mem = max(build, net + max(passes, layer1)) + rows
    work = nets * (2 * L * K * (T * S * 2 + T * d * 2 + D * 2) + (L - 1) * T * S * S * 3
                   + L1_PASSES * K * D * 4 + L1_SEIZE * K * T * S * d)
    return cost(mem, SEC_UNIT * work)


# ---------------------------------------------------------------------- simulation


def build(D: int, T: int, S: int, L: int, rng: np.random.Generator, alloc=0) -> eng.Network:
    """The RiS network: rotation circuits (angles from rng) on allocation ``alloc`` (default
    prime steps; superpose.derive.cis2.designs)."""
    return eng.Network.build(D, d, S, T, L, eng.rotation_family(T, L, rng), rng, alloc=alloc)


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


def layer1_passes(net: eng.Network, z: int, B: int, rng: np.random.Generator,
                  seize: int = 0) -> dict:
    """B layer-1-only passes on ``net``'s layer-1 weights (the ReLU and (H) gates on one input).

    Returns per-pass (B,) arrays: ``xa`` / ``hxa`` the mean over the ``z`` active circuits of
    |x_hat - x|^2 at layer 1 in ``relu`` / ``ideal`` mode, and for the first ``seize`` passes
    ``seiz`` (seize,): the fraction of the ``T - z`` inactive circuits reading alpha_hat > 1/4
    (``relu``; NaN when z = T).  Reading every circuit costs more than the rest of a pass.
    """
    fam, T, N = net.family, net.T, net.N
    active = eng.sample_active(T, z, B, rng)
    a0 = fam.encode(active, fam.sample_x(rng, B, z))
    true1 = fam.forward_small(active, a0)[1]                                  # (B, z, d)
    _, xt = fam.decode(1, active, true1)
    P = eng.preactivation(net, 1, eng.embed_input(net, active, a0))           # (B, D), W^1 = I
    relu = np.maximum(P, 0.0)
    out = {}
    for key, A in (("xa", relu), ("hxa", P * eng.onset_mask(net, 1, active, true1))):
        _, xr = fam.decode(1, active, eng.readout(net, 1, A, active))
        dx = np.linalg.norm(xr - xt, axis=-1)                                 # (B, z)
        dx[dx < FLOOR] = 0.0
        out[key] = (dx**2).mean(1)
    # every circuit at once: readouts E^1 A of the first m passes, (T, m, d)
    m = min(seize, B)
    cols = np.ascontiguousarray(relu[:m].reshape(m, d, N).transpose(2, 0, 1)).reshape(N, m * d)
    R = (net.E[1] @ cols).reshape(T, m, d)
    alpha = (R[..., 0] - R[..., 1]).T                                         # (m, T)
    alpha[np.arange(m)[:, None], active[:m]] = 0.0                           # actives: not counted
    out["seiz"] = (alpha > THRESH).sum(1) / (T - z) if T > z else np.full(m, np.nan)
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
    al = _alloc(p)
    p["T"] = p["T"] or cis2_theory.capacity(p["D"], d, p["S"], al)
    D, T, S, z, L, K = (p[k] for k in ("D", "T", "S", "z", "L", "K"))
    A = {"alloc": designs.ALLOCS[al]} if al else {}
    model_skip = MODEL_PRIME_ONLY if al else ""
    K = min(K, trials)
    nets = max(2, math.ceil(trials / K))
    n1, ns = L1_PASSES * K, L1_SEIZE * K            # layer-1 passes per network, read in full
    chunk = max(1, L1_CHUNK // D)
    rows: dict[tuple, tuple[list, list]] = {}       # key -> (per-pass values, network ids)

    def add(key, vals, g):
        r = rows.setdefault(key, ([], []))
        r[0].extend(np.ravel(vals).tolist())
        r[1].extend([g] * np.size(vals))

    mx = {(k, l): 0.0 for k in ("xa", "xi", "aa", "ai") for l in range(L + 1)}
    inactive = T > z
    t0 = time.perf_counter()
    for g in range(nets):
        rng = stream(seed, NAME, "net", D, T, S, z, L, K, g, *A.values())
        net = build(D, T, S, L, rng, al)
        both = simulate(net, z, K, rng, modes=("relu", "ideal"))
        o, h = both["relu"], both["ideal"]
        for l in range(1, L + 1):
            hv, v = h["valid"][l], o["valid"][l]
            nv = np.maximum(v.sum(1), 1)
            if l > 1:
                add(("hxa", l), (h["dxa"][l] ** 2).mean(1), g)
                add(("xa", l), (o["dxa"][l] ** 2).mean(1), g)
            add(("aa", l), (o["daa"][l] ** 2).mean(1), g)
            add(("fon", l), np.full(K, float(o["frac_on"][l])), g)
            mx[("xa", l)] = max(mx[("xa", l)], float(o["dxa"][l].max()))
            mx[("aa", l)] = max(mx[("aa", l)], float(np.abs(o["daa"][l]).max()))
            if inactive:
                hn = np.maximum(hv.sum(1), 1)
                add(("hxi", l), (h["xi"][l] ** 2 * hv).sum(1) / hn, g)
                add(("hai", l), (h["ai"][l] ** 2 * hv).sum(1) / hn, g)
                add(("xi", l), (o["xi"][l] ** 2 * v).sum(1) / nv, g)
                add(("ai", l), (o["ai"][l] ** 2 * v).sum(1) / nv, g)
                if l > 1:
                    add(("seiz", l), ((o["ai"][l] > THRESH) & v).sum(1) / nv, g)
                mx[("xi", l)] = max(mx[("xi", l)], float((o["xi"][l] * v).max(initial=0)))
                mx[("ai", l)] = max(mx[("ai", l)], float((np.abs(o["ai"][l]) * v).max(initial=0)))
        for b0 in range(0, n1, chunk):                 # the layer-1 stream, same network
            one = layer1_passes(net, z, min(chunk, n1 - b0), rng, seize=max(0, ns - b0))
            for key in L1_KEYS:
                if key != "seiz" or inactive:
                    add((key, 1), one[key], g)
        if progress and (g + 1) % max(1, nets // 4) == 0:
            progress(f"rotations: {g + 1}/{nets} networks ({time.perf_counter() - t0:.1f} s)")
    est = {k: clustered_mean(*v) for k, v in rows.items()}
    n = nets * K
    none = Estimate(math.nan, math.nan, n, nets)
    no_inactive = "" if inactive else f"no inactive circuits: z = T = {T}"
    if inactive:
        seized = np.array([0.0] + [est[("seiz", l)].value for l in range(1, L + 1)])
        onset = onset_layer(seized, L)
    out: list[Measurement] = []
    for l in range(1, L + 1):
        qp = {"l": l, "z": z, "D": D, "T": T, "S": S}
        relu_skip = "" if l == 1 else (
            r"the $\mathrm{ReLU}$ activation error (off neurons switching on) is not in the "
            r"recursion under hypothesis $(\mathrm H)$; the recursion is checked on a network "
            r"that obeys $(\mathrm H)$, the $\mathrm{ReLU}$ network against its own model")
        relu = r"$\mathrm{ReLU}$ network"
        note = (relu + (f", measured onset at layer ${onset}$" if onset <= L else
                        f", no onset within ${L}$ layers")) if inactive else relu
        l1 = f"; {nets * n1} passes of layer $1$ alone" if l == 1 else ""
        ls = f"{nets * ns} passes of layer $1$ alone, every circuit read"
        h_net = r"network obeying hypothesis $(\mathrm H)$"
        out.append(Measurement(f"{NAME}.x_mse_active_h", qp, est[("hxa", l)], note=h_net + l1))
        for short, key in (("x_mse_inactive_h", "hxi"), ("alpha_mse_inactive_h", "hai")):
            out.append(Measurement(f"{NAME}.{short}", qp, est.get((key, l), none),
                                   skip=no_inactive, note=h_net))
        for var, short in (("x", "x"), ("a", "alpha")):
            for kind, tag in (("active", "a"), ("inactive", "i")):
                e = est.get((var + tag, l), none)
                sk = (no_inactive if kind == "inactive" else "")
                out.append(Measurement(f"{NAME}.{short}_mse_{kind}", qp, e, skip=sk or relu_skip,
                                       note=note + (l1 if var + tag == "xa" else ""),
                                       published=f"{NAME}.{short}_mse_{kind}_published"))
                out.append(Measurement(f"{NAME}.{short}_mse_{kind}_published", qp, e, skip=sk,
                                       note=note))
                out.append(Measurement(f"{NAME}.{short}_max_{kind}", qp,
                                       none if sk else Estimate(mx[(var + tag, l)], 0.0, n, nets),
                                       skip=sk,
                                       note=f"largest over {n} passes"))
        out += _relu_model_checks(qp, est, none, onset if inactive else None, no_inactive, note)
        out.append(Measurement(f"{NAME}.frac_on", qp, est[("fon", l)]))
        if l == 1:
            out.append(Measurement(f"{NAME}.seizure_fraction_l1", qp, est.get(("seiz", 1), none),
                                   skip=no_inactive, note="" if no_inactive else ls))
    out.append(Measurement(f"{NAME}.onset_layer", {"l": L, "z": z, "D": D, "T": T, "S": S},
                           Estimate(float(onset), 0.0, n, nets) if inactive else none,
                           label={"L": L}, skip=no_inactive, note=ONSET_NOTE))
    out.append(_onset_check({"l": L, "z": z, "D": D, "T": T, "S": S}, est, none, n, nets,
                            onset if inactive else None, no_inactive))
    return [_on_alloc(m, A) for m in out] if A else out


def _on_alloc(m: Measurement, A: dict) -> Measurement:
    """A check of a network on another allocation: labelled with it; the models' predictions
    (prime-step statistics) are not judged against it (``skip``), measured-only quantities and
    the published lines (which do not depend on the allocation) are."""
    q = get_quantity(m.quantity)
    skip = m.skip or ("" if q.is_measured_only or q.published else MODEL_PRIME_ONLY)
    return dataclasses.replace(m, label={**m.label, **A}, skip=skip)


RELU_CHECKS = (("x_mse_active_relu", "xa"), ("x_mse_inactive_relu", "xi"),
               ("alpha_mse_inactive_relu", "ai"), ("alpha_mse_active_relu", "aa"),
               ("seized_fraction_relu", "seiz"))


def _relu_model_checks(qp: dict, est: dict, none: Estimate, onset: int | None, no_inactive: str,
                       note: str) -> list[Measurement]:
    """The ReLU-activation error model (derive/rotations_relu.py) on the ReLU network.

    Claimed up to seizure onset only (its declared limit), so layers past the *measured* onset
    are ``skip``; the model needs inactive circuits (it propagates their erroneous field).
    """
    l = qp["l"]
    past = (f"past the measured seizure onset at layer ${onset}$; the model of the "
            r"$\mathrm{ReLU}$ network is claimed only up to onset"
            if onset is not None and l > onset else "")
    return [Measurement(f"{NAME}.{short}", qp, est.get((key, l), none), skip=no_inactive or past,
                        note=note) for short, key in RELU_CHECKS]


def _onset_check(qp: dict, est: dict, none: Estimate, n: int, nets: int, onset: int | None,
                 no_inactive: str) -> Measurement:
    """Measured onset against ``rotations.onset_layer_relu`` (integer: the exact layer).

    Fixed rule: when some layer's seized fraction lies within ``c * se`` of the 1% threshold
    (``c`` = check.critical_value at this number of networks) the measured layer itself is
    uncertain by one, and the check is ``skip`` with that reason rather than judged.
    """
    if no_inactive:
        return Measurement(f"{NAME}.onset_layer_relu", qp, none, label={"L": qp["l"]},
                           skip=no_inactive)
    c = critical_value(nets)
    near = [l for l in range(1, qp["l"] + 1)
            if abs(est[("seiz", l)].value - ONSET_FRAC) <= c * est[("seiz", l)].se]
    skip = (f"measured onset is borderline: the seized fraction is within ${c:.2f}$ standard "
            r"errors of $1\%$ at layer(s) $" + ", ".join(str(x) for x in near) + "$"
            if near else "")
    return Measurement(f"{NAME}.onset_layer_relu", qp, Estimate(float(onset), 0.0, n, nets),
                       label={"L": qp["l"]}, skip=skip, note=ONSET_NOTE)


#: Note of the onset checks: what the measured onset layer is.
ONSET_NOTE = (r"first layer where more than $1\%$ of inactive circuits read $\hat\alpha_u>1/4$; "
              r"$L+1$ if none")
