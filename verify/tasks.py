"""One task layer for everything that sweeps: the report, ``superpose audit`` and the benchmarks.

A **task** is one Monte Carlo case of one construction: ``measure(params, trials, seed)`` of
its verify module at one parameter point (one entry of the module's ``SCALES``, or a point a
benchmark chooses).  Tasks are not split further into blocks of network draws: each verify
module draws its networks from one stream per case (``verify.rng.stream(seed, name, ...)``)
and some reduce across draws inside ``measure``, so a split would change the random streams
and with them the published numbers.  A case is therefore the unit of work, of caching and of
resuming; its numbers depend only on the seed and on names (never on a worker), so any number
of workers on either backend gives byte-identical results.

Besides check tasks, :func:`run` takes any job with ``run()``, ``key`` and ``title``: the
report's figure jobs (one per figure script) and the benchmarks' points
(:class:`CallTask`, ``fn(**kwargs)`` of an importable function; :mod:`superpose.verify.sweep`).

Where the tasks run (:func:`run`):

* ``jobs == 1`` (and no cluster): in this process, one after the other;
* ``jobs > 1``: on joblib's process backend (loky: fresh worker processes, no server); each
  worker dies with its parent (Linux ``PR_SET_PDEATHSIG``, elsewhere a watchdog thread) and
  runs BLAS on ``cores // jobs`` threads (:func:`blas_env`);
* ``cluster="tcp://host:8786"`` (or ``$SUPERPOSE_CLUSTER``): on an existing Dask scheduler
  (``pip install 'superpose[dask]'``; the workers need superpose installed too).

Only measuring runs in workers; judging (:func:`judge_outcome`, the verdict against the
registry's closed form) happens in the calling process, so workers need no derivation.

**Cache.**  Each finished task's measurements are stored in ``$XDG_CACHE_HOME/superpose/tasks/``
(``~/.cache/...``; ``$SUPERPOSE_CACHE_DIR`` overrides), keyed by a hash of the code that
produced them (the source of the construction's verify and derive modules and of every
``superpose`` module they import, transitively), the versions of superpose, Python, NumPy,
SciPy, SymPy and mpmath, the parameters, the trials and the seed.  A rerun reuses what
finished (``reused N of M tasks (X s of work)``).  The cache is limited to
``$SUPERPOSE_CACHE_MAX`` (bytes, or ``500M``, ``2G``; default 2G), least recently used entries
evicted first; :func:`clear_cache` empties it; ``$SUPERPOSE_NO_CACHE=1`` turns it off.
A task whose code has no source file (a construction defined at run time) is never cached.
"""
from __future__ import annotations

import ast
import contextlib
import hashlib
import importlib.metadata
import importlib.util
import json
import math
import os
import pickle
import signal
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

CACHE_FORMAT = 1
DEFAULT_CACHE_MAX = 2 * 1024**3
CONNECT_TIMEOUT = "20s"         # to reach a Dask scheduler
_VERSIONED = ("superpose", "numpy", "scipy", "sympy", "mpmath")


class Terminated(SystemExit):
    """Raised in the main thread on SIGTERM (exit status 143 = 128 + 15), so that the same
    clean-up as for Ctrl-C runs: workers stopped, temporary folders removed."""

    def __init__(self) -> None:
        super().__init__(128 + signal.SIGTERM)


@contextlib.contextmanager
def sigterm_as_exit() -> Iterator[None]:
    """While inside, SIGTERM raises :class:`Terminated` (only in the main thread, and only
    where nobody installed a SIGTERM handler of their own)."""
    if threading.current_thread() is not threading.main_thread() \
            or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return

    def handler(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM kills at once
        raise Terminated()

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        if signal.getsignal(signal.SIGTERM) is handler:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


# ------------------------------------------------------------------------------ tasks


@dataclass
class Task:
    """One Monte Carlo case: ``measure(dict(params), trials=trials, seed=seed)``.

    ``measure`` travels with the task (by reference for an importable module, by value for a
    function defined at run time); ``code`` is the digest of the code behind it (``None``:
    not cacheable)."""

    construction: str
    params: tuple[tuple[str, Any], ...]
    trials: int
    seed: int
    measure: Callable = field(repr=False)
    code: str | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.params)

    def run(self) -> "Outcome":
        """Measure (in a worker or here); an exception in ``measure`` becomes
        ``Outcome.error`` (Ctrl-C and SIGTERM still propagate)."""
        t, cpu = time.perf_counter(), time.process_time()
        try:
            ms = list(self.measure(dict(self.params), trials=self.trials, seed=self.seed,
                                   progress=None))
            out = Outcome(ms)
        except Exception as exc:
            out = Outcome(error=f"{type(exc).__name__}: {' '.join(str(exc).split())}",
                          trace=traceback.format_exc())
            try:
                pickle.loads(pickle.dumps(exc))
                out.exc = exc.with_traceback(None)
            except Exception:
                pass
        out.seconds = round(time.perf_counter() - t, 3)
        out.cpu_seconds = round(time.process_time() - cpu, 3)
        return out

    @property
    def title(self) -> str:
        return f"{self.construction} [{self.label}] trials={self.trials}"

    @property
    def key(self) -> str | None:
        """The cache key (``None``: not cacheable)."""
        if self.code is None:
            return None
        body = json.dumps({"format": CACHE_FORMAT, "code": self.code, "versions": _versions(),
                           "construction": self.construction,
                           "params": [[k, _canon(v)] for k, v in self.params],
                           "trials": self.trials, "seed": self.seed}, sort_keys=True)
        return hashlib.sha256(body.encode()).hexdigest()


@dataclass
class Outcome:
    """What a task produced: its measurements (or an error) and its cost."""

    measurements: list = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    error: str | None = None        # "TypeName: message" of an exception in measure
    trace: str = ""                 # its traceback
    exc: BaseException | None = field(default=None, repr=False)  # it, where it pickles
    reused: bool = False            # read from the cache
    value: Any = None               # what a CallTask's function returned


def _canon(v: Any) -> Any:
    if isinstance(v, bool) or v is None or isinstance(v, (str, int)):
        return v
    if isinstance(v, float):
        return repr(v)
    if hasattr(v, "item"):
        return _canon(v.item())
    return repr(v)


def check_task(name: str, raw_params: Mapping[str, Any], trials: int | None = None,
               seed: int = 0) -> Task:
    """The task of ``run_checks(name, raw_params, trials=..., seed=...)`` (validated here:
    ``BadInput`` for bad parameters, trials or seed, as :func:`verify.check.run_checks`)."""
    from superpose.derive.protocol import entries
    from superpose.verify.check import bind_run

    mod, params, trials = bind_run(name, raw_params, trials, seed)
    entry = entries()[name]
    roots = [entry.verify, entry.derive, getattr(mod.measure, "__module__", None)]
    if "<locals>" in getattr(mod.measure, "__qualname__", ""):
        roots.append(None)  # a closure: its code is not what its module's source says
    return Task(name, tuple(params.items()), trials, seed, mod.measure, code_digest(roots))


def execute(task):
    """Run one task (a :class:`Task`, or any job with ``run()``, ``key`` and ``title``, whose
    result has ``seconds``, ``error`` and ``reused``) in a worker or here."""
    return task.run()


@dataclass
class CallTask:
    """One point of a benchmark's sweep: ``fn(**kwargs)`` of an importable function, whose
    result (anything that pickles) is the outcome's ``value``.  Cached and resumed like a
    check task, keyed by the code of ``fn``'s module (and what it imports), the versions,
    ``fn``'s name and the arguments; ``label`` names it in progress lines."""

    fn: Callable = field(repr=False)
    kwargs: tuple[tuple[str, Any], ...]
    label: str = ""

    def __post_init__(self) -> None:
        mod = getattr(self.fn, "__module__", None)
        local = "<locals>" in getattr(self.fn, "__qualname__", "<locals>")
        self.code = None if (local or mod is None) else \
            _script_digest() if mod == "__main__" else code_digest([mod])

    @property
    def title(self) -> str:
        return self.label or ", ".join(f"{k}={v}" for k, v in self.kwargs)

    @property
    def key(self) -> str | None:
        if self.code is None:
            return None
        body = json.dumps({"format": CACHE_FORMAT, "code": self.code, "versions": _versions(),
                           "call": f"{self.fn.__module__}.{self.fn.__qualname__}",
                           "kwargs": [[k, _canon(v)] for k, v in self.kwargs]},
                          sort_keys=True)
        return hashlib.sha256(body.encode()).hexdigest()

    def run(self) -> "Outcome":
        t, cpu = time.perf_counter(), time.process_time()
        try:
            out = Outcome(value=self.fn(**dict(self.kwargs)))
        except Exception as exc:
            out = Outcome(error=f"{type(exc).__name__}: {' '.join(str(exc).split())}",
                          trace=traceback.format_exc())
        out.seconds = round(time.perf_counter() - t, 3)
        out.cpu_seconds = round(time.process_time() - cpu, 3)
        return out


def _script_digest() -> str | None:
    """The code digest of the script run as ``__main__`` (a benchmark): its source and the
    ``superpose`` modules it imports; ``None`` if it has no file."""
    path = getattr(sys.modules.get("__main__"), "__file__", None)
    if not path or not str(path).endswith(".py"):
        return None
    try:
        src = Path(path).read_bytes()
    except OSError:
        return None
    mods = sorted(m for m in _imports(str(path), "__main__", False) if _source_of(m)[0])
    deps = code_digest(mods) or ""
    return hashlib.sha256(src + b"\0" + deps.encode()).hexdigest()


def call_task(fn: Callable, label: str = "", **kwargs: Any) -> CallTask:
    """The task of ``fn(**kwargs)`` (see :class:`CallTask`)."""
    return CallTask(fn, tuple(kwargs.items()), label)


def judge_outcome(task: Task, outcome: Outcome, mutate=None) -> list:
    """The :class:`~superpose.verify.check.CheckResult` of every measurement (as
    :func:`~superpose.verify.check.run_checks` judges them)."""
    from superpose.derive.quantity import get_quantity
    from superpose.verify.check import judge

    return [judge(m, task.seed, quantity=mutate(get_quantity(m.quantity)) if mutate else None)
            for m in outcome.measurements]


# ------------------------------------------------------------------------ code digest


_DIGESTS: dict[str, str | None] = {}


def _source_of(modname: str) -> tuple[str | None, bool]:
    """(path of ``modname``'s source, is it a package); (None, False) if it has none."""
    mod = sys.modules.get(modname)
    spec = getattr(mod, "__spec__", None) if mod is not None else None
    if mod is not None and spec is None:
        return None, False
    try:
        spec = spec or importlib.util.find_spec(modname)
    except (ImportError, ValueError, AttributeError):
        return None, False
    if spec is None or not spec.origin or not str(spec.origin).endswith(".py"):
        return None, False
    return spec.origin, spec.submodule_search_locations is not None


_IMPORTS: dict[tuple[str, str, bool, int, int], set[str]] = {}


def _imports(path: str, modname: str, is_pkg: bool) -> set[str]:
    """The ``superpose`` modules that the source at ``path`` imports (each file parsed once
    per process and version of the file: the digests of a run share most modules)."""
    try:
        st = os.stat(path)
    except OSError:
        return set()
    key = (path, modname, is_pkg, st.st_mtime_ns, st.st_size)
    if key not in _IMPORTS:
        _IMPORTS[key] = _parse_imports(path, modname, is_pkg)
    return _IMPORTS[key]


def _parse_imports(path: str, modname: str, is_pkg: bool) -> set[str]:
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return set()
    package = modname if is_pkg else modname.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[:len(parts) - (node.level - 1)] if node.level > 1 else parts
                base = ".".join(parts + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return {m for m in found if m == "superpose" or m.startswith("superpose.")}


def code_digest(roots: Sequence[str | None]) -> str | None:
    """sha256 over the sources of ``roots`` and of every ``superpose`` module they import
    (transitively; the ``__init__`` of each package on the way is hashed, not followed);
    ``None`` if a root has no source file."""
    key = "\0".join(str(r) for r in roots)
    if key in _DIGESTS:
        return _DIGESTS[key]
    if any(r is None for r in roots):
        _DIGESTS[key] = None
        return None
    seen: dict[str, str] = {}
    todo = [r for r in roots if r]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path, is_pkg = _source_of(name)
        if path is None:
            if name in roots:
                _DIGESTS[key] = None
                return None
            seen[name] = ""        # "from superpose.x import attr": not a module
            continue
        seen[name] = path
        todo.extend(_imports(path, name, is_pkg))
        parent = name.rpartition(".")[0]
        while parent:              # packages on the way: their own source only
            if parent not in seen:
                p, _ = _source_of(parent)
                seen[parent] = p or ""
            parent = parent.rpartition(".")[0]
    h = hashlib.sha256()
    for name in sorted(seen):
        if seen[name]:
            h.update(name.encode() + b"\0" + Path(seen[name]).read_bytes() + b"\0")
    _DIGESTS[key] = h.hexdigest()
    return _DIGESTS[key]


_VERSIONS: dict[str, str] = {}


def _versions() -> dict[str, str]:
    if not _VERSIONS:
        import superpose

        _VERSIONS["python"] = ".".join(map(str, sys.version_info[:3]))
        _VERSIONS["superpose"] = superpose.__version__
        for p in _VERSIONED[1:]:
            try:
                _VERSIONS[p] = importlib.metadata.version(p)
            except importlib.metadata.PackageNotFoundError:
                _VERSIONS[p] = "?"
    return _VERSIONS


# ------------------------------------------------------------------------------ cache


def cache_dir() -> Path:
    """``$SUPERPOSE_CACHE_DIR`` or ``$XDG_CACHE_HOME/superpose/tasks`` (``~/.cache/...``)."""
    env = os.environ.get("SUPERPOSE_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "superpose" / "tasks"


def cache_max_bytes() -> int:
    """``$SUPERPOSE_CACHE_MAX``: bytes, or with a suffix K, M, G, T (default 2G)."""
    raw = os.environ.get("SUPERPOSE_CACHE_MAX", "").strip().upper().rstrip("B")
    if not raw:
        return DEFAULT_CACHE_MAX
    mult = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}.get(raw[-1:], 1)
    try:
        return max(0, int(float(raw[:-1] if mult > 1 else raw) * mult))
    except ValueError:
        return DEFAULT_CACHE_MAX


def cache_enabled() -> bool:
    return os.environ.get("SUPERPOSE_NO_CACHE", "") in ("", "0")


class Cache:
    """Finished tasks on disk: one pickle per key, least recently used evicted first."""

    SUFFIX = ".pkl"

    def __init__(self, folder: Path | None = None, max_bytes: int | None = None) -> None:
        self.folder = Path(folder) if folder is not None else cache_dir()
        self.max_bytes = cache_max_bytes() if max_bytes is None else max_bytes

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / (key + self.SUFFIX)

    def get(self, key: str | None) -> Outcome | None:
        if key is None:
            return None
        p = self._path(key)
        try:
            with open(p, "rb") as f:
                data = pickle.load(f)
            if data.get("key") != key or data.get("format") != CACHE_FORMAT:
                return None
            os.utime(p)                            # recently used
        except Exception:                          # missing, truncated, from elsewhere
            return None
        out = data["outcome"]
        out.reused = True
        return out

    def put(self, key: str | None, outcome: Outcome) -> None:
        """Store ``outcome`` (never an error); a cache that cannot be written is skipped."""
        if key is None or outcome.error is not None or self.max_bytes <= 0:
            return
        p = self._path(key)
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=p.parent)
            with os.fdopen(fd, "wb") as f:
                pickle.dump({"format": CACHE_FORMAT, "key": key, "outcome": outcome}, f,
                            protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, p)
        except Exception:
            with contextlib.suppress(Exception):
                os.unlink(tmp)
            return
        self.evict()

    def entries(self) -> list[tuple[float, int, Path]]:
        out = []
        for p in self.folder.glob(f"*/*{self.SUFFIX}"):
            try:
                st = p.stat()
            except OSError:
                continue
            out.append((st.st_mtime, st.st_size, p))
        return sorted(out)

    def size(self) -> int:
        return sum(s for _, s, _ in self.entries())

    def evict(self) -> int:
        """Remove least recently used entries until the cache fits; bytes removed."""
        ents = self.entries()
        total, freed = sum(s for _, s, _ in ents), 0
        for _, s, p in ents:
            if total <= self.max_bytes:
                break
            with contextlib.suppress(OSError):
                p.unlink()
                total -= s
                freed += s
        return freed

    def clear(self) -> int:
        freed = 0
        for _, s, p in self.entries():
            with contextlib.suppress(OSError):
                p.unlink()
                freed += s
        for d in list(self.folder.glob("*")):
            with contextlib.suppress(OSError):
                if d.is_dir():
                    for t in d.glob(".tmp-*"):
                        t.unlink()
                    d.rmdir()
        return freed


def clear_cache() -> int:
    """Empty the task cache (``superpose report --clear-cache``); returns the bytes freed."""
    return Cache().clear()


# ---------------------------------------------------------------------------- progress


class Progress:
    """``[done/total] elapsed, remaining: what`` lines on stderr (one per finished task)."""

    def __init__(self, total: int, enabled: bool | Callable[[str], None] | None = None,
                 stream=None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.sink = enabled if callable(enabled) else None
        if enabled is None:
            try:
                enabled = self.stream.isatty()
            except (AttributeError, ValueError):
                enabled = False
        self.enabled, self.total, self.done = bool(enabled), total, 0
        self.t0 = time.perf_counter()

    def say(self, msg: str) -> None:
        if self.sink is not None:
            self.sink(msg)
        elif self.enabled:
            print(msg, file=self.stream, flush=True)

    def step(self, what: str) -> None:
        self.done += 1
        el = time.perf_counter() - self.t0
        left = el / self.done * (self.total - self.done) if self.done else math.nan
        self.say(f"[{self.done}/{self.total}] {_dur(el)} elapsed, ~{_dur(left)} left: {what}")


def _dur(s: float) -> str:
    if not math.isfinite(s):
        return "?"
    if s < 60:
        return f"{s:.0f} s"
    return f"{int(s // 60)} min {s % 60:02.0f} s" if s < 3600 else \
        f"{int(s // 3600)} h {int(s % 3600 // 60):02d} min"


# ---------------------------------------------------------------------------- workers


def _worker_init(parent: int) -> None:
    """In each local worker: die with the parent (no orphan keeps computing)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)          # PR_SET_PDEATHSIG
        except Exception:
            _watchdog(parent)
    else:
        _watchdog(parent)
    if os.getppid() != parent:     # the parent died before the line above
        os._exit(1)


def _watchdog(parent: int) -> None:
    def watch():
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)
    threading.Thread(target=watch, daemon=True, name="superpose-parent-watchdog").start()


def default_jobs(n: int) -> int:
    """Local worker processes: ``$SUPERPOSE_JOBS`` or one per core, at most ``n`` tasks."""
    env = os.environ.get("SUPERPOSE_JOBS", "")
    jobs = int(env) if env.isdigit() and int(env) > 0 else (os.cpu_count() or 1)
    return max(1, min(jobs, n))


def cluster_address(cluster: str | None = None) -> str | None:
    """``cluster`` or ``$SUPERPOSE_CLUSTER`` (``None``/"" for local)."""
    addr = cluster if cluster is not None else os.environ.get("SUPERPOSE_CLUSTER", "")
    return addr.strip() or None


#: The variables through which OpenBLAS, MKL, BLIS and OpenMP read their thread count.
_BLAS_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
              "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def blas_env(jobs: int) -> dict[str, str]:
    """Environment of a local worker: BLAS threads = cores // workers (at least 1), as
    joblib's ``Parallel`` does.  Without it each of 2 workers on 2 cores ran 2 BLAS threads
    and every task took 1.5 to 5 times as long.  A variable the user set is kept."""
    n = str(max(1, (os.cpu_count() or 1) // max(1, jobs)))
    return {v: os.environ.get(v, n) for v in _BLAS_VARS}


def _quiet_manager_threads() -> None:
    """From now on, an exception in a loky executor's manager thread is not printed (every
    other thread's still is)."""
    previous = threading.excepthook
    if getattr(previous, "_superpose_quiet", False):
        return

    def hook(args):
        if getattr(args.thread, "name", "") != "ExecutorManagerThread":
            previous(args)

    hook._superpose_quiet = True
    threading.excepthook = hook


class _Local:
    """joblib's process backend (loky), one pool for the run, workers tied to this process."""

    def __init__(self, jobs: int) -> None:
        from joblib.externals.loky import ProcessPoolExecutor

        self.pool = ProcessPoolExecutor(jobs, initializer=_worker_init, initargs=(os.getpid(),),
                                        env=blas_env(jobs))

    def submit(self, fn, arg):
        return self.pool.submit(fn, arg)

    def first_completed(self, futures):
        from joblib.externals.loky import FIRST_COMPLETED, wait

        return wait(futures, return_when=FIRST_COMPLETED).done

    def pids(self) -> list[int]:
        return [p.pid for p in list((getattr(self.pool, "_processes", None) or {}).values())]

    def close(self, abort: bool, futures=()) -> None:
        if abort:     # stop now: no worker writes anything after we return
            # loky's own kill (cancelling the queued futures first made its manager thread
            # fail on them and the interpreter hang at exit); a queued item can still race
            # with the kill inside that thread (KeyError): after an abort, what that thread
            # raises is noise, not a second error to show
            _quiet_manager_threads()
            procs = list((getattr(self.pool, "_processes", None) or {}).values())
            self.pool.shutdown(wait=True, kill_workers=True)
            for proc in procs:
                with contextlib.suppress(Exception):
                    proc.join(5)
        else:
            self.pool.shutdown(wait=True)


class _Dask:
    """An existing Dask scheduler (``dask.distributed``)."""

    def __init__(self, address: str) -> None:
        try:
            from distributed import Client
        except ImportError:
            from superpose.derive.quantity import BadInput

            raise BadInput("--cluster needs Dask: pip install 'superpose[dask]'") from None
        try:
            self.client = Client(address, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            from superpose.derive.quantity import BadInput

            raise BadInput(f"--cluster {address}: cannot reach a Dask scheduler there "
                           f"({type(exc).__name__}: {' '.join(str(exc).split())})") from None

    def submit(self, fn, arg):
        return self.client.submit(fn, arg, pure=False)

    def first_completed(self, futures):
        from distributed import wait

        return wait(futures, return_when="FIRST_COMPLETED").done

    def pids(self) -> list[int]:
        return []

    def close(self, abort: bool, futures=()) -> None:
        with contextlib.suppress(Exception):
            if abort:
                self.client.cancel(list(futures))
            self.client.close()


def run(tasks: Sequence[Task], *, jobs: int | None = None, cluster: str | None = None,
        cache: bool | Cache | None = None,
        progress: bool | Callable[[str], None] | None = None,
        on_done: Callable[[int, Outcome], Sequence | None] | None = None,
        say: Callable[[str], None] | None = None) -> list[Outcome]:
    """Every task's :class:`Outcome`, in the order of ``tasks``.

    ``jobs``: local worker processes (default :func:`default_jobs`; 1 runs here);
    ``cluster``: a Dask scheduler address (default ``$SUPERPOSE_CLUSTER``; overrides
    ``jobs``); ``cache``: ``False`` to neither read nor write the cache, a :class:`Cache`,
    or ``None``/``True`` for the default one (off under ``$SUPERPOSE_NO_CACHE``);
    ``progress``: task lines on stderr (default: when stderr is a terminal; a callable
    receives them instead);
    ``on_done(i, outcome)`` is called here as each task finishes (cached ones first, then in
    completion order) and may return further jobs (anything :func:`execute` runs), which are
    run the same way and appended to the result; ``say`` prints the "reused" line (default:
    stderr unless ``progress`` is ``False``).
    """
    tasks = list(tasks)
    if cache is None or cache is True:
        store = Cache() if cache_enabled() else None
    else:
        store = cache or None
    results: list[Any] = [None] * len(tasks)
    keys = [t.key if store is not None else None for t in tasks]
    for i, k in enumerate(keys):
        if store is not None and (hit := store.get(k)) is not None:
            results[i] = hit
    reused = [i for i, r in enumerate(results) if r is not None]
    cacheable = sum(k is not None for k in keys)
    if reused and progress is not False:
        default = progress if callable(progress) else (
            lambda m: print(m, file=sys.stderr, flush=True))
        (say or default)(
            f"reused {len(reused)} of {cacheable} tasks "
            f"({sum(results[i].seconds for i in reused):.1f} s of work)")
    bar = Progress(len(tasks), progress)
    bar.done = len(reused)
    pending: list[int] = [i for i, r in enumerate(results) if r is None]

    def add(job) -> None:
        tasks.append(job)
        keys.append(job.key if store is not None else None)
        results.append(None)
        bar.total += 1
        i = len(tasks) - 1
        hit = store.get(keys[i]) if store is not None else None
        if hit is not None:
            bar.done += 1
            results[i] = hit
            for more in (on_done(i, hit) or []) if on_done else []:
                add(more)
        else:
            pending.append(i)

    def finish(i: int, out) -> None:
        results[i] = out
        if store is not None:
            store.put(keys[i], out)
        bar.step(f"{tasks[i].title} ({out.seconds:.1f} s)"
                 + (f" ERROR {out.error}" if out.error else ""))
        for more in (on_done(i, out) or []) if on_done else []:
            add(more)

    for i in reused:
        for more in (on_done(i, results[i]) or []) if on_done else []:
            add(more)

    address = cluster_address(cluster)
    if jobs is None:
        jobs = default_jobs(len(pending))
    if address is None and jobs <= 1:
        while pending:
            i = pending.pop(0)
            finish(i, execute(tasks[i]))
        return results
    backend = None
    abort, inflight = True, {}
    try:
        while pending or inflight:
            if pending and backend is None:
                backend = _Dask(address) if address else _Local(jobs)
            while pending:
                i = pending.pop(0)
                inflight[backend.submit(execute, tasks[i])] = i
            for f in backend.first_completed(list(inflight)):
                i = inflight.pop(f)
                try:
                    out = f.result()
                except Exception as exc:   # the worker itself died (out of memory, killed)
                    out = Outcome(error=f"worker died: {type(exc).__name__}: "
                                        f"{' '.join(str(exc).split())}")
                finish(i, out)
        abort = False
    finally:
        if backend is not None:
            backend.close(abort, list(inflight))
    return results
