"""Seizure onset of the RiS rotation network: predicted layer against simulation over (tau, z, S, D).

Onset (issue definition): the first layer at which more than 1% of inactive circuits read an
on-indicator ``alpha_hat_u > 1/4``; ``L + 1`` when no layer up to ``L`` does.  The grid is
``tau = T (d/D)^2`` in {0.001, 0.002, 0.004, 0.006, 0.008} (points above the allocation's
capacity at that S are left out), z in {1, 2, 3}, S in {4, 6, 8}, D in {1000, 2000, 4000},
d = 4, L = 6.  Each point is measured on the real factored ReLU network
(``verify/rotations_fields.run_point``: networks redrawn every K passes, 300 sampled inactive
circuits read per network, clustered SEs).

Predictors (every one that the registry holds is judged, all by the same rule):

* ``mf``: ``rotations.onset_layer_predicted`` (derive/rotations_meanfield.py);
* ``relu``: ``rotations.onset_layer_relu`` (derive/rotations_relu.py), when present.

Criterion, fixed before the run: a prediction is *exact* when it equals the measured layer and
*within one* when it differs by at most one layer.  A measured onset is *borderline* when some
layer's seized fraction is within ``c * se`` of the 1% threshold (``c`` =
``verify.check.critical_value`` at the point's number of networks): there the measured layer
itself is uncertain by one, and the table says so instead of counting it either way.

Usage::

    python bench/rotations_onset.py                 # the grid (about 10 min on one core)
    python bench/rotations_onset.py --quick         # D = 1000 only

Writes ``bench/results_rotations_onset.{json,md}``.  The points run as tasks (``--jobs``,
``--cluster``; :mod:`superpose.verify.sweep`), each cached when it finishes, so an interrupted
run, rerun, reuses what it finished.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from superpose.derive import cis2
from superpose.derive.quantity import BadInput, get_quantity
from superpose.verify import sweep
from superpose.verify.check import critical_value
from superpose.verify.rotations.fields import n_circuits, run_point

ROOT = Path(__file__).resolve().parent.parent

d, L = 4, 6
TAUS = (0.001, 0.002, 0.004, 0.006, 0.008)
ZS = (1, 2, 3)
SS = (4, 6, 8)
PREDICTORS = {"mf": "rotations.onset_layer_predicted", "relu": "rotations.onset_layer_relu"}
THRESH = 0.01


def grid(Ds) -> list[tuple[int, float, int, int, int]]:
    """(D, tau, S, z, passes) for every grid point the allocation can hold (3 spare circuits)."""
    pts = []
    for D in Ds:
        passes = 2000 if D <= 2000 else 1000
        for S in SS:
            cap = cis2.capacity(D, d, S)
            for tau in TAUS:
                T = n_circuits(D, tau)
                if T > cap:
                    continue
                pts += [(D, tau, S, z, passes) for z in ZS if z <= T - 3]
    return pts


def predict(r: dict) -> dict:
    """Every registered onset predictor at the measured point's (D, T, S, z), horizon L."""
    out = {}
    for key, qname in PREDICTORS.items():
        try:
            q = get_quantity(qname)
        except BadInput:                      # predictor not registered (yet)
            continue
        else:
            out[key] = int(round(float(q.evaluate({"l": r["L"], "z": r["z"], "D": r["D"],
                                                   "T": r["T"], "S": r["S"]}))))
    return out


def borderline(r: dict) -> bool:
    """Some layer's seized fraction is within c * se of the 1% threshold."""
    c = critical_value(r["networks"])
    return any(abs(v - THRESH) <= c * s for v, s in zip(r["seized"], r["seized_se"]))


SUMMARY = ("predictor", "points", "exact", "within one", "exact (clear-cut points)",
           "within one (clear-cut)", "early / late (clear-cut)")


def summary(results: list[dict]) -> list[list]:
    keys = [k for k in PREDICTORS if any(k in r["pred"] for r in results)]
    out = []
    for k in keys:
        rs = [r for r in results if k in r["pred"]]
        clear = [r for r in rs if not r["borderline"]]
        ex = sum(r["pred"][k] == r["onset"] for r in rs)
        w1 = sum(abs(r["pred"][k] - r["onset"]) <= 1 for r in rs)
        exc = sum(r["pred"][k] == r["onset"] for r in clear)
        w1c = sum(abs(r["pred"][k] - r["onset"]) <= 1 for r in clear)
        early = sum(r["pred"][k] < r["onset"] for r in clear)
        late = sum(r["pred"][k] > r["onset"] for r in clear)
        out.append([f"{k} ({PREDICTORS[k]})", len(rs), ex, w1, f"{exc}/{len(clear)}",
                    f"{w1c}/{len(clear)}", f"{early} / {late}"])
    return out


def table(results: list[dict]) -> tuple[list[str], list[list]]:
    keys = [k for k in PREDICTORS if any(k in r["pred"] for r in results)]
    cols = ["D", "T", "tau", "S", "z", "seized fraction, layers 1..L", "onset", *keys,
            "borderline", "passes"]
    rows = []
    for r in sorted(results, key=lambda r: (r["S"], r["z"], r["tau"], r["D"])):
        rows.append([r["D"], r["T"], r["tau"], r["S"], r["z"],
                     " ".join(f"{v:.2g}" for v in r["seized"]), r["onset"],
                     *(r["pred"].get(k, "-") for k in keys),
                     "yes" if r["borderline"] else "", r["passes"]])
    return cols, rows


def write(results: list[dict], out: Path) -> None:
    for r in results:
        r["pred"] = predict(r)
        r["borderline"] = borderline(r)
    cols, rows = table(results)
    notes = ("Onset = first layer with more than 1% of inactive circuits at alpha_hat > 1/4 "
             f"(L + 1 = {L + 1}: none up to L = {L}). Exact / within one layer; *clear-cut* "
             "points are those where no layer's seized fraction is within c*se of 1% (c = "
             "critical value at the point's number of networks).\n\n"
             + sweep.markdown_table(SUMMARY, summary(results)))
    sweep.write(out, "Seizure onset: predicted against measured (bench/rotations_onset.py)",
                cols, rows, results=results, notes=notes, seed=0)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="D = 1000 only")
    ap.add_argument("--rejudge", action="store_true",
                    help="re-evaluate the predictors on the stored measurements (no simulation)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results_rotations_onset"))
    sweep.add_arguments(ap)
    a = ap.parse_args(argv)
    out = Path(a.out)
    if a.rejudge:
        results = json.loads(out.with_suffix(".json").read_text())["results"]
    else:
        pts = grid((1000,) if a.quick else (1000, 2000, 4000))
        results = sweep.run(run_point, [dict(D=D, tau=tau, S=S, z=z, passes=passes, L=L,
                                             K=max(1, passes // 10), seed=0)
                                        for D, tau, S, z, passes in pts], a,
                            labels=[f"D={D} tau={t} S={S} z={z}" for D, t, S, z, _ in pts])
    write(results, out)
    print(sweep.markdown_table(SUMMARY, summary(results)), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
