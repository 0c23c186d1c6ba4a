"""RiS paper grid (Figs. 8-11 of the post): per-layer readout errors at one (D, T, z) point.

The measurement that ``reports/figures/rotations_grid.py`` plots (the figure only draws).
Each pass: a fresh uniform active set of ``z`` circuits and inputs through the ReLU network of
:func:`superpose.verify.rotations.simulate` (engine ``relu`` mode), every inactive circuit read;
the network is redrawn every ``K`` passes and the SEs are clustered by network.  The errors are
the ones :func:`superpose.verify.rotations.measure` checks (:func:`layer_errors` is their
per-pass arithmetic), on the grid's own random stream (key ``"rotations-grid"``).
"""
from __future__ import annotations

import math
import time

import numpy as np

from superpose.verify import rotations as rot
from superpose.verify.rng import stream
from superpose.verify.stats import clustered_mean

#: The four mean-square errors, and the ``simulate`` output each is read from.
KEYS = ("x_active", "x_inactive", "alpha_active", "alpha_inactive")
SOURCE = {"x_active": "dxa", "x_inactive": "xi", "alpha_active": "daa", "alpha_inactive": "ai"}


def layer_errors(o: dict, l: int) -> tuple[dict, dict]:
    """Per-pass mean squares (B,) and maxima of the four errors at layer ``l`` of one mode's
    :func:`~superpose.verify.rotations.simulate` output ``o``: means over the ``z`` active
    circuits, or over the valid (read) inactive ones."""
    v = o["valid"][l]
    nv = np.maximum(v.sum(1), 1)
    ms, mx = {}, {}
    for k in KEYS:
        a = o[SOURCE[k]][l]
        if k.endswith("inactive"):
            ms[k] = (a**2 * v).sum(1) / nv
            mx[k] = float((np.abs(a) * v).max(initial=0))
        else:
            ms[k] = (a**2).mean(1)
            mx[k] = float(np.abs(a).max())
    return ms, mx


def measure_point(D: int, T: int, z: int, passes: int, K: int, seed: int, *, S: int, L: int,
                  batch: int = 50) -> dict:
    """Per-layer (index l-1) clustered mean squares (+ SE), maxima and fraction on at (D, T, z).

    Returns ``{"D", "T", "z", "passes", "networks", "seconds"}`` and, for every ``k`` in
    :data:`KEYS` and ``"frac_on"``, the lists ``k`` and ``k + "_se"``; ``k + "_max"`` for KEYS."""
    nets = max(2, math.ceil(passes / K))
    per = max(1, passes // nets)
    rows = {(k, l): [] for k in KEYS + ("frac_on",) for l in range(1, L + 1)}
    mx = {(k, l): 0.0 for k in KEYS for l in range(1, L + 1)}
    groups = []
    t0 = time.perf_counter()
    for g in range(nets):
        rng = stream(seed, "rotations-grid", D, T, z, K, g)
        net = rot.build(D, T, S, L, rng)
        done = 0
        while done < per:
            B = min(batch, per - done)
            o = rot.simulate(net, z, B, rng, modes=("relu",), read="all")["relu"]
            for l in range(1, L + 1):
                ms, m = layer_errors(o, l)
                for k in KEYS:
                    rows[(k, l)] += ms[k].tolist()
                    mx[(k, l)] = max(mx[(k, l)], m[k])
                rows[("frac_on", l)] += [float(o["frac_on"][l])] * B
            groups += [g] * B
            done += B
    out = {"D": D, "T": T, "z": z, "passes": len(groups), "networks": nets,
           "seconds": time.perf_counter() - t0}
    for k in KEYS + ("frac_on",):
        est = [clustered_mean(rows[(k, l)], groups) for l in range(1, L + 1)]
        out[k], out[k + "_se"] = [e.value for e in est], [e.se for e in est]
    for k in KEYS:
        out[k + "_max"] = [mx[(k, l)] for l in range(1, L + 1)]
    return out


def measure_grid(pairs, zs, passes: int, K: int, seed: int, *, S: int, L: int,
                 progress=None) -> list[dict]:
    """:func:`measure_point` at every (D, T) in ``pairs`` x z in ``zs``."""
    res = []
    for D, T in pairs:
        for z in zs:
            res.append(measure_point(D, T, z, passes, K, seed, S=S, L=L))
        if progress:
            progress(f"rotations_grid: D={D} T={T} "
                     f"({sum(r['seconds'] for r in res[-len(zs):]):.1f} s)")
    return res
