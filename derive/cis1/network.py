r"""The CiS1 network, built from the construction (part of its definition, no Monte Carlo here).

T small residual networks (residual width ``d``, ``m`` neurons per block) are embedded into one
large residual network (residual width ``D``, ``M`` neurons per block):

* **frames**: network ``t`` gets a Haar-random frame :math:`E_t\in\mathbb R^{D\times d}`
  (QR of a Gaussian matrix, signs fixed), shared by all layers: :math:`E_t^\top E_t=I_d`;
* **copies**: at every layer each small neuron ``(t, j)`` gets ``c`` distinct large neurons,
  uniform among the ``M`` and independent across small neurons and layers;
* **read-in**: :math:`W^{l,\rm in}=\sum_tV^l_tW^{l,\rm in}_tE_t^\top` (row ``i`` sums the read
  vectors of the small neurons copied at ``i``);
* **write-back**: :math:`W^{l,\rm out}=\frac1c\sum_tE_tW^{l,\rm out}_t(V^l_t)^\top`;
* **residual update**: :math:`A^l=A^{l-1}+W^{l,\rm out}\phi(W^{l,\rm in}A^{l-1}+b)`, with
  :math:`\phi` the identity (``linear``, no bias) or ReLU with one shared bias ``b``
  (``relu``; ``b < 0`` suppresses noise);
* **small networks** (the ground truth): :math:`a^l_t=a^{l-1}_t+W^{l,\rm out}_t\phi(W^{l,\rm in}_t
  a^{l-1}_t+b)` for active ``t``, and 0 for inactive ones.

Small-network families: ``family=0`` iid Gaussian, :math:`W^{\rm in}` entries
:math:`N(0,1/d)`, :math:`W^{\rm out}` entries :math:`N(0,g_2/m)` (so
:math:`g_2=dm\sigma^2_{\rm in}\sigma^2_{\rm out}`); ``family=1`` norm-preserving rotations
(``m = 2d`` ReLU pairs): :math:`W^{\rm in}=[U;-U]`, :math:`W^{\rm out}=\kappa(R-I)U^\top[I,-I]`
with ``U``, ``R`` Haar-orthogonal and :math:`\kappa=1` (relu) or 1/2 (linear), so that the
small block computes :math:`a\mapsto Ra` exactly (relu at ``b = 0``, and linear).

Every function takes its ``numpy.random.Generator`` from the caller (verify streams, or
:func:`superpose.derive.common.fixed_generator` for computed quantities).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sps


def haar_frames(n: int, D: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` Haar-random orthonormal ``D x d`` frames, shape (n, D, d)."""
    q, r = np.linalg.qr(rng.standard_normal((n, D, d)))
    return q * np.sign(np.diagonal(r, axis1=1, axis2=2))[:, None, :]


def copies(T: int, m: int, c: int, M: int, rng: np.random.Generator) -> np.ndarray:
    """``c`` distinct uniform large neurons per small neuron: (T, m, c) int64."""
    keys = rng.random((T * m, M))
    return np.argpartition(keys, c - 1, axis=1)[:, :c].reshape(T, m, c).astype(np.int64)


@dataclass
class Net:
    """One CiS1 network: frames, per-layer small weights and copies, dense large weights."""

    D: int
    M: int
    d: int
    m: int
    T: int
    c: int
    L: int
    family: int
    mode: str
    b: float
    E: np.ndarray            # (T, D, d)
    win: np.ndarray          # (L+1, T, m, d), index 0 unused
    wout: np.ndarray         # (L+1, T, d, m)
    cp: np.ndarray           # (L+1, T, m, c)
    Win: list                # [None, (M, D), ...]
    Wout: list               # [None, (D, M), ...]

    def V(self, l: int) -> sps.csr_matrix:
        """The assignment at layer ``l``: (M, T m) 0/1, column t m + j = copies of (t, j)."""
        cols = np.repeat(np.arange(self.T * self.m), self.c)
        return sps.csr_matrix((np.ones(cols.size), (self.cp[l].ravel(), cols)),
                              shape=(self.M, self.T * self.m))


def small_weights(T: int, d: int, m: int, g2: float, family: int, mode: str,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One layer's small weights (T, m, d), (T, d, m) of the family (module docstring)."""
    if family == 0:
        win = rng.standard_normal((T, m, d)) / np.sqrt(d)
        wout = rng.standard_normal((T, d, m)) * np.sqrt(g2 / m)
        return win, wout
    if m != 2 * d:
        raise ValueError(f"the rotation family needs m = 2d, got m={m}, d={d}")
    U = haar_frames(T, d, d, rng)                                  # (T, d, d) orthogonal
    R = haar_frames(T, d, d, rng)
    win = np.concatenate([U, -U], axis=1)                          # (T, 2d, d): [U; -U]
    kappa = 1.0 if mode == "relu" else 0.5
    P = kappa * np.einsum("tij,tkj->tik", R - np.eye(d), U)         # (R - I) U^T
    return win, np.concatenate([P, -P], axis=2)


def build(D: int, M: int, d: int, m: int, T: int, c: int, L: int, g2: float, family: int,
          mode: str, b: float, rng: np.random.Generator, *, tied: bool = False) -> Net:
    """The network (module docstring); ``tied``: every layer repeats layer 1's block."""
    E = haar_frames(T, D, d, rng)
    win = np.zeros((L + 1, T, m, d))
    wout = np.zeros((L + 1, T, d, m))
    cp = np.zeros((L + 1, T, m, c), np.int64)
    for l in range(1, L + 1):
        if tied and l > 1:
            win[l], wout[l], cp[l] = win[1], wout[1], cp[1]
            continue
        win[l], wout[l] = small_weights(T, d, m, g2, family, mode, rng)
        cp[l] = copies(T, m, c, M, rng)
    net = Net(D, M, d, m, T, c, L, family, mode, float(b), E, win, wout, cp, [None], [None])
    for l in range(1, L + 1):
        if tied and l > 1:
            net.Win.append(net.Win[1])
            net.Wout.append(net.Wout[1])
            continue
        V = net.V(l)
        rin = np.einsum("tjk,tDk->tjD", win[l], E).reshape(T * m, D)       # read vectors
        rout = np.einsum("tDk,tkj->tjD", E, wout[l]).reshape(T * m, D)     # write vectors
        net.Win.append(np.asarray(V @ rin))
        net.Wout.append(np.asarray((V @ rout).T) / c)
    return net


def phi(net: Net, P: np.ndarray) -> np.ndarray:
    """The large neurons' activation: identity (linear) or ReLU(P + b) (relu)."""
    return P if net.mode == "linear" else np.maximum(P + net.b, 0.0)


def small_step(net: Net, l: int, ids: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Block ``l`` of the small networks ``ids`` (B, k) on states ``a`` (B, k, d)."""
    pre = np.einsum("bkjd,bkd->bkj", net.win[l][ids], a)
    h = pre if net.mode == "linear" else np.maximum(pre + net.b, 0.0)
    return a + np.einsum("bkdj,bkj->bkd", net.wout[l][ids], h)


def embed(net: Net, ids: np.ndarray, a: np.ndarray) -> np.ndarray:
    """sum_t E_t a_t over the active networks: (B, D)."""
    return np.einsum("bkDd,bkd->bD", net.E[ids], a)


def read(net: Net, A: np.ndarray) -> np.ndarray:
    """Read-outs E_t^T A of all T networks: (B, T, d)."""
    flat = getattr(net, "_Eflat", None)
    if flat is None:
        flat = net._Eflat = np.ascontiguousarray(net.E.transpose(1, 0, 2).reshape(net.D, -1))
    return (A @ flat).reshape(A.shape[0], net.T, net.d)


def forward(net: Net, ids: np.ndarray, a0: np.ndarray, L: int | None = None):
    """The large network and the small networks, layers 0..L.

    Returns ``(A, pre, true)``: lists over layers of (B, D) residual streams, (B, M)
    pre-activations (index 0 is None) and (B, k, d) small states."""
    L = net.L if L is None else L
    A, true, pre = [embed(net, ids, a0)], [a0], [None]
    for l in range(1, L + 1):
        P = A[-1] @ net.Win[l].T
        pre.append(P)
        A.append(A[-1] + phi(net, P) @ net.Wout[l].T)
        true.append(small_step(net, l, ids, true[-1]))
    return A, pre, true


def jacobian(net: Net, l: int = 1, on: np.ndarray | None = None) -> np.ndarray:
    """J = W_out Gamma W_in of block ``l`` (D, D); ``on`` (M,) bool gates (default: all on)."""
    if on is None:
        return net.Wout[l] @ net.Win[l]
    return net.Wout[l][:, on] @ net.Win[l][on]


def growth_rate(net: Net, l: int = 1) -> float:
    """max |1 + lambda(J)|^2 of block ``l`` in linear mode (all neurons pass)."""
    lam = np.linalg.eigvals(jacobian(net, l))
    return float(np.max(np.abs(1.0 + lam)) ** 2)
