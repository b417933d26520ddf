"""Job and adapter actions the API calls: create, start, stop, resume, delete, merge, export.

A job's life: queued → running → succeeded | failed | stopped | interrupted. Stopped (SIGTERM:
the trainer saves a checkpoint first), interrupted (its worker died) and failed jobs resume from
their last checkpoint. Progress of a running job reaches the WebSocket group
`training-job-<id>` as `training.event` / `training.status` messages (see consumers.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from asgiref.sync import async_to_sync
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from kernel.audit import do_audit
from kernel.chat_models import get_embedded_model
from kernel.model_sources import forget_workspace_models
from kernel.models import User, Workspace
from runtime.messages import explain_error, humanize
from training.config import TrainJobConfig
from training.datasets import base_model_refused, resolve_base_model
from training.errors import BaseModelError, ConflictError, RefusedError, TrainingConfigError
from training.job_config import RESERVED_SETTINGS, build_config
from training.live import broadcast_status
from training.models import (
    ACTIVE_STATUSES,
    RESUMABLE_STATUSES,
    Adapter,
    Dataset,
    JobStatus,
    TrainJob,
    training_dir,
)
from training.processes import signal_trainer
from training.registry import workspace_dir
from training.tasks import run_train_job


def _config_error(exc: TrainingConfigError) -> RefusedError:
    """A setting the trainer refused, said for a person: "Learning rate: use a number above 0"."""
    cause, setting = exc.__cause__, exc.setting or "job"
    if isinstance(cause, ValidationError) and cause.errors()[0]["loc"]:
        error = cause.errors()[0]
    else:  # the trainer's own words, "setting: why": said on the setting's label
        why = exc.message.removeprefix(f"{setting}: ")
        loc = tuple(setting.split("."))
        error = ErrorDetails(type="value_error", loc=loc, msg=why, input=None)
    message = explain_error(TrainJobConfig, error)
    return RefusedError("bad_setting", message, field=exc.setting, setting=exc.setting)


def do_create_job(
    workspace: Workspace,
    user: User | None,
    *,
    name: str,
    base_model: str,
    stage: str,
    dataset_ids: list[int],
    settings: dict[str, Any],
    adapter_name: str = "",
) -> TrainJob:
    """Create a queued job after checking its settings as the trainer will (refused naming one)."""
    reserved = [k for k in settings if k in RESERVED_SETTINGS]
    if reserved:
        said = f"{humanize(reserved[0])}: Weft sets this itself; remove it"
        raise RefusedError("bad_setting", said, field=reserved[0])
    datasets = list(Dataset.objects.filter(workspace=workspace, pk__in=dataset_ids))
    if not dataset_ids or len(datasets) != len(set(dataset_ids)):
        raise RefusedError("not_found", "pick datasets of this workspace", field="dataset_ids")
    adapter = slugify(adapter_name or name)[:60].strip("-") or "adapter"
    if Adapter.objects.filter(workspace=workspace, name=adapter).exists():
        raise ConflictError("name_taken", f"an adapter {adapter!r} exists", field="adapter_name")
    base_path = None if base_model != "embedded" else Path("embedded")  # converted when it runs
    with transaction.atomic():
        job = TrainJob.objects.create(
            workspace=workspace,
            name=name,
            adapter_name=adapter,
            base_model=base_model,
            stage=stage,
            settings=settings,
            created_by=user,
        )
        job.output_dir = str(training_dir() / "jobs" / str(job.pk))
        job.save(update_fields=["output_dir"])
        job.datasets.set(datasets)
        try:
            build_config(job, base_path=base_path)
        except TrainingConfigError as exc:
            transaction.set_rollback(True)
            raise _config_error(exc) from exc
        except BaseModelError as exc:
            transaction.set_rollback(True)
            raise base_model_refused(exc) from exc
        do_audit(
            workspace_id=workspace.pk, actor=user, action="training.job.create", target=str(job.pk)
        )
    return job


def do_start_job(job: TrainJob, *, resume: bool = False) -> TrainJob:
    """Queue the job's task on the "training" queue (only GPU hosts need consume it)."""
    run_train_job.enqueue(str(job.pk), resume)
    return job


def do_stop_job(job: TrainJob, user: User | None) -> TrainJob:
    """Stop a job: a queued one at once, a running one by SIGTERM (it checkpoints, then stops).

    The trainer reports `stopped` and the task sets the status; a worker on another host sees
    `stop_requested` within a second and signals its trainer itself.
    """
    if TrainJob.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
        status=JobStatus.STOPPED, finished_at=timezone.now()
    ):
        job.refresh_from_db()
        broadcast_status(job)
    elif job.status == JobStatus.RUNNING:
        TrainJob.objects.filter(pk=job.pk).update(stop_requested=True)
        signal_trainer(job.process)
        job.refresh_from_db()
    else:
        raise ConflictError("not_running", f"the job is {job.status}")
    do_audit(
        workspace_id=job.workspace_id, actor=user, action="training.job.stop", target=str(job.pk)
    )
    return job


def do_resume_job(job: TrainJob) -> TrainJob:
    """Queue a stopped, interrupted or failed job again; it continues from its last checkpoint."""
    updated = TrainJob.objects.filter(pk=job.pk, status__in=RESUMABLE_STATUSES).update(
        status=JobStatus.QUEUED,
        stop_requested=False,
        error_code="",
        error="",
        error_setting="",
        finished_at=None,
    )
    if not updated:
        raise ConflictError("not_resumable", f"a {job.status} job cannot be resumed")
    job.refresh_from_db()
    broadcast_status(job)
    return do_start_job(job, resume=True)


def do_delete_job(job: TrainJob, user: User | None) -> None:
    """Delete a job that is not queued or running, with its folder (its adapter stays)."""
    if job.status in ACTIVE_STATUSES:
        raise ConflictError("job_active", "stop the job before deleting it")
    folder = job.folder
    with transaction.atomic():
        do_audit(
            workspace_id=job.workspace_id,
            actor=user,
            action="training.job.delete",
            target=str(job.pk),
            data={"name": job.name},
        )
        job.delete()
    if folder.is_relative_to(training_dir()):
        shutil.rmtree(folder, ignore_errors=True)


def do_delete_adapter(adapter: Adapter, user: User | None) -> None:
    """Delete an adapter (its folder too); LLM nodes naming it then fail with model_not_found."""
    from training.adapters import unload_everywhere

    folder = Path(adapter.path)
    with transaction.atomic():
        do_audit(
            workspace_id=adapter.workspace_id,
            actor=user,
            action="training.adapter.delete",
            target=adapter.name,
        )
        adapter.delete()
    async_to_sync(unload_everywhere)([get_embedded_model()], adapter.served_name)
    forget_workspace_models(adapter.workspace_id)
    if folder.is_relative_to(training_dir()):
        shutil.rmtree(folder, ignore_errors=True)


def do_merge_adapter(adapter: Adapter) -> Path:
    """Merge the adapter into its base model (peft merge_and_unload): a full model folder."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        base = resolve_base_model(adapter.base_model)
    except BaseModelError as exc:
        raise base_model_refused(exc) from exc
    target = workspace_dir("merged", adapter.workspace_id) / adapter.name
    scratch = target.with_name(f".{adapter.name}.tmp")
    shutil.rmtree(scratch, ignore_errors=True)
    model: Any = AutoModelForCausalLM.from_pretrained(base, dtype=torch.bfloat16)
    merged = PeftModel.from_pretrained(model, adapter.path).merge_and_unload()
    merged.save_pretrained(scratch, safe_serialization=True)
    AutoTokenizer.from_pretrained(base).save_pretrained(scratch)
    shutil.rmtree(target, ignore_errors=True)
    scratch.rename(target)
    return target


def do_export_adapter(adapter: Adapter) -> Path:
    """A zip of the adapter folder (PEFT files and weft_adapter.json), loadable by vLLM/peft."""
    exports = workspace_dir("exports", adapter.workspace_id)
    exports.mkdir(parents=True, exist_ok=True)
    archive = shutil.make_archive(str(exports / adapter.name), "zip", adapter.path)
    return Path(archive)
