"""Masking the secrets that traces stored before the engine masked them still hold (a one-off run
by a data migration): each app's runs, node runs and chat messages get the secret values of its
draft and versions replaced by the mask, as a run would show them today."""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from builder.secrets import open_secrets
from kernel.errors import ApiError
from runtime.masking import Masker

# (model, the field that leads to the app, the fields that may hold a value a run emitted)
_TRACE_FIELDS = (
    ("Run", "app_id", ("inputs", "outputs", "answer", "error")),
    ("NodeRun", "run__app_id", ("inputs", "outputs", "error")),
    ("Message", "conversation__app_id", ("answer", "inputs")),
)


def do_mask_old_traces(models: dict[str, type[Model]]) -> int:
    """Mask each app's secrets in its stored traces; `models` by name (Workflow, AppVersion, Run,
    NodeRun, Message: the migration's historical models); returns how many rows changed."""
    changed = 0
    for app_id, values in _secrets_by_app(models["Workflow"], models["AppVersion"]).items():
        masker = Masker(values)
        for name, app_field, fields in _TRACE_FIELDS:
            manager = models[name]._default_manager
            rows = manager.filter(**{app_field: app_id}).values_list("pk", *fields).iterator()
            for pk, *old in rows:
                new = [masker.value(value) for value in old]
                if new != old:
                    manager.filter(pk=pk).update(**dict(zip(fields, new, strict=True)))
                    changed += 1
    return changed


def _secrets_by_app(*spec_models: type[Model]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for model in spec_models:
        for app_id, spec in model._default_manager.values_list("app_id", "spec").iterator():
            for var in _opened_env(spec):
                if var.get("type") == "secret" and var.get("value"):
                    found.setdefault(app_id, set()).add(str(var["value"]))
    return found


def _opened_env(spec: Any) -> list[dict[str, Any]]:
    if not isinstance(spec, dict):
        return []
    try:
        env = open_secrets(spec).get("env")
    except ApiError:  # encrypted under another key: nothing to look for
        return []
    return [v for v in env if isinstance(v, dict)] if isinstance(env, list) else []
