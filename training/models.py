"""Datasets, training jobs and the adapters they produce, each scoped to a workspace."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import ClassVar

from django.conf import settings as django_settings
from django.db import models

from kernel.models import Workspace


def training_dir() -> Path:
    """WEFT_DATA_DIR/training: datasets/, jobs/ and adapters/ live below it."""
    return Path(django_settings.DATA_DIR) / "training"


class DatasetFormat(models.TextChoices):
    ALPACA = "alpaca", "Alpaca"
    SHAREGPT = "sharegpt", "ShareGPT"


class Dataset(models.Model):
    """An uploaded, validated data file (alpaca or sharegpt rows) with its length statistics."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="datasets")
    name = models.CharField(max_length=100)
    format = models.CharField(max_length=16, choices=DatasetFormat.choices)
    ranking = models.BooleanField(default=False)  # preference pairs (chosen / rejected)
    columns = models.JSONField(default=dict, blank=True)  # dataset_info.json's column mapping
    tags = models.JSONField(default=dict, blank=True)  # dataset_info.json's sharegpt tags
    file_name = models.CharField(max_length=255)  # inside `folder`
    size_bytes = models.PositiveBigIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0)
    tokens = models.PositiveBigIntegerField(default=0)
    stats = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["workspace", "name"], name="one_dataset_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def folder(self) -> Path:
        """WEFT_DATA_DIR/training/datasets/<id>/."""
        return training_dir() / "datasets" / str(self.pk)

    @property
    def path(self) -> Path:
        """The stored data file."""
        return self.folder / self.file_name


class Stage(models.TextChoices):
    SFT = "sft", "Supervised fine-tuning"
    RM = "rm", "Reward model"
    DPO = "dpo", "Direct preference optimisation"
    PPO = "ppo", "PPO"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    STOPPED = "stopped", "Stopped"
    INTERRUPTED = "interrupted", "Interrupted"


ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)
RESUMABLE_STATUSES = (JobStatus.STOPPED, JobStatus.INTERRUPTED, JobStatus.FAILED)


class TrainJob(models.Model):
    """One LoRA training run of `python -m training.trainer`, resumable from its checkpoints."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="train_jobs")
    name = models.CharField(max_length=100)
    adapter_name = models.SlugField(max_length=60)  # the model name the adapter registers as
    base_model = models.CharField(max_length=500)  # "embedded" or a local model folder
    stage = models.CharField(max_length=8, choices=Stage.choices, default=Stage.SFT)
    datasets = models.ManyToManyField(Dataset, related_name="jobs")
    settings = models.JSONField(default=dict, blank=True)  # TrainJobConfig fields the user set
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.JSONField(default=dict, blank=True)  # the last step event
    curve = models.JSONField(default=list, blank=True)  # [{step, loss, lr}]
    eval = models.JSONField(default=dict, blank=True)  # the eval event
    error_code = models.CharField(max_length=32, blank=True)
    error = models.TextField(blank=True)
    error_setting = models.CharField(max_length=64, blank=True)
    output_dir = models.CharField(max_length=500, blank=True)
    # "<host>:<pid>" of the trainer process, and of the worker that follows it: a job whose
    # worker died is swept to "interrupted" instead of "running" for ever.
    process = models.CharField(max_length=120, blank=True)
    worker = models.CharField(max_length=120, blank=True)
    stop_requested = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0)  # starts, resumes included
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"

    @property
    def folder(self) -> Path:
        """The job's output_dir: checkpoints/, adapter/, progress.jsonl, trainer.log."""
        return Path(self.output_dir) if self.output_dir else training_dir() / "jobs" / str(self.id)


class Adapter(models.Model):
    """A finished LoRA adapter; its `name` is a model name of the workspace's LLM nodes."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="adapters")
    name = models.SlugField(max_length=60)
    base_model = models.CharField(max_length=500)
    stage = models.CharField(max_length=8, choices=Stage.choices, default=Stage.SFT)
    job = models.ForeignKey(
        TrainJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="adapters"
    )
    path = models.CharField(max_length=500)  # a PEFT adapter folder
    metrics = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["workspace", "name"], name="one_adapter_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def served_name(self) -> str:
        """The name model servers know it by: unique across workspaces sharing one server."""
        return f"w{self.workspace_id}-{self.name}"
