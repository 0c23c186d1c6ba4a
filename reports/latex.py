"""LaTeX (and plain-text) rendering of constructions, checks, and the full report.

Three layers:

* helpers that make any string safe for pdfLaTeX: :func:`escape` (plain text),
  :func:`text` (report prose by the markup rule of :mod:`.markup`: math only in ``$...$``), :func:`math` (a SymPy object or a
  LaTeX string), :func:`tt` (monospace names that may break at commas);
* :func:`construction_latex` / :func:`construction_text`: one construction's derivation
  (used by ``superpose derive`` and by the report);
* :mod:`.paper` assembles the whole ``report.tex`` from these pieces.

The document compiles with texlive-latex-base + texlive-latex-recommended only
(amsmath, amssymb, graphicx, booktabs, longtable, float, geometry, hyperref, xcolor).
Long formulas never run into the margin: every displayed formula goes through
``\\fitmath``, which shrinks a box wider than the line, and long sums are split over
lines at their top-level ``+``.

>>> escape("rms_error 5% & more")
'rms\\\\_error 5\\\\% \\\\& more'
>>> text("the mean $\\\\mu_i$ of x_i")
'the mean $\\\\mu_i$ of x\\\\_i'
"""
from __future__ import annotations

import contextlib
import math as _math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping, Sequence

import sympy as sp

from superpose.derive.quantity import Construction, Param, Quantity

# ------------------------------------------------------------------- safe strings

#: In safe mode every author-supplied LaTeX string is shown as escaped source text, so a
#: section whose LaTeX does not compile can still be typeset (see :func:`safe_mode`).
_SAFE = False


@contextlib.contextmanager
def safe_mode() -> Iterator[None]:
    """Render author-supplied LaTeX (prose, string formulas, intro) as escaped text."""
    global _SAFE
    old, _SAFE = _SAFE, True
    try:
        yield
    finally:
        _SAFE = old


_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "_": r"\_", "&": r"\&", "%": r"\%",
    "#": r"\#", "$": r"\$", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
}

#: Non-ASCII characters that authors type in prose and formulas; each replacement works
#: in text and in math mode.  Anything else outside Latin-1 becomes ``?`` (see
#: :func:`ascii_safe`), so a stray character never breaks the build.
_UNICODE = {
    "≤": r"\ensuremath{\le}", "≥": r"\ensuremath{\ge}", "≠": r"\ensuremath{\ne}",
    "≈": r"\ensuremath{\approx}", "∼": r"\ensuremath{\sim}", "±": r"\ensuremath{\pm}",
    "×": r"\ensuremath{\times}", "·": r"\ensuremath{\cdot}", "∞": r"\ensuremath{\infty}",
    "→": r"\ensuremath{\to}", "←": r"\ensuremath{\leftarrow}", "⇒": r"\ensuremath{\Rightarrow}",
    "∈": r"\ensuremath{\in}", "∑": r"\ensuremath{\sum}", "∏": r"\ensuremath{\prod}",
    "√": r"\ensuremath{\surd}", "∝": r"\ensuremath{\propto}", "≪": r"\ensuremath{\ll}",
    "≫": r"\ensuremath{\gg}", "⊙": r"\ensuremath{\odot}", "⊗": r"\ensuremath{\otimes}",
    "∂": r"\ensuremath{\partial}", "∇": r"\ensuremath{\nabla}", "′": r"\ensuremath{'}",
    "–": "--", "—": "---", "‘": "`", "’": "'", "“": "``", "”": "''", "…": r"\ldots{}",
    "\u00a0": "~", "−": r"\ensuremath{-}", "§": r"\S{}", "°": r"\ensuremath{^\circ}",
    "µ": r"\ensuremath{\mu}", "¬": r"\ensuremath{\neg}", "²": r"\ensuremath{^2}",
    "³": r"\ensuremath{^3}", "¹": r"\ensuremath{^1}", "½": r"\ensuremath{\tfrac12}",
    "∀": r"\ensuremath{\forall}", "∃": r"\ensuremath{\exists}", "∩": r"\ensuremath{\cap}",
    "∪": r"\ensuremath{\cup}", "⊂": r"\ensuremath{\subset}", "⊆": r"\ensuremath{\subseteq}",
    "∅": r"\ensuremath{\emptyset}", "⟨": r"\ensuremath{\langle}", "⟩": r"\ensuremath{\rangle}",
    "‖": r"\ensuremath{\|}", "∣": r"\ensuremath{|}", "ℓ": r"\ensuremath{\ell}",
    "𝔼": r"\ensuremath{\mathbb{E}}", "≡": r"\ensuremath{\equiv}", "≲": r"\ensuremath{\lesssim}",
    "≳": r"\ensuremath{\gtrsim}", "⌈": r"\ensuremath{\lceil}", "⌉": r"\ensuremath{\rceil}",
    "⌊": r"\ensuremath{\lfloor}", "⌋": r"\ensuremath{\rfloor}",
    "α": r"\ensuremath{\alpha}", "β": r"\ensuremath{\beta}", "γ": r"\ensuremath{\gamma}",
    "δ": r"\ensuremath{\delta}", "ε": r"\ensuremath{\epsilon}", "ϵ": r"\ensuremath{\epsilon}",
    "ζ": r"\ensuremath{\zeta}", "η": r"\ensuremath{\eta}", "θ": r"\ensuremath{\theta}",
    "κ": r"\ensuremath{\kappa}", "λ": r"\ensuremath{\lambda}", "μ": r"\ensuremath{\mu}",
    "ν": r"\ensuremath{\nu}", "ξ": r"\ensuremath{\xi}", "π": r"\ensuremath{\pi}",
    "ρ": r"\ensuremath{\rho}", "σ": r"\ensuremath{\sigma}", "τ": r"\ensuremath{\tau}",
    "φ": r"\ensuremath{\phi}", "χ": r"\ensuremath{\chi}", "ψ": r"\ensuremath{\psi}",
    "ω": r"\ensuremath{\omega}", "Γ": r"\ensuremath{\Gamma}", "Δ": r"\ensuremath{\Delta}",
    "Θ": r"\ensuremath{\Theta}", "Λ": r"\ensuremath{\Lambda}", "Σ": r"\ensuremath{\Sigma}",
    "Φ": r"\ensuremath{\Phi}", "Ψ": r"\ensuremath{\Psi}", "Ω": r"\ensuremath{\Omega}",
}


def ascii_safe(s: str) -> str:
    """Replace characters pdfLaTeX's utf8 input cannot typeset by LaTeX commands.

    Latin-1 letters (``ä``, ``é``) stay: LaTeX's utf8 handles them in text.
    """
    out = []
    for ch in s:
        if ord(ch) < 128:
            out.append(ch)
        elif ch in _UNICODE:
            out.append(_UNICODE[ch])
        elif 0xC0 <= ord(ch) <= 0xFF and unicodedata.category(ch).startswith("L"):
            out.append(ch)
        else:
            out.append("?")
    return "".join(out)


def escape(s: Any) -> str:
    """Plain text -> LaTeX text (every special character escaped)."""
    return ascii_safe("".join(_TEXT_ESCAPES.get(ch, ch) for ch in str(s)))


def text(s: Any) -> str:
    """Report prose -> LaTeX, by the markup rule of :mod:`superpose.reports.markup`: math
    is exactly what stands inside ``$...$`` (kept as written); the prose around it is
    escaped, but for the few text commands the rule allows (``\\cite``, ``\\citet``,
    ``\\citep``, ``\\emph``, ``\\ref``, ``\\eqref``, ``\\S``) and the escapes an author
    typed (``\\%``, ``\\&``, ``\\_``, ``\\#``, ``\\$``).  Nothing is guessed: a string
    that breaks the rule is shown as its characters, never turned into math.
    """
    if not s:
        return ""
    if _SAFE:
        return escape(s)
    return ascii_safe(_prose(str(s)))


_ALLOWED = re.compile(r"\\(citet|citep|cite|eqref|ref|emph)\{|\\S(?![A-Za-z])")
_KEEP_ESCAPES = {"%", "&", "_", "#", "$", "{", "}", " "}


def _prose(run: str) -> str:
    """Escape plain prose, keeping the allowed text commands and typed escapes."""
    out, i = [], 0
    while i < len(run):
        m = _ALLOWED.match(run, i)
        if m:
            if m.group(0) == "\\S":
                out.append("\\S{}")
                i = m.end()
                continue
            depth, j = 1, m.end()
            while j < len(run) and depth:
                depth += {"{": 1, "}": -1}.get(run[j], 0)
                j += 1
            inner = run[m.end():j - 1] if depth == 0 else run[m.end():j]
            arg = _prose(inner) if m.group(1) == "emph" else inner    # (a key or label)
            out.append(f"\\{m.group(1)}{{{arg}}}")
            i = j
            continue
        ch = run[i]
        if ch == "$":                  # math: kept as written, up to the closing $
            j = i + 1
            while j < len(run) and not (run[j] == "$" and run[j - 1] != "\\"):
                j += 1
            if j < len(run):
                out.append(run[i:j + 1])
                i = j + 1
                continue
            out.append("\\$")          # (an unclosed $ is a character)
            i += 1
            continue
        if ch == "\\" and i + 1 < len(run) and run[i + 1] in _KEEP_ESCAPES:
            out.append(run[i:i + 2])
            i += 2
            continue
        out.append(_TEXT_ESCAPES.get(ch, ch))
        i += 1
    return "".join(out)


def tt(s: Any) -> str:
    """A name in typewriter type that may break after ``,`` ``[`` ``.`` (long check names)."""
    e = escape(s)
    for ch in (",", "[", "."):
        e = e.replace(ch, ch + r"\allowbreak{}")
    return r"\texttt{" + e + "}"


def math(obj: Any) -> str:
    """A formula in LaTeX: SymPy objects through ``sympy.latex``, strings as given."""
    if obj is None:
        return ""
    if isinstance(obj, str):
        if _SAFE:
            return r"\text{\ttfamily " + escape(obj.strip()) + "}"
        return ascii_safe(obj.strip().strip("$").strip())
    if isinstance(obj, bool):
        return r"\text{%s}" % obj
    if isinstance(obj, (int, float)):
        return number(obj)
    try:
        return ascii_safe(sp.latex(obj, inv_trig_style="full"))
    except Exception:  # an object SymPy cannot print: show its text
        return r"\text{%s}" % escape(obj)


def label(s: str) -> str:
    """A LaTeX label from any name (only characters safe in ``\\label`` and hyperref)."""
    return re.sub(r"[^A-Za-z0-9:._-]", "-", s)


def number(x: Any, digits: int = 5) -> str:
    """A number in math mode: ``1.2346``, ``1.2346\\times 10^{-5}``, ``--`` for none."""
    if x is None:
        return "--"
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        return f"{x:,}".replace(",", r"\,")
    x = float(x)
    if not _math.isfinite(x):
        return r"\infty" if x > 0 else (r"-\infty" if x < 0 else r"\mathrm{NaN}")
    if x == 0:
        return "0"
    e = int(_math.floor(_math.log10(abs(x))))
    if -3 <= e < 5:
        s = f"{x:.{max(digits - 1 - e, 0)}f}"
        return s.rstrip("0").rstrip(".") if "." in s else s
    mant = f"{x / 10**e:.{digits - 1}f}".rstrip("0").rstrip(".")
    return rf"{mant}\times 10^{{{e}}}"


def num(x: Any, digits: int = 5) -> str:
    """:func:`number` wrapped in ``$...$`` (for tables and prose)."""
    s = number(x, digits)
    return s if s == "--" else f"${s}$"


# --------------------------------------------------------------- one construction

_RELATIONS = (r"\le", r"\leq", r"\ge", r"\geq", r"\approx", r"\sim", r"\simeq", r"\lesssim",
              r"\gtrsim", r"\propto", "<", ">", "=")
_SPLIT_AT = 110      # latex characters per line before a sum is split over lines


def quantity_symbol(q: Quantity) -> str:
    """The quantity's LaTeX symbol, or its short name in roman type."""
    return math(q.symbol) if q.symbol else r"\mathrm{%s}" % escape(q.short)


def _relation_and_rhs(rhs: Any) -> tuple[str, str]:
    """A string right-hand side may start with its own relation (``\\le ...``)."""
    body = math(rhs)
    if isinstance(rhs, str):
        for rel in _RELATIONS:
            if body.startswith(rel) and not body[len(rel):len(rel) + 1].isalpha():
                return rel, body[len(rel):].strip()
    return "=", body


def _rhs_lines(rhs: Any) -> list[str]:
    """The right-hand side as one or more display lines (long sums split at ``+``)."""
    if isinstance(rhs, sp.Add) and len(math(rhs)) > _SPLIT_AT:
        terms = sp.Add.make_args(rhs)
        lines, cur = [], ""
        for t in terms:
            s = math(t)
            piece = s if not cur else (s if s.startswith("-") else "+ " + s)
            if cur and len(cur) + len(piece) > _SPLIT_AT:
                lines.append(cur)
                cur = "{}" + (s if s.startswith("-") else "+ " + s)
            else:
                cur = (cur + " " + piece).strip()
        lines.append(cur)
        return lines
    return [_relation_and_rhs(rhs)[1]]


def _display(lhs: str, rel: str, rhs: Any, tag: str = "") -> str:
    """An ``align`` body for ``lhs rel rhs`` (possibly over several lines)."""
    lines = _rhs_lines(rhs)
    out = []
    for i, line in enumerate(lines):
        left = f"{lhs} &{rel} " if i == 0 else r"&\quad "
        out.append(left + r"\fitmath{" + line + "}" + (r" \notag" if i < len(lines) - 1 else ""))
    if tag:
        out[-1] += " " + tag
    return " \\\\\n".join(out)


def _align(lhss: Sequence[str], body: str, numbered: bool = False) -> str:
    """An ``align`` environment; ``\\setlhs`` first measures its left-hand sides, so
    that ``\\fitmath`` leaves room for the widest."""
    env = "align" if numbered else "align*"
    rows = r"\\".join(r"$\displaystyle " + x + "$" for x in lhss if x) or "{}"
    return (rf"\setlhs{{{rows}}}" "\n" rf"\begin{{{env}}}" "\n" + body + "\n"
            rf"\end{{{env}}}" "\n")


def _param_rows(params: Sequence[Param]) -> str:
    rows = []
    for p in params:
        lo = r"-\infty" if p.lo is None else number(p.lo)
        hi = r"\infty" if p.hi is None else number(p.hi)
        rng = f"$[{lo}, {hi}]$"
        rows.append(f"${math(p.symbol)}$ & {tt(p.name)} & {p.kind.__name__} & {rng} & "
                    f"{num(p.default)} & {text(p.doc)} \\\\")
    return "\n".join(rows)


def params_table(params: Sequence[Param]) -> str:
    """A small table of parameters: symbol, name, type, range, default, meaning."""
    if not params:
        return ""
    return (r"\begin{center}\small" "\n"
            r"\begin{tabular}{@{}llllrp{0.38\linewidth}@{}}\toprule" "\n"
            r"symbol & name & type & range & default & meaning \\\midrule" "\n"
            + _param_rows(params) + "\n"
            r"\bottomrule\end{tabular}\end{center}" "\n")


def accuracy_text(q: Quantity) -> str:
    """The declared relation between closed form and definition, in words."""
    return {
        "exact": "exact",
        "approximate": f"approximate, relative tolerance {num(q.tolerance, 3)}"
                       + (f" ({text(q.tolerance_reason)})" if q.tolerance_reason else ""),
        "upper-bound": "upper bound",
        "lower-bound": "lower bound",
        "asymptotic": f"asymptotic, leading order as {text(q.limit)}"
                      + (f", tolerance {num(q.tolerance, 3)} at finite size"
                         if q.tolerance else ""),
    }[q.accuracy]


def _steps_latex(q: Quantity, lhs0: str, start: int = 0) -> str:
    """The derivation as an ``align*`` with (a), (b), ... over each relation sign and the
    justifications listed below it; ``start`` skips the first steps (printed elsewhere),
    keeping the marks of the rest."""
    lines = []
    notes: dict[str, list[str]] = {}          # justification -> its marks (said once)
    lhss = [lhs0]
    for i, st in enumerate(q.steps):
        if i < start:
            continue
        mark = f"({chr(ord('a') + i % 26)}{'' if i < 26 else i // 26})"
        rel, _ = _relation_and_rhs(st.rhs)
        if st.why:
            rel = r"\overset{\text{%s}}{%s}" % (mark, rel)
            notes.setdefault(st.why, []).append(mark)
        lhs = math(st.lhs) if (st.lhs is not None and st.lhs != "") else ""
        if i == start and not lhs:
            lhs = lhs0
        lhss.append(lhs)
        lines.append(_display(lhs, rel, st.rhs))
    out = _align(lhss, " \\\\\n".join(lines))
    if notes:
        out += r"{\small " + "; ".join(rf"\textup{{{', '.join(marks)}}}~{text(why)}"
                                        for why, marks in notes.items()) + ".}\n"
    return out


def quantity_latex(q: Quantity) -> str:
    """One quantity: meaning, parameters, definition, closed form (labelled), steps."""
    sym = quantity_symbol(q)
    head = tt(q.short) + (r" \quad\textsf{[published form]}" if q.published else "")
    out = [rf"\subsection*{{{head}}}", rf"\phantomsection\label{{q:{label(q.name)}}}"]
    if q.doc:
        out.append(text(q.doc) + "\n")
    facts = [rf"\item[Statistic] {escape(q.statistic)}",
             rf"\item[Accuracy] {accuracy_text(q)}"]
    if q.source:
        facts.append(rf"\item[Source] {text(q.source)}")
    if q.published:
        facts.append(r"\item[Published] this is the form as published, registered beside "
                     r"ours; its checks are reported with their deviation (verdict \emph{info}).")
    out.append("\\begin{description}\\itemsep0pt\n" + "\n".join(facts) + "\n\\end{description}")
    out.append(params_table(q.params))
    if q.definition is not None and q.definition != "":
        out.append(r"\noindent Definition:" "\n" + _align([sym], _display(sym, "=", q.definition)))
    if q.closed_form is not None:
        tag = rf"\label{{{label(q.eq_label or q.name)}}}"
        out.append(r"\noindent Closed form:" "\n"
                   + _align([sym], _display(sym, "=", q.closed_form, tag), numbered=True))
    elif q.compute is not None:
        how = text((q.compute.__doc__ or "").strip().split("\n")[0])
        out.append(r"\noindent Computed by an algorithm (no closed form)"
                   + (f": {how}" if how else ".") + "\n")
    else:
        out.append(r"\noindent Measured only: no prediction is registered yet." "\n")
    if q.steps:
        out.append(r"\noindent Derivation:" "\n" + _steps_latex(q, sym))
    return "\n".join(x for x in out if x) + "\n"


def construction_latex(c: Construction) -> str:
    """The body of one construction's section (no ``\\section`` line): introduction,
    then every quantity with its definition, closed form and derivation."""
    out = []
    if c.intro_latex:
        out.append((escape(c.intro_latex.strip()) if _SAFE else ascii_safe(c.intro_latex.strip()))
                   + "\n")
    elif c.doc:
        out.append(text(c.doc) + "\n")
    if c.source:
        out.append(r"\noindent Source: " + text(c.source) + "\n")
    for q in c.quantities:
        out.append(quantity_latex(q))
    return "\n".join(out)


# ---------------------------------------------------------------------- plain text


def _plain(obj: Any) -> str:
    if obj is None or obj == "":
        return ""
    if isinstance(obj, str):
        return obj.strip()
    try:
        return sp.pretty(obj, use_unicode=True, wrap_line=True, num_columns=100)
    except Exception:
        return str(obj)


def _indent(s: str, pad: str) -> str:
    return "\n".join(pad + line for line in s.splitlines())


def construction_text(c: Construction) -> str:
    """The derivation as plain text (``superpose derive NAME``)."""
    out = [f"{c.name}: {c.title}"]
    if c.doc:
        out.append(c.doc.strip())
    if c.source:
        out.append(f"Source: {c.source}")
    for q in c.quantities:
        out.append("")
        tag = "  [published form]" if q.published else ""
        out.append(f"{q.name}{tag}")
        out.append(f"  statistic: {q.statistic}; accuracy: {q.accuracy}"
                   + (f" (tolerance {q.tolerance:g}: {q.tolerance_reason})"
                      if q.accuracy == "approximate" else "")
                   + (f" (limit: {q.limit})" if q.limit else ""))
        if q.params:
            out.append("  parameters: " + ", ".join(
                f"{p.name} ({p.kind.__name__}, default {p.default})" for p in q.params))
        if q.source:
            out.append(f"  source: {q.source}" + (f" [{q.eq_label}]" if q.eq_label else ""))
        if q.doc:
            out.append(_indent(q.doc.strip(), "  "))
        if q.definition is not None and q.definition != "":
            out.append("  definition:")
            out.append(_indent(_plain(q.definition), "    "))
        if q.closed_form is not None:
            out.append("  closed form:")
            out.append(_indent(_plain(q.closed_form), "    "))
        elif q.compute is not None:
            out.append("  computed by an algorithm (no closed form)")
        else:
            out.append("  measured only (no prediction yet)")
        if q.steps:
            out.append("  derivation:")
            for st in q.steps:
                lhs, rhs = _plain(st.lhs), _plain(st.rhs)
                if "\n" in rhs or "\n" in lhs:
                    out.append(_indent(lhs, "    ") + (" =" if lhs else "    ="))
                    out.append(_indent(rhs, "        "))
                    if st.why:
                        out.append(f"        [{st.why}]")
                else:
                    why = f"    [{st.why}]" if st.why else ""
                    out.append(f"    {lhs + ' = ' if lhs else '  = '}{rhs}{why}")
    return "\n".join(out)


# ------------------------------------------------------------------------ document


@dataclass
class Figure:
    """One figure of the report: its files (relative to the report folder) and caption."""

    name: str
    files: list[str]
    caption: str
    natural: bool = False     # placed at the size it was drawn (fonts keep their point size)


@dataclass
class Section:
    """One construction's part of the report."""

    construction: Construction
    checks: list[Mapping[str, Any]] = field(default_factory=list)   # CheckResult.to_json()
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)                  # plain-text remarks
    errors: list[str] = field(default_factory=list)                 # plain-text errors
    safe: bool = False             # typeset the derivation's author LaTeX as escaped text


PREAMBLE = r"""\documentclass[10pt]{article}
\usepackage[utf8]{inputenc}
\usepackage[a4paper,margin=1.8cm]{geometry}
\usepackage{amsmath,amssymb,bm}
\usepackage{graphicx}
\usepackage{booktabs,longtable,array}
\usepackage{float}
\usepackage[table]{xcolor}
\usepackage[numbers,sort&compress]{natbib}
\usepackage[hidelinks]{hyperref}
\allowdisplaybreaks
\setlength{\emergencystretch}{3em}
\setlength{\LTcapwidth}{\linewidth}
% deterministic PDF: no dates, no random trailer id, no pdfTeX info keys
\ifdefined\pdftrailerid \pdftrailerid{}\fi
\ifdefined\pdfinfoomitdate \pdfinfoomitdate=1\fi
\ifdefined\pdfsuppressptexinfo \pdfsuppressptexinfo=-1\fi
% \setlhs{$a$\\$b$}: measure the left-hand sides of the next align;
% \fitmath{formula}: a display formula, shrunk when wider than the line less the widest
% left-hand side and room for a relation and an equation number
\newsavebox{\spfitbox}\newlength{\spavail}\newlength{\splhsw}
\newcommand{\setlhs}[1]{\settowidth{\splhsw}{\begin{tabular}{@{}l@{}}#1\end{tabular}}}
\newcommand{\fitmath}[1]{\setlength{\spavail}{\linewidth}\addtolength{\spavail}{-\splhsw}%
  \addtolength{\spavail}{-4.5em}%
  \ifdim\spavail<0.4\linewidth\setlength{\spavail}{0.4\linewidth}\fi
  \sbox{\spfitbox}{$\displaystyle #1$}%
  \ifdim\wd\spfitbox>\spavail\resizebox{\spavail}{!}{\usebox{\spfitbox}}%
  \else\usebox{\spfitbox}\fi}
\newcounter{derivation}[subsection]
\renewcommand{\thederivation}{\thesubsection.\arabic{derivation}}
\newcommand{\verdict}[1]{\textsf{#1}}
\newcommand{\fail}{\textcolor{red!70!black}{\textbf{\textsf{fail}}}}
"""

VERDICTS = ("pass", "fail", "info", "skip")


def _verdict(v: str) -> str:
    return r"\fail" if v == "fail" else rf"\verdict{{{escape(v)}}}"


def _short_check_name(r: Mapping[str, Any]) -> str:
    name = str(r.get("name", ""))
    return name.split(".", 1)[1] if "." in name.split("[", 1)[0] else name


def _counts(checks: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    out = {v: 0 for v in VERDICTS}
    for r in checks:
        out[str(r.get("verdict"))] = out.get(str(r.get("verdict")), 0) + 1
    return out


def _figure(f: Figure) -> str:
    pdfs = [p for p in f.files if p.endswith(".pdf")] or f.files
    if f.natural:
        imgs = "\n".join(rf"\includegraphics{{{p}}}" for p in pdfs)
    else:
        width = "0.85\\linewidth" if len(pdfs) == 1 else "0.48\\linewidth"
        imgs = "\\hfill\n".join(rf"\includegraphics[width={width}]{{{p}}}" for p in pdfs)
    return (r"\begin{figure}[tbp]\centering" "\n" + imgs + "\n"
            rf"\caption{{{text(f.caption)}}}\label{{fig:{label(f.name)}}}" "\n"
            r"\end{figure}" "\n")


#: A comment line opening each construction's part of report.tex, so that a LaTeX error
#: (reported with a line number) can be traced to its construction.
SECTION_MARK = "% superpose-section: "


def section_at_line(tex: str, line: int) -> str | None:
    """The construction whose part of ``tex`` holds line ``line`` (1-based), if any."""
    name = None
    for i, row in enumerate(tex.splitlines()[:line], start=1):
        if row.startswith(SECTION_MARK):
            name = row[len(SECTION_MARK):].strip()
        elif row.startswith(r"\end{document}"):
            name = None
    return name
