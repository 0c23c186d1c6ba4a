"""Monte Carlo checks of binary codes with a pseudoinverse readout (``derive/l4codes.py``).

The simulation builds the real networks with numpy and runs them on inputs drawn from the
definition: each of the ``F`` features active independently with probability ``p``, with value
``U(-1, 1)``; targets ``ReLU(x_i)``; loss ``(1/F) sum_i (y_i - ReLU(x_i))^q`` per input.

* naive network: neuron ``n < N`` is ``ReLU(x_n)``, read out to output ``n``; outputs ``n >= N``
  are 0;
* three-scalar network: ``W_in = a M^T + b (1 - M^T)``, ``h = ReLU(W_in x)``,
  ``y = c pinv(M^T) h`` with the code ``M`` of the chosen family (``numpy.linalg.pinv``);
  at the given ``(a, b, c)`` and (``opt = 1``) at the registered optimal scalars;
* conditional strata: inputs with exactly one (two) active features, uniform over features
  (pairs), measure ``E[L_q | |S| = 1]`` (``|S| = 2``), with ``2 trials`` inputs each (one
  network, cheap; the one-active L4 has a relative spread near 2.4 per input).

A *trial* is one input.  The code is fixed by ``code_seed`` (the quantities are defined for a
given code), so trials are independent; SEs are clustered over blocks of ``BLOCK`` inputs
(``n_networks`` counts blocks).  L4 of a sparse input is heavy-tailed next to its mean (the
per-input relative standard deviation is about 2 at the defaults), so the default of 10^5
trials gives a relative SE near 0.7 %, small against the 10 % a wrong formula would move.

What this does not establish: the optimum itself (only the loss at the registered optimal
scalars is checked), or behaviour of trained networks.
"""
from __future__ import annotations

import numpy as np

from superpose.derive import l4codes as D
from superpose.derive.quantity import Param
from superpose.verify.check import Measurement
from superpose.verify.rng import stream
from superpose.verify.stats import clustered_mean

NAME = "l4codes"
BLOCK = 250
CHUNK = 20000

OPT = Param("opt", int, 1, lo=0, hi=1, doc="also check the loss at the optimal scalars (0/1)")
PARAMS = (D.FF, D.NN, D.PP, D.KK, D.CODE, D.SEED, D.AA, D.BB, D.CC, OPT)
DEFAULT_TRIALS = 100_000


def constraint(v: dict) -> str | None:
    if v["N"] > v["F"]:
        return f"the naive baseline computes N = {v['N']} of F = {v['F']} features: needs N <= F"
    return D._check(v)


SCALES = {
    "smoke": [(dict(F=20, N=10, K=3, code=1, p=0.05, opt=0), 4000)],
    "quick": [(dict(opt=0), 60_000)],
    "paper": [(dict(opt=1), 400_000), (dict(code=0, opt=1), 200_000),
              (dict(code=1, opt=1), 200_000)],
}


def build(M: np.ndarray, a: float, b: float, c: float) -> tuple[np.ndarray, np.ndarray]:
    """The three-scalar network's weights: ``W_in`` (N x F), ``W_out = c pinv(M^T)`` (F x N)."""
    Mt = M.T.astype(float)
    return a * Mt + b * (1.0 - Mt), c * np.linalg.pinv(Mt)


def naive(F: int, N: int) -> tuple[np.ndarray, np.ndarray]:
    """The naive network: neuron n reads feature n, output n reads neuron n (n < N)."""
    return np.eye(N, F), np.eye(F, N)


def forward(Win: np.ndarray, Wout: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``y = W_out ReLU(W_in x)`` for the rows of X (B x F) -> (B x F)."""
    return np.maximum(X @ Win.T, 0.0) @ Wout.T


def losses(Win, Wout, X) -> dict[int, np.ndarray]:
    """Per-input ``(1/F) sum_i (y_i - ReLU(x_i))^q`` for q = 2, 4."""
    e = forward(Win, Wout, X) - np.maximum(X, 0.0)
    e2 = e * e
    return {2: e2.mean(axis=1), 4: (e2 * e2).mean(axis=1)}


def inputs(rng: np.random.Generator, n: int, F: int, p: float) -> np.ndarray:
    """``n`` inputs: each feature active w.p. p, with value U(-1, 1)."""
    return (rng.random((n, F)) < p) * rng.uniform(-1.0, 1.0, (n, F))


def inputs_k(rng: np.random.Generator, n: int, F: int, k: int) -> np.ndarray:
    """``n`` inputs with exactly ``k`` active features (a uniform k-subset), values U(-1, 1)."""
    X = np.zeros((n, F))
    idx = np.argsort(rng.random((n, F)), axis=1)[:, :k]
    X[np.arange(n)[:, None], idx] = rng.uniform(-1.0, 1.0, (n, k))
    return X


def _estimate(vals: np.ndarray):
    """Mean with an SE clustered over consecutive blocks of ``BLOCK`` inputs."""
    return clustered_mean(vals, np.arange(vals.size) // BLOCK)


def _run(nets: dict, draw, trials: int) -> dict:
    acc = {(name, q): [] for name in nets for q in (2, 4)}
    done = 0
    while done < trials:
        X = draw(min(CHUNK, trials - done))
        for name, (Win, Wout) in nets.items():
            for q, v in losses(Win, Wout, X).items():
                acc[name, q].append(v)
        done += X.shape[0]
    return {key: _estimate(np.concatenate(v)) for key, v in acc.items()}


def loss_at_optimum(F: int, N: int, p: float, K: int, code: int, code_seed: int, q: int,
                    trials: int, rng: np.random.Generator):
    """Monte Carlo ``L^q`` loss of the three-scalar network at the registered optimal scalars.

    The network ``build(M, a, b, c)`` with the code ``M`` of the family ``code`` and ``(a, b,
    c)`` from ``derive.l4codes.optimum(F, N, p, K, code, code_seed, q)`` (cached on disk), run
    on ``trials`` inputs from the definition (feature probability ``p``), the SE clustered over
    blocks of ``BLOCK`` inputs.  Returns ``(estimate, optimum)``, the optimum dict carrying the
    derived ``"loss"``; ``BadInput`` where no code of the family exists.  The report's
    ``l4codes_loss`` figure plots these."""
    M = D.code_matrix(F, N, K, code, code_seed)
    o = D.optimum(F, N, p, K, code, code_seed, q)
    net = build(M, o["a"], o["b"], o["c"])
    return _run({"opt": net}, lambda n: inputs(rng, n, F, p), trials)["opt", q], o


def measure(params: dict, *, trials: int, seed: int, progress=None) -> list[Measurement]:
    F, N, p, K = params["F"], params["N"], params["p"], params["K"]
    code, cseed, a, b, c = (params[x] for x in ("code", "code_seed", "a", "b", "c"))
    M = D.code_matrix(F, N, K, code, cseed)
    nets = {"naive": naive(F, N), "net": build(M, a, b, c)}
    if params["opt"]:
        for q in (2, 4):
            o = D.optimum(F, N, p, K, code, cseed, q)
            nets[f"opt{q}"] = build(M, o["a"], o["b"], o["c"])
    rng = stream(seed, NAME, "inputs", F, N, p)
    est = _run(nets, lambda n: inputs(rng, n, F, p), trials)
    if progress:
        progress(f"{NAME}: {trials} inputs through {len(nets)} networks")
    strata = {}
    for k in (1, 2):
        rk = stream(seed, NAME, "stratum", k, F, N)
        strata[k] = _run({"net": nets["net"]}, lambda n: inputs_k(rk, n, F, k), 2 * trials)
    cp = dict(F=F, N=N, K=K, code=code, code_seed=cseed)
    net = dict(cp, a=a, b=b, c=c)
    out = []
    for q in (4, 2):
        out.append(Measurement(f"{NAME}.naive_baseline_l{q}", dict(F=F, N=N, p=p),
                               est["naive", q]))
        out.append(Measurement(f"{NAME}.loss_l{q}", dict(net, p=p), est["net", q]))
        out.append(Measurement(f"{NAME}.loss_l{q}_one", net, strata[1]["net", q]))
        out.append(Measurement(f"{NAME}.loss_l{q}_two", net, strata[2]["net", q]))
        if params["opt"]:
            out.append(Measurement(f"{NAME}.opt_loss_l{q}", dict(cp, p=p), est[f"opt{q}", q],
                                   note="network built with the registered optimal $(a,b,c)$"))
    return out
