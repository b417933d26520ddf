"""Job and adapter actions: the only code that writes TrainJob/Adapter rows and broadcasts them.

A job's life: queued → running → succeeded | failed | stopped | interrupted. Stopped (SIGTERM:
the trainer saves a checkpoint first), interrupted (its worker died) and failed jobs resume from
their last checkpoint. Progress of a running job reaches the WebSocket group
`training-job-<id>` as `training.event` / `training.status` messages (see consumers.py).
"""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from kernel.audit import do_audit
from kernel.chat_models import get_embedded_model
from kernel.errors import ApiError
from kernel.model_sources import forget_workspace_models
from kernel.models import User, Workspace
from kernel.processes import has_died, local_pid, this_host
from training.config import TrainJobConfig
from training.datasets import dataset_ref, resolve_base_model
from training.errors import TrainingConfigError
from training.models import (
    ACTIVE_STATUSES,
    RESUMABLE_STATUSES,
    Adapter,
    Dataset,
    JobStatus,
    TrainJob,
    training_dir,
)

# Fields of TrainJobConfig that the job's own columns set; `settings` holds the rest.
RESERVED_SETTINGS = ("job_id", "output_dir", "base_model", "stage", "datasets", "resume")


def job_group(job_id: object) -> str:
    """The channel-layer group of a job's live progress."""
    return f"training-job-{job_id}"


def broadcast(job_id: object, message: dict[str, Any]) -> None:
    """Send one message to the job's WebSocket group (from sync code)."""
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(job_group(job_id), message)


def broadcast_status(job: TrainJob) -> None:
    """Tell the job's sockets its new status."""
    broadcast(job.pk, {"type": "training.status", "status": job.status})


def build_config(job: TrainJob, *, resume: bool = False, base_path: Path | None = None) -> Any:
    """The job's TrainJobConfig (job.json); TrainingConfigError names a bad setting."""
    data = {
        **job.settings,
        "job_id": str(job.pk),
        "output_dir": str(job.folder),
        "base_model": str(base_path or resolve_base_model(job.base_model)),
        "stage": job.stage,
        "datasets": [dataset_ref(d).model_dump(mode="json") for d in job.datasets.all()],
        "resume": resume,
    }
    ppo = data.get("ppo")
    if isinstance(ppo, dict) and ppo.get("reward_adapter") is not None:
        data["ppo"] = {**ppo, "reward_adapter": reward_adapter_path(job, ppo["reward_adapter"])}
    return TrainJobConfig.load(data)


def reward_adapter_path(job: TrainJob, reward: object) -> str:
    """The folder of the job's reward model: an adapter of the job's own workspace, by name.

    Jobs created before names were required may hold that adapter's folder instead: absolute,
    or relative to the data folder as responses show it (kernel.paths.shown). Anything else
    (another workspace's adapter, any other path) is refused with one message.
    """
    mine = Adapter.objects.filter(workspace_id=job.workspace_id)
    found = None
    if isinstance(reward, str) and reward:
        folders = {reward, str(training_dir().parent / reward)}
        found = mine.filter(name=reward).first() or mine.filter(path__in=folders).first()
    if found is None:
        raise TrainingConfigError("ppo.reward_adapter", "not an adapter of this workspace")
    return found.path


def _config_error(exc: TrainingConfigError) -> ApiError:
    return ApiError("bad_setting", 422, exc.message, field=exc.setting, setting=exc.setting)


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
    """Create a queued job after checking its settings as the trainer will (422 naming one)."""
    reserved = [k for k in settings if k in RESERVED_SETTINGS]
    if reserved:
        raise ApiError("bad_setting", 422, f"{reserved[0]} is not a setting", field=reserved[0])
    datasets = list(Dataset.objects.filter(workspace=workspace, pk__in=dataset_ids))
    if not dataset_ids or len(datasets) != len(set(dataset_ids)):
        raise ApiError("not_found", 422, "pick datasets of this workspace", field="dataset_ids")
    adapter = slugify(adapter_name or name)[:60].strip("-") or "adapter"
    if Adapter.objects.filter(workspace=workspace, name=adapter).exists():
        raise ApiError("name_taken", 409, f"an adapter {adapter!r} exists", field="adapter_name")
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
        do_audit(
            workspace_id=workspace.pk, actor=user, action="training.job.create", target=str(job.pk)
        )
    return job


def do_start_job(job: TrainJob, *, resume: bool = False) -> TrainJob:
    """Queue the job's task on the "training" queue (only GPU hosts need consume it)."""
    from training.tasks import run_train_job

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
        raise ApiError("not_running", 409, f"the job is {job.status}")
    do_audit(
        workspace_id=job.workspace_id, actor=user, action="training.job.stop", target=str(job.pk)
    )
    return job


def signal_trainer(process: str, sig: int = signal.SIGTERM) -> bool:
    """Send `sig` to a trainer "<host>:<pid>" if it runs on this host; False when it does not."""
    pid = local_pid(process)
    if pid is None:
        return False
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


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
        raise ApiError("not_resumable", 409, f"a {job.status} job cannot be resumed")
    job.refresh_from_db()
    broadcast_status(job)
    return do_start_job(job, resume=True)


def do_delete_job(job: TrainJob, user: User | None) -> None:
    """Delete a job that is not queued or running, with its folder (its adapter stays)."""
    if job.status in ACTIVE_STATUSES:
        raise ApiError("job_active", 409, "stop the job before deleting it")
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


def do_sweep_interrupted_jobs() -> int:
    """Mark "interrupted" the running jobs whose worker process (on this host) has died.

    A killed worker cannot report; without this its job would say "running" for ever. The
    trainer, if it outlived the worker, is sent SIGTERM so it checkpoints. Runs when a worker
    starts a training task and whenever jobs are listed.
    """
    swept = 0
    running = TrainJob.objects.filter(
        status=JobStatus.RUNNING, worker__startswith=f"{this_host()}:"
    )
    for job in running.only("pk", "worker", "process"):
        if not has_died(job.worker):
            continue
        signal_trainer(job.process)
        swept += TrainJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
            status=JobStatus.INTERRUPTED,
            error_code="interrupted",
            error="the worker running this job stopped; resume continues from its last checkpoint",
            finished_at=timezone.now(),
        )
        job.status = JobStatus.INTERRUPTED
        broadcast_status(job)
    return swept


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


def workspace_dir(kind: str, workspace_id: int) -> Path:
    """training/<kind>/w<workspace id>/: the storage of one workspace's adapters, merges, zips.

    Adapter names are unique per workspace only, so anything keyed by a name lives below its
    workspace's folder. Adapters registered before keep the folder their row names.
    """
    return training_dir() / kind / f"w{workspace_id}"


def do_merge_adapter(adapter: Adapter) -> Path:
    """Merge the adapter into its base model (peft merge_and_unload): a full model folder."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base = resolve_base_model(adapter.base_model)
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
