"""Sweeps for the benchmarks in ``bench/``: their points run as tasks, their tables come
from one writer.

A sweep benchmark is a list of points and a function that measures one point
(``fn(**point)``, importable, returning something that pickles).  :func:`run` runs the
points through :mod:`superpose.verify.tasks`: in this process, on local worker processes
(``--jobs``) or on a Dask scheduler (``--cluster``), each finished point cached on disk, so
an interrupted sweep rerun with the same arguments reuses what finished and says so.
:func:`write` writes the result table (Markdown) and the raw results (JSON) with a header
saying how they were made (command, git revision, versions, seed), all or nothing.

A benchmark script is then::

    ap = argparse.ArgumentParser(...)
    sweep.add_arguments(ap)                    # --jobs --cluster --no-cache --quiet
    args = ap.parse_args()
    results = sweep.run(measure_point, points, args)
    sweep.write(stem, "Title", COLUMNS, [row(r) for r in results], results=results)
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from superpose.verify import tasks

#: The packages whose versions a table names (those that make the numbers).
PACKAGES = ("superpose", "numpy", "scipy", "sympy", "mpmath")


def add_arguments(ap: argparse.ArgumentParser) -> None:
    """The options every sweep benchmark takes (those of ``superpose report``)."""
    ap.add_argument("--jobs", type=int, default=None,
                    help="local worker processes (default: one per core; $SUPERPOSE_JOBS)")
    ap.add_argument("--cluster", default=None, metavar="ADDRESS",
                    help="a Dask scheduler (tcp://host:8786; default $SUPERPOSE_CLUSTER)")
    ap.add_argument("--no-cache", action="store_true",
                    help="neither reuse nor store finished points")
    ap.add_argument("--quiet", action="store_true", help="no progress lines")


def run(fn: Callable[..., Any], points: Sequence[Mapping[str, Any]],
        args: argparse.Namespace | None = None, *, labels: Sequence[str] | None = None,
        on_result: Callable[[int, Any], None] | None = None) -> list[Any]:
    """``[fn(**p) for p in points]``, run as tasks (options from :func:`add_arguments`).

    ``on_result(i, value)`` is called as each point finishes (reused ones first).  A point
    that raised stops the sweep with one line naming it (exit status 3 from a script).
    """
    a = args or argparse.Namespace(jobs=None, cluster=None, no_cache=False, quiet=False)
    todo = [tasks.call_task(fn, (labels[i] if labels else ""), **p)
            for i, p in enumerate(points)]

    def done(i: int, out) -> list:
        if out.error is None and on_result is not None:
            on_result(i, out.value)
        return []

    outs = tasks.run(todo, jobs=a.jobs, cluster=a.cluster, cache=False if a.no_cache else None,
                     progress=False if a.quiet else True, on_done=done)
    bad = [(t, o) for t, o in zip(todo, outs) if o.error is not None]
    if bad:
        t, o = bad[0]
        print(o.trace, end="", file=sys.stderr)
        raise SystemExit(f"sweep: {len(bad)} of {len(todo)} points failed; first: "
                         f"{t.title}: {o.error}")
    return [o.value for o in outs]


def provenance(seed: int | None = None) -> dict[str, Any]:
    """How a table was made: the command, the git revision, the versions (and the seed)."""
    from superpose.verify.provenance import git_revision, versions

    meta = {"command": " ".join(["python"] + [Path(sys.argv[0]).as_posix()] + sys.argv[1:]),
            "git_revision": git_revision(), "versions": versions(PACKAGES)}
    if seed is not None:
        meta["seed"] = seed
    return meta


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table; cells are written with ``str`` (format numbers before)."""
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in rows:
        if len(r) != len(columns):
            raise ValueError(f"row of {len(r)} cells for {len(columns)} columns: {r!r}")
        out.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(out) + "\n"


def write(stem: str | os.PathLike, title: str, columns: Sequence[str] | None,
          rows: Sequence[Sequence[Any]] = (), *, results: Any = None, notes: str = "",
          seed: int | None = None,
          tables: Sequence[tuple[str, Sequence[str], Sequence[Sequence[Any]]]] = ()
          ) -> list[Path]:
    """``<stem>.md`` (title, provenance, ``notes``, the table, then each of ``tables`` as
    ``(heading, columns, rows)``) and, with ``results``, ``<stem>.json``
    (``{"meta": ..., "results": ...}``).  Each file is written whole or not at all (a
    temporary sibling renamed into place)."""
    stem = Path(stem)
    meta = provenance(seed)
    head = (f"# {title}\n\nMade by `{meta['command']}` at git {meta['git_revision']} "
            f"({', '.join(f'{k} {v}' for k, v in meta['versions'].items())})"
            + (f", seed {seed}" if seed is not None else "") + ".\n\n")
    body = head + (notes.strip() + "\n\n" if notes.strip() else "")
    if columns is not None:
        body += markdown_table(columns, rows)
    for heading, cols, rs in tables:
        body += f"\n## {heading}\n\n" + markdown_table(cols, rs)
    files = {stem.with_suffix(".md"): body}
    if results is not None:
        files[stem.with_suffix(".json")] = json.dumps({"meta": meta, "results": results},
                                                      indent=1, sort_keys=True) + "\n"
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return list(files)
