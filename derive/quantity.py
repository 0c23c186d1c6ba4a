"""The Quantity record, parameters, and the registry of constructions.

A *Quantity* is one derived number of one construction: what it is (``definition``,
an unevaluated expectation / integral / max, kept for the record and for LaTeX), what
was derived (``closed_form``, a SymPy expression in the parameter symbols, or a
``compute`` function for algorithmic quantities), how the two relate (``accuracy``),
and the derivation (``steps``).

Constructions are discovered through the entry-point group ``superpose.constructions``
(:mod:`superpose.derive.protocol`); each names a module whose ``construction()`` returns a
:class:`Construction`.  The registry imports it lazily, so a slow derivation only runs when its
construction is asked for (and its result is cached on disk, see :mod:`superpose.derive.cache`).

Example
-------
>>> n = Param("n", int, default=2, lo=1)
>>> q = Quantity("demo.half", (n,), "value", "exact", definition=None,
...              closed_form=n.symbol / 2)
>>> q.evaluate({"n": "3"})
1.5
"""
from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import mpmath
import sympy as sp

STATISTICS = ("value", "mean", "mean-square", "rms", "max", "probability", "count")
ACCURACIES = ("exact", "approximate", "upper-bound", "lower-bound", "asymptotic")

class BadInput(ValueError):
    """Bad user input.  The command line prints the message on one line and exits 2."""


def snake(name: str) -> str:
    """Module name of a construction: ``uand-random`` -> ``uand_random``."""
    return name.replace("-", "_")


# --------------------------------------------------------------------------- params


@dataclass(frozen=True)
class Param:
    """One parameter: type, inclusive range, default, and its SymPy symbol.

    ``kind`` is ``int`` or ``float``.  The symbol carries assumptions that make
    simplification valid (``integer``/``positive``...).
    """

    name: str
    kind: type
    default: int | float | None = None
    lo: float | None = None
    hi: float | None = None
    doc: str = ""
    latex: str = ""

    def __post_init__(self) -> None:
        if self.kind not in (int, float):
            raise TypeError(f"Param {self.name}: kind must be int or float")

    @property
    def symbol(self) -> sp.Symbol:
        assumptions: dict[str, bool] = {"real": True}
        if self.kind is int:
            assumptions["integer"] = True
        if self.lo is not None and self.lo > 0:
            assumptions["positive"] = True
        elif self.lo is not None and self.lo >= 0:
            assumptions["nonnegative"] = True
        return sp.Symbol(self.latex or self.name, **assumptions)

    def parse(self, raw: Any) -> int | float:
        """Validate and convert ``raw`` (a string from the command line, or a number)."""
        if isinstance(raw, bool):
            raise BadInput(f"parameter {self.name}: expected {self.kind.__name__}, got a boolean")
        if isinstance(raw, str):
            text = raw.strip()
            try:
                if self.kind is int:
                    value: int | float = int(text)
                else:
                    value = float(text)
            except ValueError:
                if self.kind is int:
                    try:
                        f = float(text)
                    except ValueError:
                        f = math.nan
                    if math.isfinite(f) and f == int(f) and abs(f) < 2**53:
                        value = int(f)
                    else:
                        raise BadInput(
                            f"parameter {self.name}: expected an integer, got {raw!r}"
                        ) from None
                else:
                    raise BadInput(f"parameter {self.name}: expected a number, got {raw!r}") from None
        elif isinstance(raw, numbers.Integral):        # int, numpy integers
            value = int(raw) if self.kind is int else float(raw)
        elif isinstance(raw, numbers.Real):            # float, numpy floats
            raw = float(raw)
            if self.kind is int:
                if not (math.isfinite(raw) and raw == int(raw)):
                    raise BadInput(f"parameter {self.name}: expected an integer, got {raw!r}")
                value = int(raw)
            else:
                value = raw
        else:
            raise BadInput(
                f"parameter {self.name}: expected {self.kind.__name__}, got {type(raw).__name__}"
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise BadInput(f"parameter {self.name}: must be finite, got {raw!r}")
        if self.lo is not None and value < self.lo:
            raise BadInput(f"parameter {self.name} must be >= {_fmt(self.lo)}, got {value}")
        if self.hi is not None and value > self.hi:
            raise BadInput(f"parameter {self.name} must be <= {_fmt(self.hi)}, got {value}")
        return value

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.kind.__name__,
            "default": self.default,
            "min": self.lo,
            "max": self.hi,
            "doc": self.doc,
        }


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


def bind_params(
    params: tuple[Param, ...],
    raw: Mapping[str, Any],
    *,
    what: str,
    constraint: Callable[[dict], str | None] | None = None,
    use_defaults: bool = True,
) -> dict[str, int | float]:
    """Validate ``raw`` against ``params``: no unknown names, no missing values.

    Missing parameters take their default (when ``use_defaults``); a parameter
    without a default must be given.  ``constraint`` checks relations between
    parameters (``on <= l``) and returns an error message or ``None``.
    """
    names = [p.name for p in params]
    extra = sorted(set(raw) - set(names))
    if extra:
        raise BadInput(
            f"{what}: unknown parameter {extra[0]!r} (parameters: {', '.join(names) or 'none'})"
        )
    out: dict[str, int | float] = {}
    for p in params:
        if p.name in raw:
            out[p.name] = p.parse(raw[p.name])
        elif use_defaults and p.default is not None:
            out[p.name] = p.default
        else:
            raise BadInput(f"{what}: missing parameter {p.name}")
    if constraint is not None:
        msg = constraint(out)
        if msg:
            raise BadInput(f"{what}: {msg}")
    return out


# ------------------------------------------------------------------------- quantity


@dataclass(frozen=True)
class Step:
    """One equality of a derivation: ``lhs = rhs`` because ``why``.

    ``lhs``/``rhs`` are SymPy expressions or LaTeX strings; an empty ``lhs`` means
    "continues the previous line".
    """

    lhs: Any
    rhs: Any
    why: str = ""


@dataclass(frozen=True)
class Quantity:
    """One derived quantity of a construction (see DESIGN.md, "The Quantity record")."""

    name: str
    params: tuple[Param, ...]
    statistic: str
    accuracy: str
    definition: Any
    closed_form: sp.Expr | None = None
    compute: Callable[..., float | int] | None = None
    steps: tuple[Step, ...] = ()
    eq_label: str = ""
    source: str = ""
    tolerance: float = 0.0
    tolerance_reason: str = ""
    limit: str = ""
    published: bool = False
    doc: str = ""
    symbol: str = ""
    constraint: Callable[[dict], str | None] | None = field(default=None, compare=False)
    mutants: tuple[tuple[str, sp.Expr], ...] = ()
    integer: bool = False
    #: For a published form: the short name of our quantity that corrects it (default: the
    #: name less ``_published`` when that quantity exists); the Findings print both.
    ours: str = ""

    def __post_init__(self) -> None:
        if "." not in self.name:
            raise ValueError(f"quantity name {self.name!r} must be construction.snake_name")
        if self.statistic not in STATISTICS:
            raise ValueError(f"{self.name}: statistic {self.statistic!r} not in {STATISTICS}")
        if self.accuracy not in ACCURACIES:
            raise ValueError(f"{self.name}: accuracy {self.accuracy!r} not in {ACCURACIES}")
        if self.closed_form is not None and self.compute is not None:
            raise ValueError(f"{self.name}: give closed_form or compute, not both")
        if self.accuracy == "approximate" and not (self.tolerance > 0 and self.tolerance_reason):
            raise ValueError(f"{self.name}: approximate quantities state a tolerance and its reason")
        if self.accuracy == "asymptotic" and not self.limit:
            raise ValueError(f"{self.name}: asymptotic quantities state their limit")

    @property
    def construction(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def short(self) -> str:
        return self.name.split(".", 1)[1]

    @property
    def is_measured_only(self) -> bool:
        """True for quantities registered to be measured (no prediction yet)."""
        return self.closed_form is None and self.compute is None

    def symbols(self) -> dict[str, sp.Symbol]:
        return {p.name: p.symbol for p in self.params}

    def bind(self, raw: Mapping[str, Any], *, use_defaults: bool = True) -> dict[str, int | float]:
        return bind_params(
            self.params, raw, what=self.name, constraint=self.constraint, use_defaults=use_defaults
        )

    def evaluate(self, raw: Mapping[str, Any] | None = None, /, *, dps: int = 30,
                 **params: Any) -> float | int:
        """The closed form (or ``compute``) at the given parameters, as a Python number.

        Parameters come as a mapping, as keywords, or both: ``q.evaluate({"l": 3}, on=2)``,
        ``q.evaluate(l=3, on=2)``.
        """
        values = self.bind({**(raw or {}), **params})
        if self.compute is not None:
            return self.compute(**values)
        if self.closed_form is None:
            raise BadInput(f"{self.name} is measured, not derived: nothing to evaluate")
        v = self.evaluate_mp(values, dps=dps)
        if self.integer:
            return int(mpmath.nint(v))
        return float(v)

    def evaluate_mp(self, values: Mapping[str, Any], *, dps: int = 30) -> mpmath.mpf:
        """High-precision value of the closed form (at ``dps`` decimal digits)."""
        assert self.closed_form is not None
        subs = {self.symbols()[k]: sp.Rational(v) if isinstance(v, int) else sp.Float(v, dps + 5)
                for k, v in values.items() if k in self.symbols()}
        expr = self.closed_form.xreplace(subs)
        with mpmath.workdps(dps + 5):
            val = sp.N(expr, dps)
            if not val.is_real:
                raise BadInput(f"{self.name}: closed form is not real at {dict(values)}: {val}")
            return mpmath.mpf(str(val))

    def precision_gap(self, raw: Mapping[str, Any], dps: tuple[int, int] = (20, 50)) -> float:
        """Relative disagreement of the closed form evaluated at two precisions.

        Large values flag catastrophic cancellation (e.g. differences of nearly equal
        arcsines at large ``l``); 0.0 for ``compute`` and measured-only quantities.
        """
        if self.closed_form is None:
            return 0.0
        values = self.bind(raw)
        lo, hi = (self.evaluate_mp(values, dps=d) for d in dps)
        with mpmath.workdps(dps[1]):
            if hi == 0:
                return float(abs(lo))
            return float(abs(lo - hi) / abs(hi))

    def latex_value(self) -> str:
        if self.closed_form is not None:
            return sp.latex(self.closed_form)
        return r"\text{computed}" if self.compute is not None else r"\text{measured}"

    def scaled(self, factor: float) -> "Quantity":
        """A mutant whose prediction is ``factor`` times ours (for mutation audits)."""
        if self.compute is not None:
            base = self.compute
            return dataclasses.replace(self, compute=lambda **kw: factor * base(**kw))
        if self.closed_form is None:
            return self
        return dataclasses.replace(self, closed_form=sp.Float(factor) * self.closed_form)

    def shifted(self, delta: int | float) -> "Quantity":
        """A mutant whose prediction is ours plus ``delta`` (integer counts: off by one)."""
        if self.compute is not None:
            base = self.compute
            return dataclasses.replace(self, compute=lambda **kw: base(**kw) + delta)
        if self.closed_form is None:
            return self
        return dataclasses.replace(self, closed_form=self.closed_form + delta)

    def with_closed_form(self, expr: sp.Expr) -> "Quantity":
        return dataclasses.replace(self, closed_form=expr, compute=None)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "statistic": self.statistic,
            "accuracy": self.accuracy,
            "tolerance": self.tolerance or None,
            "limit": self.limit or None,
            "published": self.published,
            "params": [p.describe() for p in self.params],
            "closed_form": str(self.closed_form) if self.closed_form is not None
            else ("compute" if self.compute is not None else "measured"),
            "eq_label": self.eq_label,
            "source": self.source,
            "doc": self.doc,
        }


# ------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class Answer:
    """An open question a construction's measurements answer, for the report's Findings.

    ``question`` is one sentence of report prose (math only inside ``$...$``);
    ``answer(checks)`` gets every check record of the report (``CheckResult.to_json()``
    dicts, keyed by check name) and returns one sentence with the numbers, or ``None``
    when the checks it needs did not run at this scale; ``where`` is the LaTeX label of the
    figure, table or section that carries the evidence (``fig:<figure module>``,
    ``tab:<name>``, ``sec:<construction>``).
    """

    question: str
    answer: Callable[[Mapping[str, Mapping[str, Any]]], str | None]
    where: str = ""


@dataclass(frozen=True)
class Construction:
    """A construction: its quantities, in order, and what the report needs to know.

    ``discussion`` is a short paragraph of report prose (the limits of each model) printed
    after the construction's figures; ``answers`` feed the report's Findings.
    """

    name: str
    title: str
    doc: str
    quantities: tuple[Quantity, ...]
    source: str = ""
    intro_latex: str = ""
    discussion: str = ""
    answers: tuple[Answer, ...] = ()

    def __post_init__(self) -> None:
        seen = set()
        for q in self.quantities:
            if q.construction != self.name:
                raise ValueError(f"{q.name} registered under {self.name}")
            if q.name in seen:
                raise ValueError(f"duplicate quantity {q.name}")
            seen.add(q.name)

    def get(self, short: str) -> Quantity:
        for q in self.quantities:
            if q.short == short:
                return q
        names = ", ".join(q.short for q in self.quantities)
        raise BadInput(f"unknown quantity {self.name}.{short} (known: {names})")


_CACHE: dict[str, Construction] = {}


def available() -> list[str]:
    """Names of the registered constructions (entry-point group ``superpose.constructions``),
    in report order."""
    from superpose.derive.protocol import entries

    return list(entries())


def get_construction(name: str) -> Construction:
    """The construction registered under ``name`` (imported and built on first use)."""
    if not isinstance(name, str) or name not in available():
        raise BadInput(
            f"unknown construction {name!r} (known: {', '.join(available())})"
        )
    if name not in _CACHE:
        from superpose.derive.protocol import entries

        module = importlib.import_module(entries()[name].derive)
        built = module.construction()
        if not isinstance(built, Construction) or built.name != name:
            raise TypeError(f"{entries()[name].derive}.construction() must return the "
                            f"Construction {name!r}")
        _CACHE[name] = built
    return _CACHE[name]


def get_quantity(full: str) -> Quantity:
    if not isinstance(full, str) or "." not in full:
        raise BadInput(f"expected CONSTRUCTION.QUANTITY, got {full!r}")
    cname, short = full.split(".", 1)
    return get_construction(cname).get(short)


def all_quantities() -> list[Quantity]:
    return [q for n in available() for q in get_construction(n).quantities]
