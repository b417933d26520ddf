"""The run page's answer to a waiting run: its form posts here, and the run goes on.

A plain HTML form (it works without the editor's script): each field is posted by its name, a
boolean as "true"/"false" from a select. The answers are checked as the API checks them; a bad
one comes back to the run page as a message naming the field, and the run keeps waiting. A page
opened while the run waited may post after someone else answered it: it is told so in words.
"""

from __future__ import annotations

from asgiref.sync import async_to_sync
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from builder.actions.resume import do_resume_run, get_waiting_forms
from builder.models import App, Run, RunStatus
from kernel.errors import ApiError
from kernel.models import Role
from kernel.workspaces import get_membership


@login_required
@require_POST
def resume_run(request: HttpRequest, app_id: int, run_id: str) -> HttpResponse:
    """Answer a waiting run's form from the run page, wait for the run, show it again."""
    app = App.objects.filter(pk=app_id).first()
    membership = get_membership(request.user, app.workspace_id) if app else None  # type: ignore[arg-type]
    if app is None or membership is None or not membership.allows(Role.EDITOR):
        raise PermissionDenied("answering a run needs the editor role")
    node_id = request.POST.get("node_id") or None
    run = Run.objects.filter(pk=run_id, app=app).first()
    forms = get_waiting_forms(run) if run is not None else []
    form = next((f for f in forms if node_id in (None, f.node_id)), None)
    names = [f.name for f in form.fields] if form is not None else []
    answers = {name: request.POST.get(name, "") for name in names}
    try:
        async_to_sync(_resume)(app, str(run_id), answers, node_id, request.user)
    except ApiError as err:
        messages.error(request, _stale(err) or err.message)
    return redirect("run", app.pk, run_id)


def _stale(err: ApiError) -> str | None:
    """What a form posted after the run stopped waiting says (None for other refusals)."""
    if err.code != "run_not_waiting":
        return None
    status = str(err.data.get("run_status", ""))
    now = RunStatus(status).label.lower() if status in RunStatus.values else status
    return (
        f"This run is no longer waiting for an answer: it was answered elsewhere (or its form "
        f"timed out) and is {now} now. Your answer was not used."
    )


async def _resume(app: App, run_id: str, answers: dict[str, str], node_id: str | None,
                  user: object) -> None:  # fmt: skip
    handle = await do_resume_run(app, run_id, answers, node_id, user)  # type: ignore[arg-type]
    await handle.wait()
