"""Examples → token ids through the base model's chat template; packing plans; stats and preview.

Labels: only assistant turns are learned (every assistant turn of a multi-turn row, LLaMA-Factory's
SFT default). A turn's span runs from the end of the rendered prefix with the generation prompt to
the end of the turn's end-of-turn token, found by character offsets in the full rendering, so the
ids are exactly what the model sees at inference. Rows longer than `cutoff_len` are set aside with
their length, never truncated (a job stops on them: `row_too_long`). `Encoded.targets` are
already shifted (targets[i] is the token i should predict, -100 for none), so packed rows never
predict across a row boundary.

Packing (`pack_rows`): rows are shuffled (seeded per epoch), placed best-fit-decreasing into
sequences of at most `cutoff_len` tokens, and the sequences shuffled again. Position ids restart
at 0 for every row; transformers (5.x) turns restarting position ids into a block-diagonal
attention mask when no attention mask is passed, so attention never crosses rows (SDPA on CPU).
This module needs only the tokenizer; tensors are built in `training.stages._batches`.
"""

from __future__ import annotations

import bisect
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, NotRequired, TypedDict, TypeVar

from training.errors import BaseModelError
from training.formats import Example, Message

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

IGNORE = -100
T = TypeVar("T")


@dataclass(frozen=True)
class Encoded:
    """One supervised row: input ids and the shifted targets (same length)."""

    input_ids: list[int]
    targets: list[int]
    # a replay row: the base model's top-k next-token (ids, log-probs) at each target, in order
    teacher: Any = None


@dataclass(frozen=True)
class EncodedPair:
    """One preference row: the prompt ids and both completions' ids."""

    prompt: list[int]
    chosen: list[int]
    rejected: list[int]

    def __len__(self) -> int:
        return len(self.prompt) + max(len(self.chosen), len(self.rejected))


@dataclass(frozen=True)
class Encoding(Generic[T]):
    """Rows within the cutoff; the lengths of longer ones; rows left with nothing to learn."""

    rows: list[T]
    dropped: int = 0  # nothing to learn within the row (e.g. an empty answer)
    too_long: list[int] = field(default_factory=list)  # token counts of rows over the cutoff


class Histogram(TypedDict):
    """Row lengths in equal-width bins: counts[i] rows have edges[i] ≤ length < edges[i+1]."""

    edges: list[int]
    counts: list[int]


class DatasetStats(TypedDict):
    """Token statistics the web side shows before training."""

    rows: int
    tokens: int
    min_len: int
    max_len: int
    mean_len: float
    over_cutoff: int
    cutoff_len: int
    histogram: Histogram


class Preview(TypedDict):
    """One row as the model sees it: the rendered text, and both answers for preference rows."""

    text: str
    chosen: NotRequired[str]
    rejected: NotRequired[str]


def load_tokenizer(base_model: Path) -> PreTrainedTokenizerBase:
    """The base model's tokenizer; a folder without one (or without a chat template) raises."""
    from transformers import AutoTokenizer

    if not (Path(base_model) / "config.json").is_file():
        raise BaseModelError(f"{base_model} is not a Hugging Face model folder (no config.json)")
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(base_model))
    except (OSError, ValueError) as exc:
        raise BaseModelError(f"{base_model}: cannot load the tokenizer: {exc}") from exc
    if not getattr(tokenizer, "chat_template", None):
        raise BaseModelError(f"{base_model}: the tokenizer has no chat template")
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def chat_messages(example: Example, tokenizer: Any) -> tuple[list[Message], Any]:
    """The turns to render (system first) and the `tools` argument for the chat template.

    Templates that know tools get them as a parsed list; others get the description appended to
    the system prompt, as LLaMA-Factory does for its own templates.
    """
    tools = example.get("tools")
    system = example.get("system", "")
    tools_arg = None
    if tools:
        parsed = _json_list(tools)
        if parsed is not None and "tools" in str(tokenizer.chat_template):
            tools_arg = parsed
        else:
            system = f"{system}\n\n# Tools\n{tools}".strip()
    messages: list[Message] = [{"role": "system", "content": system}] if system else []
    return messages + example["messages"], tools_arg


def render(example: Example, tokenizer: Any, *, add_generation_prompt: bool = False) -> str:
    """The chat-template text of an example."""
    messages, tools = chat_messages(example, tokenizer)
    return _render(tokenizer, messages, tools, add_generation_prompt)


def _render(tokenizer: Any, messages: Sequence[Message], tools: Any, gen: bool) -> str:
    text = tokenizer.apply_chat_template(
        list(messages), tools=tools, tokenize=False, add_generation_prompt=gen
    )
    return str(text)


def _assistant_spans(tokenizer: Any, messages: list[Message], tools: Any) -> tuple[str, list[Any]]:
    full = _render(tokenizer, messages, tools, False)
    spans = []
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        before = _render(tokenizer, messages[:i], tools, True)
        through = _render(tokenizer, messages[: i + 1], tools, False)
        # a template that rewrites earlier turns (e.g. drops old reasoning) is not prefix-stable:
        # such turns cannot be located, and only the ones that can are learned
        if through.startswith(before) and full.startswith(through):
            spans.append((len(before), len(through.rstrip())))
    return full, spans


def encode_sft(examples: Sequence[Example], tokenizer: Any, cutoff_len: int) -> Encoding[Encoded]:
    """Token ids with response-only targets; rows over the cutoff are set aside (their lengths)."""
    texts, all_spans = [], []
    for example in examples:
        messages, tools = chat_messages(example, tokenizer)
        text, spans = _assistant_spans(tokenizer, messages, tools)
        texts.append(text)
        all_spans.append(spans)
    rows: list[Encoded] = []
    dropped, too_long = 0, list[int]()
    for start in range(0, len(texts), 1024):
        batch = tokenizer(
            texts[start : start + 1024], add_special_tokens=False, return_offsets_mapping=True
        )
        for ids, offsets, spans in zip(
            batch["input_ids"],
            batch["offset_mapping"],
            all_spans[start : start + 1024],
            strict=True,
        ):
            if len(ids) > cutoff_len:
                too_long.append(len(ids))
                continue
            learned = [any(s <= a < e for s, e in spans) for a, _ in offsets]
            targets = [ids[j + 1] if learned[j + 1] else IGNORE for j in range(len(ids) - 1)]
            if any(t != IGNORE for t in targets):
                rows.append(Encoded(list(ids), [*targets, IGNORE]))
            else:
                dropped += 1  # nothing to learn within the row (e.g. an empty answer)
    return Encoding(rows, dropped, too_long)


def _pair_texts(example: Example, tokenizer: Any) -> tuple[str, str, str]:
    messages, tools = chat_messages(example, tokenizer)
    prompt = _render(tokenizer, messages, tools, True)
    completions = []
    for answer in (example.get("chosen", ""), example.get("rejected", "")):
        full = _render(
            tokenizer, [*messages, {"role": "assistant", "content": answer}], tools, False
        )
        if full.startswith(prompt):
            completions.append(full[len(prompt) :].rstrip())
        else:
            completions.append(answer + str(tokenizer.eos_token))
    return prompt, completions[0], completions[1]


def encode_pairs(
    examples: Sequence[Example], tokenizer: Any, cutoff_len: int
) -> Encoding[EncodedPair]:
    """Preference rows as prompt / chosen / rejected ids; over-cutoff pairs are set aside."""
    rows: list[EncodedPair] = []
    too_long: list[int] = []
    for example in examples:
        texts = _pair_texts(example, tokenizer)
        prompt, chosen, rejected = (
            tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts
        )
        pair = EncodedPair(list(prompt), list(chosen), list(rejected))
        if len(pair) > cutoff_len:
            too_long.append(len(pair))
        else:
            rows.append(pair)
    return Encoding(rows, too_long=too_long)


def prompt_of(example: Example) -> Example:
    """The example without its final answer (a PPO prompt)."""
    messages = example["messages"]
    if messages and messages[-1]["role"] == "assistant":
        messages = messages[:-1]
    prompt: Example = {"messages": messages}
    for key in ("system", "tools"):
        if key in example:
            prompt[key] = example[key]
    return prompt


def encode_prompts(
    examples: Sequence[Example], tokenizer: Any, cutoff_len: int, max_new_tokens: int
) -> Encoding[list[int]]:
    """Prompt ids ending in the generation prompt; rows leaving no room to answer are set aside."""
    rows: list[list[int]] = []
    too_long: list[int] = []
    for example in examples:
        text = render(prompt_of(example), tokenizer, add_generation_prompt=True)
        ids = list(tokenizer(text, add_special_tokens=False)["input_ids"])
        if len(ids) + max_new_tokens > cutoff_len:
            too_long.append(len(ids) + max_new_tokens)
        else:
            rows.append(ids)
    return Encoding(rows, too_long=too_long)


def pack_rows(lengths: Sequence[int], capacity: int, seed: int) -> list[list[int]]:
    """Row indices grouped into sequences of ≤ capacity tokens (seeded best-fit decreasing)."""
    rng = random.Random(seed)  # noqa: S311  # data order, not security
    order = list(range(len(lengths)))
    rng.shuffle(order)
    order.sort(key=lambda i: -lengths[i])  # stable: equal lengths keep the shuffled order
    bins: list[list[int]] = []
    free: list[tuple[int, int]] = []  # (room left, bin index), sorted
    for i in order:
        size = lengths[i]
        if size > capacity:
            raise ValueError(f"row {i} ({size} tokens) is longer than {capacity}")
        at = bisect.bisect_left(free, (size, -1))
        if at < len(free):
            room, b = free.pop(at)
        else:
            room, b = capacity, len(bins)
            bins.append([])
        bins[b].append(i)
        if room - size > 0:
            bisect.insort(free, (room - size, b))
    rng.shuffle(bins)
    return bins


def row_lengths(examples: Sequence[Example], tokenizer: Any) -> list[int]:
    """Tokens per row: the full conversation, or the prompt plus the longer answer."""
    texts: list[str] = []
    pairs = 0
    for example in examples:
        if "chosen" in example:
            prompt, chosen, rejected = _pair_texts(example, tokenizer)
            texts += [prompt, chosen, rejected]
            pairs += 1
        else:
            texts.append(render(example, tokenizer))
    ids = tokenizer(texts, add_special_tokens=False)["input_ids"] if texts else []
    lengths, k = [], 0
    for example in examples:
        if "chosen" in example:
            lengths.append(len(ids[k]) + max(len(ids[k + 1]), len(ids[k + 2])))
            k += 3
        else:
            lengths.append(len(ids[k]))
            k += 1
    return lengths


def dataset_stats(
    examples: Sequence[Example], tokenizer: Any, cutoff_len: int, bins: int = 10
) -> DatasetStats:
    """Rows, tokens, a length histogram and how many rows exceed the cutoff."""
    lengths = row_lengths(examples, tokenizer)
    top = max(lengths, default=0)
    width = max(1, -(-(top + 1) // bins))  # ceil, so the longest row falls in the last bin
    counts = [0] * bins
    for n in lengths:
        counts[min(n // width, bins - 1)] += 1
    return {
        "rows": len(lengths),
        "tokens": sum(lengths),
        "min_len": min(lengths, default=0),
        "max_len": top,
        "mean_len": round(sum(lengths) / len(lengths), 1) if lengths else 0.0,
        "over_cutoff": sum(n > cutoff_len for n in lengths),
        "cutoff_len": cutoff_len,
        "histogram": {"edges": [i * width for i in range(bins + 1)], "counts": counts},
    }


def preview(examples: Sequence[Example], tokenizer: Any, n: int = 3) -> list[Preview]:
    """The chat-template text of the first n rows (preference rows: prompt and both answers)."""
    out: list[Preview] = []
    for example in examples[:n]:
        if "chosen" in example:
            prompt, chosen, rejected = _pair_texts(example, tokenizer)
            out.append({"text": prompt, "chosen": chosen, "rejected": rejected})
        else:
            out.append({"text": render(example, tokenizer)})
    return out


def _json_list(text: str) -> list[Any] | None:
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None
    if isinstance(value, dict):
        value = [value]
    return value if isinstance(value, list) else None
