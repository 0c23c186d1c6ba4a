"""The quick report as a paper fits its bounds (issue: "The report as a paper"): body at most
35 pages, the whole PDF at most 80, no overfull box wider than 5 pt and no float too large.
Builds the quick report (a minute or two of CPU): marked slow, run on demand with
``pytest -m slow tests/test_report_bounds.py``; the smoke report's layout is checked in the
default run (tests/test_report.py::test_real_smoke_report)."""
from __future__ import annotations

import shutil

import pytest

from superpose.reports import report

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("latexmk") is None, reason="latexmk not installed")]

BODY_PAGES, TOTAL_PAGES = 35, 80


def test_quick_report_fits_its_page_and_layout_bounds(tmp_path):
    out = tmp_path / "rep"
    code = report.build_report(out, scale="quick", seed=0, progress=False)
    assert code == 0
    lay = report.layout((out / "report.log").read_text(encoding="utf-8", errors="replace"))
    assert lay["pages"] is not None and lay["body_pages"] is not None
    assert lay["body_pages"] <= BODY_PAGES, lay
    assert lay["pages"] <= TOTAL_PAGES, lay
    assert lay["overfull"] == [] and lay["float_too_large"] == 0, lay
