"""What a page loads comes from Weft itself: the API docs' Swagger UI and the site icon."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db

SWAGGER_FILES = ("ninja/swagger-ui-bundle.js", "ninja/swagger-ui.css", "ninja/swagger-ui-init.js")


def test_api_docs_load_swagger_ui_from_our_static_files(client: Any) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    for name in SWAGGER_FILES:
        assert f'"/static/{name}"' in html, name
        assert finders.find(name), f"collectstatic would not collect {name}"
    assert re.findall(r"(?:src|href)=\"(https?:)?//", html) == []  # nothing from another host
    assert "/static/portal/favicon.svg" in html


def test_favicon_is_served_and_linked_from_every_base_template(
    client_for: Any, owner: Any, make_app: Any
) -> None:
    assert finders.find("portal/favicon.svg")
    response = client_for(owner).get("/favicon.ico")
    assert (response.status_code, response["Location"]) == (301, "/static/portal/favicon.svg")
    app, _ = make_app(owner)
    icon = '<link rel="icon" href="/static/portal/favicon.svg" type="image/svg+xml">'
    for path in ("/login/", "/", f"/apps/{app.pk}/", f"/apps/{app.pk}/editor/", "/training/"):
        assert icon in client_for(owner).get(path).content.decode(), path


def test_info_notes_use_the_info_style(client_for: Any, make_member: Any, make_app: Any) -> None:
    owner = make_member("owner")
    app, _ = make_app(owner)
    viewer = make_member("viewer", workspace=owner.workspace)
    client = client_for(viewer)
    note = '<p class="note note-info" role="note">Test runs need the editor role.'
    assert note in client.get(f"/apps/{app.pk}/").content.decode()
    members = client.get("/workspace/members/").content.decode()
    assert 'class="note note-info members-note"' in members
