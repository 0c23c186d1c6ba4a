"""``superpose export``: write a constructed network with its ground truth (verify/export.py).

::

    superpose export NAME [--param k=v ...] [--seed S] --out DIR [--format dense|factored]

Wiring (reports/cli.py): ``add_parser(sub)`` adds the sub-command to the ``superpose`` parser's
sub-parsers and ``cmd_export(args) -> int`` runs it (exit 0; bad input raises ``BadInput``,
which the CLI prints on one line with exit 2).  ``main(argv)`` runs it stand-alone
(``python -m reports.export_cli ...``) with the same exit codes.
"""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

from superpose.derive.quantity import BadInput
from superpose.reports.params import int_flag as _int
from superpose.reports.params import parse_params

HELP = "write a constructed network and its ground truth (arrays.npz + manifest.json)"


def add_parser(sub) -> argparse.ArgumentParser:
    """Add ``export`` to ``sub`` (the object returned by ``add_subparsers``)."""
    from superpose.verify.export import DENSE_MAX_BYTES, exportable

    s = sub.add_parser("export", help=HELP, description=HELP + ". Exportable: "
                       + ", ".join(exportable()) + f". Dense is refused above "
                       f"{DENSE_MAX_BYTES // 2**20} MiB (use --format factored).")
    s.add_argument("name", help="construction: " + ", ".join(exportable()))
    s.add_argument("--param", action="append", metavar="K=V")
    s.add_argument("--seed", type=_int("--seed", 0), default=0)
    s.add_argument("--out", required=True, help="output folder (new, empty, or an earlier export)")
    s.add_argument("--format", default="dense", metavar="dense|factored", dest="format")
    return s


def cmd_export(args) -> int:
    from superpose.verify.export import export, load

    raw = parse_params(args.param)
    cmd = (f"superpose export {args.name} " + "".join(f"--param {k}={v} " for k, v in sorted(raw.items()))
           + f"--seed {args.seed} --format {args.format}")
    path = export(args.name, raw, out=args.out, seed=args.seed, fmt=args.format, command=cmd)
    ex = load(path, check=False)
    size = sum(p.stat().st_size for p in path.iterdir())
    net = ex.manifest["network"]
    print(f"wrote {path}: {ex.name} ({ex.storage}, {size / 2**20:.2f} MiB on disk), input "
          f"{net['input_dim']}, hidden {net['hidden']}, output {net['output_dim']}, "
          f"{len(ex.circuits())} circuits; read it back with verify.export.load({str(path)!r})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    class _P(argparse.ArgumentParser):
        def error(self, message):  # one line, exit 2
            raise BadInput(message)

    parser = _P(prog="superpose")
    add_parser(parser.add_subparsers(dest="cmd", parser_class=_P, required=True))
    try:
        return cmd_export(parser.parse_args(["export", *(argv if argv is not None else sys.argv[1:])]))
    except BadInput as exc:
        print(f"superpose: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
