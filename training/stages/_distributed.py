"""One process (the default) or one of several launched by `_launch.py`: what differs in the loop.

`LocalRuntime` is the single-device path every test runs. `AccelerateRuntime` is used when the
process was started by `accelerate launch` (WORLD_SIZE > 1): micro-batches are dealt out by rank
(wrapping at the end of an epoch so every rank runs the same number), backward and the optimizer
go through the accelerate/DeepSpeed wrappers, checkpoints hold accelerate's sharded state, and
only rank 0 writes progress, checkpoint metadata and the adapter. The multi-GPU path has not run
on a multi-GPU machine (none was available); its launch command and config are unit-tested.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path
from typing import Any

import torch

from training.config import Plan
from training.stages._checkpoint import (
    STATE_FILE,
    list_checkpoints,
    load_checkpoint,
    save_checkpoint,
    set_rng_state,
)

MAX_GRAD_NORM = 1.0


class LocalRuntime:
    """One process on one device."""

    world = 1
    rank = 0
    is_main = True

    def prepare(self, model: Any, optimizer: Any, scheduler: Any, plan: Plan) -> tuple[Any, ...]:
        """The objects the loop trains with."""
        return model, optimizer, scheduler

    def steps_per_epoch(self, micro_batches: int, accum: int) -> int:
        """Optimizer steps in an epoch."""
        return math.ceil(micro_batches / (accum * self.world))

    def micro_indices(self, group: int, accum: int, micro_batches: int) -> list[int]:
        """This process's micro-batches for optimizer step `group` of the epoch."""
        return list(range(group * accum, min(micro_batches, (group + 1) * accum)))

    def backward(self, loss: torch.Tensor, accum: int) -> None:
        """Accumulate gradients of `loss` (already divided by the step's total weight)."""
        torch.autograd.backward(loss)

    def step(self, optimizer: Any, scheduler: Any, params: list[Any], scaler: Any) -> None:
        """Clip, step the optimizer and the schedule, clear the gradients."""
        if scaler:
            scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(params, MAX_GRAD_NORM)
        if scaler:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)

    def mean(self, value: float) -> float:
        """The mean of `value` over processes."""
        return value

    def save(
        self,
        folder: Path,
        step: int,
        model: Any,
        optimizer: Any,
        scheduler: Any,
        state: dict[str, Any],
    ) -> Path:
        """Write checkpoint-<step>."""
        return save_checkpoint(folder, step, model, optimizer, scheduler, state)

    def load(self, path: Path, model: Any, optimizer: Any, scheduler: Any) -> dict[str, Any]:
        """Restore a checkpoint; the loop state."""
        return load_checkpoint(path, model, optimizer, scheduler)

    def unwrap(self, model: Any) -> Any:
        """The PEFT model to save."""
        return model

    def adapter_state(self) -> dict[str, Any] | None:
        """The full trained state to save (None: the model's own state is complete)."""
        return None


class AccelerateRuntime(LocalRuntime):
    """One of WORLD_SIZE processes started by `accelerate launch` (DeepSpeed ZeRO-2/3)."""

    def __init__(self) -> None:
        from accelerate import Accelerator

        self.acc = Accelerator()
        self.engine: Any = None
        self.world = self.acc.num_processes
        self.rank = self.acc.process_index
        self.is_main = self.acc.is_main_process

    def prepare(self, model: Any, optimizer: Any, scheduler: Any, plan: Plan) -> tuple[Any, ...]:
        """accelerate.prepare, with the DeepSpeed batch settings the job resolved."""
        plugin = self.acc.state.deepspeed_plugin
        if plugin is not None:
            plugin.deepspeed_config["train_micro_batch_size_per_gpu"] = plan.batch_size
            plugin.deepspeed_config["gradient_accumulation_steps"] = plan.grad_accum
        prepared: tuple[Any, ...] = self.acc.prepare(model, optimizer, scheduler)
        self.engine = prepared[0]
        return prepared

    def micro_indices(self, group: int, accum: int, micro_batches: int) -> list[int]:
        """Every rank takes every world-th micro-batch, wrapping so all run `accum` of them."""
        start = group * accum * self.world
        return [(start + k * self.world + self.rank) % micro_batches for k in range(accum)]

    def backward(self, loss: torch.Tensor, accum: int) -> None:
        """DeepSpeed divides by the accumulation itself: undo the loop's division."""
        deepspeed = self.acc.state.deepspeed_plugin is not None
        self.acc.backward(loss * accum if deepspeed else loss)

    def step(self, optimizer: Any, scheduler: Any, params: list[Any], scaler: Any) -> None:
        """The wrappers step at the accumulation boundary (DeepSpeed clips from its config)."""
        if self.acc.state.deepspeed_plugin is None:
            self.acc.clip_grad_norm_(params, MAX_GRAD_NORM)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()

    def mean(self, value: float) -> float:
        """The mean over ranks."""
        reduced = self.acc.reduce(torch.tensor(value, device=self.acc.device), "mean")
        return float(reduced)

    def save(
        self,
        folder: Path,
        step: int,
        model: Any,
        optimizer: Any,
        scheduler: Any,
        state: dict[str, Any],
    ) -> Path:
        """Every rank writes its shard into the temporary folder; rank 0 renames it."""
        final = folder / f"checkpoint-{step}"
        tmp = final.with_name(f".tmp-{final.name}")
        self.acc.wait_for_everyone()
        self.acc.save_state(str(tmp / "accelerate"))
        self.acc.wait_for_everyone()
        if self.is_main:
            self.unwrap(model).save_pretrained(str(tmp / "adapter"))
            (tmp / STATE_FILE).write_text(json.dumps({**state, "step": step}, indent=1))
            shutil.rmtree(final, ignore_errors=True)
            os.replace(tmp, final)
            for old in list_checkpoints(folder)[:-2]:
                shutil.rmtree(old, ignore_errors=True)
        self.acc.wait_for_everyone()
        return final

    def load(self, path: Path, model: Any, optimizer: Any, scheduler: Any) -> dict[str, Any]:
        """accelerate's state (model shards, optimizer, scheduler, RNG) and the loop state."""
        self.acc.load_state(str(path / "accelerate"))
        rng = path / "rng.pt"
        if rng.is_file():
            set_rng_state(torch.load(rng, weights_only=False))
        state: dict[str, Any] = json.loads((path / STATE_FILE).read_text())
        return state

    def unwrap(self, model: Any) -> Any:
        """The PEFT model without the DeepSpeed engine."""
        return self.acc.unwrap_model(model)

    def adapter_state(self) -> dict[str, Any] | None:
        """The gathered state dict (ZeRO-3 shards its weights); every rank must call this."""
        state: dict[str, Any] = self.acc.get_state_dict(self.engine)
        return state


def current_runtime() -> LocalRuntime:
    """AccelerateRuntime inside `accelerate launch` with several processes, else LocalRuntime."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        return AccelerateRuntime()
    return LocalRuntime()
