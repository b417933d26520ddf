"""Fixtures for the trainer tests: the real SmolLM2 folder, its tokenizer, small datasets."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from training.config import TrainJobConfig
from training.progress import parse_event

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


def make_job(
    tmp_path: Path, base_model: Path, rows: list[dict[str, Any]], **settings: Any
) -> TrainJobConfig:
    """A small, fast job: cutoff 96, two packed sequences per step, no replay, no held-out rows."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    data = write_rows(tmp_path / "data.json", rows)
    job: dict[str, Any] = {
        "job_id": "t",
        "output_dir": str(tmp_path / "out"),
        "base_model": str(base_model),
        "datasets": [{"path": str(data)}],
        "cutoff_len": 96,
        "batch_size": 2,
        "max_steps": 2,
        "val_size": 0,
        "keep_general": False,
    }
    job.update(settings)
    if job.get("stage", "sft") == "sft":
        job.setdefault("packing", True)  # a few rows would default to unpacked (a small set)
    return TrainJobConfig.load(job)


def events(config: TrainJobConfig) -> list[dict[str, Any]]:
    """The progress lines of a job, each checked against the event schema."""
    lines = (config.output_dir / "progress.jsonl").read_text().splitlines()
    for line in lines:
        parse_event(line)
    return [json.loads(line) for line in lines]


def kinds(config: TrainJobConfig) -> list[str]:
    """Event kinds in order, notes left out."""
    return [e["event"] for e in events(config) if e["event"] != "note"]


@pytest.fixture
def fake_hooks(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Stand-ins for training.replay.build_replay and training.evaluate.evaluate (which generate
    for minutes on CPU) that record how the trainer called them."""
    from training.evaluate import EvalResult

    calls: dict[str, Any] = {}

    def build_replay(
        model: Any, tokenizer: Any, instructions: Any, n: int, seed: int, **kw: Any
    ) -> Any:
        lora = any("lora" in name for name, _ in model.named_parameters())
        calls["replay"] = {"lora": lora, "n": n, "seed": seed, **kw}
        return [{"instruction": "Hi", "input": "", "output": "Hello!"}] * n

    def evaluate(model: Any, tokenizer: Any, held_out: Any, probes: Any, **kw: Any) -> EvalResult:
        calls["evaluate"] = {"model": model, "held_out": held_out, "probes": probes}
        return EvalResult(0.75, 0.9, {"probes": len(probes)})

    monkeypatch.setattr("training.replay.build_replay", build_replay)
    monkeypatch.setattr("training.evaluate.evaluate", evaluate)
    return calls
