"""Cost estimates before work: is a verify run affordable here?

Every built-in verify module defines ``estimate_cost(params, trials) -> Cost`` (the optional
entry of :mod:`superpose.verify.protocol`): peak memory in bytes and a rough run time in seconds,
from the parameters alone, before anything is allocated.  The memory model of each module sums
the arrays its code allocates at their largest (numpy arrays dominate; what tracemalloc sees),
with a margin, so that it errs high; the time model is a per-unit constant measured once.
``bench/cost_calibration.py`` prints both against measurements (``bench/results_cost_calibration.md``);
``tests/test_cost.py`` keeps them within :data:`FACTOR`.

The command line calls :func:`check_affordable` before any work::

    check_affordable(name, params, trials, max_memory=None) -> Cost

which raises :class:`~superpose.derive.quantity.BadInput` (one line: the estimate, the memory
available, and the largest size that fits) when the estimate exceeds ``max_memory`` or, when
that is not given, the memory available to this process (:func:`available_memory`).

Time constants (seconds per unit, measured on the 2-core development machine, numpy 2,
single-threaded BLAS load; see each module's ``estimate_cost``) make the time a rough guide only:
within a factor of a few, not 2.
"""
from __future__ import annotations

import math
import os
import resource
from typing import Any, Mapping

from superpose.derive.quantity import BadInput
from superpose.verify.protocol import Cost

#: Documented accuracy of the memory estimates: measured <= estimate <= FACTOR * measured
#: (tests/test_cost.py, above a floor of :data:`FLOOR_BYTES` where fixed costs dominate).
FACTOR = 2.0
#: Below this the estimate is only required not to be under the measurement by more than it.
FLOOR_BYTES = 32 * 2**20
#: Fixed allocations of any run (registry, small arrays, Python objects) in bytes.
BASE_BYTES = 16 * 2**20
#: Bytes of one float64.
F8 = 8


def cost(memory_bytes: float, seconds: float) -> Cost:
    """A :class:`Cost` with the fixed overhead :data:`BASE_BYTES` added to the memory."""
    return Cost(float(memory_bytes) + BASE_BYTES, float(seconds))


# ------------------------------------------------------------------- available memory


def _proc_kib(path: str, key: str) -> float | None:
    """The ``key:`` line of a ``/proc`` file (given in kB) in bytes, or None."""
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _meminfo_available() -> float | None:
    found = _proc_kib("/proc/meminfo", "MemAvailable")
    if found is not None:
        return found
    try:
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def _vm_size() -> float:
    """This process's virtual size in bytes (what RLIMIT_AS counts), 0 if unknown."""
    return _proc_kib("/proc/self/status", "VmSize") or 0.0


def available_memory() -> float:
    """Bytes this process can still allocate: the smaller of the system's available memory
    (``/proc/meminfo`` MemAvailable, else ``os.sysconf``) and what the address-space limit
    (``ulimit -v``, RLIMIT_AS) leaves above the current virtual size.  ``inf`` if neither is
    known."""
    out = math.inf
    avail = _meminfo_available()
    if avail is not None:
        out = avail
    try:
        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    except (ValueError, OSError):
        soft = resource.RLIM_INFINITY
    if soft not in (resource.RLIM_INFINITY, -1) and soft > 0:
        out = min(out, max(0.0, float(soft) - _vm_size()))
    return out


def fmt_bytes(x: float) -> str:
    """1.5 GB style (decimal units, 2 significant digits; beyond 10^4 TB in powers of ten)."""
    if x >= 1e16:
        return f"{x:.1e} bytes"
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if x >= scale:
            v = x / scale
            return f"{v:.2g} {unit}" if v < 10 else f"{v:.0f} {unit}"
    return f"{x:.0f} B"


def fmt_seconds(s: float) -> str:
    if s < 120:
        return f"{s:.2g} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    if s < 2 * 86400:
        return f"{s / 3600:.0f} h"
    return f"{s / 86400:.2g} days"


# --------------------------------------------------------------------------- estimates


def estimate(name: str, params: Mapping[str, Any], trials: int | None = None) -> tuple[dict, int, Cost | None]:
    """``(bound params, trials, Cost or None)`` for ``verify <name>``; ``BadInput`` for bad
    parameters (the same validation as the run), ``None`` if the module has no estimate."""
    from superpose.verify.check import bind_verify_params, verify_module

    mod = verify_module(name)
    bound = bind_verify_params(name, dict(params))
    if trials is None:
        trials = mod.DEFAULT_TRIALS
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise BadInput(f"trials must be a positive integer, got {trials!r}")
    fn = getattr(mod, "estimate_cost", None)
    return bound, trials, (fn(bound, trials) if fn is not None else None)


def _largest_fitting(mod, bound: dict, trials: int, limit: float) -> tuple[str, int] | None:
    """(parameter, largest value) of the module's ``COST_SIZE`` parameters (in order) at which
    the estimate fits under ``limit``, the others as given; then trials.  None if nothing does."""
    from superpose.derive.quantity import Param

    spec = {p.name: p for p in mod.PARAMS if isinstance(p, Param)}

    def fits(name: str, v: int) -> bool:
        if name == "trials":
            c = mod.estimate_cost(bound, v)
        else:
            c = mod.estimate_cost({**bound, name: v}, trials)
        return c.memory_bytes <= limit

    for name in tuple(getattr(mod, "COST_SIZE", ())) + ("trials",):
        if name == "trials":
            lo, hi = 1, trials
        else:
            p = spec.get(name)
            if p is None or p.kind is not int or not bound.get(name):
                continue
            lo, hi = int(max(p.lo or 1, 1)), int(bound[name])
        if hi <= lo or not fits(name, lo):
            continue
        while hi - lo > max(1, lo // 100):        # to ~1 %: "about"
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if fits(name, mid) else (lo, mid)
        return name, lo
    return None


def _round_down(v: int) -> int:
    """2 significant digits, rounded down (an 'about' that still fits)."""
    if v < 100:
        return v
    e = 10 ** (len(str(v)) - 2)
    return v // e * e


def check_affordable(name: str, params: Mapping[str, Any], trials: int | None = None,
                     max_memory: float | None = None) -> Cost | None:
    """The estimated :class:`Cost` of ``verify <name>`` at ``params`` and ``trials``, or
    :class:`BadInput` (one line) when its memory exceeds ``max_memory`` (bytes; default: what
    :func:`available_memory` reports).  The line names the estimate, the memory available and
    the largest size that fits at the other settings.  Parameters are validated first (the
    run's own ``BadInput``).  ``None`` for a module without ``estimate_cost``.  Allocates
    nothing that scales with the run."""
    from superpose.verify.check import verify_module

    bound, trials, c = estimate(name, params, trials)
    if c is None:
        return None
    limit = available_memory() if max_memory is None else float(max_memory)
    if c.memory_bytes <= limit:
        return c
    given = {k: v for k, v in params.items()}
    shown = ", ".join(f"{k}={bound[k]}" for k in given if k in bound)
    at = f" at {shown}, trials={trials}" if shown else f" at trials={trials}"
    src = "--max-memory" if max_memory is not None else "available"
    msg = (f"verify {name}{at} needs about {fmt_bytes(c.memory_bytes)} "
           f"({src} {fmt_bytes(limit)})")
    best = _largest_fitting(verify_module(name), bound, trials, limit)
    if best is not None:
        what, v = best
        msg += (f"; the most trials that fit at these settings are about {_round_down(v)}"
                if what == "trials" else
                f"; the largest {what} that fits at these settings is about {_round_down(v)}")
    msg += "; or set --max-memory" if max_memory is None else ""
    raise BadInput(msg)
