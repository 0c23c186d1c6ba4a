r"""Display notation for the closed forms of :mod:`superpose.derive.cis2` and RiS rotations.

``q_ris(d, D, S, T)`` is RiS's overlap mean square :math:`q=d/D-1/(ST)` (eq. (6.3)) kept as
one symbol, so a published closed form prints as RiS writes it (``(l-1)Tq^2(9z-8)+9lq(z-1)``)
instead of expanded.  It evaluates to exactly ``d/D - 1/(S T)`` as soon as its arguments are
numbers (SymPy calls :meth:`q_ris.eval` when the parameters are substituted), so every value
is the one of the expanded expression.
"""
from __future__ import annotations

import sympy as sp


class q_ris(sp.Function):  # noqa: N801  (a SymPy function name)
    """:math:`q=d/D-1/(ST)`, printed as ``q``; exact value once the arguments are numbers."""

    nargs = 4

    @classmethod
    def eval(cls, d, D, S, T):
        if all(a.is_number for a in (d, D, S, T)):
            return d / D - 1 / (S * T)
        return None

    def _latex(self, printer, exp=None):
        return "q" if exp is None else f"q^{{{exp}}}"


class q_ris_expanded(q_ris):  # noqa: N801
    """The same :math:`q`, printed as its definition :math:`d/D-1/(ST)` (where ``q`` itself is
    the quantity, printing ``q`` would say nothing)."""

    def _latex(self, printer, exp=None):
        d, D, S, T = (printer._print(a) for a in self.args)
        body = rf"\frac{{{d}}}{{{D}}}-\frac{{1}}{{{S} {T}}}"
        return body if exp is None else rf"\left({body}\right)^{{{exp}}}"


def with_symbols(quantities, symbols: dict[str, str]) -> tuple:
    """The quantities, each whose short name is in ``symbols`` (and that has no symbol yet) given
    that display symbol (LaTeX math) in place of its upright name; nothing else changes."""
    import dataclasses

    return tuple(dataclasses.replace(q, symbol=symbols[q.short])
                 if q.short in symbols and not q.symbol else q for q in quantities)
