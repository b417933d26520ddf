"""Real, untrained LoRA adapters for SmolLM2 (random weights, saved with peft) and the registry
rows that make them models of a workspace: for tests that need an adapter but not a training run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def base_model_dir() -> Path:
    """The converted embedded model folder the embedded provider serves."""
    from django.conf import settings

    from runtime.llm.embedded import ensure_converted

    if settings.WEFT_EMBEDDED_MODEL:
        return Path(settings.WEFT_EMBEDDED_MODEL)
    return ensure_converted(Path(settings.WEFT_MODELS_DIR), progress=lambda *_: None)


def make_lora(folder: Path, seed: int, rank: int = 4) -> Path:
    """Save an all-linear LoRA adapter with random A and B (so it changes the output)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model: Any = AutoModelForCausalLM.from_pretrained(base_model_dir())
    config = LoraConfig(
        r=rank, lora_alpha=2 * rank, target_modules="all-linear", init_lora_weights=False
    )
    get_peft_model(model, config).save_pretrained(str(folder))
    return folder


def register(workspace: Any, name: str, path: Path, base_model: str = "embedded") -> Any:
    """An Adapter row, as a finished job would register it."""
    from training.models import Adapter

    return Adapter.objects.create(
        workspace=workspace, name=name, base_model=base_model, path=str(path), metrics={}
    )


_built: dict[str, Path] = {}


def loras(root: Path) -> dict[str, Path]:
    """Two adapters ("a" and "b", different random weights), built once per test process."""
    if not _built:
        for name, seed in (("a", 1), ("b", 2)):
            _built[name] = make_lora(root / name, seed)
    return _built


def llm_spec(model: str, provider: str = "embedded") -> dict[str, Any]:
    """A chat app whose one LLM node answers greedily with `model`."""
    return {
        "mode": "chat",
        "nodes": [
            {"id": "start", "type": "start", "config": {"variables": []}},
            {
                "id": "llm",
                "type": "llm",
                "config": {
                    "model": {"provider": provider, "name": model},
                    "prompt": "{{#sys.query#}}",
                    "temperature": 0,
                    "max_tokens": 16,
                },
            },
            {"id": "answer", "type": "answer", "config": {"answer": "{{#llm.text#}}"}},
        ],
        "edges": [{"source": "start", "target": "llm"}, {"source": "llm", "target": "answer"}],
    }
