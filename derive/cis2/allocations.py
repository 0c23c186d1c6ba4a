r"""The allocation quantities and Findings answers of cis2 (beyond prime steps).

Registered beside ``cis2.capacity`` (which answers per allocation through its ``alloc``
parameter): the packing ceiling ``N(N-1)/(S(S-1))`` and the pairwise-overlap guarantee of the
built allocation.  The answers read the checks of ``verify/cis2`` (capacities and overlaps of
the allocations, ideal-mode errors per allocation at one size) and ``verify/rotations``.
"""
from __future__ import annotations

import math

from superpose.derive.cis2 import designs
from superpose.derive.quantity import Answer, Quantity, Step, get_quantity


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
                 symbol=r"\max_{t\ne u}|\mathcal S_t\cap\mathcal S_u|",
                 doc=r"Two circuits share at most one position, for every allocation: prime steps "
                     r"by the step structure, lines because two points span one line, the greedy "
                     r"packing by construction.",
                 steps=(Step(r"o_{tu}", r"\le1", "two distinct lines meet in at most one point"),)),
    ]


def _recs(checks, quantity: str) -> list:
    return [r for r in checks.values() if r.get("quantity") == quantity
            and r.get("measured") is not None and math.isfinite(r["measured"])]


def _alloc_of(r) -> str:
    a = r.get("params", {}).get("alloc", "prime")
    return designs.alloc_name(a if isinstance(a, str) else int(a))


def _capacities(checks) -> dict:
    """(N, S) -> {allocation: built count, "ceiling": predicted ceiling} from the checks."""
    out: dict = {}
    for r in _recs(checks, "cis2.capacity_ceiling"):
        pr = r["params"]
        key = (pr["D"] // pr["d"], pr["S"])
        out.setdefault(key, {})[_alloc_of(r)] = int(r["measured"])
        out[key]["ceiling"] = int(r["predicted"])
    return out


def _answer_a(checks):
    caps = _capacities(checks)
    pts = sorted((k, v) for k, v in caps.items() if len(v) > 2)
    if not pts:
        return None
    (N, S), v = pts[-1]
    parts = ", ".join(f"{a} ${v[a]}$ (${v[a] / N**2:.4f}$)" for a in ("prime", "projective",
                                                                     "affine", "greedy") if a in v)
    from superpose.derive.cis2.alloc import limit_constant

    c_S = limit_constant(S)           # T (d/D)^2 = T / N^2 -> c_S for prime steps
    top = 1 / (S * (S - 1))
    return (rf"A property of prime steps: at $N={N}$, $S={S}$ the allocations built hold "
            rf"{parts} circuits, with $T_{{\max}}(d/D)^2$ in brackets, against the packing "
            rf"ceiling ${v['ceiling']}$. As $N$ grows the ceiling's $T(d/D)^2$ tends to "
            rf"$1/(S(S-1))={top:.4f}$, {top / c_S:.1f} times the prime-step limit "
            rf"${c_S:.4f}$.")


def _answer_b(checks):
    rows = {}
    for r in _recs(checks, "cis2.total_ms_active"):
        pr = r["params"]
        if pr.get("l") == 4 and "case" not in pr and pr.get("D") == 624:
            rows[_alloc_of(r)] = r
    rot = {}
    for r in _recs(checks, "rotations.x_mse_active_published"):
        pr = r["params"]
        if pr.get("l") == 4 and pr.get("D") == 624:
            rot[_alloc_of(r)] = r["measured"]
    if len(rows) < 2:
        return None
    T = rows[next(iter(rows))]["params"]["T"]
    ideal = ", ".join(f"{a} ${r['predicted']:.4f}$ (measured ${r['measured']:.4f}$)"
                      for a, r in rows.items())
    ris = (", and the rotation network's active error at layer $4$ is "
           + ", ".join(f"{a} ${v:.3f}$" for a, v in rot.items())) if rot else ""
    return (rf"Yes, modestly: at $D=624$, $T={T}$, $z=2$ the ideal-mode active error at layer "
            rf"$4$ is {ideal}{ris}; uniform loads lower the sharing probability, not its "
            r"leading order.")


def _answer_c(checks):
    q = get_quantity("cis2.capacity")
    caps = {S: (q.evaluate(D=2000, d=4, S=S), q.evaluate(D=2000, d=4, S=S, alloc="greedy"))
            for S in (6, 12)}
    ons = {}
    for r in _recs(checks, "rotations.onset_layer"):
        pr = r["params"]
        ons.setdefault(pr.get("S"), []).append(int(r["measured"]))
    if len(ons) < 2:          # the S sweep did not run at this scale
        return None
    tail = "; measured onset layers by $S$: " + ", ".join(
        f"$S={S}$: ${min(v)}$" for S, v in sorted(ons.items()))
    return (rf"Larger $S$ costs capacity about as the packing ceiling $N(N-1)/(S(S-1))$, which "
            rf"falls ${12 * 11 / (6 * 5):.1f}$-fold from $S=6$ to $S=12$: at $D=2000$ prime steps "
            rf"hold ${caps[6][0]}$ circuits at $S=6$ and ${caps[12][0]}$ at $S=12$, the greedy "
            rf"packing ${caps[6][1]}$ and ${caps[12][1]}${tail}.")


def _answer_d(checks):
    caps = _capacities(checks)
    g = sorted((N, v["greedy"] / v["ceiling"]) for (N, S), v in caps.items() if "greedy" in v)
    if not g:
        return None
    frac = ", ".join(f"a fraction ${f:.2f}$ at $N={N}$" for N, f in g)
    p = sorted((N, v["prime"] / v["ceiling"]) for (N, S), v in caps.items() if "prime" in v)
    prime = ("; prime steps hold " + ", ".join(f"${f:.2f}$ at $N={N}$" for N, f in p)
             if p else "")
    return rf"The greedy packing holds {frac} of the packing ceiling{prime}."


def answers() -> tuple[Answer, ...]:
    return (
        Answer(r"Is the cap near $0.0084$ on $T(d/D)^2$ a property of CiS2 or of the prime-step "
               r"allocation?", _answer_a, "fig:cis2_alloc_capacity"),
        Answer(r"At fixed $D$ and $T$, do the uniform loads of a design give lower error than "
               r"prime steps?", _answer_b, "fig:cis2_alloc_errors"),
        Answer(r"With $S$ no longer limited by the allocation, what does larger $S$ cost and "
               r"buy in the rotation network?", _answer_c, "fig:cis2_alloc_s"),
        Answer(r"How close does a greedy packing come to the packing ceiling as $N$ grows?",
               _answer_d, "fig:cis2_alloc_capacity"),
    )
