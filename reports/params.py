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
