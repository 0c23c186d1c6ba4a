r"""The markup rule for every string that goes into the report, as code.

A report string (a construction's title, doc, setup paragraph, discussion and source; a
quantity's doc, source, tolerance reason and limit; a parameter's meaning; a derivation
step's justification; an open question; a figure caption; a check note) is **plain prose
with math only inside ``$...$``**:

* outside math the only backslash commands are ``\cite{key}``, ``\citet{key}``,
  ``\citep{key}``, ``\emph{...}``, ``\ref{label}``, ``\eqref{label}`` and ``\S``; no ``_``,
  ``^``, ``~``, other ``\`` or stray braces; the characters ``%``, ``&`` and ``#`` are
  written bare (the renderer escapes them in prose);
* no ASCII math in prose (``sqrt(``, ``->``, ``oo``, ``<=``, ``=``, ``1/N``, ``Var(a)``, a
  lone symbol letter such as ``N``, Greek letters spelled out) and no Unicode math symbols
  anywhere (``ε``, ``ℓ``, ``≤``: write them in ``$...$`` as LaTeX);
* no code identifiers (``rsolve``, ``BadInput``, snake_case names), no internal file names
  (``uand.md``, ``derive/...py``) and no development notes (``TODO``, "the issue's target");
* inside math, no ASCII math either and no run of three or more italic letters that is not
  a command (``amax``, ``eps``: write ``\alpha_{\max}``, ``\epsilon``); braces balance.

:func:`problems` returns one readable line per violation (empty: the string obeys the
rule); :func:`segments` splits a string into its prose and math parts, which is all a
renderer needs; :func:`registered_strings` yields every such string the registry holds, so
one test (``tests/test_markup.py``) enforces the rule over all of them.

>>> problems(r"the RMS error is $C/\sqrt N$ \cite{tmf}")
[]
>>> problems("error C/sqrt(N) as N -> oo")[:2]
['ASCII math outside $...$: "C/sqrt"', 'ASCII math outside $...$: "sqrt("']
"""
from __future__ import annotations

import re
from typing import Iterator

#: Backslash commands allowed outside math, with whether they take one braced argument.
ALLOWED_TEXT_COMMANDS = {"cite": True, "citet": True, "citep": True, "emph": True,
                         "ref": True, "eqref": True, "S": False}
#: Commands whose argument is a key or label (not prose; not checked).
_KEY_COMMANDS = {"cite", "citet", "citep", "ref", "eqref"}

#: Words with an inner capital that are names, not code identifiers.
PROPER_NAMES = {"LaTeX", "BibTeX", "SymPy", "NumPy", "SciPy", "GitHub", "LessWrong", "arXiv",
                "PyPI", "DeepMind", "McDiarmid", "MacKay", "OpenAI", "TeX", "ReLU", "ReLUs",
                "CiS", "CiS1", "CiS2", "RiS", "PyTorch", "GeLU", "LayerNorm"}

_GREEK = ("alpha beta gamma delta epsilon eps varepsilon zeta theta kappa lambda lam mu nu "
          "xi rho sigma tau phi varphi chi psi omega Gamma Delta Theta Lambda Sigma Phi Psi "
          "Omega").split()

_UNICODE_MATH = re.compile("[\u0370-\u03ff\u2190-\u21ff\u2200-\u22ff\u2113\u00b1\u00d7"
                           "\u00b7\u221a\u00b2\u00b3\u00b9\u2070-\u209f\u2016\u27e8\u27e9]")

_FILE = re.compile(r"\b[\w-]+\.(?:md|py|json|tex|csv|txt|pkl|ipynb|toml|yaml|yml|pdf)\b"
                   r"|\b(?:derive|verify|reports|tests|bench|shared|superpose)/")

_DEV_NOTES = [
    (re.compile(r"\bTODO\b|\bFIXME\b|\bXXX\b"), "development note"),
    (re.compile(r"\bissue(?:'s)?\b|\bbrief\b|\bhelper\b|\bcommit(?:ted)?\b|\bthe lead\b",
                re.I), "development note"),
    (re.compile(r"\[corrects:"), "development note"),
]

#: Code identifiers that are plain lower-case words (functions of the toolkit or of SymPy).
_CODE_WORDS = re.compile(r"\b(?:rsolve|nsolve|lambdify|simplify|doit|sympy|numpy|scipy|"
                         r"mpmath|quad|erfinv|BadInput|closed_form|np|sp|def|None|True|False)\b")

_TEXT_ASCII_MATH = [
    (re.compile(r"\b[A-Za-z]\w*/(?:sqrt|log|ln|exp)\b|\b\w+\s*/\s*sqrt\s*\(\s*\w+\s*\)"),
     None),
    (re.compile(r"\b(?:sqrt|exp|log|ln|sin|cos|asin|arcsin|erf|max|min|Var|Cov|Bin|Pr|P|E)\s*\("),
     None),
    (re.compile(r"->|<-|<=|>=|!=|==|\*\*|\+-|\+/-|<<|>>"), None),
    (re.compile(r"\boo\b"), None),
    (re.compile(r"\bE\s+max\b|\bE\s*\|"), None),
    (re.compile(r"(?<![<>=!-])[=<>](?![<>=])"), None),
    (re.compile(r"(?<![\w.])(?:[A-Za-z]|\d+)\s*/\s*(?:[A-Za-z]|\d+)(?![\w.])"), None),
    (re.compile(r"\b\w+\.\.\w+\b"), None),
]


class _Unbalanced(ValueError):
    pass


def segments(s: str) -> list[tuple[bool, str]]:
    r"""``s`` split into ``(is_math, text)`` parts at unescaped ``$``.

    >>> segments(r"error $C/\sqrt N$ here")
    [(False, 'error '), (True, 'C/\\sqrt N'), (False, ' here')]
    """
    parts = re.split(r"(?<!\\)\$", s)
    if len(parts) % 2 == 0:
        raise _Unbalanced("unbalanced $")
    return [(i % 2 == 1, p) for i, p in enumerate(parts) if p or i % 2 == 1]


def _quote(m: re.Match) -> str:
    return '"' + m.group(0).strip() + '"'


def _braces_balanced(s: str) -> bool:
    depth = 0
    for m in re.finditer(r"(?<!\\)[{}]", s):
        depth += 1 if m.group(0) == "{" else -1
        if depth < 0:
            return False
    return depth == 0


def _strip_text_commands(t: str, out: list[str]) -> str:
    """Remove the allowed commands (keeping ``\\emph``'s prose), reporting the others."""
    def arg_end(i: int) -> int:
        depth = 0
        for j in range(i, len(t)):
            if t[j] == "{":
                depth += 1
            elif t[j] == "}":
                depth -= 1
                if depth == 0:
                    return j
        return -1

    res, i = [], 0
    while i < len(t):
        if t[i] != "\\":
            res.append(t[i])
            i += 1
            continue
        m = re.match(r"\\([A-Za-z]+|.?)", t[i:])
        name = m.group(1)
        if name not in ALLOWED_TEXT_COMMANDS:
            out.append(f'command outside math: "\\{name}" (allowed: '
                       + ", ".join("\\" + c for c in ALLOWED_TEXT_COMMANDS) + ")")
            i += len(m.group(0))
            continue
        i += len(m.group(0))
        if not ALLOWED_TEXT_COMMANDS[name]:
            res.append(" ")
            continue
        j = i
        while j < len(t) and t[j] == " ":
            j += 1
        if j >= len(t) or t[j] != "{":
            out.append(f'"\\{name}" without a braced argument')
            continue
        end = arg_end(j)
        if end < 0:
            out.append(f'"\\{name}" with an unclosed argument')
            return "".join(res)
        arg = t[j + 1:end]
        if name in _KEY_COMMANDS:
            res.append(" KEY ")
        else:                                   # \emph{prose}: check the prose inside
            res.append(_strip_text_commands(arg, out))
        i = end + 1
    return "".join(res)


def _text_problems(t: str) -> list[str]:
    out: list[str] = []
    t = _strip_text_commands(t, out)
    for ch, what in (("_", "subscript"), ("^", "superscript"), ("~", "tilde")):
        if ch in t:
            out.append(f'"{ch}" outside $...$ ({what}: put the math inside $...$)')
    if "{" in t or "}" in t:
        out.append("brace outside $...$ and outside a command's argument")
    for m in _FILE.finditer(t):
        out.append(f"internal file name: {_quote(m)}")
    for rx, what in _DEV_NOTES:
        for m in rx.finditer(t):
            out.append(f"{what}: {_quote(m)}")
    for m in _CODE_WORDS.finditer(t):
        out.append(f"code identifier: {_quote(m)}")
    for m in re.finditer(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\b[a-z]+[A-Z]\w*\b"
                         r"|\b[A-Z][a-z]+[A-Z]\w*\b|\b\w+\(\)", t):
        if m.group(0) not in PROPER_NAMES:
            out.append(f"code identifier: {_quote(m)}")
    seen = set()
    for rx, _ in _TEXT_ASCII_MATH:
        for m in rx.finditer(t):
            k = m.group(0).strip()
            if k not in seen:
                seen.add(k)
                out.append(f"ASCII math outside $...$: {_quote(m)}")
    for m in re.finditer(r"\b(?:%s)\b" % "|".join(_GREEK), t):
        out.append(f"Greek letter spelled out in prose: {_quote(m)} (write it in $...$)")
    # A lone symbol letter: a variable that belongs in $...$ ("with N neurons").
    for m in re.finditer(r"(?<![\w'’.\-(])([B-HJ-Zb-z])(?![\w'’\-]|\.\w)", t):
        out.append(f'lone symbol outside $...$: "{m.group(1)}"')
    return out


_MATH_TEXT_ARGS = re.compile(
    r"\\(?:text|mathrm|operatorname|textrm|mathsf|mathit|mbox|textit|textbf|mathtt|texttt"
    r"|label|begin|end|ref|eqref|cite)\s*\{[^{}]*\}|\\rm\s*[A-Za-z]+|\\(?:mathrm|rm)\s*[A-Za-z]")


def _math_problems(m: str) -> list[str]:
    out: list[str] = []
    if not _braces_balanced(m):
        out.append(f'unbalanced braces in math: "{m}"')
    bare = _MATH_TEXT_ARGS.sub(" ", m)
    bare = re.sub(r"\\[A-Za-z]+", " ", bare)
    for rx in (re.compile(r"\bsqrt\s*\(|->|<=|>=|!=|\*\*|\+-"), re.compile(r"\boo\b")):
        for mm in rx.finditer(bare):
            out.append(f"ASCII math inside $...$: {_quote(mm)}")
    for mm in re.finditer(r"(?<![A-Za-z])[A-Za-z]{3,}(?![A-Za-z])", bare):
        out.append(f'italic word in math: "{mm.group(0)}" (a command, \\mathrm{{...}} or '
                   f"a named symbol)")
    return out


def problems(s: str) -> list[str]:
    """One readable line per violation of the markup rule in ``s`` (empty: none)."""
    if not isinstance(s, str):
        return [f"not a string: {type(s).__name__}"]
    out: list[str] = []
    for m in _UNICODE_MATH.finditer(s):
        out.append(f'Unicode math symbol "{m.group(0)}" (write it as LaTeX inside $...$)')
    try:
        parts = segments(s)
    except _Unbalanced:
        return out + ["unbalanced $ (math must open and close)"]
    for is_math, part in parts:
        if is_math:
            if not part.strip():
                out.append("empty math $$")
            out += _math_problems(part)
        else:
            out += _text_problems(part)
    # keep the order, drop repeats
    return list(dict.fromkeys(out))


def registered_strings(names=None, *, lemmas: bool = True) -> Iterator[tuple[str, str]]:
    """``(where, string)`` for every report string the registry holds.

    Construction title, doc, setup paragraph (``intro_latex``), discussion and source;
    every quantity's doc, source, tolerance reason and limit; every parameter's meaning
    (once per construction); every derivation step's justification; every open question.
    Figure captions and check notes are made at run time and are checked where they are
    made.  ``names`` restricts to some constructions (default: all registered); ``lemmas``
    adds the statement, conditions and proof of every lemma of the appendix table.
    """
    from superpose.derive.quantity import available, get_construction

    if lemmas:
        from superpose.derive.lemmas import LEMMAS

        for lem in LEMMAS:
            for f in ("statement", "conditions", "proof"):
                yield f"lemma {lem.id}: {f}", getattr(lem, f)

    for name in (available() if names is None else names):
        c = get_construction(name)
        for f in ("title", "doc", "intro_latex", "discussion", "source"):
            v = getattr(c, f)
            if v:
                yield f"{name}: {f}", v
        params_seen: set[str] = set()
        for q in c.quantities:
            for f in ("doc", "source", "tolerance_reason", "limit"):
                v = getattr(q, f)
                if v:
                    yield f"{q.name}: {f}", v
            for p in q.params:
                if p.doc and p.name not in params_seen:
                    params_seen.add(p.name)
                    yield f"{name}: parameter {p.name}", p.doc
            for i, st in enumerate(q.steps):
                if st.why:
                    yield f"{q.name}: step {i} why", st.why
        for i, a in enumerate(c.answers):
            yield f"{name}: answer {i} question", a.question


def bib_keys() -> set[str]:
    """The entry keys of ``references.bib`` (shipped beside this module)."""
    from importlib.resources import files

    text = files("superpose.reports").joinpath("references.bib").read_text(encoding="utf-8")
    return set(re.findall(r"^\s*@\w+\s*\{\s*([^,\s]+)\s*,", text, flags=re.M))


def cited_keys(s: str) -> list[str]:
    r"""The keys of every ``\cite``/``\citet``/``\citep`` in ``s``.

    >>> cited_keys(r"see \cite{tmf}, eq. (3) and \citep{blm2013, mu2005}")
    ['tmf', 'blm2013', 'mu2005']
    """
    return [k.strip() for m in re.finditer(r"\\cite[tp]?\s*(?:\[[^\]]*\])?\s*\{([^}]*)\}", s)
            for k in m.group(1).split(",")]
