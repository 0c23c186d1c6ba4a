"""Command-line parameter parsing shared by ``superpose`` and ``superpose export``.

Kept import-light (no SymPy at import time): the parser is built for every command,
including ``superpose --version``.
"""
from __future__ import annotations

import argparse
from typing import Callable, Sequence


def parse_params(pairs: Sequence[str] | None) -> dict[str, str]:
    """``--param k=v`` items -> ``{k: v}`` (values stay strings; ``Param.parse`` types them)."""
    from superpose.derive.quantity import BadInput

    out: dict[str, str] = {}
    for item in pairs or ():
        k, sep, v = item.partition("=")
        k = k.strip()
        if not sep or not k:
            raise BadInput(f"--param takes k=v, got {item!r}")
        if k in out:
            raise BadInput(f"parameter {k} given twice")
        out[k] = v
    return out


def int_flag(flag: str, lo: int) -> Callable[[str], int]:
    """An argparse ``type`` for the integer flag ``flag`` (``>= lo``) that fails with one clear
    line; argparse prefixes the message with ``argument FLAG:``."""
    def conv(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if v < lo:
            raise argparse.ArgumentTypeError(f"must be an integer >= {lo}, got {v}")
        return v
    conv.__name__ = "integer"
    return conv


_UNITS = {"": 1, "B": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def bytes_flag(text: str) -> float:
    """An argparse ``type`` for a memory size: ``4G``, ``500M``, ``8GB``, ``1e9`` (bytes)."""
    t = text.strip().upper().removesuffix("IB").removesuffix("B") if text.strip().upper() not in ("B",) else "0"
    unit = t[-1:] if t[-1:] in _UNITS and t[-1:] != "" and not t[-1:].isdigit() else ""
    num = t[:-1] if unit else t
    try:
        v = float(num) * _UNITS[unit]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a size such as 4G or 500M, got {text!r}") from None
    if not (v > 0 and v < float("inf")):
        raise argparse.ArgumentTypeError(f"must be a positive size, got {text!r}")
    return v
