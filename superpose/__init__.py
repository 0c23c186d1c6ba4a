"""superpose: derive, verify and report error bounds for computation in superposition.

The public Python API (:mod:`superpose.api`) is imported on first use, so ``import superpose``
stays light (no SymPy, NumPy, SciPy or matplotlib until a function is called)::

    >>> import superpose
    >>> superpose.evaluate("uand-random.rms_error_constant", l=3, on=2)   # doctest: +SKIP
    >>> superpose.verify("uand-random", trials=2000).passed                # doctest: +SKIP

``superpose.verify`` is also the name of the subpackage :mod:`superpose.verify`; that module
object is callable and calling it is :func:`superpose.api.verify`.
"""
import sys as _sys
import types as _types

__version__ = "0.2.0"

#: Names served lazily from :mod:`superpose.api`.
_API = ("evaluate", "verify", "build", "load", "constructions", "quantities", "parameters",
        "Results", "BadInput", "CHECKS_SCHEMA_VERSION")

__all__ = ["__version__", *_API]


class _VerifyPackage(_types.ModuleType):
    """The subpackage :mod:`superpose.verify`, callable as :func:`superpose.api.verify`."""

    def __call__(self, name, /, **kwargs):
        """Run the Monte Carlo checks of a construction: see :func:`superpose.api.verify`."""
        from superpose.api import verify

        return verify(name, **kwargs)


class _Package(_types.ModuleType):
    # The import system binds a subpackage on its parent with setattr: this keeps
    # ``superpose.verify(...)`` working however ``superpose.verify`` was first imported.
    def __setattr__(self, name, value):
        if (name == "verify" and type(value) is _types.ModuleType
                and value.__name__ == f"{__name__}.verify"):
            value.__class__ = _VerifyPackage
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package


def __getattr__(name: str):
    if name in ("verify", "api"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")   # verify: bound callable
    if name in _API:
        from superpose import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
