"""The builder's own lookups under the kernel's workspace scoping (kernel/access.py)."""

from __future__ import annotations

from django.http import HttpRequest

from builder.models import App
from kernel.access import require_role_over
from kernel.errors import not_found
from kernel.models import Role


def require_app(request: HttpRequest, app_id: int, role: str = Role.VIEWER) -> App:
    """An app of a workspace the caller belongs to, with at least `role` there (else 404/403)."""
    app = App.objects.select_related("workspace").filter(pk=app_id).first()
    if app is None:
        raise not_found("app")
    require_role_over(request, app.workspace_id, role, "app")
    return app
