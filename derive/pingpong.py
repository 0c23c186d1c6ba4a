"""Ping-pong: exact computation in superposition for z = 1 (Gibson; cis2.md §9).

Layout (the original post's version).  Memory of width ``D`` in ``N = D/d`` blocks of ``d``
neurons; a circuit is an ordered block pair ``t = (i, j)``, so ``T = N^2`` circuits, each an
``L``-layer ReLU network of width ``d`` with free weights ``w_t^l`` (d x d) and biases ``b_t^l``.
Two code registers ride along: a one-hot code of the *source* block (``N`` neurons) and a
binary code of the *destination* block (``ceil(log2 N)`` neurons), so the width is
``D + D/d + ceil(log2(D/d))``.

Layer ``l`` (source ``s``, destination ``r``; ``s = i, r = j`` for odd ``l``, swapped for even):

* memory block ``r'`` gets ``sum_{s'} W_{r' s'} M_{s'}`` where block ``(r', s')`` holds the
  weights of the unique circuit with that (destination, source) pair at this layer's parity,
  plus the bias ``b`` of that circuit from the one-hot neuron ``s'`` (only ``s' = s`` is on);
* a gate subtracts ``B * Hamming(bits(r'), beta)`` from block ``r'`` (``beta`` the binary code):
  linear in ``beta`` as ``B (popcount(r') + sum_b (1 - 2 bit_b(r')) beta_b)``; it is 0 for
  ``r' = r`` and ``>= B`` for every other block;
* codes swap roles in the same layer: new one-hot ``= ReLU(1 - Hamming(bits(r'), beta))``
  (exact on 0/1 codes) and new binary ``= sum_s bits(s) onehot_s`` (linear, non-negative).

Only the source block is non-zero, so every block pair of the ``D x D`` matrix that matters
belongs to the active circuit; the other blocks are zeroed exactly when ``B_l`` is at least
their largest pre-activation (:func:`gate_constants`).  The output after ``L`` layers is the
destination block of layer ``L`` (``j`` for odd ``L``, ``i`` for even).

Choice of ``B`` (documented, the post leaves it open).  With ``A_0 = max|x|_inf`` and
``P_l = max_t max_k (sum_c |w_t^l[k,c]| A_{l-1} + |b_t^l[k]|)`` every block's pre-activation
(any circuit's weights applied to the active circuit's activations, ``|a^{l-1}|_inf <=
A_{l-1}``) is at most ``P_l``, and ``A_l = P_l``.  We take ``B_l`` = the smallest power of two
``>= 2 P_l``: a margin of ``P_l`` against rounding, and a power of two keeps the gate's
multiples of ``B`` exact in floating point.  Float64 rounding still enters where the gate's
``O(B)`` terms and the circuit's ``O(1)`` terms share one dot product; :func:`rounding_bounds`
gives the a-priori bound used as the exactness tolerance.
"""
from __future__ import annotations

import math

import numpy as np
import sympy as sp

from superpose.derive.common import log2, records_of
from superpose.derive.quantity import Answer, Construction, Param, Quantity, Step

NAME = "pingpong"
SOURCE = r"\citet{pingpong}, later retitled \citet{gibsonblock}"

DW = Param("D", int, 32, lo=1, hi=10**9, doc="memory width (neurons)")
dw = Param("d", int, 4, lo=1, hi=10**6, doc="circuit width; divides $D$")
LL = Param("L", int, 3, lo=1, hi=10**6, doc="circuit depth (layers)")

D, d, L = DW.symbol, dw.symbol, LL.symbol


def _check(v: dict) -> str | None:
    if "D" in v and "d" in v and v["D"] % v["d"]:
        return f"d = {v['d']} must divide D = {v['D']} (blocks of d neurons)"
    return None


def bits_needed(n_blocks: int) -> int:
    """``ceil(log2 N)``: binary code length for N blocks (0 for N = 1)."""
    return (n_blocks - 1).bit_length()


def gate_constants(weights: np.ndarray, biases: np.ndarray, xmax: float) -> np.ndarray:
    """Gate constants ``B_l`` (powers of two) for all circuits' weights.

    ``weights``: (L, T, d, d), ``biases``: (L, T, d), ``xmax`` bounds ``|x|_inf`` of inputs.
    ``P_l = max_t max_k (sum_c |w| A_{l-1} + |b|)``, ``A_l = P_l``, ``B_l`` = the smallest power
    of two ``>= 2 P_l`` (margin ``>= P_l`` against rounding).  See the module docstring for why this zeroes every
    non-destination block.
    """
    A = float(xmax)
    out = []
    for w, b in zip(weights, biases):
        P = float(np.max(np.abs(w).sum(axis=2) * A + np.abs(b)))
        out.append(2.0 ** math.ceil(math.log2(max(2 * P, 2.0**-1000))))
        A = max(P, 0.0)
    return np.array(out)


U_ROUND = 2.0**-53  # unit roundoff of float64


def rounding_bounds(weights: np.ndarray, biases: np.ndarray, B: np.ndarray, xmax: float,
                    width: int) -> tuple[float, float]:
    """A-priori float64 error bounds ``(network, reference)`` on the output, ``|.|_inf``.

    One neuron computes ``fl(sum_c W_c h_c + b)``; in any summation order its error is at most
    ``gamma_{n+1} (sum_c |W_c h_c| + |b|)``, ``gamma_k = k u / (1 - k u)`` (Higham, Accuracy
    and Stability, §3.1), and ReLU is 1-Lipschitz.  For a destination neuron the terms are the
    circuit's (``<= rho_l (A_{l-1} + e_{l-1}) + |b|``, ``rho_l`` the largest absolute row sum) and
    the gate's (``<= 2 B_l nb``: nb weights of size B_l on 0/1 codes, and the bias
    ``B_l popcount``).  Hence ``e_l <= rho_l e_{l-1} + gamma_{n+1} (rho_l (A_{l-1} + e_{l-1}) +
    |b|_max + 2 B_l nb)`` with ``n = width``; the reference (``n = d``, no gate) likewise.
    Codes are small integers and exact.
    """
    d = weights.shape[-1]
    n_blocks = int(round(math.sqrt(weights.shape[1])))
    nb = bits_needed(n_blocks)

    def gamma(k):
        return k * U_ROUND / (1 - k * U_ROUND)

    A, e_net, e_ref = float(xmax), 0.0, 0.0
    for w, b, Bl in zip(weights, biases, B):
        rho = float(np.max(np.abs(w).sum(axis=2)))
        bmax = float(np.max(np.abs(b)))
        e_net = rho * e_net + gamma(width + 1) * (rho * (A + e_net) + bmax + 2 * Bl * nb)
        e_ref = rho * e_ref + gamma(d + 1) * (rho * (A + e_ref) + bmax)
        A = rho * A + bmax
    return e_net, e_ref


INTRO = (r"\citet{pingpong} splits a memory of width $D$ into $N=D/d$ blocks of $d$ neurons; "
         r"a circuit is an ordered pair $t=(i,j)$ of blocks, so $T=N^2$ circuits of width $d$ and "
         r"depth $L$ share the memory. A one-hot code of the source block and a binary code of "
         "the destination block ride along; at each layer a gate subtracts a large constant "
         r"$B_l$ times the Hamming distance between the binary code and each block's index, "
         "which zeroes every block but the destination, and the two codes swap roles. The post "
         r"leaves $B_l$ open; we take the smallest power of two at least twice the largest "
         r"pre-activation $P_l$, so that with one active circuit the network is exact up to "
         "a proved bound on floating-point rounding.")

DISCUSSION = ("The construction is exact only with a single active circuit: with two, the "
              "superposed codes defeat the gate, and the error is of the order of the gate "
              "constant. Its width grows linearly in the memory and the number of circuits is "
              r"only $(D/d)^2$, so it trades the capacity of the random constructions for "
              "exactness. Exactness is verified on the drawn weights at the sizes run, with "
              "the rounding bound as tolerance.")


def _answer(checks) -> str | None:
    broken = records_of(checks, f"{NAME}.z2_broken_fraction")
    exact = records_of(checks, f"{NAME}.exact_failures")
    if not broken or not exact:
        return None
    lo = min(float(r["measured"]) for r in broken)
    hi = max(float(r["measured"]) for r in broken)
    worst = max(float(r["measured"]) for r in exact)
    frac = f"{100 * lo:.0f}%" if round(100 * lo) == round(100 * hi) else \
        f"{100 * lo:.0f}--{100 * hi:.0f}%"
    return (f"With one active circuit the network is exact ({worst:.0f} outputs beyond the "
            f"rounding bound at {len(exact)} size{'' if len(exact) == 1 else 's'}); with two "
            f"active circuits {frac} of the "
            "circuits return a wrong output.")


ANSWERS = (Answer("Does the ping-pong construction stay exact when two circuits are active?",
                  _answer, "q:pingpong.z2_broken_fraction"),)


#: How each quantity is written in the report (its symbol).
SYMBOLS = {
    "circuits": "T", "width": r"\mathrm{width}", "width_overhead": r"\mathrm{width}/D-1",
    "depth": r"L_{\rm net}", "depth_published": r"L_{\rm post}",
    "exact_failures": r"n_{\rm fail}", "z2_error_ms": r"\mathbb E|\hat y_t-y_t|^2",
    "z2_broken_fraction": r"P_{\rm wrong}",
}


def construction() -> Construction:
    N = D / d
    width = D + N + sp.ceiling(log2(N))

    def q(short, params, statistic, accuracy, definition, closed_form=None, **kw):
        kw.setdefault("symbol", SYMBOLS.get(short, ""))
        return Quantity(f"{NAME}.{short}", params, statistic, accuracy, definition,
                        closed_form=closed_form, constraint=_check, source=SOURCE,
                        eq_label=f"eq:pingpong-{short.replace('_', '-')}", **kw)

    qs = (
        q("circuits", (DW, dw), "count", "exact", r"T=\#\{(i,j)\}", N**2, integer=True,
          doc="Circuits computed exactly: the ordered pairs of the $D/d$ blocks.",
          steps=(Step("T", N**2, "a circuit is an ordered pair (source, destination) of blocks; "
                      r"each block pair of the $D\times D$ weight matrix belongs to exactly "
                      "one circuit"),)),
        q("width", (DW, dw), "count", "exact", r"\text{neurons per layer}", width, integer=True,
          doc="Neurons per layer: memory, a one-hot code of the source block and a binary code of the destination block.",
          steps=(Step(r"\text{width}", r"D+\frac Dd+\lceil\log_2\frac Dd\rceil",
                      r"memory of width $D$, a one-hot code of the $N=D/d$ blocks and a binary code of "
                      "the same blocks"),)),
        q("width_overhead", (DW, dw), "value", "exact", r"\text{width}/D-1",
          1 / d + sp.ceiling(log2(N)) / D, doc="Relative width overhead over the memory."),
        q("depth", (LL,), "count", "exact", r"\text{ReLU layers}", L, integer=True,
          mutants=(("L+1", L + 1), ("L-1", L - 1)),
          doc="ReLU layers: one per circuit layer, since the codes swap within the same layer; "
          r"the input arrives as $x$ in block $i$, the one-hot code of $i$ and the binary code "
          r"of $j$.",
          steps=(Step(r"\text{depth}", "L", "gate, bias and code swap all act within the "
                      "layer that applies the circuit's weights"),)),
        q("depth_published", (LL,), "count", "exact", r"L+2", L + 2, integer=True,
          published=True, doc="The post's layer count; it probably counts an embedding and a "
          "read-out layer that our input and output convention does not need."),
        q("exact_failures", (DW, dw, LL), "count", "exact",
          r"\#\{(t,x): |\hat y_t(x)-y_t(x)|_\infty>e_{\rm net}+e_{\rm ref}\}",
          sp.Integer(0), integer=True, mutants=(("one failure", sp.Integer(1)),),
          doc="Outputs with one active circuit that miss the circuit's own output by more than "
          "the a-priori bound on double-precision rounding.",
          steps=(Step(r"\hat y_t", r"y_t", "every block but the destination is zeroed exactly, "
                      r"since the gate constant $B_l$ exceeds the largest pre-activation $P_l$; "
                      "the gate term of the destination is exactly 0"),)),
        q("z2_error_ms", (DW, dw, LL), "mean-square", "exact",
          r"\mathbb E|\hat y_t-y_t|^2\ \text{with two circuits active}", None,
          doc="Measured only. With two active circuits the superposed codes break the gate: the "
          r"Hamming penalty becomes $H(r,j_1)+H(r,j_2)-|r|$, with $|r|$ the number of ones in "
          r"the binary code of block $r$, which can be negative, so destination blocks gain "
          r"$O(B)$ or are zeroed; both sources feed each destination through the weights of "
          "other circuits, and the one-hot decoder of a superposed binary code misfires. The "
          r"error is $O(B)$, with $B$ the gate constant, and depends on the drawn weights."),
        q("z2_broken_fraction", (DW, dw, LL), "probability", "exact",
          r"P(|\hat y_t-y_t|_\infty>\tau\max(1,|y_t|_\infty))\ \text{with two circuits active}",
          None, doc="Measured only: the fraction of active circuits whose output is wrong when two "
          "circuits are active."),
    )
    return Construction(
        NAME, "Ping-pong: exact computation in superposition for one active circuit",
        r"Gibson's block construction: $T=(D/d)^2$ circuits of width $d$ in width "
        r"$D+D/d+\lceil\log_2(D/d)\rceil$, exact for one active circuit; what breaks with two.",
        qs, source=SOURCE, intro_latex=INTRO, discussion=DISCUSSION, answers=ANSWERS)
