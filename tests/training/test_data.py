"""Chat templates with the real SmolLM2 tokenizer: response-only targets, packing, stats."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from training.data import (
    IGNORE,
    dataset_stats,
    encode_pairs,
    encode_prompts,
    encode_sft,
    load_tokenizer,
    pack_rows,
    preview,
    render,
)
from training.errors import BaseModelError
from training.formats import Example


def sft(*turns: str, system: str | None = None) -> Example:
    """An example alternating user and assistant turns."""
    roles = ["user", "assistant"]
    example: Example = {
        "messages": [{"role": roles[i % 2], "content": t} for i, t in enumerate(turns)]
    }
    if system:
        example["system"] = system
    return example


def learned_text(tokenizer: Any, ids: list[int], targets: list[int]) -> list[str]:
    """The learned stretches of a row, decoded (targets are shifted by one)."""
    pieces: list[str] = []
    run: list[int] = []
    for t in targets:
        if t == IGNORE:
            if run:
                pieces.append(tokenizer.decode(run))
                run = []
        else:
            run.append(t)
    if run:
        pieces.append(tokenizer.decode(run))
    return pieces


def test_sft_targets_cover_only_the_answer_and_its_end_token(tokenizer: Any) -> None:
    encoded = encode_sft([sft("What is 2+2?", "It is 4.")], tokenizer, 1024)
    (row,) = encoded.rows
    assert tokenizer.decode(row.input_ids) == render(sft("What is 2+2?", "It is 4."), tokenizer)
    assert learned_text(tokenizer, row.input_ids, row.targets) == ["It is 4.<|im_end|>"]
    assert len(row.targets) == len(row.input_ids)
    assert row.targets[-1] == IGNORE


def test_sft_multi_turn_learns_every_assistant_turn(tokenizer: Any) -> None:
    example = sft("Hi", "Hello!", "Name a color", "Blue.", system="Be terse.")
    (row,) = encode_sft([example], tokenizer, 1024).rows
    assert learned_text(tokenizer, row.input_ids, row.targets) == [
        "Hello!<|im_end|>",
        "Blue.<|im_end|>",
    ]
    assert "Be terse." in tokenizer.decode(row.input_ids)


def test_sft_rows_over_cutoff_are_set_aside_with_their_length(tokenizer: Any) -> None:
    rows = [sft("short", "ok"), sft("long " * 200, "ok")]
    encoded = encode_sft(rows, tokenizer, 64)
    assert len(encoded.rows) == 1
    assert len(encoded.too_long) == 1
    assert encoded.too_long[0] > 200
    assert encoded.dropped == 0


def test_tools_go_into_the_system_prompt_when_the_template_ignores_them(tokenizer: Any) -> None:
    example = sft("Weather?", "Sunny.")
    example["tools"] = '[{"name": "weather"}]'
    text = render(example, tokenizer)
    assert text.startswith('<|im_start|>system\n# Tools\n[{"name": "weather"}]<|im_end|>')


def test_pairs_split_prompt_and_completions(tokenizer: Any) -> None:
    example: Example = {
        "messages": [{"role": "user", "content": "2+2?"}],
        "chosen": "4",
        "rejected": "5",
    }
    (pair,) = encode_pairs([example], tokenizer, 1024).rows
    assert tokenizer.decode(pair.prompt).endswith("<|im_start|>assistant\n")
    assert tokenizer.decode(pair.chosen) == "4<|im_end|>"
    assert tokenizer.decode(pair.rejected) == "5<|im_end|>"
    assert encode_pairs([example], tokenizer, len(pair) - 1).too_long == [len(pair)]


def test_prompts_drop_the_answer_and_leave_room(tokenizer: Any) -> None:
    encoded = encode_prompts([sft("Hi", "Hello")], tokenizer, 1024, max_new_tokens=16)
    (ids,) = encoded.rows
    assert tokenizer.decode(ids).endswith("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    assert encode_prompts([sft("Hi", "Hello")], tokenizer, len(ids) + 15, 16).too_long == [
        len(ids) + 16
    ]


def test_pack_rows_fills_sequences_without_splitting_rows() -> None:
    lengths = [30, 70, 10, 55, 45, 100, 5, 90, 25, 60]
    bins = pack_rows(lengths, 100, seed=1)
    assert sorted(i for b in bins for i in b) == list(range(10))
    assert all(sum(lengths[i] for i in b) <= 100 for b in bins)
    assert len(bins) == -(-sum(lengths) // 100)  # as few sequences as the tokens allow here
    assert pack_rows(lengths, 100, seed=1) == bins
    assert pack_rows(lengths, 100, seed=2) != bins
    with pytest.raises(ValueError, match="longer than"):
        pack_rows([101], 100, seed=0)


def test_dataset_stats_histogram_and_over_cutoff(tokenizer: Any) -> None:
    rows = [sft("q" * (i + 1), "a " * (5 * i + 1)) for i in range(20)]
    rows.append({"messages": [{"role": "user", "content": "x"}], "chosen": "y", "rejected": "zz"})
    stats = dataset_stats(rows, tokenizer, cutoff_len=60)
    assert stats["rows"] == 21
    assert sum(stats["histogram"]["counts"]) == 21
    assert len(stats["histogram"]["edges"]) == 11
    assert stats["histogram"]["edges"][-1] > stats["max_len"] >= stats["min_len"] > 0
    assert stats["over_cutoff"] == sum(
        1 for r in rows[:20] if len(encode_sft([r], tokenizer, 10**6).rows[0].input_ids) > 60
    )
    assert stats["tokens"] >= stats["rows"] * stats["min_len"]


def test_preview_renders_rows_and_pairs(tokenizer: Any) -> None:
    pair: Example = {"messages": [{"role": "user", "content": "Q"}], "chosen": "A", "rejected": "B"}
    shown = preview([sft("Hi", "Hello"), pair, sft("x", "y")], tokenizer, n=2)
    assert len(shown) == 2
    assert shown[0]["text"].endswith("<|im_start|>assistant\nHello<|im_end|>\n")
    assert shown[1]["chosen"] == "A<|im_end|>"
    assert shown[1]["text"].endswith("<|im_start|>assistant\n")


def test_load_tokenizer_rejects_a_folder_without_a_model(tmp_path: Path) -> None:
    with pytest.raises(BaseModelError) as info:
        load_tokenizer(tmp_path)
    assert info.value.code == "bad_base_model"
    assert info.value.setting == "base_model"
