"""Verify side: simulate the neuron itself and measure its moments from their definitions.

A network is one weight vector ``w`` (a uniform direction, scaled to norm ``sigma``); it is
redrawn every ``K`` trials, and standard errors are clustered by network.  What this does not
establish: anything about networks whose pre-activations are not Gaussian.
"""
import numpy as np

from superpose.derive.quantity import Param
from superpose.verify.check import Measurement
from superpose.verify.rng import stream
from superpose.verify.stats import clustered_mean

from my_construction.theory import B, NAME, SIGMA

K = 32  # trials (forward passes) per network draw
PARAMS = (B, SIGMA, Param("n", int, 16, lo=1, hi=4096, doc="input dimension"))
DEFAULT_TRIALS = 64_000  # Z se ~ 3 % of the mean square: a 5 % error fails
SCALES = {
    "smoke": [(dict(b=0.5, sigma=1.0, n=8), 8_000)],
    "quick": [(dict(b=0.5, sigma=1.0, n=16), 64_000), (dict(b=-1.0, sigma=2.0, n=64), 64_000)],
    "paper": [(dict(b=b, sigma=2.0, n=256), 256_000) for b in (-2.0, 0.0, 2.0)],
}


def build(params, rng):
    """The neuron's weights: a uniform direction of norm sigma."""
    w = rng.standard_normal(params["n"])
    return params["sigma"] * w / np.linalg.norm(w)


def forward(w, x, b):
    """ReLU(x @ w + b) for a batch of inputs ``x`` (trials, n)."""
    return np.maximum(x @ w + b, 0.0)


def measure(params, *, trials, seed, progress=None):
    b, sigma, n = params["b"], params["sigma"], params["n"]
    rng = stream(seed, NAME, f"b={b}", f"sigma={sigma}", f"n={n}")
    networks = -(-trials // K)
    h = np.concatenate([forward(build(params, rng), rng.standard_normal((K, n)), b)
                        for _ in range(networks)])[:trials]
    cluster = np.arange(trials) // K
    qp = dict(b=b, sigma=sigma)
    return [Measurement(f"{NAME}.mean", qp, clustered_mean(h, cluster), label=dict(n=n)),
            Measurement(f"{NAME}.mean_square", qp, clustered_mean(h**2, cluster),
                        label=dict(n=n))]
