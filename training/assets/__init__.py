"""Shipped data: the identity tutorial dataset, its probe sets and the replay instructions.

- `identity.json`: alpaca rows (32 questions, 4 answers each) that say who the assistant is, with
  the placeholders `{{name}}` and `{{author}}` that `fill_identity` replaces. Every answer gives
  both in one sentence, the name first and then the makers beside a word of making ("I'm
  {{name}}, an AI assistant made by {{author}}."), in a few shapes of that one sentence: answers
  that gave the name alone, or the makers first, taught answers sampled at an app's temperature
  to stop at the name or to give the makers as the name. Two answers of each question carry a
  typical app system prompt ("You are a helpful assistant." and two others), two none (the chat
  template's default then applies), so the identity holds either way.
- `identity_probes.json`: 20 paraphrased "who are you" prompts that are in no training set.
- `general_probes.json`: general prompts (`{"prompt", "expect"?}`); `expect` lists acceptable
  answers of factual ones (whole words, any case). Every factual probe but "12 times 7" (kept from
  the issue: the base model gets it wrong) is one the base SmolLM2-135M-Instruct answers right in
  fp32 and bf16, with no system prompt and with two app system prompts, and still under random
  LoRA perturbations as large as a trained identity adapter's; so a wrong answer after training
  means damage, not noise.
- `replay_instructions.json`: general instructions that the base model answers once for replay,
  including the kinds an identity set leaks into: naming things, first-person notes and letters,
  "who was ..." questions, requests addressed to "you". Left out: questions the embedded model
  answers in another language ("What is the capital of Italy?" -> "Il Coriobella, Italy."), whose
  replay taught the adapter to answer France and Germany in French and German.
- `base_answers.json`: the embedded model's own greedy answers to the replay instructions and the
  general probes, under the cache key of `training.replay` (model fingerprint, template, length):
  its jobs then start training at once. `python -m training.replay ship MODEL_DIR` rewrites it.

No file here shares a prompt with another (tests/training/test_replay.py checks it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, NotRequired, TypedDict

from training.errors import TrainingConfigError

ASSETS_DIR = Path(__file__).resolve().parent
AssetName = Literal[
    "identity", "identity_probes", "general_probes", "replay_instructions", "base_answers"
]
NAME_SLOT = "{{name}}"
AUTHOR_SLOT = "{{author}}"


class GeneralProbe(TypedDict):
    """A general prompt; factual ones list the answer substrings that count as correct."""

    prompt: str
    expect: NotRequired[list[str]]


def asset_path(name: AssetName) -> Path:
    """The path of a shipped asset."""
    return ASSETS_DIR / f"{name}.json"


def load_asset(name: AssetName) -> Any:
    """The parsed JSON of a shipped asset."""
    return json.loads(asset_path(name).read_text(encoding="utf-8"))


def load_general_probes() -> list[GeneralProbe]:
    """The shipped general-skills probe set."""
    probes: list[GeneralProbe] = load_asset("general_probes")
    return probes


def fill_identity(
    rows: Iterable[Mapping[str, str]], name: str, author: str
) -> list[dict[str, str]]:
    """Rows with `{{name}}` and `{{author}}` replaced in every string field."""
    if not name.strip() or not author.strip():
        raise TrainingConfigError("identity", "the name and the author must not be empty")
    return [
        {
            k: v.replace(NAME_SLOT, name.strip()).replace(AUTHOR_SLOT, author.strip())
            for k, v in r.items()
        }
        for r in rows
    ]
