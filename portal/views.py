"""Portal pages: sign in, the apps list with the workspace switcher, an app's page, a run's trace.

Pages render server-side; the interactive parts (test run, publish, keys) call the JSON API.
"""

from __future__ import annotations

import json
from typing import Any

from asgiref.sync import async_to_sync
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST, require_safe

from builder.actions.resume import do_expire_overdue, get_waiting_forms
from builder.actions.workflows import do_create_app
from builder.api_examples import start_variables
from builder.asgi_mcp import mcp_url
from builder.models import App, Message, Run, RunSource, Workflow
from builder.templates import list_templates, template_spec
from builder.trace import trace_lines, trace_of
from kernel.errors import ApiError
from kernel.models import ROLE_RANK, Role
from kernel.workspaces import (
    SESSION_KEY,
    do_set_default_workspace,
    get_current_membership,
    get_membership,
    parse_workspace_id,
)
from portal.web_assets import web_asset_version
from runtime.nodes import registry


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness probe for proxies and `make run`."""
    return JsonResponse({"status": "ok"})


def bad_input(request: HttpRequest, field: str, message: str) -> HttpResponse:
    """A 400 page naming the form field at fault."""
    context = {"title": "Bad request", "field": field, "message": message}
    return render(request, "portal/error.html", context, status=400)


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The apps of the current workspace."""
    membership = request.membership  # type: ignore[attr-defined]  # set by our middleware
    apps = App.objects.filter(workspace=membership.workspace) if membership else App.objects.none()
    context = {
        "apps": apps,
        "templates": list_templates(),
        "asset_version": web_asset_version("portal"),  # the DSL import's script
    }
    return render(request, "portal/home.html", context)


@login_required
@require_POST
def switch_workspace(request: HttpRequest) -> HttpResponse:
    """Make another of the user's workspaces the current one, and where they land next time."""
    workspace_id = parse_workspace_id(request.POST.get("workspace_id", ""))
    if workspace_id is None:
        return bad_input(request, "workspace_id", "Choose one of your workspaces.")
    if get_membership(request.user, workspace_id) is None:  # type: ignore[arg-type]  # signed in
        raise Http404("workspace not found")
    request.session[SESSION_KEY] = workspace_id
    do_set_default_workspace(request.user, workspace_id)  # type: ignore[arg-type]  # signed in
    return redirect("home")


@login_required
@require_POST
def new_app(request: HttpRequest) -> HttpResponse:
    """Create an app in the current workspace (editors and up)."""
    membership = request.membership  # type: ignore[attr-defined]  # set by our middleware
    if not membership or not membership.allows(Role.EDITOR):
        messages.error(request, "Creating apps needs the editor role.")
        return redirect("home")
    mode, spec = request.POST.get("mode", "chat"), None
    template = request.POST.get("template", "")
    if template:
        spec = template_spec(template)
        if spec is None:
            return bad_input(request, "template", "Choose one of the templates offered.")
        mode = spec["mode"]
    try:
        app = do_create_app(
            membership.workspace,
            request.user,  # type: ignore[arg-type]
            request.POST.get("name", ""),
            mode,
            spec=spec,
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


def _form_variables(spec: Any) -> list[dict[str, Any]]:
    """The start variables as the test run form shows them: a list or an object (`json`) is
    typed as JSON text, its default shown as JSON."""
    out = []
    for var in start_variables(spec):
        kind = str(var.get("type", ""))
        if kind == "json_object" or kind.startswith("array"):
            default = var.get("default")
            shown = "" if default is None else json.dumps(default, ensure_ascii=False)
            var = {**var, "json": True, "default": shown}
        out.append(var)
    return out


@login_required
@require_safe
def app_page(request: HttpRequest, app_id: int) -> HttpResponse:
    """Draft status, test run form, versions, API keys and recent runs of one app."""
    app, role = _app_for(request, app_id)
    draft = Workflow.objects.get(app=app)
    context = {
        "app": app,
        "role": role,
        "can_edit": role != Role.VIEWER,
        "draft": draft,
        "start_variables": _form_variables(draft.spec),
        "versions": app.versions.select_related("created_by")[:20],
        "keys": app.api_keys.all(),
        "runs": Run.objects.filter(app=app)[:20],
        "test_form_source": RunSource.PORTAL.label,  # the test form's new rows say it too
        "base_url": request.build_absolute_uri("/v1"),
        "mcp_url": mcp_url(request.build_absolute_uri("/"), app.slug),
        "asset_version": web_asset_version("portal"),
        "inner_run_names": json.dumps(registry.inner_run_names()),
    }
    return render(request, "portal/app.html", context)


@login_required
@ensure_csrf_cookie
@require_safe
def editor_page(request: HttpRequest, app_id: int) -> HttpResponse:
    """The visual workflow editor (a React app built by Vite into static/dist/web)."""
    app, role = _app_for(request, app_id)
    context = {
        "app": app,
        "can_edit": role != Role.VIEWER,
        "asset_version": web_asset_version("editor"),
        "email": request.user.email,  # type: ignore[union-attr]  # login_required
    }
    return render(request, "portal/editor.html", context)


@login_required
@ensure_csrf_cookie
@require_safe
def training_page(request: HttpRequest) -> HttpResponse:
    """The training panel: datasets, LoRA jobs with live curves, adapters (a React page)."""
    return _react_page(request, "training")


@login_required
@ensure_csrf_cookie
@require_safe
def knowledge_page(request: HttpRequest) -> HttpResponse:
    """Knowledge bases: documents and their ingestion, test searches, measured quality (React)."""
    return _react_page(request, "knowledge")


@login_required
@ensure_csrf_cookie
@require_safe
def tools_page(request: HttpRequest) -> HttpResponse:
    """Tools: the workspace's MCP servers and their tools, the built-in servers (React)."""
    return _react_page(request, "tools")


@login_required
@ensure_csrf_cookie
@require_safe
def providers_page(request: HttpRequest) -> HttpResponse:
    """Model providers: the workspace's model servers and the built-in models (React)."""
    return _react_page(request, "providers")


def _react_page(request: HttpRequest, entry: str) -> HttpResponse:
    """A workspace page that is one React entry (`portal/<entry>.html` loads `<entry>.js`): it
    is told whether the member may edit; without a current workspace, the home page."""
    membership = get_current_membership(request)
    if membership is None:
        return redirect("home")
    context = {
        "can_edit": membership.allows(Role.EDITOR),
        "can_admin": membership.allows(Role.ADMIN),
        "asset_version": web_asset_version(entry),
    }
    return render(request, f"portal/{entry}.html", context)


@login_required
@require_safe
def run_page(request: HttpRequest, app_id: int, run_id: str) -> HttpResponse:
    """One run and its per-node trace."""
    app, role = _app_for(request, app_id)
    run = Run.objects.filter(app=app, pk=run_id).select_related("version").first()
    if run is None:
        raise Http404("run not found")
    if get_waiting_forms(run) and async_to_sync(do_expire_overdue)(str(run.pk)):
        run.refresh_from_db()  # its form timed out: it went on as its on_timeout says
    trace = trace_of(run)  # a re-run from a node: the reused nodes first
    # the run keeps no joined metadata: its citations are the succeeded nodes', in order
    citations = [
        cited
        for n, _ in trace
        if n.status == "succeeded"
        for cited in n.metadata.get("retriever_resources", [])
        if isinstance(cited, dict)
    ]
    context = {
        "app": app,
        "run": run,
        "trace": trace,
        "lines": trace_lines(trace),
        "citations": citations,
        "waiting": get_waiting_forms(run),
        "can_answer": ROLE_RANK[Role(role)] >= ROLE_RANK[Role.EDITOR],
        "asset_version": web_asset_version("portal"),  # follows a run that waits or runs
        **_chat_turn(run),
    }
    return render(request, "portal/run.html", context)


def _chat_turn(run: Run) -> dict[str, object]:
    """A chat run's message (the user's query) and conversation, with the turn's number in it;
    a run of a workflow app, or one whose turn is not stored yet, has none."""
    message = Message.objects.filter(run=run).select_related("conversation").first()
    if message is None:
        return {"message": None, "turn": None}
    turn = Message.objects.filter(
        conversation_id=message.conversation_id, created_at__lte=message.created_at
    ).count()
    return {"message": message, "turn": turn}
