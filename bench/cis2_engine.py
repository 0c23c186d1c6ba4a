"""Benchmark the factored CiS2 engine (verify/cis2_engine.py) against the dense network.

Not a test.  Every configuration runs in its own subprocess (clean peak memory, ru_maxrss).

* dense reference: the D x D matrices W^l formed from (5.20) (sparse kets, engine's chi), then
  batched ``P = A @ W.T`` (BLAS limited to 2 threads) and the readout of every circuit;
* engine: ``run`` on the same samples (times: best of ``--repeat`` sweeps, wall and CPU) (relu: every circuit read, as the dense side; ideal:
  'touching', exact for all circuits); a consistency column gives max |engine - dense|.

Sizes: D = 1000, 2000, 4000 (d=4, S=6, T=T_max, z=2, L=4, rotation family), relu and ideal;
engine alone at D = 10^4 and 10^5.  Writes a markdown table to stdout and to
``bench/results_cis2_engine.md``.  ``--quick``: D = 1000, 2000 and 10^4 only, fewer passes.

    python bench/cis2_engine.py [--quick] [--skip-1e5] [--passes 256]
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "2")            # before numpy is imported
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("MKL_NUM_THREADS", "2")

import argparse  # noqa: E402
import json  # noqa: E402
import pathlib  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]   # output paths

import numpy as np  # noqa: E402

try:  # noqa: E402
    from threadpoolctl import threadpool_limits
except ImportError:  # the environment variables above do the job
    threadpool_limits = None

from superpose.derive.cis2.alloc import capacity  # noqa: E402
from superpose.verify.cis2 import engine as ce  # noqa: E402

d, S, z, L, SEED = 4, 6, 2, 4, 20240601


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6   # kB on Linux


def clock():
    return time.perf_counter(), time.process_time()


def since(t0):
    return time.perf_counter() - t0[0], time.process_time() - t0[1]


# ----------------------------------------------------------------------- dense side


def dense_weights(net: ce.Network, l: int) -> np.ndarray:
    """W^l (D, D) from (5.20): wbar (x) calW + (1/S) sum_t Dw_t (x) |e^l_t><e^{l-1}_t|."""
    if l == 1:
        return np.eye(net.D)
    El, Em = net.E[l] * net.S, net.E[l - 1] * net.S                    # 0/1 kets as rows
    cap = np.minimum((El.T @ Em).toarray(), 1.0)
    calW = cap / net.S - net.chi[l] * (1.0 - cap)
    fam = net.family
    W = np.kron(fam.wbar[l], calW)
    dw = fam.w[l] - fam.wbar[l]
    N = net.N
    for i in range(net.d):
        for j in range(net.d):
            c = dw[:, i, j]
            if np.any(c):
                W[i * N:(i + 1) * N, j * N:(j + 1) * N] += (El.T @ Em.multiply(c[:, None])).toarray() / net.S
    return W


def dense_run(net, Ws, kets, active, a0, true, mode):
    """Dense forward: readouts of every circuit (L+1, B, T, d) and fraction on per layer."""
    B, N = active.shape[0], net.N
    A = ce.embed_input(net, active, a0)
    bias = [None] + [np.kron(net.family.b[l], np.ones(N)) for l in range(1, L + 1)]
    reads, frac = [], [np.count_nonzero(A) / A.size]
    for l in range(1, L + 1):
        P = A @ Ws[l].T + bias[l]
        if mode == "relu":
            A = np.maximum(P, 0.0)
        else:
            A = P * ce.onset_mask(net, l, active, true[l])
        reads.append((A.reshape(B * net.d, N) @ kets[l].T).reshape(B, net.d, -1).transpose(0, 2, 1))
        frac.append(np.count_nonzero(A) / A.size)
    return reads, frac


# ------------------------------------------------------------------ one configuration


def one(cfg: dict) -> dict:
    """Run one configuration (in a subprocess) and return its measurements."""
    D, mode, passes, dense = cfg["D"], cfg["mode"], cfg["passes"], cfg["dense"]
    T = capacity(D, d, S)
    rng = np.random.default_rng(SEED)
    load0 = os.getloadavg()[0]
    t0 = clock()
    fam = ce.rotation_family(T, L, rng)
    net = ce.Network.build(D, d, S, T, L, fam, rng)
    build = since(t0)
    out = {**cfg, "T": T, "build_s": build[0], "build_cpu_s": build[1]}
    batch = min(passes, cfg["batch"])
    read = "touching" if mode == "ideal" else ("all" if dense else cfg["read"])
    wa = ce.sample_active(T, z, 2, rng)                       # warm-up (caches, page faults)
    ce.run(net, wa, fam.sample_x(rng, 2, z), mode, read=read, rng=rng)
    samples = [(ce.sample_active(T, z, min(batch, passes - b0), rng),
                fam.sample_x(rng, min(batch, passes - b0), z)) for b0 in range(0, passes, batch)]
    reps = cfg.get("repeat", 1)
    best = (np.inf, np.inf)
    for _ in range(reps):                                    # best of `repeat` sweeps
        t_eng, cpu_eng, frac = 0.0, 0.0, np.zeros(L + 1)
        for active, x in samples:
            t0 = clock()
            r = ce.run(net, active, x, mode, read=read, rng=rng)
            el = since(t0)
            t_eng, cpu_eng = t_eng + el[0], cpu_eng + el[1]
            frac += r.frac_on * active.shape[0]
        best = min(best, (t_eng / passes, cpu_eng / passes))
    out.update(engine_pass_s=best[0], engine_pass_cpu_s=best[1],
               frac_on=(frac / passes).round(4).tolist(), strategy=list(r.strategy),
               engine_peak_gb=peak_gb())
    if dense:
        t0 = clock()
        Ws = [None] + [dense_weights(net, l) for l in range(1, L + 1)]
        kets = [None] + [(net.E[l] * 1.0).toarray() for l in range(1, L + 1)]   # rows e_t / S
        out["dense_build_s"] = since(t0)[0]
        a0w = fam.encode(wa, fam.sample_x(rng, 2, z))
        dense_run(net, Ws, kets, wa, a0w, fam.forward_small(wa, a0w), mode)      # warm-up
        t_best, err = np.inf, 0.0
        for rep in range(reps):
            t_den = 0.0
            for active, x in samples:
                a0 = fam.encode(active, x)
                true = fam.forward_small(active, a0)
                t0 = clock()
                reads, fr = dense_run(net, Ws, kets, active, a0, true, mode)
                t_den += since(t0)[0]
                if rep:
                    continue
                r = ce.run(net, active, x, mode, read="all")
                Bn = active.shape[0]
                for l in range(1, L + 1):
                    scale = max(1.0, np.abs(reads[l - 1]).max())
                    ea = reads[l - 1][np.arange(Bn)[:, None], active] - r.read_active[l]
                    ei = reads[l - 1][np.arange(Bn)[:, None], r.inactive_ids[l]] - r.read_inactive[l]
                    err = max(err, np.abs(ea).max() / scale, np.abs(ei).max() / scale)
            t_best = min(t_best, t_den / passes)
        out.update(dense_pass_s=t_best, max_rel_diff=err, peak_gb=peak_gb())
    out["load"] = [load0, os.getloadavg()[0]]
    return out


def spawn(cfg: dict) -> dict:
    p = subprocess.run([sys.executable, __file__, "--one", json.dumps(cfg)],
                       capture_output=True, text=True, cwd=ROOT)
    if p.returncode:
        return {**cfg, "error": (p.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(p.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- main


def fmt_frac(f):
    return " ".join(f"{v:.3f}" for v in f[1:])


def table(rows: list[dict]) -> str:
    lines = ["## Engine vs dense (d=4, S=6, T=T_max, z=2, L=4, rotation family)", "",
             "| D | T | mode | passes | dense build s | engine build s | dense ms/pass | "
             "engine ms/pass | engine/dense | engine CPU ms/pass | max rel diff | peak GB "
             "(both) | frac on, layers 1..4 | load |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['D']} | | {r['mode']} | error: {r['error']} |" + " |" * 10)
            continue
        if "dense_pass_s" in r:
            lines.append(
                f"| {r['D']} | {r['T']} | {r['mode']} | {r['passes']} | {r['dense_build_s']:.2f} | "
                f"{r['build_s']:.2f} | {1e3 * r['dense_pass_s']:.2f} | {1e3 * r['engine_pass_s']:.2f} | "
                f"{r['engine_pass_s'] / r['dense_pass_s']:.3f} | {1e3 * r['engine_pass_cpu_s']:.2f} | "
                f"{r['max_rel_diff']:.1e} | {r['peak_gb']:.2f} | {fmt_frac(r['frac_on'])} | "
                f"{r['load'][0]:.1f}-{r['load'][1]:.1f} |")
    lines += ["", "## Engine alone (same construction)", "",
              "| D | T | mode | passes | build s (CPU s) | s per 1000 passes | s/pass | "
              "CPU s/pass | peak GB | frac on, layers 1..4 | routes | load |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "dense_pass_s" in r or "error" in r:
            continue
        lines.append(
            f"| {r['D']} | {r['T']} | {r['mode']} | {r['passes']} | {r['build_s']:.1f} "
            f"({r['build_cpu_s']:.1f}) | {1e3 * r['engine_pass_s']:.1f} | {r['engine_pass_s']:.3f} | "
            f"{r['engine_pass_cpu_s']:.3f} | {r['engine_peak_gb']:.2f} | {fmt_frac(r['frac_on'])} | "
            f"{','.join(s[0] for s in r['strategy'][2:])} | {r['load'][0]:.1f}-{r['load'][1]:.1f} |")
    relu = sorted((r["D"], r["engine_pass_s"] / r["dense_pass_s"]) for r in rows
                  if r.get("mode") == "relu" and "dense_pass_s" in r)
    over = [D for i, (D, _) in enumerate(relu) if all(q < 1 for _, q in relu[i:])]
    lines += ["", "relu crossover: engine faster than dense at every measured width "
              + (f">= {over[0]}" if over else "(none)") + " ("
              + ", ".join(f"D={D}: {q:.2f}" for D, q in relu) + ")"]
    get = {(r["D"], r["mode"]): r for r in rows if "error" not in r}
    checks = []
    if (100_000, "ideal") in get:
        a, b = get[(100_000, "ideal")], get.get((100_000, "relu"), {})
        checks += [("D=1e5 build (family + network) < 60 s", a["build_s"], a["build_s"] < 60),
                   ("D=1e5 peak memory < 8 GB", max(a["engine_peak_gb"], b.get("engine_peak_gb", 0)),
                    max(a["engine_peak_gb"], b.get("engine_peak_gb", 0)) < 8),
                   ("D=1e5 ideal: 1000 passes < 60 s", 1e3 * a["engine_pass_s"],
                    a["engine_pass_s"] < 0.06)]
        if b:
            checks.append(("D=1e5 relu < 1 s per pass", b["engine_pass_s"], b["engine_pass_s"] < 1))
    for mode, bound, txt in (("relu", 1.0, "engine/dense <= 1"), ("ideal", 0.1, "engine/dense <= 0.1")):
        r = get.get((4000, mode))
        if r and "dense_pass_s" in r:
            q = r["engine_pass_s"] / r["dense_pass_s"]
            checks.append((f"D=4000 {mode}: {txt}", q, q <= bound))
    if checks:
        lines += ["", "| target | measured | met |", "|---|---|---|"]
        lines += [f"| {t} | {v:.3g} | {'yes' if ok else 'NO'} |" for t, v, ok in checks]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="D = 1000, 2000, 10^4 only, fewer passes")
    ap.add_argument("--skip-1e5", action="store_true", help="leave out D = 10^5")
    ap.add_argument("--passes", type=int, default=256, help="passes per dense comparison")
    ap.add_argument("--sizes", type=int, nargs="*", default=None, help="dense comparison widths")
    ap.add_argument("--repeat", type=int, default=3, help="timing sweeps per comparison (best kept)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results_cis2_engine.md"))
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--from-log", help="re-tabulate the JSON rows of an earlier run's stderr log")
    a = ap.parse_args(argv)
    if a.one:
        if threadpool_limits is not None:
            with threadpool_limits(2):
                print(json.dumps(one(json.loads(a.one))))
        else:
            print(json.dumps(one(json.loads(a.one))))
        return
    if a.from_log:
        rows = [json.loads(x) for x in pathlib.Path(a.from_log).read_text().splitlines()
                if x.startswith("{")]
        return _write(rows, a.out)
    sizes = a.sizes or ([1000, 2000] if a.quick else [200, 400, 700, 1000, 2000, 4000])
    passes = 64 if a.quick else a.passes
    cfgs = [dict(D=D, mode=m, passes=passes, batch=256, dense=True, read="all", repeat=a.repeat)
            for D in sizes for m in ("relu", "ideal")]
    cfgs += [dict(D=10_000, mode="ideal", passes=250 if a.quick else 1000, batch=250,
                  dense=False, read="touching"),
             dict(D=10_000, mode="relu", passes=32, batch=16, dense=False, read=1000, repeat=2)]
    if not (a.quick or a.skip_1e5):
        cfgs += [dict(D=100_000, mode="ideal", passes=1000, batch=125, dense=False, read="touching"),
                 dict(D=100_000, mode="relu", passes=8, batch=8, dense=False, read=1000)]
    rows = []
    for c in cfgs:
        print(f"running {c}", file=sys.stderr, flush=True)
        rows.append(spawn(c))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    _write(rows, a.out)


def _write(rows: list[dict], out: str) -> None:
    md = table(rows)
    print(md)
    pathlib.Path(out).write_text(
        "# bench/cis2_engine.py results\n\n"
        f"Machine: {os.cpu_count()} CPUs; BLAS threads 2 (env); numpy {np.__version__}; "
        "times are the best of the sweeps, wall clock (engine CPU time beside it); "
        "`load` = 1-min load average before-after (other jobs share the machine).\n\n"
        + md + "\n")


if __name__ == "__main__":
    main()
