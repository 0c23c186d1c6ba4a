"""The public Python API of superpose.

Every name here is also available from the top-level package (``superpose.evaluate``, ...),
imported on first use.

Evaluate a derived quantity, at a point or over arrays of parameters:

>>> import numpy as np, superpose
>>> superpose.evaluate("pingpong.circuits", D=100, d=4)
625
>>> superpose.evaluate("pingpong.circuits", D=np.array([100, 200]), d=4)
array([ 625, 2500])

Check it against the real network by Monte Carlo:

>>> res = superpose.verify("uand-random", trials=500, seed=0)    # doctest: +SKIP
>>> res.passed, len(res)                                         # doctest: +SKIP
(True, 29)

Errors of bad input are :class:`BadInput` (a :class:`ValueError`) and name the offending
parameter.
"""
from __future__ import annotations

import html
import numbers
from typing import Any, Callable, Iterator, Mapping

import numpy as np

from superpose.derive.quantity import BadInput, Param, Quantity

__all__ = ["evaluate", "verify", "build", "load", "constructions", "quantities", "parameters",
           "Results", "BadInput", "CHECKS_SCHEMA_VERSION"]

#: Version of the record shape of :meth:`Results.to_json` (``superpose verify NAME --json``
#: and ``checks.json`` share it).
CHECKS_SCHEMA_VERSION = 1   # equal to superpose.verify.check.CHECKS_SCHEMA_VERSION (a test says so)


# ------------------------------------------------------------------------- helpers


def _count(value: Any, what: str, minimum: int) -> int:
    """``value`` as a Python int >= ``minimum`` (numpy integers accepted), else BadInput."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise BadInput(f"{what} must be an integer >= {minimum}, got {value!r}")
    value = int(value)
    if value < minimum:
        raise BadInput(f"{what} must be an integer >= {minimum}, got {value}")
    return value


def _require(params: tuple[Param, ...], given: Mapping[str, Any], what: str) -> None:
    """BadInput naming the first parameter that has no default and was not given."""
    for p in params:
        if p.name not in given and p.default is None:
            raise BadInput(f"{what}: missing parameter {p.name} (no default)")


def _quantity(name: str) -> Quantity:
    from superpose.derive.quantity import get_quantity

    return get_quantity(name)


def _verify_module(construction: str):
    from superpose.derive.quantity import get_construction
    from superpose.verify.check import verify_module

    get_construction(construction)   # BadInput for an unknown name, with the known ones
    return verify_module(construction)


# ------------------------------------------------------------------------ listings


def constructions() -> list[str]:
    """Names of the registered constructions, in report order.

    Returns
    -------
    list of str
        Kebab-case names (``"uand-random"``, ``"cis2"``, ...), including constructions that
        other packages register through the entry-point group ``superpose.constructions``.

    Examples
    --------
    >>> "uand-random" in constructions()
    True
    """
    from superpose.derive.quantity import available

    return available()


def quantities(construction: str | None = None, *, detail: bool = False) -> list:
    """The derived quantities of one construction, or of all of them.

    Parameters
    ----------
    construction : str, optional
        A construction name (see :func:`constructions`); all constructions when omitted.
    detail : bool, default False
        Return one record (dict) per quantity instead of its name.

    Returns
    -------
    list of str or list of dict
        Full names ``"construction.quantity"``, in the construction's order; with ``detail``,
        dicts with keys ``name``, ``statistic``, ``accuracy``, ``tolerance``, ``limit``,
        ``published``, ``params``, ``closed_form``, ``eq_label``, ``source`` and ``doc``
        (the records of ``superpose list --json``).

    Raises
    ------
    BadInput
        If ``construction`` is not a registered construction.

    Examples
    --------
    >>> quantities("pingpong")[:2]
    ['pingpong.circuits', 'pingpong.width']
    """
    from superpose.derive.quantity import get_construction

    names = constructions() if construction is None else [construction]
    qs = [q for n in names for q in get_construction(n).quantities]
    return [q.describe() for q in qs] if detail else [q.name for q in qs]


def parameters(name: str, *, which: str = "verify") -> list[dict[str, Any]]:
    """The parameters of a construction's Monte Carlo run or network, or of one quantity.

    Parameters
    ----------
    name : str
        A construction (``"uand-random"``): the parameters :func:`verify` takes (or, with
        ``which="build"``, those :func:`build` takes).  Or a quantity
        (``"uand-random.rms_error_constant"``): the parameters :func:`evaluate` takes.
    which : {"verify", "build"}, default "verify"
        For a construction: the parameters of its Monte Carlo run or of its exported network.

    Returns
    -------
    list of dict
        One dict per parameter with keys ``name``, ``type`` (``"int"`` or ``"float"``),
        ``default``, ``min``, ``max`` (inclusive; ``None`` when unbounded) and ``doc``.

    Raises
    ------
    BadInput
        If the name is unknown, or the construction has no Monte Carlo verification (no
        export, for ``which="build"``).

    Examples
    --------
    >>> [p["name"] for p in parameters("uand-random.rms_error_constant")]
    ['l', 'on']
    """
    if which not in ("verify", "build"):
        raise BadInput(f"which must be 'verify' or 'build', got {which!r}")
    if isinstance(name, str) and "." in name:
        return [p.describe() for p in _quantity(name).params]
    if which == "build":
        from superpose.derive.quantity import get_construction
        from superpose.reports import export as _export

        get_construction(name)
        return [p.describe() for p in _export.spec(name).params]
    return [p.describe() for p in _verify_module(name).PARAMS]


# ------------------------------------------------------------------------ evaluate


def _is_array(value: Any) -> bool:
    return isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.ndim > 0)


def evaluate(name: str, /, **params: Any):
    """The value of a derived quantity: its closed form, or its algorithm.

    Parameters
    ----------
    name : str
        ``"construction.quantity"``, e.g. ``"uand-random.rms_error_constant"`` (see
        :func:`quantities`).
    **params
        The quantity's parameters (see :func:`parameters`); omitted ones take their default.
        Each is a number (Python or NumPy scalar) or an array-like (list, tuple,
        :class:`numpy.ndarray`); arrays broadcast against each other as in NumPy.

    Returns
    -------
    int, float or numpy.ndarray
        A Python number when every parameter is a scalar.  Otherwise an array of the
        broadcast shape, ``int64`` for integer quantities (``object`` if a value does not fit)
        and ``float64`` otherwise.  Closed forms are evaluated at 30 significant digits and
        then rounded, so each element equals the scalar call at that point exactly; arrays
        are evaluated point by point (repeated points once), about a millisecond each.

    Raises
    ------
    BadInput
        For an unknown quantity, an unknown or missing parameter, a value out of its range or
        of the wrong type, shapes that do not broadcast, or a quantity that is measured only.
        The message names the parameter (and, for arrays, the index of the bad element).

    Examples
    --------
    >>> evaluate("pingpong.circuits", D=100, d=4)
    625
    >>> evaluate("uand-random.rms_error_constant", l=[3, 4], on=2).shape
    (2,)
    """
    q = _quantity(name)
    _require(q.params, params, q.name)
    if not any(_is_array(v) for v in params.values()):
        params = {k: (v.item() if isinstance(v, np.ndarray) else v) for k, v in params.items()}
        return _plain(q.evaluate(params))
    return _evaluate_array(q, params)


def _plain(value: Any) -> Any:
    """A Python number (an algorithm may return a NumPy scalar)."""
    return value.item() if isinstance(value, np.generic) else value


def _evaluate_array(q: Quantity, params: Mapping[str, Any]) -> np.ndarray:
    by_name = {p.name: p for p in q.params}
    unknown = sorted(set(params) - set(by_name))
    if unknown:
        raise BadInput(f"{q.name}: unknown parameter {unknown[0]!r} "
                       f"(parameters: {', '.join(by_name) or 'none'})")
    for k, v in params.items():
        if not _is_array(v):
            by_name[k].parse(v.item() if isinstance(v, np.ndarray) else v)
    arrays: dict[str, np.ndarray] = {}
    for k, v in params.items():
        if _is_array(v):
            a = np.asarray(v)
            if a.dtype.kind not in "iuf" and a.dtype != object:
                raise BadInput(f"{q.name}: parameter {k}: expected numbers, got an array of "
                               f"{a.dtype}")
            arrays[k] = a
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{k} {a.shape}" for k, a in arrays.items())
        raise BadInput(f"{q.name}: parameter shapes do not broadcast: {shapes}") from None
    arrays = {k: np.broadcast_to(a, shape) for k, a in arrays.items()}
    cache: dict[tuple, Any] = {}
    values: list[Any] = []
    for idx in np.ndindex(shape):
        raw = dict(params)
        raw.update((k, a[idx]) for k, a in arrays.items())
        try:
            bound = q.bind(raw)
            key = tuple(bound.items())
            if key not in cache:
                cache[key] = _plain(q.evaluate(bound))
        except BadInput as exc:
            where = f" (at index {idx[0] if len(idx) == 1 else idx})" if idx else ""
            raise BadInput(f"{exc}{where}") from None
        values.append(cache[key])
    if values and all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                      for v in values) or (not values and q.integer):
        try:
            return np.array(values, dtype=np.int64).reshape(shape)
        except OverflowError:
            out = np.empty(len(values), dtype=object)
            out[:] = values
            return out.reshape(shape)
    return np.array(values, dtype=np.float64).reshape(shape)


# -------------------------------------------------------------------------- verify


class Results:
    """The checks of one Monte Carlo run of a construction (what :func:`verify` returns).

    Iterating gives the :class:`~superpose.verify.check.CheckResult` objects; ``len`` is their
    number and ``results[i]`` the i-th.

    Attributes
    ----------
    construction : str
        The construction's name.
    params : dict
        The bound parameters of the run (defaults filled in).
    seed : int
        The seed; the same seed gives the same numbers.
    trials : int
        Monte Carlo trials (forward passes) of the run.
    checks : list of CheckResult
        One verdict per measurement: ``name``, ``quantity``, ``verdict`` (``"pass"``,
        ``"fail"``, ``"info"`` or ``"skip"``), ``predicted``, ``measured``, ``se``, ``ci``,
        ``z``, ``n``, ``n_networks``, ...
    measurements : list of Measurement
        The raw measurements the checks judged.
    """

    def __init__(self, construction: str, params: dict, seed: int, trials: int,
                 checks: list, measurements: list | None = None) -> None:
        self.construction = construction
        self.params = params
        self.seed = seed
        self.trials = trials
        self.checks = list(checks)
        self.measurements = list(measurements or [])

    # -- container
    def __len__(self) -> int:
        return len(self.checks)

    def __iter__(self) -> Iterator:
        return iter(self.checks)

    def __getitem__(self, i):
        return self.checks[i]

    # -- verdicts
    @property
    def passed(self) -> bool:
        """True when no check failed (``info`` and ``skip`` verdicts do not fail a run)."""
        return not self.failed

    @property
    def failed(self) -> list:
        """The checks whose verdict is ``"fail"``."""
        return [c for c in self.checks if c.verdict == "fail"]

    def counts(self) -> dict[str, int]:
        """Number of checks per verdict, e.g. ``{"pass": 28, "info": 1}``."""
        out: dict[str, int] = {}
        for c in self.checks:
            out[c.verdict] = out.get(c.verdict, 0) + 1
        return out

    # -- export
    def to_json(self) -> dict[str, Any]:
        """The run as a JSON-ready dict: the record ``superpose verify NAME --json`` prints.

        Returns
        -------
        dict
            Keys ``schema_version`` (:data:`CHECKS_SCHEMA_VERSION`), ``construction``,
            ``params``, ``seed``, ``trials`` and ``checks`` (one dict per check; non-finite
            numbers are ``None``).
        """
        return {"schema_version": CHECKS_SCHEMA_VERSION, "construction": self.construction,
                "params": dict(self.params), "seed": self.seed, "trials": self.trials,
                "checks": [c.to_json() for c in self.checks]}

    def to_frame(self):
        """The checks as a :class:`pandas.DataFrame`, one row per check.

        Returns
        -------
        pandas.DataFrame
            Columns ``name``, ``quantity``, ``verdict``, ``predicted``, ``measured``, ``se``,
            ``ci_low``, ``ci_high``, ``z``, ``n``, ``n_networks``, ``statistic``,
            ``accuracy``, ``sided``, ``tolerance``, ``slack``, ``predicted_published``,
            ``params`` (a dict per row), ``seed``, ``source`` and ``note``.

        Raises
        ------
        ImportError
            If pandas is not installed (``pip install 'superpose[frame]'``).
        """
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("Results.to_frame needs pandas: pip install 'superpose[frame]'") \
                from None
        rows = []
        for c in self.checks:
            d = c.to_json()
            d["ci_low"], d["ci_high"] = d.pop("ci")
            rows.append(d)
        return pd.DataFrame(rows, columns=list(_FRAME_COLUMNS))

    # -- display
    def _summary(self) -> str:
        counts = ", ".join(f"{n} {v}" for v, n in self.counts().items())
        return (f"Results({self.construction!r}, seed={self.seed}, trials={self.trials}): "
                f"{len(self)} checks ({counts or 'none'}), "
                + ("passed" if self.passed else f"FAILED {len(self.failed)}"))

    def _rows(self) -> list[tuple[str, str, str, str, str]]:
        def num(x):
            return "-" if x is None else f"{x:.6g}"

        return [(c.verdict, c.name, num(c.predicted), num(c.measured), num(c.se))
                for c in self.checks]

    def __repr__(self) -> str:
        head = ("verdict", "check", "predicted", "measured", "se")
        rows = self._rows()
        shown = rows[:_REPR_ROWS]
        width = [max(len(r[i]) for r in [head, *shown]) for i in range(5)]
        width[1] = min(width[1], 60)

        def line(r):
            name = r[1] if len(r[1]) <= width[1] else r[1][:width[1] - 1] + "…"
            return (f"{r[0]:<{width[0]}}  {name:<{width[1]}}  {r[2]:>{width[2]}}  "
                    f"{r[3]:>{width[3]}}  {r[4]:>{width[4]}}").rstrip()

        params = ", ".join(f"{k}={v}" for k, v in self.params.items())
        out = [self._summary(), f"params: {params}", line(head)] + [line(r) for r in shown]
        if len(rows) > len(shown):
            out.append(f"... {len(rows) - len(shown)} more (list(results) or .to_frame())")
        return "\n".join(out)

    def _repr_html_(self) -> str:
        e = html.escape
        head = "".join(f"<th>{h}</th>" for h in ("verdict", "check", "predicted", "measured",
                                                  "se"))
        body = "".join("<tr>" + "".join(f"<td>{e(x)}</td>" for x in r) + "</tr>"
                       for r in self._rows())
        params = ", ".join(f"{k}={v}" for k, v in self.params.items())
        return (f"<p>{e(self._summary())}<br><code>{e(params)}</code></p>"
                f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


_REPR_ROWS = 20
_FRAME_COLUMNS = ("name", "quantity", "verdict", "predicted", "measured", "se", "ci_low",
                  "ci_high", "z", "n", "n_networks", "statistic", "accuracy", "sided",
                  "tolerance", "slack", "predicted_published", "params", "seed", "source",
                  "note")


def verify(name: str, /, *, trials: int | None = None, seed: int = 0,
           progress: Callable[[str], None] | None = None, **params: Any) -> Results:
    """Build the real network of a construction and check every derived quantity against it.

    The network is simulated by Monte Carlo; each measured quantity is judged against its
    prediction by the rule its accuracy declares (:mod:`superpose.verify.check`).  This is
    ``superpose verify NAME`` in Python.

    Parameters
    ----------
    name : str
        A construction (see :func:`constructions`).
    trials : int, optional
        Monte Carlo trials (forward passes); the construction's default when omitted.
    seed : int, default 0
        Seed of every random stream; the same seed gives the same numbers.
    progress : callable, optional
        Called with a one-line message as the run advances (e.g. ``print``).
    **params
        The construction's Monte Carlo parameters (see :func:`parameters`); omitted ones take
        their default.  NumPy scalars are accepted.

    Returns
    -------
    Results
        The checks, with ``.passed``, ``.failed``, ``.to_json()`` and ``.to_frame()``.

    Raises
    ------
    BadInput
        For an unknown construction or parameter, a value out of range, ``trials < 1`` or
        ``seed < 0``; the message names the parameter.

    Examples
    --------
    >>> res = verify("uand-random", trials=500, seed=0)   # doctest: +SKIP
    >>> res.passed                                         # doctest: +SKIP
    True
    """
    mod = _verify_module(name)
    if trials is None:
        trials = mod.DEFAULT_TRIALS
    trials = _count(trials, "trials", 1)
    seed = _count(seed, "seed", 0)
    if progress is not None and not callable(progress):
        raise BadInput(f"progress must be callable or None, got {progress!r}")
    _require(mod.PARAMS, params, f"verify {name}")
    from superpose.verify.check import run_checks

    run = run_checks(name, params, trials=trials, seed=seed, progress=progress)
    return Results(name, dict(run.params), seed, trials, run.results, run.measurements)


# --------------------------------------------------------------------------- build


def build(name: str, /, *, seed: int = 0, storage: str = "dense", **params: Any):
    """Build the network of a construction in memory, with its ground truth.

    The network is the one ``superpose export NAME`` writes (same parameters, same seed,
    same weights).

    Parameters
    ----------
    name : str
        An exportable construction (``"uand-random"``, ``"uand-sparse"``, ``"cis2"``,
        ``"rotations"``).
    seed : int, default 0
        Seed of the weights.
    storage : {"dense", "factored"}, default "dense"
        ``"dense"`` holds every layer's weight matrix (refused above 256 MiB);
        ``"factored"`` only the construction's own arrays, with a forward pass that uses them
        (the same outputs; for networks too large to hold densely).
    **params
        The network's parameters (see ``parameters(name, which="build")``); omitted ones
        take their default.

    Returns
    -------
    network
        An object with ``forward(x)`` (outputs of inputs ``x`` of shape ``(batch, input_dim)``),
        ``sample_inputs(n, rng)`` (``n`` valid inputs with their ground-truth targets, as a
        dict of arrays; ``rng`` is a seed or a :class:`numpy.random.Generator`),
        ``manifest`` and ``arrays``.

    Raises
    ------
    BadInput
        For an unknown construction or parameter, a value out of range, or a dense network
        over the size limit.

    Examples
    --------
    >>> net = build("uand-random", seed=0, N=64, m=8)         # doctest: +SKIP
    >>> batch = net.sample_inputs(16, rng=0)                  # doctest: +SKIP
    >>> net.forward(batch["input"]).shape                     # doctest: +SKIP
    (16, 28)
    """
    from superpose.reports import export as _export

    seed = _count(seed, "seed", 0)
    if storage not in ("dense", "factored"):
        raise BadInput(f"storage must be 'dense' or 'factored', got {storage!r}")
    return _export.build(name, dict(params), seed, fmt=storage)


def load(path) -> Any:
    """Read a network written by ``superpose export`` (or :func:`superpose.reports.export`).

    Parameters
    ----------
    path : str or os.PathLike
        The export folder (``manifest.json`` and ``arrays.npz``).

    Returns
    -------
    network
        The same kind of object :func:`build` returns; its stored check pass has been
        recomputed and found equal bit for bit.

    Raises
    ------
    BadInput
        If the folder is not an export, is corrupt, or its forward pass differs.
    """
    from superpose.reports import export as _export

    return _export.load(path)
