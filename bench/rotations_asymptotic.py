"""Rotations (RiS) at fixed T (d/D)^2 and growing D: does the error stay constant in D?

The sweep of the issue "Rotations in Superposition" (asymptotic question): at fixed
``tau = T (d/D)^2`` (d = 4), run D = 1000 ... 10^5, z = 1, 2, S = 6 (and S = 8, whose
allocation caps tau near 0.0037, so only tau = 0.002 there), and record per layer 1..4 the
mean-square and worst-case error of x (active and sampled inactive circuits), the seized
fraction (inactive alpha_hat > 1/4), the onset layer, and the indicator-field diagnostics of
``verify/rotations_fields.py``.  Beside each measurement the table shows the mean-field
prediction of ``derive/rotations_meanfield.py`` (``rotations.offfield_var``,
``rotations.x_mse_active_mf``, ``rotations.onset_layer_predicted``).

Usage::

    python bench/rotations_asymptotic.py --quick          # D <= 2000, ~1 min
    python bench/rotations_asymptotic.py --full [--big]   # the grid; --big adds D = 10^5
    python bench/rotations_asymptotic.py --points D,tau,S,z,passes ...   # ad hoc

Writes ``bench/results_rotations_asymptotic.{json,md}`` (``--out`` to change the stem).
The points run as tasks (``--jobs``, ``--cluster``; :mod:`superpose.verify.sweep`), each
cached when it finishes, so an interrupted run, rerun, reuses what it finished.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from superpose.verify import sweep
from superpose.verify.rotations.fields import run_point

ROOT = Path(__file__).resolve().parent.parent

TAUS = (0.002, 0.004, 0.008)


def grid(kind: str, big: bool) -> list[tuple]:
    """(D, tau, S, z, passes) points, most expensive first."""
    if kind == "quick":
        return [(D, 0.004, 6, 1, 500) for D in (1000, 2000)] + [(2000, 0.008, 6, 2, 300)]
    pts = []
    for D, passes in ((10_000, 1000), (4000, 3000), (2000, 5000), (1000, 10_000)):
        for z in (1, 2):
            pts += [(D, tau, 6, z, passes) for tau in TAUS] + [(D, 0.002, 8, z, passes)]
    if big:
        pts = [(100_000, 0.004, 6, 1, 100), (30_000, 0.004, 6, 1, 400)] + pts
    return pts


def point(D: int, tau: float, S: int, z: int, passes: int) -> dict:
    """The keyword arguments of ``run_point`` at one point (a fresh network every K passes)."""
    K = max(1, passes // (2 if D >= 30_000 else 10))
    return dict(D=D, tau=tau, S=S, z=z, passes=passes, K=K, seed=0)


def predictions(r: dict) -> dict:
    """Mean-field predictions at a measured point (derive/rotations_meanfield.py)."""
    try:
        from superpose.derive.rotations import meanfield as mf
    except ImportError:
        return {}
    p = mf.predict(r["D"], r["T"], r["S"], r["z"], r["L"])
    return {"var_c_off_mf": list(p.var_c_off), "Q_off_mf": list(p.Q_off),
            "xa_ms_mf": list(p.x_active), "seized_mf": list(p.seized), "onset_mf": p.onset}


COLUMNS = ("D", "T", "tau", "S", "z", "l", "x act MS (+-SE)", "MF", "max|dx| act",
           "x inact MS", "seized", "MF", "frac on", "Var c_off", "MF", "Q_off",
           "onset (MF)", "passes", "s")


def rows(results: list[dict]) -> list[list]:
    """One row per point and layer."""
    out = []
    for r in sorted(results, key=lambda r: (r["S"], r["tau"], r["z"], r["D"])):
        pr = r.get("pred", {})
        for l in range(1, r["L"] + 1):
            i = l - 1

            def g(k, fmt=".3g"):
                return format(pr[k][i], fmt) if k in pr else "-"
            out.append([r["D"], r["T"], r["tau"], r["S"], r["z"], l,
                        f"{r['xa_ms'][i]:.3g} +- {r['xa_ms_se'][i]:.1g}", g("xa_ms_mf"),
                        f"{r['xa_max'][i]:.3g}", f"{r['xi_ms'][i]:.3g}",
                        f"{r['seized'][i]:.3g}", g("seized_mf"), f"{r['frac_on'][i]:.3g}",
                        f"{r['var_c_off'][i]:.3g}", g("var_c_off_mf"), f"{r['Q_off'][i]:.3g}",
                        f"{r['onset']} ({pr.get('onset_mf', '-')})", r["passes"],
                        f"{r['seconds']:.0f}"])
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true")
    g.add_argument("--full", action="store_true")
    g.add_argument("--points", nargs="+", help="D,tau,S,z,passes")
    ap.add_argument("--big", action="store_true", help="add D = 3 10^4 and 10^5 (tau=0.004, z=1)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results_rotations_asymptotic"))
    sweep.add_arguments(ap)
    a = ap.parse_args(argv)
    if a.points:
        pts = [tuple(t(v) for t, v in zip((int, float, int, int, int), p.split(","))) for p in a.points]
    else:
        pts = grid("full" if a.full else "quick", a.big)
    results = sweep.run(run_point, [point(*p) for p in pts], a,
                        labels=[f"D={D} tau={t} S={S} z={z} passes={n}" for D, t, S, z, n in pts])
    for r in results:
        r["pred"] = predictions(r)
    sweep.write(a.out, "Rotations at fixed T(d/D)^2, growing D", COLUMNS, rows(results),
                results=results, seed=0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
