"""The markup rule (reports/markup.py) holds for every registered report string, and each of
its clauses catches a planted violation (so the enforcement can fail)."""
from __future__ import annotations

import pytest

from superpose.derive.quantity import available
from superpose.reports import markup

#: Constructions whose strings are being rewritten elsewhere; the lead empties this list once
#: they obey the rule.  Every other registered construction is enforced.
NOT_YET_ENFORCED: tuple[str, ...] = ()


def _enforced() -> list[str]:
    return [n for n in available() if n not in NOT_YET_ENFORCED]


def test_every_registered_string_obeys_the_markup_rule():
    """No registered string of an enforced construction breaks the markup rule."""
    bad = [f"{where}: {p}  <<{s}>>" for where, s in markup.registered_strings(_enforced())
           for p in markup.problems(s)]
    assert not bad, f"{len(bad)} markup problems:\n" + "\n".join(bad[:60])


def test_answers_are_none_without_their_checks():
    """Every open-question answer of an enforced construction returns None when its checks are
    absent (smoke scale), and its question is a registered string."""
    from superpose.derive.quantity import get_construction

    n = 0
    for name in _enforced():
        for a in get_construction(name).answers:
            n += 1
            assert a.answer({}) is None, (name, a.question)
            assert a.where.startswith(("fig:", "sec:", "q:", "tab:")), a.where
    assert n >= 5


def test_registered_strings_cover_the_report_fields():
    """The walk reaches titles, sources, quantity docs, parameter meanings and step reasons."""
    wheres = [w for w, _ in markup.registered_strings(["costs"])]
    assert "costs: title" in wheres and "costs: source" in wheres
    assert any(w.endswith(": doc") and "." in w.split(":")[0] for w in wheres)
    assert any(": parameter " in w for w in wheres)
    assert any(" why" in w for w in wheres)


def test_every_cited_key_is_in_the_bibliography():
    """Every \\cite key in a registered string of any construction exists in references.bib."""
    keys = markup.bib_keys()
    missing = [(w, k) for w, s in markup.registered_strings() for k in markup.cited_keys(s)
               if k not in keys]
    assert not missing, missing[:20]


def test_every_cited_lemma_is_in_the_lemma_table():
    """Every "Lemma G7" / "Lemmas R1--R5" in a registered string names a lemma of the table."""
    import re

    from superpose.derive import lemmas

    known = {lem.id for lem in lemmas.LEMMAS}
    missing = [(w, i) for w, s in markup.registered_strings()
               for m in re.finditer(r"\bLemmas? [^.;:]*", s)
               for i in lemmas.cited_ids(m.group(0)) if i not in known]
    assert not missing, missing[:20]


def test_lemma_table_ids_are_unique_and_complete():
    """The appendix table states G1-G7 (from the Gaussian lemma records), R1-R5 and M1 once each."""
    from superpose.derive import gaussian, lemmas

    ids = [lem.id for lem in lemmas.LEMMAS]
    assert len(ids) == len(set(ids))
    assert {f"G{i}" for i in range(1, 8)} | {f"R{i}" for i in range(1, 6)} | {"M1"} <= set(ids)
    assert gaussian.lemma("G5").statement in lemmas.get("G5").statement


def test_bibliography_has_the_contract_keys():
    """The keys the report contract fixes are all present."""
    fixed = {"cis1", "cis1comment", "cis2", "ris", "riscode", "pingpong", "gibsonblock", "tmf",
             "tmfthread", "costs", "ballbox", "l4codes", "blm2013", "mu2005"}
    assert fixed <= markup.bib_keys()


GOOD = [
    r"The RMS error is $C/\sqrt N$ for every $N$ \cite{tmf}, eq. (3).",
    r"Linsefors' bound $\epsilon\sqrt{\ell}$ is 36--56% pessimistic \citep{costs}.",
    r"See \S 5 of \citet{ris} and Figure \ref{fig:uand_random_max}; \emph{exact} for all $N$.",
    r"A frozen layer of $N$ ReLU neurons with $\alpha_{\max}=\mathrm{amax}$ and a 10x gap.",
    "",
]


@pytest.mark.parametrize("s", GOOD)
def test_good_strings_pass(s):
    """Plain prose with math in $...$ and the allowed commands has no problem."""
    assert markup.problems(s) == []


BAD = [
    ("error C/sqrt(N)", "ASCII math"),
    ("as N -> oo", "ASCII math"),
    ("for l <= 3", "ASCII math"),
    ("with Var(a) the variance", "ASCII math"),
    ("Linsefors' E max_b |noise_b|", "outside $"),
    (r"the noise \sqrt{l} here", "command outside math"),
    (r"\textbf{bold} claim", "command outside math"),
    ("x_i is the input", '"_" outside'),
    ("grows like 2^k", '"^" outside'),
    ("solved by rsolve", "code identifier"),
    ("raises BadInput", "code identifier"),
    ("see noise_max_bound", "code identifier"),
    ("from uand.md §5", "internal file name"),
    ("in derive/rotations/relu.py", "internal file name"),
    ("the issue's target, declared before the grid check", "development note"),
    ("TODO: check", "development note"),
    ("unbalanced $x + y", "unbalanced $"),
    ("the bound eps sqrt(l)", "Greek letter"),
    ("with N neurons", "lone symbol"),
    ("error ε = 1/ln²m", "Unicode math"),
    (r"$amax$ in italics", "italic word in math"),
    (r"$\frac{1}{2$", "unbalanced braces"),
    (r"$N \to oo$", "ASCII math inside"),
    ("a {braced} word", "brace outside"),
]


@pytest.mark.parametrize("s,what", BAD, ids=[b[0] for b in BAD])
def test_each_rule_catches_a_planted_violation(s, what):
    """Each clause of the rule reports its violation, in words naming the clause."""
    found = markup.problems(s)
    assert any(what in p for p in found), found


def test_segments_split_prose_and_math():
    """The renderer's split: prose and math parts in order; an escaped dollar stays prose."""
    assert markup.segments(r"a $x$ b \$5") == [(False, "a "), (True, "x"), (False, r" b \$5")]
