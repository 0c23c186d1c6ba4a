"""Export of ``rotations``: the RiS network (rotation circuits, d = 4) of :mod:`superpose.verify.rotations`.

The layers, ground truth and factored pass are the CiS2 family's (:mod:`._cis`); the mean weight
``wbar (x) calW`` is the ``shared`` pseudo-circuit together with the biases.
"""
from __future__ import annotations

from superpose.reports.export import Prediction, _cis
from superpose.verify import rotations as v_rot

READOUTS = ("x_mse_active", "x_mse_inactive", "alpha_mse_active", "alpha_mse_inactive",
            "x_mse_active_published", "x_mse_inactive_published")


def _network(p, d, T, rng):
    return v_rot.build(p["D"], T, p["S"], p["L"], rng, p.get("alloc", 0))


def _predictions(p: dict, man: dict) -> list[Prediction]:
    T = man["resolved"]["T"]
    rows = _cis.allocation_predictions(p, man)
    prime = not p.get("alloc", 0)      # the rotations models use prime-step statistics
    for l in range(1, p["L"] + 1):
        q = {"l": l, "z": p["z"], "D": p["D"], "T": T, "S": p["S"]}
        rows += [Prediction("rotations", name, q, "readout error at hidden layer l")
                 for name in READOUTS if prime or name.endswith("_published")]
    if prime:
        rows.append(Prediction("rotations", "seizure_fraction_l1",
                               {"l": 1, "z": p["z"], "D": p["D"], "T": T, "S": p["S"]}))
    return rows


EXPORT = _cis.spec(
    params=_cis.without(v_rot.PARAMS, {"K"}), constraint=v_rot.constraint, rotation=True,
    network=_network, kind="rotation", predictions=_predictions,
    note="rotations.*: (H) recursion (ours) and RiS's published lines, per hidden layer l; "
         "valid while errors are small (before seizure)")
