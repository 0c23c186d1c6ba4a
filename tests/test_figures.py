"""Every figure script draws at print size and returns (pdf, caption) pairs.

The report places each figure at the size it was drawn (no scaling), so a figure must fit the
text width and a page with its caption (``plots.MAX_WIDTH`` x ``plots.MAX_HEIGHT`` inches)
and carry no type under ``plots.MIN_FONT`` points; ``plots.save`` refuses one that does not,
and the tests below check the files themselves (the PDF MediaBox) and the captions (not
empty, generated from the run: they name its seed; the report's markup rule).
"""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import numpy as np
import pytest

from superpose.reports import markup, plots

FIGURES = Path(importlib.import_module("superpose.reports.figures").__file__).parent
#: Scripts other work is creating at the same time (their own tests cover them).
ELSEWHERE = ("cis1_", "cis2_alloc_")


def scripts() -> list[str]:
    return sorted(p.stem for p in FIGURES.glob("*.py")
                  if p.name != "__init__.py" and not p.stem.startswith(ELSEWHERE))


def media_box(pdf: Path) -> tuple[float, float]:
    """Width and height in inches of the first page's MediaBox."""
    m = re.search(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]",
                  pdf.read_bytes())
    assert m, f"no MediaBox in {pdf}"
    x0, y0, x1, y1 = (float(v) for v in m.groups())
    return (x1 - x0) / 72, (y1 - y0) / 72


def test_report_style_fonts_are_at_least_the_minimum():
    sizes = {k: v for k, v in plots.STYLE.items()
             if k == "font.size" or k.endswith(("fontsize", "labelsize", "titlesize"))}
    assert {"font.size", "xtick.labelsize", "ytick.labelsize", "legend.fontsize",
            "axes.labelsize", "axes.titlesize"} <= set(sizes)
    assert all(v >= plots.MIN_FONT for v in sizes.values()), sizes
    w, h = plots.STYLE["figure.figsize"]
    assert w <= plots.MAX_WIDTH and h <= plots.MAX_HEIGHT
    # the limits are those of an A4 page with 2 cm margins (text 17 cm wide, 25.7 cm high)
    assert plots.MAX_WIDTH <= 17 / 2.54 and plots.MAX_HEIGHT < 25.7 / 2.54
    assert plots.STYLE["savefig.bbox"] is None      # the file has the drawn size


def test_save_refuses_small_type_and_oversize(tmp_path):
    """The guard in plots.save is able to fail: 6 pt text, a 7 in wide figure."""
    with plots.style():
        fig, ax = plots.figure()
        ax.plot([1, 2], [1, 2])
        ax.annotate("tiny", (1, 1), fontsize=6)
    with pytest.raises(ValueError, match="6 pt"):
        plots.save(fig, tmp_path, "small")
    with plots.style():
        fig, ax = plots.figure(figsize=(7.0, 3.0))
        ax.plot([1, 2], [1, 2])
    with pytest.raises(ValueError, match="exceeds"):
        plots.save(fig, tmp_path, "wide")
    with plots.style():
        fig, ax = plots.figure()
        ax.plot([1, 2], [1, 2])
        ax.tick_params(labelsize=5)            # tick labels count too
    with pytest.raises(ValueError, match="5 pt"):
        plots.save(fig, tmp_path, "ticks")
    assert not list(tmp_path.iterdir())


def test_saved_file_has_the_drawn_size(tmp_path):
    with plots.style():
        fig, ax = plots.figure(figsize=(4.0, 2.5))
        ax.plot([1, 2], [1, 2], label="a line with a long legend entry")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2))
        pdf, cap = plots.save_captioned(fig, tmp_path, "sized", "A line.")
    assert cap == "A line." and pdf.name == "sized.pdf"
    assert media_box(pdf) == pytest.approx((4.0, 2.5), abs=0.01)
    assert (tmp_path / "sized.png").is_file()


def test_log_bars_stay_positive():
    """errorbar(log=True): bars y exp(+-z se/y), positive where y - z se is not; zeros dropped."""
    with plots.style():
        fig, ax = plots.figure()
        c = plots.errorbar(ax, [1, 2, 3], [0.0, 1.0, 2.0], [0.5, 1.0, 0.1], z=4, log=True)
    x, y = c[0].get_data()
    assert list(x) == [2, 3] and list(y) == [1.0, 2.0]
    segs = c[2][0].get_segments()
    lows = np.array([min(s[0][1], s[1][1]) for s in segs])
    highs = np.array([max(s[0][1], s[1][1]) for s in segs])
    assert np.all(lows > 0)
    assert lows == pytest.approx([np.exp(-4.0), 2 * np.exp(-0.2)])
    assert highs == pytest.approx([np.exp(4.0), 2 * np.exp(0.2)])   # (1 - 4 * 1 < 0 linearly)


def test_plain_log_labels_match_matplotlib():
    """The plain-text log labels say what matplotlib's mathtext ones say."""
    f = plots.PlainLogFormatter(base=10)
    g = plots.PlainLogFormatter(base=2)
    assert f(1e-3) == "10\u207b\u00b3" and f(100.0) == "10\u00b2" and f(1.0) == "10\u2070"
    assert g(16.0) == "2\u2074"


def test_mathtext_cache_is_restored():
    from matplotlib.mathtext import MathTextParser

    before = MathTextParser.__dict__["_parse_cached"]
    with plots._mathtext_cache():
        assert MathTextParser.__dict__["_parse_cached"] is not before
    assert MathTextParser.__dict__["_parse_cached"] is before


def test_checks_figures_have_legible_labels_and_a_minimum_span(tmp_path):
    rows = [{"name": f"demo.q{i}", "measured": 1.0, "predicted": 1.0, "se": 0.0,
             "verdict": "pass"} for i in range(5)]
    [fig] = plots.checks_figures(rows, title="demo")
    lo, hi = fig.axes[0].get_xlim()
    assert lo <= 1 - plots.MIN_HALF_SPAN and hi >= 1 + plots.MIN_HALF_SPAN
    pdf = plots.save(fig, tmp_path, "checks_demo")[0]   # save's guard: fonts, size
    assert media_box(pdf)[0] <= plots.MAX_WIDTH + 0.01
    many = [{"name": f"demo.q{i}", "measured": 1.0 + 0.01 * i, "predicted": 1.0, "se": 0.01,
             "verdict": "pass"} for i in range(plots.ROWS_PER_PANEL)]
    [fig] = plots.checks_figures(many, title="demo")
    assert fig.get_size_inches()[1] <= plots.MAX_HEIGHT
    assert not plots.print_problems(fig)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """Every script's make at the smoke scale (seed 3), drawn inside the report style."""
    out = tmp_path_factory.mktemp("figures")
    res = {}
    for name in scripts():
        mod = importlib.import_module(f"superpose.reports.figures.{name}")
        with plots.style():
            res[name] = mod.make(out, "smoke", 3)
    return res


@pytest.mark.parametrize("name", scripts())
def test_make_returns_captioned_pdfs_at_print_size(made, name):
    pairs = made[name]
    assert isinstance(pairs, list) and pairs
    for pair in pairs:
        assert isinstance(pair, tuple) and len(pair) == 2, pair
        pdf, caption = Path(pair[0]), pair[1]
        assert pdf.suffix == ".pdf" and pdf.is_file()
        assert pdf.with_suffix(".png").is_file()
        w, h = media_box(pdf)
        assert w <= plots.MAX_WIDTH + 0.01 and h <= plots.MAX_HEIGHT + 0.01, (pdf.name, w, h)
        assert isinstance(caption, str) and len(caption) > 80
        assert "seed 3" in caption and "smoke scale" in caption     # generated from the run
        assert markup.problems(caption) == [], (pdf.name, markup.problems(caption))


def test_rotations_grid_is_split_and_keyed_in_the_figure(made):
    """Six figures; the caption names the pairs actually run, not the paper's 41."""
    from superpose.reports.figures import rotations_grid as G

    pairs = made["rotations_grid"]
    assert len(pairs) == 6
    smoke_pairs = G.SCALES["smoke"][0]
    for _, cap in pairs:
        assert f"{len(smoke_pairs)} pairs" in cap
        assert all(f"({D},{T})" in cap for D, T in smoke_pairs)
        assert "Dashed" not in cap                   # the line styles are in the legend


def test_maxlaw_caption_names_the_evidence(made):
    [(_, cap)] = made["uand_random_maxlaw"]
    assert "rigorous" in cap and "not proved" in cap and "extreme-value" in cap
    assert "chi^2" in cap and "per degree of freedom" in cap   # the fits are reported


def test_asymptotic_caption_claims_no_power_law_from_few_widths(made):
    [(_, cap)] = made["rotations_asymptotic"]
    assert "cannot establish a law" in cap
    assert "D^{" not in cap


def test_figure_scripts_do_not_keep_a_static_caption():
    """Captions come from make (the run), not a module constant."""
    for name in scripts():
        mod = importlib.import_module(f"superpose.reports.figures.{name}")
        assert not hasattr(mod, "CAPTION"), name
