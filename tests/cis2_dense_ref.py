"""Dense reference for the CiS2 / RiS network: full D x D matrices, straight from cis2.md §3, §7.

Written independently of ``verify/cis2_engine.py`` (shares only the inputs: the allocation and
the circuit weights).  Small sizes only (it forms every W^l and every embedding vector).
"""
from __future__ import annotations

import numpy as np


def kets(alloc_l: np.ndarray, N: int) -> np.ndarray:
    """|e_t> as rows: (T, N) 0/1 floats."""
    T = alloc_l.shape[0]
    e = np.zeros((T, N))
    for t in range(T):
        e[t, alloc_l[t]] = 1.0
    return e


def calW(e_l: np.ndarray, e_m: np.ndarray, S: int):
    """Capped mean-embedding matrix (N, N) and chi (cis2.md §7), Nu symmetrised over t != u."""
    T = e_l.shape[0]
    cap = np.minimum(1.0, e_l.T @ e_m)                      # (N, N): n at layer l, m at l-1
    G = e_l @ cap @ e_m.T                                   # <e^l_t|cap|e^{l-1}_u>
    nu = (G.sum() - np.trace(G)) / 2
    chi = nu / (T * (T - 1) / 2 * S * S - nu) / S if T > 1 else 0.0
    return cap / S - chi * (1.0 - cap), chi


def weights(w: np.ndarray, wbar: np.ndarray, alloc: np.ndarray, l: int, S: int, N: int,
            delta: bool = True, mean: bool = True) -> np.ndarray:
    """W^l (D, D): identity at l = 1, else wbar (x) calW + (1/S) sum_t Dw_t (x) |e^l_t><e^{l-1}_t|."""
    d = w.shape[-1]
    if l == 1:
        return np.eye(d * N)
    e_l, e_m = kets(alloc[l], N), kets(alloc[l - 1], N)
    W = np.zeros((d * N, d * N))
    if mean:
        W += np.kron(wbar[l], calW(e_l, e_m, S)[0])
    if delta:
        dw = w[l] - wbar[l]
        for t in range(e_l.shape[0]):
            W += np.kron(dw[t], np.outer(e_l[t], e_m[t])) / S
    return W


def small_forward(w, b, active, a0):
    """True activations (L+1, B, z, d) by a plain loop."""
    L = w.shape[0] - 1
    out = [a0]
    for l in range(1, L + 1):
        prev = out[-1]
        nxt = np.zeros_like(prev)
        for bi in range(prev.shape[0]):
            for k, v in enumerate(active[bi]):
                nxt[bi, k] = np.maximum(w[l][v] @ prev[bi, k] + b[l], 0.0)
        out.append(nxt)
    return np.stack(out)


def forward(w, b, wbar, alloc, S, N, active, a0, mode, Ws=None):
    """Layer activations [A^0..A^L] (each (B, D)) and all readouts (L+1, B, T, d)."""
    L, T, d = w.shape[0] - 1, w.shape[1], w.shape[2]
    Bn = active.shape[0]
    true = small_forward(w, b, active, a0)
    A = np.zeros((Bn, d * N))
    e1 = kets(alloc[1], N)
    for bi in range(Bn):
        for k, v in enumerate(active[bi]):
            A[bi] += np.kron(w[1][v] @ a0[bi, k], e1[v])
    acts, reads = [A], [np.zeros((Bn, T, d))]
    for l in range(1, L + 1):
        W = weights(w, wbar, alloc, l, S, N) if Ws is None else Ws[l]
        P = A @ W.T + np.kron(b[l], np.ones(N))
        if mode == "relu":
            A = np.maximum(P, 0.0)
        elif mode == "linear":
            A = P
        else:  # ideal: (H) on-set from the true activations
            mask = np.zeros_like(P, dtype=bool)
            for bi in range(Bn):
                for k, v in enumerate(active[bi]):
                    for i in range(d):
                        if true[l, bi, k, i] > 0:
                            mask[bi, i * N + alloc[l][v]] = True
            A = np.where(mask, P, 0.0)
        e = kets(alloc[l], N)
        U = np.stack([np.kron(np.eye(d), e[t]) / S for t in range(T)])   # (T, d, D)
        acts.append(A)
        reads.append(np.einsum("tiD,bD->bti", U, A))
    return acts, np.stack(reads), true
