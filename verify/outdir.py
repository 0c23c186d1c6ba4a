"""Output folders that are written whole or not at all (``superpose report`` and ``export``).

A folder may be (re)written when it does not exist, is empty, or holds an earlier output of
the same kind (``is_ours``); anything else is refused with one ``BadInput`` line.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from superpose.derive.quantity import BadInput


def check_target(out, is_ours: Callable[[Path], bool], what: str) -> Path:
    """The absolute output folder, or ``BadInput`` if it may not be (re)written.

    ``what`` names the kind of output in the refusal ("report", "export").
    """
    if out is None or str(out).strip() == "":
        raise BadInput("--out needs a folder name")
    target = Path(out).expanduser().absolute()
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
    return target
