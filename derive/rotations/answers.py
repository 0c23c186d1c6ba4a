r"""The open questions the rotations checks answer, for the report's Findings.

Every number in an answer is read from the check records the report passes in (check name ->
record of ``checks.json``); an answer is ``None`` where the checks it needs did not run at this
scale.  Helpers: :mod:`superpose.derive.cis2.answers`.
"""
from __future__ import annotations

import math

from superpose.derive.cis2.answers import Checks, at, deviation, num, passes, pct_range, records
from superpose.derive.quantity import Answer


def _layers(rs) -> str:
    ls = sorted({r["params"]["l"] for r in rs if "l" in r.get("params", {})})
    if not ls:
        return ""
    return f"layer ${ls[0]}$" if len(ls) == 1 else \
        "layers $" + ", ".join(str(x) for x in ls[:-1]) + f"$ and ${ls[-1]}$"


def _eq655(checks: Checks) -> str | None:
    rs = records(checks, "rotations.x_mse_active_published")
    if not rs:
        return None
    out = [r for r in rs if r.get("verdict") == "info"]
    ours = records(checks, "rotations.x_mse_active_relu")
    tail = (f"; our model of the $\\mathrm{{ReLU}}$ network, claimed up to seizure onset: "
            f"{passes(ours)}") if ours else ""
    if not out:
        return (f"Eq. (6.55) of \\citet{{ris}} is within its tolerance at all {len(rs)} checks of "
                f"the active payload error{tail}.")
    sign = "exceeds" if deviation(out[0]) > 0 else "falls below"
    return (f"The measured active payload error {sign} eq. (6.55) of \\citet{{ris}} by "
            f"{pct_range([deviation(r) for r in out])} at {len(out)} of {len(rs)} checks "
            f"({_layers(out)}){tail}.")


def _onset(checks: Checks) -> str | None:
    rs = records(checks, "rotations.onset_layer_relu", judged=False)
    if not rs:
        return None
    by: dict[str, list[str]] = {}
    for r in sorted(rs, key=lambda r: r["measured"]):
        L = r["params"].get("l")
        m = int(r["measured"])
        said = (f"at layer ${m}$" if L is None or m <= L else f"not within ${L}$ layers")
        by.setdefault(said, []).append(f"at {at(r, 'D', 'T', 'z')}")
    parts = [f"{said} " + " and ".join(where) for said, where in by.items()]
    seiz = records(checks, "rotations.seizure_fraction_l1")
    l1 = ""
    if seiz:
        big = max(seiz, key=lambda r: r["measured"])
        l1 = (f"; at layer $1$ already ${num(100 * big['measured'])}\\%$ of inactive circuits are "
              f"seized at {at(big, 'D', 'T', 'z')}")
    return (f"The inactive circuits of the rotation network seize "
            + "; ".join(parts)
            + f", and the model of the $\\mathrm{{ReLU}}$ network predicts the onset layer: "
            f"{passes(rs)}{l1}.")


def _kcopies(checks: Checks) -> str | None:
    sh = records(checks, "rotations.kcopies_err_shared")
    bl = records(checks, "rotations.kcopies_err_block")
    if not sh or not bl:
        return None
    ks = sorted({r["params"]["k"] for r in sh} & {r["params"]["k"] for r in bl})
    if not ks:
        return None

    def rate(rs, k):
        r = next(r for r in rs if r["params"]["k"] == k)
        return f"{num(100 * r['measured'])}\\%"

    def value(rs, k):
        return next(r for r in rs if r["params"]["k"] == k)["measured"]

    first = next(r for r in sh if r["params"]["k"] == ks[0])
    klist = ", ".join(str(k) for k in ks)
    best = {name: min(ks, key=lambda k: value(rs, k)) for name, rs in (("sh", sh), ("bl", bl))}
    lowest = "; the lowest rate is at " + " and ".join(
        f"$k={best[n]}$ {what}" for n, what in (("sh", "with a shared vector"),
                                                 ("bl", "with independent ones")))
    return (f"With $k={klist}$ copies of the on-indicator the measured rate of erroneous "
            f"activation at layer $1$ is ${', '.join(rate(sh, k) for k in ks)}$ with one shared "
            f"embedding vector and ${', '.join(rate(bl, k) for k in ks)}$ with an independent "
            f"one per copy ({at(first, 'D', 'T', 'z')}){lowest}, the blocks $N=D/(2k+2)$ "
            f"narrowing as $k$ grows; the exact law of the covered positions: "
            f"{passes(sh + bl)}.")


_GRID = (("rotations.x_mse_active_published", "6.55"), ("rotations.x_mse_inactive_published", "6.57"),
         ("rotations.alpha_mse_active_published", "6.42"),
         ("rotations.alpha_mse_inactive_published", "6.43"))


def _grid(checks: Checks) -> str | None:
    parts, off = [], []
    for q, eq in _GRID:
        rs = records(checks, q)
        if not rs:
            continue
        ok = sum(r.get("verdict") == "pass" for r in rs)
        off += [r for r in rs if r.get("verdict") == "info"]
        dev = [deviation(r) for r in rs if r.get("verdict") == "info"]
        worst = f", off by up to {pct_range([max(dev, key=abs)])}" if dev and all(
            math.isfinite(x) for x in dev) else ""
        parts.append(f"eq. ({eq}) at {ok} of {len(rs)}{worst}")
    if not parts:
        return None
    return ("On the grid points measured in this run, the published lines of \\citet{ris} hold "
            "within tolerance for " + "; ".join(parts)
            + (f"; the checks beyond tolerance are at {_layers(off)}" if off else "") + ".")


ANSWERS = (
    Answer(r"How close is the active payload error of \citet{ris}, eq. (6.55), to the measured "
           r"network?", _eq655, "q:rotations.x_mse_active_published"),
    Answer("At which layer do the inactive circuits of the rotation network seize?", _onset,
           "q:rotations.onset_layer_relu"),
    Answer("Do several copies of the on-indicator lower the erroneous activation of inactive "
           "circuits?", _kcopies, "fig:rotations_kcopies"),
    Answer(r"Do the published error lines of \citet{ris} hold along their grid of widths and "
           r"circuit counts?", _grid, "fig:rotations_grid-1"),
)
