"""Estimators with standard errors clustered by network draw.

The Monte Carlo unit (DESIGN.md): a *trial* is one forward pass with fresh inputs; random
networks are redrawn every K trials.  Trials that share a network are correlated (the
unbiasedness of a readoff often holds over the draw of W, not for one W), so standard
errors are *cluster-robust* with one cluster per network draw:

    mean = sum_i x_i / n,     se^2 = G/(G-1) * sum_g (S_g - n_g mean)^2 / n^2,

with ``S_g`` the sum and ``n_g`` the count of cluster ``g`` (``G`` clusters).  With one
trial per cluster this is the textbook ``s / sqrt(n)``.

What this does *not* establish: the SE is asymptotic (a CLT over clusters); with few
clusters (< 30) or heavy tails it can be optimistic, so callers keep ``G`` large.

>>> e = clustered_mean([1.0, 2.0, 3.0, 4.0], [0, 0, 1, 1])
>>> (e.value, e.n, e.n_networks)
(2.5, 4, 2)
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Estimate:
    """A Monte Carlo estimate: value, standard error, trials and network draws."""

    value: float
    se: float
    n: int
    n_networks: int

    def scale(self, c: float) -> "Estimate":
        return Estimate(self.value * c, self.se * abs(c), self.n, self.n_networks)

    def sqrt(self) -> "Estimate":
        """Delta method: se(sqrt X) = se(X) / (2 sqrt X)."""
        v = math.sqrt(max(self.value, 0.0))
        if v > 0:
            se = self.se / (2 * v)
        else:  # an exactly-zero mean square measured without spread is exactly zero
            se = 0.0 if self.se == 0 else math.inf
        return Estimate(v, se, self.n, self.n_networks)


def clustered_mean(values, clusters=None) -> Estimate:
    """Mean of ``values`` with a cluster-robust SE (``clusters``: one label per value)."""
    x = np.asarray(values, dtype=float).ravel()
    n = x.size
    if n == 0:
        raise ValueError("no samples")
    m = float(x.mean())
    if clusters is None:
        g = np.arange(n)
    else:
        g = np.asarray(clusters).ravel()
        if g.size != n:
            raise ValueError("one cluster label per value")
    _, inv = np.unique(g, return_inverse=True)
    G = int(inv.max()) + 1
    sums = np.bincount(inv, weights=x - m, minlength=G)
    if G < 2:
        return Estimate(m, math.inf, n, G)
    se = math.sqrt(G / (G - 1) * float(np.sum(sums**2))) / n
    return Estimate(m, se, n, G)


def from_cluster_sums(sums, counts) -> Estimate:
    """The same estimator from per-cluster sums and counts (streaming accumulation)."""
    s = np.asarray(sums, dtype=float).ravel()
    c = np.asarray(counts, dtype=float).ravel()
    n = float(c.sum())
    if n == 0:
        raise ValueError("no samples")
    m = float(s.sum() / n)
    G = s.size
    if G < 2:
        return Estimate(m, math.inf, int(n), G)
    se = math.sqrt(G / (G - 1) * float(np.sum((s - c * m) ** 2))) / n
    return Estimate(m, se, int(n), G)


def mean_square(errors, clusters=None) -> Estimate:
    """``E[|e|^2]`` for scalar errors, or squared norms along the last axis if 2-D."""
    e = np.asarray(errors, dtype=float)
    sq = e**2 if e.ndim <= 1 else np.sum(e**2, axis=-1)
    return clustered_mean(sq, clusters)


def rms(errors, clusters=None) -> Estimate:
    """``sqrt(E[|e|^2])`` with a delta-method SE."""
    return mean_square(errors, clusters).sqrt()


def sample_max(values) -> Estimate:
    """The largest value seen; no standard error (extreme values are not CLT objects)."""
    x = np.asarray(values, dtype=float).ravel()
    return Estimate(float(x.max()), 0.0, x.size, 1)


def round_sig(x: float | None, digits: int = 12) -> float | None:
    """Round to ``digits`` significant digits (stable JSON across runs)."""
    if x is None or not math.isfinite(x) or x == 0:
        return x
    return float(f"{x:.{digits - 1}e}")
