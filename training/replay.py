"""Keep general skills: replay rows the base model wrote itself (self-distillation).

A small identity or persona dataset teaches its answer to every question: after two epochs on 100
"who are you" rows, SmolLM2 answers "What is 12 times 7?" with "I'm <name>". Mixing in general
instructions answered by the base model itself pulls the adapter back towards the base model
everywhere but on the new data, with no outside data and no download.

`build_replay` draws `n` instructions (seeded) from the shipped set, answers them greedily with
the base model (batched) and returns alpaca rows. An answer cut at `max_new_tokens`, or longer
than REPLAY_ANSWER_TOKENS, is trimmed to its last full sentence, so the adapter never learns to
stop mid-sentence; answers left empty are replaced by further instructions. Answers are cached
per instruction in a JSON file under a key of the base model's fingerprint (config and sampled
weights, not its path) and the generation settings, so the next job on the same base model
generates nothing; the file is replaced atomically, so concurrent jobs at worst both generate.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from training.assets import asset_path, load_asset, load_general_probes
from training.evaluate import BATCH_SIZE, MAX_NEW_TOKENS, Answer, generate, user_example
from training.formats import Example

REPLAY_MAX_NEW_TOKENS = 96
# Replay answers are cut to their last full sentence within this many tokens: the start of an
# answer anchors the model as well as the whole does, at half the cost per row, so a job can mix
# in twice the instructions in the same time.
REPLAY_ANSWER_TOKENS = 48
_CACHE_VERSION = 1
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*(?=\s|$)")


def replay_instructions() -> list[str]:
    """The shipped general instructions."""
    instructions: list[str] = load_asset("replay_instructions")
    return instructions


def build_replay(
    model: Any,
    tokenizer: Any,
    instructions: Sequence[str],
    n: int,
    seed: int,
    max_new_tokens: int = REPLAY_MAX_NEW_TOKENS,
    cache_path: Path | None = None,
    *,
    batch_size: int = BATCH_SIZE,
    answer_tokens: int = REPLAY_ANSWER_TOKENS,
) -> list[dict[str, str]]:
    """n alpaca rows: seeded instructions and the base model's own greedy answers.

    `model` must be the base model (no adapter). Each answer is cut to its last full sentence
    within `answer_tokens` tokens. When n exceeds the usable instructions, they repeat in a
    fresh seeded order.
    """
    pool = list(dict.fromkeys(i.strip() for i in instructions if i.strip()))
    if n <= 0 or not pool:
        return []
    rng = random.Random(seed)  # noqa: S311  # data order, not security
    order = rng.sample(pool, len(pool))
    usable: list[tuple[str, str]] = []
    at = 0
    while len(usable) < n and at < len(order):
        chunk = order[at : at + n - len(usable)]
        at += len(chunk)
        answers = get_base_answers(
            model,
            tokenizer,
            chunk,
            max_new_tokens=max_new_tokens,
            cache_path=cache_path,
            batch_size=batch_size,
        )
        cut = {q: trim_answer(first_tokens(tokenizer, answers[q], answer_tokens)) for q in chunk}
        usable += [(q, cut[q]) for q in chunk if cut[q]]
    rows = [{"instruction": q, "input": "", "output": a} for q, a in usable]
    out = list(rows)
    while rows and len(out) < n:
        out += rng.sample(rows, min(len(rows), n - len(out)))
    return out


def mirror_system_prompts(
    replay: Sequence[Example], train: Sequence[Example], seed: int
) -> list[Example]:
    """Replay rows with system prompts drawn (seeded) from the training rows', none as often.

    An identity set whose answers also come under an app's system prompt changes the model in
    that context too; replay answered only under the template's default would leave it there
    unanchored. The base answers were generated without a system prompt: still the base model's
    own answers to the question.
    """
    systems = [str(e.get("system") or "") for e in train]
    if not any(systems):
        return list(replay)
    rng = random.Random(seed)  # noqa: S311  # data order, not security
    out: list[Example] = []
    for row in replay:
        example: Example = {"messages": row["messages"]}
        system = rng.choice(systems)
        if system:
            example["system"] = system
        out.append(example)
    return out


def get_base_answers(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[str],
    *,
    max_new_tokens: int,
    cache_path: Path | None = None,
    batch_size: int = BATCH_SIZE,
) -> dict[str, Answer]:
    """The model's greedy answers to user prompts, from the cache where it has them."""
    key = cache_key(model, tokenizer, max_new_tokens)
    known = {**shipped_answers().get(key, {}), **_read_cache(cache_path).get(key, {})}
    missing = [p for p in dict.fromkeys(prompts) if p not in known]
    if missing:
        fresh = generate(
            model,
            tokenizer,
            [user_example(p) for p in missing],
            max_new_tokens=max_new_tokens,
            batch_size=batch_size,
        )
        new = {
            p: {"text": a.text, "finished": a.finished} for p, a in zip(missing, fresh, strict=True)
        }
        known = {**known, **new}
        if cache_path is not None:
            _write_cache(cache_path, key, new)
    return {p: Answer(str(known[p]["text"]), bool(known[p]["finished"])) for p in prompts}


def get_base_probe_answers(
    model: Any, tokenizer: Any, cache_path: Path | None = None
) -> dict[str, str]:
    """The base model's answers to the shipped general probes, as `evaluate(base_answers=)` wants.

    Call it with the base model before training (next to `build_replay`): with the cache, the
    end-of-job evaluation then generates only the adapter's answers.
    """
    prompts = [p["prompt"] for p in load_general_probes()]
    found = get_base_answers(
        model, tokenizer, prompts, max_new_tokens=MAX_NEW_TOKENS, cache_path=cache_path
    )
    return {p: a.text for p, a in found.items()}


def shipped_answers() -> dict[str, dict[str, dict[str, Any]]]:
    """The answers shipped in assets/base_answers.json (the embedded model's), by cache key."""
    return _read_cache(asset_path("base_answers"))


def ship_base_answers(model_dir: Path) -> Path:
    """Answer every replay instruction and general probe with `model_dir`; add them to the asset.

    Run for the embedded model (`python -m training.replay ship MODEL_DIR`) so that its jobs
    start training at once and its evaluation generates only the adapter's answers.
    """
    import torch
    from transformers import AutoModelForCausalLM

    from training.data import load_tokenizer

    tokenizer = load_tokenizer(model_dir)
    model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=torch.float32)
    path = asset_path("base_answers")
    path.unlink(missing_ok=True)  # answers of an older model or template go with it
    probes = [p["prompt"] for p in load_general_probes()]
    for prompts, tokens in (
        (replay_instructions(), REPLAY_MAX_NEW_TOKENS),
        (probes, MAX_NEW_TOKENS),
    ):
        get_base_answers(model, tokenizer, prompts, max_new_tokens=tokens, cache_path=path)
    return path


def first_tokens(tokenizer: Any, answer: Answer, n: int) -> Answer:
    """The answer cut to its first n tokens (then unfinished), or as it is when shorter."""
    ids = tokenizer(answer.text, add_special_tokens=False)["input_ids"]
    if len(ids) <= n:
        return answer
    return Answer(tokenizer.decode(ids[:n]), False)


def trim_answer(answer: Answer) -> str:
    """A finished answer as it is; a cut one up to its last full sentence ("" if none)."""
    text = answer.text.strip()
    if answer.finished:
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    return text[: ends[-1]].strip() if ends else ""


def cache_key(model: Any, tokenizer: Any, max_new_tokens: int) -> str:
    """Hash of the base model's fingerprint, its chat template and the generation settings."""
    settings = {
        "version": _CACHE_VERSION,
        "model": model_fingerprint(model),
        "template": str(getattr(tokenizer, "chat_template", "")),
        "max_new_tokens": max_new_tokens,
        "decoding": "greedy",
    }
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:32]


def model_fingerprint(model: Any) -> str:
    """Hash of the model config (path left out) and a sample of every weight tensor."""
    import torch

    config = {
        k: v
        for k, v in model.config.to_dict().items()
        if k not in {"_name_or_path", "transformers_version", "torch_dtype", "dtype", "use_cache"}
    }
    digest = hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode())
    with torch.no_grad():
        for name, param in model.named_parameters():
            flat = param.detach().reshape(-1)
            sample = torch.cat([flat[:8], flat[-8:]]).to("cpu", torch.float32)
            digest.update(name.encode())
            digest.update(sample.numpy().tobytes())
    return digest.hexdigest()


def _read_cache(path: Path | None) -> dict[str, dict[str, dict[str, Any]]]:
    if path is None or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a damaged cache costs one regeneration, never the job
    return data if isinstance(data, dict) else {}


def _write_cache(path: Path, key: str, new: dict[str, dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = _read_cache(path)  # again: another job may have written meanwhile
    data.setdefault(key, {}).update(new)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    """`python -m training.replay ship MODEL_DIR`: refresh assets/base_answers.json."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] != "ship":
        sys.stderr.write("usage: python -m training.replay ship MODEL_DIR\n")
        return 2
    path = ship_base_answers(Path(args[1]))
    sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
