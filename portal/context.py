"""Template context: the current membership and the workspace switcher's list."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kernel.workspaces import get_memberships


def workspace(request: HttpRequest) -> dict[str, Any]:
    """The current membership and all memberships of a signed-in user."""
    if not request.user.is_authenticated:
        return {}
    membership = getattr(request, "membership", None)
    return {
        "membership": membership if membership else None,
        "memberships": get_memberships(request.user),
    }
