"""The report as a paper: Findings generated from the checks, derive --latex standalone,
the layout read from the LaTeX log."""
from __future__ import annotations

import shutil
import subprocess

import pytest
import sympy as sp

from superpose.derive.quantity import Answer, Construction, Param, Quantity
from superpose.derive import quantity as registry
from superpose.reports import findings as F
from superpose.reports import latex, paper, report

x = Param("x", int, default=2, lo=1)


def _demo() -> Construction:
    ours = Quantity("demo.gain", (x,), "value", "exact", definition=None,
                    closed_form=2 * x.symbol, doc="The gain of the demo.")
    pub = Quantity("demo.gain_published", (x,), "value", "exact", definition=None,
                   closed_form=x.symbol, published=True, source=r"\cite{cis2}, eq. (1)",
                   doc="The gain as published.")
    def ans(checks):
        r = checks.get("demo.gain[x=3]")
        return None if r is None else f"The gain at $x=3$ is {r['measured']:g}."
    def broken(checks):
        raise KeyError("nope")
    return Construction("demo", "A demo", "A demo construction.", (ours, pub),
                        answers=(Answer("What is the gain?", ans, "sec:demo"),
                                 Answer("Broken?", broken)))


def _check(q, measured, predicted, verdict, x=3, se=0.01):
    return {"name": f"{q}[x={x}]", "quantity": q, "params": {"x": x}, "predicted": predicted,
            "predicted_published": None, "measured": measured, "se": se,
            "ci": [measured - 4 * se, measured + 4 * se], "z": 4.0, "verdict": verdict,
            "note": "", "n": 100, "n_networks": 100}


def test_corrections_list_contradicted_published_forms_with_ours_and_deviation():
    c = _demo()
    checks = [_check("demo.gain", 6.0, 6.0, "pass"),
              _check("demo.gain_published", 6.0, 3.0, "info"),
              _check("demo.gain_published", 4.0, 2.0, "info", x=2)]
    rows = F.corrections([c], checks)
    assert len(rows) == 1
    row = rows[0]
    assert row.quantity.name == "demo.gain_published" and row.ours.name == "demo.gain"
    assert row.ours_value == 6.0                     # our check's prediction at x=3
    assert row.deviations == [1.0, 1.0] and row.n_checks == 2


def test_a_published_form_that_passes_is_not_a_finding():
    c = _demo()
    assert F.corrections([c], [_check("demo.gain_published", 3.0, 3.0, "pass")]) == []


def test_answers_use_the_checks_and_a_broken_answer_is_named():
    c = _demo()
    rows, errors = F.answers([c], [_check("demo.gain", 6.0, 6.0, "pass")])
    assert [r.answer for r in rows] == ["The gain at $x=3$ is 6."]
    assert len(errors) == 1 and "KeyError" in errors[0]
    rows, _ = F.answers([c], [])                     # the check did not run: no answer
    assert rows == []


def test_document_puts_findings_first_and_the_ledger_in_an_appendix():
    c = _demo()
    checks = [_check("demo.gain", 6.0, 6.0, "pass"),
              _check("demo.gain_published", 6.0, 3.0, "info")]
    tex = paper.document([latex.Section(c, checks)], checks,
                         {"command": "superpose report", "scale": "smoke", "seed": 0, "z": 4.0,
                          "git_revision": "abc", "versions": {"python": "3"}})
    i_find, i_sec, i_app = (tex.index(r"\section{Findings}"), tex.index(r"\section{A demo}"),
                            tex.index(r"\appendix"))
    assert i_find < i_sec < i_app < tex.index(r"\section{Check ledger}")
    findings = tex[i_find:i_sec]
    assert "+100" in findings                        # measured/published - 1 = +100%
    assert "The gain at $x=3$ is 6." in findings
    assert r"\emph{Broken?}" not in findings and "KeyError" in tex   # named among errors


def test_markdown_findings_carry_the_same_rows():
    c = _demo()
    checks = [_check("demo.gain", 6.0, 6.0, "pass"),
              _check("demo.gain_published", 6.0, 3.0, "info")]
    md = "\n".join(report.findings_markdown([latex.Section(c, checks)], checks))
    assert "## Findings" in md and "+100%" in md and "| 3 | 6 |" in md
    assert "The gain at $x=3$ is 6." in md


def test_layout_reads_pages_overfull_boxes_and_floats_from_the_log():
    log = ("superpose-body-pages: 31\nOverfull \\hbox (69.2pt too wide) in paragraph at "
           "lines 1--2\nOverfull \\hbox (2.0pt too wide) in paragraph at lines 3--4\n"
           "LaTeX Warning: Float too large for page by 44.0pt on input line 9.\n"
           "Output written on report.pdf (77 pages, 123 bytes).\n")
    lay = report.layout(log)
    assert lay["pages"] == 77 and lay["body_pages"] == 31 and lay["float_too_large"] == 1
    assert len(lay["overfull"]) == 1 and lay["overfull"][0].startswith("69.2 pt")


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
@pytest.mark.parametrize("name", registry.available())
def test_derive_latex_compiles_on_its_own(name, tmp_path):
    tex = paper.standalone(registry.get_construction(name))
    assert tex.lstrip().startswith(r"\documentclass") and r"\end{document}" in tex
    (tmp_path / "d.tex").write_text(tex, encoding="utf-8")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "d.tex"],
                          cwd=tmp_path, capture_output=True, text=True, errors="replace",
                          timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "Undefined control sequence" not in proc.stdout


def test_vacuous_probability_bounds_and_negative_intervals_are_commented():
    r = _check("demo.p", 0.01, 147.86, "skip")
    r["statistic"] = "probability"
    assert any("exceeds 1" in x for x in F.remarks(r))
    r["predicted"] = -22.3
    assert any("below 0" in x for x in F.remarks(r))
    ms = _check("demo.ms", 1.0, 1.0, "pass", se=1.0)      # 1 +- 4: would show [-3, 5]
    ms["statistic"] = "mean-square"
    assert F.shown_interval(ms) == (0.0, 5.0, True)
    assert any("clipped at 0" in x for x in F.remarks(ms))
    ms["statistic"] = "value"                              # a value may be negative
    assert F.shown_interval(ms) == (-3.0, 5.0, False) and F.remarks(ms) == []
