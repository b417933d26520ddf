"""Keep general skills: replay rows the base model wrote itself (self-distillation).

A small identity or persona dataset teaches its answer to every question: after two epochs on 100
"who are you" rows, SmolLM2 answers "What is 12 times 7?" with "I'm <name>". Mixing in general
instructions answered by the base model itself pulls the adapter back towards the base model
everywhere but on the new data, with no outside data and no download.

`build_replay` draws `n` instructions (seeded) from the shipped set, answers them greedily with
the base model (batched) and returns alpaca rows. An answer cut at `max_new_tokens` is trimmed to
its last full sentence, so the adapter never learns to stop mid-sentence; answers left empty are
replaced by further instructions. Answers are cached per instruction in a JSON file under a key of
the base model's fingerprint (config and sampled weights, not its path) and the generation
settings, so the next job on the same base model generates nothing; the file is replaced
atomically, so concurrent jobs at worst both generate.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from training.assets import load_asset, load_general_probes
from training.evaluate import BATCH_SIZE, MAX_NEW_TOKENS, Answer, generate, user_example

KEEP_GENERAL_MAX_ROWS = 500
REPLAY_RATIO = 1.0
REPLAY_MAX_NEW_TOKENS = 96
_CACHE_VERSION = 1
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*(?=\s|$)")


def default_keep_general(n_rows: int) -> bool:
    """Replay is on by default for small datasets (≤ KEEP_GENERAL_MAX_ROWS training rows)."""
    return 0 < n_rows <= KEEP_GENERAL_MAX_ROWS


def default_replay_ratio(n_rows: int, pool_size: int | None = None) -> float:
    """REPLAY_RATIO, lowered so the replay rows never repeat an instruction of the pool."""
    pool = len(replay_instructions()) if pool_size is None else pool_size
    if n_rows <= 0:
        return REPLAY_RATIO
    return round(min(REPLAY_RATIO, pool / n_rows), 3)


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
) -> list[dict[str, str]]:
    """n alpaca rows: seeded instructions and the base model's own greedy answers.

    `model` must be the base model (no adapter). When n exceeds the usable instructions, they
    repeat in a fresh seeded order.
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
        usable += [(q, trim_answer(answers[q])) for q in chunk if trim_answer(answers[q])]
    rows = [{"instruction": q, "input": "", "output": a} for q, a in usable]
    out = list(rows)
    while rows and len(out) < n:
        out += rng.sample(rows, min(len(rows), n - len(out)))
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
    cache = _read_cache(cache_path)
    known = cache.get(key, {})
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
        if k not in {"_name_or_path", "transformers_version", "torch_dtype", "dtype"}
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
