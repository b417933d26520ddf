"""App templates: offered by the API and the portal's form, a new app starts from one, and a
template's knowledge node asks for its knowledge base until one is picked (or filled in)."""

from __future__ import annotations

from typing import Any

import pytest

from builder.models import App, Workflow
from builder.templates import (
    CHAT_WITH_DOCUMENTS,
    MULTI_AGENT,
    fill_knowledge_bases,
    template_spec,
)

pytestmark = pytest.mark.django_db


def test_templates_are_listed_and_an_app_starts_from_one(owner: Any, client_for: Any) -> None:
    client = client_for(owner)
    listed = client.get("/api/app-templates").json()
    assert {"id": CHAT_WITH_DOCUMENTS, "mode": "chat"}.items() <= listed[0].items()
    made = client.post(
        "/api/apps",
        {"name": "Docs", "mode": "workflow", "template": CHAT_WITH_DOCUMENTS},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["mode"] == "chat"  # the template's mode wins
    draft = client.get(f"/api/apps/{made.json()['id']}/draft").json()
    types = [n["type"] for n in draft["spec"]["nodes"]]
    assert types == ["start", "knowledge_retrieval", "llm", "answer"]
    llm = draft["spec"]["nodes"][2]["config"]
    assert llm["context"] == {"enabled": True, "variable_selector": ["knowledge", "result"]}
    assert "{{#context#}}" in llm["system_prompt"]
    issues = [(i["node_id"], i["field"]) for i in draft["issues"]]
    assert issues == [("knowledge", "dataset_ids")]  # pick a knowledge base: the one thing left


def test_templates_an_unknown_one_is_refused_naming_the_field(owner: Any, client_for: Any) -> None:
    response = client_for(owner).post(
        "/api/apps", {"name": "x", "template": "nope"}, content_type="application/json"
    )
    assert (response.status_code, response.json()["field"]) == (422, "template")
    assert not App.objects.exists()


def test_templates_filled_knowledge_bases_compile_clean() -> None:
    from runtime.compile import validate
    from runtime.spec import WorkflowSpec

    spec = fill_knowledge_bases(template_spec(CHAT_WITH_DOCUMENTS) or {}, ["kb-1"])
    assert validate(WorkflowSpec.model_validate(spec)) == []


def test_templates_the_portal_form_offers_them(owner: Any, client_for: Any) -> None:
    client = client_for(owner)
    home = client.get("/").content.decode()
    assert f'<option value="{CHAT_WITH_DOCUMENTS}"' in home
    response = client.post("/apps/new/", {"name": "From form", "template": CHAT_WITH_DOCUMENTS})
    assert response.status_code == 302
    app = App.objects.get(name="From form")
    assert Workflow.objects.get(app=app).spec["nodes"][1]["type"] == "knowledge_retrieval"


def test_templates_multi_agent_card_is_listed_and_its_draft_loads(
    owner: Any, client_for: Any
) -> None:
    client = client_for(owner)
    listed = {t["id"]: t for t in client.get("/api/app-templates").json()}
    team = listed[MULTI_AGENT]
    assert [r["name"] for r in team["roles"]] == ["Planner", "Researcher", "Executor", "Evaluator"]
    assert "rounds" in team["card"]
    made = client.post(
        "/api/apps", {"name": "Team", "template": MULTI_AGENT}, content_type="application/json"
    )
    assert made.status_code == 201, made.content
    draft = client.get(f"/api/apps/{made.json()['id']}/draft").json()
    parents = {n["id"]: n.get("parentId") for n in draft["spec"]["nodes"]}
    assert parents["evaluator"] == parents["planner"] == "rounds"
    # Only what the workspace lacks here: no tools app provides tool servers in this test
    assert {i["code"] for i in draft["issues"]} <= {"missing_resource"}
    home = client.get("/").content.decode()
    assert 'data-template="multi-agent"' in home
    assert "Evaluator" in home
