"""The documentation's examples run and say what the code does.

* Every ``pycon`` block of ``docs/quickstart.md`` is a doctest, run in order in one namespace
  (``ELLIPSIS``, ``NORMALIZE_WHITESPACE``); a ``console`` line ``$ superpose export ...`` is
  run first, in the same temporary folder, so ``superpose.load`` has a folder to read.
  Without pandas (not a dependency) the ``to_frame`` example alone is left out.
* Every file the guide includes with ``literalinclude`` exists (a moved example breaks this test,
  not only the docs build).

What this does not establish: that the pages build (CI runs ``sphinx-build -W``), or that
prose outside the examples is right.
"""
from __future__ import annotations

import doctest
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.S | re.M)


def blocks(page: Path, language: str) -> list[tuple[int, str]]:
    text = page.read_text()
    return [(text[:m.start()].count("\n") + 2, m.group(2)) for m in FENCE.finditer(text)
            if m.group(1) == language]


def test_quickstart_examples_run(tmp_path, monkeypatch):
    """The quickstart's Python session gives the output it shows."""
    import importlib.util

    from superpose.reports.cli import main

    has_pandas = importlib.util.find_spec("pandas") is not None   # only to_frame needs it

    page = DOCS / "quickstart.md"
    monkeypatch.chdir(tmp_path)
    commands = [line[2:] for _, b in blocks(page, "console") for line in b.splitlines()
                if line.startswith("$ superpose export ")]
    assert commands, "the quickstart no longer shows the export command it loads"
    for cmd in commands:
        assert 0 == main(shlex.split(cmd)[1:]), cmd
    sessions = blocks(page, "pycon")
    assert len(sessions) >= 5
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    globs: dict = {}
    report: list[str] = []
    for lineno, text in sessions:
        test = parser.get_doctest(text, globs, f"quickstart.md:{lineno}", str(page), lineno)
        if not has_pandas:
            test.examples = [e for e in test.examples if "to_frame" not in e.source]
        runner.run(test, out=report.append, clear_globs=False)
        globs = test.globs                  # (a DocTest works on a copy of what it is given)
    assert runner.tries >= 20
    assert 0 == runner.failures, "".join(report)


def test_guide_includes_exist():
    """Every literalinclude of the guide and schema pages names a file that exists."""
    pages = [DOCS / "guide" / "construction.md", *sorted((DOCS / "schemas").glob("*.md"))]
    found = 0
    for page in pages:
        for target in re.findall(r"^```\{literalinclude\}\s+(\S+)", page.read_text(), re.M):
            assert (page.parent / target).resolve().is_file(), f"{page.name}: {target}"
            found += 1
    assert found >= 5
