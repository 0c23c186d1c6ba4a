"""Property-based tests of the command line: any input gives a result or one clear error.

For random quantity names, parameter names and parameter strings (valid, out of range,
mistyped, huge, empty, unicode), ``superpose eval`` and the parameter validation of
``superpose verify`` must either succeed (exit 0/1) or print exactly one line to stderr and
exit 2 — never a traceback, never an internal error (exit 3), never a hang past the
hypothesis deadline.  The option parsing of every verb is fuzzed with the commands stubbed
out (random tokens, flags and values in any order).

What this does not establish: that a *valid* verify run finishes quickly at every size
(the Monte Carlo itself is replaced by a stub here; run time is the benchmarks' business).
"""
from __future__ import annotations

import contextlib
import io
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from superpose.derive.quantity import all_quantities, available, get_construction
from superpose.reports.cli import main

QUANTITIES = [q.name for q in all_quantities()]
PARAM_NAMES = sorted({p.name for q in all_quantities() for p in q.params}) or ["l"]

values = st.one_of(
    st.integers(min_value=-10**12, max_value=10**12).map(str),
    st.integers(min_value=-3, max_value=12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", " ", "nan", "inf", "-0", "1e400", "0x10", "3.0", "2.5", "١٢", "1_000"]),
    st.text(max_size=6),
)
pairs = st.lists(st.tuples(st.sampled_from(PARAM_NAMES + ["bogus"]), values), max_size=4)


def run(argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


def assert_clean(rc: int, err: str) -> None:
    assert "Traceback" not in err
    assert rc != 3, f"internal error (exit 3): {err}"
    if rc == 2:
        lines = [x for x in err.splitlines() if x.strip()]
        assert 1 == len(lines), err
        assert lines[0].startswith("superpose: error: ")
    else:
        assert rc in (0, 1)


def _argv(verb, name, ps):
    argv = [verb, name]
    for k, v in ps:
        argv += ["--param", f"{k}={v}"]
    return argv


@pytest.mark.skipif(not QUANTITIES, reason="no quantities registered")
@settings(max_examples=150, deadline=timedelta(seconds=20),
          suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(QUANTITIES + ["nope.x", "x", "", "uand-random."]), ps=pairs)
def test_eval_never_tracebacks(name, ps):
    """eval: a value or one clear line with exit 2."""
    rc, out, err = run(_argv("eval", name, ps) + ["--json"])
    assert_clean(rc, err)
    if rc == 0:
        assert out.strip().startswith("{")


@pytest.mark.skipif(not available(), reason="no constructions registered")
@settings(max_examples=150, deadline=timedelta(seconds=20),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(available() + ["nope"]), ps=pairs,
       trials=st.sampled_from(["1", "0", "-5", "x", "2.5", None]))
def test_verify_validation_never_tracebacks(monkeypatch, name, ps, trials):
    """verify: parameter validation answers in one line; the MC itself is stubbed out."""
    import superpose.verify.check as check
    real = check.verify_module

    def stubbed(n):
        mod = real(n)

        class Stub:
            PARAMS = mod.PARAMS
            DEFAULT_TRIALS = mod.DEFAULT_TRIALS
            constraint = staticmethod(getattr(mod, "constraint", None) or (lambda p: None))

            @staticmethod
            def measure(params, *, trials, seed, progress=None):
                return []
        return Stub

    monkeypatch.setattr(check, "verify_module", stubbed)
    argv = _argv("verify", name, ps) + (["--trials", trials] if trials is not None else [])
    rc, _, err = run(argv + ["--json"])
    assert_clean(rc, err)


def test_every_construction_lists():
    """list --json names every available construction."""
    rc, out, err = run(["list", "--json"])
    assert 0 == rc
    for n in available():
        assert f'"name": "{get_construction(n).name}"' in out


@settings(max_examples=15, deadline=timedelta(seconds=30),
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_verify_edge_sizes_run_clean(data):
    """Real (tiny) verify runs of cis2 / rotations at edge sizes: smallest D, S = 2, T = 1, T = 2,
    z = T (no inactive circuit): a result (exit 0/1) or one clear line, never a traceback.
    Sizes are drawn within the allocation's capacity so that most draws actually run."""
    from superpose.derive.cis2.alloc import capacity

    name = data.draw(st.sampled_from(["cis2", "rotations"]))
    D = data.draw(st.sampled_from([8, 24, 48] if name == "cis2" else [24, 48]))
    S = data.draw(st.sampled_from([2, 3]))
    tmax = capacity(D, 4, S) if D // 4 >= S else 1
    T = data.draw(st.integers(1, max(1, min(tmax, 6))))
    z = data.draw(st.one_of(st.just(T), st.integers(1, T)))
    ps = [("D", D), ("S", S), ("T", T), ("z", z), ("L", 2), ("K", 4)]
    rc, out, err = run(_argv("verify", name, ps) + ["--trials", "8", "--json"])
    assert_clean(rc, err)


VERB_TOKENS = {
    "list": ["--json"],
    "derive": ["--latex", "uand-random", "cis2", "nope"],
    "eval": ["--json", "--param", "l=3", "uand-random.rms_error_constant"],
    "verify": ["--json", "--param", "--trials", "--seed", "cis2", "D=8", "1", "-1", "1e9"],
    "report": ["--out", "--scale", "--seed", "--only", "smoke", "paper", "huge", "cis2"],
    "audit": ["--scale", "--seed", "--only", "--json", "default", "quick", "paper"],
    "export": ["--param", "--seed", "--out", "--format", "dense", "factored", "sparse", "x"],
}
COMMON_TOKENS = ["-", "--", "--bogus", "", "=", "-x", "\u00e9", "0", "-5", "--help", "-h"]


@settings(max_examples=300, deadline=timedelta(seconds=10),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_verb_parses_cleanly(monkeypatch, data):
    """Random argv for every verb (commands stubbed to exit 0): help (0), a parsed command
    (0), or one line on stderr with exit 2; nothing on stdout for a refusal."""
    from superpose.reports import cli

    for verb in cli.VERBS:
        monkeypatch.setitem(cli.COMMANDS, verb, lambda args: 0)
    verb = data.draw(st.sampled_from([*cli.VERBS, "bogus", ""]))
    tokens = VERB_TOKENS.get(verb, []) + COMMON_TOKENS
    argv = [verb] + data.draw(st.lists(st.sampled_from(tokens) | st.text(max_size=4),
                                       max_size=6))
    rc, out, err = run(argv)
    assert_clean(rc, err)
    assert rc in (0, 2)
    if rc == 2:
        assert out == ""
    elif "-h" not in argv and "--help" not in argv:
        assert err == "" and out == ""
