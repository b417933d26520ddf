"""Training stages: `STAGES[name](ctx) -> StageResult`, one module per stage."""

from __future__ import annotations

from collections.abc import Callable

from training.stages._context import StageContext, StageResult
from training.stages.dpo import run_dpo
from training.stages.ppo import run_ppo
from training.stages.rm import run_rm
from training.stages.sft import run_sft

StageFn = Callable[[StageContext], StageResult]

STAGES: dict[str, StageFn] = {"sft": run_sft, "rm": run_rm, "dpo": run_dpo, "ppo": run_ppo}

__all__ = ["STAGES", "StageContext", "StageFn", "StageResult"]
