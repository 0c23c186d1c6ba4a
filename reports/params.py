"""Command-line parameter parsing shared by ``superpose`` and ``superpose export``."""
from __future__ import annotations

from typing import Callable, Sequence

from superpose.derive.quantity import BadInput


def parse_params(pairs: Sequence[str] | None) -> dict[str, str]:
    """``--param k=v`` items -> ``{k: v}`` (values stay strings; ``Param.parse`` types them)."""
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
    """An argparse ``type`` for an integer flag ``>= lo`` that fails with one clear line."""
    def conv(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise BadInput(f"{flag} takes an integer, got {text!r}") from None
        if v < lo:
            raise BadInput(f"{flag} must be >= {lo}, got {v}")
        return v
    return conv
