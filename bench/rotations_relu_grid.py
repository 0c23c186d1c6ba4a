"""Agreement check of the ReLU-activation error model over the RiS paper grid.

Grid: ``reports/figures/rotations_grid.SWEEP`` (41 (D, T) pairs), S = 6, z = 1..4, L = 4.
Per point the real ReLU network (``verify.rotations.build`` / ``simulate``, engine ``relu`` mode,
every inactive circuit read) runs ``--passes`` forward passes, the network redrawn every ``--K``
passes; per-pass means are averaged with SEs clustered by network
(``verify.stats.clustered_mean``).  Measured: MS of active x, inactive x, inactive alpha,
active alpha, and the seized fraction :math:`\\Pr(\\hat\\alpha_u>1/4)`; the measured onset is
the first layer with seized fraction > 1% (L + 1 if none).

**Criterion (fixed before the run; the issue's target).**  Every (point, quantity, layer) with
``layer <= measured onset`` is judged: pass iff ``|pred - meas| <= max(c * se, 0.10 * |meas|)``
with ``c = verify.check.critical_value(n_networks)``.  The onset prediction is judged as an
exact match and within one layer.  The same table is produced for the (H) recursion
(``derive.rotations.ideal_recursion``), the old mean-field closure
(``derive.rotations_meanfield``) and, to show that the check can fail, our model scaled by 1.15.

Usage::

    python bench/rotations_relu_grid.py                  # full grid, 500 passes (a few minutes)
    python bench/rotations_relu_grid.py --every 4 --passes 200   # a quick subset

    python bench/rotations_relu_grid.py --json recs.json          # also store the records
    python bench/rotations_relu_grid.py --measured recs.json      # re-judge stored measurements

Writes ``bench/results_rotations_relu_grid.md`` (``--out`` to change; ``--json`` for records).
The measurements and the predictions run as tasks (``--jobs``, ``--cluster``;
:mod:`superpose.verify.sweep`), each cached when it finishes, so an interrupted run, rerun,
reuses what it finished.
``--measured`` reuses the measurements of a stored ``--json`` run (same grid and seed; the
simulation is deterministic given the seed) and recomputes only the predictions -- for
comparing model versions on identical measurements; the criterion is the same.
"""
from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

from superpose.derive import rotations as drot
from superpose.derive.rotations import meanfield as mf
from superpose.derive.rotations import relu as rr
from superpose.reports.figures.rotations_grid import SWEEP
from superpose.verify import rotations as vrot
from superpose.verify import sweep, tasks
from superpose.verify.check import critical_value
from superpose.verify.rng import stream
from superpose.verify.stats import clustered_mean

ROOT = Path(__file__).resolve().parents[1]

S, L, TOL, MUTANT = 6, 4, 0.10, 1.15
QTY = ("xa", "xi", "ai", "aa", "sz")
NAMES = {"xa": "x_mse_active", "xi": "x_mse_inactive", "ai": "alpha_mse_inactive",
         "aa": "alpha_mse_active", "sz": "seized_fraction"}


def measure_point(D: int, T: int, z: int, passes: int, K: int, seed: int) -> dict:
    """Clustered means (value, se, networks) per quantity and layer, the measured onset and
    the seconds it took."""
    t0 = time.perf_counter()
    nets = max(2, math.ceil(passes / K))
    rows = {(q, l): [] for q in QTY for l in range(1, L + 1)}
    groups: list[int] = []
    for g in range(nets):
        rng = stream(seed, "rotations-relu-grid", D, T, z, K, g)
        net = vrot.build(D, T, S, L, rng)
        o = vrot.simulate(net, z, K, rng, modes=("relu",))["relu"]
        groups += [g] * K
        for l in range(1, L + 1):
            v = o["valid"][l]
            nv = np.maximum(v.sum(1), 1)
            rows[("xa", l)] += (o["dxa"][l] ** 2).mean(1).tolist()
            rows[("aa", l)] += (o["daa"][l] ** 2).mean(1).tolist()
            rows[("xi", l)] += ((o["xi"][l] ** 2 * v).sum(1) / nv).tolist()
            rows[("ai", l)] += ((o["ai"][l] ** 2 * v).sum(1) / nv).tolist()
            rows[("sz", l)] += (((o["ai"][l] > vrot.THRESH) & v).sum(1) / nv).tolist()
    est = {f"{q}{l}": clustered_mean(r, groups) for (q, l), r in rows.items()}
    out = {k: [e.value, e.se, e.n_networks] for k, e in est.items()}
    seized = [est[f"sz{l}"].value for l in range(1, L + 1)]
    out["onset"] = next((l for l in range(1, L + 1) if seized[l - 1] > vrot.ONSET_FRAC), L + 1)
    out["seconds"] = time.perf_counter() - t0
    return out


def predictions(D: int, T: int, z: int) -> dict:
    """Per model: quantity -> per-layer predictions (None where the model has none)."""
    t0 = time.perf_counter()
    p = rr.predict(D, T, S, z, L)
    dt = time.perf_counter() - t0
    h = drot.ideal_recursion(D, T, S, z, L)
    m = mf.predict(D, T, S, z, L)
    ours = {"xa": p.x_active, "xi": p.x_inactive, "ai": p.alpha_inactive,
            "aa": p.alpha_active, "sz": p.seized}
    return {"relu": ours, "relu_onset": p.onset, "relu_seconds": dt,
            "H": {"xa": h.x_active, "xi": h.x_inactive, "ai": h.alpha_inactive,
                  "aa": h.alpha_active, "sz": None},
            "mf": {"xa": m.x_active, "xi": None, "ai": m.alpha_ms, "aa": None, "sz": m.seized},
            "mf_onset": m.onset}


def verdict(pred: float, val: float, se: float, nn: int, scale: float = 1.0) -> bool:
    """The criterion fixed in advance (module docstring)."""
    if pred is None or not math.isfinite(pred):
        return False
    return abs(scale * pred - val) <= max(critical_value(nn) * se, TOL * abs(val))


def table(recs: list[dict], model: str, scale: float = 1.0) -> tuple[list[str], list]:
    """Markdown rows: per quantity and layer, passes / judged; and the failures."""
    lines = ["| quantity | " + " | ".join(f"l={l}" for l in range(1, L + 1)) + " | all |",
             "|---|" + "---|" * (L + 1)]
    fails = []
    for q in QTY:
        cells, tp, tn = [], 0, 0
        for l in range(1, L + 1):
            p_, n_ = 0, 0
            for r in recs:
                if l > r["meas"]["onset"]:
                    continue
                pr = r["pred"][model][q]
                if pr is None:
                    continue
                val, se, nn = r["meas"][f"{q}{l}"]
                n_ += 1
                ok = verdict(pr[l - 1], val, se, nn, scale)
                p_ += ok
                if not ok:
                    rel = (scale * pr[l - 1] - val) / abs(val) if val else math.inf
                    fails.append((q, l, r["D"], r["T"], r["z"], scale * pr[l - 1], val, se,
                                  critical_value(nn), rel))
            tp, tn = tp + p_, tn + n_
            cells.append(f"{p_}/{n_}" if n_ else "n/a")
        lines.append(f"| {NAMES[q]} | " + " | ".join(cells) + f" | {tp}/{tn} |" if tn else
                     f"| {NAMES[q]} | " + " | ".join(cells) + " | n/a |")
    return lines, fails


def onset_rows(recs: list[dict]) -> list[str]:
    out = ["| model | exact | within one layer |", "|---|---|---|"]
    for key, name in (("relu_onset", "ReLU model (ours)"), ("mf_onset", "old mean-field")):
        ex = sum(r["pred"][key] == r["meas"]["onset"] for r in recs)
        w1 = sum(abs(r["pred"][key] - r["meas"]["onset"]) <= 1 for r in recs)
        out.append(f"| {name} | {ex}/{len(recs)} | {w1}/{len(recs)} |")
    return out


def fail_rows(fails: list, n: int = 15) -> list[str]:
    out = ["| quantity | l | D | T | z | predicted | measured | se | c | rel. dev. |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    key = lambda f: -abs(f[9]) if math.isfinite(f[9]) else -1e9  # noqa: E731
    for f in sorted(fails, key=key)[:n]:
        out.append(f"| {NAMES[f[0]]} | {f[1]} | {f[2]} | {f[3]} | {f[4]} | {f[5]:.4g} | "
                   f"{f[6]:.4g} | {f[7]:.2g} | {f[8]:.2f} | {f[9]:+.0%} |")
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--passes", type=int, default=500)
    ap.add_argument("--K", type=int, default=10, help="passes per network draw")
    ap.add_argument("--every", type=int, default=1, help="every k-th (D, T) pair")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results_rotations_relu_grid.md"))
    ap.add_argument("--json", default="")
    ap.add_argument("--measured", default="", help="re-judge the measurements of a stored --json")
    sweep.add_arguments(ap)
    a = ap.parse_args(argv)
    pairs = SWEEP[::a.every]
    pts = [(D, T, z) for D, T in pairs for z in (1, 2, 3, 4)]
    labels = [f"D={D} T={T} z={z}" for D, T, z in pts]
    t0 = time.perf_counter()
    if a.measured:
        stored = {(r["D"], r["T"], r["z"]): r for r in json.loads(Path(a.measured).read_text())}
        if any(p not in stored for p in pts):
            raise SystemExit(f"{a.measured} lacks some grid points (same --every as the stored run?)")
        meas = [stored[p]["meas"] for p in pts]
        meas_s = [stored[p]["meas_seconds"] for p in pts]
    else:
        meas = sweep.run(measure_point, [dict(D=D, T=T, z=z, passes=a.passes, K=a.K, seed=a.seed)
                                         for D, T, z in pts], a, labels=labels)
        meas_s = [m["seconds"] for m in meas]
    preds = sweep.run(predictions, [dict(D=D, T=T, z=z) for D, T, z in pts], a,
                      labels=[f"prediction {x}" for x in labels])
    recs = [{"D": D, "T": T, "z": z, "meas": m, "pred": p, "meas_seconds": ms}
            for (D, T, z), m, p, ms in zip(pts, meas, preds, meas_s)]
    wall = time.perf_counter() - t0
    jobs = f"the Dask cluster at {a.cluster}" if a.cluster else \
        f"{a.jobs or tasks.default_jobs(len(pts))} processes"
    if a.json:
        Path(a.json).write_text(json.dumps(recs))
    ps = [r["pred"]["relu_seconds"] for r in recs]
    md = ["# ReLU-activation error model vs the real RiS network (paper grid)", "",
          f"Command: `python bench/rotations_relu_grid.py --passes {a.passes} --K {a.K} "
          f"--every {a.every} --seed {a.seed}"
          + (f" --measured {Path(a.measured).name}" if a.measured else "") + "`  ",
          f"{len(pairs)} (D, T) pairs x z = 1..4, S = {S}, L = {L}, {a.passes} passes per point "
          f"(network redrawn every {a.K}); wall {wall:.0f} s on {jobs} "
          f"(simulation {sum(meas_s):.0f} s, `predict` "
          f"{sum(ps):.0f} s: median {np.median(ps):.2f} s, max {max(ps):.1f} s per point).", "",
          "**Criterion (fixed in advance; the issue's target):** every (point, quantity, layer) "
          "with layer <= measured seizure onset is judged; pass iff "
          "`|pred - meas| <= max(c * se, 0.10 * |meas|)`, c = Student-t critical value at the "
          "number of networks (`verify.check.critical_value`).  Onset = first layer with > 1% "
          "of inactive circuits at alpha_hat > 1/4 (L + 1 = none within L).", ""]
    for model, title, scale in (("relu", "Our ReLU model (derive/rotations_relu.py)", 1.0),
                                ("H", "(H) recursion (derive.rotations.ideal_recursion)", 1.0),
                                ("mf", "Old mean-field closure (derive/rotations_meanfield.py)", 1.0),
                                ("relu", f"Mutant: our model x {MUTANT} (must fail)", MUTANT)):
        lines, fails = table(recs, model, scale)
        md += [f"## {title}", ""] + lines + [""]
        if model == "relu" and scale == 1.0:
            md += ["Worst failures (largest relative deviation first):", ""] + fail_rows(fails) + [""]
            zero = sum(1 for f in fails if f[6] == 0.0)
            md += [f"Failures: {len(fails)}, of which {zero} with measured value exactly 0 "
                   "(se = 0: no event in any pass; they count as failures in the table and the "
                   f"headline; without them: {len(fails) - zero}).", ""]
    md += ["## Onset layer", ""] + onset_rows(recs) + [""]
    Path(a.out).write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
