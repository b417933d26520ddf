"""The built pages (editor, training panel, knowledge bases, app page script): shown to members, not
outsiders."""

from __future__ import annotations

from typing import Any

import pytest

from portal import web_assets

pytestmark = pytest.mark.django_db


def test_editor_page_mounts_the_built_editor_for_members(
    client_for: Any, owner: Any, make_app: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    (tmp_path / "editor.js").write_text("//")
    monkeypatch.setattr(web_assets, "WEB_DIR", tmp_path)
    app, _ = make_app(owner, slug="ed")
    response = client_for(owner).get(f"/apps/{app.pk}/editor/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-app-id="{app.pk}"' in html
    assert 'data-can-edit="1"' in html
    assert "dist/web/editor.js?v=" in html
    assert "csrftoken" in response.cookies  # the editor's API calls need the CSRF cookie


def test_editor_page_says_how_to_build_when_the_bundle_is_missing(
    client_for: Any, owner: Any, make_app: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(web_assets, "WEB_DIR", tmp_path)
    app, _ = make_app(owner, slug="ed")
    html = client_for(owner).get(f"/apps/{app.pk}/editor/").content.decode()
    assert "make run" in html
    assert "editor.js" not in html


def test_editor_page_is_read_only_for_viewers_and_hidden_from_outsiders(
    client_for: Any, owner: Any, make_member: Any, make_app: Any
) -> None:
    app, _ = make_app(owner, slug="ed")
    viewer = make_member("viewer", workspace=owner.workspace)
    assert 'data-can-edit="0"' in client_for(viewer).get(f"/apps/{app.pk}/editor/").content.decode()
    outsider = make_member("owner")
    assert client_for(outsider).get(f"/apps/{app.pk}/editor/").status_code == 404


def test_app_page_loads_the_built_portal_script(
    client_for: Any, owner: Any, make_app: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    (tmp_path / "portal.js").write_text("//")
    monkeypatch.setattr(web_assets, "WEB_DIR", tmp_path)
    app, _ = make_app(owner, slug="ed")
    html = client_for(owner).get(f"/apps/{app.pk}/").content.decode()
    assert 'type="module" src="/static/dist/web/portal.js?v=' in html
    assert "portal/app.js" not in html  # the hand-written copy of the run client is gone


def test_app_page_links_to_the_editor(client_for: Any, owner: Any, make_app: Any) -> None:
    app, _ = make_app(owner, slug="ed")
    html = client_for(owner).get(f"/apps/{app.pk}/").content.decode()
    assert f'href="/apps/{app.pk}/editor/"' in html


def test_training_page_mounts_the_panel_for_members(
    client_for: Any, owner: Any, make_member: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    (tmp_path / "training.js").write_text("//")
    monkeypatch.setattr(web_assets, "WEB_DIR", tmp_path)
    html = client_for(owner).get("/training/").content.decode()
    assert 'id="weft-training"' in html
    assert 'data-can-edit="1"' in html
    assert "dist/web/training.js?v=" in html
    viewer = make_member("viewer", workspace=owner.workspace)
    assert 'data-can-edit="0"' in client_for(viewer).get("/training/").content.decode()


def test_training_page_needs_a_sign_in(client: Any) -> None:
    response = client.get("/training/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_knowledge_page_mounts_for_members(
    client_for: Any, owner: Any, make_member: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    (tmp_path / "knowledge.js").write_text("//")
    monkeypatch.setattr(web_assets, "WEB_DIR", tmp_path)
    response = client_for(owner).get("/knowledge/")
    html = response.content.decode()
    assert 'id="weft-knowledge"' in html
    assert 'data-can-edit="1"' in html
    assert "dist/web/knowledge.js?v=" in html
    assert 'href="/knowledge/" class="active"' in html  # the nav marks where we are
    assert "csrftoken" in response.cookies  # its API calls need the CSRF cookie
    viewer = make_member("viewer", workspace=owner.workspace)
    assert 'data-can-edit="0"' in client_for(viewer).get("/knowledge/").content.decode()


def test_knowledge_page_needs_a_sign_in(client: Any) -> None:
    response = client.get("/knowledge/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_tools_page_mounts_and_tells_who_may_manage(
    client_for: Any, owner: Any, make_member: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    (tmp_path / "tools.js").write_text("//")
    monkeypatch.setattr(web_assets, "WEB_DIR", tmp_path)
    response = client_for(owner).get("/tools/")
    html = response.content.decode()
    assert 'id="weft-tools"' in html
    assert 'data-can-admin="1"' in html
    assert "dist/web/tools.js?v=" in html
    assert 'href="/tools/" class="active"' in html
    editor = make_member("editor", workspace=owner.workspace)
    html = client_for(editor).get("/tools/").content.decode()
    assert 'data-can-edit="1" data-can-admin="0"' in html
    assert client_for(editor).get("/tools/").status_code == 200


def test_providers_page_mounts_and_tells_who_may_manage(
    client_for: Any, owner: Any, make_member: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    (tmp_path / "providers.js").write_text("//")
    monkeypatch.setattr(web_assets, "WEB_DIR", tmp_path)
    html = client_for(owner).get("/providers/").content.decode()
    assert 'id="weft-providers"' in html
    assert 'data-can-edit="1" data-can-admin="1"' in html
    assert "dist/web/providers.js?v=" in html
    assert 'href="/providers/" class="active">Models</a>' in html
    viewer = make_member("viewer", workspace=owner.workspace)
    html = client_for(viewer).get("/providers/").content.decode()
    assert 'data-can-edit="0" data-can-admin="0"' in html  # viewers see the list only
    assert client_for(viewer).get("/").content.decode().count('href="/providers/"') == 1


def test_providers_page_says_when_it_is_not_built(
    client_for: Any, owner: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(web_assets, "WEB_DIR", tmp_path)
    html = client_for(owner).get("/providers/").content.decode()
    assert "The Model providers page is not built yet" in html
    assert "providers.js" not in html
