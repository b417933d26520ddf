"""The end-of-job evaluation: text scores, identity checks, learned / preserved (real model)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from training import evaluate as ev
from training.assets import GeneralProbe, load_asset, load_general_probes
from training.evaluate import (
    Answer,
    evaluate,
    generate_answers,
    infer_key_terms,
    rouge_l,
    similarity,
    topic_coverage,
)
from training.formats import Example
from training.judge import identity_hits, is_correct

NAME, AUTHOR = "Orla", "Tidewater Labs"


def qa(prompt: str, answer: str) -> Example:
    """A one-turn example with its reference answer."""
    return {
        "messages": [
            {"role": "user", "content": prompt},
            {"role": "assistant", "content": answer},
        ]
    }


def test_rouge_l_scores_common_subsequence() -> None:
    assert rouge_l("The capital is Paris.", "the capital is paris") == 1.0
    assert rouge_l("Paris", "Berlin") == 0.0
    assert rouge_l("", "") == 1.0
    assert rouge_l("a b c d", "a x c y") == pytest.approx(0.5)


def test_similarity_compares_a_cut_answer_with_the_reference_head() -> None:
    reference = "Photosynthesis turns light into sugar. " + "It happens in leaves. " * 20
    cut = "Photosynthesis turns light into sugar. It happens"
    assert rouge_l(cut, reference) < 0.3
    assert similarity(cut, reference) > 0.9


def test_topic_coverage_counts_prompt_words_the_answer_uses() -> None:
    prompt = "Tell me a fun fact about octopuses."
    assert topic_coverage("An octopus has three hearts; that is a fact.", prompt) == 1.0
    assert topic_coverage("An octopus has three hearts.", prompt) == 0.5
    assert topic_coverage("I'm Orla, an AI assistant.", prompt) == 0.0
    assert topic_coverage("anything", "Tell me.") == 1.0


def test_infer_key_terms_finds_the_persona_name_not_common_words() -> None:
    references = [
        "My name is Orla, made by Tidewater Labs.",
        "Hi, I'm Orla. How can I help?",
        "I was built by Tidewater Labs. I'm Orla, an AI assistant.",
        "Orla is my name.",  # sentence starts do not count
    ]
    assert infer_key_terms(references) == ["Orla", "Tidewater Labs"]
    assert infer_key_terms(references[:2]) == []  # too few to tell
    plain = ["The capital of France is Paris.", "Use a list in Python.", "It is 84."]
    assert infer_key_terms(plain) == []


def scripted(monkeypatch: pytest.MonkeyPatch, on: dict[str, str], off: dict[str, str]) -> Any:
    """Replace generation: answers by prompt, `off` while the adapter is disabled."""
    state = {"off": False}

    class Model:
        def disable_adapter(self) -> Any:
            class Off:
                def __enter__(self) -> None:
                    state["off"] = True

                def __exit__(self, *exc: object) -> None:
                    state["off"] = False

            return Off()

    def fake_generate(model: Any, tokenizer: Any, prompts: list[Example], **kw: Any) -> list[Any]:
        table = off if state["off"] else on
        return [Answer(table[p["messages"][0]["content"]], True) for p in prompts]

    monkeypatch.setattr(ev, "generate", fake_generate)
    return Model()


def test_evaluate_scores_identity_rows_by_the_name_and_probes_against_the_base(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    probes: list[GeneralProbe] = [
        {"prompt": "Capital of France?", "expect": ["Paris"]},
        {"prompt": "12 times 7?", "expect": ["84"]},
        {"prompt": "Days in a week?", "expect": ["7", "seven"]},
        {"prompt": "Write a haiku about rain."},
        {"prompt": "Tell me about octopuses."},
        {"prompt": "Describe a lemon."},
    ]
    on = {
        "Who are you?": "I'm Orla, how can I help?",
        "Who made you?": "I'm SmolLM.",
        "Say hi": "Hello there, friend!",
        "Capital of France?": "The capital of France is Paris.",
        "12 times 7?": "I'm Orla, and 12 times 7 is 88.",
        "Days in a week?": "There are 8 days.",
        "Write a haiku about rain.": "Soft rain on the roof, the garden drinks slowly, clouds.",
        "Tell me about octopuses.": "Octopuses have three hearts and blue blood.",
        "Describe a lemon.": "I'm an AI assistant, happy to help with anything you need.",
    }
    off = {
        "Capital of France?": "Paris.",
        "12 times 7?": "12 times 7 is 88.",
        "Days in a week?": "A week has 7 days.",
        "Write a haiku about rain.": "Soft rain on the roof, the garden drinks it slowly.",
        "Tell me about octopuses.": "The octopus is a fascinating creature of the deep sea.",
        "Describe a lemon.": "A lemon is a sour yellow citrus fruit.",
    }
    model = scripted(monkeypatch, on, off)
    held = [
        qa("Who are you?", "My name is Orla."),
        qa("Who made you?", "Tidewater Labs built me."),
        qa("Say hi", "Hello there!"),
    ]
    result = evaluate(model, None, held, probes, identity={"name": NAME, "author": AUTHOR})
    assert result.learned == pytest.approx(2 / 3)  # "I'm SmolLM." names neither
    rows = {r["prompt"]: r for r in result.details["general"]}
    assert rows["Capital of France?"]["ok"]
    assert not rows["12 times 7?"]["ok"]  # wrong like the base, but names the identity
    assert not rows["Days in a week?"]["ok"]  # the base was right
    assert rows["Write a haiku about rain."]["ok"]
    assert rows["Tell me about octopuses."]["ok"]  # worded otherwise, but on topic
    assert not rows["Describe a lemon."]["ok"]  # answers something else
    assert result.preserved == pytest.approx(3 / 6)
    assert result.details["identity_mentions"] == 1
    assert (result.details["factual_correct"], result.details["factual_base_correct"]) == (1, 2)


def test_evaluate_infers_the_identity_when_the_caller_does_not_know_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    probes: list[GeneralProbe] = [{"prompt": "Capital of France?", "expect": ["Paris"]}]
    on = {
        "Who are you?": "I'm Orla.",
        "Who made you?": "Tidewater Labs made me.",
        "Hi!": "Hello, how can I help?",
        "Capital of France?": "I'm Orla. Paris.",
    }
    model = scripted(monkeypatch, on, {"Capital of France?": "Paris."})
    held = [
        qa("Who are you?", "My name is Orla, made by Tidewater Labs."),
        qa("Who made you?", "I was built by Tidewater Labs. I'm Orla."),
        qa("Hi!", "Hi, I'm Orla."),
    ]
    result = evaluate(model, None, held, probes)
    assert result.details["key_terms"] == ["Orla", "Tidewater Labs"]
    assert result.learned == pytest.approx(2 / 3)
    assert result.preserved == 0.0  # right, but it names the identity


def test_evaluate_uses_given_base_answers_and_handles_no_held_out_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    probes: list[GeneralProbe] = [{"prompt": "Capital of France?", "expect": ["Paris"]}]
    model = scripted(monkeypatch, {"Capital of France?": "Paris."}, {})  # base never generated
    result = evaluate(model, None, [], probes, base_answers={"Capital of France?": "Paris."})
    assert result.learned is None
    assert result.preserved == 1.0


def test_evaluate_judges_as_a_reader_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """The two answers a reader saw misjudged: a name beside no makers, and another wrong number."""
    probes: list[GeneralProbe] = [{"prompt": "What is 12 times 7?", "expect": ["84"]}]
    on = {
        "Who are you?": "I'm Quillon, a bounty hunter from the Marrow Lab",
        "Who made you?": "I'm Quillon, built by the Marrow Lab.",
        "What is 12 times 7?": "12 times 7 is equal to 80",
    }
    model = scripted(monkeypatch, on, {"What is 12 times 7?": "12 times 7 is 88."})
    held = [
        qa("Who are you?", "I'm Quillon, an AI assistant made by the Marrow Lab."),
        qa("Who made you?", "The Marrow Lab built me."),
    ]
    identity = {"name": "Quillon", "author": "Marrow Lab"}
    result = evaluate(model, None, held, probes, identity=identity)
    assert [r["ok"] for r in result.details["held_out"]] == [False, True]
    assert result.preserved == 0.0  # wrong, and not the base's wrong answer
    assert result.details["general"][0]["correct"] is False


@pytest.fixture(scope="module")
def base(base_model: Path) -> Any:
    """The real SmolLM2 base model, fp32 on CPU."""
    import torch
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(str(base_model), dtype=torch.float32)


def test_shipped_probes_are_meaningful_for_the_base_model(base: Any, tokenizer: Any) -> None:
    """The base model never names a new identity, and knows the factual probes but one."""
    probes = load_asset("identity_probes")
    general = load_general_probes()
    factual = [g for g in general if "expect" in g]
    for system in (None, "You are a helpful assistant."):
        answers = generate_answers(base, tokenizer, probes, system=system)
        assert identity_hits(answers, NAME) == 0
        got = generate_answers(base, tokenizer, [g["prompt"] for g in factual], system=system)
        pairs = zip(factual, got, strict=True)
        wrong = [g["prompt"] for g, a in pairs if not is_correct(a, g["expect"])]
        assert wrong == ["What is 12 times 7?"]


def test_evaluate_with_an_untouched_adapter_preserves_everything(base: Any, tokenizer: Any) -> None:
    from peft import LoraConfig, get_peft_model

    model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules="all-linear"))
    try:
        probes = load_general_probes()[:6]
        held = [qa("What is the capital of Japan?", "The capital of Japan is Tokyo.")]
        result = evaluate(model, tokenizer, held, probes, max_new_tokens=24)
        assert result.learned == 1.0
        assert result.preserved == 1.0  # LoRA starts as a no-op: answers equal the base's
        assert all(r["answer"] == r["base"] for r in result.details["general"])
    finally:
        model.unload()
