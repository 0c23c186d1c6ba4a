r"""ballbox: P(no wrong gate) across the critical window, sampler against the limits.

Points: the exact sampler of ``verify/ballbox.py`` (``H``, the ``k`` active reads, the two largest
inactive reads by order statistics) at the window widths ``d(x)`` (rounded to integers) for the
midpoint bias 3/2 and the half-slack bias, measured by
``superpose.verify.ballbox.window_no_error`` (this script only draws).  Lines: the limits
``ballbox.window_limit_midpoint`` ``Ψ_β(x)`` and ``ballbox.window_limit_halfslack``
``Ψ_β(x/2)F_+(x/2)``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from superpose.derive.quantity import get_quantity
from superpose.reports import plots
from superpose.verify import ballbox as V
from superpose.verify.check import Z

NAME = "ballbox_window"
SIZES = {   # (k, m_exp, window coordinates, sampler draws per point)
    "smoke": (64, 4.0, (-1.0, 0.0, 1.0), 400),
    "quick": (1024, 16.0, (-1.5, -0.75, 0.0, 0.75, 1.5), 2000),
    "paper": (1024, 16.0, (-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0), 20000),
}


def _point(k, me, which, x, draws, seed):
    """Measured by :func:`superpose.verify.ballbox.window_no_error`."""
    return V.window_no_error(k, me, which, x, draws, seed)


def _caption(k, me, draws, scale, seed) -> str:
    return (r"Universal pairwise AND on a stored Gaussian code \citep{ballbox}: probability "
            r"that no gate is wrong across the critical window, at $k=" + f"{k}" + r"$ and "
            r"$m=k^{" + f"{me:g}" + r"}$. Points: the exact sampler, " + f"{draws}"
            + rf" draws per point ({plots.run_phrase(scale, seed)}), bars $\pm{Z:g}$ standard "
            r"errors. Lines: the limits $\Psi_\beta(x)$ (midpoint bias $3/2$) and "
            r"$\Psi_\beta(x/2)F_+(x/2)$ (half-slack bias), $\beta=\hat\lambda_0/\hat\lambda_1$.")


def make(outdir: Path, scale: str, seed: int, progress=None) -> list[tuple[Path, str]]:
    scale = scale if scale in SIZES else "quick"
    k, me, xs, draws = SIZES[scale]
    grid = np.linspace(min(xs) - 0.25, max(xs) + 0.25, 41)
    with plots.style():
        fig, ax = plots.figure()
        for which, color in (("midpoint", "#0072B2"), ("halfslack", "#D55E00")):
            pts = [_point(k, me, which, x, draws, seed) for x in xs]
            q = get_quantity(f"ballbox.window_limit_{which}")
            plots.predicted_line(ax, grid, [q.evaluate(dict(k=k, m_exp=me, x=float(g)))
                                            for g in grid],
                                 label=f"limit ({which})", color=color, ls="-")
            plots.errorbar(ax, xs, [e.value for e in pts], [e.se for e in pts],
                           label=f"sampler ({which})", color=color)
            if progress:
                progress(f"{NAME}: {which} done")
        ax.set_xlabel("window coordinate $x$")
        ax.set_ylabel("probability of no wrong gate")
        ax.set_title(rf"$k={k}$, $m=k^{{{me:g}}}$")
        ax.set_ylim(0, 1)
        ax.legend(loc="upper left")
    return [plots.save_captioned(fig, outdir, NAME, _caption(k, me, draws, scale, seed))]
