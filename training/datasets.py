"""Dataset actions: upload (every row checked, all or nothing), dataset_info.json import, delete.

A file is validated by the trainer's own reader (`training.formats`) before anything is stored,
so a dataset that uploads is one the trainer accepts. Its length statistics and preview come from
`training.data` with the chosen base model's tokenizer and chat template.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from kernel.audit import do_audit
from kernel.models import User, Workspace
from kernel.paths import UnsafePathError, resolve_inside
from training.assets import fill_identity, load_asset
from training.config import Columns, DatasetRef, Tags
from training.data import dataset_stats, load_tokenizer, preview
from training.errors import (
    BaseModelError,
    ConflictError,
    DatasetError,
    EmptyDatasetError,
    RefusedError,
    TrainingError,
)
from training.formats import (
    convert_rows,
    detect_format,
    detect_ranking,
    read_dataset_info,
    read_rows,
)
from training.models import ACTIVE_STATUSES, Dataset, training_dir

EMBEDDED = "embedded"
PREVIEW_ROWS = 3


def offered_base_models() -> dict[str, Path]:
    """The local base models an instance admin offers: id → folder ("embedded" aside).

    WEFT_TRAINING_BASE_MODELS names folders one by one; each folder under a WEFT_MODEL_ROOTS root
    that holds a config.json is offered too. An id is the folder's path, as jobs store it.
    """
    found = {p: Path(p) for p in settings.WEFT_TRAINING_BASE_MODELS}
    for root in map(Path, settings.WEFT_MODEL_ROOTS):
        if root.is_dir():
            for folder in sorted(root.iterdir()):
                if (folder / "config.json").is_file():
                    found.setdefault(str(folder), folder)
    return found


def resolve_base_model(base_model: str) -> Path:
    """The folder of a base model the instance offers: "embedded", or one an admin configured.

    Anything else is refused with one BaseModelError (`bad_base_model`), whether that path exists
    or not.
    """
    if base_model == EMBEDDED:
        if settings.WEFT_EMBEDDED_MODEL:
            return Path(settings.WEFT_EMBEDDED_MODEL)
        from runtime.llm._convert import ensure_converted

        return ensure_converted(Path(settings.WEFT_MODELS_DIR), progress=lambda *_: None)
    offered = offered_base_models().get(base_model)
    if offered is not None:
        return offered
    raise BaseModelError("base_model: not a model this instance offers (pick one from the options)")


def user_path(root: Path, name: Path | str, *, field: str) -> Path:
    """`name` resolved inside `root` (kernel.paths' rule), else refused as `bad_path` on `field`."""
    try:
        return resolve_inside(root, name, field=field)
    except UnsafePathError as exc:
        raise RefusedError(exc.code, exc.message, field=field) from None


@lru_cache(maxsize=4)
def _tokenizer(folder: str) -> Any:
    return load_tokenizer(Path(folder))


def get_tokenizer(base_model: str) -> Any:
    """The base model's tokenizer (cached per folder)."""
    try:
        return _tokenizer(str(resolve_base_model(base_model)))
    except TrainingError as exc:
        raise base_model_refused(exc) from exc


def base_model_refused(exc: TrainingError) -> RefusedError:
    """A base model that cannot be used, refused naming the `base_model` field."""
    return RefusedError("bad_base_model", exc.message, field="base_model")


def _safe_name(name: str) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name).strip("._") or "data"
    return base if base.endswith((".json", ".jsonl")) else f"{base}.jsonl"


@contextmanager
def _scratch() -> Iterator[Path]:
    root = training_dir() / "tmp"
    root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=root))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _dataset_error(exc: TrainingError, name: str, field: str) -> RefusedError:
    """A bad dataset file refused; `field` is the request field (or file) it came in."""
    if isinstance(exc, DatasetError):
        problems = [{"row": p.row, "field": p.field, "message": p.message} for p in exc.problems]
        message = str(exc).replace(exc.path, name, 1)
        return RefusedError("bad_dataset", message, field=field, problems=problems, total=exc.total)
    code = "empty_dataset" if isinstance(exc, EmptyDatasetError) else exc.code
    return RefusedError(code, exc.message, field=field, problems=[], total=0)


def _check(
    path: Path, ref: DatasetRef, name: str, base_model: str, cutoff: int, *, field: str
) -> dict[str, Any]:
    """Validate every row of `path`; return the Dataset fields (format, ranking, rows, stats).

    A bad file is refused naming `field`, the request field or file it was uploaded as.
    """
    tokenizer = get_tokenizer(base_model)
    try:
        rows = read_rows(path)
        examples = convert_rows(rows, ref, name=name)
    except TrainingError as exc:
        raise _dataset_error(exc, name, field) from exc
    stats: dict[str, Any] = dict(dataset_stats(examples, tokenizer, cutoff))
    stats["preview"] = preview(examples, tokenizer, PREVIEW_ROWS)
    stats["base_model"] = base_model
    return {
        "format": detect_format(rows, ref.columns) if ref.format == "auto" else ref.format,
        "ranking": detect_ranking(rows, ref.columns) if ref.ranking is None else ref.ranking,
        "rows": stats["rows"],
        "tokens": stats["tokens"],
        "stats": stats,
    }


def _store(
    workspace: Workspace, user: User | None, name: str, source: Path, fields: dict[str, Any]
) -> Dataset:
    try:
        with transaction.atomic():
            dataset = Dataset.objects.create(
                workspace=workspace,
                name=name,
                file_name=source.name,
                size_bytes=source.stat().st_size,
                created_by=user,
                **fields,
            )
            dataset.folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dataset.path)
    except IntegrityError as exc:
        raise ConflictError("name_taken", f"a dataset {name!r} exists", field="name") from exc
    return dataset


def do_upload_dataset(
    workspace: Workspace,
    user: User | None,
    name: str,
    file_name: str,
    content: bytes,
    fmt: str = "auto",
    *,
    base_model: str = EMBEDDED,
    cutoff_len: int = 1024,
) -> Dataset:
    """Check every row of an uploaded alpaca/sharegpt file (JSON or JSONL) and store it.

    A bad row is refused as `bad_dataset`, listing the first problems by row index and
    field; nothing is stored then. `fmt` "auto" detects the format from the rows.
    """
    _unique_name(workspace, name)
    with _scratch() as scratch:
        path = scratch / _safe_name(file_name)
        path.write_bytes(content)
        ref = DatasetRef(path=path, format=fmt)
        fields = _check(path, ref, name, base_model, cutoff_len, field="file")
        return _store(workspace, user, name, path, fields)


def do_create_identity_dataset(
    workspace: Workspace,
    user: User | None,
    assistant_name: str,
    author: str,
    *,
    name: str = "",
    base_model: str = EMBEDDED,
    cutoff_len: int = 1024,
) -> Dataset:
    """The shipped identity tutorial (alpaca, 128 rows) with the name and makers filled in."""
    for field, label, value in (
        ("assistant_name", "Assistant name", assistant_name),
        ("author", "Author", author),
    ):
        if not value.strip():  # the schema took " ": said on the field it is in
            raise RefusedError("invalid_param", f"{label}: fill this in", field=field)
    rows = fill_identity(load_asset("identity"), assistant_name, author)
    content = json.dumps(rows, ensure_ascii=False, indent=1).encode()
    title = name or f"Identity: {assistant_name.strip()}"
    return do_upload_dataset(
        workspace,
        user,
        title,
        "identity.json",
        content,
        "alpaca",
        base_model=base_model,
        cutoff_len=cutoff_len,
    )


def _unique_name(workspace: Workspace, name: str) -> None:
    if Dataset.objects.filter(workspace=workspace, name=name).exists():
        raise ConflictError("name_taken", f"a dataset {name!r} exists", field="name")


def do_import_dataset_info(
    workspace: Workspace,
    user: User | None,
    info: bytes,
    files: Mapping[str, bytes],
    *,
    base_model: str = EMBEDDED,
    cutoff_len: int = 1024,
) -> list[Dataset]:
    """Import the local datasets of a LLaMA-Factory dataset_info.json, with their files.

    Every entry whose file was uploaded is checked first; any problem refuses the whole import
    , so it adds all of its datasets or none. Hub-only entries are skipped.
    """
    with _scratch() as scratch:
        for file_name, content in files.items():
            (scratch / Path(file_name).name).write_bytes(content)
        (scratch / "dataset_info.json").write_bytes(info)
        try:
            refs = read_dataset_info(scratch / "dataset_info.json")
        except TrainingError as exc:
            raise _dataset_error(exc, "dataset_info.json", "dataset_info.json") from exc
        if not refs:
            raise RefusedError("empty_dataset", "dataset_info.json names no local dataset file")
        checked = []
        for name, found in refs.items():
            path = user_path(scratch, found.path, field=f"{name}.file_name")
            ref = found.model_copy(update={"path": path})
            if not ref.path.is_file():
                raise RefusedError(
                    "missing_file", f"{name}: {ref.path.name} was not uploaded", field=name
                )
            _unique_name(workspace, name)
            fields = _check(ref.path, ref, name, base_model, cutoff_len, field=ref.path.name)
            checked.append((name, ref, fields))
        with transaction.atomic():
            return [_imported(workspace, user, *item) for item in checked]


def _imported(
    workspace: Workspace, user: User | None, name: str, ref: DatasetRef, fields: dict[str, Any]
) -> Dataset:
    columns = ref.columns.model_dump(exclude_defaults=True)
    tags = ref.tags.model_dump(exclude_defaults=True) if ref.tags else {}
    extra = {"columns": columns, "tags": tags}
    return _store(workspace, user, name, ref.path, {**fields, **extra})


def dataset_ref(dataset: Dataset) -> DatasetRef:
    """The job.json entry of a stored dataset."""
    return DatasetRef(
        path=dataset.path,
        format=dataset.format,
        columns=Columns(**dataset.columns),
        tags=Tags(**dataset.tags) if dataset.tags else None,
        ranking=dataset.ranking,
    )


def do_delete_dataset(dataset: Dataset, user: User | None) -> None:
    """Delete a dataset and its file; refused (a conflict) while a queued or running job uses it."""
    if dataset.jobs.filter(status__in=ACTIVE_STATUSES).exists():
        raise ConflictError("dataset_in_use", "a queued or running job uses this dataset")
    folder = dataset.folder
    with transaction.atomic():
        do_audit(
            workspace_id=dataset.workspace_id,
            actor=user,
            action="dataset.delete",
            target=dataset.name,
        )
        dataset.delete()
    shutil.rmtree(folder, ignore_errors=True)
