"""Training stages: `STAGES[name](ctx) -> StageResult`, one module per stage."""

from __future__ import annotations

from collections.abc import Callable

from training.stages._context import StageContext, StageResult
from training.stages.sft import run_sft

StageFn = Callable[[StageContext], StageResult]

STAGES: dict[str, StageFn] = {"sft": run_sft}

__all__ = ["STAGES", "StageContext", "StageFn", "StageResult"]
