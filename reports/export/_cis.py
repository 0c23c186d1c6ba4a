r"""The CiS2 network family as an exported MLP: what :mod:`.cis2` and :mod:`.rotations` share.

(cis2.md §3, §7; engine :mod:`superpose.verify.cis2.engine`.)  Input ``x`` (T d,), block ``t`` =
``a^0_t`` (0 for inactive circuits).  ``W_1 = sum_t (w^1_t (x) |e^1_t>) <t|`` (the layer-0 trick,
W^1 = I folded in), ``W_l`` (5.20) for ``l >= 2``, biases ``b^l (x) |1>`` (5.28), ReLU everywhere,
``W_out = sum_t |t> U^L_t`` with ``U^L_t = (1/S) (I_d (x) <e^L_t|)`` (5.30).  ``cis2`` uses the
engine's zero-mean family (``wbar = 0``); ``rotations`` its rotation family, whose mean weight
``wbar (x) calW`` is the ``shared`` pseudo-circuit together with the biases.

The valid inputs, their targets and the network itself come from the engine (``Network.build``,
``sample_active``, the family's ``encode``/``forward_small``).  :func:`forward` is the engine's
factored product (module docstring of the engine) applied to arbitrary dense inputs; it is kept
as its own few lines because the engine's routes sum in another order (ulp-level differences)
and ``check_output`` of a factored export must stay bit-for-bit reproducible.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from superpose.derive.cis2.alloc import capacity
from superpose.reports.export import Built, Export, ExportSpec, Prediction, dense_guard
from superpose.derive.quantity import BadInput, Param
from superpose.verify.cis2 import engine as eng

CHUNK = 2**22                       # factored pass: samples per chunk x T d S <= CHUNK
FORWARD = "superpose.reports.export.cis2.forward"


def resolved(p: dict, rotation: bool) -> tuple[int, int]:
    """(d, T) of the network: d = 4 for rotations, T = 0 means T_max."""
    d = 4 if rotation else p["d"]
    return d, p["T"] or capacity(p["D"], d, p["S"], p.get("alloc", 0))


def sizes(p: dict, rotation: bool) -> tuple[int, int]:
    (d, T), D, S, L = resolved(p, rotation), p["D"], p["S"], p["L"]
    truth = 8 * (L + 1) * T * d * (2 * d + 1) + 4 * (L + 1) * T * S
    return 8 * (2 * D * T * d + (L - 1) * D * D + L * D) + truth, truth


def describe(p: dict) -> str:
    return (f" (T = T_max = {capacity(p['D'], p.get('d', 4), p['S'], p.get('alloc', 0))})"
            if p["T"] == 0 else "")


def build(p: dict, rng: np.random.Generator, network: Callable, rotation: bool) -> Built:
    """``network(p, d, T, rng)`` -> the engine's Network; arrays, dense layers and manifest text."""
    D, S, L, z = p["D"], p["S"], p["L"], p["z"]
    d, T = resolved(p, rotation)
    net = network(p, d, T, rng)
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
                    "factored_forward": f"cis2 ({FORWARD})"},
        "inputs": {
            "active_set": f"z = {z} distinct circuits, uniform among T = {T}",
            "payload": f"x_t uniform on the unit sphere of R^{k}, independent per active circuit",
            "encoding": ("a^0_t = (1.5, 0.5, x0 + 1, x1 + 1) (RiS (5.4), alpha = 1)" if rotation else
                         "a^0_t[roles[0, t, r]] = (3, 1/3, 0, x + 1)[r] (zero-mean family, alpha = 1)"),
            "input": "x[t*d:(t+1)*d] = a^0_t for active t, 0 for inactive t",
            "target": "y[t*d:(t+1)*d] = a^L_t, a^l_t = relu(circuit_w[l, t] @ a^{l-1}_t + circuit_b[l]);"
                      " 0 for inactive t",
            "sampler": "superpose.reports.export.Export.sample_inputs(n, rng)"},
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
    return Built(net, arrays, lambda: dense(arrays, D, d, S, T, L), man)


# ---------------------------------------------------------------- dense layers


def dense(a: dict, D: int, d: int, S: int, T: int, L: int) -> dict[str, np.ndarray]:
    """Layer matrices of the exported MLP (module docstring), assembled entry by entry."""
    N, w, sup = D // d, a["circuit_w"], a["support"].astype(np.int64)
    out: dict[str, np.ndarray] = {}
    W1 = np.zeros((D, T * d))
    rows = np.arange(d)[None, :, None] * N + sup[1][:, None, :]              # (T, d, S)
    cols = np.arange(T)[:, None] * d + np.arange(d)                           # (T, d)
    W1[rows[:, :, :, None], cols[:, None, None, :]] = w[1][:, :, None, :]    # (T, d, S, d)
    out["weight_1"] = W1
    for l in range(2, L + 1):
        out[f"weight_{l}"] = _weight(a, l, D, d, S)
    for l in range(1, L + 1):
        out[f"bias_{l}"] = np.repeat(a["circuit_b"][l], N)
    R = np.zeros((T * d, D))
    R[cols[:, :, None], np.arange(d)[None, :, None] * N + sup[L][:, None, :]] = 1.0 / S
    out["weight_out"] = R
    return out


def _circuit_part(a: Mapping, l: int, D: int, d: int, S: int):
    """(rows, cols, vals) of (1/S) sum_t (w_t - wbar) (x) |e^l_t><e^{l-1}_t|, each (T, d, d, S, S)."""
    N, sup = D // d, a["support"].astype(np.int64)
    dw = a["circuit_w"][l] - a["shared_wbar"][l]
    r = np.arange(d)[None, :, None] * N + sup[l][:, None, :]                  # (T, d, S)
    c = np.arange(d)[None, :, None] * N + sup[l - 1][:, None, :]
    rows = np.broadcast_to(r[:, :, None, :, None], dw.shape + (S, S))
    cols = np.broadcast_to(c[:, None, :, None, :], dw.shape + (S, S))
    return rows, cols, np.broadcast_to(dw[..., None, None] / S, dw.shape + (S, S))


def _calW(a: Mapping, l: int, N: int, S: int) -> np.ndarray:
    """calW^l (N, N) = (1/S) cap - chi (1 - cap), cap = min(1, M) (RiS code form, cis2.md §7)."""
    sup = a["support"].astype(np.int64)
    keys = (sup[l][:, :, None] * N + sup[l - 1][:, None, :]).ravel()
    cap = np.minimum(np.bincount(keys, minlength=N * N), 1).reshape(N, N).astype(np.float64)
    return cap / S - a["chi"][l] * (1.0 - cap)


def _weight(a: Mapping, l: int, D: int, d: int, S: int) -> np.ndarray:
    """W^l (D, D), l >= 2 (5.20): wbar (x) calW + (1/S) sum_t Dw_t (x) |e^l_t><e^{l-1}_t|."""
    W = np.zeros((D, D))
    if np.any(a["shared_wbar"][l]):
        W += np.kron(a["shared_wbar"][l], _calW(a, l, D // d, S))
    rows, cols, vals = _circuit_part(a, l, D, d, S)
    W += np.bincount((rows * D + cols).ravel(), vals.ravel(), minlength=D * D).reshape(D, D)
    return W


# ---------------------------------------------------------------- factored pass


def forward(a: Mapping[str, np.ndarray], x: np.ndarray, hidden: bool = False):
    """Factored forward pass of :func:`_forward` in chunks of samples (bounded memory)."""
    D, d, N, S, T, L = (int(v) for v in a["dims"])
    step = max(1, CHUNK // (T * d * S))
    parts = [_forward(a, x[i:i + step]) for i in range(0, max(len(x), 1), step)]
    y = np.concatenate([q[0] for q in parts])
    return (y, [np.concatenate([q[1][k] for q in parts]) for k in range(L)]) if hidden else y


def _forward(a: Mapping[str, np.ndarray], x: np.ndarray):
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


# ---------------------------------------------------------------- ground truth


def family_of(kind: str) -> Callable[[Export], eng.CircuitFamily]:
    """``Export.family`` for the engine's family ``kind`` ("zero-mean", "rotation")."""
    def family(ex: Export) -> eng.CircuitFamily:
        a = ex.arrays
        return eng.CircuitFamily(kind, a["circuit_w"], a["circuit_b"], a["shared_wbar"], a.get("roles"))
    return family


def sample_inputs(ex: Export, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Valid inputs (z active circuits, engine's sampler) with the small circuits' outputs."""
    fam = ex.family()
    T, d, L = fam.T, fam.d, fam.L
    active = eng.sample_active(T, ex.params["z"], n, rng)
    payload = fam.sample_x(rng, n, ex.params["z"])
    a0 = fam.encode(active, payload)
    true = fam.forward_small(active, a0)                                       # (L+1, n, z, d)
    X, Y = np.zeros((n, T, d)), np.zeros((n, T, d))
    X[np.arange(n)[:, None], active], Y[np.arange(n)[:, None], active] = a0, true[L]
    return {"input": X.reshape(n, -1), "target": Y.reshape(n, -1), "active": active,
            "payload": payload, "true": true}


def circuits(ex: Export) -> list:
    return list(range(int(ex.arrays["dims"][4])))


def neurons(ex: Export, key, layer: int) -> np.ndarray:
    a = ex.arrays
    D, d, N, S, T, L = (int(v) for v in a["dims"])
    if not (isinstance(key, (int, np.integer)) and 0 <= key < T and 1 <= layer <= L):
        raise BadInput(f"{ex.name}: no circuit {key!r} at layer {layer!r} (circuits 0..{T - 1}, layers 1..{L})")
    return np.sort((np.arange(d)[:, None] * N + a["support"][layer, key]).ravel())


def true_components(ex: Export) -> dict:
    """``{t: {param: (rows, cols, vals)}, "shared": {param: dense array}}`` (manifest text)."""
    a = ex.arrays
    D, d, N, S, T, L = (int(v) for v in a["dims"])
    sup, w = a["support"].astype(np.int64), a["circuit_w"]
    per: dict[str, tuple] = {}
    r1 = np.arange(d)[None, :, None] * N + sup[1][:, None, :]                   # (T, d, S)
    c1 = np.arange(T)[:, None] * d + np.arange(d)                               # (T, d)
    shp = (T, d, S, d)
    per["weight_1"] = (np.broadcast_to(r1[..., None], shp), np.broadcast_to(c1[:, None, None, :], shp),
                       np.broadcast_to(w[1][:, :, None, :], shp))
    for l in range(2, L + 1):
        per[f"weight_{l}"] = _circuit_part(a, l, D, d, S)
    shp = (T, d, S)
    rL = np.arange(d)[None, :, None] * N + sup[L][:, None, :]                  # (T, d, S)
    per["weight_out"] = (np.broadcast_to(c1[:, :, None], shp), rL, np.full(shp, 1.0 / S))
    out: dict[Any, Any] = {t: {k: tuple(np.ascontiguousarray(v[t]).ravel() for v in rcv)
                               for k, rcv in per.items()} for t in range(T)}
    shared = {f"bias_{l}": np.repeat(a["circuit_b"][l], N) for l in range(1, L + 1)}
    for l in range(2, L + 1):
        if np.any(a["shared_wbar"][l]):
            dense_guard(ex, 8 * D * D, "the shared mean-weight component")
            shared[f"weight_{l}"] = np.kron(a["shared_wbar"][l], _calW(a, l, N, S))
    out["shared"] = shared
    return out


def allocation_predictions(p: dict, man: dict) -> list[Prediction]:
    """The allocation statistics, exact for this network's supports."""
    T, d = man["resolved"]["T"], man["resolved"]["d"]
    base = {"D": p["D"], "d": d, "S": p["S"], "T": T, "alloc": p.get("alloc", 0)}
    return [Prediction("cis2", q, base, "allocation statistic: exact for this network's supports")
            for q in ("capacity", "share_prob", "overlap_mean", "overlap_ms")]


def without(params: tuple[Param, ...], names: set[str]) -> tuple[Param, ...]:
    return tuple(q for q in params if q.name not in names)



def spec(*, params: tuple[Param, ...], constraint, rotation: bool, network: Callable, kind: str,
         predictions: Callable[[dict, dict], list[Prediction]], note: str) -> ExportSpec:
    """The ExportSpec of a CiS2-family construction (``network(p, d, T, rng)`` builds it)."""
    return ExportSpec(
        params=params, constraint=constraint, sizes=lambda p: sizes(p, rotation),
        build=lambda p, rng: build(p, rng, network, rotation), forward=forward,
        sample_inputs=sample_inputs, circuits=circuits, predictions=predictions,
        predictions_note=note, neurons=neurons, true_components=true_components,
        family=family_of(kind), describe=describe)
