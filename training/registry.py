"""The adapter registry: finished jobs' adapters, stored per workspace."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from kernel.model_sources import forget_workspace_models
from training.models import Adapter, TrainJob, training_dir


def do_register_adapter(job: TrainJob, adapter_dir: Path, metrics: dict[str, Any]) -> Adapter:
    """Copy a finished job's adapter into the registry; its name becomes a workspace model."""
    target = workspace_dir("adapters", job.workspace_id) / str(job.pk)
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(adapter_dir, target)
    name, n = job.adapter_name, 1
    while Adapter.objects.filter(workspace_id=job.workspace_id, name=name).exists():
        n += 1
        name = f"{job.adapter_name[:55]}-{n}"
    adapter = Adapter.objects.create(
        workspace_id=job.workspace_id,
        name=name,
        base_model=job.base_model,
        stage=job.stage,
        job=job,
        path=str(target),
        metrics=metrics,
        created_by=job.created_by,
    )
    forget_workspace_models(job.workspace_id)
    return adapter


def workspace_dir(kind: str, workspace_id: int) -> Path:
    """training/<kind>/w<workspace id>/: the storage of one workspace's adapters, merges, zips.

    Adapter names are unique per workspace only, so anything keyed by a name lives below its
    workspace's folder. Adapters registered before keep the folder their row names.
    """
    return training_dir() / kind / f"w{workspace_id}"
