"""Migration 0014: a workspace provider saved as `embedded` (the built-in embedded model's name,
refused since) is renamed with its references, so it no longer hides the built-in one."""

from __future__ import annotations

from importlib import import_module
from typing import Any

import pytest
from django.apps import apps

from builder.models import AppVersion, ModelProvider, Workflow
from kernel.models import AuditLog

pytestmark = [pytest.mark.django_db, pytest.mark.services]

MIGRATION = import_module("builder.migrations.0014_rename_builtin_named_providers")


def _spec(provider: str) -> dict[str, Any]:
    """Start → LLM on `provider` → Agent (its model on `provider`, a classifier on "gpu")."""
    return {
        "mode": "chat",
        "nodes": [
            {"id": "start", "type": "start", "config": {"variables": []}},
            {
                "id": "llm",
                "type": "llm",
                "config": {"model": {"provider": provider, "name": "m"}, "prompt": "hi"},
            },
            {
                "id": "agent",
                "type": "agent",
                "config": {
                    "model": {"provider": provider, "name": "m"},
                    "deeper": [{"model": {"provider": "gpu", "name": "g"}}],
                },
            },
        ],
        "edges": [],
    }


def _provider(workspace: Any, name: str) -> None:
    ModelProvider.objects.create(
        workspace=workspace, name=name, kind="vllm", base_url="http://gpu.example/v1"
    )


def _app_on(make_app: Any, member: Any, slug: str, provider: str) -> Any:
    """An app whose draft and published version both name `provider` (as stored before)."""
    app, _ = make_app(member, slug=slug)
    Workflow.objects.filter(app=app).update(spec=_spec(provider))
    AppVersion.objects.filter(app=app).update(spec=_spec(provider))
    return app


def _migrate() -> None:
    MIGRATION.rename(apps, None)


def test_provider_named_embedded_is_renamed_with_its_references(
    make_member: Any, make_app: Any
) -> None:
    member = make_member()
    _provider(member.workspace, "embedded")
    _provider(member.workspace, "embedded-2")  # taken: the row becomes embedded-3
    _provider(member.workspace, "gpu")
    app = _app_on(make_app, member, "mine", "embedded")
    revision = Workflow.objects.get(app=app).revision

    _migrate()

    names = set(ModelProvider.objects.filter(workspace=member.workspace).values_list("name"))
    assert names == {("embedded-2",), ("embedded-3",), ("gpu",)}
    for stored in (Workflow.objects.get(app=app).spec, AppVersion.objects.get(app=app).spec):
        assert stored == _spec("embedded-3") != _spec("embedded")
        assert stored["nodes"][2]["config"]["deeper"][0]["model"]["provider"] == "gpu"
    assert Workflow.objects.get(app=app).revision == revision + 1  # an open editor must reload
    entry = AuditLog.objects.get(workspace=member.workspace, action="providers.rename")
    assert (entry.actor, entry.target) == (None, "embedded-3")
    assert entry.data["from"] == "embedded"
    assert (entry.data["drafts"], entry.data["versions"]) == (["mine"], ["mine v1"])


def test_rename_leaves_other_workspaces_and_runs_once(make_member: Any, make_app: Any) -> None:
    renamed, other = make_member(), make_member()
    _provider(renamed.workspace, "embedded")
    mine = _app_on(make_app, renamed, "mine", "embedded")
    builtin = _app_on(make_app, other, "theirs", "embedded")  # the built-in: no row of theirs

    _migrate()
    _migrate()  # nothing named embedded is left to rename

    assert Workflow.objects.get(app=mine).spec == _spec("embedded-2")
    assert Workflow.objects.get(app=builtin).spec == _spec("embedded")
    assert AppVersion.objects.get(app=builtin).spec == _spec("embedded")
    assert Workflow.objects.get(app=builtin).revision == 1
    assert AuditLog.objects.filter(action="providers.rename").count() == 1
    assert not AuditLog.objects.filter(workspace=other.workspace, action="providers.rename")
