r"""Export constructed networks with their ground truth, for interpretability methods.

A folder holds ``arrays.npz`` (plain float64 / int arrays) and ``manifest.json`` (parameters,
seed, versions, git revision, layer shapes, the ground truth's layout, how to sample valid
inputs, the predicted error figures from the registry, and a stored check pass).

**Network as exported** (every construction is an MLP ``y = W_out relu(... relu(W_1 x + b_1))``):

* ``cis2`` / ``rotations`` (cis2.md §3, §7; engine ``verify/cis2_engine.py``): input ``x`` (T d,),
  block ``t`` = ``a^0_t`` (0 for inactive circuits).  ``W_1 = sum_t (w^1_t (x) |e^1_t>) <t|`` (the
  layer-0 trick, W^1 = I folded in), ``W_l`` (5.20) for ``l >= 2``, biases ``b^l (x) |1>`` (5.28),
  ReLU everywhere, ``W_out = sum_t |t> U^L_t`` with ``U^L_t = (1/S) (I_d (x) <e^L_t|)`` (5.30).
  ``cis2`` uses the engine's zero-mean family (``wbar = 0``); ``rotations`` its rotation family,
  whose mean weight ``wbar (x) calW`` is the ``shared`` pseudo-circuit together with the biases.
* ``uand-random`` (uand.md §5): ``h = relu(W x)``, ``W`` (N, m); AND of pair p = (i, j) read off
  as ``(1/N) sum_n r_{p,n} h_n``, ``r = alpha 1[W_ni>0 & W_nj>0] + beta 1[W_ni>0] + gamma 1[W_nj>0]
  + delta`` (coefficients from ``derive.uand_random.coefficients``).
* ``uand-sparse`` (uand.md §2): ``a = relu(W x - 1)``, ``W`` (d, m) Bernoulli(p); readoff
  ``v_ij = 1[C_ij] / |C_ij|``, ``C_ij = S_i & S_j`` (0 for an empty ``C_ij``).

**Formats.**  ``dense`` stores every layer's matrix (``weight_1, bias_1, ..., weight_out``) and
is refused above ``DENSE_MAX_BYTES``; ``factored`` stores only the construction's arrays
(supports, small weights, ``corr``/``chi``, ``W``) and runs a factored forward pass in plain numpy.
Both store the ground truth and ``check_input``/``check_output``: the forward pass of the
folder's own code path, which :func:`load` reproduces bit for bit.
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import scipy.sparse as sps

from superpose.derive.cis2.alloc import capacity
from superpose.derive.quantity import BadInput, Param, bind_params, get_construction
from superpose.verify import cis2 as v_cis2
from superpose.verify import outdir, provenance
from superpose.verify.provenance import git_revision
from superpose.verify.cis2 import engine as eng
from superpose.verify import rotations as v_rot
from superpose.verify import uand_random as v_ur
from superpose.verify.rng import stream

FORMAT, SCHEMA_VERSION = "superpose-export", 1
ARRAYS, MANIFEST = "arrays.npz", "manifest.json"
DENSE_MAX_BYTES = 256 * 2**20       # dense layer matrices + ground truth, float64
FACTORED_MAX_BYTES = 2**30
N_CHECK = 8                         # stored check passes
CHUNK = 2**22                       # factored CiS2 pass: samples per chunk x T d S <= CHUNK
ZIP_DATE = (1980, 1, 1, 0, 0, 0)    # fixed member timestamps: byte-identical npz
PACKAGES = ("numpy", "scipy", "sympy", "mpmath")


def _uand_sparse():
    try:
        from superpose.verify import uand_sparse
    except ModuleNotFoundError:  # pragma: no cover - optional construction
        return None
    return uand_sparse


# ------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class Spec:
    """One exportable construction: its parameters (from its verify module) and how to build it."""

    name: str
    params: tuple[Param, ...]
    constraint: Callable[[dict], str | None] | None
    sizes: Callable[[dict], tuple[int, int]]         # (dense bytes, factored bytes)
    build: Callable[[dict, np.random.Generator], "Built"]


@dataclass
class Built:
    network: Any                                     # engine Network or W, for tests
    arrays: dict[str, np.ndarray]                    # ground truth + factored arrays
    dense: Callable[[], dict[str, np.ndarray]]       # layer arrays, built on demand
    manifest: dict[str, Any]


def _drop(params, names):
    return tuple(p for p in params if p.name not in names)


def _fmt_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return ""  # pragma: no cover


# --------------------------------------------------------------- CiS2 / rotations


def _cis2_T(p: dict) -> int:
    return p["T"] or capacity(p["D"], p["d"], p["S"])


def _cis2_sizes(p: dict) -> tuple[int, int]:
    D, d, S, L, T = p["D"], p["d"], p["S"], p["L"], _cis2_T(p)
    truth = 8 * (L + 1) * T * d * (2 * d + 1) + 4 * (L + 1) * T * S
    return 8 * (2 * D * T * d + (L - 1) * D * D + L * D) + truth, truth


def _cis2_build(p: dict, rng: np.random.Generator, rotation: bool) -> Built:
    D, S, L, z = p["D"], p["S"], p["L"], p["z"]
    d, T = (4, p["T"] or capacity(D, 4, S)) if rotation else (p["d"], _cis2_T(p))
    if rotation:
        net = v_rot.build(D, T, S, L, rng)
    else:
        net = eng.Network.build(D, d, S, T, L, eng.zero_mean_family(T, d, L, rng), rng)
    fam = net.family
    arrays = {"circuit_w": np.array(fam.w, dtype=np.float64), "circuit_b": fam.b.astype(np.float64),
              "shared_wbar": fam.wbar.astype(np.float64), "support": net.alloc.copy(),
              "chi": net.chi.copy(), "dims": np.array([D, d, D // d, S, T, L], dtype=np.int64)}
    if fam.roles is not None:
        arrays["roles"] = fam.roles.copy()
    for l in range(2, L + 1):
        c = net.corr[l].tocoo()
        arrays[f"corr_rows_{l}"], arrays[f"corr_cols_{l}"] = c.row.astype(np.int64), c.col.astype(np.int64)
        arrays[f"corr_vals_{l}"] = c.data.astype(np.float64)
    N, k = D // d, (2 if rotation else d - 3)
    roles = ("alpha_a (1.5 alpha)", "alpha_b (0.5 alpha)", "x0 + alpha", "x1 + alpha") if rotation \
        else ("indicator a (3 alpha)", "indicator b (alpha/3)", "sink (0)") + \
        tuple(f"payload {r} (x{r} + alpha)" for r in range(k))
    man = {
        "resolved": {"d": d, "T": T, "N": N},
        "network": {"input_dim": T * d, "output_dim": T * d, "hidden": [D] * L,
                    "factored_forward": "cis2 (verify.export.forward_cis2)"},
        "inputs": {
            "active_set": f"z = {z} distinct circuits, uniform among T = {T}",
            "payload": f"x_t uniform on the unit sphere of R^{k}, independent per active circuit",
            "encoding": ("a^0_t = (1.5, 0.5, x0 + 1, x1 + 1) (RiS (5.4), alpha = 1)" if rotation else
                         "a^0_t[roles[0, t, r]] = (3, 1/3, 0, x + 1)[r] (zero-mean family, alpha = 1)"),
            "input": "x[t*d:(t+1)*d] = a^0_t for active t, 0 for inactive t",
            "target": "y[t*d:(t+1)*d] = a^L_t, a^l_t = relu(circuit_w[l, t] @ a^{l-1}_t + circuit_b[l]);"
                      " 0 for inactive t",
            "sampler": "superpose.verify.export.Export.sample_inputs(n, rng)"},
        "ground_truth": {
            "layout": f"hidden layer l has D = d N = {D} neurons; neuron i*N + n is small neuron i "
                      "at position n (d blocks of length N, cis2.md §1); dims = (D, d, N, S, T, L)",
            "circuits": {
                "keys": f"0..{T - 1}",
                "small_weights": "circuit_w[l, t] (d, d), l = 1..L (index 0 unused)",
                "small_bias": "circuit_b[l] (d,), the same for every circuit",
                "support": "support[l, t] (S,): positions S^l_t of circuit t (layer 0 = layer 1)",
                "neurons": "layer l: small neuron i of circuit t is {i*N + support[l, t, s]}",
                "embedding": "E^l_t = I_d (x) e^l_t, e^l_t = 1 on support[l, t], 0 elsewhere",
                "readout": "U^l_t = (1/S) E^l_t^T: hat a^l_t[i] = mean_s h^l[i*N + support[l, t, s]]",
                "input_block": "x[t*d:(t+1)*d]", "output_block": "y[t*d:(t+1)*d]",
                "roles": ("fixed: " + ", ".join(roles)) if rotation else
                         "roles[l, t, r] = small neuron of role r: " + ", ".join(roles),
                "weight_component": "weight_1: w^1_t (x) |e^1_t><t|; weight_l (l >= 2): "
                                    "(1/S)(w^l_t - wbar^l) (x) |e^l_t><e^{l-1}_t|; weight_out: |t> U^L_t",
            },
            "shared": {
                "bias": "bias_l = circuit_b[l] (x) 1_N",
                "mean_weight": "weight_l (l >= 2): shared_wbar[l] (x) calW^l, calW = (1/S) cap - "
                               "chi[l] (1 - cap), cap = M - corr_l, M_nm = #{t: n in S^l_t, m in "
                               "S^{l-1}_t}, corr_l = COO (corr_rows_l, corr_cols_l, corr_vals_l)"
                               + (" (zero: the zero-mean family has wbar = 0)" if not rotation else ""),
            },
            "arrays": sorted(arrays),
        },
        "scoring": {"neuron_sets": True, "weight_attribution": True},
    }
    return Built(net, arrays, lambda: _cis2_dense(arrays, D, d, S, T, L), man)


def _cis2_dense(a: dict, D: int, d: int, S: int, T: int, L: int) -> dict[str, np.ndarray]:
    """Layer matrices of the exported MLP (module docstring), assembled entry by entry."""
    N, w, sup = D // d, a["circuit_w"], a["support"].astype(np.int64)
    out: dict[str, np.ndarray] = {}
    W1 = np.zeros((D, T * d))
    rows = np.arange(d)[None, :, None] * N + sup[1][:, None, :]              # (T, d, S)
    cols = np.arange(T)[:, None] * d + np.arange(d)                           # (T, d)
    W1[rows[:, :, :, None], cols[:, None, None, :]] = w[1][:, :, None, :]    # (T, d, S, d)
    out["weight_1"] = W1
    for l in range(2, L + 1):
        out[f"weight_{l}"] = _cis2_weight(a, l, D, d, S)
    for l in range(1, L + 1):
        out[f"bias_{l}"] = np.repeat(a["circuit_b"][l], N)
    R = np.zeros((T * d, D))
    R[cols[:, :, None], np.arange(d)[None, :, None] * N + sup[L][:, None, :]] = 1.0 / S
    out["weight_out"] = R
    return out


def _cis2_circuit_part(a: dict, l: int, D: int, d: int, S: int):
    """(rows, cols, vals) of (1/S) sum_t (w_t - wbar) (x) |e^l_t><e^{l-1}_t|, each (T, d, d, S, S)."""
    N, sup = D // d, a["support"].astype(np.int64)
    dw = a["circuit_w"][l] - a["shared_wbar"][l]
    r = np.arange(d)[None, :, None] * N + sup[l][:, None, :]                  # (T, d, S)
    c = np.arange(d)[None, :, None] * N + sup[l - 1][:, None, :]
    rows = np.broadcast_to(r[:, :, None, :, None], dw.shape + (S, S))
    cols = np.broadcast_to(c[:, None, :, None, :], dw.shape + (S, S))
    return rows, cols, np.broadcast_to(dw[..., None, None] / S, dw.shape + (S, S))


def _calW(a: dict, l: int, N: int, S: int) -> np.ndarray:
    """calW^l (N, N) = (1/S) cap - chi (1 - cap), cap = min(1, M) (RiS code form, cis2.md §7)."""
    sup = a["support"].astype(np.int64)
    keys = (sup[l][:, :, None] * N + sup[l - 1][:, None, :]).ravel()
    cap = np.minimum(np.bincount(keys, minlength=N * N), 1).reshape(N, N).astype(np.float64)
    return cap / S - a["chi"][l] * (1.0 - cap)


def _cis2_weight(a: dict, l: int, D: int, d: int, S: int) -> np.ndarray:
    """W^l (D, D), l >= 2 (5.20): wbar (x) calW + (1/S) sum_t Dw_t (x) |e^l_t><e^{l-1}_t|."""
    W = np.zeros((D, D))
    if np.any(a["shared_wbar"][l]):
        W += np.kron(a["shared_wbar"][l], _calW(a, l, D // d, S))
    rows, cols, vals = _cis2_circuit_part(a, l, D, d, S)
    W += np.bincount((rows * D + cols).ravel(), vals.ravel(), minlength=D * D).reshape(D, D)
    return W


def forward_cis2(a: Mapping[str, np.ndarray], x: np.ndarray, hidden: bool = False):
    """Factored forward pass of :func:`_forward_cis2` in chunks of samples (bounded memory)."""
    D, d, N, S, T, L = (int(v) for v in a["dims"])
    step = max(1, CHUNK // (T * d * S))
    parts = [_forward_cis2(a, x[i:i + step]) for i in range(0, max(len(x), 1), step)]
    y = np.concatenate([q[0] for q in parts])
    return (y, [np.concatenate([q[1][k] for q in parts]) for k in range(L)]) if hidden else y


def _forward_cis2(a: Mapping[str, np.ndarray], x: np.ndarray):
    r"""Factored forward pass (never forms a D x D matrix): x (B, T d) -> (y (B, T d), hidden).

    With readouts ``X_t = (1/S)<e^{l-1}_t|A>`` and ``calW = (1/S + chi) M - (1/S + chi) corr - chi J``::

        W^l A = sum_t (w_t + S chi wbar) X_t (x) |e^l_t> - (1/S + chi) wbar corr A - chi wbar J A
    """
    w, b, wbar, chi = a["circuit_w"], a["circuit_b"], a["shared_wbar"], a["chi"]
    sup = a["support"].astype(np.int64)
    D, d, N, S, T, L = (int(v) for v in a["dims"])
    B = x.shape[0]

    def spread(u, s):  # u (B, T, d) added at positions s (T, S) of every block -> (B, d, N)
        flat = (np.arange(B)[:, None, None, None] * d + np.arange(d)[None, None, :, None]) * N \
            + s[None, :, None, :]
        return np.bincount(flat.ravel(), np.broadcast_to(u[..., None], (B, T, d, S)).ravel(),
                           minlength=B * d * N).reshape(B, d, N)
    A = np.maximum(spread(np.einsum("tij,btj->bti", w[1], x.reshape(B, T, d)), sup[1])
                   + b[1][None, :, None], 0.0)
    hs = [A.reshape(B, -1)]
    for l in range(2, L + 1):
        X = A[:, :, sup[l - 1]].sum(-1).transpose(0, 2, 1) / S                # (B, T, d)
        P = spread(np.einsum("tij,btj->bti", w[l] + S * chi[l] * wbar[l], X), sup[l])
        if np.any(wbar[l]):
            r, c, v = a[f"corr_rows_{l}"], a[f"corr_cols_{l}"], a[f"corr_vals_{l}"]
            CA = np.bincount(((np.arange(B)[:, None, None] * d + np.arange(d)[None, :, None]) * N
                              + r[None, None, :]).ravel(), (A[:, :, c] * v).ravel(),
                             minlength=B * d * N).reshape(B, d, N)
            P -= (1 / S + chi[l]) * np.einsum("ij,bjn->bin", wbar[l], CA)
            P -= chi[l] * (A.sum(2) @ wbar[l].T)[:, :, None]
        A = np.maximum(P + b[l][None, :, None], 0.0)
        hs.append(A.reshape(B, -1))
    return (A[:, :, sup[L]].sum(-1) / S).transpose(0, 2, 1).reshape(B, T * d), hs


# ----------------------------------------------------------------------- U-AND


def _pairs(m: int) -> np.ndarray:
    i, j = np.triu_indices(m, 1)
    return np.stack([i, j], 1).astype(np.int64)


def _uand_inputs(m: int, l: int, extra: str) -> dict:
    return {"kind": f"exactly l = {l} of m = {m} inputs equal 1, the others 0 (uniform l-subset)",
            "target": "y[p] = x[i] x[j] for pair p = and_pairs[p] = (i, j)", "note": extra,
            "sampler": "superpose.verify.export.Export.sample_inputs(n, rng)"}


def _ur_sizes(p: dict) -> tuple[int, int]:
    P = p["m"] * (p["m"] - 1) // 2
    fac = 8 * p["N"] * p["m"] + 16 * P
    return fac + 8 * (P * p["N"] + p["N"]), fac


def _ur_build(p: dict, rng: np.random.Generator) -> Built:
    from superpose.derive import uand_random as theory

    N, l, m = p["N"], p["l"], p["m"]
    weights = "rademacher" if p["rademacher"] else "gaussian"
    W = v_ur.draw_weights(rng, (N, m), weights)                                  # (N, m)
    coefs = np.array(theory.coefficients("and", l, weights), dtype=np.float64)
    arrays = {"weight_in": W, "and_pairs": _pairs(m), "readoff_coefs": coefs}
    man = {
        "resolved": {"weights": weights},
        "network": {"input_dim": m, "output_dim": m * (m - 1) // 2, "hidden": [N],
                    "factored_forward": "uand-random (verify.export.forward_uand_random)"},
        "inputs": _uand_inputs(m, l, "readoff coefficients are exact for this l only"),
        "ground_truth": {
            "ands": "AND p reads inputs and_pairs[p] = (i, j), i < j",
            "first_layer": "weight_in (N, m), no bias: h = relu(weight_in @ x); shared by every AND",
            "readoff": "r_{p,n} = a 1[W_ni>0 & W_nj>0] + b 1[W_ni>0] + c 1[W_nj>0] + d with (a, b, c, d)"
                       " = readoff_coefs; readoff vector = r_p / N (row p of weight_out)",
            "neurons": "every neuron: r_{p,n} != 0 for all n (Gaussian AND: r = s_U s_V / K_l), so "
                       "neuron sets are not defined",
            "shared": "weight_in (every AND reads the same hidden layer)",
            "arrays": sorted(arrays)},
        "scoring": {"neuron_sets": False, "weight_attribution": False},
    }

    def dense():
        s = (W > 0).astype(np.float64)
        i, j = arrays["and_pairs"].T
        al, be, ga, de = coefs
        R = (al * s[:, i] * s[:, j] + be * s[:, i] + ga * s[:, j] + de).T / N   # (P, N)
        return {"weight_1": W.copy(), "weight_out": R}
    return Built(W, arrays, dense, man)


def forward_uand_random(a: Mapping[str, np.ndarray], x: np.ndarray, hidden: bool = False):
    """Factored: y_p = (1/N)(a G_ij + b g_i + c g_j + d sum h), G = s^T diag(h) s, g = s^T h."""
    W, (i, j), (al, be, ga, de) = a["weight_in"], a["and_pairs"].T, a["readoff_coefs"]
    h = np.maximum(x @ W.T, 0.0)                                                # (B, N)
    s = (W > 0).astype(np.float64)
    g = h @ s                                                                   # (B, m)
    G = np.stack([((s.T * hb) @ s)[i, j] for hb in h]) if len(h) else np.zeros((0, i.size))
    y = (al * G + be * g[:, i] + ga * g[:, j] + de * h.sum(1, keepdims=True)) / W.shape[0]
    return (y, [h]) if hidden else y


def _us_sizes(p: dict) -> tuple[int, int]:
    P = p["m"] * (p["m"] - 1) // 2
    fac = 8 * p["d"] * p["m"] + 16 * P
    return fac + 8 * (P * p["d"] + p["d"]) + 8 * P * (1 + p["d"] * p["p"] ** 2), fac


def _us_build(p: dict, rng: np.random.Generator) -> Built:
    vus = _uand_sparse()
    d, m, pp, l = p["d"], p["m"], p["p"], p["l"]
    W = vus.build(d, m, pp, rng)                                                 # (d, m) 0/1
    pairs = _pairs(m)
    C = (W.T @ W)[pairs[:, 0], pairs[:, 1]]
    arrays = {"weight_in": W, "and_pairs": pairs, "and_size": C.astype(np.int64)}
    man = {
        "resolved": {},
        "network": {"input_dim": m, "output_dim": len(pairs), "hidden": [d],
                    "factored_forward": "uand-sparse (verify.export.forward_uand_sparse)"},
        "inputs": _uand_inputs(m, l, "pairs with and_size = 0 read 0 (the construction fails there)"),
        "ground_truth": {
            "ands": "AND p reads inputs and_pairs[p] = (i, j), i < j",
            "first_layer": "weight_in (d, m) 0/1, bias -1: a = relu(weight_in @ x - 1)",
            "neurons": "C_p = {k: weight_in[k, i] = weight_in[k, j] = 1}, |C_p| = and_size[p]; dense "
                       "format: and_neurons_idx[and_neurons_ptr[p]:and_neurons_ptr[p+1]]",
            "readoff": "v_p = 1[C_p] / |C_p| (row p of weight_out; 0 if C_p is empty)",
            "shared": "bias_1 = -1 (every neuron)",
            "arrays": sorted(arrays)},
        "scoring": {"neuron_sets": True, "weight_attribution": False},
    }

    def dense():
        V = W[:, pairs[:, 0]] * W[:, pairs[:, 1]]                               # (d, P)
        V = np.divide(V, C, out=np.zeros_like(V), where=C > 0).T
        ptr = np.concatenate([[0], np.cumsum(C)]).astype(np.int64)
        idx = np.nonzero(V)[1].astype(np.int64)
        return {"weight_1": W.copy(), "bias_1": -np.ones(d), "weight_out": V,
                "and_neurons_ptr": ptr, "and_neurons_idx": idx}
    return Built(W, arrays, dense, man)


def forward_uand_sparse(a: Mapping[str, np.ndarray], x: np.ndarray, hidden: bool = False):
    """Factored: y_p = sum_{k in C_p} a_k / |C_p|, a = relu(W x - 1) (verify.uand_sparse.forward)."""
    W, (i, j), C = a["weight_in"], a["and_pairs"].T, a["and_size"]
    act = _uand_sparse().forward(W, x.T).T                                      # (B, d)
    num = np.stack([((W.T * ab) @ W)[i, j] for ab in act]) if len(act) else np.zeros((0, i.size))
    y = np.divide(num, C, out=np.zeros_like(num), where=C > 0)
    return (y, [act]) if hidden else y


# --------------------------------------------------------------------- registry


def _specs() -> dict[str, Spec]:
    out = {
        "cis2": Spec("cis2", _drop(v_cis2.PARAMS, {"K"}), v_cis2.constraint, _cis2_sizes,
                     lambda p, r: _cis2_build(p, r, False)),
        "rotations": Spec("rotations", _drop(v_rot.PARAMS, {"K"}), v_rot.constraint,
                          lambda p: _cis2_sizes(dict(p, d=4)), lambda p, r: _cis2_build(p, r, True)),
        "uand-random": Spec(
            "uand-random", _drop(v_ur.PARAMS, {"K"}) + (
                Param("rademacher", int, 0, lo=0, hi=1, doc="1: +-1 weights, 0: N(0, 1)"),),
            lambda p: None if p["m"] >= p["l"] else f"m={p['m']} must be >= l={p['l']}",
            _ur_sizes, _ur_build),
    }
    vus = _uand_sparse()
    if vus is not None:
        out["uand-sparse"] = Spec(
            "uand-sparse", tuple(q for q in vus.PARAMS if q.name in ("d", "m", "p", "l")),
            lambda p: (f"p must be in (0, 1], got {p['p']}" if not 0 < p["p"] <= 1 else
                       f"l={p['l']} exceeds m={p['m']}" if p["l"] > p["m"] else None),
            _us_sizes, _us_build)
    return out


PREDICTION_NOTES = {
    "cis2": "allocation statistics only: cis2's error recursions (total_ms_*) assume isotropic "
            "circuits in ideal mode (H); the ReLU error of this zero-mean family is measured only "
            "(cis2.relu_ms_*, superpose verify cis2)",
    "rotations": "rotations.*: (H) recursion (ours) and RiS's published lines, per hidden layer l; "
                 "valid while errors are small (before seizure)",
    "uand-random": "rms constants C: the RMS error of an AND readoff is C / sqrt(N) (field figure), "
                   "exact in expectation over the weight draw",
    "uand-sparse": "moments of the readoff given a non-empty intersection; over the weight draw",
}

FORWARD = {"cis2": forward_cis2, "rotations": forward_cis2,
           "uand-random": forward_uand_random, "uand-sparse": forward_uand_sparse}


def exportable() -> list[str]:
    return list(_specs())


def spec(name: str) -> Spec:
    specs = _specs()
    if name not in specs:
        raise BadInput(f"cannot export {name!r} (exportable: {', '.join(specs)})")
    return specs[name]


def _predictions(name: str, p: dict, man: dict) -> list[dict]:
    """Predicted error figures from the registry at the exported parameters (none retyped here)."""
    rows: list[tuple[str, str, dict, str]] = []
    if name in ("cis2", "rotations"):
        T, d = man["resolved"]["T"], man["resolved"]["d"]
        base = {"D": p["D"], "d": d, "S": p["S"], "T": T}
        for q in ("capacity", "share_prob", "overlap_mean", "overlap_ms"):
            rows.append(("cis2", q, base, "allocation statistic: exact for this network's supports"))
        if name == "rotations":
            for l in range(1, p["L"] + 1):
                for q in ("x_mse_active", "x_mse_inactive", "alpha_mse_active", "alpha_mse_inactive",
                          "x_mse_active_published", "x_mse_inactive_published"):
                    rows.append(("rotations", q, {"l": l, "z": p["z"], "D": p["D"], "T": T,
                                                  "S": p["S"]}, "readout error at hidden layer l"))
            rows.append(("rotations", "seizure_fraction_l1",
                         {"l": 1, "z": p["z"], "D": p["D"], "T": T, "S": p["S"]}, ""))
    elif name == "uand-random":
        pre = "rademacher_" if p["rademacher"] else ""
        for on in (0, 1, 2):
            rows.append(("uand-random", f"{pre}rms_error_constant", {"l": p["l"], "on": on},
                         f"RMS error of an AND with {on} of its pair on = value / sqrt(N)"))
        if not p["rademacher"]:
            rows.append(("uand-random", "avg_rms_error_constant", {"l": p["l"], "m": p["m"]},
                         "RMS error over a random pair = value / sqrt(N)"))
    elif name == "uand-sparse":
        for q in ("intersection_mean", "p_empty"):
            rows.append(("uand-sparse", q, {"d": p["d"], "p": p["p"]}, ""))
        for q in ("p_any_empty_union", "p_any_empty_poisson"):
            rows.append(("uand-sparse", q, {"d": p["d"], "m": p["m"], "p": p["p"]}, ""))
        for c in ("both", "one", "none"):
            for q in ("mean", "mse"):
                rows.append(("uand-sparse", f"{q}_{c}", {"d": p["d"], "p": p["p"], "l": p["l"]},
                             "given a non-empty intersection"))
    out = []
    for cname, short, params, note in rows:
        q = get_construction(cname).get(short)
        params = {k: v for k, v in params.items() if k in {qp.name for qp in q.params}}
        row = {"quantity": q.name, "params": params, "statistic": q.statistic,
               "accuracy": q.accuracy, "published": q.published, "note": note, "value": None}
        if q.is_measured_only:
            row["note"] = (note + "; " if note else "") + "measured only, no prediction"
        else:
            try:
                v = q.evaluate(params)
                row["value"] = v if isinstance(v, int) or math.isfinite(v) else None
            except BadInput as exc:
                row["note"] = (note + "; " if note else "") + f"not evaluable: {exc}"
        if row["value"] is not None and "sqrt(N)" in note:
            row["figure"] = row["value"] / math.sqrt(p["N"])
        out.append(row)
    return out


# ------------------------------------------------------------------ the folder


def _layers(name: str, man: dict) -> list[dict]:
    """The exported MLP's layers (names of the dense arrays, shapes, activations)."""
    net = man["network"]
    dims = [net["input_dim"]] + net["hidden"]
    bias = name != "uand-random"
    out = [{"weight": f"weight_{k}", "bias": f"bias_{k}" if bias else None,
            "shape": [dims[k], dims[k - 1]], "activation": "relu"} for k in range(1, len(dims))]
    return out + [{"weight": "weight_out", "bias": None, "shape": [net["output_dim"], dims[-1]],
                   "activation": "identity"}]


def forward_dense(arrays: Mapping[str, np.ndarray], layers: list[dict], x: np.ndarray,
                  hidden: bool = False):
    """The dense code path: ``h <- act(h @ W.T + b)`` layer by layer (float64)."""
    h, hs = x, []
    for lay in layers:
        h = h @ arrays[lay["weight"]].T
        if lay["bias"] is not None:
            h = h + arrays[lay["bias"]]
        if lay["activation"] == "relu":
            h = np.maximum(h, 0.0)
            hs.append(h)
    return (h, hs) if hidden else h


@dataclass(frozen=True, eq=False)
class Export:
    """An exported network in memory: ``manifest`` (dict) and ``arrays`` (name -> ndarray)."""

    manifest: dict
    arrays: Mapping[str, np.ndarray] = field(repr=False)

    name = property(lambda self: self.manifest["construction"])
    storage = property(lambda self: self.manifest["storage"])
    params = property(lambda self: self.manifest["params"])
    layers = property(lambda self: self.manifest["network"]["layers"])

    def forward(self, x, hidden: bool = False):
        """Output (B, output_dim) of inputs x (B, input_dim) [and the hidden layers' activations]."""
        x = np.asarray(x, dtype=np.float64)
        n_in = self.manifest["network"]["input_dim"]
        if x.ndim != 2 or x.shape[1] != n_in:
            raise BadInput(f"{self.name}: inputs must have shape (B, {n_in}), got {x.shape}")
        if self.storage == "dense":
            return forward_dense(self.arrays, self.layers, x, hidden)
        return FORWARD[self.name](self.arrays, x, hidden)

    def verify(self) -> tuple[bool, float]:
        """(bit-for-bit equal?, max |diff|) of the forward pass on the stored check pass."""
        y = self.forward(self.arrays["check_input"])
        ref = self.arrays["check_output"]
        return bool(np.array_equal(y, ref)), float(np.max(np.abs(y - ref), initial=0.0))

    def sample_inputs(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Valid inputs and their ground-truth outputs: ``input`` (n, in), ``target`` (n, out), ...

        CiS2 / rotations add ``active`` (n, z), ``payload`` (n, z, k) and ``true`` (L+1, n, z, d)
        (small-circuit activations, from the engine's family); U-AND adds ``active`` (n, l).
        """
        a, p = self.arrays, self.params
        if self.name in ("cis2", "rotations"):
            fam = self.family()
            T, d, L = fam.T, fam.d, fam.L
            active = eng.sample_active(T, p["z"], n, rng)
            payload = fam.sample_x(rng, n, p["z"])
            a0 = fam.encode(active, payload)
            true = fam.forward_small(active, a0)                               # (L+1, n, z, d)
            X, Y = np.zeros((n, T, d)), np.zeros((n, T, d))
            X[np.arange(n)[:, None], active], Y[np.arange(n)[:, None], active] = a0, true[L]
            return {"input": X.reshape(n, -1), "target": Y.reshape(n, -1), "active": active,
                    "payload": payload, "true": true}
        m, l = p["m"], p["l"]
        if self.name == "uand-sparse":
            X = _uand_sparse().sample_inputs(m, l, n, rng).T                   # (n, m)
            active = np.sort(np.argsort(-X, axis=1, kind="stable")[:, :l], axis=1)
        else:
            active = v_ur.random_subsets(rng, (n,), m, l)
            X = np.zeros((n, m))
            X[np.arange(n)[:, None], active] = 1.0
        i, j = a["and_pairs"].T
        return {"input": X, "target": X[:, i] * X[:, j], "active": active}

    def family(self) -> eng.CircuitFamily:
        """The small circuits as the engine's CircuitFamily (cis2 / rotations)."""
        a = self.arrays
        return eng.CircuitFamily("rotation" if self.name == "rotations" else "zero-mean",
                                 a["circuit_w"], a["circuit_b"], a["shared_wbar"], a.get("roles"))

    # ------------------------------------------------------------ ground truth

    def circuits(self) -> list:
        """Keys of the true circuits: t (cis2 / rotations) or pair index p (U-AND)."""
        n = int(self.arrays["dims"][4]) if "dims" in self.arrays else len(self.arrays["and_pairs"])
        return list(range(n))

    def neurons(self, key, layer: int = 1) -> np.ndarray:
        """Sorted hidden-neuron ids of circuit ``key`` at hidden layer ``layer`` (1-based)."""
        a = self.arrays
        if not self.manifest["scoring"]["neuron_sets"]:
            raise BadInput(f"{self.name}: neuron sets are not defined ({self.manifest['ground_truth']['neurons']})")
        if self.name in ("cis2", "rotations"):
            D, d, N, S, T, L = (int(v) for v in a["dims"])
            if not (isinstance(key, (int, np.integer)) and 0 <= key < T and 1 <= layer <= L):
                raise BadInput(f"{self.name}: no circuit {key!r} at layer {layer!r} (circuits 0..{T - 1}, layers 1..{L})")
            return np.sort((np.arange(d)[:, None] * N + a["support"][layer, key]).ravel())
        p = self._pair(key)
        if layer != 1:
            raise BadInput(f"{self.name}: one hidden layer (layer 1), got {layer!r}")
        i, j = a["and_pairs"][p]
        return np.flatnonzero(a["weight_in"][:, i] * a["weight_in"][:, j])

    def _pair(self, key) -> int:
        pairs = self.arrays["and_pairs"]
        m = self.params["m"]
        if isinstance(key, tuple) and len(key) == 2:
            i, j = sorted(int(k) for k in key)
            if not 0 <= i < j < m:
                raise BadInput(f"{self.name}: no AND of inputs {key!r} (inputs 0..{m - 1}, i != j)")
            return int(i * m - i * (i + 1) // 2 + (j - i - 1))
        if isinstance(key, (int, np.integer)) and 0 <= key < len(pairs):
            return int(key)
        raise BadInput(f"{self.name}: no AND {key!r} (pair index 0..{len(pairs) - 1} or (i, j))")

    def true_components(self) -> dict:
        """Weight components whose sum is the network: ``{t: {param: (rows, cols, vals)}, "shared":
        {param: dense array}}`` (cis2 / rotations; module docstring / manifest ``weight_component``)."""
        if not self.manifest["scoring"]["weight_attribution"]:
            raise BadInput(f"{self.name}: weight attribution is defined for cis2 and rotations only "
                           "(a U-AND first layer is shared by every AND that reads an input)")
        a = self.arrays
        D, d, N, S, T, L = (int(v) for v in a["dims"])
        sup, w = a["support"].astype(np.int64), a["circuit_w"]
        per: dict[str, tuple] = {}
        r1 = np.arange(d)[None, :, None] * N + sup[1][:, None, :]               # (T, d, S)
        c1 = np.arange(T)[:, None] * d + np.arange(d)                           # (T, d)
        shp = (T, d, S, d)
        per["weight_1"] = (np.broadcast_to(r1[..., None], shp), np.broadcast_to(c1[:, None, None, :], shp),
                           np.broadcast_to(w[1][:, :, None, :], shp))
        for l in range(2, L + 1):
            per[f"weight_{l}"] = _cis2_circuit_part(a, l, D, d, S)
        shp = (T, d, S)
        rL = np.arange(d)[None, :, None] * N + sup[L][:, None, :]              # (T, d, S)
        per["weight_out"] = (np.broadcast_to(c1[:, :, None], shp), rL, np.full(shp, 1.0 / S))
        out: dict[Any, Any] = {t: {k: tuple(np.ascontiguousarray(v[t]).ravel() for v in rcv)
                                   for k, rcv in per.items()} for t in range(T)}
        shared = {f"bias_{l}": np.repeat(a["circuit_b"][l], N) for l in range(1, L + 1)}
        for l in range(2, L + 1):
            if np.any(a["shared_wbar"][l]):
                _dense_guard(self, 8 * D * D, "the shared mean-weight component")
                shared[f"weight_{l}"] = np.kron(a["shared_wbar"][l], _calW(a, l, N, S))
        out["shared"] = shared
        return out

    def to_torch(self, dtype=None):
        """The dense network as ``torch.nn.Sequential`` (Linear, ReLU, ..., Linear); float64 by default."""
        try:
            import torch
        except ImportError:
            raise BadInput("PyTorch is not installed (pip install torch); Export.forward needs numpy only") from None
        if self.storage != "dense":
            raise BadInput("to_torch needs a dense export (--format dense)")
        mods = []
        for lay in self.layers:
            out_dim, in_dim = lay["shape"]
            lin = torch.nn.Linear(in_dim, out_dim, bias=lay["bias"] is not None, dtype=dtype or torch.float64)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(self.arrays[lay["weight"]]))
                if lay["bias"] is not None:
                    lin.bias.copy_(torch.from_numpy(self.arrays[lay["bias"]]))
            mods += [lin] + ([torch.nn.ReLU()] if lay["activation"] == "relu" else [])
        return torch.nn.Sequential(*mods)


def _dense_guard(ex: Export, nbytes: int, what: str) -> None:
    if nbytes > DENSE_MAX_BYTES:
        raise BadInput(f"{ex.name}: {what} would take {_fmt_bytes(nbytes)} "
                       f"(limit {_fmt_bytes(DENSE_MAX_BYTES)})")


def versions() -> dict[str, str]:
    return provenance.versions(("superpose",) + PACKAGES)


def make(name: str, raw_params: Mapping[str, Any], *, seed: int = 0, fmt: str = "dense",
         command: str | None = None) -> tuple[Export, Built]:
    """Build the export in memory (validated; dense refused above DENSE_MAX_BYTES)."""
    sp_ = spec(name)
    if fmt not in ("dense", "factored"):
        raise BadInput(f"--format takes dense or factored, got {fmt!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise BadInput(f"--seed must be an integer >= 0, got {seed!r}")
    params = bind_params(sp_.params, raw_params, what=f"export {name}", constraint=sp_.constraint)
    dense_b, fac_b = sp_.sizes(params)
    desc = ", ".join(f"{k}={v}" for k, v in params.items())
    if name in ("cis2", "rotations") and params["T"] == 0:
        desc += f" (T = T_max = {capacity(params['D'], params.get('d', 4), params['S'])})"
    if fmt == "dense" and dense_b > DENSE_MAX_BYTES:
        raise BadInput(f"dense export of {name} at {desc} would take {_fmt_bytes(dense_b)} "
                       f"(limit {_fmt_bytes(DENSE_MAX_BYTES)}); use --format factored "
                       f"({_fmt_bytes(fac_b)})")
    if fac_b > FACTORED_MAX_BYTES:
        raise BadInput(f"factored export of {name} at {desc} would take {_fmt_bytes(fac_b)} "
                       f"(limit {_fmt_bytes(FACTORED_MAX_BYTES)})")
    rng = stream(seed, "export", name, *(f"{k}={params[k]}" for k in sorted(params)))
    try:
        built = sp_.build(params, rng)
    except ValueError as exc:
        raise BadInput(f"export {name}: {exc}") from None
    arrays = dict(built.arrays)
    if fmt == "dense":
        arrays.update(built.dense())
    arrays = {k: np.asarray(v, order="C") for k, v in arrays.items()}  # the layout np.load returns
    man = built.manifest
    man["network"]["layers"] = _layers(name, man)
    man["network"]["dense_bytes"], man["network"]["factored_bytes"] = dense_b, fac_b
    command = command or (f"superpose export {name} "
                          + "".join(f"--param {k}={v} " for k, v in sorted(raw_params.items()))
                          + f"--seed {seed} --format {fmt}")
    manifest = {"format": FORMAT, "schema_version": SCHEMA_VERSION, "construction": name,
                "storage": fmt, "params": params, "seed": int(seed), "command": command,
                "git_revision": git_revision(), "versions": versions(), **man}
    arrays["provenance"] = np.array(json.dumps(
        {k: manifest[k] for k in ("format", "schema_version", "construction", "storage", "params",
                                  "seed", "command", "git_revision", "versions")}))
    ex = Export(manifest, arrays)
    chk = ex.sample_inputs(N_CHECK, stream(seed, "export", name, "check"))
    arrays["check_input"], arrays["check_target"] = chk["input"], chk["target"]
    arrays["check_output"] = ex.forward(chk["input"])
    manifest["check"] = {"input": "check_input", "output": "check_output", "target": "check_target",
                         "rule": "load() recomputes check_output from check_input with this folder's "
                                 "code path and requires bit-for-bit equality"}
    manifest["predictions"] = _predictions(name, params, man)
    manifest["predictions_note"] = PREDICTION_NOTES[name]
    return ex, built


def _npz_bytes(arrays: Mapping[str, np.ndarray]) -> bytes:
    """A deterministic .npz: sorted members, fixed timestamps and attributes, deflated."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key in sorted(arrays):
            info = zipfile.ZipInfo(f"{key}.npy", date_time=ZIP_DATE)
            info.compress_type, info.create_system, info.external_attr = zipfile.ZIP_DEFLATED, 3, 0o644 << 16
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asarray(arrays[key], order="C"), allow_pickle=False)
            zf.writestr(info, member.getvalue())
    return buf.getvalue()


def _is_export(path: Path) -> bool:
    try:
        man = json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(man, dict) and man.get("format") == FORMAT and \
        {p.name for p in path.iterdir()} <= {MANIFEST, ARRAYS}


def check_target(out) -> Path:
    """The absolute output folder, or ``BadInput`` if it may not be (re)written."""
    return outdir.check_target(out, _is_export, "export")


def write(ex: Export, out) -> Path:
    """Write ``ex`` to folder ``out`` via a temporary folder renamed into place (nothing half-written)."""
    target = check_target(out)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    except OSError as exc:
        raise BadInput(f"--out {out}: cannot write there ({exc.strerror or exc})") from None
    try:
        blob = _npz_bytes(ex.arrays)
        (tmp / ARRAYS).write_bytes(blob)
        man = dict(ex.manifest)
        man["arrays"] = {"file": ARRAYS, "sha256": hashlib.sha256(blob).hexdigest(),
                         "entries": {k: {"shape": list(v.shape), "dtype": str(v.dtype)}
                                     for k, v in sorted(ex.arrays.items())}}
        (tmp / MANIFEST).write_text(json.dumps(man, indent=1, allow_nan=False) + "\n")
        check_target(target)
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            os.rmdir(old)
            os.rename(target, old)
        os.rename(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def export(name: str, raw_params: Mapping[str, Any], *, out, seed: int = 0, fmt: str = "dense",
           command: str | None = None) -> Path:
    """``superpose export``: validate, build, write ``out/{manifest.json, arrays.npz}``."""
    check_target(out)
    ex, _ = make(name, raw_params, seed=seed, fmt=fmt, command=command)
    return write(ex, out)


def load(path, *, check: bool = True) -> Export:
    """Read an export folder; with ``check``, require the stored check pass bit for bit."""
    folder = Path(path)
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except FileNotFoundError:
        raise BadInput(f"{path}: no {MANIFEST} (not a superpose export folder)") from None
    except (OSError, ValueError) as exc:
        raise BadInput(f"{path}/{MANIFEST}: unreadable ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BadInput(f"{path}/{MANIFEST}: not a superpose export (format != {FORMAT!r})")
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise BadInput(f"{path}: schema version {manifest.get('schema_version')!r}, this superpose "
                       f"reads {SCHEMA_VERSION}")
    try:
        blob = (folder / ARRAYS).read_bytes()
    except OSError as exc:
        raise BadInput(f"{path}/{ARRAYS}: unreadable ({exc.strerror or exc})") from None
    if hashlib.sha256(blob).hexdigest() != manifest["arrays"]["sha256"]:
        raise BadInput(f"{path}/{ARRAYS}: contents differ from the manifest's sha256 (modified or corrupt)")
    with np.load(io.BytesIO(blob), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    missing = sorted(set(manifest["arrays"]["entries"]) - set(arrays))
    if missing:
        raise BadInput(f"{path}/{ARRAYS}: missing arrays {missing}")
    ex = Export(manifest, arrays)
    if check:
        same, diff = ex.verify()
        if not same:
            raise BadInput(f"{path}: forward pass differs from the stored check pass (max |diff| = "
                           f"{diff:.3g}); a different BLAS can do this: load(..., check=False)")
    return ex


# ---------------------------------------------------------------------- scoring


def score_neurons(ex: Export, proposed: Mapping[Any, Any]) -> dict[str, Any]:
    """Precision / recall of proposed neuron sets against the true ones (cis2, rotations, uand-sparse).

    ``proposed``: ``{circuit: {layer: neuron ids}}`` (cis2 / rotations, layers 1..L) or
    ``{pair: neuron ids}`` (uand-sparse; pair = index p or (i, j)).  Per (circuit, layer):
    precision = |P & T| / |P| (NaN if P is empty), recall = |P & T| / |T| (NaN if T is empty;
    unproposed circuits have recall 0).  Returns macro means (``precision`` over proposed sets,
    ``recall`` over true sets), ``micro_precision``/``micro_recall`` (pooled counts) and the
    per-item arrays ``per_precision``/``per_recall`` (n_circuits, n_layers).
    """
    keys = ex.circuits()
    layers = list(range(1, len(ex.manifest["network"]["hidden"]) + 1))
    if not ex.manifest["scoring"]["neuron_sets"]:
        raise BadInput(f"{ex.name}: neuron sets are not defined ({ex.manifest['ground_truth']['neurons']})")
    prec = np.full((len(keys), len(layers)), np.nan)
    rec = np.full((len(keys), len(layers)), np.nan)
    tp_sum = p_sum = t_sum = 0
    idx = {}
    for key, val in proposed.items():
        k = ex._pair(key) if ex.name.startswith("uand") else key
        if ex.name.startswith("uand"):
            val = val if isinstance(val, Mapping) else {1: val}
        if not isinstance(val, Mapping):
            raise BadInput(f"score_neurons: circuit {key!r} needs {{layer: neuron ids}}")
        if k in idx:
            raise BadInput(f"score_neurons: circuit {key!r} given twice")
        idx[k] = val
    for r, k in enumerate(keys):
        for c, l in enumerate(layers):
            true = ex.neurons(k, l)
            got = np.unique(np.asarray(list(idx.get(k, {}).get(l, ())), dtype=np.int64))
            tp = int(np.isin(got, true).sum())
            tp_sum, p_sum, t_sum = tp_sum + tp, p_sum + got.size, t_sum + true.size
            prec[r, c] = tp / got.size if got.size else np.nan
            rec[r, c] = tp / true.size if true.size else np.nan
    for k, val in idx.items():
        if k not in keys or any(l not in layers for l in val):
            raise BadInput(f"score_neurons: unknown circuit {k!r} or layer in {sorted(val)} "
                           f"(layers {layers[0]}..{layers[-1]})")
    nanmean = lambda v: float(np.nanmean(v)) if np.any(~np.isnan(v)) else math.nan  # noqa: E731
    return {"precision": nanmean(prec), "recall": nanmean(rec),
            "micro_precision": tp_sum / p_sum if p_sum else math.nan,
            "micro_recall": tp_sum / t_sum if t_sum else math.nan,
            "per_precision": prec, "per_recall": rec, "layers": layers}


def _as_matrix(q, shape) -> Any:
    if isinstance(q, tuple) and len(q) == 3:                      # (rows, cols, vals) triples
        q = sps.coo_matrix((q[2], (q[0], q[1])), shape=tuple(shape))
    if sps.issparse(q):
        q = q.tocsr()
    else:
        q = np.asarray(q, dtype=np.float64)
    if tuple(q.shape) != tuple(shape):
        raise BadInput(f"score_weights: component of shape {q.shape}, the parameter has {tuple(shape)}")
    return q


def score_weights(ex: Export, proposed: Mapping[Any, Mapping[str, Any]]) -> dict[str, Any]:
    r"""Fraction of weight norm attributed correctly (cis2, rotations).

    The truth splits every parameter (``weight_1, bias_1, ..., weight_out``) into components
    ``C_c`` (circuits ``t`` and ``"shared"``), ``sum_c C_c`` = the network (:meth:`Export.true_components`).
    ``proposed`` gives ``Q_c`` = the sum of the components a method assigned to ``c``:
    ``{c: {param: ndarray, scipy.sparse or (rows, cols, vals)}}`` (missing = 0).  Score

    .. math:: F = 1 - \sum_c\|Q_c - C_c\|_F^2 / \sum_c\|C_c\|_F^2

    (1 iff every component is exact, 0 for Q = 0; ``per_circuit`` is the same per circuit and
    ``shared`` for the shared part).  A per-entry labelling is ``Q_c = W * [label == c]``.
    """
    truth = ex.true_components()
    shapes = {lay["weight"]: lay["shape"] for lay in ex.layers}
    shapes |= {lay["bias"]: [lay["shape"][0]] for lay in ex.layers if lay["bias"]}
    for c, q in proposed.items():
        if c not in truth:
            raise BadInput(f"score_weights: unknown component {c!r} (circuits 0..{len(truth) - 2} or 'shared')")
        bad = sorted(set(q) - set(shapes))
        if bad:
            raise BadInput(f"score_weights: unknown parameter {bad[0]!r} (parameters: {', '.join(shapes)})")
    err, norm = {}, {}
    for c, comp in truth.items():
        q = proposed.get(c, {})
        e = n2 = 0.0
        for pname, shape in shapes.items():
            Q = _as_matrix(q[pname], shape) if pname in q else None
            C = comp.get(pname)
            cn = 0.0 if C is None else float(np.sum(C * C) if c == "shared" else np.sum(C[2] ** 2))
            qn, cross = 0.0, 0.0
            if Q is not None:
                qn = float(Q.multiply(Q).sum()) if sps.issparse(Q) else float(np.sum(Q * Q))
                if C is not None and c == "shared":
                    cross = float(Q.multiply(C).sum()) if sps.issparse(Q) else float(np.sum(Q * C))
                elif C is not None:
                    g = Q[C[0], C[1]]
                    cross = float(np.dot(np.asarray(g).ravel(), C[2]))
            e, n2 = e + qn - 2 * cross + cn, n2 + cn
        err[c], norm[c] = max(e, 0.0), n2
    total = sum(norm.values())
    per = np.array([1 - err[t] / norm[t] if norm[t] else math.nan for t in truth if t != "shared"])
    return {"fraction": 1 - sum(err.values()) / total, "per_circuit": per,
            "shared": 1 - err["shared"] / norm["shared"] if norm["shared"] else math.nan,
            "norm2": total}
