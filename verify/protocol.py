"""The verify half of the construction protocol (:mod:`superpose.derive.protocol`).

A verify module builds the real network of a construction and measures each registered
quantity from its *definition*; it never types a closed form.  What it must define:

``PARAMS``
    tuple of :class:`~superpose.derive.quantity.Param`: the simulation's parameters.  Those the
    derive side also has are the derive side's own objects (declared once).
``DEFAULT_TRIALS``
    int: Monte Carlo trials (forward passes) when the caller gives none.
``SCALES``
    ``{"smoke" | "quick" | "paper": [(params, trials), ...]}``: the report's runs.
``measure(params, *, trials, seed, progress=None) -> list[Measurement]``
    the measurements; random numbers only from :func:`superpose.verify.rng.stream` keyed by
    ``seed`` and a name.

Optional:

``constraint(params) -> str | None``
    relations between parameters (an error message, or ``None``).
``estimate_cost(params, trials) -> Cost``
    peak memory (bytes) and run time (seconds) from the parameters alone, before anything
    is allocated.
``build(params, rng) -> network`` and ``sample(net, rng, n) -> dict``
    the network itself and valid inputs with their targets, for :func:`superpose.build`.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Protocol, Sequence, runtime_checkable

SCALE_NAMES = ("smoke", "quick", "paper")


@dataclass(frozen=True)
class Cost:
    """Estimated peak memory (bytes) and run time (seconds) of one verify run."""

    memory_bytes: float
    seconds: float


@runtime_checkable
class VerifyModule(Protocol):
    """The attributes a verify module defines (checked by :func:`conformance_errors`)."""

    PARAMS: tuple
    DEFAULT_TRIALS: int
    SCALES: Mapping[str, Sequence[tuple[dict, int]]]

    def measure(self, params: Mapping[str, Any], *, trials: int, seed: int,
                progress: Callable[[str], None] | None = None) -> list: ...


def conformance_errors(mod: Any) -> list[str]:
    """What ``mod`` lacks of the verify protocol (empty when it conforms)."""
    from superpose.derive.quantity import Param

    out = []
    params = getattr(mod, "PARAMS", None)
    if not (isinstance(params, tuple) and all(isinstance(p, Param) for p in params)):
        out.append("PARAMS must be a tuple of Param")
    trials = getattr(mod, "DEFAULT_TRIALS", None)
    if not (isinstance(trials, int) and not isinstance(trials, bool) and trials >= 1):
        out.append("DEFAULT_TRIALS must be a positive int")
    scales = getattr(mod, "SCALES", None)
    if not (isinstance(scales, Mapping) and set(SCALE_NAMES) <= set(scales)):
        out.append(f"SCALES must map each of {', '.join(SCALE_NAMES)} to a list of cases")
    measure = getattr(mod, "measure", None)
    if not callable(measure):
        out.append("measure(params, *, trials, seed, progress) is missing")
    else:
        names = set(inspect.signature(measure).parameters)
        if not {"trials", "seed", "progress"} <= names:
            out.append("measure must take trials=, seed= and progress=")
    for opt in ("constraint", "estimate_cost", "build", "sample"):
        if hasattr(mod, opt) and not callable(getattr(mod, opt)):
            out.append(f"{opt} must be callable")
    return out
