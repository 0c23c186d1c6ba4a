"""Export of ``cis2``: the CiS2 network with the engine's zero-mean circuit family (``wbar = 0``).

The layers, ground truth and factored pass are the CiS2 family's (:mod:`._cis`).
"""
from __future__ import annotations

from superpose.reports.export import _cis
from superpose.reports.export._cis import forward  # noqa: F401  (the manifest names it here)
from superpose.verify import cis2 as v_cis2
from superpose.verify.cis2 import engine as eng


def _network(p, d, T, rng):
    return eng.Network.build(p["D"], d, p["S"], T, p["L"], eng.zero_mean_family(T, d, p["L"], rng), rng,
                             alloc=p.get("alloc", 0))


EXPORT = _cis.spec(
    params=_cis.without(v_cis2.PARAMS, {"K"}), constraint=v_cis2.constraint, rotation=False,
    network=_network, kind="zero-mean", predictions=_cis.allocation_predictions,
    note="allocation statistics only: cis2's error recursions (total_ms_*) assume isotropic "
         "circuits in ideal mode (H); the ReLU error of this zero-mean family is measured only "
         "(cis2.relu_ms_*, superpose verify cis2)")
