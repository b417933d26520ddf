"""What the job form offers: the settings' JSON Schema, base models, stages, dataset formats."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from training.config import TrainJobConfig
from training.datasets import offered_base_models
from training.job_config import RESERVED_SETTINGS

STAGES = [
    {"id": "sft", "label": "Supervised fine-tuning", "needs_ranking": False},
    {"id": "rm", "label": "Reward model", "needs_ranking": True},
    {"id": "dpo", "label": "DPO (preference pairs)", "needs_ranking": True},
    {"id": "ppo", "label": "PPO / RLOO (with a reward adapter)", "needs_ranking": False},
]


@cache
def settings_schema() -> dict[str, Any]:
    """TrainJobConfig's JSON Schema without the fields a job sets itself (ids, paths, data)."""
    schema = copy.deepcopy(TrainJobConfig.model_json_schema())
    for name in RESERVED_SETTINGS:
        schema["properties"].pop(name, None)
    schema["required"] = [r for r in schema.get("required", []) if r not in RESERVED_SETTINGS]
    return schema


def default_settings() -> dict[str, Any]:
    """Each setting's default, as job.json would have it."""
    return {
        name: prop["default"]
        for name, prop in settings_schema()["properties"].items()
        if "default" in prop
    } | {
        name: TrainJobConfig.model_fields[name]
        .get_default(call_default_factory=True)
        .model_dump(mode="json")
        for name in ("lora", "dpo", "ppo")
        if name in TrainJobConfig.model_fields
    }


def base_models() -> list[dict[str, str]]:
    """The embedded model, then the folders an admin offers (see offered_base_models)."""
    from kernel.chat_models import EMBEDDED_MODEL_NAME

    found = [{"id": "embedded", "label": f"{EMBEDDED_MODEL_NAME} (embedded)"}]
    found += [{"id": i, "label": p.name} for i, p in offered_base_models().items()]
    return found


def get_options() -> dict[str, Any]:
    """The body of GET /api/training/options."""
    return {
        "settings_schema": settings_schema(),
        "defaults": default_settings(),
        "base_models": base_models(),
        "stages": STAGES,
        "formats": ["auto", "alpaca", "sharegpt"],
    }
