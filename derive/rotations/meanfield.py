r"""RiS rotations beyond (H): the indicator-field mean-field model of seizure (derived here).

Math reference: ``shared/math/cis2.md`` §5 (loads), §7 (mean-weight construction (5.20),
capped :math:`\mathcal W`, :math:`\chi`); the reduction of :mod:`superpose.derive.rotations.model` (indicator
field ``f``, pre-activation ``c = calW f``, ``f = step(c)``).

**Key identity.**  With the capped mean-weight matrix, :math:`(\mathcal W)_{nm}=1/S` on links and
:math:`-\chi` elsewhere, :math:`1/S+\chi=1/(S(1-\pi))` (``pi`` = link fraction of a circuit
pair, ``rot_stats(...).pix``).  Links of ``n`` come in ``S``-blocks, one per circuit through
``n``, so, up to doubly-linked pairs,

.. math::
   c^l_n=\frac{1}{1-\pi}\sum_{u\ni n}\hat\alpha^{l-1}_u-\chi F^{l-1},\qquad
   F=\sum_m f_m .

At an *off* position (no active circuit through ``n``) every ``u`` is inactive, so
:math:`\mathrm{Var}_n(c^l_n)\approx\lambda_n\,\mathrm{Var}_u(\hat\alpha^{l-1}_u)/(1-\pi)^2`:
the load :math:`\lambda_n\approx S\tau N` (``tau = T(d/D)^2``, ``N = D/d``) times the
mean square of the inactive indicator read-outs.  Under (H),
:math:`\mathbb E\hat\alpha_u^2=K_2/S^2=O(1/N)` and the product is O(1) in ``N`` (RiS's
picture).  But ``step`` is crossed at layer 2 with a probability that depends on
``tau, S, z`` only (a Poisson number of touching circuits, below), so from layer 2 on
:math:`\mathbb E\hat\alpha_u^2` has an **N-independent** part, and at layer 3
:math:`\mathrm{Var}(c^3_n)\propto\lambda\propto N`: the error grows like ``D`` at fixed
``tau`` (power law, not ``ln T``).  Capping (links are 0/1) multiplies the variance by :func:`cap_factor` (~0.8).  Loads of the prime-step allocation are uneven (relative
spread ~0.2), which adds a mean offset :math:`(\lambda_n-\bar\lambda_w)\mathbb E\hat\alpha/(1-\pi)`
also proportional to ``N``.

**Mean-field recursion** (:func:`predict`).  State: the law of :math:`\hat\alpha^{l}_u` over
inactive ``u`` on a grid of step ``1/G``.  Layer 1 (exact): :math:`\hat\alpha^1_u=k_u/S`, with
:math:`\Pr(k=1),\Pr(k=2)` from the exact moments :math:`K_1, K_2` (``rot_stats``).  Layer
``l >= 2``: for each load value of the allocation, the law of the centred sum of
:math:`\lambda` independent read-outs (FFT power of the read-out law) gives the law of
``c`` at off positions; a position of circuit ``u`` adds ``u``'s own term
:math:`\hat\alpha^{l-1}_u/(1-\pi)` (persistence of seized circuits); then
:math:`\hat\alpha^l_u=(k+\sum_{S-k}f_n)/S` over ``k`` covered positions (f = 1 there) and
``S - k`` independent ``f_n = step(c_n)``.  Predictions: ``Var(c)`` at off positions,
``E Q_off``, the seized fraction :math:`\Pr(\hat\alpha^l_u>1/4)` and the onset layer.
Active x error: (H) recursion + :math:`8\,\mathrm{Var}_{\rm on}(c)/S` (on-position indicator noise,
each of ``S`` positions adds :math:`2(c_n-1)(1,1)/S`), where
:math:`\mathrm{Var}_{\rm on}=\bar\lambda_w(\mathbb E\hat\alpha^2-K_2/S^2)/(1-\pi)^2` counts only
the non-(H) read-outs (links of an active position to the on-set are capped: its own circuit
already links them).  Neglected: the payload channel ``h`` at off
positions, correlations between positions of one circuit other than its own term, doubly
linked pairs; so it is a **qualitative-to-semi-quantitative** model (tolerances stated on the
registered quantities in :mod:`superpose.derive.rotations`).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from superpose.derive import cis2
from superpose.derive.common import CIRCUIT_WIDTH as d_ROT
from superpose.derive.common import ONSET_FRAC, THRESH
from superpose.derive.rotations import model as rot

G = 48            # read-out grid: alpha in {j/G}
GF = 24           # per-position f grid: f in {j/GF}


def step(c):
    """RiS two-ReLU step (3.3): 0 below 1/4, 1 above 3/4, linear between."""
    return np.maximum(2 * c - 0.5, 0) - np.maximum(2 * c - 1.5, 0)


@dataclass(frozen=True)
class MeanField:
    """Per-layer predictions, index l-1 = layer l (l = 1..L)."""

    var_c_off: tuple[float, ...]     # variance of c_n over off positions (layer 1: 0)
    Q_off: tuple[float, ...]         # E sum_{off n} f_n^2
    seized: tuple[float, ...]        # Pr(alpha_hat_u > 1/4), inactive u
    alpha_ms: tuple[float, ...]      # E alpha_hat_u^2, inactive u
    x_active: tuple[float, ...]      # E |dx_t|^2, active t ((H) + indicator noise)
    onset: int                       # first layer with seized > 1% (L+1 if none)


@functools.lru_cache(maxsize=64)
def _loads(N: int, S: int, T: int) -> tuple[np.ndarray, np.ndarray]:
    """Unique position loads and their frequencies (fraction of positions)."""
    lam = np.bincount(cis2.subsets_array(N, S, T).ravel(), minlength=N)
    v, c = np.unique(lam, return_counts=True)
    return v, c / N


def cap_factor(pi: float) -> float:
    r"""Variance factor of capping: links are min(1, M), M ~ Poisson(Lambda), Lambda = -ln(1 - pi).

    :math:`\kappa_{\rm cap}=\pi(1-\pi)/\Lambda` (= Var min(1, M) / Var M); 0.79 at pi = 0.14.
    """
    lam = -np.log1p(-pi)
    return float(pi * (1 - pi) / lam) if lam > 0 else 1.0


def offfield_var_onestep(D: int, T: int, S: int, z: int, alpha_ms_prev: float) -> float:
    r"""Var(c^l_n) over off positions given E alpha_hat_u^2 at layer l-1 (the key identity).

    :math:`\mathrm{Var}(c^l)\approx\kappa_{\rm cap}\,\bar\lambda\,\mathbb E(\hat\alpha^{l-1}_u)^2/(1-\pi)^2`,
    :math:`\bar\lambda=TS/N` (mean load).  Linear in N at fixed tau once E alpha^2 is O(1).
    """
    pi = rot.rot_stats(D, T, S, z).pix
    return cap_factor(pi) * (T * S / (D // d_ROT)) * alpha_ms_prev / (1 - pi) ** 2


def _off_c_law(p_a: np.ndarray, pi: float, loads, weights, M: int = 2**14):
    """Law of c - (own term) at an off position: grid values (M,) and probabilities (M,).

    Sum over ``lam`` iid read-outs with law p_a on {j/G}, centred at lam * E alpha, scaled
    1/(1-pi); plus the load offset (lam - lam_w) E alpha/(1-pi); mixture over loads.
    """
    a = np.arange(p_a.size) / G
    ea = float(p_a @ a)
    lam_w = float(np.sum(weights * loads**2) / np.sum(weights * loads))   # size-biased mean load
    pad = np.zeros(M)
    pad[:p_a.size] = p_a
    phi = np.fft.rfft(pad)
    grid_c, probs = [], []
    for lam, w in zip(loads, weights):
        if lam == 0:
            grid_c.append(np.array([0.0]))
            probs.append(np.array([w]))
            continue
        law = np.clip(np.fft.irfft(phi**lam, M), 0, None)
        mean_idx = lam * ea * G
        j = np.arange(M)
        j = j + M * np.round((mean_idx - j) / M)              # unwrap around the mean
        keep = law > 1e-14
        cv = (np.sqrt(cap_factor(pi)) * (j[keep] / G - lam * ea) + (lam - lam_w) * ea) / (1 - pi)
        grid_c.append(cv)
        probs.append(w * law[keep] / law.sum())
    return np.concatenate(grid_c), np.concatenate(probs)


def _alpha_law(cv, pc, p_prev, pi, S, pk):
    """Law of alpha_hat^l on {j/G}: own term a/(1-pi) + off-position c, k covered positions."""
    out = np.zeros(G + 1)
    a_vals = np.arange(p_prev.size) / G
    for a, pa in zip(a_vals, p_prev):
        if pa < 1e-15:
            continue
        f = step(cv + a / (1 - pi))
        pf = np.bincount(np.rint(f * GF).astype(int), pc, minlength=GF + 1)   # law on {j/GF}
        conv = np.array([1.0])
        laws = [conv]
        for _ in range(S):
            conv = np.convolve(conv, pf)
            laws.append(conv)
        for k, w in enumerate(pk):
            if w <= 0 or k > S:
                continue
            s_law = laws[S - k]                                 # sum of S-k f's on {j/GF}
            alpha = (k + np.arange(s_law.size) / GF) / S
            out += pa * w * np.bincount(np.rint(alpha * G).astype(int), s_law, minlength=G + 1)[:G + 1]
    return out / out.sum()


@functools.lru_cache(maxsize=256)
def predict(D: int, T: int, S: int, z: int, L: int) -> MeanField:
    """The mean-field recursion of the module docstring at (D, T, S, z), layers 1..L."""
    N = D // d_ROT
    r = rot.rot_stats(D, T, S, z)
    pi = r.pix
    p2 = max(0.0, (r.k2 - r.k1) / 2)
    p1 = max(0.0, r.k1 - 2 * p2)
    pk = np.array([1 - p1 - p2, p1, p2])
    loads, weights = _loads(N, S, T)
    p_a = np.zeros(G + 1)
    for k, w in enumerate(pk):
        p_a[int(round(k / S * G))] += w
    xh = rot.ideal_recursion(D, T, S, z, L).x_active
    var_c, Q, seiz, ams, xa = [0.0], [0.0], [float(p_a[np.arange(G + 1) / G > THRESH].sum())], [], []
    a = np.arange(G + 1) / G
    ams.append(float(p_a @ a**2))
    extra = 0.0
    xa.append(xh[0])
    for l in range(2, L + 1):
        cv, pc = _off_c_law(p_a, pi, loads, weights)
        m = float(pc @ cv)
        vc = float(pc @ (cv - m) ** 2)
        var_c.append(vc)
        Q.append(float(pc @ step(cv) ** 2) * N)
        p_a = _alpha_law(cv, pc, p_a, pi, S, pk)
        seiz.append(float(p_a[a > THRESH].sum()))
        ams.append(float(p_a @ a**2))
        lam_w = float(np.sum(weights * loads**2) / np.sum(weights * loads))
        extra += 8 / S * cap_factor(pi) * lam_w * max(0.0, ams[-2] - r.k2 / S**2) / (1 - pi) ** 2
        xa.append(xh[l - 1] + extra)
    hit = [l for l in range(1, L + 1) if seiz[l - 1] > ONSET_FRAC]
    return MeanField(tuple(var_c), tuple(Q), tuple(seiz), tuple(ams), tuple(xa),
                     hit[0] if hit else L + 1)
