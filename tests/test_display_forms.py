"""The display forms of closed forms (written with K_l, [on = 2], C_AND(l, on), log_2) print as
the text states them and evaluate exactly as the derived expressions they stand for."""
from __future__ import annotations

import sympy as sp

import superpose.derive.uand_random as ur
from superpose.derive import pingpong as pp
from superpose.derive.common import log2
from superpose.derive.quantity import get_quantity
from superpose.derive.uand_random import maxlaw as mx


def _same(q, expr, grid):
    old = q.with_closed_form(expr)
    for kw in grid:
        assert q.evaluate(**kw) == old.evaluate(**kw), (q.name, kw)


def test_uand_random_forms_in_k_evaluate_as_derived():
    """alpha = 4/K_l, C = sqrt(l/(2K_l^2) - [on=2]) ... equal the derivation's expressions."""
    g = ur.derived()[("gaussian", "and")]
    grid_l = [{"l": lv} for lv in range(2, 25)]
    grid_lon = [{"l": lv, "on": on} for lv in range(2, 25) for on in range(3)]
    for name, expr in zip(("alpha", "beta", "gamma", "delta"), g["indicator"]):
        q = get_quantity(f"uand-random.coef_{name}")
        assert "K_{" in sp.latex(q.closed_form) and "asin" not in sp.latex(q.closed_form)
        _same(q, expr, grid_l)
    q = get_quantity("uand-random.rms_error_constant")
    assert sp.latex(q.closed_form) == r"\sqrt{\frac{\ell}{2 K_{\ell}^{2}} - [\mathrm{on}=2]}"
    _same(q, g["c_on"], grid_lon)
    _same(get_quantity("uand-random.mae_constant"), sp.sqrt(2 / sp.pi) * g["c_on"], grid_lon)
    rq = get_quantity("uand-random.rademacher_rms_error_constant")
    assert r"K^{\pm}_{\ell}" in sp.latex(rq.closed_form)
    _same(rq, ur.derived()[("rademacher", "and")]["c_on"], grid_lon)
    ratio = get_quantity("uand-random.rademacher_rms_ratio")
    rad = ur.derived()[("rademacher", "and")]["c_on"]
    assert r"C^{\pm}_{\mathrm{AND}}" in sp.latex(ratio.closed_form)
    _same(ratio, rad / g["c_on"], grid_lon)
    sub = get_quantity("uand-random.max_error_subgaussian_bound")
    c0 = mx.c0_squared()
    old = sp.sqrt(2 * c0) * sp.sqrt(2 * sp.log(2 * mx.off_pairs(ur.MSYM, ur.LSYM)))
    _same(sub, old, [{"l": lv, "m": mv, "N": 256} for lv in (2, 3, 6) for mv in (lv + 1, 64)])


def test_log2_is_exact_and_prints_as_log2():
    """ceil(log_2(D/d)) equals SymPy's ceil(log(D/d, 2)) on every divisor pair up to 200."""
    D, d = pp.D, pp.d
    q = get_quantity("pingpong.width")
    assert r"\log_2" in sp.latex(q.closed_form)
    old = D + D / d + sp.ceiling(sp.log(D / d, 2))
    _same(q, old, [{"D": a, "d": b} for a in range(1, 201) for b in range(1, a + 1) if a % b == 0])
    assert sp.ceiling(log2(sp.Integer(8))) == 3 and sp.ceiling(log2(sp.Integer(9))) == 4
