"""The construction protocol: how a construction declares itself to superpose.

A construction is one :class:`ConstructionEntry`, published under the entry-point group
``superpose.constructions``.  The built-in constructions are registered exactly the way a
third-party package registers its own (``pyproject.toml``)::

    [project.entry-points."superpose.constructions"]
    my-gate = "my_package.superpose_plugin:ENTRY"

where ``ENTRY = ConstructionEntry("my-gate", derive="my_package.theory",
verify="my_package.network")``.  The entry names modules, it does not import them: a
construction's code is imported only when it is asked for.

The two halves (the guide ``docs/guide/construction.md`` has a worked example):

derive side (module ``derive``)
    ``construction() -> Construction``: parameters declared once (:class:`~.quantity.Param`),
    the quantities (:class:`~.quantity.Quantity`), their derivation steps and sources.
verify side (module ``verify``, see :mod:`superpose.verify.protocol`)
    ``PARAMS`` (reusing the derive side's :class:`~.quantity.Param` objects), ``DEFAULT_TRIALS``,
    ``SCALES`` (``smoke``/``quick``/``paper`` cases), ``measure(params, *, trials, seed,
    progress)``; optionally ``constraint``, ``estimate_cost``, ``build`` and ``sample``.
export (module ``export``, optional)
    ``EXPORT``: how to write a network of this construction with its ground truth.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache

#: The entry-point group constructions are discovered through.
ENTRY_POINT_GROUP = "superpose.constructions"


@dataclass(frozen=True)
class ConstructionEntry:
    """What a package declares to add one construction.

    Parameters
    ----------
    name : str
        Kebab-case name used on the command line (``uand-random``).
    derive : str
        Importable module whose ``construction()`` returns the
        :class:`~superpose.derive.quantity.Construction`.
    verify : str, optional
        Importable module implementing the verify protocol; ``None`` if the construction is
        derived only (``superpose verify`` then says so).
    export : str, optional
        Importable module defining ``EXPORT`` (see :mod:`superpose.reports.export`).
    order : int
        Position in listings and in the report (built-ins use 10, 20, ...; the default puts a
        third-party construction after them).
    """

    name: str
    derive: str
    verify: str | None = None
    export: str | None = None
    order: int = 1000

    def __post_init__(self) -> None:
        import re

        if not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", self.name):
            raise ValueError(f"construction name {self.name!r} must be kebab-case")


def _load_entry_points() -> list[ConstructionEntry]:
    from importlib.metadata import entry_points

    found: list[ConstructionEntry] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            entry = ep.load()
        except Exception as exc:  # a broken plugin must not take the toolkit down
            warnings.warn(f"superpose: construction entry point {ep.name!r} ({ep.value}) "
                          f"failed to load: {exc}", RuntimeWarning, stacklevel=2)
            continue
        if callable(entry) and not isinstance(entry, ConstructionEntry):
            entry = entry()
        if not isinstance(entry, ConstructionEntry) or entry.name != ep.name:
            warnings.warn(f"superpose: entry point {ep.name!r} does not name a "
                          f"ConstructionEntry called {ep.name!r}; ignored", RuntimeWarning,
                          stacklevel=2)
            continue
        found.append(entry)
    return found


@lru_cache(maxsize=1)
def entries() -> dict[str, ConstructionEntry]:
    """Every registered construction, by name, in report order (cached per process)."""
    found = sorted(_load_entry_points(), key=lambda e: (e.order, e.name))
    out: dict[str, ConstructionEntry] = {}
    for e in found:
        out.setdefault(e.name, e)   # the first registration of a name wins
    return out


def refresh() -> None:
    """Forget the discovered entries (after installing a plugin in a running session)."""
    entries.cache_clear()
