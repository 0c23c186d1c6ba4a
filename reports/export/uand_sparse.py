r"""Export of ``uand-sparse`` (uand.md §2): ``a = relu(W x - 1)``, ``W`` (d, m) Bernoulli(p).

Readoff ``v_ij = 1[C_ij] / |C_ij|``, ``C_ij = S_i & S_j`` (0 for an empty ``C_ij``).  Weights,
inputs and the hidden layer come from :mod:`superpose.verify.uand_sparse`.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from superpose.reports.export import Built, ExportSpec, Prediction, _uand
from superpose.verify import uand_sparse as vus


def _sizes(p: dict) -> tuple[int, int]:
    P = p["m"] * (p["m"] - 1) // 2
    fac = 8 * p["d"] * p["m"] + 16 * P
    return fac + 8 * (P * p["d"] + p["d"]) + 8 * P * (1 + p["d"] * p["p"] ** 2), fac


def _build(p: dict, rng: np.random.Generator) -> Built:
    d, m, pp, l = p["d"], p["m"], p["p"], p["l"]
    W = vus.build(d, m, pp, rng)                                                 # (d, m) 0/1
    pairs = _uand.pairs(m)
    C = (W.T @ W)[pairs[:, 0], pairs[:, 1]]
    arrays = {"weight_in": W, "and_pairs": pairs, "and_size": C.astype(np.int64)}
    man = {
        "resolved": {},
        "network": {"input_dim": m, "output_dim": len(pairs), "hidden": [d],
                    "factored_forward": "uand-sparse (superpose.reports.export.uand_sparse.forward)"},
        "inputs": _uand.inputs(m, l, "pairs with and_size = 0 read 0 (the construction fails there)"),
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


def forward(a: Mapping[str, np.ndarray], x: np.ndarray, hidden: bool = False):
    """Factored: y_p = sum_{k in C_p} a_k / |C_p|, a = relu(W x - 1) (verify.uand_sparse.forward).

    (verify.uand_sparse.readoffs sums in float32, exact for 0/1 inputs only; this takes any input.)
    """
    W, (i, j), C = a["weight_in"], a["and_pairs"].T, a["and_size"]
    act = vus.forward(W, x.T).T                                                 # (B, d)
    num = np.stack([((W.T * ab) @ W)[i, j] for ab in act]) if len(act) else np.zeros((0, i.size))
    y = np.divide(num, C, out=np.zeros_like(num), where=C > 0)
    return (y, [act]) if hidden else y


def _sample(ex, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    l = ex.params["l"]
    X = vus.sample_inputs(ex.params["m"], l, n, rng).T                         # (n, m)
    active = np.sort(np.argsort(-X, axis=1, kind="stable")[:, :l], axis=1)
    return _uand.sample(ex, X, active)


def _neurons(ex, key, layer: int) -> np.ndarray:
    from superpose.derive.quantity import BadInput

    p = _uand.key(ex, key)
    if layer != 1:
        raise BadInput(f"{ex.name}: one hidden layer (layer 1), got {layer!r}")
    i, j = ex.arrays["and_pairs"][p]
    return np.flatnonzero(ex.arrays["weight_in"][:, i] * ex.arrays["weight_in"][:, j])


def _predictions(p: dict, man: dict) -> list[Prediction]:
    dp, dmp, dpl = ({"d": p["d"], "p": p["p"]}, {"d": p["d"], "m": p["m"], "p": p["p"]},
                    {"d": p["d"], "p": p["p"], "l": p["l"]})
    return ([Prediction("uand-sparse", q, dp) for q in ("intersection_mean", "p_empty")]
            + [Prediction("uand-sparse", q, dmp) for q in ("p_any_empty_union", "p_any_empty_poisson")]
            + [Prediction("uand-sparse", f"{q}_{c}", dpl, "given a non-empty intersection")
               for c in ("both", "one", "none") for q in ("mean", "mse")])


EXPORT = ExportSpec(
    params=tuple(q for q in vus.PARAMS if q.name in ("d", "m", "p", "l")),
    constraint=lambda p: (f"p must be in (0, 1], got {p['p']}" if not 0 < p["p"] <= 1 else
                          f"l={p['l']} exceeds m={p['m']}" if p["l"] > p["m"] else None),
    sizes=_sizes, build=_build, forward=forward, sample_inputs=_sample, circuits=_uand.circuits,
    predictions=_predictions, neurons=_neurons, key=_uand.key, flat_proposals=True,
    no_weights_reason="a U-AND first layer is shared by every AND that reads an input",
    predictions_note="moments of the readoff given a non-empty intersection; over the weight draw")
