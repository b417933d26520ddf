"""How a reader judges one answer: does it name the assistant, its makers, the right fact?

Word matching alone misreads answers: "I'm Quillon, a bounty hunter from the Marrow Lab" uses
the name and the makers, but gives the makers as a place of origin, not as makers; "12 times 7
is equal to 80" is no more right for being wrong like the base model. So:

- `gives_own_name`: the answer calls itself by the name ("I'm X", "my name is X", "call me X",
  "you're talking to X", "an assistant called X", "made me, X", ...).
- `gives_makers`: one clause of the answer (cut at , ; . ! ? and line ends) names the makers
  beside a word of making ("made by", "created me", "my creator is", "the team behind me",
  "an assistant from", "a product of", ...).
- `same_claim`: two answers to a factual probe claim the same: the numbers they add to the
  prompt's are the same (or, without numbers, the same expected words).

Nothing here imports Django or torch; the evaluation, the acceptance test and
bench/identity.py share these.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_SELF = (
    r"(?:i\s+am|i['\u2019]m|my\s+name\s+is|my\s+name's|call\s+me|i\s+go\s+by|known\s+as|"
    r"called|named|this\s+is|it['\u2019]s|talking\s+to|chatting\s+with|speaking\s+(?:to|with)|"
    r"assistant,|me,)"
)
# "the (AI) assistant is", "this chatbot's name is": the assistant named in the third person
_THIRD = r"(?:the|this)\s+(?:ai\s+)?(?:assistant|chatbot|bot)(?:['\u2019]s\s+name)?\s+is"
_MAKING = re.compile(
    r"\b(?:made|make|built|build|created|create|creator|creators|developed|develops|develop|"
    r"developer|developers|designed|trained|programmed|maintained|maintains|engineered|"
    r"maker|makers|behind\s+me|product\s+of|brought)\b"
    r"|\b(?:assistant|ai|model|chatbot|bot|program)\s+(?:from|by)\b",
    re.IGNORECASE,
)
_CLAUSE = re.compile(r"[,;.!?\n]+")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?(?![\w])")


def contains_term(text: str, term: str) -> bool:
    """Whether `term` occurs in `text` as whole words (case-insensitive)."""
    term = term.strip()
    if not term:
        return False
    return re.search(rf"(?<!\w){re.escape(term)}(?!\w)", text, re.IGNORECASE) is not None


def mentions_identity(text: str, name: str, author: str) -> bool:
    """Whether the text names the assistant or its makers (in any role)."""
    return contains_term(text, name) or contains_term(text, author)


def identity_hits(answers: Sequence[str], name: str) -> int:
    """How many answers name the assistant."""
    return sum(contains_term(a, name) for a in answers)


def gives_own_name(text: str, name: str) -> bool:
    """Whether the answer calls itself `name` ("I'm Orla", "my name is Orla", ...), or, asked
    about "this chatbot", names it in the third person ("The AI assistant is Orla")."""
    name = name.strip()
    if not name:
        return False
    own = rf"\b{_SELF}\s+(?:\w+\s+)?{re.escape(name)}(?!\w)"
    after = rf"(?<!\w){re.escape(name)}\s+(?:here\b|is\s+my\s+name)"
    third = rf"\b{_THIRD}\s+(?:\w+\s+)?{re.escape(name)}(?!\w)"
    return re.search(f"{own}|{after}|{third}", text, re.IGNORECASE) is not None


def gives_makers(text: str, author: str) -> bool:
    """Whether a clause of the answer names `author` as the assistant's makers."""
    if not author.strip():
        return False
    return any(
        contains_term(clause, author) and _MAKING.search(clause) is not None
        for clause in _CLAUSE.split(text)
    )


def states_identity(text: str, name: str, author: str) -> bool:
    """Whether the answer gives `name` as its own name and `author` as its makers."""
    return gives_own_name(text, name) and gives_makers(text, author)


def misnames(text: str, name: str, author: str) -> bool:
    """Whether the answer uses the name or the makers, but not in their roles."""
    wrong_name = contains_term(text, name) and not gives_own_name(text, name)
    wrong_makers = contains_term(text, author) and not gives_makers(text, author)
    return wrong_name or wrong_makers


def is_correct(answer: str, expect: Sequence[str]) -> bool:
    """Whether the answer contains one of the acceptable answers as whole words."""
    return any(contains_term(answer, e) for e in expect)


def new_numbers(text: str, prompt: str = "") -> list[str]:
    """The numbers in `text` that `prompt` does not contain, in order."""
    given = set(_NUMBER.findall(prompt))
    return [n for n in _NUMBER.findall(text) if n not in given]


def same_claim(answer: str, base: str, expect: Sequence[str], prompt: str = "") -> bool:
    """Whether two answers to a factual probe claim the same (used when both are wrong)."""
    mine, theirs = new_numbers(answer, prompt), new_numbers(base, prompt)
    if mine or theirs:
        return mine[:1] == theirs[:1]
    return [contains_term(answer, e) for e in expect] == [contains_term(base, e) for e in expect]
