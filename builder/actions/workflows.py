"""Creating apps, saving drafts (optimistic concurrency), publishing and restoring versions."""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from pydantic import ValidationError

from builder.actions._env import split_env
from builder.models import App, AppVersion, Workflow
from builder.published import forget_published
from builder.secrets import seal_secrets, seal_stored
from kernel.audit import do_audit
from kernel.errors import ApiError
from kernel.limits import limits
from kernel.models import User, Workspace
from kernel.resources import offered
from runtime.compile import validate
from runtime.issues import Issue
from runtime.messages import explain_all
from runtime.nodes import registry
from runtime.shapes import GraphReport, graph_report, size_issue
from runtime.spec import WorkflowSpec

log = logging.getLogger(__name__)


def default_spec(mode: str) -> dict[str, Any]:
    """A new app's draft: Start → LLM → Answer (chat, remembering the conversation) or
    Start → LLM → End (workflow)."""
    # A new LLM node's defaults for the mode (chat: the query, with memory), on the embedded model.
    llm_config = {
        **registry.get("llm").default_config("chat" if mode == "chat" else "workflow"),
        "model": {"provider": "embedded", "name": "smollm2-135m-instruct"},
        "system_prompt": "You are a helpful assistant.",
    }
    if mode != "chat":
        llm_config["prompt"] = "{{#start.query#}}"
    start_vars = (
        []
        if mode == "chat"
        else [{"variable": "query", "label": "Query", "type": "paragraph", "required": True}]
    )
    last = (
        {
            "id": "answer",
            "type": "answer",
            "title": "Answer",
            "config": {"answer": "{{#llm.text#}}"},
            "position": {"x": 700, "y": 200},
        }
        if mode == "chat"
        else {
            "id": "end",
            "type": "end",
            "title": "End",
            "config": {"outputs": [{"variable": "text", "value_selector": ["llm", "text"]}]},
            "position": {"x": 700, "y": 200},
        }
    )
    return {
        "schema_version": 1,
        "mode": mode,
        "nodes": [
            {
                "id": "start",
                "type": "start",
                "title": "Start",
                "config": {"variables": start_vars},
                "position": {"x": 100, "y": 200},
            },
            {
                "id": "llm",
                "type": "llm",
                "title": "LLM",
                "config": llm_config,
                "position": {"x": 400, "y": 200},
            },
            last,
        ],
        "edges": [
            {"id": "e1", "source": "start", "target": "llm"},
            {"id": "e2", "source": "llm", "target": last["id"]},
        ],
    }


def parse_spec(raw: Any) -> WorkflowSpec:
    """A WorkflowSpec from JSON; ApiError 422 naming each malformed field."""
    try:
        return WorkflowSpec.model_validate(raw)
    except ValidationError as exc:
        errors = [
            {"field": f, "message": _on_node(raw, f, m)} for f, m in explain_all(WorkflowSpec, exc)
        ]
        first = str(errors[0]["message"]) if errors else "the workflow is malformed"
        raise ApiError("invalid_spec", 422, first, errors=errors) from exc


def _on_node(raw: Any, field: str | None, message: str) -> str:
    """A message about `nodes.<i>.…` names the node by its id, as the editor shows it."""
    parts = (field or "").split(".")
    if len(parts) < 3 or parts[0] != "nodes" or not parts[1].isdigit() or not isinstance(raw, dict):
        return message
    nodes = raw.get("nodes")
    index = int(parts[1])
    if not isinstance(nodes, list) or index >= len(nodes) or not isinstance(nodes[index], dict):
        return message
    node_id = nodes[index].get("id")
    row = f"node {index + 1}"
    if not isinstance(node_id, str) or not node_id:
        return message
    return message.replace(f"({row}, ", f"(node {node_id}, ").replace(
        f"({row})", f"(node {node_id})"
    )


def require_graph_size(spec: WorkflowSpec) -> None:
    """ApiError 422 `graph_too_large` when `spec` has more nodes or edges than the limits allow."""
    cap = limits()
    issue = size_issue(spec, cap.max_graph_nodes, cap.max_graph_edges)
    if issue is not None:
        what = issue.field or "nodes"
        limit = cap.max_graph_nodes if what == "nodes" else cap.max_graph_edges
        raise ApiError("graph_too_large", 422, issue.message, field=f"spec.{what}", limit=limit)


def get_report(spec: WorkflowSpec, workspace_id: int | None = None) -> GraphReport:
    """The graph report of `spec` with what the workspace is offered (a code node where code
    nodes are off is an issue); one over the size limits gets a `graph_too_large` issue."""
    cap = limits()
    return graph_report(spec, cap.max_graph_nodes, cap.max_graph_edges, offered(workspace_id))


def get_stored_report(raw: Any, workspace_id: int | None = None) -> GraphReport:
    """The report of a stored spec, whatever it holds: a saved draft must always load, so a
    spec that no longer parses, or that the checks fail on, is an issue, never an error."""
    try:
        return get_report(parse_spec(raw), workspace_id)
    except ApiError as exc:
        first = (exc.data.get("errors") or [{}])[0]
        msg = f"the stored workflow is malformed: {first.get('message', exc.message)}"
        issue = Issue("invalid_spec", msg, None, first.get("field"))
    except Exception:  # a bug in a check must not lock people out of their app
        log.exception("checking a stored workflow failed")
        issue = Issue("invalid_spec", "the stored workflow could not be checked")
    return GraphReport([issue], {}, {"sys": {}, "env": {}})


def do_create_app(
    workspace: Workspace,
    user: User | None,
    name: str,
    mode: str,
    slug: str = "",
    description: str = "",
    spec: dict[str, Any] | None = None,
) -> App:
    """Create an app with its draft; the slug must be free (it is the API model name)."""
    if mode not in ("chat", "workflow"):
        raise ApiError("invalid_param", 400, "mode must be chat or workflow", field="mode")
    if not name.strip():
        raise ApiError("invalid_param", 400, "name is required", field="name")
    slug = slugify(slug or name)[:60]
    if not slug:
        raise ApiError("invalid_param", 400, "slug must contain letters or digits", field="slug")
    raw = spec or default_spec(mode)
    parsed = parse_spec(raw)
    require_graph_size(parsed)
    draft = seal_secrets(parsed, raw, None).model_dump(mode="json", by_alias=True)
    try:
        with transaction.atomic():
            app = App.objects.create(
                workspace=workspace,
                name=name.strip(),
                slug=slug,
                mode=mode,
                description=description,
                created_by=user,
            )
            Workflow.objects.create(app=app, spec=draft, updated_by=user)
            do_audit(workspace_id=workspace.pk, actor=user, action="app.create", target=slug)
    except IntegrityError as exc:
        raise ApiError("slug_taken", 409, f"the slug {slug!r} is taken", field="slug") from exc
    return app


def do_save_draft(app: App, spec: Any, revision: int, user: User | None) -> tuple[int, GraphReport]:
    """Save a draft if `revision` is still current; returns the new revision and its report.

    Drafts save while incomplete (the issues are returned for the editor to show); only a
    malformed or too large spec is refused (422). A bad env variable refuses only the env part
    (builder/actions/_env.py): the rest saves, and the issue says what to fix. A stale revision
    is refused with 409, never merged. The report is made inside the save's transaction: if it
    fails, nothing is saved.
    """
    stored = Workflow.objects.filter(app=app).values_list("spec", flat=True).first()
    savable, env_issues = split_env(spec, stored)  # a bad env variable refuses only the env
    parsed = parse_spec(savable)
    require_graph_size(parsed)
    if parsed.mode != app.mode:
        raise ApiError(
            "invalid_spec",
            422,
            f"spec mode {parsed.mode!r} does not match the {app.mode} app",
            field="mode",
        )
    with transaction.atomic():
        report = get_report(parsed, app.workspace_id)
        _replace_draft(app, seal_secrets(parsed, savable, stored), revision, user)
    return revision + 1, with_issues(report, env_issues)


def get_draft_report(spec: Any, stored: Any, workspace_id: int | None = None) -> GraphReport:
    """The report on a draft the editor sends (not saved): a bad env variable is an issue, and
    the rest is checked with the `stored` draft's env variables, as a save would keep them."""
    checked, env_issues = split_env(spec, stored)
    parsed = parse_spec(checked)
    require_graph_size(parsed)
    return with_issues(get_report(parsed, workspace_id), env_issues)


def with_issues(report: GraphReport, issues: list[Issue]) -> GraphReport:
    """`report` with `issues` first."""
    if not issues:
        return report
    return GraphReport([*issues, *report.issues], report.nodes, report.globals)


def _replace_draft(app: App, spec: WorkflowSpec, revision: int, user: User | None) -> None:
    """Write `spec` as the draft if `revision` is still current; ApiError 409 when stale."""
    data = spec.model_dump(mode="json", by_alias=True)
    updated = Workflow.objects.filter(app=app, revision=revision).update(
        spec=data, revision=F("revision") + 1, updated_by=user, updated_at=timezone.now()
    )
    if not updated:
        current = Workflow.objects.filter(app=app).values_list("revision", flat=True).first()
        raise ApiError(
            "draft_conflict",
            409,
            "the draft was saved by someone else since you loaded it; reload it first",
            current_revision=current,
            field="revision",
        )


def do_restore_version(app: App, version: AppVersion, revision: int, user: User | None) -> Workflow:
    """Make a published version's spec the draft again (409 when `revision` is stale)."""
    with transaction.atomic():
        _replace_draft(app, parse_spec(seal_stored(version.spec)), revision, user)
        do_audit(
            workspace_id=app.workspace_id,
            actor=user,
            action="app.restore",
            target=app.slug,
            data={"version": version.number, "revision": revision + 1},
        )
    return Workflow.objects.get(app=app)


def do_publish_workflow(app: App, user: User | None, note: str = "") -> AppVersion:
    """Freeze the draft as a new immutable version; refused (422 + issues) if it is invalid."""
    with transaction.atomic():
        draft = Workflow.objects.select_for_update().get(app=app)
        spec = parse_spec(draft.spec)
        require_graph_size(spec)
        issues = validate(spec, offered(app.workspace_id))
        if issues:
            raise ApiError(
                "graph_invalid",
                422,
                f"the draft has {len(issues)} issue(s)",
                issues=[i.to_dict() for i in issues],
            )
        last = AppVersion.objects.filter(app=app).order_by("-number").first()
        version = AppVersion.objects.create(
            app=app,
            number=(last.number + 1) if last else 1,
            spec=seal_stored(draft.spec),
            note=note,
            draft_revision=draft.revision,
            created_by=user,
        )
        do_audit(
            workspace_id=app.workspace_id,
            actor=user,
            action="app.publish",
            target=app.slug,
            data={"version": version.number},
        )
    forget_published(app.pk)
    return version
