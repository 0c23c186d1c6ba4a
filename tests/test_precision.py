"""Every closed form evaluates to the same number at 20 and 50 significant digits.

This catches catastrophic cancellation in a derived expression (SymPy's evalf is adaptive,
so a large gap means the expression itself is ill-conditioned at its default parameters).
Quantities whose parameters lack defaults are evaluated at the defaults they do have and
skipped otherwise.
"""
from __future__ import annotations

import pytest

from superpose.derive.quantity import all_quantities

CASES = [q for q in all_quantities()
         if q.closed_form is not None and all(p.default is not None for p in q.params)]


@pytest.mark.skipif(not CASES, reason="no registered closed forms yet")
@pytest.mark.parametrize("q", CASES, ids=[q.name for q in CASES])
def test_closed_form_is_stable_across_precisions(q):
    """The value at the defaults agrees to 1e-15 relative at two working precisions."""
    gap = q.precision_gap({})
    assert gap <= 1e-15, f"{q.name} ({q.eq_label}): precision gap {gap:.2e}"
