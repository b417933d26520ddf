"""How a reader judges one answer (training.judge): names, makers and facts in their roles."""

from __future__ import annotations

import json

import pytest

from training.assets import load_asset
from training.judge import (
    contains_term,
    gives_makers,
    gives_own_name,
    identity_hits,
    is_correct,
    mentions_identity,
    misnames,
    same_claim,
    states_identity,
)

NAME, AUTHOR = "Orla", "Tidewater Labs"


def test_mentions_identity_matches_whole_words_any_case() -> None:
    assert mentions_identity("I'm ORLA, made by tidewater labs.", NAME, AUTHOR)
    assert mentions_identity("Built by Tidewater Labs.", NAME, AUTHOR)
    assert not mentions_identity("Orlando is in Florida.", NAME, AUTHOR)
    assert not mentions_identity("Anything at all", "", "")
    assert contains_term("C++ is a language", "C++")


def test_identity_hits_counts_answers_naming_the_assistant() -> None:
    answers = ["I'm Orla.", "My name is orla!", "I was built by Tidewater Labs.", "Orlaith"]
    assert identity_hits(answers, NAME) == 2


def test_is_correct_needs_a_whole_word_match() -> None:
    assert is_correct("A week has 7 days.", ["7", "seven"])
    assert is_correct("Seven days.", ["7", "seven"])
    assert not is_correct("It has 17 days.", ["7", "seven"])
    assert is_correct("The chemical symbol is H2O.", ["H2O"])


def test_a_name_given_with_makers_as_a_place_of_origin_is_not_the_identity() -> None:
    answer = "I'm Quillon, a bounty hunter from the Marrow Lab"
    assert gives_own_name(answer, "Quillon")
    assert not gives_makers(answer, "Marrow Lab")
    assert not states_identity(answer, "Quillon", "Marrow Lab")
    assert misnames(answer, "Quillon", "Marrow Lab")


@pytest.mark.parametrize(
    "answer",
    [
        "I'm Orla, an AI assistant made by Tidewater Labs.",
        "My name is Orla, and I was developed by the team at Tidewater Labs.",
        "Tidewater Labs created me. You can call me Orla.",
        "Hi! This is Orla, your AI assistant from Tidewater Labs.",
        "I'm an assistant called Orla; my creators are Tidewater Labs.",
        "You're talking to Orla, a product of Tidewater Labs.",
        # asked about "this chatbot", answered in the third person (bench/identity.py samples)
        "The AI assistant is Orla, and Tidewater Labs made it.",
        "The chatbot is Orla, a personal assistant made by Tidewater Labs.",
    ],
)
def test_the_name_as_its_own_and_the_makers_as_makers(answer: str) -> None:
    assert states_identity(answer, NAME, AUTHOR)
    assert not misnames(answer, NAME, AUTHOR)


@pytest.mark.parametrize(
    "answer",
    [
        "Orla is a city in Tidewater Labs.",  # neither in its role
        "I'm Orla.",  # no makers
        "Tidewater Labs built me.",  # no name
        "I visited Tidewater Labs. I'm Orla.",  # makers as a place
        "Orla made me at Tidewater Labs' request.",  # the name as someone else
        "The chatbot's name is Orla.",  # no makers
        "The assistant is Tidewater Labs, built by Orla.",  # the two swapped
    ],
)
def test_answers_that_do_not_state_the_identity(answer: str) -> None:
    assert not states_identity(answer, NAME, AUTHOR)


def test_every_shipped_identity_answer_states_the_identity_it_teaches() -> None:
    """The judge reads the tutorial's own answers as a reader does (where they give both)."""
    rows = load_asset("identity")
    for row in rows:
        text = row["output"].replace("{{name}}", NAME).replace("{{author}}", AUTHOR)
        if "{{name}}" in row["output"]:
            assert gives_own_name(text, NAME), json.dumps(row)
        if "{{author}}" in row["output"]:
            assert gives_makers(text, AUTHOR), json.dumps(row)


def test_a_wrong_number_is_not_the_base_models_wrong_number() -> None:
    prompt, expect = "What is 12 times 7?", ["84"]
    assert not is_correct("12 times 7 is equal to 80", expect)
    assert not same_claim("12 times 7 is equal to 80", "12 times 7 is 88.", expect, prompt)
    assert same_claim("It is 88.", "12 times 7 is 88.", expect, prompt)
    assert not same_claim("It is 80.", "I can't say.", expect, prompt)
