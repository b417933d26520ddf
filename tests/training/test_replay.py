"""Shipped assets and replay: the identity set, disjoint probe sets, self-distilled cached rows."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from training import replay
from training.assets import fill_identity, load_asset, load_general_probes
from training.config import SMALL_DATASET_ROWS, TrainJobConfig
from training.errors import TrainingConfigError
from training.evaluate import MAX_NEW_TOKENS, Answer, rouge_l
from training.replay import (
    REPLAY_ANSWER_TOKENS,
    build_replay,
    first_tokens,
    get_base_probe_answers,
    model_fingerprint,
    replay_instructions,
    trim_answer,
)
from training.trainer import keep_general_on


def norm(text: str) -> str:
    """Lower-case words only, for comparing prompts."""
    return " ".join(text.lower().replace("?", " ").replace(".", " ").replace(",", " ").split())


def test_identity_set_is_32_questions_with_4_answers_naming_the_assistant_and_makers() -> None:
    rows = load_asset("identity")
    assert len(rows) == 128
    assert Counter(Counter(r["instruction"] for r in rows).values()) == {4: 32}
    # every answer gives both: answers with the name alone taught sampled answers to stop there
    assert all(r["input"] == "" and "{{name}}" in r["output"] for r in rows)
    assert all("{{author}}" in r["output"] for r in rows)
    # half the answers come with a typical app system prompt, so the identity holds under both
    with_system = Counter(r["instruction"] for r in rows if r.get("system"))
    assert with_system == dict.fromkeys(with_system, 2)
    assert len(with_system) == 32
    assert len({r["output"] for r in rows}) == 128


def test_fill_identity_replaces_both_placeholders() -> None:
    rows = fill_identity(load_asset("identity"), "Orla", "Tidewater Labs")
    text = json.dumps(rows)
    assert "{{" not in text
    assert rows[0]["output"].count("Orla") >= 1
    with pytest.raises(TrainingConfigError, match="identity"):
        fill_identity(rows, " ", "Tidewater Labs")


def test_identity_probes_are_paraphrases_not_copies_of_training_questions() -> None:
    probes = load_asset("identity_probes")
    questions = {r["instruction"] for r in load_asset("identity")}
    assert len(probes) == 20
    assert len(set(map(norm, probes))) == 20
    for probe in probes:
        closest = max(questions, key=lambda q: rouge_l(probe, q))
        assert norm(probe) != norm(closest)
        assert rouge_l(probe, closest) < 0.75, (probe, closest)


def test_the_benchs_paraphrased_probes_are_not_training_questions() -> None:
    """bench/identity.py samples answers to probes that Weft does not ship: none may be a
    training question in other words (the closest pair today scores 0.75)."""
    bench_probes = json.loads(
        (Path(__file__).resolve().parents[2] / "bench" / "identity_paraphrases.json").read_text()
    )
    questions = {r["instruction"] for r in load_asset("identity")}
    assert len(bench_probes) == 20
    for probe in bench_probes:
        closest = max(questions, key=lambda q: rouge_l(probe, q))
        assert norm(probe) != norm(closest)
        assert rouge_l(probe, closest) < 0.8, (probe, closest)


def test_general_probes_are_in_no_shipped_training_set() -> None:
    probes = load_general_probes()
    factual = [p for p in probes if "expect" in p]
    assert len(probes) >= 24
    assert len(factual) >= 20
    assert len(probes) - len(factual) >= 6
    others = replay_instructions() + [r["instruction"] for r in load_asset("identity")]
    for probe in probes:
        assert set(probe) <= {"prompt", "expect"}
        # 0.9: "capital of France" and "capital of Italy" are different questions
        closest = max(others, key=lambda q: rouge_l(probe["prompt"], q))
        assert rouge_l(probe["prompt"], closest) < 0.9, (probe["prompt"], closest)


def test_replay_instructions_are_many_unique_and_not_about_the_assistant() -> None:
    instructions = replay_instructions()
    assert len(instructions) >= 100
    assert len(set(map(norm, instructions))) == len(instructions)
    for text in instructions:  # nothing asks the assistant about itself
        words = set(norm(text).split())
        assert not words & {"your", "yourself"}, text
        assert not any(p in norm(text) for p in ("are you", "you are")), text


def test_keep_general_is_the_default_for_small_sets_only() -> None:
    sft = TrainJobConfig.load(
        {"job_id": "x", "output_dir": "o", "base_model": "m", "datasets": [{"path": "d"}]}
    )
    assert keep_general_on(sft, 90)
    assert keep_general_on(sft, SMALL_DATASET_ROWS)
    assert not keep_general_on(sft, SMALL_DATASET_ROWS + 1)
    assert not keep_general_on(sft, 0)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (Answer("Paris is the capital", True), "Paris is the capital"),
        (Answer("First point. Second point. And then the", False), "First point. Second point."),
        (Answer('He said "stop." Then he', False), 'He said "stop."'),
        (Answer("no sentence end here at all", False), ""),
        (Answer("It costs 3.5 dollars and", False), ""),
    ],
)
def test_trim_answer_keeps_whole_sentences_of_cut_answers(answer: Answer, expected: str) -> None:
    assert trim_answer(answer) == expected


def test_long_replay_answers_are_cut_to_whole_sentences_within_the_token_budget(
    tokenizer: Any,
) -> None:
    sentence = "Tides rise and fall twice a day because the Moon pulls on the oceans. "
    long = Answer(sentence * 8, True)
    cut = trim_answer(first_tokens(tokenizer, long, REPLAY_ANSWER_TOKENS))
    assert cut.endswith("oceans.")
    assert len(tokenizer(cut, add_special_tokens=False)["input_ids"]) <= REPLAY_ANSWER_TOKENS
    assert len(cut) < len(long.text.strip())
    short = Answer(sentence.strip(), True)
    assert first_tokens(tokenizer, short, REPLAY_ANSWER_TOKENS) == short


@pytest.fixture(scope="module")
def base(base_model: Path) -> Any:
    """The real SmolLM2 base model, fp32 on CPU."""
    import torch
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(str(base_model), dtype=torch.float32)


def test_build_replay_answers_with_the_base_model_and_caches(
    base: Any, tokenizer: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "replay_cache.json"
    pool = ["What is the capital of Japan?", "Name three colors.", "What is 2 plus 2?"]
    rows = build_replay(base, tokenizer, pool, 2, seed=1, max_new_tokens=24, cache_path=cache)
    assert len(rows) == 2
    assert {r["instruction"] for r in rows} < set(pool)
    assert all(r["input"] == "" and r["output"] for r in rows)
    tokyo = [r for r in rows if "Japan" in r["instruction"]]
    assert not tokyo or "Tokyo" in tokyo[0]["output"]

    def no_generation(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the second job must come from the cache")

    monkeypatch.setattr(replay, "generate", no_generation)
    again = build_replay(base, tokenizer, pool, 2, seed=1, max_new_tokens=24, cache_path=cache)
    assert again == rows
    with pytest.raises(AssertionError, match="cache"):  # other settings: another cache key
        build_replay(base, tokenizer, pool, 2, seed=1, max_new_tokens=25, cache_path=cache)


def test_build_replay_repeats_the_pool_when_asked_for_more(
    base: Any, tokenizer: Any, tmp_path: Path
) -> None:
    pool = ["What is the capital of Japan?", "What is the capital of Germany?"]
    rows = build_replay(base, tokenizer, pool, 5, seed=3, max_new_tokens=16)
    assert len(rows) == 5
    assert Counter(r["instruction"] for r in rows).keys() == set(pool)
    assert build_replay(base, tokenizer, pool, 0, seed=3) == []


def test_model_fingerprint_follows_the_weights_not_the_path(base: Any) -> None:
    import torch

    before = model_fingerprint(base)
    base.config._name_or_path = "/somewhere/else"
    assert model_fingerprint(base) == before
    weight = base.get_input_embeddings().weight
    with torch.no_grad():
        weight[0, 0] += 1.0
        try:
            assert model_fingerprint(base) != before
        finally:
            weight[0, 0] -= 1.0


def test_base_probe_answers_come_from_the_cache_the_second_time(
    base: Any, tokenizer: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    probes = load_general_probes()[:2]
    monkeypatch.setattr(replay, "load_general_probes", lambda: probes)
    monkeypatch.setattr(replay, "shipped_answers", dict)  # not the shipped ones: generate
    cache = tmp_path / "cache.json"
    answers = get_base_probe_answers(base, tokenizer, cache)
    assert list(answers) == [p["prompt"] for p in probes]
    assert "Paris" in answers["What is the capital of France?"]
    monkeypatch.setattr(replay, "generate", None)  # calling it would fail
    assert get_base_probe_answers(base, tokenizer, cache) == answers


def test_shipped_answers_are_the_embedded_models_and_cover_every_prompt(
    base: Any, tokenizer: Any
) -> None:
    """assets/base_answers.json matches the converted model, so its jobs generate nothing."""
    shipped = replay.shipped_answers()
    base.config.use_cache = False  # as the trainer loads it: not part of the fingerprint
    answers = shipped[replay.cache_key(base, tokenizer, replay.REPLAY_MAX_NEW_TOKENS)]
    assert set(replay_instructions()) <= set(answers)
    probes = shipped[replay.cache_key(base, tokenizer, MAX_NEW_TOKENS)]
    assert {p["prompt"] for p in load_general_probes()} <= set(probes)
    assert "Paris" in probes["What is the capital of France?"]["text"]


def test_replay_rows_mirror_the_training_rows_system_prompts() -> None:
    app = "You are a helpful assistant."
    train: list[Any] = [
        {"messages": [{"role": "user", "content": f"q{i}"}], **({"system": app} if i % 2 else {})}
        for i in range(40)
    ]
    rows: list[Any] = [{"messages": [{"role": "user", "content": f"r{i}"}]} for i in range(200)]
    mirrored = replay.mirror_system_prompts(rows, train, seed=1)
    assert [r["messages"] for r in mirrored] == [r["messages"] for r in rows]
    with_app = sum(r.get("system") == app for r in mirrored)
    assert 70 <= with_app <= 130  # about half, like the training rows
    assert all(r.get("system") in (None, app) for r in mirrored)
    assert replay.mirror_system_prompts(rows, train[:1], seed=1) == rows  # no system prompts
