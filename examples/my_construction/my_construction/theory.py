"""Derive side: the first two moments of ``ReLU(w . x + b)`` with ``|w| = sigma``, ``x ~ N(0, I)``.

The pre-activation is ``w . x + b ~ N(b, sigma^2)`` for every fixed ``w`` of norm ``sigma``, so
the moments are lemmas G2 and G3 of :mod:`superpose.derive.gaussian` at ``mu = b``.
"""
import sympy as sp

from superpose.derive.gaussian import relu_mean, relu_second_moment
from superpose.derive.quantity import Construction, Param, Quantity, Step

NAME = "relu-neuron"
SOURCE = "superpose.derive.gaussian, lemmas G2 and G3"
B = Param("b", float, 0.5, lo=-4, hi=4, doc="bias")
SIGMA = Param("sigma", float, 1.0, lo=0.1, hi=10, doc="weight norm |w|")


def _moment(short, statistic, power, closed_form, lemma, doc) -> Quantity:
    b, s, z = B.symbol, SIGMA.symbol, sp.Symbol("z", real=True)
    density = sp.exp(-z**2 / 2) / sp.sqrt(2 * sp.pi)            # Z ~ N(0, 1)
    p = "" if power == 1 else f"^{power}"
    return Quantity(
        f"{NAME}.{short}", (B, SIGMA), statistic, "exact",
        definition=sp.Integral(sp.Max(0, b + s * z) ** power * density, (z, -sp.oo, sp.oo)),
        closed_form=closed_form, source=SOURCE, doc=doc,
        eq_label=f"eq:relu-neuron-{short.replace('_', '-')}",
        steps=(Step(rf"\mathbb E[\mathrm{{ReLU}}(w\cdot x+b){p}]",
                    rf"\mathbb E[\max(0,b+\sigma Z){p}]",
                    "w . x ~ N(0, sigma^2) for every w of norm sigma"),
               Step("", closed_form, f"lemma {lemma} at mu = b")))


def construction() -> Construction:
    b, s = B.symbol, SIGMA.symbol
    return Construction(
        NAME, "One ReLU neuron with a Gaussian pre-activation",
        "ReLU(w . x + b), |w| = sigma, x ~ N(0, I_n): mean and mean square.",
        (_moment("mean", "mean", 1, relu_mean(b, s), "G2", "mean activation"),
         _moment("mean_square", "mean-square", 2, relu_second_moment(b, s), "G3",
                 "mean square activation")),
        source=SOURCE)
