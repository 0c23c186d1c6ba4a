"""Monte Carlo checks of uand-random (verify/uand_random.py) and its two figures.

What is tested:

* the fast simulation equals a dense reference (a full W, an explicit per-neuron readoff)
  on the same random numbers, and the pair-averaged path likewise;
* a correct run passes every check (fast settings here, larger N / l sweeps ``slow``);
* every check can fail at the default sample size: a *wrong construction* (one AND
  readoff coefficient off by 5%) fails ``mean_readoff``, and every measured quantity
  fails against its closed form scaled by 1.05 / 0.95 (plus the declared tolerance);
* determinism, bad input, and the figure scripts (smoke scale, byte-identical reruns).

What this does not establish: the closed forms themselves (tests/test_uand_random_derive.py
proves them against their definitions); the Z = 4 false-alarm rate (a calibration
question, verify/audit.py).
"""
from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pytest

from superpose.derive import uand_random as du
from superpose.derive.quantity import BadInput, get_quantity
from superpose.verify import uand_random as vu
from superpose.verify.check import Z, bind_verify_params, judge, run_checks
from superpose.verify.rng import stream

DEFAULTS = {p.name: p.default for p in vu.PARAMS}
SEED = 0


def _params(**kw) -> dict:
    return bind_verify_params("uand-random", kw)


# ------------------------------------------------------------ dense reference


def _dense_readoff(W: np.ndarray, x: np.ndarray, i: int, j: int, coefs) -> float:
    """Readoff of pair (i, j) straight from the construction: W (N x m), x (m,) in {0, 1}."""
    alpha, beta, gamma, delta = coefs
    h = np.maximum(W @ x, 0.0)
    total = 0.0
    for n in range(W.shape[0]):
        r = (alpha * (W[n, i] > 0 and W[n, j] > 0) + beta * (W[n, i] > 0)
             + gamma * (W[n, j] > 0) + delta)
        total += r * h[n]
    return total / W.shape[0]


@pytest.mark.parametrize("weights,on", [("gaussian", 0), ("gaussian", 1), ("rademacher", 2)])
def test_pair_engine_matches_dense_reference(weights, on):
    """pair_layout/pair_forward give the readoff of the full network that the compact
    columns define (shared inputs share weights), for every trial."""
    N, l, m, K, G = 7, 3, 6, 5, 4     # m = l + 3: the K trials of a network overlap a lot
    rng = stream(1, "test", weights, on)
    coin = rng.integers(0, 2, size=(G, K))
    xi = np.full((G, K), 1 if on == 2 else 0) if on != 1 else coin
    x = np.stack([xi, on - xi], axis=-1).astype(float)
    Wpair, Wused, others, cols, mask = vu.pair_layout(N, l, m, K, G, x, weights, rng)
    h, si, sj = vu.pair_forward(Wpair, Wused, cols, mask, x)
    coefs = du.coefficients("and", l, weights)
    fast = vu.readoff(coefs, h, si, sj)                                   # (G, K)
    for g in range(G):
        W = np.full((N, m), np.nan)
        W[:, 0], W[:, 1] = Wpair[g, 0], Wpair[g, 1]
        for k, s in itertools.product(range(K), range(l)):
            col = Wused[cols[g, k, s]]
            if not np.isnan(W[0, others[g, k, s]]):   # same input, same weights
                assert np.array_equal(W[:, others[g, k, s]], col)
            else:                                      # another input, other weights
                assert not any(np.array_equal(W[:, c], col) for c in range(m)
                               if not np.isnan(W[0, c]))
            W[:, others[g, k, s]] = col
        for k in range(K):
            xf = np.zeros(m)
            xf[0], xf[1] = x[g, k]
            active = others[g, k, mask[g, k] > 0]
            xf[active] = 1.0
            assert xf.sum() == l and len(set(active)) == active.size and not set(active) & {0, 1}
            Wd = np.where(np.isnan(W), 0.0, W)        # unused columns meet x = 0 only
            assert fast[g, k] == pytest.approx(_dense_readoff(Wd, xf, 0, 1, coefs), abs=1e-12)


def test_full_engine_matches_dense_reference():
    """full_layout/full_forward (random pair, full W) against the dense readoff."""
    N, l, m, K, G = 5, 3, 7, 6, 3
    rng = stream(2, "test", "full")
    W, active, pair = vu.full_layout(N, l, m, K, G, "gaussian", rng)
    h, si, sj, x = vu.full_forward(W, active, pair)
    coefs = du.coefficients("xor", l)
    fast = vu.readoff(coefs, h, si, sj)
    for g, k in itertools.product(range(G), range(K)):
        xf = np.zeros(m)
        xf[active[g, k]] = 1.0
        i, j = pair[g, k]
        assert xf.sum() == l and i != j
        assert tuple(x[g, k]) == (xf[i], xf[j])
        assert fast[g, k] == pytest.approx(_dense_readoff(W[g].T, xf, i, j, coefs), abs=1e-12)


def test_random_subsets_uniform_and_prefix_uniform():
    """random_subsets draws uniform k-subsets whose prefixes are uniform too (chi-square,
    at the 1e-4 level: the statistic is compared with a bound from scipy's quantile)."""
    from scipy import stats

    rng = stream(3, "test", "subsets")
    n, k, T = 6, 3, 30000
    s = vu.random_subsets(rng, (T,), n, k)
    assert (np.sort(s, axis=-1)[:, 1:] != np.sort(s, axis=-1)[:, :-1]).all()
    for j in (1, 2, 3):
        keys = np.sort(s[:, :j], axis=-1) @ (n ** np.arange(j))
        _, counts = np.unique(keys, return_counts=True)
        assert counts.size == math.comb(n, j)
        chi2 = float(((counts - T / counts.size) ** 2 / (T / counts.size)).sum())
        assert chi2 < stats.chi2.ppf(1 - 1e-4, counts.size - 1), (j, chi2)


# ------------------------------------------------------------ correct runs pass


def _assert_all_pass(results):
    bad = [(r.name, r.predicted, r.measured, r.se) for r in results if r.verdict != "pass"]
    assert not bad, bad


@pytest.mark.parametrize("raw,trials", [
    ({"N": 64, "l": 2}, 4096),
    ({"N": 128, "l": 4, "m": 16, "K": 2}, 4096),
])
def test_correct_run_passes(raw, trials):
    """Every check passes at small (l, N) settings (uand.md §5, all registered cases)."""
    params, results, _ = run_checks("uand-random", raw, trials=trials, seed=SEED)
    assert len(results) == 29
    _assert_all_pass(results)


@pytest.mark.slow
@pytest.mark.parametrize("raw,trials", [
    ({"N": 1, "l": 2}, 65536),           # exact for every N: one neuron
    ({"N": 16, "l": 3}, 32768),
    ({"N": 1024, "l": 5}, 16384),
    ({"N": 4096, "l": 3}, 8192),
    ({"N": 512, "l": 8, "m": 24, "K": 8}, 16384),
    ({"N": 256, "l": 12, "m": 14, "K": 1}, 16384),
])
def test_correct_run_passes_sweep(raw, trials):
    """Larger N / l sweeps (and N = 1, where the RMS constant is still exact)."""
    _, results, _ = run_checks("uand-random", raw, trials=trials, seed=SEED)
    if raw["N"] < 64:   # mae_constant is asymptotic (N -> oo): not judged at tiny N
        results = [r for r in results if not r.quantity.endswith(".mae_constant")]
    _assert_all_pass(results)


# ------------------------------------------------------------ every check can fail


@pytest.fixture(scope="module")
def default_run():
    """The default run (``superpose verify uand-random``): params, results, measurements."""
    return run_checks("uand-random", {}, seed=SEED)


def test_default_run_passes(default_run):
    """The default run passes every check."""
    _assert_all_pass(default_run[1])


@pytest.mark.parametrize("factor", [1.05, pytest.param(0.95, marks=pytest.mark.slow)])
@pytest.mark.parametrize("k,name", list(enumerate(("alpha", "beta", "gamma", "delta"))))
def test_wrong_coefficient_fails_mean_readoff(default_run, k, name, factor):
    """A wrong construction (AND coefficient ``name`` times ``factor``) is caught by
    ``mean_readoff`` at the default sample size, while the default run (the same random
    numbers: same seed and streams, only the readoff differs) passes."""
    def wrong(target, l, weights):
        c = list(du.coefficients(target, l, weights))
        if target == "and" and weights == "gaussian":
            c[k] *= factor
        return tuple(c)

    params = _params()
    assert default_run[0] == params
    good = [r for r in default_run[1] if r.quantity == "uand-random.mean_readoff"]
    bad = [judge(m, SEED) for m in vu.measure_pairs(params, "gaussian", trials=vu.DEFAULT_TRIALS,
                                                    seed=SEED, coefficients=wrong)
           if m.quantity == "uand-random.mean_readoff"]
    assert [r.verdict for r in good] == ["pass"] * 3
    assert [r.name for r in bad] == [r.name for r in good]
    worst = max(abs(r.measured - r.predicted) / r.se for r in bad)
    assert any(r.verdict == "fail" for r in bad), f"{name} x{factor}: max |z| = {worst:.1f}"


@pytest.mark.parametrize("factor", [1.05, 0.95])
def test_scaled_closed_forms_fail(default_run, factor):
    """Every measured quantity with a nonzero prediction fails somewhere against its closed
    form scaled by ``factor`` (moved further by the declared tolerance, as in
    verify/audit.py), at the default sample size."""
    _, results, measurements = default_run
    by_q: dict[str, list] = {}
    for m in measurements:
        q = get_quantity(m.quantity)
        f = 1 + math.copysign(abs(factor - 1) + q.tolerance, factor - 1)
        by_q.setdefault(m.quantity, []).append(judge(m, SEED, quantity=q.scaled(f)))
    assert len(by_q) == 11
    escaped = [q for q, rs in by_q.items() if not any(r.verdict == "fail" for r in rs)]
    assert not escaped, escaped


def test_rms_constant_scaled_fails_every_case(default_run):
    """rms_error_constant x 1.05 fails in each case on = 0, 1, 2 (not just one)."""
    q = get_quantity("uand-random.rms_error_constant").scaled(1.05)
    rs = [judge(m, SEED, quantity=q) for m in default_run[2] if m.quantity == q.name]
    assert [r.verdict for r in rs] == ["fail"] * 3


def test_clustering_matters():
    """Trials sharing a network are correlated (the pair's weights are shared), so with
    K = 16 the clustered SE of mean_readoff exceeds the naive iid SE clearly."""
    params = _params(K=16)
    res, cl = vu.simulate_pairs(params, "gaussian", "pair", 0, ("and",), 8192, SEED)
    r = res["and"][0]
    from superpose.verify.stats import clustered_mean

    clustered, naive = clustered_mean(r, cl).se, clustered_mean(r).se
    # the on = 0 terms r_n h_n of two trials of one network correlate at 1/pi
    # (E[X^+]^2 / E[(X^+)^2] with X ~ N(0, l)), so the variance inflation is about
    # 1 + 15/pi ~ 5.8: ask for a factor 1.8 in SE, far below sqrt(5.8) ~ 2.4
    assert clustered > 1.8 * naive


# ------------------------------------------------------------ determinism, bad input


def test_same_seed_same_numbers_other_seed_other_numbers():
    """Same seed -> identical measurements; another seed -> different ones."""
    p = _params(N=32, m=8)
    a = vu.measure(p, trials=256, seed=5)
    b = vu.measure(p, trials=256, seed=5)
    c = vu.measure(p, trials=256, seed=6)
    assert [m.estimate for m in a] == [m.estimate for m in b]
    assert [m.estimate for m in a] != [m.estimate for m in c]


def test_trials_not_multiple_of_K():
    """n counts trials exactly and n_networks = ceil(trials / K)."""
    ms = vu.measure(_params(N=8, K=3), trials=100, seed=0)
    assert {(m.estimate.n, m.estimate.n_networks) for m in ms} == {(100, 34)}


@pytest.mark.parametrize("raw,needle", [
    ({"m": 4, "l": 3}, "m must be >= l + 2"),
    ({"l": 1}, "l must be >= 2"),
    ({"N": 0}, "N must be >= 1"),
    ({"K": "two"}, "expected an integer"),
    ({"D": 3}, "unknown parameter"),
    ({"N": 65536, "K": 1000}, "must fit in memory"),
    ({"K": 4}, "at least 30"),        # 100 trials / K = 4: 25 network draws
])
def test_bad_input(raw, needle):
    """Impossible or mistyped parameters raise BadInput with a clear message."""
    with pytest.raises(BadInput, match=re.escape(needle)):
        run_checks("uand-random", raw, trials=100, seed=0)


def test_cli_verify_json(capsys):
    """``superpose verify uand-random --json`` (small run) exits 0 with 29 checks; a bad
    parameter exits 2."""
    import json

    from superpose.reports.cli import main

    rc = main(["verify", "uand-random", "--param", "N=32", "--param", "l=2", "--trials", "2048",
               "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and len(out["checks"]) == 29
    assert all(c["verdict"] == "pass" for c in out["checks"])
    assert main(["verify", "uand-random", "--param", "m=3"]) == 2


# ------------------------------------------------------------ figures


@pytest.mark.parametrize("modname", ["uand_random_rms", "uand_random_hist"])
def test_figure_smoke_deterministic(tmp_path, modname):
    """The figure writes a PDF (and its PNG) at smoke scale with a caption, byte-identical
    on a rerun."""
    import importlib

    mod = importlib.import_module(f"superpose.reports.figures.{modname}")
    a = mod.make(tmp_path / "a", "smoke", 0)
    b = mod.make(tmp_path / "b", "smoke", 0)
    assert [p.name for p, _ in a] == [f"{modname}.pdf"]
    assert all(isinstance(c, str) and c.strip() for _, c in a)
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [f"{modname}.pdf",
                                                                  f"{modname}.png"]
    for name in (f"{modname}.pdf", f"{modname}.png"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
