"""The audit log's one writer: who changed what in a workspace, for its admins."""

from __future__ import annotations

from typing import Any

from kernel.models import AuditLog, User


def do_audit(
    *,
    workspace_id: int,
    actor: User | None,
    action: str,
    target: str = "",
    data: dict[str, Any] | None = None,
) -> AuditLog:
    """Record `action` (e.g. "app.publish") by `actor` on `target` in a workspace's audit log.

    Call it inside the transaction that makes the change, so the entry exists exactly when the
    change does.
    """
    return AuditLog.objects.create(
        workspace_id=workspace_id, actor=actor, action=action, target=target, data=data or {}
    )
