r"""Dense reference for benchmarks: a built network's layer maps as explicit D x D matrices.

The authors' code multiplies dense weight matrices; :mod:`superpose.verify.cis2.engine` never
forms them.  For timing that dense path against the engine (``bench/rotations_grid.py``) this
module densifies the engine's own map: :func:`layer_matrix` applies
:func:`~superpose.verify.cis2.engine.preactivation` (bias off) to the identity, so
:math:`W^l` is exactly the matrix the engine applies, and :func:`forward` runs the ReLU
network with plain matrix products and reads every circuit through the dense read-out matrix.

It is *not* an independent check of the engine (it is the engine's map); the independent dense
reference, written from ``shared/math/cis2.md`` alone, is ``tests/cis2_dense_ref.py`` and stays
with the tests.  Memory: ``L`` dense ``D x D`` float64 matrices.
"""
from __future__ import annotations

import numpy as np

from superpose.verify.cis2 import engine as eng

#: Rows of the identity sent through the engine at once when a matrix is formed.
CHUNK = 512


def layer_matrix(net: eng.Network, l: int) -> np.ndarray:
    """:math:`W^l` (D, D) with ``P = A @ W.T`` the engine's bias-free pre-activation."""
    D = net.d * net.N
    W = np.empty((D, D))
    for i in range(0, D, CHUNK):
        rows = np.eye(min(CHUNK, D - i), D, k=i)
        W[:, i:i + rows.shape[0]] = eng.preactivation(net, l, rows, bias=False).T
    return W


def readout_matrix(net: eng.Network, l: int) -> np.ndarray:
    r"""(T * d, D): row ``t * d + i`` reads block ``i`` of circuit ``t``, :math:`\frac1S\langle e^l_t|`."""
    T, d, N = net.alloc[l].shape[0], net.d, net.N
    R = np.zeros((T, d, d, N))
    for i in range(d):
        R[np.arange(T)[:, None], i, i, net.alloc[l]] = 1.0 / net.S
    return R.reshape(T * d, d * N)


def forward(net: eng.Network, active: np.ndarray, a0: np.ndarray, Ws: list | None = None,
            Rs: list | None = None) -> tuple[list[np.ndarray], np.ndarray]:
    """ReLU network by dense products: activations ``[A^0..A^L]`` (each (B, D)) and every
    read-out (L+1, B, T, d) (layer 0 reads 0).  ``Ws[l]``, ``Rs[l]``: prebuilt matrices."""
    L, T, d, N = net.L, net.T, net.d, net.N
    A = eng.embed_input(net, active, a0)
    acts, reads = [A], [np.zeros((A.shape[0], T, d))]
    for l in range(1, L + 1):
        W = layer_matrix(net, l) if Ws is None else Ws[l]
        R = readout_matrix(net, l) if Rs is None else Rs[l]
        A = np.maximum(A @ W.T + np.repeat(net.family.b[l], N)[None, :], 0.0)
        acts.append(A)
        reads.append((A @ R.T).reshape(A.shape[0], T, d))
    return acts, np.stack(reads)
