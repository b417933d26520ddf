"""Two workspaces for the security suites: A owns one of everything (each carrying SECRET in its
name), B is the other team. Plus request bodies made from an OpenAPI schema."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

SECRET = "zq-secret-a"


@dataclass
class World:
    """Workspace A's objects, its members, and the other workspace B's owner and app key."""

    owner_a: Any
    viewer_a: Any
    editor_a: Any
    owner_b: Any
    key_a: str
    revoked_key_a: str
    key_b: str
    params: dict[str, Any]

    def fingerprint(self) -> list[Any]:
        """Workspace A's rows as they stand: a refused write leaves this unchanged."""
        return get_fingerprint(self.params["workspace_id"])


STATS = {
    "rows": 1,
    "tokens": 8,
    "min_len": 8,
    "max_len": 8,
    "mean_len": 8.0,
    "over_cutoff": 0,
    "cutoff_len": 1024,
    "histogram": {"edges": [0, 8], "counts": [1]},
    "base_model": "embedded",
    "preview": [],
}


def make_world(make_member: Any, make_app: Any) -> World:
    """Create A's objects (app, version, run, conversation, keys, provider, dataset, job,
    adapter) and B's owner with an app of its own."""
    from builder.keys import do_create_api_key, do_revoke_api_key
    from builder.models import Conversation, Message, ModelProvider, Run, RunSource
    from kernel.models import Workspace
    from portal.invitations import do_invite_member
    from rag.config import default_retrieval, merge_chunking
    from rag.models import Document as KbDocument
    from rag.models import Evaluation, KnowledgeBase
    from tools.models import ToolServer
    from training.models import Adapter, Dataset, TrainJob, training_dir

    owner_a = make_member("owner")
    workspace = owner_a.workspace
    Workspace.objects.filter(pk=workspace.pk).update(name=f"{SECRET} team")
    viewer_a = make_member("viewer", workspace)
    editor_a = make_member("editor", workspace)
    app, key_a = make_app(owner_a, slug=f"{SECRET}-app")
    app.mcp_enabled = True  # its MCP endpoint must refuse bad keys as /v1 does
    app.save(update_fields=["mcp_enabled"])
    revoked, revoked_key_a = do_create_api_key(app, f"{SECRET} key", owner_a.user)
    do_revoke_api_key(revoked)
    conversation = Conversation.objects.create(app=app, end_user="u1", name=f"{SECRET} chat")
    Message.objects.create(conversation=conversation, query=SECRET, answer=SECRET)
    run = Run.objects.create(
        app=app,
        version=app.versions.first(),
        source=RunSource.API,
        status="succeeded",
        answer=SECRET,
        end_user="u1",
        conversation=conversation,
        started_at=timezone.now(),
    )
    ModelProvider.objects.create(
        workspace=workspace, name=f"{SECRET}-llm", kind="openai_compatible", base_url="http://x/v1"
    )
    dataset = Dataset.objects.create(
        workspace=workspace, name=SECRET, format="alpaca", file_name="data.json", stats=STATS
    )
    job = TrainJob.objects.create(
        workspace=workspace,
        name=SECRET,
        adapter_name=SECRET,
        base_model="embedded",
        status="succeeded",
    )
    job.output_dir = str(training_dir() / "jobs" / str(job.pk))  # as do_create_job sets it
    job.save(update_fields=["output_dir"])
    job.datasets.add(dataset)
    adapter_dir = training_dir() / "adapters" / SECRET
    adapter_dir.mkdir(parents=True, exist_ok=True)
    (adapter_dir / "adapter_config.json").write_text("{}")
    adapter = Adapter.objects.create(
        workspace=workspace, name=SECRET, base_model="embedded", path=str(adapter_dir), job=job
    )
    kb = KnowledgeBase.objects.create(
        workspace=workspace,
        name=SECRET,
        chunking=merge_chunking(None, None),
        retrieval=default_retrieval(),
    )
    document = KbDocument.objects.create(
        knowledge_base=kb, name=f"{SECRET}.md", size=6, content_hash="0" * 64, stage="indexed"
    )
    Evaluation.objects.create(
        knowledge_base=kb, status="succeeded", settings={"weight": 0.5, "top_k": 4}
    )
    # a command that is not there: a refresh answers at once, in words, starting nothing
    server = ToolServer.objects.create(
        workspace=workspace, name=SECRET, transport="stdio", command=f"{SECRET}-missing"
    )
    invitation, token = do_invite_member(owner_a, "invitee@example.com", "editor")
    owner_b = make_member("owner")
    _, key_b = make_app(owner_b, slug="team-b-app")
    params = {
        "workspace_id": workspace.pk,
        "app_id": app.pk,
        "number": 1,
        "run_id": str(run.pk),
        "task_id": str(run.pk),
        "key_id": revoked.pk,
        "conversation_id": str(conversation.pk),
        "dataset_id": dataset.pk,
        "job_id": str(job.pk),
        "adapter_id": adapter.pk,
        "member_id": editor_a.pk,
        "invitation_id": invitation.pk,
        "kb_id": str(kb.pk),
        "doc_id": str(document.pk),
        "chunk_id": f"{document.pk}:0",
        "token": token,
        "slug": app.slug,
        "server_id": str(server.pk),
        "provider_name": f"{SECRET}-llm",
    }
    return World(owner_a, viewer_a, editor_a, owner_b, key_a, revoked_key_a, key_b, params)


def get_fingerprint(workspace_id: int) -> list[Any]:
    """Every row of workspace A that a write could change, as plain values."""
    from builder.models import ApiKey, App, AppVersion, Conversation, ModelProvider, Workflow
    from kernel.models import Invitation, Membership
    from rag.models import KnowledgeBase
    from tools.models import ToolServer
    from training.models import Adapter, Dataset, TrainJob

    scoped: list[tuple[Any, tuple[str, ...]]] = [
        (App, ("id", "name", "slug", "description")),
        (ModelProvider, ("id", "name", "base_url")),
        (Dataset, ("id", "name")),
        (TrainJob, ("id", "status", "stop_requested")),
        (Adapter, ("id", "name")),
        (KnowledgeBase, ("id", "name", "retrieval")),
        (ToolServer, ("id", "name", "command", "env", "enabled", "status", "checked_at")),
        (Membership, ("id", "user_id", "role")),
        (Invitation, ("id", "email", "role", "accepted_at", "revoked_at")),
    ]
    rows: list[Any] = [
        list(model.objects.filter(workspace_id=workspace_id).order_by("pk").values_list(*fields))
        for model, fields in scoped
    ]
    by_app: list[tuple[Any, tuple[str, ...]]] = [
        (Workflow, ("revision",)),
        (AppVersion, ("id",)),
        (ApiKey, ("id", "revoked_at")),
        (Conversation, ("id",)),
    ]
    for model, fields in by_app:
        query = model.objects.filter(app__workspace_id=workspace_id).order_by("pk")
        rows.append(list(query.values_list(*fields)))
    return rows


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = document
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def example(schema: dict[str, Any], document: dict[str, Any], fill: dict[str, Any]) -> Any:
    """A small value valid for a JSON Schema; properties named in `fill` take its values."""
    schema = _resolve(schema, document)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [o for o in schema[key] if _resolve(o, document).get("type") != "null"]
            return example(options[0], document, fill)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type", "object")
    if kind == "object":
        props = schema.get("properties", {})
        names = [n for n in props if n in schema.get("required", []) or n in fill]
        return {n: fill[n] if n in fill else example(props[n], document, fill) for n in names}
    if kind == "array":
        return [example(schema.get("items", {}), document, fill)] * schema.get("minItems", 1)
    if kind == "string" and schema.get("format") == "binary":
        return SimpleUploadedFile("data.json", b"[]", content_type="application/json")
    if kind == "string" and "pattern" in schema:
        return next(v for v in ("x", "http://x", "0") if re.search(schema["pattern"], v))
    scalars: dict[str, Any] = {"string": "x" * max(1, schema.get("minLength", 1)), "boolean": False}
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    return scalars.get(kind, "x")
