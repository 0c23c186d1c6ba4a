r"""Constants and combinatorial helpers shared by several constructions (one public place).

Constants of the RiS rotation circuits (Linsefors & Bushnaq, "Rotations in Superposition",
Dec 2025; ``shared/math/cis2.md`` §6-§7):

* :data:`CIRCUIT_WIDTH` -- ``d = 4``: a rotation circuit is two on-indicator neurons and a
  two-dimensional payload; also the default circuit width of cis2.
* :data:`THRESH` -- an inactive circuit is *seized* when its indicator read-out exceeds 1/4,
  the lower corner of the two-ReLU step ``clip(2c - 1/2, 0, 1)`` (RiS (3.3)).
* :data:`ONSET_FRAC` -- seizure *onset* is the first layer at which more than 1% of the
  inactive circuits are seized.

Helpers: :func:`binom_ratio` (hypergeometric zero class without big integers) and
:func:`inclusion_exclusion` (the law of the number of missed groups from the probabilities
that given sets of groups are all missed).
"""
from __future__ import annotations

import math

import numpy as np
import sympy as sp

#: Width ``d`` of a RiS rotation circuit (indicator pair + 2-d payload); cis2's default ``d``.
CIRCUIT_WIDTH = 4
#: Seizure threshold on an inactive circuit's indicator read-out (the step's lower corner).
THRESH = 0.25
#: Seizure onset: first layer with more than this fraction of inactive circuits seized.
ONSET_FRAC = 0.01


def binom_ratio(a, b: int, z: int, *, divide_last: bool = False) -> np.ndarray:
    """``C(a, z) / C(b, z)`` elementwise for integer ``a <= b`` (a product, no big integers).

    Zero where ``a < z`` (fewer than ``z`` items left to choose from).  With ``a = pop - g``
    and ``b = pop`` it is the probability that ``z`` items drawn without replacement from
    ``pop`` miss a given set of ``g``.

    Each factor is ``(a - j) / (b - j)``; ``divide_last=True`` multiplies by ``a - j`` first
    and divides by ``b - j`` after, the rounding that :func:`rotations.kcopies.k_law
    <superpose.derive.rotations.kcopies.k_law>` was calibrated with (the two agree to an ulp per
    factor, but its alternating inclusion-exclusion sums amplify that to ~1e-10 relative).
    """
    a = np.asarray(a, dtype=np.int64)
    r = np.ones(a.shape)
    for j in range(z):
        if divide_last:
            r = r * np.clip(a - j, 0, None) / (b - j)
        else:
            r *= np.clip(a - j, 0, None) / (b - j)
    return r


def inclusion_exclusion(Nm) -> np.ndarray:
    r"""Law of the number ``X`` of missed groups from :math:`N_m`, ``m = 0..K``.

    :math:`N_m=\sum_{|M|=m}\Pr(\text{every group of }M\text{ missed})`; then
    :math:`\Pr(X=x)=\sum_{m\ge x}(-1)^{m-x}\binom mxN_m` (returned as an array over
    ``x = 0..K``; float round-off can leave tiny negative entries, which callers clip).
    """
    K = len(Nm) - 1
    return np.array([sum((-1) ** (m - x) * math.comb(m, x) * Nm[m] for m in range(x, K + 1))
                     for x in range(K + 1)])


def fixed_generator(*key: int) -> np.random.Generator:
    """A Generator fixed by integer ``key`` for objects that are *part of a construction's
    definition* (a random code drawn once from ``code_seed``), not Monte Carlo randomness.

    Monte Carlo draws come from :func:`superpose.verify.rng.stream` only; the derive layer,
    which may not import ``verify``, uses this one seeded constructor (and the architecture
    test allows Generators to be made only here and in ``verify/rng.py``).
    """
    if not key or not all(isinstance(k, (int, np.integer)) and k >= 0 for k in key):
        raise ValueError(f"fixed_generator needs non-negative integer keys, got {key!r}")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(k) for k in key])))


# ----------------------------------------------------------- answers for the Findings


def records_of(checks, quantity: str) -> list:
    """The check records (``checks.json`` dicts, keyed by check name) of one quantity, in
    name order; the ``Answer.answer`` functions of the constructions read them."""
    return [checks[k] for k in sorted(checks)
            if checks[k].get("quantity") == quantity and checks[k].get("measured") is not None]


def deviations(records, *, against: str = "predicted") -> list[float]:
    """``measured / record[against] - 1`` of each record with a non-zero ``against`` value."""
    out = []
    for r in records:
        ref = r.get(against)
        if ref not in (None, 0) and r.get("measured") is not None:
            out.append(float(r["measured"]) / float(ref) - 1.0)
    return out


def percent_range(devs) -> str:
    """``"36--56%"`` for the magnitudes of relative deviations (one value: ``"36%"``)."""
    mags = sorted(abs(d) * 100 for d in devs)
    if not mags:
        return ""
    nd = 0 if mags[-1] >= 10 else 1
    lo, hi = (f"{x:.{nd}f}" for x in (mags[0], mags[-1]))
    return f"{lo}%" if lo == hi else f"{lo}--{hi}%"


def sci(x: float, digits: int = 2) -> str:
    r"""``x`` for report prose: ``"0.32"``, or ``"$3.3\times10^{15}$"`` when large or small."""
    x = float(x)
    if x == 0 or 1e-2 <= abs(x) < 1e4:
        return f"{x:.{digits}g}"
    mant, exp = f"{x:.{digits - 1}e}".split("e")
    return rf"${mant}\times10^{{{int(exp)}}}$"


class log2(sp.Function):
    r"""``log2(x)``: the base-2 logarithm that stays ``\log_2 x`` in print while ``x`` is
    symbolic and becomes SymPy's ``log(x, 2)`` (exact for powers of two) once ``x`` is a
    number, so a closed form evaluates exactly as with ``sp.log(x, 2)``.

    >>> d = sp.Symbol("d", positive=True)
    >>> sp.latex(sp.ceiling(log2(d))), sp.ceiling(log2(d)).xreplace({d: 8})
    ('\\left\\lceil{\\log_2 d}\\right\\rceil', 3)
    """

    @classmethod
    def eval(cls, x):
        if x.is_Number:
            return sp.log(x, 2)
        return None

    def _latex(self, printer, exp=None):
        arg = self.args[0]
        body = printer._print(arg)
        if not (arg.is_Symbol or arg.is_Number):
            body = r"\left(%s\right)" % body
        out = r"\log_2 " + body
        return out if exp is None else r"\left(%s\right)^{%s}" % (out, exp)

    def _eval_rewrite_as_log(self, x, **kw):
        return sp.log(x) / sp.log(2)
