"""ballbox bench: P(no wrong gate) at the window centres over k and m, and where float64 stops.

    python bench/ballbox_sampler.py [--draws N] [--seed S]

Prints a Markdown table (measured by the exact sampler of ``verify/ballbox.py`` against the
limits of ``derive/ballbox.py``, with the expected number of wrong gates beside it) and the
float64 study of the largest of n normals: naive ``1 - U^(1/n)``, ``expm1`` and log space.
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np
from scipy.special import ndtri, ndtri_exp

from superpose.derive import ballbox as Bd
from superpose.derive.quantity import get_quantity
from superpose.verify import ballbox as V
from superpose.verify.rng import stream

CASES = [(64, 2.0), (64, 4.0), (256, 4.0), (256, 8.0), (1024, 4.0), (1024, 16.0), (1024, 64.0)]


def table(draws: int, seed: int) -> None:
    print("| k | m | centre | d | P(no error) measured | limit | rel. gap | E #wrong gates | first-order d / d |")
    print("|---|---|---|---|---|---|---|---|---|")
    for k, me in CASES:
        for which in ("midpoint", "halfslack"):
            wp = dict(k=k, m_exp=me, x=0.0)
            d0 = get_quantity(f"ballbox.window_width_{which}").evaluate(wp)
            d = round(d0)
            x = (d - d0) / (get_quantity(f"ballbox.window_width_{which}").evaluate(
                {**wp, "x": 1.0}) - d0)
            th = 1.5 if which == "midpoint" else Bd.bias_halfslack(k, me, d)
            t0 = time.time()
            rows = V.sample_no_error(d, k, Bd.log_n(k, me), (th,), draws,
                                     stream(seed, "ballbox-bench", which, k, me))
            p = rows[:, 0].mean()
            se = rows[:, 0].std() / math.sqrt(len(rows))
            lim = get_quantity(f"ballbox.window_limit_{which}").evaluate({**wp, "x": x})
            ee = get_quantity(f"ballbox.expected_errors_{which}").evaluate({**wp, "x": x})
            fo = get_quantity("ballbox.width_box_" + ("midpoint" if which == "midpoint"
                                                       else "optimized")).evaluate(
                dict(k=k, m_exp=me))
            print(f"| {k} | k^{me:g} | {which} | {d} | {p:.4f} ± {se:.4f} | {lim:.4f} | "
                  f"{(p - lim) / lim:+.1%} | {ee:.3g} | {fo / d:.3f} |  <!-- {time.time() - t0:.1f} s -->")


def float64_study() -> None:
    print("\nThe largest of n normals at U = 1/2 (its median), three ways:\n")
    print("| n | naive 1-U^(1/n) | expm1 | log space (ndtri_exp) |")
    print("|---|---|---|---|")
    u = 0.5
    for logn in (math.log(1e6), math.log(1e15), math.log(1e17), 16 * math.log(1024),
                 64 * math.log(1024), math.log(1e307), 710.0, 2000.0):
        n = math.exp(logn) if logn < 709 else math.inf
        naive = -float(ndtri(1 - u ** (1 / n))) if math.isfinite(n) else float("nan")
        q = -math.expm1(math.log(u) / n) if math.isfinite(n) else 0.0
        em = -float(ndtri(q)) if q > 0 else float("inf")
        # T = -ln U / n, W = Phibar^{-1}(1 - e^{-T}) from ln T (what the sampler does)
        lg = float(ndtri_exp(V._log_sf_from_log_t(np.array([math.log(-math.log(u)) - logn]))[0]))
        print(f"| e^{logn:.1f} | {naive:.6g} | {em:.6g} | {-lg:.6g} |")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    table(a.draws, a.seed)
    float64_study()
