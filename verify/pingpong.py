"""Monte Carlo / exhaustive checks of the ping-pong construction (``derive/pingpong.py``).

``build(D, d, L, weights, biases, B)`` writes the real network: one dense
``(width x width)`` matrix and bias per layer, neurons ordered as
``[memory (N blocks of d) | one-hot source code (N) | binary destination code (nb)]``.
``forward`` applies ``ReLU(W h + b)`` layer by layer.  The reference runs each small circuit
on its own (``y = ReLU(w_t^l y + b_t^l)``).

* z = 1: every one of the ``T = N^2`` circuits, on ``n_inputs`` inputs uniform in
  ``[-1, 1]^d``, in one network with random circuits (``w ~ N(0, 2/d)``, ``b ~ N(0, 0.1^2)``);
  a failure is ``|y_hat - y_ref|_inf`` above the a-priori float64 rounding bound of network
  plus reference (``derive.pingpong.rounding_bounds``, Higham's gamma_n), reported beside the
  observed error (typically 1e-15..1e-13 relative).
* z = 2: random pairs of distinct circuits active together (memory, codes superposed);
  measured-only (see ``pingpong.z2_error_ms``).

A *trial* is one network (fresh random circuits).  What this does not establish: exactness
at sizes beyond the exhaustive check (D/d <= 64), or for circuits whose activations make
``B`` so large that rounding reaches 1e-12 (the gate constants are reported).
"""
from __future__ import annotations

import numpy as np

from superpose.derive.pingpong import bits_needed, gate_constants, rounding_bounds
from superpose.derive.quantity import Param
from superpose.verify.check import Measurement
from superpose.verify.rng import stream
from superpose.verify.stats import Estimate, clustered_mean, from_cluster_sums

NAME = "pingpong"
TOL = 1e-12  # z = 2: an output counts as broken beyond 1e-12 max(1, |y|_inf)

PARAMS = (
    Param("D", int, 32, lo=1, hi=4096, doc="memory width"),
    Param("d", int, 4, lo=1, hi=256, doc="circuit width (divides D)"),
    Param("L", int, 3, lo=1, hi=32, doc="circuit depth"),
    Param("n_inputs", int, 4, lo=1, hi=256, doc="inputs per circuit (z = 1), pairs per "
          "circuit count (z = 2)"),
)
DEFAULT_TRIALS = 20


def constraint(v: dict) -> str | None:
    if v["D"] % v["d"]:
        return f"d = {v['d']} must divide D = {v['D']}"
    if v["D"] // v["d"] > 64:
        return f"the exhaustive check runs all (D/d)^2 circuits: D/d = {v['D'] // v['d']} > 64"
    return None


SCALES = {
    "smoke": [(dict(D=16, d=4, L=2, n_inputs=2), 5)],
    "quick": [(dict(D=32, d=4, L=3, n_inputs=4), 20), (dict(D=48, d=3, L=4, n_inputs=2), 10)],
    "paper": [(dict(D=256, d=8, L=4, n_inputs=4), 20)],
}


#: Seconds per (circuit, input, layer) of the Python reference loop and input encoding
#: (measured, bench/cost_calibration.py).
SEC_CIRCUIT = 8e-6
COST_SIZE = ("D",)


def estimate_cost(p: dict, trials: int):
    """Peak memory and time (superpose.verify.cost).  Memory: the L dense layers (width^2),
    the z = 1 and z = 2 input/activation columns (width x N^2 n_inputs), the circuit weights and
    the Python lists of pairs (~400 bytes per input)."""
    from superpose.verify.cost import F8, cost

    D, d, L, nx = p["D"], p["d"], p["L"], p["n_inputs"]
    N = max(1, D // d)
    T = N * N
    width = D + N + bits_needed(N)
    cols = T * nx
    mem = (F8 * L * width * width + 2 * F8 * width * cols * 1.25 + F8 * L * T * d * (d + 1)
           + 400 * cols * 1.25 + F8 * T * nx * d)
    secs = trials * (SEC_CIRCUIT * cols * 1.25 * (L + 2) + 2e-9 * L * width * width * cols)
    return cost(mem, secs)


def bits(r: int, nb: int) -> np.ndarray:
    return np.array([(r >> b) & 1 for b in range(nb)], float)


def circuit_of(l: int, dest: int, src: int, N: int) -> int:
    """Circuit index t = i N + j owning block (dest, src) at layer l (1-based)."""
    i, j = (src, dest) if l % 2 == 1 else (dest, src)
    return i * N + j


def random_circuits(T, d, L, rng):
    """weights (L, T, d, d) ~ N(0, 2/d), biases (L, T, d) ~ N(0, 0.01)."""
    return (rng.standard_normal((L, T, d, d)) * np.sqrt(2.0 / d),
            rng.standard_normal((L, T, d)) * 0.1)


def build(D, d, L, weights, biases, B):
    """The ping-pong network: list of (W (width x width), b (width,)) per layer."""
    N = D // d
    nb = bits_needed(N)
    width = D + N + nb
    code = [bits(r, nb) for r in range(N)]
    layers = []
    for l in range(1, L + 1):
        W = np.zeros((width, width))
        b = np.zeros(width)
        for rp in range(N):
            rows = slice(rp * d, (rp + 1) * d)
            for sp_ in range(N):
                t = circuit_of(l, rp, sp_, N)
                W[rows, sp_ * d:(sp_ + 1) * d] = weights[l - 1, t]
                W[rows, D + sp_] = biases[l - 1, t]          # bias via the one-hot source code
            for k in range(nb):                                # gate: -B Hamming(bits(r'), beta)
                W[rows, D + N + k] = -B[l - 1] * (1 - 2 * code[rp][k])
            b[rows] = -B[l - 1] * code[rp].sum()
            W[D + rp, D + N:] = 2 * code[rp] - 1               # one-hot of the old destination
            b[D + rp] = 1 - code[rp].sum()
        for k in range(nb):                                    # binary of the old source
            W[D + N + k, D:D + N] = [code[s][k] for s in range(N)]
        layers.append((W, b))
    return layers


def forward(layers, H):
    """H (width x batch) through ReLU(W h + b)."""
    for W, b in layers:
        H = np.maximum(W @ H + b[:, None], 0.0)
    return H


def encode(D, d, pairs, xs):
    """Input columns for active circuit sets: pairs[c] = list of (i, j), xs[c] = list of x."""
    N = D // d
    nb = bits_needed(N)
    H = np.zeros((D + N + nb, len(pairs)))
    for c, (ps, xx) in enumerate(zip(pairs, xs)):
        for (i, j), x in zip(ps, xx):
            H[i * d:(i + 1) * d, c] += x
            H[D + i, c] += 1.0
            H[D + N:, c] += bits(j, nb)
    return H


def reference(weights, biases, t, x):
    y = x
    for w, b in zip(weights[:, t], biases[:, t]):
        y = np.maximum(w @ y + b, 0.0)
    return y


def out_block(L, i, j):
    return j if L % 2 == 1 else i


def run_network(D, d, L, nx, rng, gate_scale=1.0):
    """One network: z = 1 exhaustive errors and z = 2 errors."""
    N = D // d
    T = N * N
    w, bvec = random_circuits(T, d, L, rng)
    B = gate_constants(w, bvec, 1.0) * gate_scale
    layers = build(D, d, L, w, bvec, B)
    width0 = layers[0][0].shape[0]
    e_net, e_ref = rounding_bounds(w, bvec, B / gate_scale, 1.0, width0)
    tol = e_net + e_ref
    tij = [(t // N, t % N) for t in range(T)]
    xs = rng.uniform(-1, 1, size=(T, nx, d))
    pairs = [[tij[t]] for t in range(T) for _ in range(nx)]
    H = forward(layers, encode(D, d, pairs, [[xs[t, s]] for t in range(T) for s in range(nx)]))
    rel = np.empty((T, nx))
    for t, (i, j) in enumerate(tij):
        o = out_block(L, i, j)
        for s in range(nx):
            y = reference(w, bvec, t, xs[t, s])
            got = H[o * d:(o + 1) * d, t * nx + s]
            rel[t, s] = np.max(np.abs(got - y)) / tol
    # z = 2: random pairs of distinct circuits
    n2 = max(1, T * nx // 4)
    t1 = rng.integers(T, size=n2)
    t2 = (t1 + rng.integers(1, T, size=n2)) % T if T > 1 else t1
    x1, x2 = rng.uniform(-1, 1, size=(2, n2, d))
    H2 = forward(layers, encode(D, d, [[tij[a], tij[b]] for a, b in zip(t1, t2)],
                                [[a, b] for a, b in zip(x1, x2)]))
    sq, broken = [], []
    for c in range(n2):
        for t, x in ((t1[c], x1[c]), (t2[c], x2[c])):
            i, j = tij[t]
            o = out_block(L, i, j)
            y = reference(w, bvec, t, x)
            e = H2[o * d:(o + 1) * d, c] - y
            sq.append(float(e @ e))
            broken.append(float(np.max(np.abs(e)) > TOL * max(1.0, np.max(np.abs(y)))))
    width = layers[0][0].shape[0]
    return rel, np.array(sq), np.array(broken), width, len(layers), B, tol


def measure(params: dict, *, trials: int, seed: int, progress=None, gate_scale=1.0):
    D, d, L, nx = params["D"], params["d"], params["L"], params["n_inputs"]
    rng = stream(seed, NAME, D, d, L, nx)
    fails, exact_circuits, widths, depths, sq, br = [], [], [], [], [], []
    maxrel, bmax, tolmax = 0.0, 0.0, 0.0
    for g in range(trials):
        rel, s2, b2, width, depth, B, tol = run_network(D, d, L, nx, rng, gate_scale)
        fails.append(int(np.sum(rel > 1.0)))
        exact_circuits.append(int(np.sum(np.all(rel <= 1.0, axis=1))))
        tolmax = max(tolmax, tol)
        widths.append(width)
        depths.append(depth)
        sq.append((s2.sum(), s2.size))
        br.append((b2.sum(), b2.size))
        maxrel = max(maxrel, float(rel.max()))
        bmax = max(bmax, float(B.max()))
        if progress and (g + 1) % max(1, trials // 4) == 0:
            progress(f"{NAME}: networks {g + 1}/{trials}")
    n = trials

    def const(value):    # a deterministic count (no sampling error): se = 0
        return Estimate(float(value), 0.0, n, n)

    note = (f"largest error over the rounding bound {maxrel:.2g} (bound up to {tolmax:.2g}); "
            f"largest gate constant $B={bmax:g}$")
    sq, br = np.array(sq), np.array(br)
    return [
        Measurement(f"{NAME}.exact_failures", dict(D=D, d=d, L=L), const(sum(fails)),
                    label=dict(n_inputs=nx), note=note),
        Measurement(f"{NAME}.circuits", dict(D=D, d=d), const(min(exact_circuits)),
                    label=dict(L=L), note="circuits exact on every input (fewest over networks)"),
        Measurement(f"{NAME}.width", dict(D=D, d=d), const(max(widths))),
        Measurement(f"{NAME}.depth", dict(L=L), const(max(depths)), label=dict(D=D, d=d)),
        Measurement(f"{NAME}.depth_published", dict(L=L), const(max(depths)), label=dict(D=D, d=d),
                    note="our network's ReLU layers against the post's $L+2$"),
        Measurement(f"{NAME}.z2_error_ms", dict(D=D, d=d, L=L), from_cluster_sums(sq[:, 0], sq[:, 1]),
                    note=r"two circuits active; the error is $O(B)$"),
        Measurement(f"{NAME}.z2_broken_fraction", dict(D=D, d=d, L=L),
                    from_cluster_sums(br[:, 0], br[:, 1])),
    ]


__all__ = ["build", "forward", "measure", "clustered_mean"]
