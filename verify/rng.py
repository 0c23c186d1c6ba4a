"""Seeds and random streams.

Every random number in ``verify/`` comes from a ``numpy.random.Generator`` made here from
the user's seed and a tuple of *stable names* (construction, check, case), so that adding
a check does not shift the numbers of another, and parallel workers get independent
streams (``SeedSequence.spawn`` semantics through ``spawn_key``).

>>> a = stream(0, "uand-random", "l=3").standard_normal(3)
>>> b = stream(0, "uand-random", "l=3").standard_normal(3)
>>> bool((a == b).all())
True
"""
from __future__ import annotations

import hashlib

import numpy as np


def _key(name: object) -> int:
    return int.from_bytes(hashlib.sha256(str(name).encode()).digest()[:4], "little")


def seed_sequence(seed: int, *names: object) -> np.random.SeedSequence:
    """A SeedSequence for ``seed`` and the stable path ``names``."""
    return np.random.SeedSequence(int(seed), spawn_key=tuple(_key(n) for n in names))


def stream(seed: int, *names: object) -> np.random.Generator:
    """The Generator for ``seed`` and the stable path ``names`` (PCG64, any machine)."""
    return np.random.Generator(np.random.PCG64(seed_sequence(seed, *names)))


def spawn(seed: int, n: int, *names: object) -> list[np.random.Generator]:
    """``n`` independent Generators (e.g. one per network draw or worker)."""
    return [np.random.Generator(np.random.PCG64(s)) for s in seed_sequence(seed, *names).spawn(n)]
