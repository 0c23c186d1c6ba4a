"""Turn measurements into verdicts: the statistical test, fixed in advance.

A verify module (``verify/<construction>.py``) *measures* quantities from their
definitions on the simulated network and returns :class:`Measurement` objects.  It never
types a closed form.  :func:`judge` fetches the prediction from the registry and applies
the rule for the quantity's declared accuracy:

============== =====================================================================
exact          pass iff ``|measured - predicted| <= Z * se``
approximate    pass iff ``|measured - predicted| <= tol * |predicted| + Z * se``
asymptotic     the same, with the tolerance the quantity declares for finite sizes
upper-bound    one-sided: pass iff ``measured - Z * se <= predicted``
lower-bound    one-sided: pass iff ``measured + Z * se >= predicted``
measured-only  verdict ``info`` (nothing predicted yet)
============== =====================================================================

A *published* quantity that fails its rule gets verdict ``info`` with its deviation: the
report shows it, it is not a defect of superpose, and it is never silently passed.

``Z = 4``: a two-sided false-alarm rate of 6.3e-5 per exact check under the normal
approximation, so a report of a few hundred checks has a family-wise false-alarm rate of
about 1-2 %.  Standard errors clustered over ``G`` network draws have ``G - 1`` degrees of
freedom, so the critical value actually used is the Student-t quantile with ``G - 1``
degrees of freedom at the *same* nominal rate (:func:`critical_value`: 4.00 at G = 6000,
4.09 at G = 200, 4.67 at G = 30, 7.0 at G = 10); it is the ``z`` a CheckResult reports.
The mutation audit (``run_checks(..., mutate=...)``) re-judges the same measurements
against perturbed closed forms to show each check can fail.
"""
from __future__ import annotations

import importlib
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Mapping, NamedTuple

from superpose.derive.quantity import (
    BadInput,
    Param,
    Quantity,
    bind_params,
    get_construction,
    get_quantity,
    snake,
)
from superpose.verify.stats import Estimate, round_sig

#: The one constant of every Monte Carlo test (see module docstring).
Z = 4.0

#: Version of the check record shape shared by ``checks.json`` and ``superpose verify --json``
#: (described by the shipped JSON Schema ``superpose/schemas/checks.schema.json``).
CHECKS_SCHEMA_VERSION = 1


def nominal_false_alarm(z: float = Z, sided: str = "two") -> float:
    """``P(|N(0,1)| > z)`` (two-sided) or ``P(N(0,1) > z)`` (one-sided)."""
    p = math.erfc(z / math.sqrt(2))
    return p if sided == "two" else p / 2


def critical_value(n_networks: int, z: float = Z) -> float:
    """The Student-t critical value with ``n_networks - 1`` d.o.f. at the nominal rate of ``z``."""
    if n_networks is None or n_networks < 2:
        return math.inf
    if n_networks > 10**6:
        return z
    from scipy import stats as _st

    return float(_st.t.isf(nominal_false_alarm(z) / 2, n_networks - 1))


@dataclass(frozen=True)
class Measurement:
    """What a verify module measured for one quantity at one parameter point.

    ``params`` are the quantity's own parameters; ``label`` adds the simulation's
    (``N``, ``D``...) to the check's name.  ``published`` names the published
    counterpart quantity, if any, whose prediction is shown beside ours.
    """

    quantity: str
    params: Mapping[str, Any]
    estimate: Estimate
    label: Mapping[str, Any] = field(default_factory=dict)
    published: str | None = None
    note: str = ""
    skip: str = ""


@dataclass
class CheckResult:
    name: str
    quantity: str
    params: dict
    statistic: str
    accuracy: str
    predicted: float | None
    predicted_published: float | None
    measured: float | None
    se: float | None
    ci: list
    z: float
    n: int
    n_networks: int
    seed: int
    sided: str
    verdict: str
    source: str
    tolerance: float | None = None
    slack: float | None = None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("predicted", "predicted_published", "measured", "se", "slack", "tolerance", "z"):
            d[k] = _num(d[k])
        d["ci"] = [_num(x) for x in d["ci"]]
        return d


def _num(x):
    if x is None:
        return None
    if isinstance(x, bool):
        return x
    if isinstance(x, int):
        return x
    x = float(x)
    if not math.isfinite(x):
        return None
    return round_sig(x, 12)


def check_name(quantity: str, params: Mapping[str, Any], label: Mapping[str, Any] = {}) -> str:
    items = list(params.items()) + [(k, v) for k, v in label.items() if k not in params]
    inner = ",".join(f"{k}={v}" for k, v in items)
    return f"{quantity}[{inner}]" if inner else quantity


def judge(
    m: Measurement,
    seed: int,
    *,
    quantity: Quantity | None = None,
    z: float = Z,
) -> CheckResult:
    """The verdict for one measurement (``quantity`` overrides the registry's, for mutants)."""
    q = quantity if quantity is not None else get_quantity(m.quantity)
    est = m.estimate
    sided = {"upper-bound": "upper", "lower-bound": "lower"}.get(q.accuracy, "two")
    def value(quantity: Quantity, subset: bool = False) -> float | None:
        names = {p.name for p in quantity.params}
        params = {k: v for k, v in m.params.items() if k in names} if subset else m.params
        try:
            return float(quantity.evaluate(params))
        except BadInput:
            if m.skip:  # a skipped check still shows what it would predict, where defined
                return None
            raise

    predicted = None if q.is_measured_only else value(q)
    published = value(get_quantity(m.published), subset=True) if m.published else None
    se = est.se if est.se is not None else math.nan
    if se > 0:
        z = critical_value(est.n_networks, z)
    ci = [est.value - z * se, est.value + z * se] if math.isfinite(se) else [None, None]
    tol = q.tolerance if q.accuracy in ("approximate", "asymptotic") else 0.0
    slack = None
    if m.skip:
        verdict = "skip"
    elif predicted is None:
        verdict = "info"
    elif not math.isfinite(se):
        verdict = "fail"
    elif sided == "upper":
        verdict = "pass" if est.value - z * se <= predicted else "fail"
        slack = (predicted - est.value) / abs(predicted) if predicted else None
    elif sided == "lower":
        verdict = "pass" if est.value + z * se >= predicted else "fail"
        slack = (est.value - predicted) / abs(predicted) if predicted else None
    else:
        ok = abs(est.value - predicted) <= tol * abs(predicted) + z * se
        verdict = "pass" if ok else "fail"
    if verdict == "fail" and q.published:
        verdict = "info"
    note = m.note
    if verdict == "skip":  # the reason travels with the result (checks.json, report)
        note = f"skipped: {m.skip}" + (f"; {note}" if note else "")
    if verdict == "info" and predicted is not None and predicted != 0:
        dev = (est.value - predicted) / abs(predicted)
        note = (note + "; " if note else "") + f"measured deviates by {dev:+.1%}"
    return CheckResult(
        name=check_name(q.name, m.params, m.label),
        quantity=q.name,
        params={**dict(m.params), **{k: v for k, v in m.label.items() if k not in m.params}},
        statistic=q.statistic,
        accuracy=q.accuracy,
        predicted=predicted,
        predicted_published=published,
        measured=est.value,
        se=se,
        ci=ci,
        z=z,
        n=est.n,
        n_networks=est.n_networks,
        seed=seed,
        sided=sided,
        verdict=verdict,
        source=q.source,
        tolerance=tol or None,
        slack=slack,
        note=note,
    )


# --------------------------------------------------------------------- verify modules


def verify_module(name: str):
    """The verify module of a construction (``BadInput`` if it has none).

    The module is the one its :class:`~superpose.derive.protocol.ConstructionEntry` names; it
    must follow :class:`superpose.verify.protocol.VerifyModule`.
    """
    from superpose.derive.protocol import entries
    from superpose.verify.protocol import conformance_errors

    if not isinstance(name, str) or name not in entries():
        get_construction(name)  # its error: the name and the known ones
    path = entries()[name].verify   # (the derivation is built when first judged, not here)
    if path is None:
        raise BadInput(f"construction {name!r} has no Monte Carlo verification yet")
    mod = importlib.import_module(path)
    problems = conformance_errors(mod)
    if problems:
        raise TypeError(f"verify module {path} of {name!r} does not follow the protocol: "
                        + "; ".join(problems))
    return mod


def bind_verify_params(name: str, raw: Mapping[str, Any]) -> dict:
    mod = verify_module(name)
    params: tuple[Param, ...] = mod.PARAMS
    return bind_params(params, raw, what=f"verify {name}",
                       constraint=getattr(mod, "constraint", None))


class CheckRun(NamedTuple):
    """What :func:`run_checks` returns; unpacks as ``params, results, measurements``."""

    params: dict
    results: list[CheckResult]
    measurements: list[Measurement]


def bind_run(name: str, raw_params: Mapping[str, Any], trials: int | None,
             seed: int) -> tuple[Any, dict, int]:
    """Validate one verify run: ``(verify module, bound params, trials)`` or ``BadInput``."""
    mod = verify_module(name)
    params = bind_verify_params(name, raw_params)
    if trials is None:
        trials = mod.DEFAULT_TRIALS
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise BadInput(f"trials must be a positive integer, got {trials!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise BadInput(f"seed must be a non-negative integer, got {seed!r}")
    return mod, params, trials


def run_checks(
    name: str,
    raw_params: Mapping[str, Any],
    *,
    trials: int | None = None,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    mutate: Callable[[Quantity], Quantity] | None = None,
) -> CheckRun:
    """Measure a construction and judge every measurement.

    Returns a :class:`CheckRun` ``(params, results, measurements)``: the bound parameters,
    one :class:`CheckResult` per measurement, and the measurements.  ``mutate`` maps each registry
    quantity to a mutant before judging (the measurement is unchanged).
    """
    mod, params, trials = bind_run(name, raw_params, trials, seed)
    measurements = mod.measure(params, trials=trials, seed=seed, progress=progress)
    results = []
    for m in measurements:
        q = get_quantity(m.quantity)
        results.append(judge(m, seed, quantity=mutate(q) if mutate else None))
    return CheckRun(params, results, measurements)
