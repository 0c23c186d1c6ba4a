"""k on-indicator copies beyond layer 1: measured seizure, errors and capacity cost (issue 4, item 4).

Every number here is a Monte Carlo *measurement* on the dense ReLU network of
``verify/rotations_kcopies_deep.py`` (no closed form exists past layer 1).  Grid: fixed width
``D`` in {1200, 2400}, ``S = 6``, ``L = 4``; ``k`` in {1, 2, 4} (``d' = 4, 6, 10``, ``N' = D/d'``);
kets ``shared`` and ``block``; ``z`` in {1, 2, 3}; and three choices of ``T``:

* ``eq``: the same ``T`` for every ``k``, the capacity of ``k = 4`` (what all three can hold);
* ``eq2``: the same ``T`` for ``k = 1, 2``, the capacity of ``k = 2``;
* ``f=0.5`` and ``f=1``: each ``k`` at that fraction of its own capacity ``T_max(D/d', S)``
  (``f=1`` at ``k = 4`` is the ``eq`` point, at ``k = 2`` the ``eq2`` point; not rerun).

Per layer 1..4: seized fraction (inactive ``u`` with ``abar_hat_u > 1/4``), onset layer (first
layer with more than 1% seized, ``L+1 = 5`` if none), inactive ``abar`` mean square, active ``x``
error mean square, fraction of neurons on; SEs clustered by network draw.  Layer 1 is compared
with the exact layer-1 law, the registered ``rotations.kcopies_err_shared`` /
``rotations.kcopies_err_block`` (``derive/rotations_kcopies.py``), by the project's fixed rule
``|measured - exact| <= c se`` with ``c = verify.check.critical_value(networks)`` (the
Student-t value at the nominal rate of ``Z``, as ``check.judge``).

Usage::

    python bench/rotations_kcopies_deep.py                # full grid (~15 min on 2 cores)
    python bench/rotations_kcopies_deep.py --D 1200 --passes 400   # a quicker look

Writes ``bench/results_rotations_kcopies_deep.md``.
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from derive import rotations_kcopies as theory  # noqa: E402
from verify import rotations_kcopies as layer1  # noqa: E402
from verify.check import Z, critical_value  # noqa: E402
from verify.rotations_kcopies_deep import KETS, measure_point  # noqa: E402

S, L = 6, 4
KS, ZS = (1, 2, 4), (1, 2, 3)
REGIMES = ("eq", "eq2", "f=0.5", "f=1")


def n_circuits(regime: str, k: int, D: int) -> int:
    """T for a regime (module docstring)."""
    if regime == "eq":
        return theory.capacity_k(max(KS), D, S)
    if regime == "eq2":
        return theory.capacity_k(2, D, S)
    f = float(regime.split("=")[1])
    return max(4, int(f * theory.capacity_k(k, D, S)))


def points(Ds):
    """(D, regime, z, k, kets, T) without duplicates (a T already run for that k is not rerun:
    f=1 at k = 4 is the eq point, f=1 at k = 2 the eq2 point)."""
    out, seen = [], set()
    for D in Ds:
        for regime in REGIMES:
            for z in ZS:
                for k in KS:
                    T = n_circuits(regime, k, D)
                    if T > theory.capacity_k(k, D, S):
                        continue
                    if (D, z, k, T) in seen:
                        continue
                    seen.add((D, z, k, T))
                    for kets in KETS:
                        out.append((D, regime, z, k, kets, T))
    return out


def _fmt(e, digits=3) -> str:
    if e.value == 0 and e.se == 0:
        return "0"
    return f"{e.value:.{digits}g} ± {e.se:.1g}"


def run(Ds, passes: int, K: int, seed: int, progress=print) -> list[dict]:
    rows = []
    for D, regime, z, k, kets, T in points(Ds):
        pt = measure_point(k, kets, D, T, S, z, L, passes=passes, K=K, seed=seed)
        name = f"rotations.kcopies_err_{kets}"
        exact = layer1.quantity(name).evaluate({"k": k, "z": z, "D": D, "T": T, "S": S})
        e1 = pt.est[("seiz", 1)]
        dev = abs(e1.value - exact)
        zs = dev / e1.se if e1.se > 0 else (0.0 if dev < 1e-12 else math.inf)
        crit = critical_value(e1.n_networks)
        rows.append({"D": D, "crit": crit, "regime": regime, "z": z, "k": k, "kets": kets, "T": T,
                     "cap": theory.capacity_k(k, D, S), "pt": pt, "exact1": exact, "z1": zs})
        progress(f"D={D} {regime:5s} z={z} k={k} {kets:6s} T={T:5d}: seized "
                 + " ".join(f"{pt.est[('seiz', l)].value:.4f}" for l in range(1, L + 1))
                 + f" onset {pt.onset}  l1 exact {exact:.4f} ({zs:.1f} se)  {pt.seconds:.1f} s")
    return rows


def table(rows, key: str, title: str) -> list[str]:
    out = [f"### {title}", "",
           "| D | T regime | z | k | kets | T | T/T_max | " + " | ".join(f"l={l}" for l in range(1, L + 1))
           + (" | onset |" if key == "seiz" else " |"),
           "|" + "---|" * (7 + L + (key == "seiz"))]
    for r in rows:
        pt = r["pt"]
        cells = [_fmt(pt.est[(key, l)]) for l in range(1, L + 1)]
        out.append(f"| {r['D']} | {r['regime']} | {r['z']} | {r['k']} | {r['kets']} | {r['T']} | "
                   f"{r['T'] / r['cap']:.2f} | " + " | ".join(cells)
                   + (f" | {pt.onset} |" if key == "seiz" else " |"))
    return out + [""]


def layer1_table(rows) -> list[str]:
    out = ["### Layer 1: measured seized fraction vs the exact law", "",
           "`exact` = `rotations.kcopies_err_shared` / `rotations.kcopies_err_block` "
           "(derive/rotations_kcopies.py) at the same (k, z, D, T, S); rule |m - exact| <= "
           f"c se, c = verify.check.critical_value(networks) (Student t at the nominal rate of "
           f"Z = {Z}; c = {rows[0]['crit']:.2f} here).", "",
           "| D | T regime | z | k | kets | T | measured | exact | |m - exact|/se | verdict |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        e = r["pt"].est[("seiz", 1)]
        ok = "pass" if r["z1"] <= r["crit"] else "FAIL"
        out.append(f"| {r['D']} | {r['regime']} | {r['z']} | {r['k']} | {r['kets']} | {r['T']} | "
                   f"{_fmt(e, 4)} | {r['exact1']:.4g} | {r['z1']:.2f} | {ok} |")
    n_pass = sum(r["z1"] <= r["crit"] for r in rows)
    return out + ["", f"{n_pass}/{len(rows)} within c se.", ""]


def capacity_table(Ds) -> list[str]:
    out = ["### Capacity cost (prime-step allocation, S = 6; `rotations.kcopies_capacity`)", "",
           "| D | " + " | ".join(f"k={k} (d'={2 * k + 2})" for k in KS) + " |",
           "|---|" + "---|" * len(KS)]
    for D in Ds:
        out.append(f"| {D} | " + " | ".join(str(theory.capacity_k(k, D, S)) for k in KS) + " |")
    return out + [""]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--D", type=int, nargs="+", default=[1200, 2400])
    ap.add_argument("--passes", type=int, default=1000)
    ap.add_argument("--K", type=int, default=50, help="passes per network draw")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results_rotations_kcopies_deep.md"))
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    rows = run(a.D, a.passes, a.K, a.seed)
    cmd = ("python bench/rotations_kcopies_deep.py --D " + " ".join(map(str, a.D))
           + f" --passes {a.passes} --K {a.K} --seed {a.seed}")
    lines = ["# k on-indicator copies beyond layer 1: measured (bench/rotations_kcopies_deep.py)", "",
             f"Command: `{cmd}` ({time.perf_counter() - t0:.0f} s). S = {S}, L = {L}; "
             f"{a.passes} passes per point, network redrawn every {a.K}; ± = clustered SE.", "",
             "READING", ""]
    lines += capacity_table(a.D) + layer1_table(rows)
    for key, title in (("seiz", "Seized fraction (inactive abar_hat > 1/4) and onset layer"),
                       ("ai", "Inactive abar mean square"),
                       ("xa", "Active x error mean square"),
                       ("fon", "Fraction of neurons on")):
        lines += table(rows, key, title)
    Path(a.out).write_text("\n".join(lines) + "\n")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
