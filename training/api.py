"""/api/training/: datasets, training jobs and adapters. Viewers read, editors create, start,
stop and resume, admins delete. Live progress: the WebSocket in consumers.py."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import FileResponse, HttpRequest
from ninja import File, Form, Router, Status, UploadedFile

from kernel.access import get_user, require_role_over, require_workspace
from kernel.chat_models import EMBEDDED_MODEL_NAME, VLLM
from kernel.errors import ApiError, not_found
from kernel.ids import parse_uuid
from kernel.limits import limits
from kernel.model_sources import WorkspaceModels
from kernel.models import Role
from kernel.paths import shown
from runtime.llm.protocol import ChatMessage, ChatRequest, TextDelta
from training import datasets as ds
from training import jobs
from training.adapters import EMBEDDED_BASE, base_label
from training.errors import ConflictError, RefusedError
from training.models import RESUMABLE_STATUSES, Adapter, Dataset, TrainJob
from training.options import get_options
from training.processes import do_sweep_interrupted_jobs
from training.schemas import (
    AdapterOut,
    DatasetDetail,
    DatasetOut,
    IdentityIn,
    JobDetail,
    JobIn,
    JobOut,
    MergeOut,
    OptionsOut,
    PlaygroundIn,
    PlaygroundOut,
)
from training.tasks import read_log_tail

router = Router(tags=["training"])


def _dataset(request: HttpRequest, dataset_id: int, role: str = Role.VIEWER) -> Dataset:
    dataset = Dataset.objects.filter(pk=dataset_id).first()
    if dataset is None:
        raise not_found("dataset")
    require_role_over(request, dataset.workspace_id, role, "dataset")
    return dataset


def _job(request: HttpRequest, job_id: str, role: str = Role.VIEWER) -> TrainJob:
    pk = parse_uuid(job_id)
    job = TrainJob.objects.filter(pk=pk).first() if pk else None
    if job is None:
        raise not_found("job")
    require_role_over(request, job.workspace_id, role, "job")
    return job


def _adapter(request: HttpRequest, adapter_id: int, role: str = Role.VIEWER) -> Adapter:
    adapter = Adapter.objects.filter(pk=adapter_id).first()
    if adapter is None:
        raise not_found("adapter")
    require_role_over(request, adapter.workspace_id, role, "adapter")
    return adapter


@contextmanager
def _http_errors() -> Iterator[None]:
    """Training's refusals as API errors: a conflict with the present state 409, any other 422."""
    try:
        yield
    except RefusedError as exc:
        status = 409 if isinstance(exc, ConflictError) else 422
        raise ApiError(exc.code, status, exc.message, **exc.data) from exc


def _read(upload: UploadedFile) -> bytes:
    limit = limits().max_upload_bytes  # kernel/bodies.py refuses larger requests before this
    if (upload.size or 0) > limit:
        raise ApiError("request_too_large", 413, f"files are limited to {limit} bytes", limit=limit)
    data: bytes = upload.read()
    return data


def dataset_out(d: Dataset) -> dict[str, Any]:
    """A dataset as DatasetOut."""
    fields = ("id", "workspace_id", "name", "format", "ranking", "file_name", "size_bytes")
    return {
        **{f: getattr(d, f) for f in fields},
        "rows": d.rows,
        "tokens": d.tokens,
        "created_at": d.created_at,
        "created_by": d.created_by.email if d.created_by else None,
    }


@router.get("/options", response=OptionsOut)
def options(request: HttpRequest) -> dict[str, Any]:
    """The job settings' JSON Schema (descriptions, defaults), base models, stages, formats."""
    return get_options()


@router.post("/datasets", response={201: DatasetDetail})
def upload_dataset(
    request: HttpRequest,
    file: File[UploadedFile],
    name: Form[str],
    format: Form[Literal["auto", "alpaca", "sharegpt"]] = "auto",
    base_model: Form[str] = "embedded",
    cutoff_len: Form[int] = 1024,
    workspace_id: int | None = None,
) -> Status[dict[str, Any]]:
    """Upload an alpaca or sharegpt file (JSON or JSONL); every row is checked (422 lists the
    first bad rows by index and field, and nothing is stored)."""
    workspace = require_workspace(request, workspace_id, Role.EDITOR)
    with _http_errors():
        dataset = ds.do_upload_dataset(
            workspace,
            get_user(request),
            _name(name),
            file.name or "data.jsonl",
            _read(file),
            format,
            base_model=base_model,
            cutoff_len=_cutoff(cutoff_len),
        )
    return Status(201, dataset_detail(dataset))


def _name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise ApiError("invalid_param", 422, "name: 1 to 100 characters", field="name")
    return name


def _cutoff(cutoff_len: int) -> int:
    if not 16 <= cutoff_len <= 131072:
        raise ApiError("invalid_param", 422, "cutoff_len: 16 to 131072", field="cutoff_len")
    return cutoff_len


@router.post("/datasets/identity", response={201: DatasetDetail})
def create_identity_dataset(
    request: HttpRequest, body: IdentityIn, workspace_id: int | None = None
) -> Status[dict[str, Any]]:
    """The shipped identity tutorial dataset with your assistant's name and makers filled in."""
    workspace = require_workspace(request, workspace_id, Role.EDITOR)
    with _http_errors():
        dataset = ds.do_create_identity_dataset(
            workspace,
            get_user(request),
            body.assistant_name,
            body.author,
            name=_name(body.name) if body.name else "",
            base_model=body.base_model,
            cutoff_len=_cutoff(body.cutoff_len),
        )
    return Status(201, dataset_detail(dataset))


@router.post("/datasets/import", response={201: list[DatasetOut]})
def import_dataset_info(
    request: HttpRequest,
    info: File[UploadedFile],
    files: File[list[UploadedFile]],
    base_model: Form[str] = "embedded",
    cutoff_len: Form[int] = 1024,
    workspace_id: int | None = None,
) -> Status[list[dict[str, Any]]]:
    """Import a LLaMA-Factory dataset_info.json (`info`) with the data files it names (`files`):
    all of its datasets, or none."""
    workspace = require_workspace(request, workspace_id, Role.EDITOR)
    contents = {f.name or f"file{i}": _read(f) for i, f in enumerate(files)}
    with _http_errors():
        created = ds.do_import_dataset_info(
            workspace,
            get_user(request),
            _read(info),
            contents,
            base_model=base_model,
            cutoff_len=_cutoff(cutoff_len),
        )
    return Status(201, [dataset_out(d) for d in created])


@router.get("/datasets", response=list[DatasetOut])
def list_datasets(request: HttpRequest, workspace_id: int | None = None) -> list[dict[str, Any]]:
    """The workspace's datasets, newest first."""
    workspace = require_workspace(request, workspace_id, Role.VIEWER)
    rows = Dataset.objects.filter(workspace=workspace).select_related("created_by")
    return [dataset_out(d) for d in rows]


def dataset_detail(d: Dataset) -> dict[str, Any]:
    """A dataset with its stats and the first rows rendered with the chat template."""
    stats = dict(d.stats)
    preview = stats.pop("preview", [])
    stats["cutoff"] = stats.pop("cutoff_len", 0)
    return {
        **dataset_out(d),
        "stats": stats,
        "preview": preview,
        "columns": d.columns,
        "tags": d.tags,
    }


@router.get("/datasets/{dataset_id}", response=DatasetDetail)
def get_dataset(request: HttpRequest, dataset_id: int) -> dict[str, Any]:
    """One dataset with its statistics and preview."""
    return dataset_detail(_dataset(request, dataset_id))


@router.delete("/datasets/{dataset_id}", response={204: None})
def delete_dataset(request: HttpRequest, dataset_id: int) -> Status[None]:
    """Delete a dataset (admins; 409 while a queued or running job uses it)."""
    dataset = _dataset(request, dataset_id, Role.ADMIN)
    with _http_errors():
        ds.do_delete_dataset(dataset, get_user(request))
    return Status(204, None)


def job_out(job: TrainJob) -> dict[str, Any]:
    """A job as JobOut (its settings, progress and error show paths relative to the data folder)."""
    adapter = job.adapters.values_list("name", flat=True).first()
    fields = ("workspace_id", "name", "adapter_name", "base_model", "stage", "status")
    more = ("stop_requested", "error_code", "error_setting", "attempts")
    return {
        "id": str(job.pk),
        **{f: getattr(job, f) for f in (*fields, *more)},
        "settings": shown(job.settings),  # older ppo jobs name their reward adapter's folder
        "error": shown(job.error),
        "dataset_ids": sorted(d.pk for d in job.datasets.all()),
        "resumable": job.status in RESUMABLE_STATUSES,
        "progress": shown(job.progress),
        "adapter": adapter,
        "created_by": job.created_by.email if job.created_by else None,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }


def job_detail(job: TrainJob) -> dict[str, Any]:
    """A job with its loss curve, evaluation, the tail of its log and its folder (relative)."""
    return {
        **job_out(job),
        "curve": job.curve,
        "eval": shown(job.eval) or None,
        "log_tail": shown(read_log_tail(job.folder)),
        "output_dir": shown(str(job.folder)),
    }


@router.post("/jobs", response={201: JobDetail})
def create_job(request: HttpRequest, body: JobIn) -> Status[dict[str, Any]]:
    """Create a job and queue it (422 names a bad setting as the trainer would)."""
    workspace = require_workspace(request, body.workspace_id, Role.EDITOR)
    with _http_errors():
        job = jobs.do_create_job(
            workspace,
            get_user(request),
            name=body.name,
            base_model=body.base_model,
            stage=body.stage,
            dataset_ids=body.dataset_ids,
            settings=body.settings,
            adapter_name=body.adapter_name,
        )
    jobs.do_start_job(job)
    return Status(201, job_detail(job))


@router.get("/jobs", response=list[JobOut])
def list_jobs(request: HttpRequest, workspace_id: int | None = None) -> list[dict[str, Any]]:
    """The workspace's jobs, newest first (jobs whose worker died show as interrupted)."""
    workspace = require_workspace(request, workspace_id, Role.VIEWER)
    do_sweep_interrupted_jobs()
    rows = TrainJob.objects.filter(workspace=workspace).select_related("created_by")
    return [job_out(j) for j in rows.prefetch_related("datasets")[:200]]


@router.get("/jobs/{job_id}", response=JobDetail)
def get_job(request: HttpRequest, job_id: str) -> dict[str, Any]:
    """One job: progress, loss curve, evaluation and the last 50 log lines."""
    job = _job(request, job_id)
    if do_sweep_interrupted_jobs():
        job.refresh_from_db()
    return job_detail(job)


@router.post("/jobs/{job_id}/stop", response=JobDetail)
def stop_job(request: HttpRequest, job_id: str) -> dict[str, Any]:
    """Stop a job: it saves a checkpoint, then its status becomes stopped (resumable)."""
    job = _job(request, job_id, Role.EDITOR)
    with _http_errors():
        return job_detail(jobs.do_stop_job(job, get_user(request)))


@router.post("/jobs/{job_id}/resume", response=JobDetail)
def resume_job(request: HttpRequest, job_id: str) -> dict[str, Any]:
    """Queue a stopped, interrupted or failed job again, from its last checkpoint."""
    job = _job(request, job_id, Role.EDITOR)
    with _http_errors():
        return job_detail(jobs.do_resume_job(job))


@router.delete("/jobs/{job_id}", response={204: None})
def delete_job(request: HttpRequest, job_id: str) -> Status[None]:
    """Delete a finished job and its files (admins); its adapter stays registered."""
    job = _job(request, job_id, Role.ADMIN)
    with _http_errors():
        jobs.do_delete_job(job, get_user(request))
    return Status(204, None)


def adapter_out(a: Adapter) -> dict[str, Any]:
    """An adapter as AdapterOut (its folder relative to the data folder)."""
    fields = ("id", "name", "served_name", "base_model", "stage", "created_at")
    return {
        **{f: getattr(a, f) for f in fields},
        "path": shown(a.path),
        "metrics": shown(a.metrics),
        "label": f"{base_label(a.base_model, EMBEDDED_MODEL_NAME)} + {a.name}",
        "job_id": str(a.job_id) if a.job_id else None,
    }


@router.get("/adapters", response=list[AdapterOut])
def list_adapters(request: HttpRequest, workspace_id: int | None = None) -> list[dict[str, Any]]:
    """The workspace's adapters: each is a model of its LLM nodes."""
    workspace = require_workspace(request, workspace_id, Role.VIEWER)
    return [adapter_out(a) for a in Adapter.objects.filter(workspace=workspace)]


@router.delete("/adapters/{adapter_id}", response={204: None})
def delete_adapter(request: HttpRequest, adapter_id: int) -> Status[None]:
    """Delete an adapter (admins); LLM nodes naming it stop finding it."""
    jobs.do_delete_adapter(_adapter(request, adapter_id, Role.ADMIN), get_user(request))
    return Status(204, None)


@router.post("/adapters/{adapter_id}/merge", response=MergeOut)
def merge_adapter(request: HttpRequest, adapter_id: int) -> dict[str, Any]:
    """Merge the adapter into its base model: a full model folder on the server (editors)."""
    adapter = _adapter(request, adapter_id, Role.EDITOR)
    with _http_errors():
        return {"path": shown(str(jobs.do_merge_adapter(adapter)))}


@router.get("/adapters/{adapter_id}/export")
def export_adapter(request: HttpRequest, adapter_id: int) -> FileResponse:
    """The adapter as a zip (PEFT format plus weft_adapter.json) (editors)."""
    adapter = _adapter(request, adapter_id, Role.EDITOR)
    path = jobs.do_export_adapter(adapter)
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"{adapter.name}.zip")


@router.post("/playground", response=PlaygroundOut)
async def playground(
    request: HttpRequest, body: PlaygroundIn, workspace_id: int | None = None
) -> dict[str, Any]:
    """The same prompt to the base model and to the adapter, side by side (editors)."""

    def prepare() -> tuple[Adapter, WorkspaceModels]:
        workspace = require_workspace(request, workspace_id, Role.EDITOR)
        adapter = Adapter.objects.filter(workspace=workspace, name=body.adapter).first()
        if adapter is None:
            raise not_found("adapter")
        return adapter, WorkspaceModels.for_workspace(workspace.pk)

    adapter, models = await sync_to_async(prepare)()
    if adapter.base_model == EMBEDDED_BASE:
        client, base = models.get("embedded"), ""
    elif settings.VLLM_BASE_URL:
        client, base = models.get(VLLM), adapter.base_model
    else:
        raise ApiError("no_provider", 422, "no model server serves this adapter's base model")
    system = [ChatMessage("system", body.system)] if body.system else []
    messages = (*system, ChatMessage("user", body.prompt))

    async def answer(model: str) -> str:
        request = ChatRequest(
            model=model, messages=messages, temperature=body.temperature, max_tokens=body.max_tokens
        )
        return "".join([c.text async for c in client.stream(request) if isinstance(c, TextDelta)])

    base_text, adapter_text = await asyncio.gather(answer(base), answer(adapter.name))
    return {"base": base_text, "adapter": adapter_text}
