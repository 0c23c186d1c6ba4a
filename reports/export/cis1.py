r"""Export of ``cis1``: the CiS1 residual network (relu mode, shared bias ``b``) as a plain MLP.

A residual block :math:`A\mapsto A+W^{\rm out}\,\mathrm{relu}(W^{\rm in}A+b)` is written with
ReLU pairs that carry the stream: hidden layer ``l`` has ``2D + M`` neurons,
``[relu(A), relu(-A), relu(W^l_in A + b)]`` with ``A = A^{l-1}``, so that
``A^{l-1} = h[:D] - h[D:2D] + W^{l-1}_out h[2D:]`` is linear in the previous hidden layer:

* ``weight_1 = [E; -E; W^1_in E]`` on the input ``x`` (``T d``; block ``t`` is
  :math:`a^0_t`, 0 for inactive networks), ``E = [E_1 ... E_T]``;
* ``weight_l`` (``l >= 2``) ``= [I; -I; W^l_in] [I, -I, W^{l-1}_out]``;
* ``weight_out = E^T [I, -I, W^L_out]``: output block ``t`` is the read-out :math:`E_t^\top A^L`.

Biases ``[0, 0, b]``.  The factored form stores the frames, small weights and copies
(:mod:`superpose.derive.cis1.network`) and runs the same pass from them.
"""
from __future__ import annotations

import numpy as np

from superpose.derive.cis1 import network as nw
from superpose.derive.quantity import BadInput
from superpose.reports.export import Built, Export, ExportSpec, Prediction
from superpose.verify import cis1 as v_cis1

PARAMS = tuple(p for p in v_cis1.PARAMS if p.name not in ("K", "eps", "compare", "cap"))


def _m(p: dict) -> int:
    return 2 * p["d"] if p["family"] == 1 else p["m"]


def constraint(p: dict) -> str | None:
    if p["c"] > p["M"]:
        return f"c={p['c']} copies need c <= M={p['M']}"
    if p["d"] > p["D"] or p["k"] > p["T"]:
        return f"need d <= D and k <= T, got d={p['d']}, D={p['D']}, k={p['k']}, T={p['T']}"
    return None


def sizes(p: dict) -> tuple[int, int]:
    D, M, d, T, c, L = p["D"], p["M"], p["d"], p["T"], p["c"], p["L"]
    H = 2 * D + M
    m = _m(p)
    fac = 8 * (T * D * d + 2 * (L + 1) * T * m * d) + 8 * (L + 1) * T * m * c
    return 8 * (H * T * d + (L - 1) * H * H + L * H + T * d * H) + fac, fac


def _net_from(a) -> nw.Net:
    D, M, d, m, T, c, L, family = (int(v) for v in a["dims"])
    net = nw.Net(D, M, d, m, T, c, L, family, "relu", float(a["bias"]), a["frames"],
                 a["small_win"], a["small_wout"], a["copies"].astype(np.int64), [None], [None])
    for l in range(1, L + 1):
        V = net.V(l)
        rin = np.einsum("tjk,tDk->tjD", net.win[l], net.E).reshape(T * m, D)
        rout = np.einsum("tDk,tkj->tjD", net.E, net.wout[l]).reshape(T * m, D)
        net.Win.append(np.asarray(V @ rin))
        net.Wout.append(np.asarray((V @ rout).T) / c)
    return net


def build(p: dict, rng: np.random.Generator) -> Built:
    m = _m(p)
    net = nw.build(p["D"], p["M"], p["d"], m, p["T"], p["c"], p["L"], p["g2"], p["family"],
                   "relu", p["b"], rng)
    D, M, d, T, L = net.D, net.M, net.d, net.T, net.L
    arrays = {"frames": net.E, "small_win": net.win, "small_wout": net.wout, "copies": net.cp,
              "bias": np.array(net.b),
              "dims": np.array([D, M, d, m, T, p["c"], L, p["family"]], dtype=np.int64)}
    H = 2 * D + M
    man = {
        "resolved": {"m": m, "mode": "relu"},
        "network": {"input_dim": T * d, "output_dim": T * d, "hidden": [H] * L,
                    "factored_forward": "cis1 (superpose.reports.export.cis1.forward)"},
        "inputs": {
            "active_set": f"k = {p['k']} distinct networks, uniform among T = {T}",
            "payload": f"a^0_t uniform on the sphere of radius sqrt(rho0) in R^{d}",
            "input": "x[t*d:(t+1)*d] = a^0_t for active t, 0 for inactive t",
            "target": "y[t*d:(t+1)*d] = a^L_t, a^l_t = a^{l-1}_t + small_wout[l, t] @ "
                      "relu(small_win[l, t] @ a^{l-1}_t + bias); 0 for inactive t",
            "sampler": "superpose.reports.export.Export.sample_inputs(n, rng)"},
        "ground_truth": {
            "layout": f"hidden layer l has 2D + M = {H} neurons: relu(A), relu(-A) (the residual "
                      f"stream A^(l-1), D = {D} each), then the M = {M} large neurons of block l",
            "circuits": {
                "keys": f"0..{T - 1}",
                "frames": "frames[t] (D, d): E_t, orthonormal columns, shared by all blocks",
                "small_weights": "small_win[l, t] (m, d), small_wout[l, t] (d, m), l = 1..L",
                "copies": "copies[l, t, j] (c,): large neurons of small neuron (t, j) at block l",
                "neurons": "layer l: 2D + copies[l, t].ravel()",
                "read_in": "W^l_in = sum_t V^l_t small_win[l, t] E_t^T",
                "write_back": "W^l_out = (1/c) sum_t E_t small_wout[l, t] (V^l_t)^T",
                "readout": "output block t = E_t^T A^L"},
            "arrays": sorted(arrays),
        },
        "scoring": {"neuron_sets": True, "weight_attribution": False},
    }
    return Built(net, arrays, lambda: dense(net), man)


def dense(net: nw.Net) -> dict[str, np.ndarray]:
    D, M, T, d, L = net.D, net.M, net.T, net.d, net.L
    E = net.E.transpose(1, 0, 2).reshape(D, T * d)                     # [E_1 ... E_T]
    I = np.eye(D)
    bias = np.concatenate([np.zeros(2 * D), np.full(M, net.b)])
    out = {"weight_1": np.vstack([E, -E, net.Win[1] @ E]), "bias_1": bias.copy()}
    for l in range(2, L + 1):
        carry = np.hstack([I, -I, net.Wout[l - 1]])                     # A^{l-1} from h
        out[f"weight_{l}"] = np.vstack([carry, -carry, net.Win[l] @ carry])
        out[f"bias_{l}"] = bias.copy()
    out["weight_out"] = E.T @ np.hstack([I, -I, net.Wout[L]])
    return out


def forward(a, x: np.ndarray, hidden: bool = False):
    """Factored pass from the frames, small weights and copies (the dense layout's hidden)."""
    net = _net_from(a)
    D, T, d = net.D, net.T, net.d
    A = np.einsum("btk,tDk->bD", x.reshape(len(x), T, d), net.E)
    hs = []
    for l in range(1, net.L + 1):
        h = np.maximum(A @ net.Win[l].T + net.b, 0.0)
        hs.append(np.hstack([np.maximum(A, 0.0), np.maximum(-A, 0.0), h]))
        A = A + h @ net.Wout[l].T
    y = np.einsum("bD,tDk->btk", A, net.E).reshape(len(x), T * d)
    return (y, hs) if hidden else y


def sample_inputs(ex: Export, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    net = _net_from(ex.arrays)
    p = ex.params
    ids, a0 = v_cis1._inputs(net.T, p["k"], net.d, n, p["rho0"], rng)
    _, _, true = nw.forward(net, ids, a0)
    X, Y = np.zeros((n, net.T, net.d)), np.zeros((n, net.T, net.d))
    X[np.arange(n)[:, None], ids], Y[np.arange(n)[:, None], ids] = a0, true[net.L]
    return {"input": X.reshape(n, -1), "target": Y.reshape(n, -1), "active": ids,
            "true": np.stack(true)}


def circuits(ex: Export) -> list:
    return list(range(int(ex.arrays["dims"][4])))


def neurons(ex: Export, key, layer: int) -> np.ndarray:
    D, M, d, m, T, c, L, _ = (int(v) for v in ex.arrays["dims"])
    if not (isinstance(key, (int, np.integer)) and 0 <= key < T and 1 <= layer <= L):
        raise BadInput(f"{ex.name}: no network {key!r} at layer {layer!r} (networks 0..{T - 1}, "
                       f"layers 1..{L})")
    return np.unique(2 * D + ex.arrays["copies"][layer, key].ravel())


def predictions(p: dict, man: dict) -> list[Prediction]:
    m = man["resolved"]["m"]
    base = {"D": p["D"], "M": p["M"], "d": p["d"], "m": m, "T": p["T"], "k": p["k"], "c": p["c"],
            "rho0": p["rho0"], "L": p["L"]}
    rows = [Prediction("cis1", q, base) for q in
            ("params_small", "params_large", "capacity_claim", "overlap_ms_active",
             "overlap_ms_inactive", "load_mean", "load_others")]
    if p["family"] == 0:
        rows += [Prediction("cis1", "readin_ms_copy", base, "pre-activation noise of one copy"),
                 Prediction("cis1", "on_fraction_l1", {**base, "b": p["b"]}, "relu, block 1")]
    return rows


EXPORT = ExportSpec(
    params=PARAMS, constraint=constraint, sizes=sizes, build=build, forward=forward,
    sample_inputs=sample_inputs, circuits=circuits, predictions=predictions,
    predictions_note="cis1.*: structure and block-1 statistics (Gaussian family for the read-in); "
                     "the multi-block errors are measured (superpose verify cis1)",
    neurons=neurons, no_weights_reason="the read-in rows mix every network copied at a neuron")
