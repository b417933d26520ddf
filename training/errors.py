"""Training's errors, below the HTTP layer.

Trainer errors (`TrainingError` and its kinds) carry the `code` of the progress `error` event
they become (README). Refusals of the web side's actions (`RefusedError`: a bad request field;
`ConflictError`: not in the object's present state) carry the code, message and field of the
API's error response; only training/api.py turns them into HTTP (422 and 409).
"""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple


class TrainingError(Exception):
    """Root of trainer errors; `code` and `setting` go into the `error` event."""

    code: ClassVar[str] = "crash"

    def __init__(self, message: str, *, setting: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.setting = setting


class TrainingConfigError(TrainingError, ValueError):
    """A setting in job.json is invalid; `setting` names the field (dotted for nested ones)."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(f"{setting}: {message}", setting=setting)


class Problem(NamedTuple):
    """One thing wrong with a dataset: the 0-based row index (None: the whole file), field, why."""

    row: int | None
    field: str
    message: str


class DatasetError(TrainingError, ValueError):
    """A dataset file has malformed rows; `problems` lists the first ones, `total` counts all."""

    code = "bad_dataset"
    max_problems: ClassVar[int] = 20

    def __init__(self, path: str, problems: list[Problem], total: int | None = None) -> None:
        self.path = path
        self.problems = problems[: self.max_problems]
        self.total = max(total or 0, len(problems))
        first = self.problems[0]
        where = "file" if first.row is None else f"row {first.row}"
        more = f" (and {self.total - 1} more problems)" if self.total > 1 else ""
        super().__init__(f"{path}: {where}, field {first.field!r}: {first.message}{more}")


class EmptyDatasetError(TrainingError, ValueError):
    """No training rows are left (all over `cutoff_len`, or nothing after filtering)."""

    code = "empty_dataset"


class RowTooLongError(TrainingError, ValueError):
    """Rows are longer than `cutoff_len`: a cut answer would teach stopping mid-sentence."""

    code = "row_too_long"

    def __init__(self, message: str) -> None:
        super().__init__(message, setting="cutoff_len")


class BaseModelError(TrainingError, ValueError):
    """The base model folder is missing or not a loadable Hugging Face model."""

    code = "bad_base_model"

    def __init__(self, message: str) -> None:
        super().__init__(message, setting="base_model")


class OutOfMemoryError(TrainingError):
    """The device ran out of memory; `setting` says what to lower (batch_size, then cutoff_len)."""

    code = "out_of_memory"


class DiskFullError(TrainingError, OSError):
    """Saving a checkpoint or the adapter hit ENOSPC; earlier checkpoints are left intact."""

    code = "disk_full"


class ComputeTypeError(TrainingError):
    """The chosen compute type failed at the first step; the trainer retries with a safer one."""

    def __init__(self, message: str, compute_type: str) -> None:
        super().__init__(message, setting="compute_type")
        self.compute_type = compute_type


class RefusedError(Exception):
    """A training action refused: a stable `code`, a `message` and the request `field` it names.

    `data` is the rest of the error response (`field` first, then e.g. a dataset's `problems`).
    """

    def __init__(self, code: str, message: str, *, field: str | None = None, **data: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.data: dict[str, Any] = {"field": field, **data} if field is not None else dict(data)


class ConflictError(RefusedError):
    """Refused for the present state of the object (a name taken, a job still running, ...)."""
