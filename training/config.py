"""`TrainJobConfig`: the job.json schema (training/README.md), its defaults and its auto rules.

Only `to_lora_config()` and `to_training_args()` touch peft and transformers config classes. The
auto rules (epochs, batch size, accumulation, compute type) are plain functions so they can be
tested without a device:

- small datasets (≤ SMALL_DATASET_ROWS training rows: an identity or persona set) are where
  optimizer steps, not throughput, decide what is learned: their rows are not packed (packing
  100 short identity rows into 1,024-token sequences leaves 24 steps in 3 epochs, and nothing is
  learned), and "keep general skills" (replay, then consolidation: training.replay and
  training.stages._consolidate) is on for them.
- epochs: ≤ 2,000 training rows → 2, more → 1 (small sets need a second pass; a third only
  deepens the damage to general answers; large sets overfit and cost hours per pass).
- batch size: packed, the sequences of `cutoff_len` per device step: CPU 4 up to cutoff 512,
  else 2 (more only adds memory, not speed, on a few cores). Unpacked (small sets), rows per
  step: 2 on any device. CUDA, packed: the largest power of two whose estimated activations fit
  in 80% of the free memory after the weights, at most 64.
- learning rate: 1e-4; 4e-4 for small datasets, whose few unpacked steps of 2 rows would otherwise
  teach an answer the model gives greedily but not when sampled at an app's temperature.
- accumulation: CPU 1 (CPU steps are slow; small sets need steps). CUDA: enough to make about 16
  sequences per optimizer step, lowered so an epoch has at least 8 optimizer steps.
- compute type: bf16 where the device computes it natively (GPUs that support it; CPUs with
  AVX512-BF16 or AMX, under autocast with fp32 weights: 2.3x the fp32 tokens/s of a LoRA step
  on these machines' EPYC cores), else fp16 on GPU and fp32 on CPU.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from training.errors import TrainingConfigError

if TYPE_CHECKING:
    from peft import LoraConfig
    from transformers import TrainingArguments

Stage = Literal["sft", "rm", "dpo", "ppo"]
ComputeType = Literal["bf16", "fp16", "fp32"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Columns(_Strict):
    """Which row keys hold what (LLaMA-Factory's `columns` in dataset_info.json)."""

    prompt: str = Field("instruction", description="alpaca: the instruction column")
    query: str | None = Field("input", description="alpaca: the optional input column")
    response: str = Field("output", description="alpaca: the response column")
    history: str | None = Field("history", description="alpaca: earlier [prompt, response] pairs")
    messages: str = Field("conversations", description="sharegpt: the list of messages")
    system: str | None = Field("system", description="the optional system prompt column")
    tools: str | None = Field("tools", description="the optional tool description column")
    chosen: str = Field("chosen", description="preference rows: the better answer")
    rejected: str = Field("rejected", description="preference rows: the worse answer")


class Tags(_Strict):
    """How sharegpt messages name roles (LLaMA-Factory's `tags` in dataset_info.json)."""

    role_tag: str = Field("from", description="the message key holding the role")
    content_tag: str = Field("value", description="the message key holding the text")
    user_tag: str = Field("human", description="role value of the user")
    assistant_tag: str = Field("gpt", description="role value of the assistant")
    observation_tag: str = Field("observation", description="role value of a tool result")
    function_tag: str = Field("function_call", description="role value of a tool call")
    system_tag: str = Field("system", description="role value of a leading system message")


class DatasetRef(_Strict):
    """One dataset file of the job and how to read it."""

    path: Path = Field(description="a JSON (list of rows) or JSONL file")
    format: Literal["auto", "alpaca", "sharegpt"] = Field("auto", description="row layout")
    columns: Columns = Field(default_factory=Columns, description="row keys (dataset_info.json)")
    tags: Tags | None = Field(None, description="sharegpt role tags; None = detect from/role keys")
    ranking: bool | None = Field(None, description="preference rows; None = detect chosen/rejected")


class LoraSettings(_Strict):
    """The LoRA adapter."""

    rank: int = Field(8, ge=1, le=512, description="LoRA rank r")
    alpha: int = Field(16, ge=1, le=4096, description="LoRA scaling alpha")
    dropout: float = Field(0.0, ge=0, lt=1, description="dropout on the LoRA input")
    target: Literal["all-linear"] | list[str] = Field(
        "all-linear", description="'all-linear' or module names such as q_proj, v_proj"
    )


class DpoSettings(_Strict):
    """DPO settings (LLaMA-Factory's pref_beta and pref_loss)."""

    beta: float = Field(0.1, gt=0, le=10, description="strength of the pull towards the base model")
    loss: Literal["sigmoid", "hinge", "ipo"] = Field("sigmoid", description="DPO loss variant")


class PpoSettings(_Strict):
    """On-policy RL settings (the loop is RLOO: REINFORCE with a leave-one-out baseline)."""

    reward_adapter: Path | None = Field(None, description="adapter folder of a finished rm job")
    samples_per_prompt: int = Field(4, ge=2, le=32, description="completions sampled per prompt")
    max_new_tokens: int = Field(64, ge=1, le=4096, description="length cap of each completion")
    temperature: float = Field(1.0, gt=0, le=2, description="sampling temperature")
    kl_coef: float = Field(0.05, ge=0, le=10, description="penalty on drifting from the base model")


class TrainJobConfig(_Strict):
    """One training job (job.json). Defaults follow training/README.md."""

    job_id: str = Field(min_length=1, description="id used in logs and the adapter's metadata")
    output_dir: Path = Field(description="the job's folder: checkpoints/, adapter/, progress")
    base_model: Path = Field(description="a local Hugging Face model folder")
    stage: Stage = Field("sft", description="sft, rm, dpo or ppo")
    datasets: list[DatasetRef] = Field(min_length=1, description="the training data files")
    lora: LoraSettings = Field(default_factory=LoraSettings, description="the LoRA adapter")
    learning_rate: float | None = Field(
        None, gt=0, le=1, description="peak rate (cosine decay); None = 1e-4, small datasets 4e-4"
    )
    weight_decay: float = Field(1e-4, ge=0, le=1, description="decoupled weight decay")
    optim: Literal["adamw_torch", "adamw_torch_fused", "sgd"] = Field(
        "adamw_torch", description="optimizer"
    )
    epochs: int | None = Field(None, ge=1, le=100, description="None = chosen from the row count")
    max_steps: int | None = Field(None, ge=1, description="stop after this many optimizer steps")
    max_samples: int | None = Field(None, ge=1, description="cap on training rows per dataset")
    batch_size: int | None = Field(None, ge=1, le=1024, description="per-device batch; None = auto")
    grad_accum: int | None = Field(None, ge=1, le=1024, description="accumulation; None = auto")
    compute_type: Literal["auto", "bf16", "fp16", "fp32"] = Field(
        "auto", description="bf16 where native, else fp16 on GPU, fp32 on CPU; failures fall back"
    )
    cutoff_len: int = Field(
        1024, ge=16, le=131072, description="tokens per row; a longer row stops the job"
    )
    packing: bool | None = Field(
        None, description="pack rows into full sequences; None = sft on all but small datasets"
    )
    save_steps: int = Field(0, ge=0, description="checkpoint every N steps; 0 = end and stop only")
    val_size: float = Field(0.1, ge=0, lt=1, description="held-out fraction for the evaluation")
    keep_general: bool | None = Field(None, description="mix in replay data; None = small sets")
    replay_ratio: float = Field(1.0, ge=0, le=10, description="replay rows per training row")
    consolidate: float = Field(
        12.0,
        ge=0,
        le=1000,
        description="with replay: weight of the new data when the adapter is merged back"
        " towards the base on general inputs (RegMean); 0 = off",
    )
    seed: int = Field(42, ge=0, description="data order and initialisation")
    dpo: DpoSettings = Field(default_factory=DpoSettings, description="DPO settings")
    ppo: PpoSettings = Field(default_factory=PpoSettings, description="PPO (RLOO) settings")
    resume: bool = Field(False, description="continue from the last checkpoint")

    @model_validator(mode="after")
    def _check_stage_settings(self) -> TrainJobConfig:
        if self.packing and self.stage != "sft":
            raise ValueError("packing: only the sft stage packs rows")
        if self.stage == "ppo" and self.ppo.reward_adapter is None:
            raise ValueError("ppo.reward_adapter: the ppo stage needs a reward model adapter")
        return self

    @classmethod
    def load(cls, data: dict[str, Any] | str | bytes) -> TrainJobConfig:
        """Validate a job (dict or JSON text); raise TrainingConfigError naming the first field."""
        try:
            if isinstance(data, dict):
                return cls.model_validate(data)
            return cls.model_validate_json(data)
        except ValidationError as exc:
            raise _config_error(exc) from exc

    def use_packing(self, train_rows: int) -> bool:
        """Whether rows are packed: set, or by default for sft on all but small datasets."""
        if self.packing is not None:
            return self.packing
        return self.stage == "sft" and not is_small_dataset(train_rows)

    def to_lora_config(
        self, task_type: Literal["CAUSAL_LM", "SEQ_CLS"] = "CAUSAL_LM"
    ) -> LoraConfig:
        """The peft LoraConfig; SEQ_CLS (reward models) also trains the score head."""
        from peft import LoraConfig, TaskType

        target = self.lora.target
        return LoraConfig(
            r=self.lora.rank,
            lora_alpha=self.lora.alpha,
            lora_dropout=self.lora.dropout,
            target_modules=target if isinstance(target, str) else list(target),
            task_type=TaskType(task_type),
            bias="none",
        )

    def to_training_args(
        self, plan: Plan, output_dir: Path | None = None, *, use_cpu: bool | None = None
    ) -> TrainingArguments:
        """Hugging Face TrainingArguments with the same settings (for Trainer-based paths)."""
        from transformers import TrainingArguments

        return TrainingArguments(
            output_dir=str(output_dir or self.output_dir / "hf"),
            per_device_train_batch_size=plan.batch_size,
            gradient_accumulation_steps=plan.grad_accum or 1,
            num_train_epochs=plan.epochs,
            max_steps=self.max_steps or -1,
            learning_rate=plan.learning_rate,
            weight_decay=self.weight_decay,
            optim=self.optim,
            lr_scheduler_type="cosine",
            bf16=plan.compute_type == "bf16",
            fp16=plan.compute_type == "fp16",
            use_cpu=plan.device == "cpu" if use_cpu is None else use_cpu,
            seed=self.seed,
            logging_steps=1,
            save_strategy="no",
            report_to="none",
            remove_unused_columns=False,
            disable_tqdm=True,
        )

    def plan(self, device: DeviceInfo, shape: ModelShape, train_rows: int) -> Plan:
        """Resolve every `None` / `auto` setting for this device, model and row count.

        `train_rows` counts the job's own training rows (not replay rows mixed in).
        """
        packing = self.use_packing(train_rows)
        batch = self.batch_size or auto_batch_size(device, shape, self.cutoff_len, packing)
        compute = auto_compute_type(device) if self.compute_type == "auto" else self.compute_type
        if device.kind == "cpu" and compute == "fp16":
            raise TrainingConfigError("compute_type", "fp16 needs a GPU; use fp32 or bf16 on CPU")
        return Plan(
            device=device.kind,
            learning_rate=self.learning_rate or auto_learning_rate(train_rows),
            epochs=self.epochs or auto_epochs(train_rows),
            batch_size=batch,
            grad_accum=self.grad_accum or 0,  # 0: decided once the batches are known
            compute_type=compute,
            packing=packing,
        )


@dataclass(frozen=True)
class DeviceInfo:
    """What the auto rules need to know about the training device."""

    kind: Literal["cpu", "cuda"]
    count: int = 1
    free_bytes: int = 0
    bf16: bool = False
    name: str = "cpu"


@dataclass(frozen=True)
class ModelShape:
    """Sizes of the base model read from its config.json."""

    params: int
    hidden_size: int
    num_layers: int
    vocab_size: int


@dataclass(frozen=True)
class Plan:
    """The resolved settings a stage runs with (recorded in weft_adapter.json)."""

    device: Literal["cpu", "cuda"]
    learning_rate: float
    epochs: int
    batch_size: int
    grad_accum: int
    compute_type: ComputeType
    packing: bool


SMALL_DATASET_ROWS = 500


def is_small_dataset(train_rows: int) -> bool:
    """An identity- or persona-sized set: ≤ SMALL_DATASET_ROWS training rows."""
    return 0 < train_rows <= SMALL_DATASET_ROWS


def auto_learning_rate(train_rows: int) -> float:
    """1e-4; 4e-4 for small datasets (unpacked, 2 rows per step, few steps: at 2e-4 the identity
    tutorial's adapter answered greedily but gave name and makers in only 17 of 60 answers sampled
    at the app's temperature, at 4e-4 in 41, with no more leaks or factual damage; see
    training/README.md)."""
    return 4e-4 if is_small_dataset(train_rows) else 1e-4


def auto_epochs(train_rows: int) -> int:
    """2 passes up to 2,000 rows, else 1."""
    return 2 if train_rows <= 2000 else 1


def auto_compute_type(device: DeviceInfo) -> ComputeType:
    """bf16 where the device supports it natively, else fp16 on GPU and fp32 on CPU."""
    if device.bf16:
        return "bf16"
    return "fp32" if device.kind == "cpu" else "fp16"


def auto_batch_size(
    device: DeviceInfo, shape: ModelShape, cutoff_len: int, packing: bool = True
) -> int:
    """Sequences (or unpacked rows) per device step: fixed on CPU, sized to memory on CUDA."""
    if not packing:
        return 2  # small sets: optimizer steps matter more than throughput
    if device.kind == "cpu":
        return 4 if cutoff_len <= 512 else 2
    weights = shape.params * 2 * 1.1  # 16-bit weights plus LoRA and optimizer state
    budget = device.free_bytes * 0.8 - weights - 512 * 2**20
    # saved activations per token: ~18 half-precision values per hidden unit and layer, plus the
    # fp32 logits and their gradient on the labelled tokens
    per_token = shape.num_layers * shape.hidden_size * 36 + shape.vocab_size * 8
    fits = budget / (per_token * cutoff_len)
    if fits < 2:
        return 1
    return int(min(64, 2 ** math.floor(math.log2(fits))))


def auto_grad_accum(device_kind: str, batch_size: int, micro_batches_per_epoch: int) -> int:
    """About 16 sequences per optimizer step on GPU (1 on CPU), keeping ≥ 8 steps per epoch."""
    if device_kind == "cpu":
        return 1
    want = max(1, 16 // batch_size)
    return max(1, min(want, micro_batches_per_epoch // 8))


def _config_error(exc: ValidationError) -> TrainingConfigError:
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first["loc"] if not isinstance(p, int)) or "job"
    message = str(first["msg"])
    if loc == "job" and ": " in message:  # raised by _check_stage_settings as "field: why"
        loc, message = message.removeprefix("Value error, ").split(": ", 1)
    return TrainingConfigError(loc, message)
