"""A knowledge base's chunking and retrieval settings: stored as JSON, checked, turned into the
core's configs. A value left out takes the core's default for the mode."""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings

from rag import chunking, errors, loader, retrieval
from rag.backends.base import Capabilities
from rag.chunking import ChunkingConfig
from rag.schemas import ChunkingIn, RetrievalIn

DEFAULT_TOP_K = 4  # the knowledge node's default
_GENERAL, _PARENT = chunking.GeneralChunking(), chunking.ParentChildChunking()
_CORE_FIELDS = {
    "chunking.child_size": "chunking.size",
    "chunking.child_overlap": "chunking.overlap",
}


def mode_defaults(mode: str) -> dict[str, Any]:
    """The chunking settings of a mode when nothing is set."""
    if mode == "parent_child":
        return {
            "mode": mode,
            "size": _PARENT.child_size,
            "overlap": _PARENT.child_overlap,
            "separators": [_PARENT.separator],
            "parent_size": _PARENT.parent_size,
        }
    return {
        "mode": mode,
        "size": _GENERAL.size,
        "overlap": _GENERAL.overlap,
        "separators": [_GENERAL.separator],
        "parent_size": _PARENT.parent_size,
    }


def merge_chunking(stored: dict[str, Any] | None, change: ChunkingIn | None) -> dict[str, Any]:
    """`stored` with `change` applied (a new mode starts from its defaults); SettingsError
    names a setting out of range."""
    given = change.model_dump(exclude_none=True) if change else {}
    current = dict(stored or mode_defaults("general"))
    mode = given.get("mode", current.get("mode", "general"))
    base = mode_defaults(mode) if mode != current.get("mode") else current
    merged = {**base, **given, "mode": mode}
    core_config(merged)  # raises SettingsError naming the field
    return merged


def core_config(stored: dict[str, Any]) -> ChunkingConfig:
    """The core's config for stored chunking settings (checked)."""
    values = {**mode_defaults(str(stored.get("mode", "general"))), **stored}
    separator = str(values["separators"][0])
    config: ChunkingConfig
    if values["mode"] == "qa":
        config = chunking.QAChunking()
    elif values["mode"] == "parent_child":
        config = chunking.ParentChildChunking(
            parent_size=int(values["parent_size"]),
            child_size=int(values["size"]),
            child_overlap=int(values["overlap"]),
            separator=separator,
        )
    else:
        config = chunking.GeneralChunking(int(values["size"]), int(values["overlap"]), separator)
    try:
        chunking.check_config(config)
    except errors.SettingsError as exc:
        field = _CORE_FIELDS.get(exc.field or "", exc.field or "chunking")
        message = exc.message.split(": ", 1)[-1]
        raise errors.SettingsError(field, message) from exc
    return config


def default_retrieval() -> dict[str, Any]:
    """Hybrid search at the core's default weight, four chunks, no threshold."""
    return {
        "mode": "hybrid",
        "weight": retrieval.DEFAULT_VECTOR_WEIGHT,
        "top_k": DEFAULT_TOP_K,
        "score_threshold": None,
    }


def merge_retrieval(
    stored: dict[str, Any] | None, change: RetrievalIn | None, capabilities: Capabilities
) -> dict[str, Any]:
    """`stored` with `change` applied; a mode the backend cannot search is refused."""
    merged = {**default_retrieval(), **(stored or {})}
    if change is not None:
        given = change.model_dump(exclude_unset=True)
        merged.update({k: v for k, v in given.items() if v is not None or k == "score_threshold"})
    if merged["mode"] not in {m.value for m in capabilities.modes}:
        raise errors.SettingsError(
            "retrieval.mode", f"this knowledge base's backend cannot search by {merged['mode']}"
        )
    return merged


def max_file_bytes() -> int:
    """The largest file a document may be (WEFT_MAX_DOCUMENT_BYTES)."""
    return int(getattr(django_settings, "WEFT_MAX_DOCUMENT_BYTES", loader.DEFAULT_LIMITS.max_bytes))


def load_limits() -> loader.Limits:
    """The loader's limits with the configured file size."""
    return loader.Limits(max_bytes=max_file_bytes())
