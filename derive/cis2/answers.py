r"""The open questions the cis2 checks answer, for the report's Findings.

Every number in an answer is read from the check records the report passes in (``checks``:
check name -> record of ``checks.json``); an answer is ``None`` where the checks it needs did not
run at this scale.  The small helpers are shared with :mod:`superpose.derive.rotations.answers`.
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Mapping

from superpose.derive.quantity import Answer

Checks = Mapping[str, Mapping[str, Any]]


#: How check records name the prime-step allocation (the published construction): no ``alloc``
#: label, or one of these values.
PRIME = (None, 0, "prime")


def records(checks: Checks, *quantities: str, judged: bool = True,
            prime: bool = True) -> list[Mapping[str, Any]]:
    """The records of ``quantities`` with a finite measurement (and, if ``judged``, not skipped);
    with ``prime`` only those of the prime-step allocation, the construction as published."""
    out = []
    for r in checks.values():
        if r.get("quantity") not in quantities:
            continue
        if prime and r.get("params", {}).get("alloc") not in PRIME:
            continue
        m = r.get("measured")
        if m is None or not math.isfinite(m) or (judged and r.get("verdict") == "skip"):
            continue
        out.append(r)
    return out


def deviation(r: Mapping[str, Any]) -> float:
    """measured / predicted - 1 (NaN where the prediction is missing or zero)."""
    p = r.get("predicted")
    if p is None or not math.isfinite(p) or p == 0:
        return math.nan
    return r["measured"] / p - 1


def num(x: float) -> str:
    """A number for prose math: three significant digits, no exponent noise."""
    if x == 0:
        return "0"
    if abs(x) >= 1e4 or abs(x) < 1e-3:
        m, e = f"{x:.2e}".split("e")
        return rf"{m}\times10^{{{int(e)}}}"
    return f"{x:.3g}"


def pct(x: float) -> str:
    """``|x|`` as a whole percentage for math mode (``46\\%``)."""
    return rf"{abs(x) * 100:.0f}\%"


def pct_range(xs: Iterable[float]) -> str:
    """``$a\\%$ to $b\\%$`` over ``|x|`` (one value when they round alike), inside one math span."""
    v = sorted(abs(x) for x in xs if math.isfinite(x))
    lo, hi = pct(v[0]), pct(v[-1])
    return f"${lo}$" if lo == hi else f"${lo}$ to ${hi}$"


def at(r: Mapping[str, Any], *keys: str) -> str:
    """``$D=1000$, $T=557$`` for the given parameters of a record (those it has)."""
    p = r.get("params", {})
    return ", ".join(f"${k}={p[k]}$" for k in keys if k in p)


def passes(rs: list[Mapping[str, Any]]) -> str:
    """``all 8 checks pass`` / ``7 of 8 checks pass``."""
    ok = sum(r.get("verdict") == "pass" for r in rs)
    if ok == len(rs):
        return {1: "the check passes", 2: "both checks pass"}.get(ok, f"all {ok} checks pass")
    return f"{ok} of {len(rs)} checks pass"


# ----------------------------------------------------------------------------------- answers


def _gain(checks: Checks) -> str | None:
    pub = records(checks, "cis2.linear_gain_notes")
    devs = [deviation(r) for r in pub]
    if not pub or not any(math.isfinite(x) for x in devs):
        return None
    big = max(pub, key=deviation)
    ours = records(checks, "cis2.linear_gain")
    tail = ""
    if ours:
        tail = (f"; our gain $G=g(1+(T-1)P_{{\\rm sh}}/S^2)$ is within "
                f"{pct_range([max(abs(deviation(r)) for r in ours)])} of the measurement where it "
                f"is checked")
    return (f"The measured per-layer gain of linear mode exceeds the gain $Td/D$ of "
            f"\\citet{{cis2}} by {pct_range(devs)} at the {len(pub)} points measured "
            f"(${num(big['measured'])}$ against ${num(big['predicted'])}$ at "
            f"{at(big, 'D', 'T')}){tail}.")


_DD = ("cis2.overlap_ms_dD", "cis2.overlap_ms_active_dD", "cis2.overlap_ms_inactive_dD")
_DD_OURS = ("cis2.overlap_ms", "cis2.overlap_ms_active", "cis2.overlap_ms_inactive")


def _overlap_dD(checks: Checks) -> str | None:
    rs = records(checks, *_DD)
    if not rs:
        return None
    out = [r for r in rs if r.get("verdict") == "info"]
    ours = records(checks, *_DD_OURS)
    tail = (f"; the exact mean square $P_{{\\rm sh}}/S^2$ and the error terms built on it: "
            f"{passes(ours)}") if ours else ""
    if not out:
        return (f"The overlap mean square $d/D$ of \\citet{{cis2}} is within its tolerance at "
                f"all {len(rs)} checks (deviations up to {pct_range([deviation(r) for r in rs])})"
                f"{tail}.")
    ts = sorted({r["params"].get("T") for r in out if "T" in r.get("params", {})})
    where = f" (at $T={', '.join(str(t) for t in ts)}$)" if ts else ""
    sign = "below" if deviation(out[0]) < 0 else "above"
    return (f"The measured overlap mean squares are {pct_range([deviation(r) for r in out])} "
            f"{sign} the value $d/D$ of \\citet{{cis2}} at {len(out)} of {len(rs)} checks"
            f"{where}, beyond its tolerance, because the prime-step loads are uneven{tail}.")


def _relu(checks: Checks) -> str | None:
    rs = records(checks, "cis2.relu_ms_active", judged=False)
    if not rs:
        return None
    lmax = max(r["params"].get("l", 0) for r in rs)
    last = [r for r in rs if r["params"].get("l") == lmax]
    big = max(last, key=lambda r: r["measured"])
    p = big["params"]
    ideal = [r for r in records(checks, "cis2.total_ms_active")
             if "case" not in r["params"]
             and all(r["params"].get(k) == p.get(k) for k in ("D", "d", "S", "T", "z", "l"))]
    versus = (f", against an ideal-network error $A_{{{lmax}}}={num(ideal[0]['predicted'])}$"
              if ideal else "")
    return (f"The $\\mathrm{{ReLU}}$ activation error of an active circuit, absent under "
            f"hypothesis $(\\mathrm H)$, reaches a mean square of ${num(big['measured'])}\\pm"
            f"{num(big['se'])}$ at layer ${lmax}$ ({at(big, 'D', 'T', 'z')}){versus}: the "
            f"ideal-network recursion describes the $\\mathrm{{ReLU}}$ network only while "
            f"inactive circuits stay suppressed.")


ANSWERS = (
    Answer(r"How far is the linear-mode gain $Td/D$ of \citet{cis2} from the measured gain?",
           _gain, "q:cis2.linear_gain_notes"),
    Answer(r"How accurate is the overlap mean square $d/D$ of \citet{cis2} on the prime-step "
           r"allocation?", _overlap_dD, "q:cis2.overlap_ms_dD"),
    Answer(r"How large is the $\mathrm{ReLU}$ activation error of the network of \citet{cis2}, "
           r"which its error analysis leaves out?", _relu, "q:cis2.relu_ms_active"),
)
