"""What the trainer hands a stage, and what a stage hands back."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training.config import ComputeType, DeviceInfo, ModelShape, Plan, TrainJobConfig
from training.formats import Example
from training.progress import ProgressWriter
from training.stages._distributed import LocalRuntime


@dataclass
class StageContext:
    """The job, its data split, the device, and where progress and checkpoints go."""

    config: TrainJobConfig
    train: list[Example]
    val: list[Example]
    tokenizer: Any
    device: DeviceInfo
    shape: ModelShape
    progress: ProgressWriter
    replay: list[Example] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    compute_type: ComputeType | None = None  # set by the trainer when it falls back
    resume_from: Path | None = None
    runtime: LocalRuntime = field(default_factory=LocalRuntime)  # AccelerateRuntime under launch
    base: Any = None  # a causal base model the trainer already loaded (for replay), and its
    base_compute: ComputeType | None = None  # compute type; a stage takes it instead of loading
    base_answers: dict[str, str] | None = None  # the base model's answers to the general probes

    def take_base(self, compute: ComputeType) -> Any:
        """The preloaded causal base model if it was loaded for `compute` (once), else None."""
        base, self.base = self.base, None
        return base if base is not None and self.base_compute == compute else None

    @property
    def checkpoints_dir(self) -> Path:
        """output_dir/checkpoints."""
        return self.config.output_dir / "checkpoints"

    def plan(self, train_rows: int) -> Plan:
        """The job's plan for this many rows, with the fallback compute type if one is set."""
        plan = self.config.plan(self.device, self.shape, train_rows)
        if self.compute_type is None:
            return plan
        return Plan(
            device=plan.device,
            learning_rate=plan.learning_rate,
            epochs=plan.epochs,
            batch_size=plan.batch_size,
            grad_accum=plan.grad_accum,
            compute_type=self.compute_type,
            packing=plan.packing,
        )


@dataclass
class StageResult:
    """A finished (or stopped) stage: the trained PEFT model and its metrics."""

    model: Any
    plan: Plan
    metrics: dict[str, Any]
    stopped: bool = False
    checkpoint: Path | None = None
