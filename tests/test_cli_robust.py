"""The ``superpose`` command at its edges: version, help, closed pipes, full disks, terminals
that cannot encode, internal errors, memory errors, lazy imports.

Exit codes (reports/cli.py docstring): 0 pass, 1 a check failed, 2 bad input (also a memory
refusal), 3 internal error (one line naming a saved traceback file) or a failed write.
Several cases run the real entry point in a subprocess, because what they test (a pipe closed
by the reader, ``/dev/full``, the interpreter's final flush, the terminal's encoding, which
modules get imported) only exists there.

What this does not establish: that no internal error exists (the fuzz tests and the
constructions' tests look for those), or how fast the commands are (bench/cli_latency.py).
"""
from __future__ import annotations

import argparse
import errno
import os
import re
import subprocess
import sys
import textwrap

import pytest

import superpose
from superpose.derive.protocol import entries
from superpose.derive.quantity import BadInput, available
from superpose.reports import cli
from superpose.reports.cli import main
from superpose.verify.check import run_checks, verify_module

CLI = [sys.executable, "-m", "superpose.reports.cli"]
VERIFIED = [n for n, e in entries().items() if e.verify is not None]


def run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def sub(*argv, env=None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *argv], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})}, **kw)


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def plant(monkeypatch, exc: BaseException, verb: str = "list") -> None:
    """Make ``superpose VERB`` raise ``exc`` from inside the command."""
    def boom(args):
        raise exc
    monkeypatch.setitem(cli.COMMANDS, verb, boom)


# ----------------------------------------------------------------------------- version


def test_version_in_a_subprocess():
    proc = sub("--version")
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout.strip() == f"superpose {superpose.__version__}"
    assert re.fullmatch(r"superpose \d+\.\d+\.\d+\S*", proc.stdout.strip())


def test_version_in_process(capsys):
    rc, out, _ = run(capsys, "--version")
    assert rc == 0 and out.strip() == f"superpose {superpose.__version__}"


# -------------------------------------------------------------------------------- help


def test_bare_superpose_lists_every_verb(capsys):
    """No verb: exit 2, one line naming all seven verbs."""
    rc, out, err = run(capsys)
    line = one_line(err)
    assert rc == 2 and out == "" and line.startswith("superpose: error: ")
    for verb in ("list", "derive", "eval", "verify", "report", "audit", "export"):
        assert re.search(rf"\b{verb}\b", line), verb
    assert set(cli.COMMANDS) == set(cli.VERBS)


def test_help_lists_every_verb_and_the_exit_codes(capsys):
    rc, out, _ = run(capsys, "--help")
    assert rc == 0
    for verb in cli.VERBS:
        assert re.search(rf"^\s+{verb}\s+\S", out, re.M), verb
    for code in ("0", "1", "2", "3", "130"):
        assert re.search(rf"^\s+{code}\s+\S", out, re.M), code


def _subparsers(p: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_option_has_help_choices_and_shown_defaults():
    """Walk the parser: every argument of every verb has help text; options with a default
    show it; the listed options have their choices."""
    p = cli._parser([])
    subs = _subparsers(p)
    assert set(subs) == set(cli.VERBS)
    for verb, sp in [("", p), *subs.items()]:
        text = sp.format_help()
        for a in sp._actions:
            if isinstance(a, argparse._SubParsersAction):
                assert all(ch.help for ch in a._choices_actions)
                continue
            assert a.help and a.help.strip(), (verb, a.dest)
            shown = a.default not in (None, False, argparse.SUPPRESS) and not a.required
            if a.option_strings and shown:
                assert f"(default: {a.default})" in " ".join(text.split()), (verb, a.dest)
    choices = {(v, a.dest): tuple(a.choices) for v, sp in subs.items()
               for a in sp._actions if a.choices is not None}
    assert choices[("report", "scale")] == ("smoke", "quick", "paper")
    assert choices[("audit", "scale")] == ("default", "smoke", "quick")
    assert choices[("export", "format")] == ("dense", "factored")


@pytest.mark.parametrize("argv, pattern", [
    (["report", "--scale", "huge"], "invalid choice.*smoke.*quick.*paper"),
    (["audit", "--scale", "paper"], "invalid choice.*default.*smoke.*quick"),
    (["export", "cis2", "--out", "x", "--format", "sparse"], "invalid choice.*dense.*factored"),
])
def test_choices_are_enforced(capsys, argv, pattern):
    rc, out, err = run(capsys, *argv)
    assert rc == 2 and out == "" and re.search(pattern, one_line(err))


def _expected_param_line(p) -> str:
    d = p.describe()
    default = "no default" if d["default"] is None else f"default {cli._fmt_num(d['default'])}"
    return f"{d['name']}  {d['type']}, {default}"


@pytest.mark.parametrize("name", VERIFIED)
def test_verify_name_help_lists_its_parameters(capsys, name):
    """``verify NAME --help`` names every verify parameter with type, default and range."""
    rc, out, _ = run(capsys, "verify", name, "--help")
    assert rc == 0 and f"parameters of {name}" in out
    mod = verify_module(name)
    text = " ".join(out.split())
    for p in mod.PARAMS:
        assert " ".join(_expected_param_line(p).split()) in text, p.name
        if p.lo is not None and p.hi is not None:
            assert f"{p.name} " in text and f"in [{cli._fmt_num(p.lo)}, {cli._fmt_num(p.hi)}]" in text
        if p.doc:
            assert " ".join(p.doc.split()) in text
    assert f"default --trials for {name}: {mod.DEFAULT_TRIALS}" in out


def test_verify_help_before_the_name_and_unknown_name(capsys):
    rc, out, _ = run(capsys, "verify", "--help", "--seed", "3", VERIFIED[0])
    assert rc == 0 and f"parameters of {VERIFIED[0]}" in out
    rc, out, _ = run(capsys, "verify", "no-such-construction", "--help")
    assert rc == 0 and "parameters of no-such" not in out and "(set with --param" not in out
    assert "superpose verify NAME --help" in " ".join(out.split())


# -------------------------------------------------------------------------------- list


def test_list_shows_verify_parameters(capsys, monkeypatch, tmp_path):
    """list --json: each construction's verify parameters (Param.describe) and default trials;
    the text form has a line per parameter.  Computed afresh (SUPERPOSE_NO_CACHE)."""
    import json

    monkeypatch.setenv("SUPERPOSE_NO_CACHE", "1")
    rc, out, _ = run(capsys, "list", "--json")
    data = {c["name"]: c for c in json.loads(out)}
    assert rc == 0 and list(data) == available()
    for n in available():
        if entries()[n].verify is None:
            assert data[n]["verify"] is None
            continue
        mod = verify_module(n)
        assert data[n]["verify"] == {"params": [p.describe() for p in mod.PARAMS],
                                     "default_trials": mod.DEFAULT_TRIALS}
    rc, text, _ = run(capsys, "list")
    text = " ".join(text.split())
    for n in VERIFIED:
        for p in verify_module(n).PARAMS:
            assert " ".join(_expected_param_line(p).split()) in text


def test_list_cache_is_used_and_keyed_on_the_source(capsys, monkeypatch, tmp_path):
    """A second ``list`` reads the cache (building nothing); editing a registered module's
    source changes the key."""
    import json

    from superpose.derive import protocol

    monkeypatch.delenv("SUPERPOSE_NO_CACHE", raising=False)
    monkeypatch.setattr(cli, "_cache_home", lambda: str(tmp_path / "cache"))
    key = cli._list_cache_key()
    assert key is not None and key == cli._list_cache_key()
    monkeypatch.setattr(cli, "_list_cache_key", lambda: key)   # immune to edits meanwhile
    stale = tmp_path / "cache" / "superpose" / "cli-list-0123456789abcdef01234567.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("[]")
    rc, first, _ = run(capsys, "list", "--json")
    files = list(stale.parent.glob("cli-list-*.json"))
    assert rc == 0 and len(files) == 1 and files[0] != stale     # the stale one is removed
    assert json.loads(files[0].read_text()) == json.loads(first)

    def must_not_build():
        raise AssertionError("cache not used")
    monkeypatch.setattr(cli, "_list_records_uncached", must_not_build)
    rc, second, _ = run(capsys, "list", "--json")
    assert rc == 0 and json.loads(second) == json.loads(first)
    monkeypatch.undo()                       # the real key function again, for the rest
    monkeypatch.delenv("SUPERPOSE_NO_CACHE", raising=False)

    pkg = tmp_path / "src" / "cli_cache_plugin"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "derive_side.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    current = protocol.entries()
    entry = protocol.ConstructionEntry("cli-cache-plugin", derive="cli_cache_plugin.derive_side")
    monkeypatch.setattr(protocol, "entries", lambda: {**current, entry.name: entry})
    k1 = cli._list_cache_key()
    (pkg / "derive_side.py").write_text("X = 2\n")
    k2 = cli._list_cache_key()
    assert k1 is not None and k2 is not None and k1 != k2
    gone = protocol.ConstructionEntry("cli-cache-gone", derive="cli_cache_plugin.not_there")
    monkeypatch.setattr(protocol, "entries", lambda: {**current, gone.name: gone})
    assert cli._list_cache_key() is None          # a module without source: no cache


# ----------------------------------------------------------------------- closed pipes


def test_closed_pipe_in_a_subprocess():
    """``superpose list --json | head -1``: the reader closes the pipe after one line; the
    writer ends quietly with exit 0 (the JSON is ~200 kB, far beyond a pipe's buffer)."""
    run_ok = sub("list", "--json")                     # warm the caches; the size
    assert run_ok.returncode == 0 and len(run_ok.stdout) > 4 * 65536
    proc = subprocess.Popen([*CLI, "list", "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b"["
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=300) == 0, err
    assert err == ""


def test_closed_pipe_shell():
    """The same through a shell pipeline, for ``derive --latex``; ``true`` reads nothing."""
    proc = subprocess.run(
        f"{' '.join(CLI)} derive rotations --latex | true; echo \"rc=${{PIPESTATUS[0]}}\"",
        shell=True, executable="/bin/bash", capture_output=True, text=True, timeout=300)
    assert proc.stdout.strip() == "rc=0" and proc.stderr == ""


class _ClosedPipe:
    """A stdout whose reader has gone away after ``keep`` writes."""

    def __init__(self, keep: int = 1):
        self.keep, self.written = keep, []

    def write(self, s):
        if len(self.written) >= self.keep:
            raise BrokenPipeError(errno.EPIPE, "Broken pipe")
        self.written.append(s)
        return len(s)

    def flush(self):
        pass


def test_closed_pipe_keeps_the_commands_exit_code(monkeypatch, capsys):
    """The rest of the output is dropped and the command finishes: its own exit code (here 1,
    a failed check) is returned, not 0 and not an error."""
    done = []

    def noisy(args):
        for i in range(100):
            print(f"line {i}")
        done.append(True)
        return 1
    monkeypatch.setitem(cli.COMMANDS, "list", noisy)
    fake = _ClosedPipe(keep=2)
    monkeypatch.setattr(sys, "stdout", fake)
    rc = main(["list"])
    assert rc == 1 and done and fake.written == ["line 0", "\n"]
    assert sys.stdout is fake                           # restored
    assert capsys.readouterr().err == ""


# ------------------------------------------------------------------ full disk, encoding


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_full_disk_on_stdout():
    """``superpose list --json > /dev/full``: one line, exit 3, no traceback file."""
    with open("/dev/full", "w") as full:
        proc = subprocess.run([*CLI, "list", "--json"], stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=300)
    assert proc.returncode == 3
    assert one_line(proc.stderr) == "superpose: error: cannot write output: No space left on device"


def test_full_disk_writing_a_file(capsys, monkeypatch):
    plant(monkeypatch, OSError(errno.ENOSPC, "No space left on device", "/some/report/x.pdf"))
    rc, out, err = run(capsys, "list")
    assert rc == 3 and one_line(err) == \
        "superpose: error: cannot write /some/report/x.pdf: No space left on device"


def test_ascii_terminal():
    """``PYTHONIOENCODING=ascii superpose derive uand-random``: prints, with the non-ASCII
    characters of the pretty-printed formulas as backslash escapes."""
    proc = sub("derive", "uand-random", env={"PYTHONIOENCODING": "ascii"})
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    assert "uand-random" in proc.stdout and "\\u" in proc.stdout
    proc.stdout.encode("ascii")


# --------------------------------------------------------------- internal and memory errors


def test_internal_error_saves_a_traceback(capsys, monkeypatch, tmp_path):
    """A planted bug: one line with the exception and the traceback file; exit 3."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    plant(monkeypatch, RuntimeError("planted\nfailure"))
    rc, out, err = run(capsys, "list", "--json")
    line = one_line(err)
    m = re.fullmatch(r"superpose: internal error: RuntimeError: planted failure "
                     r"\(traceback saved to (.+)\)", line)
    assert rc == 3 and out == "" and m, line
    path = m.group(1)
    assert os.path.dirname(path) == str(tmp_path / "cache" / "superpose" / "tracebacks")
    assert re.search(rf"traceback-\d{{8}}-\d{{6}}-{os.getpid()}-", os.path.basename(path))
    text = open(path, encoding="utf-8").read()
    assert "Traceback (most recent call last)" in text and "in boom" in text
    assert "RuntimeError: planted" in text and "command: superpose list --json" in text
    assert superpose.__version__ in text


def test_internal_error_falls_back_to_the_temp_folder(capsys, monkeypatch, tmp_path):
    import tempfile

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))       # cache folder cannot be made
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    plant(monkeypatch, KeyError("x"))
    rc, _, err = run(capsys, "list")
    path = re.search(r"traceback saved to (.+)\)$", one_line(err)).group(1)
    assert rc == 3 and os.path.dirname(path) == str(tmp_path / "tmp")
    assert "KeyError" in open(path).read()


def test_internal_error_in_a_subprocess(tmp_path):
    """End to end: a construction whose derive module raises; exit 3, one line."""
    plugin = tmp_path / "broken_plugin.py"
    plugin.write_text("def construction():\n    raise ZeroDivisionError('planted')\n")
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        from superpose.derive import protocol
        cur = protocol.entries()
        e = protocol.ConstructionEntry("broken-plugin", derive="broken_plugin")
        protocol.entries = lambda: {{**cur, "broken-plugin": e}}
        from superpose.reports.cli import main
        sys.exit(main(["derive", "broken-plugin"]))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "XDG_CACHE_HOME": str(tmp_path)})
    line = one_line(proc.stderr)
    assert proc.returncode == 3 and line.startswith(
        "superpose: internal error: ZeroDivisionError: planted (traceback saved to ")
    assert os.path.isfile(line.split("traceback saved to ")[1].rstrip(")"))


def test_memory_error_is_a_refusal(capsys, monkeypatch):
    plant(monkeypatch, MemoryError())
    rc, out, err = run(capsys, "list")
    assert rc == 2 and out == "" and one_line(err).startswith("superpose: error: out of memory")


def test_numpy_memory_error_is_a_refusal(capsys, monkeypatch):
    np = pytest.importorskip("numpy")
    try:
        from numpy._core._exceptions import _ArrayMemoryError
    except ImportError:  # numpy < 2
        from numpy.core._exceptions import _ArrayMemoryError
    plant(monkeypatch, _ArrayMemoryError((100000, 10417), np.dtype(float)))
    rc, _, err = run(capsys, "list")
    line = one_line(err)
    assert rc == 2 and line.startswith("superpose: error: out of memory: Unable to allocate")
    assert "(100000, 10417)" in line


def test_keyboard_interrupt_is_130(capsys, monkeypatch):
    plant(monkeypatch, KeyboardInterrupt())
    rc, _, err = run(capsys, "list")
    assert rc == 130 and one_line(err) == "superpose: interrupted"


def test_bad_input_stays_exit_2(capsys, monkeypatch):
    plant(monkeypatch, BadInput("parameter D must be >= 8, got 2"))
    rc, _, err = run(capsys, "list")
    assert rc == 2 and one_line(err) == "superpose: error: parameter D must be >= 8, got 2"


def test_library_errors_name_the_parameter_not_a_flag():
    name = VERIFIED[0]
    with pytest.raises(BadInput, match=r"^trials must be a positive integer"):
        run_checks(name, {}, trials=0)
    with pytest.raises(BadInput, match=r"^seed must be a non-negative integer"):
        run_checks(name, {}, seed=-1)


# --------------------------------------------------------------------------- laziness


def _imported_after(argv: list[str]) -> list[str]:
    code = textwrap.dedent(f"""
        import sys, io, contextlib
        from superpose.reports.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            rc = main({argv!r})
        assert rc == 0, rc
        print("\\n".join(sorted(sys.modules)))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


HEAVY = ("superpose.verify.", "superpose.reports.export.", "superpose.reports.report",
         "matplotlib", "scipy")


def _heavy(mods: list[str]) -> list[str]:
    return [m for m in mods if m.startswith(HEAVY) or m == "superpose.reports.export"]


def test_version_imports_nothing_heavy():
    mods = _imported_after(["--version"])
    assert "sympy" not in mods and _heavy(mods) == []


def test_eval_imports_only_what_it_needs():
    """``eval`` of a closed form: no verify module, exporter, report, matplotlib or SciPy."""
    mods = _imported_after(["eval", "uand-random.rms_error_constant", "--param", "l=3",
                            "--param", "on=2"])
    assert "superpose.derive.uand_random" in mods
    assert _heavy(mods) == []


def test_cached_list_imports_nothing_heavy():
    """A cache hit builds nothing: no SymPy.  (Retried: a source file edited between the two
    runs, in a working tree, changes the key.)"""
    for _ in range(3):
        assert sub("list").returncode == 0             # fills the cache
        mods = _imported_after(["list"])
        if "sympy" not in mods:
            break
    assert "sympy" not in mods and _heavy(mods) == []
