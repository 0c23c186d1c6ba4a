"""Mutation audit and calibration: evidence that every check can fail, and fails rarely when right.

**Mutation audit.**  For every quantity that a verify module measures, the *same*
measurements are re-judged against mutants of its closed form (nothing is re-simulated,
so the audit asks exactly "would the check at its default sample size have caught this
wrong formula?"):

* ``x(1+e)`` and ``x(1-e)`` with ``e = 5% + the declared tolerance`` (exact, approximate,
  asymptotic quantities);
* structural mutants of the SymPy closed form where its shape allows: drop one term of a
  sum, invert one factor of a product, double an exponent, and any hand-written mutants
  the quantity lists in ``Quantity.mutants``;
* published forms (a source's formula registered beside ours) are audited the same way
  but are not a target: status ``published-partial`` when a mutant escapes;
* for an upper (lower) bound: the bound tightened by 10% (``x0.9``, resp. ``x1.1``) — a
  bound is *audited* when the tightened bound is violated by some measurement; a bound
  with more than 10% slack everywhere is reported as loose (that is a finding about the
  bound, not a defect of the check).

A mutant is *caught* when at least one check of its quantity fails.  A structural mutant
whose prediction moves by less than the detection threshold at every checked point is
reported as *equivalent* (it cannot be told apart at these parameters) rather than
counted as escaped.

**Calibration.**  With ``Z = 4`` the nominal false-alarm rate (6.3e-5) is too small to
observe directly, so :func:`calibrate` collects the standardised errors
``(measured - predicted) / se`` of every exact check over many seeds and counts how often
they exceed the criterion's own critical value at the nominal rates 31.7%, 4.6%, 0.27%
(normal thresholds 1, 2, 3; Student-t with ``G - 1`` d.o.f. for ``G`` network draws), each
compared with its binomial sampling error.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Iterable

import sympy as sp

from superpose.derive.quantity import Quantity, get_quantity
from superpose.verify.check import (CheckResult, Measurement, critical_value, judge,
                                    nominal_false_alarm)

SCALE_STEP = 0.05
BOUND_TIGHTEN = 0.10


@dataclass
class MutantResult:
    label: str
    caught: bool
    equivalent: bool = False
    max_rel_change: float = 0.0


@dataclass
class QuantityAudit:
    quantity: str
    accuracy: str
    n_checks: int
    mutants: list[MutantResult] = field(default_factory=list)
    note: str = ""
    published: bool = False

    @property
    def status(self) -> str:
        live = [m for m in self.mutants if not m.equivalent]
        if not live:
            return "no-mutants"
        if all(m.caught for m in live):
            return "all-caught"
        if self.published:  # a source's form, known or suspected off: not an audit target
            return "published-partial"
        if self.accuracy in ("upper-bound", "lower-bound"):
            return "loose-bound"
        return "escaped"

    def to_json(self) -> dict:
        return {
            "quantity": self.quantity, "accuracy": self.accuracy, "n_checks": self.n_checks,
            "status": self.status, "note": self.note,
            "mutants": [{"label": m.label, "caught": m.caught, "equivalent": m.equivalent,
                         "max_rel_change": round(m.max_rel_change, 6)} for m in self.mutants],
        }


def structural_mutants(expr: sp.Expr) -> list[tuple[str, sp.Expr]]:
    """Drop a term / invert a factor / double an exponent, at the top of ``expr``."""
    out: list[tuple[str, sp.Expr]] = []
    if isinstance(expr, sp.Add) and len(expr.args) > 1:
        for k, term in enumerate(expr.args):
            out.append((f"drop term {k + 1}", sp.Add(*(a for i, a in enumerate(expr.args) if i != k))))
    elif isinstance(expr, sp.Mul):
        factors = [a for a in expr.args if not a.is_number]
        for k, f in enumerate(factors):
            out.append((f"invert factor {k + 1}", expr / f**2))
    elif isinstance(expr, sp.Pow) and expr.exp != 1:
        out.append(("double exponent", sp.Pow(expr.base, 2 * expr.exp)))
    return out


def mutants_of(q: Quantity) -> list[tuple[str, Quantity]]:
    if q.is_measured_only:
        return []
    if q.accuracy == "upper-bound":
        return [(f"bound x{1 - BOUND_TIGHTEN:g}", q.scaled(1 - BOUND_TIGHTEN))]
    if q.accuracy == "lower-bound":
        return [(f"bound x{1 + BOUND_TIGHTEN:g}", q.scaled(1 + BOUND_TIGHTEN))]
    e = SCALE_STEP + (q.tolerance or 0.0)
    out = [(f"x{1 + e:g}", q.scaled(1 + e)), (f"x{1 - e:g}", q.scaled(1 - e))]
    if q.integer:  # counts are rounded on evaluation: x1.05 of a small count is the count
        out += [("plus one", q.shifted(1)), ("minus one", q.shifted(-1))]
    if q.closed_form is not None:
        for label, expr in list(structural_mutants(q.closed_form)) + list(q.mutants):
            out.append((label, q.with_closed_form(expr)))
    return out


def _rel_change(q: Quantity, mutant: Quantity, ms: list[Measurement]) -> float:
    worst = 0.0
    for m in ms:
        try:
            a = float(q.evaluate(m.params))
            b = float(mutant.evaluate(m.params))
        except Exception:
            return math.inf  # a mutant that cannot even be evaluated is caught trivially
        if not math.isfinite(b):
            return math.inf
        worst = max(worst, abs(b - a) / abs(a) if a else abs(b - a))
    return worst


def audit_measurements(measurements: Iterable[Measurement], seed: int = 0) -> list[QuantityAudit]:
    """Judge ``measurements`` against every mutant of every quantity they measure."""
    by_q: dict[str, list[Measurement]] = {}
    for m in measurements:
        if not m.skip:
            by_q.setdefault(m.quantity, []).append(m)
    audits = []
    for name, ms in by_q.items():
        q = get_quantity(name)
        a = QuantityAudit(name, q.accuracy, len(ms), published=q.published)
        if q.is_measured_only:
            a.note = "measured-only quantity (verdict info): nothing to mutate"
        if q.published:
            a.note = ("published form: audited like ours, but not a target (its verdicts are "
                      "info when off; a mutant of a wrong formula may land nearer the truth)")
        for label, mq in mutants_of(q):
            change = _rel_change(q, mq, ms)
            caught = any(_fails(m, seed, mq) for m in ms)
            threshold = SCALE_STEP + (q.tolerance or 0.0)
            # A mutant that moves no checked prediction (x1.05 of 0, of a small rounded
            # count, a dropped term that is zero here) cannot be told apart at these
            # parameters: reported as equivalent, not as escaped.
            equivalent = (not caught) and change < 1e-12
            if not equivalent and not caught and change < threshold \
                    and not label.startswith(("x", "bound")):
                equivalent = True
            a.mutants.append(MutantResult(label, caught, equivalent, change))
        audits.append(a)
    return audits


def _fails(m: Measurement, seed: int, mq: Quantity) -> bool:
    try:
        r = judge(m, seed, quantity=mq)
    except Exception:
        return True
    # Published quantities turn 'fail' into 'info'; the audit asks whether the rule fired.
    if mq.published:
        return r.verdict == "info" and "deviates" in r.note
    return r.verdict == "fail"


def audit_construction(name: str, runs: list[tuple[dict, int]], seed: int = 0,
                       progress: Callable[[str], None] | None = None, *,
                       jobs: int | None = 1, cluster: str | None = None,
                       cache: bool = True) -> list[QuantityAudit]:
    """Run ``runs`` = [(params, trials), ...] once and audit every measured quantity.

    The runs are tasks of :mod:`superpose.verify.tasks` (``jobs`` local processes, default
    here; ``cluster``: a Dask scheduler; finished runs reused from the cache)."""
    return audit(runs={name: runs}, seed=seed, progress=progress, jobs=jobs,
                 cluster=cluster, cache=cache)


AUDIT_SCALES = ("default", "smoke", "quick", "paper")


def audit(names: Iterable[str] | None = None, scale: str = "default", seed: int = 0, *,
          runs: dict[str, list[tuple[dict, int]]] | None = None,
          jobs: int | None = None, cluster: str | None = None, cache: bool = True,
          progress: bool | Callable[[str], None] | None = None) -> list[QuantityAudit]:
    """The mutation audit of ``names`` (default: every construction with a verify module).

    ``scale``: ``default`` runs each construction's verify defaults once, ``smoke``,
    ``quick`` or ``paper`` the report's cases; ``runs`` gives them per construction instead.
    Every run is a task of :mod:`superpose.verify.tasks`, so the audit runs on ``jobs`` local
    worker processes (default one per core) or the Dask scheduler ``cluster`` (default
    ``$SUPERPOSE_CLUSTER``) and reuses finished runs from the task cache (``cache=False``:
    not).  SIGTERM is handled like Ctrl-C (workers stopped), then exit 143.
    """
    from superpose.derive.quantity import BadInput, available, get_construction
    from superpose.verify import tasks
    from superpose.verify.check import verify_module

    if runs is None:
        if scale not in AUDIT_SCALES:
            raise BadInput(f"--scale must be one of {', '.join(AUDIT_SCALES)}, got {scale!r}")
        runs = {}
        for n in list(names) if names is not None else available():
            get_construction(n)
            try:
                mod = verify_module(n)
            except BadInput:
                continue
            runs[n] = [({}, mod.DEFAULT_TRIALS)] if scale == "default" else \
                list(mod.SCALES.get(scale, []))
    todo = [tasks.check_task(n, params, trials, seed)
            for n, rs in runs.items() for params, trials in rs]
    with tasks.sigterm_as_exit():
        outcomes = tasks.run(todo, jobs=jobs, cluster=cluster,
                             cache=None if cache else False, progress=progress)
    audits: list[QuantityAudit] = []
    for n in runs:
        ms: list[Measurement] = []
        for t, o in zip(todo, outcomes):
            if t.construction != n:
                continue
            if o.error is not None:     # as run_checks would: the run's error propagates
                if o.exc is not None:
                    raise o.exc
                raise RuntimeError(f"{t.title}: {o.error}\n{o.trace}")
            ms.extend(o.measurements)
        audits += audit_measurements(ms, seed)
    return audits


# ------------------------------------------------------------------------ calibration


@dataclass
class Calibration:
    thresholds: tuple[float, ...]
    observed: list[int]
    total: int
    nominal: list[float]

    def rows(self) -> list[dict]:
        out = []
        for t, k, p in zip(self.thresholds, self.observed, self.nominal):
            sd = math.sqrt(p * (1 - p) / self.total) if self.total else math.nan
            rate = k / self.total if self.total else math.nan
            out.append({"threshold": t, "observed": rate, "nominal": p, "sampling_sd": sd,
                        "z_of_difference": (rate - p) / sd if sd else math.nan})
        return out


def standardised_errors(results: Iterable[CheckResult]) -> list[tuple[float, int]]:
    """``((measured - predicted)/se, n_networks)`` of every exact, non-published check with a
    finite positive SE."""
    zs = []
    for r in results:
        if r.accuracy != "exact" or r.predicted is None or r.verdict == "skip":
            continue
        if get_quantity(r.quantity).published:
            continue
        if r.se and math.isfinite(r.se) and r.se > 0:
            zs.append(((r.measured - r.predicted) / r.se, r.n_networks))
    return zs


def calibrate(zs: list[tuple[float, int]], thresholds=(1.0, 2.0, 3.0)) -> Calibration:
    """Observed rates of exceeding the criterion's own critical value at lower nominal rates.

    For a threshold ``t`` the nominal rate is ``P(|N(0,1)| > t)``; each check is compared
    with *its* critical value at that rate (Student-t with ``n_networks - 1`` d.o.f., as
    :func:`verify.check.judge` does at ``Z``), so the observed rate should match the nominal
    one if the criterion is calibrated.
    """
    obs = [sum(abs(z) > critical_value(g, t) for z, g in zs) for t in thresholds]
    return Calibration(tuple(thresholds), obs, len(zs), [nominal_false_alarm(t) for t in thresholds])
