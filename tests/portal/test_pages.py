"""Portal pages through the Django test client: sign-in, membership scoping, viewer restrictions."""

from __future__ import annotations

import re
from html import unescape as html_unescape
from typing import Any

import pytest

from builder.models import NodeRun, Run, RunSource, RunStatus

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path", ["/", "/apps/1/", "/apps/1/runs/00000000-0000-0000-0000-000000000001/"]
)
def test_pages_redirect_anonymous_users_to_login(client: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_login_page_renders_and_signs_in(client: Any, owner: Any) -> None:
    page = client.get("/login/")
    assert page.status_code == 200
    assert b'name="username"' in page.content
    response = client.post("/login/", {"username": owner.user.email, "password": "pw-12345!"})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_login_page_shows_error_for_a_wrong_password(client: Any, owner: Any) -> None:
    response = client.post("/login/", {"username": owner.user.email, "password": "nope"})
    assert response.status_code == 200
    assert b"alert-error" in response.content


def test_home_lists_workspace_apps_with_switcher(
    client_for: Any, owner: Any, make_member: Any, make_app: Any
) -> None:
    make_app(owner, slug="helpdesk")
    other = make_member("owner")
    make_app(other, slug="not-mine")
    client = client_for(owner)
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "helpdesk" in html
    assert "not-mine" not in html
    assert "v1 published" in html
    assert 'action="/apps/new/"' in html
    assert 'action="/workspaces/switch/"' in html
    assert owner.workspace.name in html
    assert owner.user.email in html


def test_home_escapes_app_names(client_for: Any, owner: Any, make_app: Any) -> None:
    app, _ = make_app(owner, slug="xss")
    app.name = "<script>alert(1)</script>"
    app.save()
    html = client_for(owner).get("/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_new_app_form_creates_an_app_and_opens_it(client_for: Any, owner: Any) -> None:
    client = client_for(owner)
    response = client.post("/apps/new/", {"name": "Trip planner", "mode": "workflow"})
    assert response.status_code == 302
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "Trip planner" in html
    assert 'id="in-query"' in html  # the workflow starter's start variable became a field


def test_app_page_renders_for_an_editor(client_for: Any, make_member: Any, make_app: Any) -> None:
    owner = make_member("owner")
    app, _ = make_app(owner, slug="bot")
    editor = make_member("editor", workspace=owner.workspace)
    html = client_for(editor).get(f"/apps/{app.pk}/").content.decode()
    assert 'id="publish-button"' in html
    assert 'id="run-form"' in html
    assert 'id="key-form"' in html
    # the forms post through the page's scripts: until they load, their buttons do nothing
    for button in ("run-button", "publish-button", "key-button"):
        assert f'id="{button}" disabled data-needs-script' in html
    assert "r1" in html
    assert "v1" in html
    # the MCP switch, off by default, with the URL the app would be served at
    assert '<input type="checkbox" id="mcp-enabled">' in html
    assert 'data-mcp-url="http://testserver/mcp/server/bot/mcp"' in html
    assert '<div id="mcp-details" hidden>' in html


def test_app_page_test_form_takes_a_list_as_json_text(
    client_for: Any, owner: Any, make_app: Any
) -> None:
    from tests.specs import echo_workflow_spec

    spec = echo_workflow_spec()
    spec["nodes"][0]["config"]["variables"].append(
        {"variable": "tags", "type": "array[string]", "default": ["a", "b"]}
    )
    app, _ = make_app(owner, spec=spec, mode="workflow")
    html = client_for(owner).get(f"/apps/{app.pk}/").content.decode()
    area = re.search(r'<textarea id="in-tags"[^>]*>([^<]*)</textarea>', html)
    assert area is not None, html
    assert 'data-var-type="json"' in area.group(0)
    assert html_unescape(area.group(1)) == '["a", "b"]'  # JSON, which the start node reads


def test_app_page_is_404_for_a_non_member(client_for: Any, make_member: Any, make_app: Any) -> None:
    owner = make_member("owner")
    app, _ = make_app(owner, slug="secret")
    stranger = make_member("owner")
    assert client_for(stranger).get(f"/apps/{app.pk}/").status_code == 404


def test_viewer_sees_no_edit_controls(client_for: Any, make_member: Any, make_app: Any) -> None:
    owner = make_member("owner")
    app, _ = make_app(owner, slug="readonly")
    viewer = make_member("viewer", workspace=owner.workspace)
    client = client_for(viewer)
    html = client.get(f"/apps/{app.pk}/").content.decode()
    assert "Versions" in html
    for control in (
        'id="publish-button"',
        'id="run-form"',
        'id="key-form"',
        "data-revoke",
        'id="mcp-enabled"',
        'action="/apps/new/"',
    ):
        assert control not in html
    assert 'action="/apps/new/"' not in client.get("/").content.decode()


def _run_with_trace(app: Any) -> Run:
    from django.utils import timezone

    run = Run.objects.create(
        app=app,
        source=RunSource.DRAFT,
        status=RunStatus.FAILED,
        inputs={"q": "<b>hi</b>"},
        error_code="LLMUnavailableError",
        error="model down",
        failed_node_id="llm",
        started_at=timezone.now(),
        elapsed_ms=42,
    )
    NodeRun.objects.create(
        run=run,
        node_id="start",
        node_type="start",
        title="Start",
        index=1,
        status="succeeded",
        outputs={"q": "<b>hi</b>"},
        elapsed_ms=1,
    )
    NodeRun.objects.create(
        run=run,
        node_id="llm",
        node_type="llm",
        title="LLM",
        index=2,
        status="failed",
        error_code="LLMUnavailableError",
        error="model down",
    )
    return run


def test_run_page_shows_the_trace(client_for: Any, owner: Any, make_app: Any) -> None:
    app, _ = make_app(owner, slug="traced")
    run = _run_with_trace(app)
    client = client_for(owner)
    html = client.get(f"/apps/{app.pk}/runs/{run.pk}/").content.decode()
    assert "LLMUnavailableError" in html
    assert "status-failed" in html
    assert "<b>hi</b>" not in html  # JSON goes through json_script, escaped
    app_html = client.get(f"/apps/{app.pk}/").content.decode()
    assert f"/apps/{app.pk}/runs/{run.pk}/" in app_html


def test_run_page_shows_the_citations_of_the_run_and_of_each_node(
    client_for: Any, owner: Any, make_app: Any
) -> None:
    app, _ = make_app(owner, slug="cited")
    run = _run_with_trace(app)
    cited = {
        "position": 1,
        "content": "Cats <i>purr</i> " + "when content. " * 30,
        "score": 0.918,
        "document_id": "doc-1",
        "document_name": "cats.md",
        "dataset_name": "Pets",
    }
    run.node_runs.filter(node_id="start").update(
        metadata={"retriever_resources": [cited], "agent_steps": ["<b>looked</b>"]}
    )
    html = client_for(owner).get(f"/apps/{app.pk}/runs/{run.pk}/").content.decode()
    assert html.count('<li class="citation">') == 2  # under the answer and in the node's details
    assert html.count("<strong>cats.md</strong>") == 2
    assert '<span class="citation-score">0.92</span>' in html
    assert "Cats &lt;i&gt;purr&lt;/i&gt; when content." in html  # escaped
    snippets = re.findall(r'<p class="citation-text"[^>]*>([^<]*)</p>', html)
    assert len(snippets) == 2
    assert all(len(html_unescape(t)) == 200 and t.endswith("…") for t in snippets)
    assert "<h4>agent_steps</h4>" in html
    assert "<b>looked</b>" not in html  # other keys go through json_script, escaped


def test_run_page_without_metadata_shows_no_citations(
    client_for: Any, owner: Any, make_app: Any
) -> None:
    app, _ = make_app(owner, slug="plain")
    run = _run_with_trace(app)
    html = client_for(owner).get(f"/apps/{app.pk}/runs/{run.pk}/").content.decode()
    assert 'class="citations"' not in html
    assert "detail-meta" not in html


def test_run_page_is_404_for_a_non_member(client_for: Any, make_member: Any, make_app: Any) -> None:
    owner = make_member("owner")
    app, _ = make_app(owner, slug="private")
    run = _run_with_trace(app)
    stranger = make_member("owner")
    assert client_for(stranger).get(f"/apps/{app.pk}/runs/{run.pk}/").status_code == 404


def test_workspace_switch_changes_the_listed_apps(
    client_for: Any, make_member: Any, make_app: Any
) -> None:
    first = make_member("owner")
    make_app(first, slug="first-app")
    second = make_member("owner")
    make_app(second, slug="second-app")
    second_for_first_user = type(first).objects.create(
        user=first.user, workspace=second.workspace, role="viewer"
    )
    client = client_for(first)
    response = client.post(
        "/workspaces/switch/", {"workspace_id": second_for_first_user.workspace_id}
    )
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert "second-app" in html
    assert "first-app" not in html
