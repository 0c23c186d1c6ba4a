"""The ``superpose`` command (DESIGN.md, "The command line").

Exit codes
----------
* 0 -- all checks pass (or nothing to check).
* 1 -- a check failed.
* 2 -- bad input: one line on stderr (``superpose: error: ...``), never a traceback.  Bad
  input is anything the user can fix by changing the command: an unknown name, a missing,
  mistyped or out-of-range parameter, a size that does not fit in memory (also when the run
  itself runs out of memory: ``MemoryError`` becomes a one-line memory refusal).
* 3 -- internal error: an uncaught exception becomes one line on stderr,
  ``superpose: internal error: <type>: <message> (traceback saved to PATH)``, the traceback
  going to ``$XDG_CACHE_HOME/superpose/tracebacks/`` (``~/.cache/...``; the system temp folder
  if that cannot be written).  An environment error while writing -- a full disk, a quota, an
  I/O error (``superpose list --json > /dev/full``) -- also exits 3, with one line
  (``superpose: error: cannot write output: No space left on device``) and no traceback file:
  it is not the input's fault (so not 2) and says nothing about the checks (so not 1).
* 130 -- interrupted (Ctrl-C).

Output edges: a closed pipe (``superpose list | head -1``) ends quietly -- the rest of the
output is discarded and the exit code is the command's own; a terminal whose encoding cannot
show a character (``PYTHONIOENCODING=ascii``) gets a backslash escape instead of an error.

Imports are lazy: building the parser imports neither SymPy nor the exporter, ``eval``
imports only the construction it evaluates, and ``list`` reads its records from an on-disk
cache keyed on the source of every registered construction (``SUPERPOSE_NO_CACHE=1``
bypasses it); ``bench/cli_latency.py`` measures this.
"""
from __future__ import annotations

import argparse
import codecs
import errno
import os
import sys
import textwrap
from typing import Any, Callable, Sequence

from superpose.reports.params import bytes_flag as _bytes_flag
from superpose.reports.params import int_flag as _int

VERBS = ("list", "derive", "eval", "verify", "report", "audit", "export")
EXIT_CODES = """exit codes:
  0    all checks pass (or nothing to check)
  1    a check failed
  2    bad input, including a size that does not fit in memory (one line on stderr)
  3    internal error (one line naming a saved traceback file), or the output
       could not be written (full disk)
  130  interrupted"""
SCALES = ("smoke", "quick", "paper")
AUDIT_SCALES = ("default", "smoke", "quick")
_ENV_ERRNOS = {errno.ENOSPC, errno.EIO, getattr(errno, "EDQUOT", errno.ENOSPC)}


class UsageError(Exception):
    """A command-line usage error (argparse): one line, exit 2."""


class OutputError(Exception):
    """Writing to stdout failed for a reason other than a closed pipe (full disk, I/O)."""

    def __init__(self, exc: OSError):
        super().__init__(exc.strerror or str(exc))
        self.os_error = exc


# ----------------------------------------------------------------------------- parser


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Appends ``(default: ...)`` to every option that has a default worth showing."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if ("%(default)" in text or "(default" in text or not action.option_strings
                or action.default is None or action.default is False
                or action.default == argparse.SUPPRESS or action.required):
            return text
        return text + " (default: %(default)s)"


class _Parser(argparse.ArgumentParser):
    """One-line usage errors; ``help_hook(parser)``, where set, completes the help text
    just before it is shown (so that building the parser stays cheap)."""

    help_hook: Callable[[argparse.ArgumentParser], None] | None = None

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        raise UsageError(f"{message} (see `{self.prog} --help`)")

    def format_help(self) -> str:
        if self.help_hook is not None:
            self.help_hook(self)
        return super().format_help()


def _version() -> str:
    import superpose

    return f"superpose {superpose.__version__}"


def _positionals(argv: Sequence[str], options: set[str]) -> list[str]:
    """The positional tokens of ``argv`` (skipping the values of ``options``)."""
    out, skip = [], False
    for tok in argv:
        if skip:
            skip = False
        elif tok.startswith("-"):
            skip = tok in options
        else:
            out.append(tok)
    return out


def _fmt_num(x: Any) -> str:
    return repr(x) if isinstance(x, float) else str(x)


def _range(p: dict) -> str:
    lo, hi = p.get("min"), p.get("max")
    if lo is not None and hi is not None:
        return f"in [{_fmt_num(lo)}, {_fmt_num(hi)}]"
    if lo is not None:
        return f">= {_fmt_num(lo)}"
    if hi is not None:
        return f"<= {_fmt_num(hi)}"
    return "any value"


def param_lines(params: list[dict], indent: str = "  ") -> list[str]:
    """One line per parameter: name, type, default, range, doc."""
    width = max((len(p["name"]) for p in params), default=0)
    lines = []
    for p in params:
        default = "no default" if p.get("default") is None else f"default {_fmt_num(p['default'])}"
        doc = f"  {p['doc']}" if p.get("doc") else ""
        lines.append(f"{indent}{p['name']:<{width}}  {p['type']}, {default}, {_range(p)}{doc}")
    return lines


def verify_info(name: str) -> dict | None:
    """``{"params": [Param.describe()...], "default_trials": N}`` of ``name``'s verify side,
    or ``None`` if the construction has no Monte Carlo verification."""
    from superpose.derive.protocol import entries
    from superpose.verify.check import verify_module

    if entries()[name].verify is None:
        return None
    mod = verify_module(name)
    return {"params": [p.describe() for p in mod.PARAMS], "default_trials": mod.DEFAULT_TRIALS}


def _verify_help(argv: Sequence[str]) -> Callable[[argparse.ArgumentParser], None]:
    names = _positionals(argv[1:], {"--param", "--trials", "--seed"})

    def hook(parser: argparse.ArgumentParser) -> None:
        from superpose.derive.protocol import entries

        known = [n for n, e in entries().items() if e.verify is not None]
        generic = textwrap.fill(
            "Run `superpose verify NAME --help` for the parameters of NAME, with their "
            "defaults and ranges. Constructions with Monte Carlo checks: "
            + ", ".join(known) + ".", 79, break_on_hyphens=False) + "\n\n" + EXIT_CODES
        parser.epilog = generic
        if not names or names[0] not in known:
            return
        name = names[0]
        try:
            info = verify_info(name)
        except Exception as exc:  # a broken plugin: show the generic help and say why
            parser.epilog = f"({name}: verify module not loadable: {exc})\n\n" + generic
            return
        parser.epilog = "\n".join(
            [f"parameters of {name} (set with --param k=v):",
             *param_lines(info["params"]),
             f"default --trials for {name}: {info['default_trials']}", "", EXIT_CODES])

    return hook


def _parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    p = _Parser(prog="superpose",
                description="superpose: derive, verify and report error bounds for "
                            "computation in superposition.",
                epilog=EXIT_CODES)
    p.add_argument("--version", action="version", version=_version(),
                   help="print the version (superpose X.Y.Z) and exit")
    sub = p.add_subparsers(dest="cmd", metavar="COMMAND", parser_class=_Parser,
                           title="commands (superpose COMMAND --help for each)")
    seed_help = "random seed (an integer >= 0)"
    param_help = ("a parameter, k=v; repeat for more (default: the construction's defaults, "
                  "see `superpose list`)")

    s = sub.add_parser("list", help="constructions, their quantities and verify parameters",
                       description="List every construction: its quantities (with their "
                                   "parameters) and its verify parameters (defaults, ranges).")
    s.add_argument("--json", action="store_true", help="print JSON records instead of text")

    s = sub.add_parser("derive", help="print the derivation of a construction",
                       description="Print every quantity of a construction with its "
                                   "derivation steps.")
    s.add_argument("name", metavar="NAME", help="construction (see `superpose list`)")
    s.add_argument("--latex", action="store_true",
                   help="print a complete LaTeX document (compiles on its own) instead of text")

    s = sub.add_parser("eval", help="evaluate a quantity: superpose eval NAME.QUANTITY "
                                    "--param k=v", description="Evaluate a closed form.")
    s.add_argument("name", metavar="NAME.QUANTITY", help="quantity (see `superpose list`)")
    s.add_argument("--param", action="append", metavar="K=V",
                   help="a parameter of the quantity, k=v; repeat for more (default: the "
                        "quantity's defaults, see `superpose list`)")
    s.add_argument("--json", action="store_true",
                   help="print one JSON record (name, params, value, value_str, statistic, "
                        "accuracy, latex)")

    s = sub.add_parser("verify", help="Monte Carlo checks of a construction",
                       description="Measure a construction on real networks and judge every "
                                   "prediction.")
    s.add_argument("name", metavar="NAME", help="construction (see `superpose list`)")
    s.add_argument("--param", action="append", metavar="K=V", help=param_help)
    s.add_argument("--trials", type=_int("--trials", 1), metavar="N",
                   help="Monte Carlo trials, an integer >= 1 (default: the construction's "
                        "own, see `superpose verify NAME --help`)")
    s.add_argument("--seed", type=_int("--seed", 0), default=0, metavar="S", help=seed_help)
    s.add_argument("--json", action="store_true", help="print JSON instead of text")
    s.add_argument("--max-memory", type=_bytes_flag, default=None, metavar="SIZE",
                   help="refuse runs whose estimated peak memory exceeds SIZE (e.g. 4G, 500M; "
                        "default: the memory available now)")
    s.help_hook = _verify_help(argv)

    s = sub.add_parser("report", help="the main job: derivations, checks, figures",
                       description="Write the report folder: derivations, checks.json, "
                                   "figures and the LaTeX report.")
    s.add_argument("--out", default="superpose-report", metavar="DIR", help="output folder")
    s.add_argument("--scale", default="quick", choices=SCALES,
                   help="sample sizes: smoke (seconds), quick (minutes), paper (hours)")
    s.add_argument("--seed", type=_int("--seed", 0), default=0, metavar="S", help=seed_help)
    s.add_argument("--only", action="append", metavar="CONSTRUCTION",
                   help="restrict the report to this construction; repeat for more (default: "
                        "all)")
    _sweep_options(s)

    s = sub.add_parser("audit", help="mutation audit: can every check fail on a wrong formula?",
                       description="Mutate every closed form and count the mutants the "
                                   "checks catch.")
    s.add_argument("--scale", default="default", choices=AUDIT_SCALES,
                   help="default: each construction's verify defaults (the sample size the "
                        "target refers to); smoke or quick: the report's runs")
    s.add_argument("--seed", type=_int("--seed", 0), default=0, metavar="S", help=seed_help)
    s.add_argument("--only", action="append", metavar="CONSTRUCTION",
                   help="audit only this construction; repeat for more (default: all)")
    s.add_argument("--json", action="store_true", help="print JSON instead of text")
    _sweep_options(s)

    from superpose.reports.export_cli import add_parser as add_export

    add_export(sub)
    for name, sp in sub.choices.items():
        if sp.epilog is None:
            sp.epilog = EXIT_CODES
    return p


# ---------------------------------------------------------------------------- commands


def _value_str(v: Any) -> str:
    if isinstance(v, int):
        return str(v)
    return f"{v:.17g}"


def _list_records_uncached() -> list[dict]:
    from superpose.derive.quantity import available, get_construction

    data = []
    for name in available():
        c = get_construction(name)
        rec = {"name": c.name, "title": c.title, "doc": c.doc}
        try:
            rec["verify"] = verify_info(name)
        except Exception as exc:  # a broken verify module must not hide the others
            rec["verify"] = None
            rec["verify_error"] = f"{type(exc).__name__}: {exc}"
        rec["quantities"] = [q.describe() for q in c.quantities]
        data.append(rec)
    return data


def _cache_home() -> str:
    return os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")


def _list_cache_key() -> str | None:
    """A hash of everything the listing depends on, or ``None`` if some source is not on disk.

    It covers the registered entries, the source files of ``superpose.derive`` and
    ``superpose.verify`` and of every registered module's package, and the versions of
    superpose, SymPy and Python.
    """
    import hashlib
    import importlib.util
    from importlib.metadata import version
    from pathlib import Path

    from superpose.derive.protocol import entries

    import superpose

    h = hashlib.sha256(repr((superpose.__version__, version("sympy"), version("mpmath"),
                             sys.version)).encode())
    roots: set[Path] = set()
    modules = ["superpose.derive", "superpose.verify"]
    for e in entries().values():
        h.update(repr((e.name, e.derive, e.verify, e.order)).encode())
        modules += [m for m in (e.derive, e.verify) if m]
        modules += [m.split(".")[0] for m in (e.derive, e.verify) if m and not m.startswith("superpose.")]
    for m in modules:
        try:
            spec = importlib.util.find_spec(m)
        except (ImportError, ValueError):
            return None
        if spec is None or not spec.origin or not os.path.isfile(spec.origin):
            return None
        locs = list(spec.submodule_search_locations or [])
        if locs:
            roots.update(Path(d) for d in locs)
        else:
            roots.add(Path(spec.origin))
    for root in sorted(roots):
        files = sorted(root.rglob("*.py")) if root.is_dir() else [root]
        for f in files:
            h.update(str(f).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:24]


def list_records() -> list[dict]:
    """The records of ``superpose list --json``, from the on-disk cache where it is current."""
    import json
    import tempfile

    key = None if os.environ.get("SUPERPOSE_NO_CACHE") else _list_cache_key()
    if key is None:
        return _list_records_uncached()
    folder = os.path.join(_cache_home(), "superpose")
    path = os.path.join(folder, f"cli-list-{key}.json")
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        if isinstance(data, list):
            return data
    except (OSError, ValueError):
        pass
    data = _list_records_uncached()
    if any("verify_error" in rec for rec in data):
        return data  # not cached: the next run tries the broken module again
    tmp = None
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, path)
        for old in os.listdir(folder):  # listings of older sources are never read again
            if old.startswith("cli-list-") and old.endswith(".json") and old != os.path.basename(path):
                os.unlink(os.path.join(folder, old))
    except (OSError, TypeError, ValueError):  # an unwritable cache only costs time
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
    return data


def cmd_list(args) -> int:
    import json

    data = list_records()
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    for c in data:
        print(f"{c['name']}: {c['title']}")
        v = c.get("verify")
        if c.get("verify_error"):
            print(f"  verify: module not loadable ({c['verify_error']})")
        elif v is None:
            print("  verify: no Monte Carlo checks")
        else:
            print(f"  verify {c['name']} (--trials default {v['default_trials']}); "
                  f"--param k=v:")
            print("\n".join(param_lines(v["params"], indent="    ")))
        print("  quantities:")
        for q in c["quantities"]:
            ps = ", ".join(f"{p['name']}:{p['type']}" for p in q["params"])
            tag = " [published]" if q["published"] else ""
            print(f"    {q['name']}({ps})  {q['statistic']}, {q['accuracy']}{tag}")
    return 0


def cmd_derive(args) -> int:
    from superpose.derive.quantity import get_construction
    from superpose.reports import latex

    c = get_construction(args.name)
    if args.latex:
        from superpose.reports import paper
        print(paper.standalone(c), end="")
    else:
        print(latex.construction_text(c))
    return 0


def cmd_eval(args) -> int:
    import json
    import math

    from superpose.derive.quantity import BadInput, get_quantity
    from superpose.reports.params import parse_params

    q = get_quantity(args.name)
    raw = parse_params(args.param)
    params = q.bind(raw)
    value = q.evaluate(params)
    if isinstance(value, float) and not math.isfinite(value):
        raise BadInput(f"{q.name} is not finite at {params}")
    if args.json:
        print(json.dumps({
            "name": q.name, "params": params, "value": value, "value_str": _value_str(value),
            "statistic": q.statistic, "accuracy": q.accuracy, "latex": q.latex_value(),
        }))
    else:
        print(f"{q.name}{params} = {_value_str(value)}  ({q.statistic}, {q.accuracy})")
    return 0


def _sweep_options(s) -> None:
    """Options of the verbs that run Monte Carlo tasks (report, audit)."""
    s.add_argument("--jobs", type=_int("--jobs", 1), default=None, metavar="N",
                   help="local worker processes (default: one per core; $SUPERPOSE_JOBS)")
    s.add_argument("--cluster", metavar="ADDRESS", default=None,
                   help="run the Monte Carlo tasks on the Dask scheduler at ADDRESS "
                        "(tcp://host:8786; default $SUPERPOSE_CLUSTER; "
                        "pip install 'superpose[dask]')")
    s.add_argument("--no-cache", action="store_true",
                   help="neither reuse nor store finished tasks")
    s.add_argument("--clear-cache", action="store_true", help="empty the task cache first")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--progress", dest="progress", action="store_const", const=True,
                   default=None,
                   help="a line per task on stderr even when it is not a terminal")
    g.add_argument("--quiet", dest="progress", action="store_const", const=False,
                   help="no progress lines (and no 'reused' line)")


def _clear_cache(args) -> None:
    if args.clear_cache:
        from superpose.verify.tasks import clear_cache

        print(f"superpose: task cache cleared ({clear_cache() / 1e6:.1f} MB)", file=sys.stderr)


def cmd_verify(args) -> int:
    import json

    from superpose.reports.params import parse_params
    from superpose.verify.check import run_checks, verify_module

    from superpose.verify.cost import check_affordable, fmt_seconds

    raw = parse_params(args.param)
    cost = check_affordable(args.name, raw, args.trials, max_memory=args.max_memory)
    if cost is not None and cost.seconds > 120 and not args.json:
        print(f"superpose: this run is estimated to take about {fmt_seconds(cost.seconds)}",
              file=sys.stderr, flush=True)
    progress = None if args.json else (lambda msg: print(msg, file=sys.stderr, flush=True))
    params, results, _ = run_checks(args.name, raw, trials=args.trials,
                                    seed=args.seed, progress=progress)
    trials = args.trials
    if trials is None:
        trials = verify_module(args.name).DEFAULT_TRIALS
    if args.json:
        from superpose.verify.check import CHECKS_SCHEMA_VERSION

        print(json.dumps({"schema_version": CHECKS_SCHEMA_VERSION, "construction": args.name,
                          "params": params, "seed": args.seed, "trials": trials,
                          "checks": [r.to_json() for r in results]}, indent=1))
    else:
        for r in results:
            pred = "-" if r.predicted is None else f"{r.predicted:.6g}"
            print(f"{r.verdict:5s} {r.name}: predicted {pred}, measured {r.measured:.6g} "
                  f"± {r.se:.2g} (n={r.n}, networks={r.n_networks})"
                  + (f"  [{r.note}]" if r.verdict == "skip" and r.note else ""))
    return 1 if any(r.verdict == "fail" for r in results) else 0


def cmd_report(args) -> int:
    from superpose.reports.report import build_report

    _clear_cache(args)
    return build_report(args.out, scale=args.scale, seed=args.seed, only=args.only,
                        jobs=args.jobs, cluster=args.cluster, cache=not args.no_cache,
                        progress=args.progress)


def cmd_audit(args) -> int:
    import json

    from superpose.verify.audit import audit

    _clear_cache(args)
    rows = audit(args.only, args.scale, args.seed, jobs=args.jobs, cluster=args.cluster,
                 cache=not args.no_cache, progress=False if args.json else args.progress)
    if args.json:
        print(json.dumps([a.to_json() for a in rows], indent=1))
    else:
        for a in rows:
            live = [m for m in a.mutants if not m.equivalent]
            caught = sum(m.caught for m in live)
            print(f"{a.status:12s} {a.quantity}: {caught}/{len(live)} mutants caught "
                  f"over {a.n_checks} checks"
                  + (f" ({len(a.mutants) - len(live)} equivalent)" if len(live) < len(a.mutants) else ""))
    return 1 if any(a.status == "escaped" for a in rows) else 0


def cmd_export(args) -> int:
    from superpose.reports.export_cli import cmd_export as run_export

    return run_export(args)


COMMANDS = {"list": cmd_list, "derive": cmd_derive, "eval": cmd_eval, "verify": cmd_verify,
            "report": cmd_report, "audit": cmd_audit, "export": cmd_export}


# ------------------------------------------------------------------------ output edges


class _Guarded:
    """Wraps ``sys.stdout`` / ``sys.stderr`` for one command.

    A closed pipe (``BrokenPipeError``) points the file descriptor at ``/dev/null`` and drops
    the rest of the output, so the command finishes with its own exit code and the
    interpreter's final flush has nowhere to fail.  On stdout any other ``OSError`` (full
    disk, I/O error) raises :class:`OutputError`; on stderr it is dropped (there is nowhere
    left to report it).
    """

    def __init__(self, stream, is_stdout: bool):
        self._stream = stream
        self._is_stdout = is_stdout
        self._dead = False

    def _silence(self) -> None:
        self._dead = True
        try:
            fd = self._stream.fileno()
            null = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(null, fd)
            finally:
                os.close(null)
        except (OSError, ValueError, AttributeError):
            pass  # not a real file (a test's StringIO): dropping the writes is enough

    def _do(self, fn, *args):
        if self._dead:
            return None
        try:
            return fn(*args)
        except BrokenPipeError:
            self._silence()
        except OSError as exc:
            self._silence()
            if self._is_stdout:
                raise OutputError(exc) from exc
        return None

    def write(self, text: str) -> int:
        self._do(self._stream.write, text)
        return len(text)

    def flush(self) -> None:
        self._do(self._stream.flush)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def _tolerant_encoding() -> None:
    """Let a terminal that cannot encode a character show a backslash escape instead."""
    for stream in (sys.stdout, sys.stderr):
        enc = getattr(stream, "encoding", None)
        try:
            if enc and codecs.lookup(enc).name != "utf-8" and hasattr(stream, "reconfigure"):
                stream.reconfigure(errors="backslashreplace")
        except (LookupError, ValueError, OSError, AttributeError):
            pass


def _one_line(text: str, limit: int = 500) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def traceback_dir() -> str:
    return os.path.join(_cache_home(), "superpose", "tracebacks")


def save_traceback(exc: BaseException, argv: Sequence[str]) -> str | None:
    """Write ``exc``'s traceback to a new file; its path, or ``None`` if nothing could be
    written."""
    import datetime
    import platform
    import tempfile
    import traceback

    try:
        version = _version()
    except Exception:  # pragma: no cover - the facade itself is broken
        version = "superpose (version unknown)"
    text = (f"{version}\ncommand: superpose {' '.join(argv)}\n"
            f"python: {sys.version.split()[0]} on {platform.platform()}\n"
            f"time: {datetime.datetime.now().isoformat(timespec='seconds')}\n\n"
            + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    for folder in (traceback_dir(), tempfile.gettempdir()):
        prefix = "traceback-" if folder == traceback_dir() else "superpose-traceback-"
        try:
            os.makedirs(folder, exist_ok=True)
            fd, path = tempfile.mkstemp(prefix=f"{prefix}{stamp}-{os.getpid()}-",
                                        suffix=".txt", dir=folder)
            with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as fh:
                fh.write(text)
            return path
        except OSError:
            continue
    return None


def _is_bad_input(exc: BaseException) -> bool:
    # BadInput lives in superpose.derive.quantity (SymPy); if that was never imported, the
    # exception cannot be one.
    mod = sys.modules.get("superpose.derive.quantity")
    return mod is not None and isinstance(exc, mod.BadInput)


def _run(argv: list[str]) -> int:
    try:
        args = _parser(argv).parse_args(argv)
    except SystemExit as exc:  # --help, --version
        return exc.code if isinstance(exc.code, int) else 0
    if args.cmd is None:
        raise UsageError("a command is needed: " + ", ".join(VERBS)
                         + " (see `superpose --help`)")
    return COMMANDS[args.cmd](args)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``superpose ARGV...``; returns the exit code (see the module docstring)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    _tolerant_encoding()
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Guarded(out, True), _Guarded(err, False)

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:
        try:
            rc = _run(argv)
            sys.stdout.flush()
            return rc
        except UsageError as exc:
            say(f"superpose: error: {_one_line(exc)}")
            return 2
        except KeyboardInterrupt:
            say("superpose: interrupted")
            return 130
        except OutputError as exc:
            say(f"superpose: error: cannot write output: {_one_line(exc)}")
            return 3
        except MemoryError as exc:
            detail = f": {_one_line(exc)}" if str(exc) else ""
            say(f"superpose: error: out of memory{detail}; use smaller parameters or fewer "
                f"trials")
            return 2
        except OSError as exc:
            if exc.errno in _ENV_ERRNOS:
                where = f" {exc.filename}" if exc.filename else ""
                say(f"superpose: error: cannot write{where}: {_one_line(exc.strerror or exc)}")
                return 3
            raise
        except Exception as exc:
            if _is_bad_input(exc):
                say(f"superpose: error: {_one_line(exc)}")
                return 2
            raise
    except Exception as exc:  # internal error: one line, traceback to a file, exit 3
        path = save_traceback(exc, argv)
        where = (f"traceback saved to {path}" if path else "the traceback could not be saved")
        say(f"superpose: internal error: {type(exc).__name__}: {_one_line(exc)} ({where})")
        return 3
    finally:
        try:
            sys.stdout.flush()
        except Exception:
            pass
        sys.stdout, sys.stderr = out, err


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
