"""The report's Findings, computed from the check records: what a reader came for.

Two kinds, both generated (nothing here is typed by hand):

* **Corrections.**  Every *published* quantity (a formula as its source states it, registered
  beside ours with ``published=True``) whose Monte Carlo checks contradict it beyond its
  tolerance (verdict ``info`` with a prediction: the rule it would have had to pass failed).
  One row per published quantity: its source and equation, the published value, our
  derived value at the same parameters, the measurement with its interval, and the range of
  ``measured / published - 1`` over the contradicting checks.
* **Answers.**  The open questions a construction's measurements answer
  (:class:`superpose.derive.quantity.Answer`): a question and one sentence with the numbers,
  computed by the construction from the check records, pointing to the figure or table that
  carries the evidence.

Both are plain data, rendered as LaTeX by :mod:`.paper` and as Markdown for ``summary.md``.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from superpose.derive.quantity import Construction, Quantity


@dataclass
class Correction:
    """One published formula the measurements contradict."""

    quantity: Quantity
    ours: Quantity | None
    worst: Mapping[str, Any]              # the contradicting check with the largest |deviation|
    ours_value: float | None              # our derived value at the worst check's parameters
    deviations: list[float] = field(default_factory=list)   # measured / published - 1
    n_checks: int = 0                     # checks of this published form that ran
    ours_verdict: str | None = None       # our own check's verdict at that point, if it ran

    @property
    def asymptotic(self) -> bool:
        """A leading-order or big-O form (compared at finite size, not judged): it is not
        contradicted by a finite-size deviation, only put beside the measurement."""
        return self.quantity.accuracy not in ("exact", "approximate")

    @property
    def construction(self) -> str:
        return self.quantity.construction


@dataclass
class AnswerRow:
    construction: str
    question: str
    answer: str
    where: str


def _deviation(r: Mapping[str, Any]) -> float | None:
    p, m = r.get("predicted"), r.get("measured")
    if p is None or m is None or p == 0 or not math.isfinite(p) or not math.isfinite(m):
        return None
    return (m - p) / abs(p)


def _twin(c: Construction, q: Quantity) -> Quantity | None:
    short = q.ours or (q.short[:-len("_published")] if q.short.endswith("_published") else "")
    if not short:
        return None
    try:
        return c.get(short)
    except Exception:
        return None


def _ours_value(ours: Quantity | None, r: Mapping[str, Any],
                by_quantity: Mapping[str, list]) -> tuple[float | None, str | None]:
    """Our value at the parameters of check ``r`` and our check's verdict there: from our
    own check at that point, else evaluated (verdict None: not checked there)."""
    if ours is None:
        return None, None
    params = r.get("params") or {}
    for o in by_quantity.get(ours.name, []):
        op = o.get("params") or {}
        if o.get("predicted") is not None and all(op.get(k) == v for k, v in params.items()
                                                  if k in op):
            if all(k in op for k in params) or all(k in params for k in op):
                return float(o["predicted"]), str(o.get("verdict"))
    try:
        names = {p.name for p in ours.params}
        return float(ours.evaluate({k: v for k, v in params.items() if k in names})), None
    except Exception:
        return None, None


def corrections(constructions: Sequence[Construction],
                checks: Sequence[Mapping[str, Any]]) -> list[Correction]:
    """The published formulas contradicted by the checks, in report order."""
    by_quantity: dict[str, list] = {}
    for r in checks:
        by_quantity.setdefault(str(r.get("quantity")), []).append(r)
    out = []
    for c in constructions:
        for q in c.quantities:
            if not q.published:
                continue
            rows = [r for r in by_quantity.get(q.name, []) if r.get("verdict") != "skip"]
            bad = [r for r in rows if r.get("verdict") == "info"
                   and _deviation(r) is not None]
            if not bad:
                continue
            worst = max(bad, key=lambda r: abs(_deviation(r)))
            ours = _twin(c, q)
            value, verdict = _ours_value(ours, worst, by_quantity)
            out.append(Correction(q, ours, worst, value, sorted(_deviation(r) for r in bad),
                                  len(rows), verdict))
    return out


def answers(constructions: Sequence[Construction],
            checks: Sequence[Mapping[str, Any]]) -> tuple[list[AnswerRow], list[str]]:
    """Every registered answer that the checks of this run can give, and the errors of any
    that raised (named, never hidden)."""
    by_name = {str(r.get("name")): r for r in checks}
    rows, errors = [], []
    for c in constructions:
        for a in c.answers:
            try:
                text = a.answer(by_name)
            except Exception as exc:  # a bug in a construction's answer: say so
                errors.append(f"answer of {c.name} ({a.question[:60]}...): "
                              f"{type(exc).__name__}: {exc}")
                continue
            if text:
                rows.append(AnswerRow(c.name, a.question, str(text), a.where))
    return rows, errors


# ------------------------------------------------------------------ bibliography

BIB = Path(__file__).with_name("references.bib")
_ENTRY = re.compile(r"@\w+\s*\{\s*([^,\s]+)\s*,(.*?)\n\}", re.S)
_FIELD = re.compile(r"(\w+)\s*=\s*[{\"](.*?)[}\"]\s*,?\s*$", re.M)


def bibliography(path: Path = BIB) -> dict[str, dict[str, str]]:
    """``key -> {field: value}`` of the BibTeX file (enough for author, title, year, url)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return {}
    out = {}
    for key, body in _ENTRY.findall(text):
        out[key] = {k.lower(): " ".join(v.replace("{", "").replace("}", "").split())
                    for k, v in _FIELD.findall(body)}
    return out


def _short_author(authors: str) -> str:
    names = [a.strip() for a in authors.split(" and ") if a.strip()]
    if not names:
        return ""
    last = [n.split(",")[0] if "," in n else n.split()[-1] for n in names]
    if len(last) == 1:
        return last[0]
    if len(last) == 2:
        return f"{last[0]} and {last[1]}"
    return f"{last[0]} et al."


_CITE = re.compile(r"\\cite[tp]?\{([^}]*)\}")


def cite_text(s: str, bib: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """Replace ``\\cite{key}`` by "Author (year)" (with a link when the entry has a url),
    for Markdown."""
    bib = bibliography() if bib is None else bib

    def one(key: str) -> str:
        e = bib.get(key.strip())
        if not e:
            return f"[{key.strip()}]"
        who = _short_author(e.get("author", "")) or e.get("title", key)
        label = f"{who} ({e.get('year', 'n.d.')})"
        return f"[{label}]({e['url']})" if e.get("url") else label

    return _CITE.sub(lambda m: "; ".join(one(k) for k in m.group(1).split(",")), s)


# --------------------------------------------------------------- display helpers

#: Statistics that cannot be negative: their intervals are shown clipped at 0.
NONNEGATIVE = ("mean-square", "rms", "count", "probability")


def shown_interval(r: Mapping[str, Any]) -> tuple[float | None, float | None, bool]:
    """The check's interval as a reader should see it: ``(lo, hi, clipped)``; a
    non-negative statistic's interval never goes below 0 (``checks.json`` keeps the raw
    ``mean ± t·SE``)."""
    lo, hi = (r.get("ci") or (None, None))[:2]
    if lo is not None and lo < 0 and r.get("statistic") in NONNEGATIVE:
        return 0.0, hi, True
    return lo, hi, False


def remarks(r: Mapping[str, Any]) -> list[str]:
    """Comments a number needs that the check record does not carry: a probability bound
    outside [0, 1] says nothing; an interval clipped at 0."""
    out = []
    p = r.get("predicted")
    if r.get("statistic") == "probability" and p is not None:
        if p > 1:
            out.append("the bound exceeds 1 here, so it says nothing (vacuous)")
        elif p < 0:
            out.append("the bound is below 0 here, so it says nothing (vacuous)")
    if shown_interval(r)[2]:
        out.append("interval clipped at 0 (the statistic cannot be negative)")
    return out
