"""The ``superpose`` command (DESIGN.md, "The command line").

Exit codes: 0 all checks pass (or nothing to check), 1 a check failed, 2 bad input.
Bad input prints one line to stderr (``superpose: error: ...``), never a traceback.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any, Sequence

from superpose.derive.quantity import BadInput, available, get_construction, get_quantity
from superpose.reports.params import int_flag as _int
from superpose.reports.params import parse_params


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2 (argparse's own exit code for usage)
        raise BadInput(message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="superpose", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", metavar="COMMAND", parser_class=_Parser)
    s = sub.add_parser("list", help="constructions, quantities, parameters")
    s.add_argument("--json", action="store_true")
    s = sub.add_parser("derive", help="print the derivation of a construction")
    s.add_argument("name")
    s.add_argument("--latex", action="store_true")
    s = sub.add_parser("eval", help="evaluate a quantity: superpose eval NAME.QUANTITY --param k=v")
    s.add_argument("name")
    s.add_argument("--param", action="append", metavar="K=V")
    s.add_argument("--json", action="store_true")
    s = sub.add_parser("verify", help="Monte Carlo checks of a construction")
    s.add_argument("name")
    s.add_argument("--param", action="append", metavar="K=V")
    s.add_argument("--trials", type=_int("--trials", 1))
    s.add_argument("--seed", type=_int("--seed", 0), default=0)
    s.add_argument("--json", action="store_true")
    s = sub.add_parser("report", help="the main job: derivations, checks, figures")
    s.add_argument("--out", default="superpose-report")
    s.add_argument("--scale", default="quick")
    s.add_argument("--seed", type=_int("--seed", 0), default=0)
    s.add_argument("--only", action="append", metavar="CONSTRUCTION",
                   help="restrict the report to these constructions")
    s = sub.add_parser("audit", help="mutation audit: can every check fail on a wrong formula?")
    s.add_argument("--scale", default="default",
                   help="default (each construction's verify defaults: the sample size the "
                        "target refers to), smoke or quick (the report's runs)")
    s.add_argument("--seed", type=_int("--seed", 0), default=0)
    s.add_argument("--only", action="append", metavar="CONSTRUCTION")
    s.add_argument("--json", action="store_true")
    from superpose.reports.export_cli import add_parser as add_export

    add_export(sub)
    return p


def _value_str(v: Any) -> str:
    if isinstance(v, int):
        return str(v)
    return f"{v:.17g}"


def cmd_list(args) -> int:
    data = []
    for name in available():
        c = get_construction(name)
        data.append({"name": c.name, "title": c.title, "doc": c.doc,
                     "quantities": [q.describe() for q in c.quantities]})
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    for c in data:
        print(f"{c['name']}: {c['title']}")
        for q in c["quantities"]:
            ps = ", ".join(f"{p['name']}:{p['type']}" for p in q["params"])
            tag = " [published]" if q["published"] else ""
            print(f"  {q['name']}({ps})  {q['statistic']}, {q['accuracy']}{tag}")
    return 0


def cmd_derive(args) -> int:
    from superpose.reports import latex

    c = get_construction(args.name)
    print(latex.construction_latex(c) if args.latex else latex.construction_text(c))
    return 0


def cmd_eval(args) -> int:

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


def cmd_verify(args) -> int:
    from superpose.verify.check import run_checks

    progress = None if args.json else (lambda msg: print(msg, file=sys.stderr, flush=True))
    params, results, _ = run_checks(args.name, parse_params(args.param), trials=args.trials,
                                    seed=args.seed, progress=progress)
    trials = args.trials
    if trials is None:
        from superpose.verify.check import verify_module
        trials = verify_module(args.name).DEFAULT_TRIALS
    if args.json:
        print(json.dumps({"construction": args.name, "params": params, "seed": args.seed,
                          "trials": trials, "checks": [r.to_json() for r in results]}, indent=1))
    else:
        for r in results:
            pred = "-" if r.predicted is None else f"{r.predicted:.6g}"
            print(f"{r.verdict:5s} {r.name}: predicted {pred}, measured {r.measured:.6g} "
                  f"± {r.se:.2g} (n={r.n}, networks={r.n_networks})"
                  + (f"  [{r.note}]" if r.verdict == "skip" and r.note else ""))
    return 1 if any(r.verdict == "fail" for r in results) else 0


def cmd_report(args) -> int:
    from superpose.reports.report import build_report

    return build_report(args.out, scale=args.scale, seed=args.seed, only=args.only)


def cmd_audit(args) -> int:
    from superpose.verify.audit import audit_construction
    from superpose.verify.check import verify_module

    if args.scale not in ("default", "smoke", "quick"):
        raise BadInput(f"audit --scale takes default, smoke or quick, got {args.scale!r}")
    names = args.only or available()
    for n in names:
        get_construction(n)
    progress = None if args.json else (lambda msg: print(msg, file=sys.stderr, flush=True))
    rows = []
    for n in names:
        try:
            mod = verify_module(n)
        except BadInput:
            continue
        runs = [({}, mod.DEFAULT_TRIALS)] if args.scale == "default" else mod.SCALES[args.scale]
        rows += audit_construction(n, runs, seed=args.seed, progress=progress)
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


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        if args.cmd is None:
            raise BadInput("a command is needed: list, derive, eval, verify, report (see --help)")
        return COMMANDS[args.cmd](args)
    except BadInput as exc:
        msg = " ".join(str(exc).split())
        print(f"superpose: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("superpose: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
