"""On-disk cache for expensive SymPy derivations.

``cached(key, fn, *modules)`` returns ``fn()`` and stores it (pickled) in the user cache
folder ``$XDG_CACHE_HOME/superpose`` (default ``~/.cache/superpose``).  The file name
includes a hash of the *source code* of the given modules and the SymPy version, so
editing the deriving code or upgrading SymPy invalidates the entry.  Set
``SUPERPOSE_NO_CACHE=1`` to bypass the cache (tests of the derivation itself do).
A corrupt or unreadable entry is recomputed, never trusted.
"""
from __future__ import annotations

import hashlib
import inspect
import os
import pickle
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

import sympy


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "superpose"


_SOURCE_HASH: dict[str, str] = {}


def _source_hash(m: ModuleType) -> str:
    # Memoised per module: the first read (normally right after import) is kept, so a
    # process that imported old code cannot store its results under a newer file's key.
    if m.__name__ not in _SOURCE_HASH:
        _SOURCE_HASH[m.__name__] = hashlib.sha256(inspect.getsource(m).encode()).hexdigest()
    return _SOURCE_HASH[m.__name__]


def code_hash(*modules: ModuleType) -> str:
    h = hashlib.sha256(sympy.__version__.encode())
    for m in modules:
        h.update(_source_hash(m).encode())
    return h.hexdigest()[:16]


def cached(key: str, fn: Callable[[], Any], *modules: ModuleType) -> Any:
    """``fn()``, cached on disk under ``key`` and the hash of ``modules``' source."""
    if os.environ.get("SUPERPOSE_NO_CACHE"):
        return fn()
    path = cache_dir() / f"{key}-{code_hash(*modules)}.pkl"
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)
    except Exception:  # missing, corrupt, or from an incompatible version: recompute
        pass
    value = fn()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass  # an unwritable cache only costs time
    return value
