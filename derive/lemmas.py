r"""The lemma table the derivations cite by number, as data for the report's appendix.

Each :class:`Lemma` has an ``id`` (``G1``, ``R3``, ``M1``...), a ``statement`` (report
prose with math in ``$...$``), its ``conditions`` and ``proof`` (how it was proved or checked
here); all three obey the report's markup rule (:mod:`superpose.reports.markup`).  Derivation
steps cite lemmas as "Lemma G7"; ``tests/test_markup.py`` checks that every cited id is here.

* G1--G7: the Gaussian lemmas of :mod:`superpose.derive.gaussian`, each proved by quadrature
  in ``tests/test_gaussian_lemmas.py``.
* R1--R5: the Rademacher lemmas of :mod:`superpose.derive.uand_random.model`, proved by
  enumeration in ``tests/test_uand_random_derive.py``.
* M1: the sub-Gaussian maximal inequality (:mod:`superpose.derive.bounds`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from superpose.derive import gaussian as _gaussian


@dataclass(frozen=True)
class Lemma:
    id: str
    statement: str
    conditions: str
    proof: str


def _g(lemma_id: str) -> str:
    """The statement of a Gaussian lemma as the lemma table of :mod:`gaussian` writes it."""
    return "$" + _gaussian.lemma(lemma_id).statement + "$"


_QUAD = ("proved by quadrature of its defining integral at 30 digits, split at the kinks, "
         r"to a relative error below $10^{-10}$ on a grid of parameters")
_ENUM = (r"proved by exact enumeration of all sign patterns, for $n\le10$ (R1, R2) and "
         r"$\ell\le8$ (R3--R5)")

LEMMAS: tuple[Lemma, ...] = (
    Lemma("G1", _g("G1"),
          r"$(Y_1,Y_2)$ standard bivariate Gaussian with correlation $\rho\in[-1,1]$", _QUAD),
    Lemma("G2", _g("G2"),
          r"$Z\sim\mathcal N(0,1)$, $\sigma>0$; $\varphi$ and $\Phi$ are the standard normal "
          "density and distribution function", _QUAD),
    Lemma("G3", _g("G3"), r"as for G2", _QUAD),
    Lemma("G4", _g("G4") + " (Stein's identity)",
          r"$Y\sim\mathcal N(0,\Sigma)$ centred; distributional derivatives allowed, with "
          r"$\partial_m\mathbb 1\{Y_m>0\}=\delta(Y_m)$",
          "used inside G7 and proved there: every case of G7 is a Stein step"),
    Lemma("G5", _g("G5"),
          r"$(Y_1,Y_2,Y_3)$ standard trivariate Gaussian with correlations $\rho_{ab}$", _QUAD),
    Lemma("G6", _g("G6"),
          r"$Y\sim\mathcal N(0,\Sigma)$ with $\Sigma_{mm}>0$; $Y_{-m}$ is $Y$ without "
          r"coordinate $m$", "Gaussian conditioning (the Schur complement); checked "
          "symbolically against the inverse of the precision-matrix block"),
    Lemma("G7", _g("G7") + " satisfies "
          r"$T_p=(p-1)\Sigma_{kk}T_{p-2}+\sum_{m\ne k}\Sigma_{km}\varphi_{\Sigma_{mm}}(0)"
          r"T_{p-1}(\Sigma\mid Y_m=0)$ for $p\ge2$, down to the orthant probabilities G1 and G5",
          r"$Y\sim\mathcal N(0,\Sigma)$ of dimension at most 3, $p\ge1$; "
          r"$\varphi_{s}(0)=1/\sqrt{2\pi s}$ and $\Sigma\mid Y_m=0$ is the conditional "
          "covariance of G6; degenerate covariances are the continuous limits", _QUAD),
    Lemma("R1", r"$P(S_n=0)=\mathbb 1[n\text{ even}]\binom n{n/2}2^{-n}$",
          r"$S_n$ a sum of $n$ iid signs $\pm1$", _ENUM),
    Lemma("R2", r"$\mathbb E|S_n|=n\binom{n-1}{\lfloor(n-1)/2\rfloor}2^{1-n}$",
          r"as for R1, $n\ge1$", _ENUM),
    Lemma("R3", r"$\mathbb E[X^+]=\frac12\mathbb E|S_\ell|$ and $\mathbb E[(X^+)^2]=\ell/2$",
          r"$X=S_\ell$, a sum of $\ell$ iid signs", _ENUM),
    Lemma("R4", r"$\mathbb E[X^+s_U]=\frac12$ and $\mathbb E[(X^+)^2s_U]=\mathbb E|S_{\ell-1}|"
          r"+\frac12P(S_{\ell-1}=0)$",
          r"$X=U+S_{\ell-1}$ with $U$ an independent sign and $s_U=U$", _ENUM),
    Lemma("R5", r"$\mathbb E[X^+s_Us_V]=\binom{\ell-2}{\lfloor(\ell-2)/2\rfloor}2^{1-\ell}$ and "
          r"$\mathbb E[(X^+)^2s_Us_V]=1$",
          r"$X=U+V+S_{\ell-2}$ with $U$, $V$ independent signs; a sign not wired to $X$ is "
          "independent of it and has mean 0", _ENUM),
    Lemma("M1", r"$\mathbb E\max_{i\le n}X_i\le\sigma\sqrt{2\ln n}$ and "
          r"$\mathbb E\max_{i\le n}|X_i|\le\sigma\sqrt{2\ln(2n)}$",
          r"each $X_i$ centred with $\mathbb Ee^{\lambda X_i}\le e^{\lambda^2\sigma^2/2}$ for "
          r"all real $\lambda$; no independence needed",
          r"\citet{blm2013}, Theorem 2.5; checked against the exact Gaussian maximum by "
          "quadrature"),
)

_BY_ID = {lem.id: lem for lem in LEMMAS}


def get(lemma_id: str) -> Lemma:
    """The lemma with this id (``KeyError`` if there is none)."""
    return _BY_ID[lemma_id]


def cited_ids(s: str) -> list[str]:
    """The lemma ids a report string cites ("Lemma G7", "Lemmas R1--R5", "G1 and G5").

    >>> cited_ids("Lemma G7 (G4 and G6, down to G1 and G5); Lemmas R1--R3")
    ['G7', 'G4', 'G6', 'G1', 'G5', 'R1', 'R2', 'R3']
    """
    out: list[str] = []
    for m in re.finditer(r"\b([GRM])(\d+)(?:\s*(?:--|-)\s*([GRM])?(\d+))?\b", s):
        a, lo, hi = m.group(1), int(m.group(2)), m.group(4)
        for k in range(lo, (int(hi) if hi else lo) + 1):
            out.append(f"{a}{k}")
    return out
