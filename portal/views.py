"""Portal pages: sign in, the apps list with the workspace switcher, an app's page, a run's trace.

Pages render server-side; the interactive parts (test run, publish, keys) call the JSON API.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from builder.actions.workflows import do_create_app
from builder.errors import ApiError
from builder.models import App, Run, Workflow
from portal.models import Role
from portal.workspaces import SESSION_KEY, get_membership


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness probe for proxies and `make run`."""
    return JsonResponse({"status": "ok"})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The apps of the current workspace."""
    membership = request.membership  # type: ignore[attr-defined]  # set by our middleware
    apps = App.objects.filter(workspace=membership.workspace) if membership else App.objects.none()
    return render(request, "portal/home.html", {"apps": apps})


@login_required
@require_POST
def switch_workspace(request: HttpRequest) -> HttpResponse:
    """Make another of the user's workspaces the current one."""
    workspace_id = int(request.POST.get("workspace_id", "0") or 0)
    if get_membership(request.user, workspace_id) is None:  # type: ignore[arg-type]  # signed in
        raise Http404("workspace not found")
    request.session[SESSION_KEY] = workspace_id
    return redirect("home")


@login_required
@require_POST
def new_app(request: HttpRequest) -> HttpResponse:
    """Create an app in the current workspace (editors and up)."""
    membership = request.membership  # type: ignore[attr-defined]  # set by our middleware
    if not membership or not membership.allows(Role.EDITOR):
        messages.error(request, "Creating apps needs the editor role.")
        return redirect("home")
    try:
        app = do_create_app(
            membership.workspace,
            request.user,  # type: ignore[arg-type]
            request.POST.get("name", ""),
            request.POST.get("mode", "chat"),
        )
    except ApiError as err:
        messages.error(request, err.message)
        return redirect("home")
    return redirect("app", app_id=app.pk)


def _app_for(request: HttpRequest, app_id: int) -> tuple[App, str]:
    app = App.objects.filter(pk=app_id).select_related("workspace").first()
    membership = get_membership(request.user, app.workspace_id) if app else None  # type: ignore[arg-type]
    if app is None or membership is None:
        raise Http404("app not found")
    return app, membership.role


@login_required
def app_page(request: HttpRequest, app_id: int) -> HttpResponse:
    """Draft status, test run form, versions, API keys and recent runs of one app."""
    app, role = _app_for(request, app_id)
    draft = Workflow.objects.get(app=app)
    start = next((n for n in draft.spec.get("nodes", []) if n.get("type") == "start"), None)
    context = {
        "app": app,
        "role": role,
        "can_edit": role != Role.VIEWER,
        "draft": draft,
        "start_variables": (start or {}).get("config", {}).get("variables", []),
        "versions": app.versions.select_related("created_by")[:20],
        "keys": app.api_keys.all(),
        "runs": Run.objects.filter(app=app)[:20],
        "base_url": request.build_absolute_uri("/v1"),
    }
    return render(request, "portal/app.html", context)


@login_required
def run_page(request: HttpRequest, app_id: int, run_id: str) -> HttpResponse:
    """One run and its per-node trace."""
    app, _ = _app_for(request, app_id)
    run = Run.objects.filter(app=app, pk=run_id).select_related("version").first()
    if run is None:
        raise Http404("run not found")
    return render(
        request, "portal/run.html", {"app": app, "run": run, "node_runs": run.node_runs.all()}
    )
