"""``superpose export`` (superpose.reports.export, reports/export_cli.py): round trip, schema,
determinism, agreement with the engines, ground truth, scoring, clear errors, tamper evidence,
output-folder validation before any work.

Reference values are never typed in: the dense network is compared with the factored engine's
ReLU pass (``verify/cis2_engine.py``), its weight matrices with the independent dense reference
``tests/cis2_dense_ref.py``, U-AND outputs with the verify modules' readoffs, and scores with the
truth itself (1 by definition) or with counts fixed by construction (every second neuron: recall
1/2).  What this does not establish: anything at sizes above the small ones used here.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sps

from superpose.derive.quantity import BadInput, get_quantity
from superpose.reports import export as E
from superpose.reports import export_cli
from superpose.reports.export import _cis
from superpose.verify.cis2 import engine as eng
from superpose.verify import uand_random as v_ur
from superpose.verify.rng import stream

REL = 1e-12  # float64 agreement of two exact code paths (different summation order)
CASES = {
    "cis2": {"D": 240, "L": 3, "z": 2},                          # T = T_max = 28, zero-mean family
    "rotations": {"D": 400, "T": 60, "z": 2, "L": 3},            # wbar != 0: calW, corr, chi
    "uand-random": {"N": 64, "l": 3, "m": 10},
    "uand-sparse": {"d": 128, "m": 12, "p": 0.3, "l": 3},
}
CIS = ("cis2", "rotations")


def _ref():
    path = Path(__file__).with_name("cis2_dense_ref.py")
    spec = importlib.util.spec_from_file_location("cis2_dense_ref", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def made():
    """(dense Export, factored Export, Built) per construction, seed 1."""
    out = {}
    for name, p in CASES.items():
        ex, built = E.make(name, p, seed=1)
        fx, _ = E.make(name, p, seed=1, fmt="factored")
        out[name] = (ex, fx, built)
    return out


def close(a, b, rel=REL):
    scale = max(1.0, float(np.max(np.abs(b), initial=0.0)))
    return float(np.max(np.abs(a - b), initial=0.0)) <= rel * scale


# ----------------------------------------------------------- agreement with the engines


@pytest.mark.parametrize("name", CIS)
def test_dense_equals_engine_relu_pass(made, name):
    """Every hidden layer and every readout of the dense MLP equal the engine's relu pass (float64)."""
    ex, _, built = made[name]
    net = built.network
    s = ex.sample_inputs(24, stream(7, "test", name))
    y, hs = ex.forward(s["input"], hidden=True)
    A = eng.embed_input(net, s["active"], net.family.encode(s["active"], s["payload"]))
    for l in range(1, net.L + 1):
        A = np.maximum(eng.preactivation(net, l, A), 0.0)
        assert close(hs[l - 1], A), f"hidden layer {l} differs from the engine's (5.17)"
    r = eng.run(net, s["active"], s["payload"], "relu", read="all")
    y3, b = y.reshape(24, net.T, net.d), np.arange(24)[:, None]
    assert close(y3[b, s["active"]], r.read_active[-1])
    ids = r.inactive_ids[-1]
    assert (ids >= 0).all() and close(y3[b, ids], r.read_inactive[-1])


@pytest.mark.parametrize("name", CIS)
def test_dense_weights_equal_independent_reference(made, name):
    """weight_l (5.20) and weight_1 (layer-0 trick) equal tests/cis2_dense_ref.py's matrices."""
    ex, _, _ = made[name]
    ref, a = _ref(), ex.arrays
    D, d, N, S, T, L = (int(v) for v in a["dims"])
    for l in range(2, L + 1):
        W = ref.weights(a["circuit_w"], a["shared_wbar"], a["support"], l, S, N)
        assert close(a[f"weight_{l}"], W, 1e-14), f"weight_{l} differs from (5.20)"
    e1 = ref.kets(a["support"][1], N)
    W1 = np.concatenate([np.kron(a["circuit_w"][1][t], e1[t][:, None]) for t in range(T)], 1)
    assert np.array_equal(a["weight_1"], W1)


@pytest.mark.parametrize("name", list(CASES))
def test_factored_equals_dense(made, name):
    """The factored code path computes the dense network (outputs and hidden layers)."""
    ex, fx, _ = made[name]
    x = ex.sample_inputs(16, stream(3, "test", name))["input"]
    y, hs = ex.forward(x, hidden=True)
    yf, hf = fx.forward(x, hidden=True)
    assert close(yf, y)
    assert all(close(a, b) for a, b in zip(hf, hs))
    if name in CIS:  # arbitrary (not only valid) inputs too, and the chunked pass is the same
        x = stream(4, "test", name).standard_normal((5, x.shape[1]))
        assert close(fx.forward(x), ex.forward(x))


def test_factored_chunks_are_exact(made, monkeypatch):
    """The factored CiS2 pass in chunks of one sample equals one pass over the batch, bit for bit."""
    fx = made["rotations"][1]
    x = fx.sample_inputs(5, stream(2, "test"))["input"]
    y, hs = fx.forward(x, hidden=True)
    monkeypatch.setattr(_cis, "CHUNK", 1)
    y1, hs1 = fx.forward(x, hidden=True)
    assert np.array_equal(y, y1) and all(np.array_equal(a, b) for a, b in zip(hs, hs1))


def test_uand_random_equals_verify_readoff(made):
    """Each output p is verify.uand_random.readoff of pair p on h = relu(W x)."""
    ex, _, _ = made["uand-random"]
    W, pairs, coefs = ex.arrays["weight_in"], ex.arrays["and_pairs"], ex.arrays["readoff_coefs"]
    x = ex.sample_inputs(12, stream(5, "test"))["input"]
    h = np.maximum(x @ W.T, 0.0)
    want = np.stack([v_ur.readoff(coefs, h, W[:, i] > 0, W[:, j] > 0) for i, j in pairs], 1)
    assert close(ex.forward(x), want)


def test_uand_sparse_equals_verify_readoffs(made):
    """Outputs are verify.uand_sparse's readoffs (0 where the intersection is empty)."""
    vus = pytest.importorskip("superpose.verify.uand_sparse")
    ex, _, _ = made["uand-sparse"]
    W, (i, j) = ex.arrays["weight_in"], ex.arrays["and_pairs"].T
    s = ex.sample_inputs(12, stream(5, "test"))
    _, _, R, _ = vus.network_errors(W, s["input"].T)
    assert close(ex.forward(s["input"]), np.nan_to_num(R[:, i, j], nan=0.0))
    assert np.array_equal(s["target"], s["input"][:, i] * s["input"][:, j])


@pytest.mark.parametrize("name", CIS)
def test_ground_truth_components_sum_to_the_network(made, name):
    """sum_c C_c = every dense parameter (circuits + shared), entry by entry."""
    ex, _, _ = made[name]
    shapes = {lay["weight"]: lay["shape"] for lay in ex.layers}
    total = {k: np.zeros(v.shape) for k, v in ex.arrays.items() if k.startswith(("weight_", "bias_"))}
    for c, comp in ex.true_components().items():
        for k, v in comp.items():
            if c == "shared":
                total[k] += v
            else:
                total[k] += sps.coo_matrix((v[2], (v[0], v[1])), shape=shapes[k]).toarray()
    assert all(np.allclose(total[k], ex.arrays[k], rtol=0, atol=1e-15) for k in total)


@pytest.mark.parametrize("name", CIS)
def test_targets_are_the_small_circuits(made, name):
    """Sampled targets: the small circuits' a^L (on-indicator alpha = 1 for active), 0 for inactive."""
    ex, _, _ = made[name]
    s = ex.sample_inputs(10, stream(6, "test"))
    fam, L = ex.family(), ex.params["L"]
    alpha, _ = fam.decode(L, s["active"], s["true"][L])
    assert np.allclose(alpha, 1.0, atol=1e-12)
    y = s["target"].reshape(10, fam.T, fam.d)
    off = np.ones((10, fam.T), bool)
    off[np.arange(10)[:, None], s["active"]] = False
    assert np.all(y[off] == 0) and np.array_equal(y[np.arange(10)[:, None], s["active"]], s["true"][L])


# --------------------------------------------------------------- folder and manifest


@pytest.mark.parametrize("fmt", ["dense", "factored"])
@pytest.mark.parametrize("name", list(CASES))
def test_round_trip_bit_for_bit(made, tmp_path, name, fmt):
    """write -> load gives the same arrays and manifest and reproduces the forward pass bit for bit."""
    ex = made[name][0 if fmt == "dense" else 1]
    path = E.write(ex, tmp_path / "net")
    back = E.load(path)                                       # raises unless bit for bit
    assert sorted(back.arrays) == sorted(ex.arrays)
    assert all(np.array_equal(back.arrays[k], v) and back.arrays[k].dtype == v.dtype
               for k, v in ex.arrays.items())
    assert {k: v for k, v in back.manifest.items() if k != "arrays"} == json.loads(json.dumps(ex.manifest))
    x = ex.sample_inputs(4, stream(8, "test"))["input"]
    assert np.array_equal(back.forward(x), ex.forward(x))


def test_determinism(tmp_path):
    """Same seed: byte-identical npz and manifest; another seed: another network."""
    p = CASES["rotations"]
    a = E.export("rotations", p, out=tmp_path / "a", seed=5)
    b = E.export("rotations", p, out=tmp_path / "b", seed=5)
    c = E.export("rotations", p, out=tmp_path / "c", seed=6)
    for f in (E.ARRAYS, E.MANIFEST):
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    assert (a / E.ARRAYS).read_bytes() != (c / E.ARRAYS).read_bytes()


@pytest.mark.parametrize("name", list(CASES))
def test_manifest_schema(made, tmp_path, name):
    """Required keys, provenance, layer shapes vs arrays, predictions from the registry."""
    ex = made[name][0]
    man = json.loads((E.write(ex, tmp_path / "n") / E.MANIFEST).read_text())
    assert man["format"] == E.FORMAT and man["schema_version"] == E.SCHEMA_VERSION
    assert man["construction"] == name and man["storage"] == "dense" and man["seed"] == 1
    assert {"params", "command", "git_revision", "versions", "network", "inputs", "ground_truth",
            "scoring", "predictions", "predictions_note", "check", "arrays"} <= set(man)
    assert set(CASES[name]) <= set(man["params"]) and man["versions"]["numpy"] == np.__version__
    entries = man["arrays"]["entries"]
    dims = [man["network"]["input_dim"]] + man["network"]["hidden"] + [man["network"]["output_dim"]]
    for k, lay in enumerate(man["network"]["layers"]):
        assert lay["shape"] == [dims[k + 1], dims[k]] == entries[lay["weight"]]["shape"]
        assert lay["bias"] is None or entries[lay["bias"]]["shape"] == [dims[k + 1]]
        assert lay["activation"] in ("relu", "identity")
    for key in ("check_input", "check_output", "check_target"):
        assert entries[key]["shape"][0] == E.N_CHECK
    assert all(a in entries for a in man["ground_truth"]["arrays"])
    assert set(man["scoring"]) == {"neuron_sets", "weight_attribution"}
    assert man["predictions"]
    for row in man["predictions"]:
        q = get_quantity(row["quantity"])
        assert set(row["params"]) == {p.name for p in q.params}
        assert row["value"] is None or row["value"] == q.evaluate(row["params"])


# ---------------------------------------------------------------------- scoring


@pytest.mark.parametrize("name", CIS)
def test_scoring_cis2(made, name):
    """Truth scores 1; every second neuron: precision 1, recall 1/2; no proposal: 0; shifted: < 1."""
    ex, _, _ = made[name]
    L, keys = ex.params["L"], ex.circuits()
    truth = {t: {l: ex.neurons(t, l) for l in range(1, L + 1)} for t in keys}
    s = E.score_neurons(ex, truth)
    assert s["precision"] == s["recall"] == s["micro_precision"] == s["micro_recall"] == 1.0
    half = E.score_neurons(ex, {t: {l: v[::2] for l, v in d.items()} for t, d in truth.items()})
    assert half["precision"] == 1.0 and half["recall"] == 0.5  # d S even: exactly half
    shifted = E.score_neurons(ex, {t: truth[(t + 1) % len(keys)] for t in keys})
    assert shifted["precision"] < 1 and shifted["recall"] < 1
    shapes = {lay["weight"]: lay["shape"] for lay in ex.layers}
    comps = ex.true_components()
    prop = {c: (v if c == "shared" else
                {k: sps.coo_matrix((r[2], (r[0], r[1])), shape=shapes[k]) for k, r in v.items()})
            for c, v in comps.items()}
    assert abs(E.score_weights(ex, prop)["fraction"] - 1) < 1e-12
    assert abs(E.score_weights(ex, comps)["fraction"] - 1) < 1e-12          # triples as given
    dense = {c: {k: (m.toarray() if sps.issparse(m) else m) for k, m in v.items()} for c, v in prop.items()}
    assert abs(E.score_weights(ex, dense)["fraction"] - 1) < 1e-12
    assert E.score_weights(ex, {})["fraction"] == 0.0
    one = E.score_weights(ex, {0: prop[0]})
    assert one["per_circuit"][0] == pytest.approx(1, abs=1e-12) and 0 < one["fraction"] < 1
    with pytest.raises(BadInput, match="unknown component"):
        E.score_weights(ex, {"nope": {}})
    with pytest.raises(BadInput, match="unknown parameter"):
        E.score_weights(ex, {0: {"weight_9": np.zeros(1)}})


def test_scoring_uand(made):
    """uand-sparse neuron sets score 1 on the truth; uand-random has no neuron sets (BadInput)."""
    ex, _, _ = made["uand-sparse"]
    truth = {tuple(ij): ex.neurons(p) for p, ij in enumerate(ex.arrays["and_pairs"].tolist())}
    s = E.score_neurons(ex, truth)
    assert s["precision"] == s["recall"] == 1.0
    assert E.score_neurons(ex, {})["recall"] == 0.0
    ptr, idx = ex.arrays["and_neurons_ptr"], ex.arrays["and_neurons_idx"]
    assert all(np.array_equal(idx[ptr[p]:ptr[p + 1]], ex.neurons(p)) for p in range(len(ptr) - 1))
    with pytest.raises(BadInput, match="not defined"):
        E.score_neurons(made["uand-random"][0], {})
    with pytest.raises(BadInput, match="cis2 and rotations only"):
        E.score_weights(ex, {})


# --------------------------------------------------------------------- errors


@pytest.mark.parametrize("name, params, fmt, match", [
    ("costs", {}, "dense", "cannot export"),
    ("nope", {}, "dense", "cannot export"),
    ("cis2", {"Q": 1}, "dense", "unknown parameter 'Q'"),
    ("cis2", {"D": "abc"}, "dense", "expected an integer"),
    ("cis2", {"D": 242}, "dense", "must divide"),
    ("cis2", {"D": 240, "T": 29}, "dense", "capacity"),
    ("uand-random", {"m": 2, "l": 3}, "dense", "must be >= l"),
    ("cis2", {"D": 240}, "sparse", "dense or factored"),
    ("cis2", {"D": 4000}, "dense", r"would take 2\.\d GiB \(limit 256\.0 MiB\); use --format factored"),
])
def test_bad_input(tmp_path, name, params, fmt, match):
    """Bad input raises BadInput with one clear message and writes nothing."""
    with pytest.raises(BadInput, match=match):
        E.export(name, params, out=tmp_path / "x", fmt=fmt)
    assert not (tmp_path / "x").exists() and list(tmp_path.iterdir()) == []


def test_dense_refused_factored_works(tmp_path, capsys):
    """Above the dense limit the CLI exits 2 with the size; factored writes and loads."""
    rc = export_cli.main(["rotations", "--param", "D=8000", "--param", "T=2000", "--param", "L=2",
                          "--out", str(tmp_path / "big")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "GiB" in err and "factored" in err
    rc = export_cli.main(["rotations", "--param", "D=8000", "--param", "T=2000", "--param", "L=2",
                          "--out", str(tmp_path / "big"), "--format", "factored"])
    assert rc == 0 and "wrote" in capsys.readouterr().out
    ex = E.load(tmp_path / "big")
    assert ex.storage == "factored" and "weight_2" not in ex.arrays
    assert ex.manifest["network"]["dense_bytes"] > E.DENSE_MAX_BYTES


def test_out_folder_rules(tmp_path, made):
    """Foreign non-empty folder or a file: refused; an earlier export is replaced; parents created."""
    ex = made["uand-random"][0]
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    with pytest.raises(BadInput, match="not empty"):
        E.write(ex, foreign)
    assert (foreign / "keep.txt").read_text() == "mine"
    (tmp_path / "file").write_text("x")
    with pytest.raises(BadInput, match="not a folder"):
        E.write(ex, tmp_path / "file")
    target = E.write(ex, tmp_path / "deep" / "er" / "net")
    E.write(made["uand-sparse"][0], target)                       # replaces the earlier export
    assert E.load(target).name == "uand-sparse"
    assert sorted(p.name for p in target.parent.iterdir()) == ["net"]  # no temp left behind
    if os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        with pytest.raises(BadInput, match="cannot write"):
            E.write(ex, ro / "net")


def test_loader_errors(tmp_path, made):
    """Missing manifest, foreign JSON, modified arrays, a wrong check pass: clear errors."""
    with pytest.raises(BadInput, match="no manifest.json"):
        E.load(tmp_path)
    path = E.write(made["cis2"][1], tmp_path / "net")
    blob = bytearray((path / E.ARRAYS).read_bytes())
    blob[-100] ^= 1
    (path / E.ARRAYS).write_bytes(bytes(blob))
    with pytest.raises(BadInput, match="sha256"):
        E.load(path)
    (path / E.MANIFEST).write_text(json.dumps({"format": "other"}))
    with pytest.raises(BadInput, match="not a superpose export"):
        E.load(path)
    ex = made["cis2"][1]
    bad = E.Export(ex.manifest, dict(ex.arrays, check_output=ex.arrays["check_output"] + 1e-300))
    assert bad.verify()[0] is False
    with pytest.raises(BadInput, match="shape"):
        ex.forward(np.zeros((2, 3)))


def test_cli_wiring(tmp_path, capsys):
    """add_parser + cmd_export as the lead wires them into `superpose`."""
    p = argparse.ArgumentParser(prog="superpose")
    export_cli.add_parser(p.add_subparsers(dest="cmd"))
    args = p.parse_args(["export", "uand-random", "--param", "N=32", "--param", "m=6", "--seed", "2",
                         "--out", str(tmp_path / "u")])
    assert export_cli.cmd_export(args) == 0
    man = E.load(tmp_path / "u").manifest
    assert man["seed"] == 2 and man["params"]["N"] == 32
    assert man["command"] == "superpose export uand-random --param N=32 --param m=6 --seed 2 --format dense"
    assert export_cli.main(["uand-random", "--param", "N", "--out", str(tmp_path / "v")]) == 2
    assert export_cli.main(["uand-random", "--seed", "-1", "--out", str(tmp_path / "v")]) == 2
    assert "--param takes k=v" in capsys.readouterr().err


# ------------------------------------------------------------------ README example


README_NUMPY = """
import json, numpy as np
man = json.load(open(f"{folder}/manifest.json"))
arr = np.load(f"{folder}/arrays.npz")
h = arr["check_input"]                          # (8, T*d) valid inputs stored with the network
for layer in man["network"]["layers"]:          # Linear -> ReLU -> ... -> Linear
    h = h @ arr[layer["weight"]].T
    if layer["bias"] is not None:
        h = h + arr[layer["bias"]]
    if layer["activation"] == "relu":
        h = np.maximum(h, 0.0)
assert np.array_equal(h, arr["check_output"])   # the exported code path, bit for bit
"""


def test_readme_numpy_example(made, tmp_path):
    """The README's plain-numpy forward pass reproduces check_output bit for bit."""
    for name in ("rotations", "uand-sparse"):
        folder = str(E.write(made[name][0], tmp_path / name))
        exec(README_NUMPY, {"folder": folder})


def test_torch_sequential(made):
    """to_torch: nn.Sequential in float64 within 1e-10 of the numpy pass (skipped without torch)."""
    torch = pytest.importorskip("torch")
    ex = made["rotations"][0]
    x = ex.sample_inputs(8, stream(9, "test"))["input"]
    y = ex.forward(x)
    yt = ex.to_torch()(torch.from_numpy(x)).detach().numpy()
    assert close(yt, y, 1e-10)


def test_torch_absent_is_a_clear_error(made):
    """Without PyTorch, to_torch raises BadInput saying so (numpy needs nothing else)."""
    if importlib.util.find_spec("torch") is not None:
        pytest.skip("torch is installed")
    with pytest.raises(BadInput, match="PyTorch is not installed"):
        made["cis2"][0].to_torch()


# ------------------------------------------------------- tamper evidence and malformed manifests


@pytest.fixture()
def written(made, tmp_path):
    """A factored rotations export (z = 2) on disk, and a function rewriting its manifest."""
    path = E.write(made["rotations"][1], tmp_path / "net")
    man = json.loads((path / E.MANIFEST).read_text())

    def rewrite(edit):
        m = json.loads(json.dumps(man))
        edit(m)
        (path / E.MANIFEST).write_text(json.dumps(m, indent=1))
        return path
    return path, man, rewrite


def _one_line_refusal(path, match):
    with pytest.raises(BadInput, match=match) as info:
        E.load(path)
    assert "\n" not in str(info.value)
    return str(info.value)


def test_manifest_hash_covers_the_manifest(written):
    """The stored manifest_sha256 is the canonical hash of the rest; an untouched folder loads."""
    path, man, _ = written
    assert man[E.HASH_KEY] == E.manifest_hash(man) and len(man[E.HASH_KEY]) == 64
    assert E.HASH_KEY not in E.load(path).manifest


@pytest.mark.parametrize("edit, match", [
    (lambda m: m["params"].__setitem__("z", 3), r"modified after export: params\.z is 3 in manifest\.json, 2 when"),
    (lambda m: m.__setitem__("construction", "cis2"), "modified after export: construction is 'cis2'"),
    (lambda m: m.__setitem__("seed", 2), "modified after export: seed is 2"),
    (lambda m: m["network"].__setitem__("hidden", [400, 400, 399]), "modified after export: its sha256"),
    (lambda m: m["ground_truth"].__setitem__("layout", "x"), "modified after export: its sha256"),
    (lambda m: m["arrays"]["entries"].pop("chi"), "modified after export: its sha256"),
])
def test_modified_manifest_is_refused(written, edit, match):
    """params.z 2 -> 3, construction rotations -> cis2, any other edit: one line naming it."""
    _, man, rewrite = written
    assert man["params"]["z"] == 2 and man["construction"] == "rotations" and man["seed"] == 1
    _one_line_refusal(rewrite(edit), match)


@pytest.mark.parametrize("field", ["storage", "network", "arrays", "construction", "params", "seed",
                                   "network.input_dim", "network.output_dim", "network.hidden",
                                   "network.layers", "arrays.file", "arrays.sha256", "arrays.entries",
                                   "scoring", "check", E.HASH_KEY])
def test_missing_field_is_named(written, field):
    """Deleting storage, network, arrays or one of their keys: one BadInput naming it, no KeyError."""
    _, _, rewrite = written

    def drop(m):
        *head, last = field.split(".")
        for h in head:
            m = m[h]
        del m[last]
    _one_line_refusal(rewrite(drop), f"malformed manifest: missing field '{field}'")


@pytest.mark.parametrize("edit, match", [
    (lambda m: m.__setitem__("storage", "sparse"), "'storage' must be dense or factored"),
    (lambda m: m.__setitem__("network", [1]), "'network' must be an object"),
    (lambda m: m["arrays"].__setitem__("sha256", 5), "'arrays.sha256' must be a string"),
    (lambda m: m["network"]["layers"][0].pop("weight"), r"missing field 'network\.layers\[0\]\.weight'"),
])
def test_mistyped_field_is_named(written, edit, match):
    _, _, rewrite = written
    _one_line_refusal(rewrite(edit), "malformed manifest: .*" + match)


def test_unknown_construction_on_load(written, monkeypatch):
    """A folder whose construction this superpose cannot export is refused in one line."""
    path, _, _ = written
    monkeypatch.setattr(E, "spec", lambda name: (_ for _ in ()).throw(BadInput(f"cannot export {name!r}")))
    _one_line_refusal(path, "cannot export 'rotations'")


# ------------------------------------------------------- sample_inputs: a seed or a Generator


def test_sample_inputs_seed_or_generator(made):
    """numpy convention: an int (or numpy integer) seed equals default_rng(seed); a Generator advances."""
    ex = made["uand-random"][0]
    a = ex.sample_inputs(6, 11)
    b = ex.sample_inputs(6, np.int64(11))
    c = ex.sample_inputs(6, np.random.default_rng(11))
    assert all(np.array_equal(a[k], b[k]) and np.array_equal(a[k], c[k]) for k in a)
    g = stream(2, "test")
    first, second = ex.sample_inputs(6, g), ex.sample_inputs(6, g)
    assert not np.array_equal(first["active"], second["active"])
    for bad in ("x", -1, 1.5, True, None):
        with pytest.raises(BadInput, match="rng must be a seed"):
            ex.sample_inputs(2, bad)
    ex = made["rotations"][0]
    assert np.array_equal(ex.sample_inputs(3, 5)["input"], ex.sample_inputs(3, stream(5))["input"])


def test_build_in_memory(made, tmp_path, monkeypatch):
    """build(name, params, seed) is the network export() writes, and writes nothing."""
    monkeypatch.chdir(tmp_path)
    ex = E.build("uand-sparse", CASES["uand-sparse"], 1)
    ref = made["uand-sparse"][0]
    assert list(tmp_path.iterdir()) == []
    assert sorted(ex.arrays) == sorted(ref.arrays)
    assert all(np.array_equal(ex.arrays[k], v) for k, v in ref.arrays.items() if k != "provenance")
    assert ex.verify()[0]


# ------------------------------------------------------- --out validated before any work


@pytest.fixture()
def no_work(monkeypatch):
    """Fail the test if the network is built."""
    def boom(*a, **k):
        raise AssertionError("work started before --out was validated")
    monkeypatch.setattr(E, "make", boom)


def test_out_dotdot_refused_before_work(tmp_path, no_work):
    """--out DIR/x/.. is DIR: a foreign DIR is refused before any work and no x/ is left behind."""
    d = tmp_path / "d"
    d.mkdir()
    (d / "mine.txt").write_text("keep")
    with pytest.raises(BadInput, match="not empty"):
        E.export("uand-random", {"N": 8, "m": 4}, out=f"{d}/x/..")
    assert sorted(p.name for p in d.iterdir()) == ["mine.txt"]


def test_out_dotdot_is_the_parent(tmp_path):
    """--out DIR/x/.. writes DIR (empty) itself, creating no x/."""
    d = tmp_path / "d"
    d.mkdir()
    path = E.export("uand-random", {"N": 8, "m": 4}, out=f"{d}/x/..")
    assert path == d.resolve() and sorted(p.name for p in d.iterdir()) == [E.ARRAYS, E.MANIFEST]
    assert E.load(d).name == "uand-random"


def test_out_name_too_long_refused_before_work(tmp_path, no_work):
    with pytest.raises(BadInput, match="too long") as info:
        E.export("uand-random", {}, out=tmp_path / ("n" * 300))
    assert "\n" not in str(info.value) and list(tmp_path.iterdir()) == []


def test_failed_write_leaves_no_parent_behind(made, tmp_path, monkeypatch):
    """An error while the folder is moved into place removes the temporary folder and the
    parents created for it (and nothing else)."""
    from superpose.reports import outdir

    def fail(*a, **k):
        raise OSError("disk full")
    monkeypatch.setattr(outdir, "move_into_place", fail)
    (tmp_path / "keep").write_text("x")
    with pytest.raises(OSError, match="disk full"):
        E.write(made["uand-random"][0], tmp_path / "a" / "b" / "net")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep"]


def test_generic_code_names_no_construction():
    """The shared machinery dispatches through EXPORT specs: no construction name in its code."""
    import ast

    tree = ast.parse(Path(E.__file__).read_text())
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef)) and n.body
            and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    strings = [n.value for n in ast.walk(tree)
               if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs]
    names = E.exportable()
    assert set(names) == {"cis1", "cis2", "rotations", "uand-random", "uand-sparse"}
    assert not [(s, n) for s in strings for n in names if n in s]


def test_report_shares_the_writer(tmp_path, monkeypatch):
    """superpose report validates --out with the same writer: DIR/x/.. of a foreign DIR is refused
    before any part runs, and no x/ is left behind."""
    from superpose.reports import outdir, report

    assert report.outdir is outdir
    d = tmp_path / "d"
    d.mkdir()
    (d / "mine.txt").write_text("keep")

    def boom(*a, **k):
        raise AssertionError("the report started before --out was validated")
    monkeypatch.setattr(report, "run_parts", boom)
    monkeypatch.setattr(outdir, "make_temp", boom)
    with pytest.raises(BadInput, match="not an earlier superpose report"):
        report.build_report(f"{d}/x/..", scale="smoke", pdf=False)
    assert sorted(p.name for p in d.iterdir()) == ["mine.txt"]
