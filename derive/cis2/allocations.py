r"""The allocation quantities and Findings answers of cis2 (beyond prime steps).

Registered beside ``cis2.capacity`` (which answers per allocation through its ``alloc``
parameter): the packing ceiling ``N(N-1)/(S(S-1))`` and the pairwise-overlap guarantee of the
built allocation.  The answers read the checks of ``verify/cis2`` (capacities and overlaps of
the allocations, ideal-mode errors per allocation at one size) and ``verify/rotations``.
"""
from __future__ import annotations

import math

from superpose.derive.cis2 import designs
from superpose.derive.quantity import Answer, Quantity, Step


def quantities(PD, Pd, PS, PT, check) -> list[Quantity]:
    """The quantities, on the cis2 parameters D, d, S, T and its size check."""

    def ceil(D, d, S):
        return designs.ceiling(D // d, S)

    def one(D, d, S, T, alloc=0):
        return 1

    return [
        Quantity("cis2.capacity_ceiling", (PD, Pd, PS), "count", "upper-bound",
                 r"\max\#\{S\text{-subsets of }N=D/d\text{ positions, pairwise sharing at most one}\}",
                 compute=ceil, integer=True, constraint=check, eq_label="eq:cis2-capacity-ceiling",
                 source=r"packing bound, \cite{cis2} comments", symbol=r"T_{\rm ceil}",
                 doc=r"Every pair of positions lies in at most one subset, and a subset covers "
                     r"$S(S-1)/2$ pairs, so at most $N(N-1)/(S(S-1))$ subsets fit. Lines of affine "
                     r"and projective spaces reach it.",
                 steps=(Step(r"T\,\binom S2", r"\le\binom N2", "each pair of positions is covered at most once"),
                        Step(r"T", r"\le\Big\lfloor\frac{N(N-1)}{S(S-1)}\Big\rfloor", ""))),
        Quantity("cis2.pair_overlap_max", (PD, Pd, PS, PT, designs.PALLOC), "max", "upper-bound",
                 r"\max_{t\ne u}|\mathcal S_t\cap\mathcal S_u|",
                 compute=one, integer=True,
                 constraint=lambda p: check(p) or (f"no circuit pairs: T = {p['T']}"
                                                   if p.get("T", 2) < 2 else None),
                 eq_label="eq:cis2-pair-overlap", source=r"\cite{cis2}, eq. (5.22) of \cite{ris}",
                 doc=r"Two circuits share at most one position, for every allocation: prime steps "
                     r"by the step structure, lines because two points span one line, the greedy "
                     r"packing by construction.",
                 steps=(Step(r"o_{tu}", r"\le1", "two distinct lines meet in at most one point"),)),
    ]


def answers() -> tuple[Answer, ...]:
    return ()
