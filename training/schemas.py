"""Request and response schemas of /api/training/ (they make the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

Stage = Literal["sft", "rm", "dpo", "ppo"]
JobStatusName = Literal["queued", "running", "succeeded", "failed", "stopped", "interrupted"]


class DatasetOut(Schema):
    id: int
    workspace_id: int
    name: str
    format: Literal["alpaca", "sharegpt"]
    ranking: bool = Field(description="Preference rows (chosen / rejected), for rm, dpo and ppo.")
    file_name: str
    size_bytes: int
    rows: int
    tokens: int
    created_at: datetime
    created_by: str | None = None


class HistogramOut(Schema):
    edges: list[int] = Field(description="Bin edges in tokens: counts[i] rows are in [i, i+1).")
    counts: list[int]


class DatasetStatsOut(Schema):
    rows: int
    tokens: int
    min_len: int
    max_len: int
    mean_len: float
    over_cutoff: int = Field(
        description="Rows longer than `cutoff` tokens (a job with this cutoff stops on them)."
    )
    cutoff: int
    histogram: HistogramOut
    base_model: str = Field(description="Whose tokenizer and chat template counted the tokens.")


class PreviewRowOut(Schema):
    text: str = Field(
        description="The row rendered with the chat template (the prompt only for preference rows)."
    )
    chosen: str | None = None
    rejected: str | None = None


class DatasetDetail(DatasetOut):
    stats: DatasetStatsOut
    preview: list[PreviewRowOut]
    columns: dict[str, Any] = Field(description="Column mapping from dataset_info.json.")
    tags: dict[str, Any] = Field(description="sharegpt role tags from dataset_info.json.")


class IdentityIn(Schema):
    assistant_name: str = Field(min_length=1, max_length=60, description="The new name.")
    author: str = Field(min_length=1, max_length=100, description="Who made the assistant.")
    name: str = Field("", max_length=100, description="The dataset name; default Identity: <name>.")
    base_model: str = "embedded"
    cutoff_len: int = Field(1024, ge=16, le=32768)


class BaseModelOut(Schema):
    id: str = Field(description='"embedded" or a local model folder; JobIn.base_model.')
    label: str


class StageOut(Schema):
    id: Stage
    label: str
    needs_ranking: bool = Field(description="Needs preference datasets (ranking: true).")


class OptionsOut(Schema):
    settings_schema: dict[str, Any] = Field(
        description="JSON Schema of JobIn.settings: the trainer's TrainJobConfig fields a user "
        "sets, each with its description and default."
    )
    defaults: dict[str, Any] = Field(description="The default of every setting.")
    base_models: list[BaseModelOut]
    stages: list[StageOut]
    formats: list[str]


class JobIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    base_model: str = Field("embedded", description="An id from /api/training/options.")
    stage: Stage = "sft"
    dataset_ids: list[int] = Field(min_length=1, title="Datasets")
    settings: dict[str, Any] = Field(
        default_factory=dict, description="TrainJobConfig fields (see options.settings_schema)."
    )
    adapter_name: str = Field(
        "",
        pattern=r"^$|^[a-z0-9][a-z0-9_-]*$",
        max_length=60,
        description="The model name the adapter registers as; default: the job name, slugified.",
    )
    workspace_id: int | None = None


class ProgressOut(Schema):
    """The start event's plan, then the last step event, merged; notes and last checkpoint."""

    step: int | None = None
    total_steps: int | None = None
    epoch: float | None = None
    epochs: int | None = None
    loss: float | None = None
    lr: float | None = None
    tokens_per_s: float | None = None
    eta_s: float | None = None
    memory_mb: float | None = None
    train_rows: int | None = None
    val_rows: int | None = None
    replay_rows: int | None = None
    compute_type: str | None = None
    device: str | None = None
    notes: list[str] = Field(default_factory=list)
    checkpoint: dict[str, Any] | None = None


class CurvePointOut(Schema):
    step: int
    loss: float | None = None
    lr: float | None = None


class EvalOut(Schema):
    learned: float | None = Field(None, description="Score on the job's held-out split, 0..1.")
    preserved: float | None = Field(None, description="Agreement with the base model, 0..1.")
    details: dict[str, Any] = Field(default_factory=dict)


class JobOut(Schema):
    id: str
    workspace_id: int
    name: str
    adapter_name: str
    base_model: str
    stage: Stage
    dataset_ids: list[int]
    settings: dict[str, Any]
    status: JobStatusName
    stop_requested: bool = Field(description="Stop was asked; the trainer is checkpointing.")
    resumable: bool
    progress: ProgressOut
    error_code: str
    error: str
    error_setting: str = Field(description="The setting to change, e.g. batch_size.")
    attempts: int
    adapter: str | None = Field(None, description="The registered adapter's name (succeeded).")
    created_by: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


class JobDetail(JobOut):
    curve: list[CurvePointOut]
    eval: EvalOut | None = None
    log_tail: list[str] = Field(description="The last 50 lines of trainer.log.")
    output_dir: str = Field(
        description="The job's folder, relative to the data folder (WEFT_DATA_DIR) on the server."
    )


class AdapterOut(Schema):
    id: int
    name: str = Field(description="The model name LLM nodes use (provider embedded or vllm).")
    label: str = Field(description='"<base> + <adapter>", as the model picker shows it.')
    served_name: str = Field(description="The name model servers (vLLM --lora-modules) know.")
    base_model: str
    stage: Stage
    job_id: str | None = None
    path: str = Field(
        description="The adapter's folder, relative to the data folder (WEFT_DATA_DIR) on the "
        "server."
    )
    metrics: dict[str, Any]
    created_at: datetime


class MergeOut(Schema):
    path: str = Field(
        description="A full model folder (base weights with the adapter merged in), relative to "
        "the data folder (WEFT_DATA_DIR) on the server."
    )


class PlaygroundIn(Schema):
    adapter: str = Field(description="The adapter's name.")
    prompt: str = Field(min_length=1, max_length=20000)
    system: str = ""
    max_tokens: int = Field(128, ge=1, le=2048)
    temperature: float = Field(0.0, ge=0, le=2)


class PlaygroundOut(Schema):
    base: str = Field(description="The base model's answer.")
    adapter: str = Field(description="The adapter's answer to the same prompt.")
