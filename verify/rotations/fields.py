r"""RiS rotation network at large D: errors per layer plus the indicator-field diagnostics.

Used by ``bench/rotations_asymptotic.py`` and ``reports/figures/rotations_asymptotic.py``
(the asymptotic question: fixed ``tau = T (d/D)^2``, growing ``D``).  The network is the real
factored RiS network of ``verify/cis2_engine.py`` (``relu`` mode), run layer by layer through
the engine's public low-level API (``embed_input``, ``preactivation``, ``readout``) so that
the pre-activations are visible.  Nothing here types an error formula.

**Fields** (derive/rotations.py, "reduction"): at position ``n`` of layer ``l`` the indicator
field is ``f_n = A_{0,n} - A_{1,n}`` and the indicator pre-activation is
``c_n = (P_{0,n} + 1/2) / 2`` (so ``f = step(c)``; at ``l = 1`` ``c_n`` = number of active
circuits covering ``n``).  The *on-set* ``U^l`` is the union of the active circuits' positions
``S^l_v``; every other position is *off*.  Per pass and layer we record

* ``Q_off = sum_{n off} f_n^2`` and ``F_off = sum_{n off} f_n`` (erroneous source strength),
* ``var_c_off``, ``mean_c_off``: variance and mean of ``c_n`` over off positions,
* ``ms_c_on``: mean of ``(c_n - 1)^2`` over on positions,
* ``on_off``: fraction of off positions with ``f_n > 0``,

besides the readout errors (``dxa``, ``daa`` of active circuits; ``|x_hat_u|``, ``alpha_hat_u``
of ``n_read`` sampled inactive circuits, the same ids in every pass of a network).
"""
from __future__ import annotations

import math
import time

import numpy as np

from superpose.derive.common import CIRCUIT_WIDTH as d
from superpose.derive.common import ONSET_FRAC, THRESH
from superpose.verify.cis2 import engine as eng
from superpose.verify.rng import stream
from superpose.verify.stats import clustered_mean

PER_LAYER = ("xa_ms", "xi_ms", "aa_ms", "ai_ms", "seized", "frac_on", "Q_off", "F_off",
             "var_c_off", "mean_c_off", "ms_c_on", "on_off")


def n_circuits(D: int, tau: float) -> int:
    """T = round(tau (D/d)^2)."""
    return int(round(tau * (D / d) ** 2))


def forward(net: eng.Network, active: np.ndarray, x: np.ndarray, ids: np.ndarray) -> dict:
    """One batch through the ReLU network; per-layer (L+1, ...) arrays, see module docstring.

    active (B, z), x (B, z, 2), ids (k,) inactive circuit ids to read (-1 where active).
    """
    fam, (B, z), L, N, S = net.family, active.shape, net.L, net.N, net.S
    a0 = fam.encode(active, x)
    true = fam.forward_small(active, a0)                        # (L+1, B, z, d)
    at, xt = fam.decode(0, active, true)
    out = {k: np.zeros((L + 1, B)) for k in PER_LAYER}
    out["dxa"], out["daa"] = np.zeros((L + 1, B, z)), np.zeros((L + 1, B, z))
    A = eng.embed_input(net, active, a0)                        # (B, D)
    idsB = np.broadcast_to(ids, (B, ids.size)).copy()
    idsB[(idsB[:, :, None] == active[:, None, :]).any(-1)] = -1
    valid = idsB >= 0
    nv = np.maximum(valid.sum(1), 1)
    bi = np.arange(B)[:, None, None]
    for l in range(1, L + 1):
        P = A + 0.0 if l == 1 else eng.preactivation(net, l, A, bias=False)
        P3 = P.reshape(B, d, N)
        c = P3[:, 0, :] / 2.0                                   # (B, N) indicator pre-activation
        A = np.maximum(P3 + fam.b[l][None, :, None], 0.0).reshape(B, -1)
        A3 = A.reshape(B, d, N)
        f = A3[:, 0, :] - A3[:, 1, :]                           # (B, N)
        on = np.zeros((B, N), bool)
        on[bi, net.alloc[l][active]] = True
        off = ~on
        noff = off.sum(1)
        out["Q_off"][l] = (f**2 * off).sum(1)
        out["F_off"][l] = (f * off).sum(1)
        mc = (c * off).sum(1) / noff
        out["mean_c_off"][l] = mc
        out["var_c_off"][l] = ((c - mc[:, None]) ** 2 * off).sum(1) / noff
        out["ms_c_on"][l] = ((c - 1.0) ** 2 * on).sum(1) / on.sum(1)
        out["on_off"][l] = ((f > 0) & off).sum(1) / noff
        out["frac_on"][l] = (A3 != 0).mean(axis=(1, 2))
        ar, xr = fam.decode(0, active, eng.readout(net, l, A, active))
        out["daa"][l] = ar - at[l]
        out["dxa"][l] = np.linalg.norm(xr - xt[l], axis=-1)
        ai, xi = fam.decode(0, None, eng.readout(net, l, A, idsB))
        xi2 = (np.linalg.norm(xi, axis=-1) ** 2) * valid
        out["xi_ms"][l] = xi2.sum(1) / nv
        out["ai_ms"][l] = (ai**2 * valid).sum(1) / nv
        out["seized"][l] = ((ai > THRESH) & valid).sum(1) / nv
        out["xi_max"] = out.get("xi_max", np.zeros(L + 1))
        out["xi_max"][l] = max(out["xi_max"][l], float(np.sqrt(xi2.max(initial=0))))
        out["ai_max"] = out.get("ai_max", np.zeros(L + 1))
        out["ai_max"][l] = max(out["ai_max"][l], float((np.abs(ai) * valid).max(initial=0)))
    out["xa_ms"] = (out["dxa"] ** 2).mean(-1)
    out["aa_ms"] = (out["daa"] ** 2).mean(-1)
    return out


def onset(seized: list[float], L: int) -> int:
    """First layer l >= 1 with seized fraction > 1%, else L + 1."""
    hit = [l for l in range(1, L + 1) if seized[l - 1] > ONSET_FRAC]
    return hit[0] if hit else L + 1


def run_point(D: int, tau: float, S: int, z: int, passes: int, *, L: int = 4, K: int | None = None,
              n_read: int = 300, batch: int = 32, seed: int = 0, progress=None) -> dict:
    """``passes`` forward passes at (D, T = tau N^2, S, z); networks redrawn every K passes.

    Returns a JSON-able dict: per-layer clustered means (value, se) of every PER_LAYER entry,
    worst cases (``xa_max``, ``aa_max``, ``xi_max``, ``ai_max``), onset layer, cost.
    """
    T = n_circuits(D, tau)
    K = K or max(1, passes // 10)
    nets = max(2, math.ceil(passes / K))
    rows = {k: [[] for _ in range(L + 1)] for k in PER_LAYER}
    groups: list[int] = []
    mx = {k: np.zeros(L + 1) for k in ("xa_max", "aa_max", "xi_max", "ai_max")}
    t0, tb = time.perf_counter(), 0.0
    for g in range(nets):
        rng = stream(seed, "rotations-asymptotic", D, T, S, z, L, K, g)
        tb0 = time.perf_counter()
        net = eng.Network.build(D, d, S, T, L, eng.rotation_family(T, L, rng), rng)
        tb += time.perf_counter() - tb0
        ids = rng.choice(T, size=min(n_read, T), replace=False)
        done = 0
        while done < K:
            B = min(batch, K - done)
            active = eng.sample_active(T, z, B, rng)
            x = net.family.sample_x(rng, B, z)
            o = forward(net, active, x, ids)
            for k in PER_LAYER:
                for l in range(1, L + 1):
                    rows[k][l] += o[k][l].tolist()
            mx["xa_max"] = np.maximum(mx["xa_max"], o["dxa"].max(axis=(1, 2)))
            mx["aa_max"] = np.maximum(mx["aa_max"], np.abs(o["daa"]).max(axis=(1, 2)))
            mx["xi_max"] = np.maximum(mx["xi_max"], o["xi_max"])
            mx["ai_max"] = np.maximum(mx["ai_max"], o["ai_max"])
            groups += [g] * B
            done += B
        if progress:
            progress(f"D={D} tau={tau} S={S} z={z}: network {g + 1}/{nets} "
                     f"({time.perf_counter() - t0:.1f} s)")
    res = {"D": D, "T": T, "tau": tau, "S": S, "z": z, "L": L, "passes": len(groups),
           "networks": nets, "K": K, "n_read": n_read, "seed": seed}
    for k in PER_LAYER:
        est = [clustered_mean(rows[k][l], groups) for l in range(1, L + 1)]
        res[k] = [e.value for e in est]
        res[k + "_se"] = [e.se for e in est]
    for k, v in mx.items():
        res[k] = v[1:].tolist()
    res["onset"] = onset(res["seized"], L)
    res["seconds"] = time.perf_counter() - t0
    res["build_seconds"] = tb
    return res
