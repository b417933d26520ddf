"""Fixtures for the trainer tests: the real SmolLM2 folder, its tokenizer, small datasets."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch: spinning threads collapse
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def base_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The converted SmolLM2-135M-Instruct folder (copied from WEFT_MODEL_CACHE when present)."""
    from runtime.llm._convert import ensure_converted

    cache = Path(os.environ.get("WEFT_MODEL_CACHE") or Path.home() / ".cache/weft/models")
    models = tmp_path_factory.mktemp("models")
    return ensure_converted(models, progress=lambda *_: None, cache_dir=cache.expanduser())


@pytest.fixture(scope="session")
def tokenizer(base_model: Path) -> Any:
    """The base model's tokenizer (chat template included)."""
    from training.data import load_tokenizer

    return load_tokenizer(base_model)


def write_rows(path: Path, rows: list[dict[str, Any]], *, jsonl: bool = False) -> Path:
    """Write rows as a JSON list (or JSONL) and return the path."""
    if jsonl:
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    else:
        path.write_text(json.dumps(rows))
    return path


def alpaca_rows(n: int) -> list[dict[str, Any]]:
    """n small alpaca rows of varied length."""
    words = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    return [
        {
            "instruction": f"Repeat {words[i % 10]} {1 + i % 5} times.",
            "input": "",
            "output": " ".join([words[i % 10]] * (1 + i % 5)),
        }
        for i in range(n)
    ]


def pair_rows(n: int) -> list[dict[str, Any]]:
    """n small alpaca preference rows."""
    return [
        {
            "instruction": f"What is {i} plus one?",
            "chosen": f"{i} plus one is {i + 1}.",
            "rejected": "I do not know.",
        }
        for i in range(n)
    ]
