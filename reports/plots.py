"""Shared plot helpers: one style, deterministic files, error bars at +-Z*SE.

A figure is a script ``reports/figures/<construction_snake>_<name>.py`` with

* ``CAPTION: str`` -- the caption (prose; ``$...$`` math allowed), stating the
  parameters, the number of trials and what the error bars are;
* ``make(outdir: Path, scale: str, seed: int, progress=None) -> list[Path]`` -- draws
  the figure (its random numbers from :func:`verify.rng.stream` with ``seed``) and
  writes it with :func:`save`.

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
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from superpose.verify.check import Z

DPI = 200
PRODUCER = "superpose (matplotlib)"

#: The report's look: small serif type that matches the LaTeX body, light grid.
STYLE: dict[str, Any] = {
    "figure.figsize": (5.5, 3.4),
    "figure.dpi": 100,
    "savefig.dpi": DPI,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.05,
    "font.size": 9,
    "font.family": "serif",
    "mathtext.fontset": "cm",
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
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
        kw.setdefault("figsize", (w if ncols == 1 else min(w * ncols * 0.6, 7.0), h * nrows))
        kw.setdefault("layout", "constrained")
        sub = {k: kw.pop(k) for k in _SUBPLOTS_KW if k in kw}
        fig = Figure(**kw)
        FigureCanvasAgg(fig)
        return fig, fig.subplots(nrows, ncols, **sub)


def save(fig, outdir: Path | str, name: str) -> list[Path]:
    """Write ``fig`` as ``outdir/name.pdf`` and ``outdir/name.png`` (deterministic).
    Returns both paths."""
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
        fig.savefig(png, format="png", metadata=png_meta, dpi=DPI)
    return [pdf, png]


def errorbar(ax, x: Sequence[float], y: Sequence[float], se: Sequence[float] | None = None,
             *, z: float = Z, label: str | None = None, **kw):
    """Measured points with bars of ``+-z*se`` (the checks' acceptance band, Z = 4)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
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
VERDICT_COLORS = {"pass": "#0072B2", "fail": "#D55E00", "info": "#777777", "skip": "#BBBBBB"}


def checks_figures(checks: Sequence[Mapping[str, Any]], title: str = "") -> list:
    """Measured / predicted with +-Z*SE bars for every check that has a prediction, one
    row per check (1 is agreement), at most ``ROWS_PER_PANEL`` rows per figure.

    The x range covers the pass/fail checks; ``info`` ones far outside it (published
    forms that are off) are drawn as arrows at the edge, with their ratio written."""
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
    lo = float(min(1.0, np.min(ratio[ref] - half[ref])))
    hi = float(max(1.0, np.max(ratio[ref] + half[ref])))
    pad = 0.08 * (hi - lo) + 1e-3
    lo, hi = lo - pad, hi + pad
    n_panels = -(-len(rows) // ROWS_PER_PANEL)
    figs = []
    for k in range(n_panels):
        sl = slice(k * ROWS_PER_PANEL, (k + 1) * ROWS_PER_PANEL)
        part, r_, h_ = rows[sl], ratio[sl], half[sl]
        fig, ax = figure(figsize=(6.5, 0.16 * len(part) + 1.0))
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
                ax.annotate(f"{r_[i]:.3g}", (edge, y[i]), fontsize=5, color=color,
                            ha="right" if r_[i] > hi else "left", va="bottom",
                            xytext=(-3 if r_[i] > hi else 3, 1), textcoords="offset points")
        ax.axvline(1.0, color="0.3", lw=0.8)
        ax.set_xlim(lo, hi)
        ax.set_ylim(-0.7, len(part) - 0.3)
        ax.set_yticks(y)
        ax.set_yticklabels([str(r["name"]).split(".", 1)[-1] for r in part], fontsize=5.5)
        ax.set_xlabel(r"measured / predicted  ($\pm Z\,$SE)")
        if title:
            ax.set_title(title + (f" ({k + 1}/{n_panels})" if n_panels > 1 else ""))
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
        figs.append(fig)
    return figs
