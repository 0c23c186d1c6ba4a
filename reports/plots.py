"""Shared plot helpers: one style, deterministic files, error bars at +-Z*SE.

A figure is a script ``reports/figures/<construction_snake>_<name>.py`` with

* ``make(outdir: Path, scale: str, seed: int, progress=None) -> list[tuple[Path, str]]``
  -- draws its figures (the numbers measured by the construction's verify module, on
  streams of :func:`verify.rng.stream` keyed by ``seed``) and writes each with
  :func:`save_captioned`, which returns ``(pdf path, caption)``.  The caption is generated
  from what this call ran (the parameters of this scale, the trials, the seed) and obeys the
  report's markup rule (:mod:`superpose.reports.markup`: prose, math in ``$...$``).

Every figure is drawn at its print size, because the report places it unscaled: at most
:data:`MAX_WIDTH` x :data:`MAX_HEIGHT` inches (a figure and its caption fit one A4 page
with 2 cm margins) and no text under :data:`MIN_FONT` points; :func:`save` refuses a
figure that breaks either (:func:`print_problems`).  The key to line styles is a legend
inside the figure, never the caption.  Positive quantities go on log axes with bars that
stay positive (:func:`errorbar` with ``log=True``).

:func:`save` writes ``<name>.pdf`` and ``<name>.png`` byte-for-byte reproducibly: no
dates in the PDF, no software tag in the PNG, a fixed dpi, and the report's provenance
(seed, scale, git revision, versions) in the files' metadata when the report is
building (:func:`provenance`).

Importing this module (or a figure script) leaves matplotlib's global state alone: no
backend switch and no ``rcParams`` change.  The style is applied only inside
:func:`style` (a :func:`matplotlib.rc_context`; the report runs each ``make`` in it), and
figures are drawn on :class:`matplotlib.figure.Figure` with an Agg canvas, never through
``pyplot``, so no backend is needed at all.

>>> import tempfile, pathlib
>>> with style():
...     fig, ax = figure()
...     _ = ax.plot([0, 1], [0, 1])
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> [p.name for p in save(fig, d, "demo")]
['demo.pdf', 'demo.png']
"""
from __future__ import annotations

import contextlib
import functools
import re
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import matplotlib
import numpy as np
from matplotlib import ticker
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from superpose.verify.check import Z

DPI = 200
PRODUCER = "superpose (matplotlib)"
#: Print size limits (inches): the text width (17 cm) and a height that leaves room for a
#: caption on an A4 page with 2 cm margins.
MAX_WIDTH, MAX_HEIGHT = 6.6, 8.5
#: The smallest type (points) anywhere in a figure: tick labels, legends, annotations.
MIN_FONT = 7.0

#: The report's look: serif type that matches the LaTeX body (every size >= MIN_FONT at
#: the drawn size, which is the printed size), light grid.  No ``bbox_inches="tight"``:
#: the constrained layout fits everything inside the figure, so the file has exactly the
#: size the figure was drawn at.
STYLE: dict[str, Any] = {
    "figure.figsize": (5.5, 3.4),
    # 72: the layout draw then shares the PDF's text metrics and parsed mathtext (both at
    # 72 dpi), so only the PNG (savefig.dpi) lays out its text again
    "figure.dpi": 72,
    "savefig.dpi": DPI,
    "savefig.bbox": None,
    "savefig.pad_inches": 0.05,
    "font.size": 9,
    "font.family": "serif",
    "mathtext.fontset": "cm",
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "figure.titlesize": 9,
    "legend.fontsize": 8,
    "legend.title_fontsize": 8,
    "legend.frameon": False,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.5,
    "lines.linewidth": 1.2,
    "lines.markersize": 4,
    "errorbar.capsize": 2,
    "axes.prop_cycle": matplotlib.cycler(color=[
        "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]),
    "svg.hashsalt": "superpose",
    "pdf.compression": 6,
}

_PROVENANCE: dict[str, str] = {}


@contextlib.contextmanager
def style() -> Iterator[None]:
    """Use the report style inside a ``with`` block."""
    with matplotlib.rc_context(STYLE):
        yield


@contextlib.contextmanager
def provenance(meta: Mapping[str, Any]) -> Iterator[None]:
    """Record ``meta`` (seed, scale, revision...) in every file :func:`save` writes."""
    old = dict(_PROVENANCE)
    _PROVENANCE.clear()
    _PROVENANCE.update({str(k): _flat(v) for k, v in meta.items()})
    try:
        yield
    finally:
        _PROVENANCE.clear()
        _PROVENANCE.update(old)


def _flat(v: Any) -> str:
    if isinstance(v, Mapping):
        return ", ".join(f"{k}={x}" for k, x in v.items())
    return str(v)


#: Keywords of :meth:`matplotlib.figure.Figure.subplots` (the rest go to ``Figure``).
_SUBPLOTS_KW = ("sharex", "sharey", "squeeze", "width_ratios", "height_ratios",
                "subplot_kw", "gridspec_kw")


def figure(ncols: int = 1, nrows: int = 1, **kw):
    """``(fig, axes)`` as ``plt.subplots`` returns them, in the report style, on an Agg
    canvas (no pyplot, no backend).  Draw on it inside :func:`style`: artists read the
    style when they are created."""
    with style():
        w, h = STYLE["figure.figsize"]
        kw.setdefault("figsize", (w if ncols == 1 else min(w * ncols * 0.6, MAX_WIDTH),
                                  h * nrows))
        kw.setdefault("layout", "constrained")
        sub = {k: kw.pop(k) for k in _SUBPLOTS_KW if k in kw}
        fig = Figure(**kw)
        FigureCanvasAgg(fig)
        return fig, fig.subplots(nrows, ncols, **sub)


_SUPERSCRIPT = str.maketrans("0123456789-+.", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺⋅")


class PlainLogFormatter(ticker.LogFormatterSciNotation):
    """Log tick labels as plain text with Unicode superscripts (``10⁻²``, ``2×10³``, ``2⁴``)
    instead of mathtext: the same labels, without a mathtext parse per label and dpi (which
    dominates the drawing time of figures with many log panels).  Falls back to the
    mathtext label for anything it does not recognise."""

    def __call__(self, x, pos=None):
        s = super().__call__(x, pos)
        m = re.fullmatch(r"\$\\mathdefault\{(.*)\}\$", s)
        if not m:
            return s
        body = m.group(1).replace(r"\times", "×")
        body = re.sub(r"\^\{([-+0-9.]+)\}", lambda g: g.group(1).translate(_SUPERSCRIPT), body)
        if "\\" in body or "{" in body or "^" in body:
            return s
        return body.replace("-", "−")


def plain_log_ticks(fig) -> None:
    """Give every log axis of ``fig`` that still has matplotlib's default mathtext log
    labels the :class:`PlainLogFormatter` (same base, same label rule)."""
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for get, put in ((axis.get_major_formatter, axis.set_major_formatter),
                             (axis.get_minor_formatter, axis.set_minor_formatter)):
                f = get()
                if type(f) is ticker.LogFormatterSciNotation:
                    g = PlainLogFormatter(base=f._base, labelOnlyBase=f.labelOnlyBase,
                                          minor_thresholds=f.minor_thresholds,
                                          linthresh=f._linthresh)
                    put(g)


def print_problems(fig) -> list[str]:
    """What keeps ``fig`` from being placed at its drawn size: a size over
    :data:`MAX_WIDTH` x :data:`MAX_HEIGHT` inches, visible text under :data:`MIN_FONT`
    points.  Lays the figure out first (tick labels exist only after a draw)."""
    with style():
        fig.draw_without_rendering()
    return _size_problems(fig) + _text_problems(fig)


def _size_problems(fig) -> list[str]:
    w, h = fig.get_size_inches()
    if w > MAX_WIDTH + 1e-9 or h > MAX_HEIGHT + 1e-9:
        return [f"size {w:.2f} x {h:.2f} in exceeds {MAX_WIDTH} x {MAX_HEIGHT} in"]
    return []


def _text_problems(fig) -> list[str]:
    from matplotlib.text import Text

    return [f"text {t.get_text()!r} at {t.get_fontsize():g} pt < {MIN_FONT:g} pt"
            for t in fig.findobj(Text)
            if t.get_visible() and t.get_text().strip() and t.get_fontsize() < MIN_FONT - 1e-9]


_PARSE_CACHES: dict[int, Any] = {}


@contextlib.contextmanager
def _mathtext_cache(size: int = 4096) -> Iterator[None]:
    """While drawing, one cache of parsed mathtext for the whole process, in place of
    matplotlib's 50 entries per parser: a label is parsed once per (string, size, dpi), and
    a figure with many panels drawn at two dpis (PDF, PNG) has hundreds of such keys, so the
    default cache thrashes.  matplotlib keys its cache on the parser too, and every Agg
    renderer makes its own parser, so the tick labels that all figures share were parsed
    again for each figure; here the key is the parser's output type instead (all a parser
    holds is that type and class-level tables).  Parsing was about a tenth of the figures'
    time.  Restored on exit (no lasting change to matplotlib)."""
    from matplotlib.mathtext import MathTextParser

    old = MathTextParser.__dict__.get("_parse_cached")
    inner = getattr(old, "__wrapped__", None)
    if inner is None:                       # another matplotlib: leave it alone
        yield
        return
    shared = _PARSE_CACHES.get(id(inner))
    if shared is None:
        parsers: dict[str, Any] = {}

        @functools.lru_cache(size)
        def by_type(output_type, s, dpi, prop, antialiased, load_glyph_flags):
            return inner(parsers[output_type], s, dpi, prop, antialiased, load_glyph_flags)

        def shared(self, s, dpi, prop, antialiased, load_glyph_flags):
            parsers.setdefault(self._output_type, self)
            return by_type(self._output_type, s, dpi, prop, antialiased, load_glyph_flags)

        _PARSE_CACHES[id(inner)] = shared
    MathTextParser._parse_cached = shared
    try:
        yield
    finally:
        MathTextParser._parse_cached = old


def save(fig, outdir: Path | str, name: str) -> list[Path]:
    """Write ``fig`` as ``outdir/name.pdf`` and ``outdir/name.png`` (deterministic), at the
    size it was drawn.  Returns both paths.  Raises ``ValueError`` if the figure cannot be
    placed at that size (:func:`print_problems`).

    The figure is drawn twice, not three times: the PDF's draw computes the constrained
    layout, the check reads the text that draw made, and the layout is then frozen for the
    PNG (a separate layout draw cost about a third of the saving time)."""
    with _mathtext_cache():
        return _save(fig, outdir, name)


def _save(fig, outdir: Path | str, name: str) -> list[Path]:
    """The body of :func:`save`: the PDF draw lays the figure out (once), the check reads
    the drawn text, and the PNG reuses the layout."""
    plain_log_ticks(fig)
    bad = _size_problems(fig)
    if bad:
        raise ValueError(f"figure {name!r} is not printable at its drawn size: {bad[0]}")
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    note = "; ".join(f"{k}={v}" for k, v in sorted(_PROVENANCE.items()))
    pdf, png = outdir / f"{name}.pdf", outdir / f"{name}.png"
    pdf_meta = {"CreationDate": None, "ModDate": None, "Producer": PRODUCER,
                "Creator": "superpose", "Title": name}
    png_meta = {"Software": None, "Title": name}
    if note:
        pdf_meta["Subject"] = note
        png_meta["Description"] = note
    with style():
        fig.savefig(pdf, format="pdf", metadata=pdf_meta, dpi=DPI)
        bad = _text_problems(fig)       # tick labels exist now: the PDF draw made them
        if bad:
            pdf.unlink()
            raise ValueError(f"figure {name!r} is not printable at its drawn size: "
                             + "; ".join(bad[:5]))
        if fig.get_layout_engine() is not None:
            fig.set_layout_engine(None)  # laid out by the PDF draw: keep it, no more passes
        fig.savefig(png, format="png", metadata=png_meta, dpi=DPI)
    return [pdf, png]


def save_captioned(fig, outdir: Path | str, name: str, caption: str) -> tuple[Path, str]:
    """:func:`save`, returning what a figure script's ``make`` lists: ``(pdf, caption)``."""
    return save(fig, outdir, name)[0], caption


def run_phrase(scale: str, seed: int) -> str:
    """How a caption names the run it shows."""
    return f"{scale} scale, seed {seed}"


#: Caption phrase for :func:`errorbar` with ``log=True``.
LOG_BARS = (r"bars $y\,e^{\pm Z\,s/y}$ with $s$ the standard error of $y$ (the $\pm Z$ "
            r"standard-error interval of $\ln y$ to first order), which stay positive on the "
            r"log axis")


def errorbar(ax, x: Sequence[float], y: Sequence[float], se: Sequence[float] | None = None,
             *, z: float = Z, label: str | None = None, log: bool = False, **kw):
    """Measured points with bars of ``+-z*se`` (the checks' acceptance band, Z = 4).

    ``log=True`` (for a positive quantity on a log axis): bars ``y exp(+-z se / y)``, the
    ``+-z`` SE interval of ``ln y`` (to first order), positive by construction; points with
    ``y <= 0`` cannot be drawn on a log axis and are left out (say so in the caption)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if log:
        keep = y > 0
        x, y = x[keep], y[keep]
        if se is not None:
            r = z * np.asarray(se, dtype=float)[keep] / y
            yerr = np.vstack([y - y * np.exp(-r), y * np.exp(r) - y])
        else:
            yerr = None
        kw.setdefault("fmt", "o")
        kw.setdefault("ms", 3.5)
        return ax.errorbar(x, y, yerr=yerr, label=label, **kw)
    yerr = None if se is None else z * np.asarray(se, dtype=float)
    kw.setdefault("fmt", "o")
    kw.setdefault("ms", 3.5)
    return ax.errorbar(x, y, yerr=yerr, label=label, **kw)


def predicted_line(ax, x: Sequence[float], y: Sequence[float], *, label: str = "predicted",
                   **kw):
    """The closed form as a line (draw it on a fine grid for smooth curves)."""
    kw.setdefault("color", "0.25")
    kw.setdefault("lw", 1.0)
    return ax.plot(np.asarray(x, float), np.asarray(y, float), label=label, **kw)


ROWS_PER_PANEL = 40
#: The x range of a per-check plot spans at least 1 +- this (all points exactly at 1 with no
#: bars would otherwise give a 0.999-1.001 axis that says nothing).
MIN_HALF_SPAN = 0.05
VERDICT_COLORS = {"pass": "#0072B2", "fail": "#D55E00", "info": "#777777", "skip": "#BBBBBB"}


def checks_figures(checks: Sequence[Mapping[str, Any]], title: str = "") -> list:
    """Measured / predicted with +-Z*SE bars for every check that has a prediction, one
    row per check (1 is agreement), at most ``ROWS_PER_PANEL`` rows per figure, every label
    at least :data:`MIN_FONT` points at the drawn size (6.6 in wide).

    The x range covers the pass/fail checks and at least ``1 +- MIN_HALF_SPAN``; ``info``
    ones far outside it (published forms that are off) are drawn as arrows at the edge,
    with their ratio written."""
    with style():
        return _checks_figures(checks, title)


def _checks_figures(checks: Sequence[Mapping[str, Any]], title: str) -> list:
    rows = [r for r in checks
            if r.get("predicted") not in (None, 0) and r.get("measured") is not None]
    if not rows:
        return []
    ratio = np.array([r["measured"] / r["predicted"] for r in rows])
    half = np.array([float(r.get("z", Z)) * (r.get("se") or 0.0) / abs(r["predicted"])
                     for r in rows])
    judged = np.array([r.get("verdict") in ("pass", "fail") for r in rows])
    ref = judged if judged.any() else np.ones(len(rows), bool)
    lo = float(min(1.0 - MIN_HALF_SPAN, np.min(ratio[ref] - half[ref])))
    hi = float(max(1.0 + MIN_HALF_SPAN, np.max(ratio[ref] + half[ref])))
    pad = 0.08 * (hi - lo)
    lo, hi = lo - pad, hi + pad
    n_panels = -(-len(rows) // ROWS_PER_PANEL)
    figs = []
    for k in range(n_panels):
        sl = slice(k * ROWS_PER_PANEL, (k + 1) * ROWS_PER_PANEL)
        part, r_, h_ = rows[sl], ratio[sl], half[sl]
        fig, ax = figure(figsize=(MAX_WIDTH, 0.165 * len(part) + 1.3))
        y = np.arange(len(part))[::-1]
        for verdict, color in VERDICT_COLORS.items():
            idx = np.array([i for i, r in enumerate(part) if r.get("verdict") == verdict], int)
            if not idx.size:
                continue
            inside = idx[(r_[idx] >= lo) & (r_[idx] <= hi)]
            ax.errorbar(r_[inside], y[inside], xerr=h_[inside], fmt="o", ms=3, color=color,
                        label=verdict, capsize=1.5, lw=0.8)
            for i in idx[(r_[idx] < lo) | (r_[idx] > hi)]:
                edge = hi if r_[i] > hi else lo
                ax.plot([edge], [y[i]], ">" if r_[i] > hi else "<", color=color, ms=4)
                ax.annotate(f"{r_[i]:.3g}", (edge, y[i]), fontsize=MIN_FONT, color=color,
                            ha="right" if r_[i] > hi else "left", va="center",
                            xytext=(-5 if r_[i] > hi else 5, 0), textcoords="offset points")
        ax.axvline(1.0, color="0.3", lw=0.8)
        ax.set_xlim(lo, hi)
        ax.set_ylim(-0.7, len(part) - 0.3)
        ax.set_yticks(y)
        ax.set_yticklabels([str(r["name"]).split(".", 1)[-1] for r in part], fontsize=MIN_FONT)
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel(r"measured / predicted  ($\pm Z\,$SE)")
        if title:
            ax.set_title(title + (f" ({k + 1}/{n_panels})" if n_panels > 1 else ""),
                         loc="left")
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=4, borderaxespad=0.2,
                  handletextpad=0.2, columnspacing=0.8)
        figs.append(fig)
    return figs
