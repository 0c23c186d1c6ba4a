"""The best linear readoff of a frozen random layer against the sign-indicator readoff.

Per (weights, m, l, N): the exact optimal readoff of AND, XOR and x_i per network draw
(least squares over all C(m, l) inputs, with a bias; superpose.verify.uand_random.optimal),
its RMS constant sqrt(N E_W MSE*) over the draws (SE: delta method, one cluster per draw),
the deterministic-equivalent prediction (superpose.derive.uand_random.optimal), the
large-m limit constant C_* (m^2 << N << m^3), and the sign-indicator readoff's RMS constant
averaged over the same input distribution, from the registry (uand-random.rms_error_constant
and its XOR / feature / +-1 siblings, weighted by the case probabilities).

    python bench/uand_random_readoff.py [--quick] [--jobs N | --cluster ADDRESS]

Writes bench/results_uand_random_readoff.md (--quick: a smaller grid, printed only).  The
points run as tasks (:mod:`superpose.verify.sweep`), each cached when it finishes.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from superpose.derive.uand_random import optimal as theory
from superpose.verify import sweep
from superpose.verify.uand_random import optimal as opt

#: (m, l) and the N grid; N stays below D = C(m, l) - 1 (at N + 1 >= D the optimum is 0).
GRID = [(24, 2), (16, 3), (30, 3), (12, 4), (16, 4), (12, 5)]
NS = (16, 32, 64, 128, 256, 512, 1024)
QUICK_GRID = [(16, 3), (12, 4)]
QUICK_NS = (16, 64, 256)
#: network draws per point: enough for a ~1% SE on C* (MSE* concentrates over draws)
DRAWS = 12
TARGETS = ("and", "xor", "feature")


def point(weights: str, m: int, l: int, N: int, draws: int, seed: int) -> dict:
    res = opt.simulate(N, m, l, weights, draws, seed)
    row = {"weights": weights, "m": m, "l": l, "N": N, "D": math.comb(m, l), "draws": draws}
    for t in TARGETS:
        row[t] = {
            "opt": opt.rms_estimate(res[t]["mse"], N),
            "nobias": opt.rms_estimate(res[t]["mse_nobias"], N),
            "sign_mc": opt.rms_estimate(res[t]["mse_sign"], N),
            "de": theory.de_rms_constant(N, m, l, weights, t),
            "limit": theory.limit_constant(l, weights, t) if l >= 3 else 0.0,
            "analytic": opt.analytic_constant(l, m, weights, t),
        }
    return row


def fmt_est(e) -> str:
    if e.value < 1e-6:
        return "0"
    return f"{e.value:.3f} ({e.se:.3f})"


COLUMNS = ("weights", "m", "l", "D", "N", "draws", "C_opt (SE)", "C_opt no bias",
           "deterministic equiv.", "C_opt / DE", "limit C_*", "C_sign (registry)",
           "C_sign measured (SE)", "C_sign / C_opt")
HEADINGS = {"and": "AND", "xor": "XOR", "feature": "feature x_i"}
NOTES = ("C = sqrt(N x mean-square error) over the exact input distribution (l of m on, "
         "uniform), {draws} network draws per point. C_opt: the least-squares optimal readoff "
         "per draw (with a bias; 'no bias' without), mean MSE over draws. Deterministic equiv.: "
         "the Gaussian-equivalence prediction on the exact Johnson-scheme spectrum. Limit C_*: "
         "m -> oo with m^2 << N << m^3. C_sign (registry): the sign-indicator readoff, "
         "sqrt(sum_on P(on) C(l, on)^2) from uand-random.rms_error_constant and siblings ('—': "
         "not registered, +-1 feature); C_sign measured: the same readoff's exact per-draw MSE, "
         "mean over the same draws.")


def table(rows: list[dict], t: str) -> list[list]:
    out = []
    for r in rows:
        d = r[t]
        ratio = d["opt"].value / d["de"] if d["de"] > 0 else math.nan
        an = d["analytic"]
        gain = an / d["opt"].value if an and d["opt"].value > 1e-6 else math.nan
        out.append([r["weights"], r["m"], r["l"], r["D"], r["N"], r["draws"], fmt_est(d["opt"]),
                    fmt_est(d["nobias"]), f"{d['de']:.3f}",
                    "" if math.isnan(ratio) else f"{ratio:.3f}", f"{d['limit']:.3f}",
                    "—" if an is None else f"{an:.3f}", fmt_est(d["sign_mc"]),
                    "" if math.isnan(gain) else f"{gain:.1f}"])
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a small grid, printed only")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(Path(__file__).with_name("results_uand_random_readoff")))
    sweep.add_arguments(ap)
    args = ap.parse_args(argv)
    grid, ns = (QUICK_GRID, QUICK_NS) if args.quick else (GRID, NS)
    pts = [dict(weights=w, m=m, l=l, N=N, draws=DRAWS, seed=args.seed)
           for w in ("gaussian", "rademacher") for m, l in grid for N in ns
           if N + 1 < math.comb(m, l)]
    rows = sweep.run(point, pts, args,
                     labels=[f"{p['weights']} m={p['m']} l={p['l']} N={p['N']}" for p in pts])
    tables = [(HEADINGS[t], COLUMNS, table(rows, t)) for t in TARGETS]
    for heading, cols, rs in tables:
        print(f"\n## {heading}\n\n" + sweep.markdown_table(cols, rs), end="")
    if not args.quick:
        sweep.write(args.out, "Optimal linear readoff of a frozen random layer (uand-random)",
                    None, notes=NOTES.format(draws=DRAWS), seed=args.seed, tables=tables)
    return 0


if __name__ == "__main__":
    sys.exit(main())
