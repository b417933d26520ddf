"""Workspace providers saved under the built-in embedded model's name before that name was
refused (a one-off run by a data migration): such a row hid the built-in provider from every
node of its workspace. Each is renamed `embedded-2` (or the next number free in its workspace),
and the workspace's drafts and versions follow it, so every node keeps the server it ran on;
the audit log records the rename."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Model

from builder.provider_usage import with_provider_renamed
from kernel.chat_models import EMBEDDED

AUDIT_ACTION = "providers.rename"


def do_rename_builtin_named_providers(models: dict[str, type[Model]]) -> list[tuple[int, str]]:
    """Rename each workspace provider named as the embedded model, with its references;
    `models` by name (ModelProvider, Workflow, AppVersion, AuditLog: the migration's historical
    models); returns (workspace id, new name) for each row renamed."""
    providers = models["ModelProvider"]._default_manager
    renamed = []
    found = providers.filter(name=EMBEDDED).order_by("pk").values_list("pk", "workspace_id")
    for pk, workspace_id in list(found):
        taken = set(providers.filter(workspace_id=workspace_id).values_list("name", flat=True))
        new = _free_name(EMBEDDED, taken)
        providers.filter(pk=pk).update(name=new)
        # a draft changed grows a revision, so an editor still open on it cannot save it back
        drafts = _rename_in_specs(
            models["Workflow"], workspace_id, new, ("app__slug",), revision=F("revision") + 1
        )
        versions = _rename_in_specs(
            models["AppVersion"], workspace_id, new, ("app__slug", "number")
        )
        models["AuditLog"]._default_manager.create(
            workspace_id=workspace_id,
            actor=None,
            action=AUDIT_ACTION,
            target=new,
            data={
                "from": EMBEDDED,
                "to": new,
                "reason": f"{EMBEDDED!r} is the built-in embedded model's name",
                "drafts": [slug for (slug,) in drafts],
                "versions": [f"{slug} v{number}" for slug, number in versions],
            },
        )
        renamed.append((workspace_id, new))
    return renamed


def _free_name(base: str, taken: set[str]) -> str:
    """`base`-2, -3, ...: the first not in `taken`."""
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _rename_in_specs(
    model: type[Model], workspace_id: int, new: str, label: tuple[str, ...], **also: Any
) -> list[tuple[Any, ...]]:
    """Point the workspace's specs in `model`'s rows (drafts or versions) at `new`, updating
    `also` in each row changed; the `label` fields of those rows, for the audit entry."""
    manager = model._default_manager
    rows = manager.filter(app__workspace_id=workspace_id).order_by(*label)
    changed = []
    for pk, spec, *named in rows.values_list("pk", "spec", *label).iterator():
        moved = with_provider_renamed(spec, EMBEDDED, new)
        if moved is not spec:
            manager.filter(pk=pk).update(spec=moved, **also)
            changed.append(tuple(named))
    return changed
