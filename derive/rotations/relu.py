r"""RiS rotations on the ReLU network: a model of the ReLU-activation error (derived here).

Sources: Linsefors & Bushnaq, "Rotations in Superposition" (RiS, Dec 2025), the rotation
circuits, the two-ReLU step (3.3) and the mean-weight construction (5.20) with its balancing
constant :math:`\chi` (5.24); maths in ``shared/math/cis2.md`` §5-§7.  The reduction of the
network to an indicator field ``f`` and a payload field ``y`` is in
:mod:`superpose.derive.rotations.model`.  Per position ``n`` of layer ``l``

.. math::
   c_n=\tfrac{1}{S(1-\pi)}\sum_m\mathrm{cap}_{nm}f^{l-1}_m-\chi F^{l-1},\qquad
   f_n=\mathrm{clip}(2c_n-\tfrac12,0,1),\qquad y_n=\mathrm{ReLU}(2c_n-1+h_n)-f_n .

The model propagates, layer to layer, the joint law of an inactive circuit's on-set hits and
its erroneous (off-position) field: the link count of an off position is the exact discrete
law of the on-set groups it hits (inclusion-exclusion over the loads, :func:`_hits_law`) plus
the erroneous field of the other circuits through it (i.i.d. closure, FFT powers); payload
moments come from the Gaussian lemmas G2/G3 (:func:`superpose.derive.gaussian.relu_moments`).
Layer 1 is exact; predictions hold up to seizure onset (``nan`` once the predicted seized
fraction exceeds 0.3).  The derivation in full, what the 10% tolerance covers, the paths tried
and not adopted and the grid scores: ``docs/notes/rotations_relu.md``.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

from superpose.derive import cis2
from superpose.derive.common import CIRCUIT_WIDTH as d_ROT
from superpose.derive.common import ONSET_FRAC, THRESH, binom_ratio, inclusion_exclusion
from superpose.derive.gaussian import relu_moments
from superpose.derive.quantity import Quantity, Step
from superpose.derive.rotations import kcopies as kc
from superpose.derive.rotations import model as rot

Q = 240                       # grid: link sums / f / G in units of 1/Q
TOL_PMF = 1e-13               # own states lighter than this are dropped
STOP_SEIZED = 0.3             # layers after one with more seized than this: nan (past onset)
JMAX = 120                    # at most this many own-term values per k' (coarsened beyond)


def step(c):
    """RiS two-ReLU step (3.3): clip(2c - 1/2, 0, 1)."""
    return np.clip(2 * np.asarray(c) - 0.5, 0.0, 1.0)


@dataclass(frozen=True)
class ReluPrediction:
    """Per-layer predictions, index l-1 = layer l (l = 1..L)."""

    x_active: tuple[float, ...]        # E |dx_t|^2, active t
    x_inactive: tuple[float, ...]      # E |x_hat_u|^2, inactive u
    alpha_inactive: tuple[float, ...]  # E alpha_hat_u^2, inactive u
    alpha_active: tuple[float, ...]    # E (alpha_hat_t - 1)^2, active t
    seized: tuple[float, ...]          # Pr(alpha_hat_u > 1/4), inactive u
    on_off: tuple[float, ...]          # fraction of off positions with f > 0
    var_c_off: tuple[float, ...]       # Var of c over off positions
    mean_c_off: tuple[float, ...]      # mean of c over off positions
    onset: int                         # first layer with seized > 1% (L + 1 if none)
    x_covered: tuple[float, ...] = ()  # part of x_inactive from u's covered positions
    x_cross: tuple[float, ...] = ()    # covered x off cross term of x_inactive


@dataclass(frozen=True)
class _Setup:
    N: int
    S: int
    T: int
    z: int
    pi: float
    chi: float
    klaw: np.ndarray        # (kmax+1,) on-set hits of an inactive circuit (exact)
    lam: np.ndarray         # distinct loads
    cnt: np.ndarray         # number of positions with each load
    nU: np.ndarray          # values of |U| (distinct on-set positions)
    wU: np.ndarray          # their probabilities
    key: tuple = ()         # (D, T, S, z)


@functools.lru_cache(maxsize=256)
def _setup(D: int, T: int, S: int, z: int) -> _Setup:
    N = D // d_ROT
    r = rot.rot_stats(D, T, S, z)
    lam_n = np.bincount(cis2.subsets_array(N, S, T).ravel(), minlength=N)
    lam, cnt = np.unique(lam_n, return_counts=True)
    klaw = np.asarray(kc.k_law(N, S, T, z))[:min(z, S) + 1]
    # pairwise overlaps of the z active circuits: Poisson(C(z,2) P_sh) (triples dropped)
    mu = z * (z - 1) / 2 * r.psh
    o = np.arange(0, min(z * (z - 1) // 2, 6) + 1)
    wo = np.exp(-mu) * mu**o / np.array([math.factorial(int(i)) for i in o])
    wo[-1] += max(0.0, 1 - wo.sum())
    return _Setup(N, S, T, z, r.pix, r.pix / (S * (1 - r.pix)), klaw / klaw.sum(),
                  lam.astype(np.int64), cnt.astype(float), z * S - o, wo, (D, T, S, z))


def _polys(g: np.ndarray, gmax: int) -> np.ndarray:
    """Group polynomials of V circuits: out[v, m, x] = #{M, |M| = m, sum_{i in M} g[v, i] = x}."""
    V, k = g.shape
    c = np.zeros((V, k + 1, gmax))
    c[:, 0, 0] = 1.0
    rows = np.arange(V)
    for j in range(k):
        new = c.copy()
        for sh in np.unique(g[:, j]):
            sel = rows[g[:, j] == sh]
            new[sel, 1:, sh:] += c[sel, :-1, :gmax - sh]
        c = new
    return c


def _group_polys(s: _Setup) -> tuple[np.ndarray, np.ndarray]:
    r"""Averaged group polynomials of one active circuit: C1[m, g] = E_v #{M: |M| = m, g_M = g}.

    ``v`` uniform over the first T subsets, its S groups have the exact sizes
    :math:`\lambda_m-1`.  C1p: the same with one group removed, the removed group chosen with
    probability proportional to its size (the group an inactive ``u`` already sits in).
    """
    sub = cis2.subsets_array(s.N, s.S, s.T)
    lam_n = np.bincount(sub.ravel(), minlength=s.N)
    g = lam_n[sub] - 1                                             # (T, S)
    gmax = int(g.sum(1).max()) + 1

    C1 = _polys(g, gmax).mean(0)
    tot = g.sum(1, keepdims=True).astype(float)
    C1p = np.zeros((s.S, gmax))
    for j in range(s.S):
        rest = np.delete(g, j, axis=1)
        wgt = np.where(tot[:, 0] > 0, g[:, j] / np.maximum(tot[:, 0], 1), 1.0 / s.S)
        C1p += (wgt[:, None, None] * _polys(rest, gmax)).sum(0) / s.T
    return C1, C1p


@functools.lru_cache(maxsize=64)
def _group_polys_cached(D, T, S, z):
    return _group_polys(_setup(D, T, S, z))


def _pair_Nm(D: int, T: int, S: int, z: int, removed: int, r: int, pop: int) -> np.ndarray:
    r"""N_m for two active circuits whose groups *overlap*: a circuit can meet both.

    Groups of one circuit are disjoint, but a circuit of group ``m1`` (of ``v1``) is in a group
    of ``v2`` with probability ~ ``g2/T``: the union of groups in ``M`` has
    :math:`g_{M_1}+g_{M_2}-g_{M_1}g_{M_2}/T` circuits (mean overlap), so
    :math:`N_m=\sum_{m_1+m_2=m}\sum_{g_1,g_2}C_1[m_1,g_1]C_2[m_2,g_2]
    \binom{pop-g_\cup}{r}/\binom{pop}{r}` (binomial ratio through log-Gamma at real g).
    """
    C1, C1p = _group_polys_cached(D, T, S, z)
    A = C1p if removed >= 1 else C1
    B = C1p if removed >= 2 else C1
    g1 = np.arange(A.shape[1])[:, None]
    g2 = np.arange(B.shape[1])[None, :]
    gu = np.maximum(g1 + g2 - g1 * g2 / T, 0.0)
    lr = (gammaln(pop - gu + 1) - gammaln(pop - gu - r + 1) - gammaln(pop + 1)
          + gammaln(pop - r + 1))
    ratio = np.where(pop - gu >= r, np.exp(np.where(pop - gu >= r, lr, 0.0)), 0.0)
    Nm = np.zeros(A.shape[0] + B.shape[0] - 1)
    AR = A @ ratio                                                     # (m1, g2)
    for m1 in range(A.shape[0]):
        Nm[m1:m1 + B.shape[0]] += B @ AR[m1]
    return Nm


@functools.lru_cache(maxsize=8192)
def _hits_law(D: int, T: int, S: int, z: int, removed: int, r: int, pop: int,
              nact: int | None = None) -> np.ndarray:
    r"""Law of b = number of on-set groups hit by r random circuits out of pop (index 0..zS).

    Inclusion-exclusion (as ``rotations_kcopies.k_law``): with
    :math:`N_m=\sum_{|M|=m}\binom{pop-g_M}{r}/\binom{pop}{r}` (from the averaged group
    polynomial; active circuits independent),
    :math:`\Pr(\text{missed}=x)=\sum_{m\ge x}(-1)^{m-x}\binom mxN_m`, ``b = K - missed``.
    Mixed over the pairwise overlaps of the active circuits (one group less per overlap).
    """
    s = _setup(D, T, S, z)
    out = np.zeros(z * S + 1)
    mix = zip(s.nU, s.wU) if nact is None else [(z * S, 1.0)]
    nact = z if nact is None else nact
    for nu, wo in mix:
        o = z * S - int(nu)
        rem = min(removed + o, nact)
        if nact == 2:
            Nm = _pair_Nm(D, T, S, z, rem, r, pop)
        elif nact > 2:                 # groups of different actives taken disjoint
            C = _union_poly(D, T, S, z, nact, rem)
            rho = np.stack([binom_ratio(pop - np.arange(C.shape[1]), pop, r)], 1)
            Nm = (C @ rho)[:, 0]
        else:
            C1, C1p = _group_polys_cached(D, T, S, z)
            C = C1p if rem >= 1 else C1
            Nm = C @ binom_ratio(pop - np.arange(C.shape[1]), pop, r)
        K = Nm.size - 1
        pb = np.clip(inclusion_exclusion(Nm)[::-1], 0, None)
        out[:K + 1] += wo * pb / pb.sum()
    return out


@functools.lru_cache(maxsize=256)
def _union_poly(D: int, T: int, S: int, z: int, nact: int, removed: int) -> np.ndarray:
    """Group polynomial of the on-sets of ``nact`` active circuits (their groups taken disjoint),
    ``removed`` of them with one group taken out (``C1p``): the product of their polynomials."""
    C1, C1p = _group_polys_cached(D, T, S, z)
    C = np.ones((1, 1))
    for m_ in [C1p] * removed + [C1] * (nact - removed):
        C = _conv2f(C, m_)
    return C


def _conv2f(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """2-d full convolution (FFT; round-off ~1e-16 of the largest entry, clipped at 0)."""
    from scipy.signal import fftconvolve   # here: importing scipy.signal takes 0.5 s

    if not a.any() or not b.any():
        return np.zeros((a.shape[0] + b.shape[0] - 1, a.shape[1] + b.shape[1] - 1))
    return np.clip(fftconvolve(a, b), 0.0, None)


def _kappa(s: _Setup, lam: int) -> float:
    r"""Capping factor of the erroneous links of a position with ``lam`` circuits.

    :math:`\sum_tG_t=\sum_mf_mh_m` counts an erroneous position ``m`` once per circuit of
    :math:`\mathcal C_n` holding it (:math:`h_m\sim\mathrm{Bin}(\lambda_m,\lambda/T)`), the
    capped matrix once: :math:`\kappa=\sum_m\Pr(h_m\ge1)/\sum_m\mathbb Eh_m`
    (positions weighted uniformly; ``~ (1 - e^{-mu})/mu``, ``mu = S^2 tau``).
    """
    lm = s.lam[s.lam > 0].astype(float)
    w = s.cnt[s.lam > 0]
    q = lam / s.T
    den = float(w @ (lm * q))
    return float(w @ (1 - (1 - q) ** lm)) / den if den > 0 else 1.0


def _bin_linear(vals: np.ndarray, probs: np.ndarray, size: int) -> np.ndarray:
    """Mean-preserving linear split of point masses at vals (grid units) onto 0..size-1."""
    lo = np.floor(vals).astype(np.int64)
    fr = vals - lo
    out = np.bincount(np.clip(lo, 0, size - 1), probs * (1 - fr), minlength=size)
    out += np.bincount(np.clip(lo + 1, 0, size - 1), probs * fr, minlength=size)
    return out[:size]


def _y_tables(s: _Setup, Fbar: float, M: int, A_prev: float, I_off: float, lam_m: float):
    """f(v), and per on-set-hit count kb: E y_1, E|y|^2 at v = index/Q (tables (M,), (nb, M))."""
    v = np.arange(M) / Q
    c = v / (s.S * (1 - s.pi)) - s.chi * Fbar
    f = step(c)
    kb = np.arange(s.z * s.S + 1)[:, None]
    var = (kb * (1 + A_prev) / s.S**2 + lam_m * I_off) / 2          # per component
    m1, m2 = relu_moments((2 * c - 1)[None, :], var)
    ey = m1 - f[None, :]
    ey2 = 2 * (m2 - 2 * f[None, :] * m1 + f[None, :] ** 2)
    return f, ey, ey2


def _layer(s: _Setup, P: np.ndarray, Fbar: float, A_prev: float, I_off: float):
    """One layer of the indicator / off-payload recursion (module docstring).

    P (kmax+1, S*Q+1): law of (k, G) at layer l-1.  Returns the new P, the off-position
    diagnostics (on_off, mean/var of c, E f), the off-payload mean square of inactive x, and
    the law of sum of G over r others (for on positions).
    """
    S, z, T = s.S, s.z, s.T
    nG = S * Q + 1
    g_law = P.sum(0)
    vsat = s.S * (1 - s.pi) * (1.25 + s.chi * Fbar)                 # beyond: f = 1, lumped
    M = int(math.ceil(vsat * Q)) + 1
    lam_max = int(s.lam.max())
    nfft = 1 << int(math.ceil(math.log2(lam_max * (nG - 1) + nG + 1)))
    phi = np.fft.rfft(g_law, nfft)
    gmean = float(g_law @ (np.arange(nG) / Q))

    @functools.lru_cache(maxsize=None)
    def Y(r: int, lam: int) -> np.ndarray:
        """Law of kappa(lam) * (sum of r i.i.d. G) on the grid 1/Q, lumped at M-1."""
        if r == 0:
            out = np.zeros(M)
            out[0] = 1.0
            return out
        y = np.clip(np.fft.irfft(phi**r, nfft), 0, None)
        nz = np.flatnonzero(y > 1e-18)
        out = _bin_linear(_kappa(s, lam) * nz, y[nz], M)
        out[M - 1] += y[nz][_kappa(s, lam) * nz >= M - 1].sum()
        return out / max(out.sum(), 1e-300)

    def mixture(lams, ws, laws, rs) -> np.ndarray:
        """(nb, M) joint law of (b, kappa * sum G) mixed over loads: sum_lam w P(b) Y."""
        Pb = np.array([lw for lw in laws])                           # (nlam, nb)
        Ym = np.array([Y(int(r), int(lm)) for r, lm in zip(rs, lams)])  # (nlam, M)
        Z = (Pb * ws[:, None]).T @ Ym                                # (nb, M)
        out = np.zeros_like(Z)
        for b in range(Z.shape[0]):
            sh = b * Q
            if sh >= M:
                out[b, M - 1] += Z[b].sum()
                continue
            out[b, sh:] += Z[b, :M - sh]
            out[b, M - 1] += Z[b, M - sh:].sum()
        return out

    lam_pos = s.lam
    pop = T - z
    # ---- a uniform off position: all lambda circuits through it are "others"
    w_pos = s.cnt * binom_ratio(T - lam_pos, T, z)
    w_pos = w_pos / w_pos.sum()
    X0 = mixture(lam_pos, w_pos, [_hits_law(*s.key, 0, int(lm), pop) for lm in lam_pos],
                 lam_pos)
    v = np.arange(M) / Q
    c = v / (S * (1 - s.pi)) - s.chi * Fbar
    x0 = X0.sum(0)
    on_off = float(x0[c > THRESH].sum())
    mc = float(x0 @ c)
    vc = float(x0 @ (c - mc) ** 2)
    ef_off = float(x0 @ step(c))
    # ---- a position of inactive u: u itself + lambda-1 others; load size-biased, off
    sel = lam_pos > 0
    lam_u = lam_pos[sel]
    w_u = lam_u * s.cnt[sel] * binom_ratio(T - lam_u, T - 1, z)
    w_u = w_u / w_u.sum()
    lam_m = float(w_u @ (lam_u - 1))
    f_tab, ey_tab, ey2_tab = _y_tables(s, Fbar, M + nG + s.z * S * Q, A_prev, I_off, lam_m)
    kbar = float(w_u @ np.array([_kappa(s, int(lm)) for lm in lam_u]))
    kmax = P.shape[0] - 1
    nf = Q + 1
    nfft2 = 1 << int(math.ceil(math.log2(S * Q + 2)))
    acc = np.zeros((kmax + 1, nfft2 // 2 + 1), complex)
    x_off = 0.0
    y_off = 0.0                      # E[k (S - k) E(y_1 | own)]: covered x off cross term
    for kp in range(kmax + 1):
        js = np.flatnonzero(P[kp] > TOL_PMF)
        if js.size == 0:
            continue
        wj = P[kp, js]
        if kbar < 1.0:                # the own erroneous links are capped like the others'
            cw = _bin_linear(kbar * js, wj, int(js.max()) + 2)
            js = np.flatnonzero(cw > 0)
            wj = cw[js]
        if js.size > JMAX:            # coarsen the own term (mean-preserving split)
            stp = int(math.ceil(js.max() / JMAX))
            cw = _bin_linear(js / stp, wj, int(js.max() // stp) + 2)
            js = np.flatnonzero(cw > 0) * stp
            wj = cw[cw > 0]
        Xk = mixture(lam_u, w_u, [_hits_law(*s.key, kp, int(lm) - 1, pop - 1) for lm in lam_u],
                     lam_u - 1)
        own = kp * Q + js                                            # (J,) own index
        flaw = np.zeros((js.size, nf))
        ey = np.zeros(js.size)
        ey2 = np.zeros(js.size)
        idx_i = np.arange(M)
        for b in range(Xk.shape[0]):
            xb = Xk[b]
            nz = np.flatnonzero(xb > 1e-16)
            if nz.size == 0:
                continue
            sidx = own[:, None] + idx_i[None, nz]                     # (J, m) total index
            pr = np.broadcast_to(xb[nz], sidx.shape)
            fv = f_tab[sidx] * Q
            lo = np.floor(fv).astype(np.int64)
            fr = fv - lo
            rows = np.arange(js.size)[:, None] * nf
            flaw += np.bincount((rows + np.minimum(lo, Q)).ravel(), (pr * (1 - fr)).ravel(),
                                minlength=js.size * nf).reshape(js.size, nf)
            flaw += np.bincount((rows + np.minimum(lo + 1, Q)).ravel(), (pr * fr).ravel(),
                                minlength=js.size * nf).reshape(js.size, nf)
            kb = min(kp + b, s.z * S)
            ey += (pr * ey_tab[kb][sidx]).sum(1)
            ey2 += (pr * ey2_tab[kb][sidx]).sum(1)
        phj = np.fft.rfft(flaw, nfft2, axis=1)                       # (J, F)
        for k in range(kmax + 1):
            acc[k] += (wj[:, None] * phj ** (S - k)).sum(0)
            x_off += s.klaw[k] * float(wj @ ((S - k) * ey2 + (S - k) * (S - k - 1) * 2 * ey**2))
            y_off += s.klaw[k] * float(wj @ (k * (S - k) * ey))
    Pn = np.zeros_like(P)
    for k in range(kmax + 1):
        law = np.clip(np.fft.irfft(acc[k], nfft2)[:nG], 0, None)
        Pn[k] = s.klaw[k] * law / max(law.sum(), 1e-300)
    # ---- on positions of an active circuit: lambda - 1 others (their G), size-biased load
    w_a = (lam_u * s.cnt[sel]) / (lam_u * s.cnt[sel]).sum()
    ey_on = sum(w * float(Y(int(lm) - 1, int(lm)) @ v) for lm, w in zip(lam_u, w_a))
    ey2_on = sum(w * float(Y(int(lm) - 1, int(lm)) @ v**2) for lm, w in zip(lam_u, w_a))
    on = dict(Y=Y, lam=lam_u, w=w_a, pop=pop, M=M,
              mean=ey_on, var=ey2_on - ey_on**2, y_off=y_off)
    return Pn, dict(on_off=on_off, mean_c=mc, var_c=vc, ef_off=ef_off, gmean=gmean), \
        x_off / S**2, on


def _alpha_stats(s: _Setup, P: np.ndarray):
    k = np.arange(P.shape[0])[:, None]
    a = (k + np.arange(P.shape[1])[None, :] / Q) / s.S
    return float((P * a**2).sum()), float(P[a > THRESH + 1e-12].sum())


def _on_c(s: _Setup, on: dict, Fbar: float):
    """The law of c at a position of an active circuit, by load: (Pb, Ym, c).

    ``Pb`` (nlam, nb): links to the other actives' groups; ``Ym`` (nlam, M): erroneous links;
    ``c`` (nb, M): the pre-activation for each pair of counts (capped calW, (5.20)).
    """
    S, z = s.S, s.z
    v = np.arange(on["M"]) / Q
    nb = (z - 1) * S + 1
    Pb = np.array([_hits_law(*s.key, 0, int(lm) - 1, on["pop"], z - 1)[:nb] if z > 1
                   else np.array([1.0]) for lm in on["lam"]])        # (nlam, nb)
    Ym = np.array([on["Y"](int(lm) - 1, int(lm)) for lm in on["lam"]])  # (nlam, M)
    c = (S + np.arange(nb)[:, None] + v[None, :]) / (S * (1 - s.pi)) - s.chi * Fbar
    return Pb, Ym, c


def _active_alpha(s: _Setup, on: dict, Fbar: float) -> float:
    """E(alpha_hat_t - 1)^2 from the law of c at on positions (independent positions)."""
    S = s.S
    Pb, Ym, c = _on_c(s, on, Fbar)
    dd = 1 - step(c)                                                  # (nb, M)
    m1 = ((Ym @ dd.T) * Pb).sum(1) @ on["w"]
    m2 = ((Ym @ (dd**2).T) * Pb).sum(1) @ on["w"]
    d1, d2 = float(m1), float(m2)
    return (S * d2 + S * (S - 1) * d1**2) / S**2


NTH = 256   # payload angle quadrature (uniform grid: exact for trigonometric polynomials)
NC = 400    # values of c kept for the covered-position moments


def _covered_moments(s: _Setup, on: dict, Fbar: float, A_prev: float) -> tuple[float, float]:
    r"""E|y|^2 and |E y|^2 at a position of an active ``v`` (read as error by a covered ``u``).

    ``y_i = ReLU(p_i + 2c - 1 + eps_i) - step(c)``: ``p`` = the active's payload (unit circle,
    uniform angle), ``eps_i ~ N(0, A_prev / 2)`` its error, ``c`` with the law of
    :func:`_active_alpha` (links to the other actives' groups, erroneous links).  Where
    ``c < 1`` the ReLU clips the payload (``2c - 1 < 1``), which (H)'s ``K_1(1+A)`` and
    ``8 K_1 Var(c)`` terms do not see.
    """
    Pb, Ym, c = _on_c(s, on, Fbar)
    pc = np.einsum("l,lb,lm->bm", on["w"], Pb, Ym).ravel()          # law of c (nb*M,)
    keep = pc > 1e-14
    c, pc = c.ravel()[keep], pc[keep]
    if c.size > NC:                  # mean-preserving split onto NC values (adds <= (dc/2)^2)
        lo, dc = c.min(), (c.max() - c.min()) / (NC - 1)
        pc = _bin_linear((c - lo) / dc, pc, NC)
        c = lo + dc * np.arange(NC)
    th = 2 * np.pi * (np.arange(NTH) + 0.5) / NTH
    mu = np.cos(th)[None, :] + 2 * c[:, None] - 1                   # (nc, NTH)
    f = step(c)[:, None]
    m1, m2 = relu_moments(mu, np.full(mu.shape, A_prev / 2))
    e1 = (m1 - f).mean(1) @ pc                                       # E y_i (both components)
    e2 = (m2 - 2 * f * m1 + f * f).mean(1) @ pc                      # E y_i^2
    return 2 * float(e2), float(e1)


@functools.lru_cache(maxsize=1024)
def predict(D: int, T: int, S: int, z: int, L: int) -> ReluPrediction:
    """The ReLU-network model of the module docstring at (D, T, S, z), layers 1..L."""
    s = _setup(D, T, S, z)
    h = rot.ideal_recursion(D, T, S, z, L)
    r = rot.rot_stats(D, T, S, z)
    kmax = min(z, S)
    P = np.zeros((kmax + 1, S * Q + 1))
    P[:, 0] = s.klaw
    EU = float(s.nU @ s.wU)
    ams, seiz = _alpha_stats(s, P)
    A, I = h.x_active[0], h.x_inactive[0]
    xa, xi, ai, aa, sz = [A], [I], [ams], [0.0], [seiz]
    onoff, vcs, mcs = [0.0], [0.0], [0.0]
    xcov, xcr = [I], [0.0]
    Fbar, I_off = EU, 0.0
    kap = 1.0 / (1.0 - r.pix) ** 2
    pairs = z * (z - 1) / 2
    for _ in range(2, L + 1):
        if not sz[-1] <= STOP_SEIZED:  # far past onset (or already stopped): the model no longer applies
            for lst in (xa, xi, ai, aa, sz, onoff, vcs, mcs, xcov, xcr):
                lst.append(math.nan)
            continue
        P, diag, x_off, on = _layer(s, P, Fbar, A, I_off)
        ams, seiz = _alpha_stats(s, P)
        # indicator shift at on positions from erroneous links (module docstring)
        Foff = Fbar - EU
        dmean = on["mean"] / (S * (1 - s.pi)) - s.chi * Foff
        dvar = on["var"] / (S * (1 - s.pi)) ** 2
        aa.append(_active_alpha(s, on, Fbar))
        A_new = (A + r.p * ((z - 1) * (1 + A) + (T - z) * I)
                 + 8 * (z - 1) * (r.p + kap * r.pivar / S**2)
                 + 8 * dvar / S + 8 * dmean**2)
        # covered positions of u: exact ReLU moments over the law of c (payload clipping),
        # K_2 - K_1 pairs of covered positions through their means, the covered x off cross
        # term through the means (module docstring, "Covered positions")
        ey2c, e1c = _covered_moments(s, on, Fbar, A)
        xcov.append((r.k1 * ey2c + (r.k2 - r.k1) * 2 * e1c**2 + (r.lam_cov + r.k2) * I) / S**2
                    + 8 * pairs * r.ptri / S**2)
        xcr.append(4 * e1c * on["y_off"] / S**2)
        I = xcov[-1] + xcr[-1] + x_off
        A, I_off = A_new, x_off
        Fbar = EU + (s.N - EU) * diag["ef_off"]
        xa.append(A)
        xi.append(I)
        ai.append(ams)
        sz.append(seiz)
        onoff.append(diag["on_off"])
        vcs.append(diag["var_c"])
        mcs.append(diag["mean_c"])
    hit = [l for l in range(1, L + 1) if sz[l - 1] > ONSET_FRAC]   # nan compares False
    return ReluPrediction(tuple(xa), tuple(xi), tuple(ai), tuple(aa), tuple(sz), tuple(onoff),
                          tuple(vcs), tuple(mcs), hit[0] if hit else L + 1, tuple(xcov),
                          tuple(xcr))


# --------------------------------------------------------------------------- quantities

TOL = 0.10
TOL_WHY = (r"fixed before the grid check; the model drops the within-pass correlations of group "
           r"sizes, the overlaps of different active circuits' groups ($z\ge3$), triple overlaps, "
           r"on-set positions with $f<1$, the correlation of the own payload across positions "
           r"and the own-term correlation of the covered and off positions of an inactive "
           r"circuit, and it closes the erroneous field independently over circuits from layer "
           r"$3$ on")
LIMIT = (r"layers up to seizure onset, the first layer where more than $1\%$ of inactive circuits "
         r"read $\hat\alpha_u>1/4$; past onset the on-set no longer has $f=1$ and the model does "
         r"not apply (no prediction once the predicted seized fraction exceeds $0.3$)")

_FIELDS = {
    "x_mse_active_relu": ("x_active", "mean-square",
                          r"\mathbb E|\hat{\mathbf x}^l_t-\mathbf x^l_t|^2,\ t\in\mathcal V"),
    "x_mse_inactive_relu": ("x_inactive", "mean-square",
                            r"\mathbb E|\hat{\mathbf x}^l_u|^2,\ u\notin\mathcal V"),
    "alpha_mse_inactive_relu": ("alpha_inactive", "mean-square",
                                r"\mathbb E(\hat\alpha^l_u)^2,\ u\notin\mathcal V"),
    "alpha_mse_active_relu": ("alpha_active", "mean-square",
                              r"\mathbb E(\hat\alpha^l_t-1)^2,\ t\in\mathcal V"),
    "seized_fraction_relu": ("seized", "probability",
                             r"\Pr(\hat\alpha^l_u>1/4),\ u\notin\mathcal V"),
}


#: One model, five read-outs: the first states the model, the others name what they read.
MODEL_DOC = (r" The model propagates the exact discrete law of the links of off positions and "
             r"the erroneous field from layer to layer, with payload moments from Lemmas G2 "
             r"and G3.")
DOC = {
    "x_active": r"The active payload error of our model of the $\mathrm{ReLU}$ network."
                + MODEL_DOC,
    "x_inactive": r"The inactive payload error of the same model of the $\mathrm{ReLU}$ network.",
    "alpha_inactive": r"The inactive indicator error of the same model of the $\mathrm{ReLU}$ "
                      r"network.",
    "alpha_active": r"The active indicator error of the same model of the $\mathrm{ReLU}$ network.",
    "seized": r"The seized fraction $\Pr(\hat\alpha^l_u>1/4)$ of the same model of the "
              r"$\mathrm{ReLU}$ network.",
}


H_MIN = 4   # layers <= l do not depend on the horizon: one cached run to >= 4 layers serves l = 1..4


def _pick(field: str):
    def f(l, z, D, T, S):
        return getattr(predict(D, T, S, z, max(l, H_MIN)), field)[l - 1]
    return f


def _onset(l, z, D, T, S) -> int:
    """First layer <= l with predicted seized fraction > 1% (l + 1 if none)."""
    sz = predict(D, T, S, z, max(l, H_MIN)).seized[:l]
    hit = [j + 1 for j, v in enumerate(sz) if v > ONSET_FRAC]    # nan compares False
    return hit[0] if hit else l + 1


def quantities() -> tuple:
    """``rotations.*_relu``: the ReLU-network predictions (registered by the package)."""
    params = rot.PARAMS
    steps = (
        Step(r"c_n", r"\frac{L_n}{S(1-\pi)}-\chi\bar F,\ L_n=\sum_m\mathrm{cap}_{nm}f_m",
             r"the capped mean-weight matrix of \citet{ris}, eq. (5.20), is $1/S$ on linked pairs "
             r"and $-\chi$ elsewhere, with $1/S+\chi=1/(S(1-\pi))$ and $\pi=\pi_\times$; "
             r"$\mathrm{cap}_{nm}\in\{0,1\}$ says whether some circuit links $n$ to $m$, and "
             r"$\bar F$ is the mean of the total field $F=\sum_mf_m$"),
        Step(r"L_n", r"k'_u+G'_u+b+\kappa\sum_{t\in R}G_t",
             r"for a position $n$ of an inactive $u$: $k'_u$ and $G'_u$ are the covered count and "
             r"the erroneous field $G_u=\sum_mf_m$ over the uncovered positions $m$ of $u$ at "
             r"layer $l-1$, all linked to $n$; $b$ is the number of on-set groups hit by the set "
             r"$R$ of other circuits through $n$ (inclusion-exclusion, Lemma C3), and $\kappa$ "
             r"discounts the links of $R$ that coincide; the layers use independent "
             r"permutations, so $R$ is a uniform subset"),
        Step(r"\hat\alpha^l_u", r"\frac1S\big(k_u+\sum_{j\le S-k_u}\mathrm{step}(c_j)\big)",
             r"the covered count $k_u$ has its exact law (Lemma C3); given the own term, the "
             r"values at the $S-k_u$ off positions are independent"),
    )
    out = []
    for short, (field, stat, definition) in _FIELDS.items():
        out.append(Quantity(
            f"rotations.{short}", params, stat, "approximate", definition,
            compute=_pick(field), steps=steps, eq_label=f"eq:rot-{short.replace('_', '-')}",
            source=r"derived here, for the network of \cite{ris}", tolerance=TOL,
            tolerance_reason=TOL_WHY, limit=LIMIT, constraint=rot._check_klaw,
            doc=DOC[field]))
    out.append(Quantity(
        "rotations.onset_layer_relu", params, "value", "approximate",
        r"\min\{l:\Pr_u(\hat\alpha^l_u>1/4)>1\%\}",
        compute=_onset, integer=True,
        eq_label="eq:rot-onset-relu", source=r"derived here, for the network of \cite{ris}",
        tolerance=TOL, tolerance_reason="an integer: the check asks for the exact layer "
        "and reports agreement within one layer; the model's tolerance is " + TOL_WHY,
        limit=LIMIT, constraint=rot._check_klaw,
        doc=r"First layer up to $l$ whose predicted seized fraction exceeds $1\%$ ($l+1$ if "
            r"none)."))
    return tuple(out)
