r"""Export of ``uand-random`` (uand.md §5): ``h = relu(W x)``, ``W`` (N, m), no bias.

The AND of pair p = (i, j) is read off as ``(1/N) sum_n r_{p,n} h_n`` with ``r = alpha
1[W_ni>0 & W_nj>0] + beta 1[W_ni>0] + gamma 1[W_nj>0] + delta`` (coefficients from
``derive.uand_random.coefficients``).  Weights and inputs come from :mod:`superpose.verify.uand_random`.
Every neuron serves every AND, so neither neuron sets nor a weight attribution are defined.
"""
from __future__ import annotations

import math
from typing import Mapping

import numpy as np

from superpose.derive.quantity import Param
from superpose.reports.export import Built, ExportSpec, Prediction, _uand
from superpose.verify import uand_random as v_ur

PARAMS = tuple(q for q in v_ur.PARAMS if q.name != "K") + (
    Param("rademacher", int, 0, lo=0, hi=1, doc="1: +-1 weights, 0: N(0, 1)"),)


def _sizes(p: dict) -> tuple[int, int]:
    P = p["m"] * (p["m"] - 1) // 2
    fac = 8 * p["N"] * p["m"] + 16 * P
    return fac + 8 * (P * p["N"] + p["N"]), fac


def _build(p: dict, rng: np.random.Generator) -> Built:
    from superpose.derive import uand_random as theory

    N, l, m = p["N"], p["l"], p["m"]
    weights = "rademacher" if p["rademacher"] else "gaussian"
    W = v_ur.draw_weights(rng, (N, m), weights)                                  # (N, m)
    coefs = np.array(theory.coefficients("and", l, weights), dtype=np.float64)
    arrays = {"weight_in": W, "and_pairs": _uand.pairs(m), "readoff_coefs": coefs}
    man = {
        "resolved": {"weights": weights},
        "network": {"input_dim": m, "output_dim": m * (m - 1) // 2, "hidden": [N],
                    "factored_forward": "uand-random (superpose.reports.export.uand_random.forward)"},
        "inputs": _uand.inputs(m, l, "readoff coefficients are exact for this l only"),
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


def forward(a: Mapping[str, np.ndarray], x: np.ndarray, hidden: bool = False):
    """Factored: y_p = (1/N)(a G_ij + b g_i + c g_j + d sum h), G = s^T diag(h) s, g = s^T h.

    (verify.uand_random.readoff sums r_n h_n per pair; this sums per neuron first: the same
    numbers up to rounding, and the bytes of stored check passes stay as they were.)
    """
    W, (i, j), (al, be, ga, de) = a["weight_in"], a["and_pairs"].T, a["readoff_coefs"]
    h = np.maximum(x @ W.T, 0.0)                                                # (B, N)
    s = (W > 0).astype(np.float64)
    g = h @ s                                                                   # (B, m)
    G = np.stack([((s.T * hb) @ s)[i, j] for hb in h]) if len(h) else np.zeros((0, i.size))
    y = (al * G + be * g[:, i] + ga * g[:, j] + de * h.sum(1, keepdims=True)) / W.shape[0]
    return (y, [h]) if hidden else y


def _sample(ex, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    m, l = ex.params["m"], ex.params["l"]
    active = v_ur.random_subsets(rng, (n,), m, l)
    X = np.zeros((n, m))
    X[np.arange(n)[:, None], active] = 1.0
    return _uand.sample(ex, X, active)


def _predictions(p: dict, man: dict) -> list[Prediction]:
    pre = "rademacher_" if p["rademacher"] else ""
    rows = [Prediction("uand-random", f"{pre}rms_error_constant", {"l": p["l"], "on": on},
                       f"RMS error of an AND with {on} of its pair on = value / sqrt(N)",
                       math.sqrt(p["N"])) for on in (0, 1, 2)]
    if not p["rademacher"]:
        rows.append(Prediction("uand-random", "avg_rms_error_constant", {"l": p["l"], "m": p["m"]},
                               "RMS error over a random pair = value / sqrt(N)", math.sqrt(p["N"])))
    return rows


EXPORT = ExportSpec(
    params=PARAMS,
    constraint=lambda p: None if p["m"] >= p["l"] else f"m={p['m']} must be >= l={p['l']}",
    sizes=_sizes, build=_build, forward=forward, sample_inputs=_sample, circuits=_uand.circuits,
    predictions=_predictions, key=_uand.key, flat_proposals=True, hidden_bias=False,
    no_weights_reason="a U-AND first layer is shared by every AND that reads an input",
    predictions_note="rms constants C: the RMS error of an AND readoff is C / sqrt(N) (field figure), "
                     "exact in expectation over the weight draw")
