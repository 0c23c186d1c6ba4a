r"""Export constructed networks with their ground truth, for interpretability methods.

A folder holds ``arrays.npz`` (plain float64 / int arrays) and ``manifest.json`` (parameters,
seed, versions, git revision, layer shapes, the ground truth's layout, how to sample valid
inputs, the predicted error figures from the registry, and a stored check pass).

Every construction is exported as an MLP ``y = W_out relu(... relu(W_1 x + b_1))``.  What the
layers, the ground truth and the valid inputs are is the construction's own: one small module
per construction defines ``EXPORT`` (an :class:`ExportSpec`), found through the construction's
:class:`~superpose.derive.protocol.ConstructionEntry` (``export=`` names the module; the
built-in ones are :mod:`.cis2`, :mod:`.rotations`, :mod:`.uand_random`, :mod:`.uand_sparse`).
This module is the machinery they share and knows no construction by name.

**Formats.**  ``dense`` stores every layer's matrix (``weight_1, bias_1, ..., weight_out``) and
is refused above ``DENSE_MAX_BYTES``; ``factored`` stores only the construction's arrays and
runs the construction's factored forward pass in plain numpy.  Both store the ground truth and
``check_input``/``check_output``: the forward pass of the folder's own code path, which
:func:`load` reproduces bit for bit.

**Integrity.**  ``manifest.arrays.sha256`` is the hash of ``arrays.npz``; ``manifest_sha256`` the
hash of the manifest's canonical JSON (sorted keys, no whitespace, ASCII) without that key, so it
covers the arrays too.  ``arrays.npz`` also records the export's parameters (``provenance``):
:func:`load` names the fields of an edited manifest that disagree with it.

Public API: :func:`build` (in memory, nothing written), :func:`export` / :func:`write` (a folder,
written whole or not at all by :mod:`superpose.reports.outdir`), :func:`load`,
:func:`score_neurons`, :func:`score_weights`, :func:`exportable`.
"""
from __future__ import annotations

import hashlib
import importlib
import io
import json
import math
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Mapping, NamedTuple

import numpy as np

from superpose.derive.quantity import BadInput, Param, bind_params, get_construction
from superpose.reports import outdir
from superpose.verify import provenance
from superpose.verify.provenance import git_revision
from superpose.verify.rng import stream

FORMAT, SCHEMA_VERSION = "superpose-export", 2   # 2: manifest_sha256 (the manifest is hashed too)
ARRAYS, MANIFEST = "arrays.npz", "manifest.json"
HASH_KEY = "manifest_sha256"
DENSE_MAX_BYTES = 256 * 2**20       # dense layer matrices + ground truth, float64
FACTORED_MAX_BYTES = 2**30
N_CHECK = 8                         # stored check passes
ZIP_DATE = (1980, 1, 1, 0, 0, 0)    # fixed member timestamps: byte-identical npz
PACKAGES = ("numpy", "scipy", "sympy", "mpmath")
PROVENANCE = ("format", "schema_version", "construction", "storage", "params", "seed", "command",
              "git_revision", "versions")   # recorded in arrays.npz too ("provenance")


# ------------------------------------------------------------------------- specs


@dataclass
class Built:
    """A construction's network in memory, before the generic parts are added."""

    network: Any                                     # the verify layer's network object (tests)
    arrays: dict[str, np.ndarray]                    # ground truth + factored arrays
    dense: Callable[[], dict[str, np.ndarray]]       # layer arrays, built on demand
    manifest: dict[str, Any]                         # resolved, network, inputs, ground_truth, scoring


class Prediction(NamedTuple):
    """One predicted figure for the manifest: a registry quantity at the export's parameters."""

    construction: str
    quantity: str                                    # short name within the construction
    params: dict
    note: str = ""
    figure_divisor: float | None = None              # also store ``figure = value / divisor``


def _same(ex: "Export", key):
    return key


@dataclass(frozen=True)
class ExportSpec:
    """What one construction supplies to export its networks (``EXPORT`` in its module).

    Functions taking ``ex`` get the :class:`Export`; ``p`` is the bound parameter dict.
    """

    params: tuple[Param, ...]                        # export parameters (from the verify module)
    constraint: Callable[[dict], str | None] | None
    sizes: Callable[[dict], tuple[int, int]]         # (dense bytes, factored bytes)
    build: Callable[[dict, np.random.Generator], Built]
    forward: Callable[..., Any]                      # factored: (arrays, x, hidden) -> y [, hs]
    sample_inputs: Callable[["Export", int, np.random.Generator], dict[str, np.ndarray]]
    circuits: Callable[["Export"], list]             # keys of the true circuits
    predictions: Callable[[dict, dict], list[Prediction]]   # (p, built manifest) -> rows
    predictions_note: str = ""
    neurons: Callable[["Export", Any, int], np.ndarray] | None = None   # None: no neuron sets
    key: Callable[["Export", Any], Any] = _same      # a proposed circuit key -> a circuits() key
    flat_proposals: bool = False                     # score_neurons: ids alone mean layer 1
    true_components: Callable[["Export"], dict] | None = None   # None: no weight attribution
    no_weights_reason: str = ""                      # why weight attribution is not defined
    family: Callable[["Export"], Any] | None = None  # the small circuits as a verify object
    hidden_bias: bool = True                         # hidden layers have bias arrays
    describe: Callable[[dict], str] | None = None    # extra words for the size refusal


def exportable() -> list[str]:
    """Constructions whose entry names an export module (nothing is imported)."""
    from superpose.derive.protocol import entries

    return [name for name, e in entries().items() if e.export]


def spec(name: str) -> ExportSpec:
    """The ``EXPORT`` of construction ``name`` (``BadInput`` if it has none)."""
    from superpose.derive.protocol import entries

    entry = entries().get(name) if isinstance(name, str) else None
    if entry is None or not entry.export:
        raise BadInput(f"cannot export {name!r} (exportable: {', '.join(exportable())})")
    try:
        found = importlib.import_module(entry.export).EXPORT
    except (ImportError, AttributeError) as exc:
        raise BadInput(f"cannot export {name!r}: its export module {entry.export} "
                       f"failed to load ({exc})") from None
    if not isinstance(found, ExportSpec):
        raise BadInput(f"cannot export {name!r}: {entry.export}.EXPORT is not an ExportSpec")
    return found


def _fmt_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return ""  # pragma: no cover


def _generator(rng) -> np.random.Generator:
    """numpy's convention: a Generator is used as it is, a seed makes one (``default_rng(seed)``)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, (bool, np.bool_)) and rng >= 0:
        return stream(int(rng))          # = numpy.random.default_rng(rng), bit for bit
    raise BadInput(f"rng must be a seed (an integer >= 0) or a numpy.random.Generator, got {rng!r}")


# ------------------------------------------------------------------ the network


def _layers(sp_: ExportSpec, man: dict) -> list[dict]:
    """The exported MLP's layers (names of the dense arrays, shapes, activations)."""
    net = man["network"]
    dims = [net["input_dim"]] + net["hidden"]
    out = [{"weight": f"weight_{k}", "bias": f"bias_{k}" if sp_.hidden_bias else None,
            "shape": [dims[k], dims[k - 1]], "activation": "relu"} for k in range(1, len(dims))]
    return out + [{"weight": "weight_out", "bias": None, "shape": [net["output_dim"], dims[-1]],
                   "activation": "identity"}]


def forward_dense(arrays: Mapping[str, np.ndarray], layers: list[dict], x: np.ndarray,
                  hidden: bool = False):
    """The dense code path: ``h <- act(h @ W.T + b)`` layer by layer (float64)."""
    h, hs = x, []
    for lay in layers:
        h = h @ arrays[lay["weight"]].T
        if lay["bias"] is not None:
            h = h + arrays[lay["bias"]]
        if lay["activation"] == "relu":
            h = np.maximum(h, 0.0)
            hs.append(h)
    return (h, hs) if hidden else h


@dataclass(frozen=True, eq=False)
class Export:
    """An exported network in memory: ``manifest`` (dict) and ``arrays`` (name -> ndarray)."""

    manifest: dict
    arrays: Mapping[str, np.ndarray] = field(repr=False)

    name = property(lambda self: self.manifest["construction"])
    storage = property(lambda self: self.manifest["storage"])
    params = property(lambda self: self.manifest["params"])
    layers = property(lambda self: self.manifest["network"]["layers"])

    @cached_property
    def spec(self) -> ExportSpec:
        return spec(self.name)

    def forward(self, x, hidden: bool = False):
        """Output (B, output_dim) of inputs x (B, input_dim) [and the hidden layers' activations]."""
        x = np.asarray(x, dtype=np.float64)
        n_in = self.manifest["network"]["input_dim"]
        if x.ndim != 2 or x.shape[1] != n_in:
            raise BadInput(f"{self.name}: inputs must have shape (B, {n_in}), got {x.shape}")
        if self.storage == "dense":
            return forward_dense(self.arrays, self.layers, x, hidden)
        return self.spec.forward(self.arrays, x, hidden)

    def verify(self) -> tuple[bool, float]:
        """(bit-for-bit equal?, max |diff|) of the forward pass on the stored check pass."""
        y = self.forward(self.arrays["check_input"])
        ref = self.arrays["check_output"]
        return bool(np.array_equal(y, ref)), float(np.max(np.abs(y - ref), initial=0.0))

    def sample_inputs(self, n: int, rng) -> dict[str, np.ndarray]:
        """``n`` valid inputs and their ground-truth outputs: ``input`` (n, in), ``target`` (n, out), ...

        ``rng``: a seed (int) or a ``numpy.random.Generator`` (numpy's convention).  CiS2 /
        rotations add ``active`` (n, z), ``payload`` (n, z, k) and ``true`` (L+1, n, z, d)
        (small-circuit activations); U-AND adds ``active`` (n, l).
        """
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 0:
            raise BadInput(f"{self.name}: n must be an integer >= 0, got {n!r}")
        return self.spec.sample_inputs(self, int(n), _generator(rng))

    def family(self):
        """The small circuits as the verify layer's object (cis2 / rotations: a CircuitFamily)."""
        if self.spec.family is None:
            raise BadInput(f"{self.name}: no small-circuit family to return")
        return self.spec.family(self)

    # ------------------------------------------------------------ ground truth

    def circuits(self) -> list:
        """Keys of the true circuits: t (cis2 / rotations) or pair index p (U-AND)."""
        return self.spec.circuits(self)

    def neurons(self, key, layer: int = 1) -> np.ndarray:
        """Sorted hidden-neuron ids of circuit ``key`` at hidden layer ``layer`` (1-based)."""
        if not self.manifest["scoring"]["neuron_sets"] or self.spec.neurons is None:
            raise BadInput(f"{self.name}: neuron sets are not defined "
                           f"({self.manifest['ground_truth'].get('neurons', '')})")
        return self.spec.neurons(self, key, layer)

    def true_components(self) -> dict:
        """Weight components whose sum is the network: ``{t: {param: (rows, cols, vals)}, "shared":
        {param: dense array}}`` (manifest ``ground_truth``: ``weight_component``)."""
        if not self.manifest["scoring"]["weight_attribution"] or self.spec.true_components is None:
            have = [n for n in exportable() if _has_weights(n)]
            raise BadInput(f"{self.name}: weight attribution is defined for "
                           f"{' and '.join(have)} only ({self.spec.no_weights_reason})")
        return self.spec.true_components(self)

    def to_torch(self, dtype=None):
        """The dense network as ``torch.nn.Sequential`` (Linear, ReLU, ..., Linear); float64 by default."""
        try:
            import torch
        except ImportError:
            raise BadInput("PyTorch is not installed (pip install torch); Export.forward needs numpy only") from None
        if self.storage != "dense":
            raise BadInput("to_torch needs a dense export (--format dense)")
        mods = []
        for lay in self.layers:
            out_dim, in_dim = lay["shape"]
            lin = torch.nn.Linear(in_dim, out_dim, bias=lay["bias"] is not None, dtype=dtype or torch.float64)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(self.arrays[lay["weight"]]))
                if lay["bias"] is not None:
                    lin.bias.copy_(torch.from_numpy(self.arrays[lay["bias"]]))
            mods += [lin] + ([torch.nn.ReLU()] if lay["activation"] == "relu" else [])
        return torch.nn.Sequential(*mods)


def _has_weights(name: str) -> bool:
    try:
        return spec(name).true_components is not None
    except BadInput:
        return False


def dense_guard(ex: Export, nbytes: int, what: str) -> None:
    """``BadInput`` if a dense array of ``nbytes`` would exceed ``DENSE_MAX_BYTES``."""
    if nbytes > DENSE_MAX_BYTES:
        raise BadInput(f"{ex.name}: {what} would take {_fmt_bytes(nbytes)} "
                       f"(limit {_fmt_bytes(DENSE_MAX_BYTES)})")


def versions() -> dict[str, str]:
    return provenance.versions(("superpose",) + PACKAGES)


# ------------------------------------------------------------------- building


def _predictions(sp_: ExportSpec, p: dict, man: dict) -> list[dict]:
    """Predicted error figures from the registry at the exported parameters (none retyped here)."""
    out = []
    for row in sp_.predictions(p, man):
        q = get_construction(row.construction).get(row.quantity)
        params = {k: v for k, v in row.params.items() if k in {qp.name for qp in q.params}}
        note = row.note
        rec = {"quantity": q.name, "params": params, "statistic": q.statistic,
               "accuracy": q.accuracy, "published": q.published, "note": note, "value": None}
        if q.is_measured_only:
            rec["note"] = (note + "; " if note else "") + "measured only, no prediction"
        else:
            try:
                v = q.evaluate(params)
                rec["value"] = v if isinstance(v, int) or math.isfinite(v) else None
            except BadInput as exc:
                rec["note"] = (note + "; " if note else "") + f"not evaluable: {exc}"
        if rec["value"] is not None and row.figure_divisor is not None:
            rec["figure"] = rec["value"] / row.figure_divisor
        out.append(rec)
    return out


def make(name: str, raw_params: Mapping[str, Any], *, seed: int = 0, fmt: str = "dense",
         command: str | None = None) -> tuple[Export, Built]:
    """Build the export in memory (validated; dense refused above DENSE_MAX_BYTES)."""
    sp_ = spec(name)
    if fmt not in ("dense", "factored"):
        raise BadInput(f"--format takes dense or factored, got {fmt!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise BadInput(f"--seed must be an integer >= 0, got {seed!r}")
    params = bind_params(sp_.params, raw_params, what=f"export {name}", constraint=sp_.constraint)
    dense_b, fac_b = sp_.sizes(params)
    desc = ", ".join(f"{k}={v}" for k, v in params.items())
    if sp_.describe is not None:
        desc += sp_.describe(params)
    if fmt == "dense" and dense_b > DENSE_MAX_BYTES:
        raise BadInput(f"dense export of {name} at {desc} would take {_fmt_bytes(dense_b)} "
                       f"(limit {_fmt_bytes(DENSE_MAX_BYTES)}); use --format factored "
                       f"({_fmt_bytes(fac_b)})")
    if fac_b > FACTORED_MAX_BYTES:
        raise BadInput(f"factored export of {name} at {desc} would take {_fmt_bytes(fac_b)} "
                       f"(limit {_fmt_bytes(FACTORED_MAX_BYTES)})")
    rng = stream(seed, "export", name, *(f"{k}={params[k]}" for k in sorted(params)))
    try:
        built = sp_.build(params, rng)
    except ValueError as exc:
        raise BadInput(f"export {name}: {exc}") from None
    arrays = dict(built.arrays)
    if fmt == "dense":
        arrays.update(built.dense())
    arrays = {k: np.asarray(v, order="C") for k, v in arrays.items()}  # the layout np.load returns
    man = built.manifest
    man["network"]["layers"] = _layers(sp_, man)
    man["network"]["dense_bytes"], man["network"]["factored_bytes"] = dense_b, fac_b
    command = command or (f"superpose export {name} "
                          + "".join(f"--param {k}={v} " for k, v in sorted(raw_params.items()))
                          + f"--seed {seed} --format {fmt}")
    manifest = {"format": FORMAT, "schema_version": SCHEMA_VERSION, "construction": name,
                "storage": fmt, "params": params, "seed": int(seed), "command": command,
                "git_revision": git_revision(), "versions": versions(), **man}
    arrays["provenance"] = np.array(json.dumps({k: manifest[k] for k in PROVENANCE}))
    ex = Export(manifest, arrays)
    chk = ex.sample_inputs(N_CHECK, stream(seed, "export", name, "check"))
    arrays["check_input"], arrays["check_target"] = chk["input"], chk["target"]
    arrays["check_output"] = ex.forward(chk["input"])
    manifest["check"] = {"input": "check_input", "output": "check_output", "target": "check_target",
                         "rule": "load() recomputes check_output from check_input with this folder's "
                                 "code path and requires bit-for-bit equality"}
    manifest["predictions"] = _predictions(sp_, params, man)
    manifest["predictions_note"] = sp_.predictions_note
    return ex, built


def build(name: str, params: Mapping[str, Any] | None = None, seed: int = 0, *,
          fmt: str = "dense") -> Export:
    """The network ``name`` at ``params`` and ``seed``, in memory (nothing is written).

    The same network :func:`export` writes for the same arguments; ``fmt="factored"`` keeps only
    the construction's arrays (no layer matrices, no size limit of the dense form).
    """
    return make(name, dict(params or {}), seed=seed, fmt=fmt)[0]


# ------------------------------------------------------------------ the folder


def _npz_bytes(arrays: Mapping[str, np.ndarray]) -> bytes:
    """A deterministic .npz: sorted members, fixed timestamps and attributes, deflated."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key in sorted(arrays):
            info = zipfile.ZipInfo(f"{key}.npy", date_time=ZIP_DATE)
            info.compress_type, info.create_system, info.external_attr = zipfile.ZIP_DEFLATED, 3, 0o644 << 16
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asarray(arrays[key], order="C"), allow_pickle=False)
            zf.writestr(info, member.getvalue())
    return buf.getvalue()


def manifest_hash(manifest: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of ``manifest`` without its own ``manifest_sha256``."""
    body = {k: v for k, v in manifest.items() if k != HASH_KEY}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _is_export(path: Path) -> bool:
    try:
        man = json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(man, dict) and man.get("format") == FORMAT and \
        {p.name for p in path.iterdir()} <= {MANIFEST, ARRAYS}


def check_target(out) -> Path:
    """The absolute output folder, or ``BadInput`` if it may not be (re)written."""
    return outdir.check_target(out, _is_export, "export")


def write(ex: Export, out) -> Path:
    """Write ``ex`` to folder ``out``, whole or not at all (:func:`superpose.reports.outdir.atomic`)."""
    target = check_target(out)
    blob = _npz_bytes(ex.arrays)
    man = dict(ex.manifest)
    man.pop(HASH_KEY, None)
    man["arrays"] = {"file": ARRAYS, "sha256": hashlib.sha256(blob).hexdigest(),
                     "entries": {k: {"shape": list(v.shape), "dtype": str(v.dtype)}
                                 for k, v in sorted(ex.arrays.items())}}
    man[HASH_KEY] = manifest_hash(man)
    text = json.dumps(man, indent=1, allow_nan=False) + "\n"
    with outdir.atomic(target, _is_export, "export") as tmp:
        (tmp / ARRAYS).write_bytes(blob)
        (tmp / MANIFEST).write_text(text)
    return target


def export(name: str, raw_params: Mapping[str, Any], *, out, seed: int = 0, fmt: str = "dense",
           command: str | None = None) -> Path:
    """``superpose export``: validate (``out`` included), build, write ``out/{manifest.json, arrays.npz}``."""
    check_target(out)
    ex, _ = make(name, raw_params, seed=seed, fmt=fmt, command=command)
    return write(ex, out)


# ------------------------------------------------------------------ reading back

_REQUIRED = (("construction", str), ("storage", str), ("params", dict), ("seed", int),
             ("network", dict), ("network.input_dim", int), ("network.output_dim", int),
             ("network.hidden", list), ("network.layers", list),
             ("arrays", dict), ("arrays.file", str), ("arrays.sha256", str), ("arrays.entries", dict),
             ("scoring", dict), ("scoring.neuron_sets", bool), ("scoring.weight_attribution", bool),
             ("ground_truth", dict), ("check", dict), ("check.input", str), ("check.output", str),
             (HASH_KEY, str))
_LAYER = (("weight", str), ("bias", (str, type(None))), ("shape", list), ("activation", str))
_TYPE_WORDS = {str: "a string", dict: "an object", list: "a list", int: "an integer", bool: "true or false"}


def _get(man: Mapping, dotted: str):
    v: Any = man
    for part in dotted.split("."):
        v = v[part] if isinstance(v, Mapping) else None
    return v


def _malformed(man: Mapping) -> str | None:
    """The first missing or mistyped required field of a manifest, as words, or None."""
    for dotted, typ in _REQUIRED:
        head, _, last = dotted.rpartition(".")
        parent = _get(man, head) if head else man
        if not isinstance(parent, Mapping) or last not in parent:
            return f"missing field {dotted!r}"
        v = parent[last]
        if not isinstance(v, typ) or (typ is int and isinstance(v, bool)):
            return f"field {dotted!r} must be {_TYPE_WORDS[typ]}, got {type(v).__name__}"
    if man["storage"] not in ("dense", "factored"):
        return f"field 'storage' must be dense or factored, got {man['storage']!r}"
    for k, lay in enumerate(man["network"]["layers"]):
        for key, typ in _LAYER:
            if not isinstance(lay, Mapping) or key not in lay:
                return f"missing field 'network.layers[{k}].{key}'"
            if not isinstance(lay[key], typ):
                return f"field 'network.layers[{k}].{key}' has the wrong type ({type(lay[key]).__name__})"
    return None


def _diff(a, b, where: str = "") -> list[str]:
    """Dotted names where two JSON values differ (recursing through objects)."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return [d for k in sorted(set(a) | set(b), key=str)
                for d in _diff(a.get(k, "<missing>"), b.get(k, "<missing>"), f"{where}.{k}" if where else str(k))]
    if a == b and type(a) is type(b):
        return []
    return [f"{where} is {a!r} in {MANIFEST}, {b!r} when exported"]


def load(path, *, check: bool = True) -> Export:
    """Read an export folder; refuse a modified or malformed one; with ``check``, require the stored
    check pass bit for bit."""
    folder = Path(path)
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except FileNotFoundError:
        raise BadInput(f"{path}: no {MANIFEST} (not a superpose export folder)") from None
    except (OSError, ValueError) as exc:
        raise BadInput(f"{path}/{MANIFEST}: unreadable ({' '.join(str(exc).split())})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BadInput(f"{path}/{MANIFEST}: not a superpose export (format != {FORMAT!r})")
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise BadInput(f"{path}: schema version {manifest.get('schema_version')!r}, this superpose "
                       f"reads {SCHEMA_VERSION}")
    bad = _malformed(manifest)
    if bad:
        raise BadInput(f"{path}/{MANIFEST}: malformed manifest: {bad}")
    try:
        blob = (folder / ARRAYS).read_bytes()
    except OSError as exc:
        raise BadInput(f"{path}/{ARRAYS}: unreadable ({exc.strerror or exc})") from None
    if hashlib.sha256(blob).hexdigest() != manifest["arrays"]["sha256"]:
        raise BadInput(f"{path}/{ARRAYS}: contents differ from the manifest's sha256 (modified or corrupt)")
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        recorded = json.loads(str(arrays["provenance"]))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise BadInput(f"{path}/{ARRAYS}: unreadable ({' '.join(str(exc).split())})") from None
    changed = _diff({k: manifest.get(k, "<missing>") for k in PROVENANCE}, recorded)
    if changed or manifest_hash(manifest) != manifest[HASH_KEY]:
        what = "; ".join(changed) if changed else \
            "its sha256 does not match (fields other than the parameters were changed)"
        raise BadInput(f"{path}/{MANIFEST} was modified after export: {what}")
    missing = sorted(set(manifest["arrays"]["entries"]) - set(arrays))
    if missing:
        raise BadInput(f"{path}/{ARRAYS}: missing arrays {missing}")
    manifest = {k: v for k, v in manifest.items() if k != HASH_KEY}
    ex = Export(manifest, arrays)
    ex.spec  # noqa: B018 -- BadInput now if this superpose cannot run the construction
    if check:
        same, diff = ex.verify()
        if not same:
            raise BadInput(f"{path}: forward pass differs from the stored check pass (max |diff| = "
                           f"{diff:.3g}); a different BLAS can do this: load(..., check=False)")
    return ex


# ---------------------------------------------------------------------- scoring


def score_neurons(ex: Export, proposed: Mapping[Any, Any]) -> dict[str, Any]:
    """Precision / recall of proposed neuron sets against the true ones (cis2, rotations, uand-sparse).

    ``proposed``: ``{circuit: {layer: neuron ids}}`` (cis2 / rotations, layers 1..L) or
    ``{pair: neuron ids}`` (uand-sparse; pair = index p or (i, j)).  Per (circuit, layer):
    precision = |P & T| / |P| (NaN if P is empty), recall = |P & T| / |T| (NaN if T is empty;
    unproposed circuits have recall 0).  Returns macro means (``precision`` over proposed sets,
    ``recall`` over true sets), ``micro_precision``/``micro_recall`` (pooled counts) and the
    per-item arrays ``per_precision``/``per_recall`` (n_circuits, n_layers).
    """
    keys = ex.circuits()
    layers = list(range(1, len(ex.manifest["network"]["hidden"]) + 1))
    if not ex.manifest["scoring"]["neuron_sets"]:
        raise BadInput(f"{ex.name}: neuron sets are not defined ({ex.manifest['ground_truth']['neurons']})")
    sp_ = ex.spec
    prec = np.full((len(keys), len(layers)), np.nan)
    rec = np.full((len(keys), len(layers)), np.nan)
    tp_sum = p_sum = t_sum = 0
    idx = {}
    for key, val in proposed.items():
        k = sp_.key(ex, key)
        if sp_.flat_proposals and not isinstance(val, Mapping):
            val = {1: val}
        if not isinstance(val, Mapping):
            raise BadInput(f"score_neurons: circuit {key!r} needs {{layer: neuron ids}}")
        if k in idx:
            raise BadInput(f"score_neurons: circuit {key!r} given twice")
        idx[k] = val
    for r, k in enumerate(keys):
        for c, l in enumerate(layers):
            true = ex.neurons(k, l)
            got = np.unique(np.asarray(list(idx.get(k, {}).get(l, ())), dtype=np.int64))
            tp = int(np.isin(got, true).sum())
            tp_sum, p_sum, t_sum = tp_sum + tp, p_sum + got.size, t_sum + true.size
            prec[r, c] = tp / got.size if got.size else np.nan
            rec[r, c] = tp / true.size if true.size else np.nan
    for k, val in idx.items():
        if k not in keys or any(l not in layers for l in val):
            raise BadInput(f"score_neurons: unknown circuit {k!r} or layer in {sorted(val)} "
                           f"(layers {layers[0]}..{layers[-1]})")
    nanmean = lambda v: float(np.nanmean(v)) if np.any(~np.isnan(v)) else math.nan  # noqa: E731
    return {"precision": nanmean(prec), "recall": nanmean(rec),
            "micro_precision": tp_sum / p_sum if p_sum else math.nan,
            "micro_recall": tp_sum / t_sum if t_sum else math.nan,
            "per_precision": prec, "per_recall": rec, "layers": layers}


def _as_matrix(q, shape) -> Any:
    import scipy.sparse as sps

    if isinstance(q, tuple) and len(q) == 3:                      # (rows, cols, vals) triples
        q = sps.coo_matrix((q[2], (q[0], q[1])), shape=tuple(shape))
    if sps.issparse(q):
        q = q.tocsr()
    else:
        q = np.asarray(q, dtype=np.float64)
    if tuple(q.shape) != tuple(shape):
        raise BadInput(f"score_weights: component of shape {q.shape}, the parameter has {tuple(shape)}")
    return q


def score_weights(ex: Export, proposed: Mapping[Any, Mapping[str, Any]]) -> dict[str, Any]:
    r"""Fraction of weight norm attributed correctly (cis2, rotations).

    The truth splits every parameter (``weight_1, bias_1, ..., weight_out``) into components
    ``C_c`` (circuits ``t`` and ``"shared"``), ``sum_c C_c`` = the network (:meth:`Export.true_components`).
    ``proposed`` gives ``Q_c`` = the sum of the components a method assigned to ``c``:
    ``{c: {param: ndarray, scipy.sparse or (rows, cols, vals)}}`` (missing = 0).  Score

    .. math:: F = 1 - \sum_c\|Q_c - C_c\|_F^2 / \sum_c\|C_c\|_F^2

    (1 iff every component is exact, 0 for Q = 0; ``per_circuit`` is the same per circuit and
    ``shared`` for the shared part).  A per-entry labelling is ``Q_c = W * [label == c]``.
    """
    import scipy.sparse as sps

    truth = ex.true_components()
    shapes = {lay["weight"]: lay["shape"] for lay in ex.layers}
    shapes |= {lay["bias"]: [lay["shape"][0]] for lay in ex.layers if lay["bias"]}
    for c, q in proposed.items():
        if c not in truth:
            raise BadInput(f"score_weights: unknown component {c!r} (circuits 0..{len(truth) - 2} or 'shared')")
        bad = sorted(set(q) - set(shapes))
        if bad:
            raise BadInput(f"score_weights: unknown parameter {bad[0]!r} (parameters: {', '.join(shapes)})")
    err, norm = {}, {}
    for c, comp in truth.items():
        q = proposed.get(c, {})
        e = n2 = 0.0
        for pname, shape in shapes.items():
            Q = _as_matrix(q[pname], shape) if pname in q else None
            C = comp.get(pname)
            cn = 0.0 if C is None else float(np.sum(C * C) if c == "shared" else np.sum(C[2] ** 2))
            qn, cross = 0.0, 0.0
            if Q is not None:
                qn = float(Q.multiply(Q).sum()) if sps.issparse(Q) else float(np.sum(Q * Q))
                if C is not None and c == "shared":
                    cross = float(Q.multiply(C).sum()) if sps.issparse(Q) else float(np.sum(Q * C))
                elif C is not None:
                    g = Q[C[0], C[1]]
                    cross = float(np.dot(np.asarray(g).ravel(), C[2]))
            e, n2 = e + qn - 2 * cross + cn, n2 + cn
        err[c], norm[c] = max(e, 0.0), n2
    total = sum(norm.values())
    per = np.array([1 - err[t] / norm[t] if norm[t] else math.nan for t in truth if t != "shared"])
    return {"fraction": 1 - sum(err.values()) / total, "per_circuit": per,
            "shared": 1 - err["shared"] / norm["shared"] if norm["shared"] else math.nan,
            "norm2": total}
