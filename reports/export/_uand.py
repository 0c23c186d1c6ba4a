"""What the two U-AND exports share: the AND pairs, their inputs and their keys."""
from __future__ import annotations

import numpy as np

from superpose.derive.quantity import BadInput
from superpose.reports.export import Export


def pairs(m: int) -> np.ndarray:
    """(P, 2) int64: every pair i < j of the m inputs, row-major (AND p reads pairs[p])."""
    i, j = np.triu_indices(m, 1)
    return np.stack([i, j], 1).astype(np.int64)


def inputs(m: int, l: int, extra: str) -> dict:
    return {"kind": f"exactly l = {l} of m = {m} inputs equal 1, the others 0 (uniform l-subset)",
            "target": "y[p] = x[i] x[j] for pair p = and_pairs[p] = (i, j)", "note": extra,
            "sampler": "superpose.reports.export.Export.sample_inputs(n, rng)"}


def sample(ex: Export, X: np.ndarray, active: np.ndarray) -> dict[str, np.ndarray]:
    """The sample dict for inputs ``X`` (n, m) with ``active`` (n, l): targets x_i x_j."""
    i, j = ex.arrays["and_pairs"].T
    return {"input": X, "target": X[:, i] * X[:, j], "active": active}


def circuits(ex: Export) -> list:
    return list(range(len(ex.arrays["and_pairs"])))


def key(ex: Export, key) -> int:
    """Pair index p of an AND given as p or as (i, j)."""
    pairs_ = ex.arrays["and_pairs"]
    m = ex.params["m"]
    if isinstance(key, tuple) and len(key) == 2:
        i, j = sorted(int(k) for k in key)
        if not 0 <= i < j < m:
            raise BadInput(f"{ex.name}: no AND of inputs {key!r} (inputs 0..{m - 1}, i != j)")
        return int(i * m - i * (i + 1) // 2 + (j - i - 1))
    if isinstance(key, (int, np.integer)) and 0 <= key < len(pairs_):
        return int(key)
    raise BadInput(f"{ex.name}: no AND {key!r} (pair index 0..{len(pairs_) - 1} or (i, j))")
