"""The package layout: no import cycles among the modules of derive/, verify/ and reports/.

The import graph is read from the AST of every module (module names as installed:
``derive/rotations/relu.py`` is ``superpose.derive.rotations.relu``), with plain, ``from``,
relative and ``importlib.import_module`` / ``__import__`` imports, at any depth (an import
inside a function counts: a cycle "broken" by a function-local import is still a cycle).

An edge goes to the module an import names: ``from superpose.derive.rotations import relu``
is an edge to ``...rotations.relu`` (not to the package), ``from superpose.derive.rotations
import rot_stats`` an edge to the package ``...rotations``.  So a package ``__init__`` that
imports its own submodules is a cycle only if a submodule imports the package back.

What this does not establish: that a module imports only what it uses, or anything about
imports of third-party packages (only edges between the three folders are kept).
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("derive", "verify", "reports")     # installed as superpose.derive, ...
#: Edges of a known cycle still to be removed (owner's work in progress), left out of the
#: cycle test; ``test_pending_edges_still_exist`` fails once one is gone, so the list shrinks.
PENDING = {
    # reports.cli imports export_cli (its sub-command parser); export_cli imports cli.main
    # inside a function for its own entry point
    ("superpose.reports.export_cli", "superpose.reports.cli"),
}


def module_names(root: Path, folders=FOLDERS, prefix: str = "superpose") -> dict[str, Path]:
    """Installed module name -> file, for every ``.py`` under the folders."""
    out = {}
    for folder in folders:
        for path in sorted((root / folder).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            parts = parts[:-1] if parts[-1] == "__init__" else parts
            out[".".join((prefix,) + parts if prefix else parts)] = path
    return out


def _targets(path: Path, name: str, known: set[str]) -> set[str]:
    """The known modules one file imports (relative imports resolved, any depth)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]

    def resolve(mod: str) -> str | None:           # longest known prefix of a dotted name
        parts = mod.split(".")
        for i in range(len(parts), 0, -1):
            if ".".join(parts[:i]) in known:
                return ".".join(parts[:i])
        return None

    out: set[str | None] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(resolve(a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            for a in node.names:                    # a submodule, else the module itself
                full = f"{mod}.{a.name}"
                out.add(full if full in known else resolve(mod))
        elif (isinstance(node, ast.Call)
              and getattr(node.func, "attr", getattr(node.func, "id", ""))
              in ("import_module", "__import__") and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            out.add(resolve(node.args[0].value))
    out.discard(None)
    out.discard(name)
    return out  # type: ignore[return-value]


def import_graph(root: Path = ROOT, folders=FOLDERS, prefix: str = "superpose") -> dict[str, set[str]]:
    mods = module_names(root, folders, prefix)
    known = set(mods)
    return {name: _targets(path, name, known) for name, path in mods.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle ``[a, b, ..., a]`` of the directed graph, or None (iterative DFS)."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour = {n: WHITE for n in graph}
    for start in sorted(graph):
        if colour[start] != WHITE:
            continue
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        colour[start] = GREY
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                colour[node] = BLACK
                stack.pop()
                path.pop()
            elif colour.get(nxt, BLACK) == GREY:
                return path[path.index(nxt):] + [nxt]
            elif colour.get(nxt) == WHITE:
                colour[nxt] = GREY
                stack.append((nxt, iter(sorted(graph[nxt]))))
                path.append(nxt)
    return None


def test_the_graph_sees_the_packages():
    """The scan reads real edges (a test of the test: an empty graph has no cycle either)."""
    g = import_graph()
    assert "superpose.derive.rotations.relu" in g
    assert "superpose.derive.cis2" in g["superpose.derive.rotations.model"]
    assert "superpose.derive.rotations.relu" in g["superpose.derive.rotations"]
    assert "superpose.derive.quantity" in g["superpose.verify.check"]
    assert sum(map(len, g.values())) > 100


def test_no_import_cycles():
    g = import_graph()
    for a, b in PENDING:
        g[a].discard(b)
    cycle = find_cycle(g)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_pending_edges_still_exist():
    g = import_graph()
    gone = [(a, b) for a, b in PENDING if b not in g.get(a, ())]
    assert gone == [], f"remove from PENDING (the cycle is fixed): {gone}"


def test_no_dunder_import():
    """No ``__import__(...)``: imports are statements the graph (and a reader) can see."""
    bad = []
    for name, path in module_names(ROOT).items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__":
                bad.append(f"{name}:{node.lineno}")
    assert bad == []


def _plant(tmp_path: Path, files: dict[str, str]) -> dict[str, set[str]]:
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return import_graph(tmp_path, ("derive",))


def test_planted_cycle_through_a_function_local_import_is_found(tmp_path):
    g = _plant(tmp_path, {
        "derive/__init__.py": "",
        "derive/a.py": "from superpose.derive import b\n",
        "derive/b.py": "def f():\n    from superpose.derive.a import x\n    return x\n",
    })
    assert find_cycle(g) in (["superpose.derive.a", "superpose.derive.b", "superpose.derive.a"],
                             ["superpose.derive.b", "superpose.derive.a", "superpose.derive.b"])


def test_planted_package_cycle_is_found_and_plain_submodule_import_is_not(tmp_path):
    files = {
        "derive/__init__.py": "",
        "derive/pkg/__init__.py": "from . import sub\nfrom .sub import helper\n",
        "derive/pkg/sub.py": "import numpy\nhelper = 1\n",
    }
    assert find_cycle(_plant(tmp_path, files)) is None          # __init__ -> own submodule only
    files["derive/pkg/sub.py"] = "g = lambda: __import__('superpose.derive.pkg').X\n"
    assert find_cycle(_plant(tmp_path, files)) is not None      # the submodule imports it back
