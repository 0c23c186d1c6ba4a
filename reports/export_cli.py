"""``superpose export``: write a constructed network with its ground truth.

::

    superpose export NAME [--param k=v ...] [--seed S] --out DIR [--format dense|factored]

Wiring (reports/cli.py): ``add_parser(sub)`` adds the sub-command to the ``superpose`` parser's
sub-parsers and ``cmd_export(args) -> int`` runs it (exit 0; bad input raises ``BadInput``,
which the CLI prints on one line with exit 2).  ``main(argv)`` runs it stand-alone
(``python -m superpose.reports.export_cli ...``) through the ``superpose`` entry point, with
the same exit codes.

Building the parser does not import the exporter (it pulls in SciPy and every verify module);
the list of exportable constructions and the dense size limit are looked up only when the
help text is shown.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import textwrap
from typing import Sequence

from superpose.reports.params import int_flag as _int

HELP = "write a constructed network and its ground truth (arrays.npz + manifest.json)"
FORMATS = ("dense", "factored")


def _exporter():
    """The exporter module, :mod:`superpose.reports.export` (imported on first use)."""
    return importlib.import_module("superpose.reports.export")


def _fill_help(parser: argparse.ArgumentParser) -> None:
    """Complete the help text from the exporter (called only when help is shown)."""
    try:
        ex = _exporter()
        names = ", ".join(ex.exportable())
        limit = getattr(ex, "DENSE_MAX_BYTES", None)
    except Exception:  # the help must show even if the exporter cannot be imported
        return
    parser.description = textwrap.fill(HELP + f". Exportable: {names}." + (
        f" Dense is refused above {limit // 2**20} MiB (use --format factored)."
        if limit else ""), 79, break_on_hyphens=False)
    for action in parser._actions:
        if action.dest == "name":
            action.help = f"construction to export: {names}"


def add_parser(sub) -> argparse.ArgumentParser:
    """Add ``export`` to ``sub`` (the object returned by ``add_subparsers``)."""
    s = sub.add_parser("export", help=HELP, description=HELP + ".")
    s.add_argument("name", metavar="NAME",
                   help="construction to export (see `superpose export --help` for the list)")
    s.add_argument("--param", action="append", metavar="K=V",
                   help="a parameter of the construction's verify side, k=v; repeat for more "
                        "(default: the construction's defaults, see `superpose list`)")
    s.add_argument("--seed", type=_int("--seed", 0), default=0,
                   help="random seed of the network (an integer >= 0)")
    s.add_argument("--out", required=True, metavar="DIR",
                   help="output folder (new, empty, or an earlier export, which is replaced)")
    s.add_argument("--format", default="dense", choices=FORMATS, dest="format",
                   help="dense: every layer's matrix; factored: only the construction's arrays "
                        "and a factored forward pass (for sizes too large for dense)")
    s.help_hook = _fill_help   # used by the superpose parser (reports/cli.py) when help is shown
    return s


def cmd_export(args) -> int:
    from superpose.reports.export import export, load
    from superpose.reports.params import parse_params

    raw = parse_params(args.param)
    cmd = (f"superpose export {args.name} " + "".join(f"--param {k}={v} " for k, v in sorted(raw.items()))
           + f"--seed {args.seed} --format {args.format}")
    path = export(args.name, raw, out=args.out, seed=args.seed, fmt=args.format, command=cmd)
    ex = load(path, check=False)
    size = sum(p.stat().st_size for p in path.iterdir())
    net = ex.manifest["network"]
    print(f"wrote {path}: {ex.name} ({ex.storage}, {size / 2**20:.2f} MiB on disk), input "
          f"{net['input_dim']}, hidden {net['hidden']}, output {net['output_dim']}, "
          f"{len(ex.circuits())} circuits; read it back with superpose.load({str(path)!r})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``superpose export ARGV...`` with the ``superpose`` command's error handling."""
    from superpose.reports.cli import main as superpose_main

    return superpose_main(["export", *(argv if argv is not None else sys.argv[1:])])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
