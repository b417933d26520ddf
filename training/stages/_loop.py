"""The one training loop every stage runs: steps, accumulation, checkpoints, resume, stop.

A stage supplies the model, a function giving each epoch's micro-batches (deterministic in
(seed, epoch)), and a loss function returning a summed loss and the batch's weight is divided
out over the whole optimizer step (token-mean for SFT, pair-mean for RM/DPO). The data position
is the optimizer step: epoch = step // steps_per_epoch, so a resumed run recomputes the same
epoch order and skips the groups already done, with the optimizer, scheduler and RNG restored.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

from training.config import Plan, TrainJobConfig, auto_grad_accum
from training.errors import (
    ComputeTypeError,
    EmptyDatasetError,
    OutOfMemoryError,
    TrainingConfigError,
)
from training.stages._batches import Batch, Batches
from training.stages._context import StageContext
from training.stages._model import DTYPES, memory_mb

LossFn = Callable[[Any, Batch], tuple[torch.Tensor, dict[str, float]]]


@dataclass
class LoopSpec:
    """What a stage trains: model, epoch batches, loss, and a fingerprint of its data."""

    model: Any
    plan: Plan
    epoch_batches: Callable[[int], Batches]
    loss_fn: LossFn
    fingerprint: str
    train_rows: int
    replay_rows: int = 0


@dataclass
class LoopOutcome:
    """Where the loop ended."""

    plan: Plan
    step: int
    total_steps: int
    stopped: bool = False
    checkpoint: Path | None = None
    history: list[dict[str, float]] = field(default_factory=list)


def make_optimizer(config: TrainJobConfig, plan: Plan, params: list[torch.nn.Parameter]) -> Any:
    """The optimizer named by `optim`, at the plan's learning rate."""
    lr = plan.learning_rate
    if config.optim == "sgd":
        return torch.optim.SGD(params, lr=lr, weight_decay=config.weight_decay)
    fused = config.optim == "adamw_torch_fused"
    return torch.optim.AdamW(params, lr=lr, weight_decay=config.weight_decay, fused=fused or None)


def cosine(total_steps: int) -> Callable[[int], float]:
    """Cosine decay from the peak rate to 0 over total_steps (no warmup, like LLaMA-Factory)."""
    return lambda step: 0.5 * (1 + math.cos(math.pi * min(step, total_steps) / total_steps))


class _Rate:
    """Tokens/s and seconds/step over the last few steps."""

    def __init__(self) -> None:
        self.window: deque[tuple[float, int]] = deque(maxlen=10)

    def add(self, seconds: float, tokens: int) -> None:
        self.window.append((seconds, tokens))

    def tokens_per_s(self) -> float:
        seconds = sum(s for s, _ in self.window)
        return round(sum(t for _, t in self.window) / seconds, 1) if seconds else 0.0

    def eta(self, steps_left: int) -> float:
        seconds = sum(s for s, _ in self.window)
        return round(seconds / len(self.window) * steps_left, 1) if self.window else 0.0


class _Trainer:
    def __init__(self, ctx: StageContext, spec: LoopSpec) -> None:
        self.ctx, self.spec, self.config = ctx, spec, ctx.config
        first = spec.epoch_batches(0)
        if not len(first):
            raise EmptyDatasetError("no training batches", setting="cutoff_len")
        accum = spec.plan.grad_accum or auto_grad_accum(
            spec.plan.device, spec.plan.batch_size, len(first)
        )
        self.plan = replace(spec.plan, grad_accum=accum)
        self.runtime = ctx.runtime
        self.steps_per_epoch = self.runtime.steps_per_epoch(len(first), accum)
        total = self.plan.epochs * self.steps_per_epoch
        self.total = min(total, self.config.max_steps or total)
        self.params = [p for p in spec.model.parameters() if p.requires_grad]
        optimizer = make_optimizer(self.config, self.plan, self.params)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, cosine(self.total))
        self.model, self.optimizer, self.scheduler = self.runtime.prepare(
            spec.model, optimizer, scheduler, self.plan
        )
        fp16_cuda = self.plan.compute_type == "fp16" and self.plan.device == "cuda"
        # the loss scale is not checkpointed: a resumed fp16 run re-learns it in a few steps
        self.scaler = torch.amp.GradScaler("cuda") if fp16_cuda else None
        self.epoch_cache: tuple[int, Batches] = (0, first)
        self.rate = _Rate()
        self.history: list[dict[str, float]] = []
        self.step = 0

    def batches(self, epoch: int) -> Batches:
        if self.epoch_cache[0] != epoch:
            self.epoch_cache = (epoch, self.spec.epoch_batches(epoch))
        return self.epoch_cache[1]

    def state(self) -> dict[str, Any]:
        return {
            "fingerprint": self.spec.fingerprint,
            "steps_per_epoch": self.steps_per_epoch,
            "total_steps": self.total,
            "compute_type": self.plan.compute_type,
            "history": self.history,
        }

    def save(self) -> Path:
        path = self.runtime.save(
            self.ctx.checkpoints_dir,
            self.step,
            self.model,
            self.optimizer,
            self.scheduler,
            self.state(),
        )
        self.ctx.progress.emit("checkpoint", step=self.step, path=str(path))
        return path

    def resume(self, path: Path) -> None:
        state = self.runtime.load(path, self.model, self.optimizer, self.scheduler)
        same = state["fingerprint"] == self.spec.fingerprint
        if not same or state["steps_per_epoch"] != self.steps_per_epoch:
            raise TrainingConfigError(
                "resume", f"{path.name} was made with other data or batch settings"
            )
        self.step = int(state["step"])
        self.history = list(state.get("history", []))
        self.ctx.progress.note(f"resumed from {path.name} at step {self.step}")

    def run_step(self, first: bool) -> tuple[float, dict[str, float], int]:
        epoch, group = divmod(self.step, self.steps_per_epoch)
        batches = self.batches(epoch)
        accum = self.plan.grad_accum
        micro = [batches.batch(i) for i in self.runtime.micro_indices(group, accum, len(batches))]
        weight = sum(b.weight for b in micro) or 1.0
        device, compute = self.plan.device, self.plan.compute_type
        loss_total, stats_sum, tokens = 0.0, dict[str, float](), 0
        for batch in micro:
            with torch.autocast(device, DTYPES[compute], enabled=compute != "fp32"):
                loss_sum, stats = self.spec.loss_fn(self.model, batch.to(device))
            loss = loss_sum / weight
            scaled: torch.Tensor = self.scaler.scale(loss) if self.scaler else loss
            self.runtime.backward(scaled, accum)
            loss_total += float(loss.detach())
            tokens += int(stats.pop("tokens", batch.tokens))  # ppo counts its sampled answers
            for key, value in stats.items():
                stats_sum[key] = stats_sum.get(key, 0.0) + value / len(micro)
        stats_sum = {k: round(v, 6) for k, v in stats_sum.items()}
        if first and compute != "fp32" and not math.isfinite(loss_total):
            raise ComputeTypeError(f"{compute} gave a non-finite loss at the first step", compute)
        self.runtime.step(self.optimizer, self.scheduler, self.params, self.scaler)
        return self.runtime.mean(loss_total), stats_sum, tokens

    def emit_step(self, loss: float, stats: dict[str, float], seconds: float, tokens: int) -> None:
        self.rate.add(seconds, tokens)
        self.history.append({"step": self.step, "loss": round(loss, 6), **stats})
        self.ctx.progress.emit(
            "step",
            step=self.step,
            total_steps=self.total,
            epoch=round(self.step / self.steps_per_epoch, 3),
            loss=round(loss, 6),
            lr=self.scheduler.get_last_lr()[0],
            tokens=tokens,
            tokens_per_s=self.rate.tokens_per_s(),
            eta_s=self.rate.eta(self.total - self.step),
            memory_mb=memory_mb(self.ctx.device),
            **stats,
        )

    def run(self) -> LoopOutcome:
        if self.ctx.resume_from is not None:
            self.resume(self.ctx.resume_from)
        ctx = self.ctx
        ctx.progress.emit(
            "start",
            total_steps=self.total,
            epochs=self.plan.epochs,
            train_rows=self.spec.train_rows,
            val_rows=len(ctx.val),
            replay_rows=self.spec.replay_rows,
            compute_type=self.plan.compute_type,
            device=ctx.device.name,
        )
        self.model.train()
        checkpoint, saved_at = ctx.resume_from, self.step
        first = True
        while self.step < self.total:
            if ctx.stop.is_set():
                if self.step != saved_at:
                    checkpoint = self.save()
                return self.outcome(stopped=True, checkpoint=checkpoint)
            started = time.perf_counter()
            try:
                loss, stats, tokens = self.run_step(first)
            except RuntimeError as exc:
                if first and self.plan.compute_type != "fp32" and not _is_oom(exc):
                    compute = self.plan.compute_type
                    raise ComputeTypeError(f"{compute} failed: {exc}", compute) from exc
                raise
            first = False
            self.step += 1
            self.emit_step(loss, stats, time.perf_counter() - started, tokens)
            save_every = self.config.save_steps
            if save_every and self.step % save_every == 0 and self.step < self.total:
                checkpoint, saved_at = self.save(), self.step
        return self.outcome(stopped=False, checkpoint=checkpoint)

    def outcome(self, *, stopped: bool, checkpoint: Path | None) -> LoopOutcome:
        return LoopOutcome(self.plan, self.step, self.total, stopped, checkpoint, self.history)


def _is_oom(exc: BaseException) -> bool:
    text = str(exc).lower()
    return (
        isinstance(exc, torch.OutOfMemoryError)
        or "out of memory" in text
        or ("can't allocate memory" in text)
    )


def run_loop(ctx: StageContext, spec: LoopSpec) -> LoopOutcome:
    """Train until the plan's steps are done or a stop is requested (then checkpoint)."""
    try:
        return _Trainer(ctx, spec).run()
    except (torch.OutOfMemoryError, RuntimeError) as exc:
        if not _is_oom(exc):
            raise
        batch = spec.plan.batch_size
        setting = "batch_size" if batch > 1 else "cutoff_len"
        lower = f"lower batch_size (now {batch})" if batch > 1 else "lower cutoff_len"
        raise OutOfMemoryError(f"out of memory: {lower}", setting=setting) from exc
