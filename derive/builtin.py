"""The built-in constructions, registered through the same entry-point group as any other
(``pyproject.toml``, ``[project.entry-points."superpose.constructions"]``)."""
from __future__ import annotations

from superpose.derive.protocol import ConstructionEntry


def _builtin(name: str, order: int, *, verify: bool = True, export: bool = False):
    snake = name.replace("-", "_")
    return ConstructionEntry(
        name, derive=f"superpose.derive.{snake}",
        verify=f"superpose.verify.{snake}" if verify else None,
        export=f"superpose.reports.export.{snake}" if export else None, order=order)


UAND_RANDOM = _builtin("uand-random", 10, export=True)
UAND_SPARSE = _builtin("uand-sparse", 20, export=True)
COSTS = _builtin("costs", 30)
PINGPONG = _builtin("pingpong", 40)
CIS1 = _builtin("cis1", 45, export=True)
CIS2 = _builtin("cis2", 50, export=True)
ROTATIONS = _builtin("rotations", 60, export=True)
BOUNDS = _builtin("bounds", 70)
L4CODES = _builtin("l4codes", 80)
BALLBOX = _builtin("ballbox", 90)
