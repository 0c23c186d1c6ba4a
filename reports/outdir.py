"""Output folders that are written whole or not at all (``superpose report`` and ``export``).

A folder may be (re)written when it does not exist, is empty, or holds an earlier output of
the same kind (``is_ours``); anything else is refused with one ``BadInput`` line.

:func:`check_target` resolves and validates ``--out`` before any work is done (``DIR/x/..`` is
``DIR``, as the operating system reads it; a folder name too long for the temporary sibling is
refused there, not after the work).  :func:`atomic` (or :func:`make_temp`,
:func:`move_into_place` and :func:`discard`) builds the folder in a temporary sibling on the
same filesystem and renames it into place at the end, so an error or Ctrl-C leaves the earlier
output (or nothing), never half an output, and no parent folder it created.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from superpose.derive.quantity import BadInput

IsOurs = Callable[[Path], bool]
TMP, OLD = ".tmp-", ".old-"     # temporary siblings: ".{name}.tmp-XXXXXXXX", ".{name}.old-XXXXXXXX"
_EXTRA = 1 + len(TMP) + 8       # bytes a sibling's name adds to the folder's name


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def resolve(out) -> Path:
    """The absolute folder ``out`` names, ``..`` resolved (a symbolic link at the end is kept)."""
    if out is None or str(out).strip() == "":
        raise BadInput("--out needs a folder name")
    try:
        p = Path(out).expanduser()
        # pathlib drops "." components; a final ".." (or "/") has no name of its own
        return p.resolve() if p.name in ("", "..") else p.parent.resolve() / p.name
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symbolic-link loop
        raise BadInput(f"--out {out}: {_why(exc) if isinstance(exc, OSError) else exc}") from None


def check_target(out, is_ours: IsOurs, what: str) -> Path:
    """The absolute output folder, or ``BadInput`` if it may not be (re)written.

    ``what`` names the kind of output in the refusal ("report", "export").  Nothing is created.
    """
    target = resolve(out)
    try:
        if target.parent == target:
            raise BadInput(f"--out {out}: the filesystem root cannot be an output folder")
        if target.is_symlink() or (target.exists() and not target.is_dir()):
            raise BadInput(f"--out {out}: exists and is not a folder")
        if target.is_dir() and any(target.iterdir()) and not is_ours(target):
            raise BadInput(f"--out {out}: folder is not empty and is not an earlier superpose "
                           f"{what}; refusing to overwrite it (choose another --out)")
        parent = target.parent
        while not parent.exists():
            parent = parent.parent
        if not parent.is_dir():
            raise BadInput(f"--out {out}: {parent} is not a folder")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise BadInput(f"--out {out}: cannot write in {parent}")
        try:
            name_max = os.pathconf(parent, "PC_NAME_MAX")
        except (OSError, ValueError):
            name_max = 255
        if len(os.fsencode(target.name)) + _EXTRA > name_max:
            raise BadInput(f"--out {out}: folder name too long ({len(os.fsencode(target.name))} "
                           f"bytes; at most {name_max - _EXTRA} here)")
    except OSError as exc:  # a path too long, a loop, a permission denied on the way
        raise BadInput(f"--out {out}: {_why(exc)}") from None
    return target


def make_temp(target: Path) -> tuple[Path, list[Path]]:
    """A temporary folder beside ``target`` and the missing parents created for it."""
    created: list[Path] = []
    missing, p = [], target.parent
    while not p.exists():
        missing.append(p)
        p = p.parent
    try:
        for d in reversed(missing):
            d.mkdir()
            created.append(d)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}{TMP}", dir=target.parent))
    except OSError as exc:
        _remove_created(created)
        raise BadInput(f"--out {target}: cannot write there ({_why(exc)})") from None
    return tmp, created


def move_into_place(tmp: Path, target: Path, is_ours: IsOurs, what: str) -> None:
    """Rename ``tmp`` to ``target``, replacing an earlier output (checked once more)."""
    check_target(target, is_ours, what)
    old = None
    if target.exists():
        if any(target.iterdir()):
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}{OLD}", dir=target.parent))
            os.rmdir(old)
            os.rename(target, old)
        else:
            os.rmdir(target)
    try:
        os.rename(tmp, target)
    except BaseException:  # (Ctrl-C included) put the earlier output back
        if old is not None:
            os.rename(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _remove_created(created: list[Path]) -> None:
    for d in reversed(created):  # only if still empty: never anything someone else put there
        try:
            os.rmdir(d)
        except OSError:
            pass


def discard(tmp: Path, created: list[Path]) -> None:
    """Remove the temporary folder and the (still empty) parents :func:`make_temp` created."""
    shutil.rmtree(tmp, ignore_errors=True)
    _remove_created(created)


@contextmanager
def atomic(target: Path, is_ours: IsOurs, what: str) -> Iterator[Path]:
    """``with atomic(target, ...) as tmp:`` write into ``tmp``; on success it becomes ``target``."""
    tmp, created = make_temp(target)
    try:
        yield tmp
        move_into_place(tmp, target, is_ours, what)
    except BaseException:
        discard(tmp, created)
        raise
