"""Output folders that are written whole or not at all (``superpose report`` and ``export``).

A folder may be (re)written when it does not exist, is empty, or holds an earlier output of
the same kind (``is_ours``); anything else is refused with one ``BadInput`` line.

:func:`check_target` resolves and validates ``--out`` before any work is done (``DIR/x/..`` is
``DIR``, as the operating system reads it; a folder name too long for the temporary sibling is
refused there, not after the work).  :func:`atomic` (or :func:`make_temp`,
:func:`move_into_place` and :func:`discard`) builds the folder in a temporary sibling on the
same filesystem and renames it into place at the end, so an error or Ctrl-C leaves the earlier
output (or nothing), never half an output, and no parent folder it created.

Nothing of the user's is deleted: a caller that records the files it wrote passes ``foreign``
(the paths in the folder it did not write), and a folder holding any is refused, naming one.

A temporary sibling's name carries its owner's process id and a short hash of the host name
(``.{name}.tmp-{pid}-{host}-XXXXXXXX``); :func:`make_temp` first removes the siblings of the
same output whose owner died on this host (a run killed with SIGKILL cannot clean up itself).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import socket
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from superpose.derive.quantity import BadInput

IsOurs = Callable[[Path], bool]
Foreign = Callable[[Path], "list[str]"]
TMP, OLD = ".tmp-", ".old-"     # temporary siblings: ".{name}.tmp-{pid}-{host}-XXXXXXXX", ".old-"
_PID_MAX_DIGITS = 7             # /proc/sys/kernel/pid_max is at most 2**22 = 4194304
_EXTRA = 1 + len(TMP) + (_PID_MAX_DIGITS + 1) + 7 + 8   # bytes a sibling's name adds


def _host() -> str:
    """Six hex digits naming this machine (a shared filesystem may hold other hosts' runs)."""
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:6]


def _prefix(target: Path, kind: str, pid: int | None = None) -> str:
    return f".{target.name}{kind}{os.getpid() if pid is None else pid}-{_host()}-"


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine (a zombie counts as dead)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:      # someone else's process: alive
        return True
    except OSError:
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rsplit(b")", 1)[1].split()[0]
        return state not in (b"Z", b"X")
    except (OSError, IndexError):
        return True


def stale_siblings(target: Path) -> list[Path]:
    """Temporary siblings of ``target`` left by runs on this host whose process is gone."""
    out = []
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return out
    for p in entries:
        for kind in (TMP, OLD):
            head = f".{target.name}{kind}"
            if not p.name.startswith(head):
                continue
            parts = p.name[len(head):].split("-", 2)
            if len(parts) == 3 and parts[0].isdigit() and parts[1] == _host() \
                    and not pid_alive(int(parts[0])) and p.is_dir() and not p.is_symlink():
                out.append(p)
    return sorted(out)


def reclaim_stale(target: Path) -> list[Path]:
    """Remove :func:`stale_siblings` of ``target`` (what a killed run left); returns them."""
    gone = []
    for p in stale_siblings(target):
        shutil.rmtree(p, ignore_errors=True)
        if not p.exists():
            gone.append(p)
    return gone


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


def check_target(out, is_ours: IsOurs, what: str, foreign: Foreign | None = None) -> Path:
    """The absolute output folder, or ``BadInput`` if it may not be (re)written.

    ``what`` names the kind of output in the refusal ("report", "export").  ``foreign``, if
    given, lists the paths (relative, sorted) of an earlier output's folder that it did not
    write: any such path is refused, named in the message.  Nothing is created.
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
        if foreign is not None and target.is_dir():
            _refuse_foreign(out, target, foreign, what)
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


def _refuse_foreign(out, folder: Path, foreign: Foreign, what: str) -> None:
    extra = foreign(folder)
    if extra:
        more = f" (and {len(extra) - 1} more)" if len(extra) > 1 else ""
        raise BadInput(f"--out {out}: {extra[0]}{more} was not written by superpose; refusing "
                       f"to replace this earlier {what} (move it away or choose another --out)")


def make_temp(target: Path) -> tuple[Path, list[Path]]:
    """A temporary folder beside ``target`` and the missing parents created for it.

    Stale temporary siblings of ``target`` (their owner process is dead) are removed first."""
    reclaim_stale(target)
    created: list[Path] = []
    missing, p = [], target.parent
    while not p.exists():
        missing.append(p)
        p = p.parent
    try:
        for d in reversed(missing):
            d.mkdir()
            created.append(d)
        tmp = Path(tempfile.mkdtemp(prefix=_prefix(target, TMP), dir=target.parent))
    except OSError as exc:
        _remove_created(created)
        raise BadInput(f"--out {target}: cannot write there ({_why(exc)})") from None
    return tmp, created


def move_into_place(tmp: Path, target: Path, is_ours: IsOurs, what: str,
                    foreign: Foreign | None = None) -> None:
    """Rename ``tmp`` to ``target``, replacing an earlier output (checked once more)."""
    check_target(target, is_ours, what, foreign)
    old = None
    if target.exists():
        if any(target.iterdir()):
            old = Path(tempfile.mkdtemp(prefix=_prefix(target, OLD), dir=target.parent))
            os.rmdir(old)
            os.rename(target, old)
            if foreign is not None and foreign(old):  # a file arrived since the check
                os.rename(old, target)
                _refuse_foreign(target, target, foreign, what)
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
def atomic(target: Path, is_ours: IsOurs, what: str,
           foreign: Foreign | None = None) -> Iterator[Path]:
    """``with atomic(target, ...) as tmp:`` write into ``tmp``; on success it becomes ``target``."""
    tmp, created = make_temp(target)
    try:
        yield tmp
        move_into_place(tmp, target, is_ours, what, foreign)
    except BaseException:
        discard(tmp, created)
        raise
