"""Chromium helpers shared by the browser tests and bench/editor.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import FloatRect, Locator, Page, expect

from tests.portal.server import EMAIL, PASSWORD

# Debian's Chromium (Playwright never downloads a browser on these machines).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def watch(page: Page, output_path: str) -> tuple[Path, list[str]]:
    """The test's screenshot folder (created) and the page's uncaught errors as they happen."""
    expect.set_options(timeout=20_000)  # the CPU is shared with the model and other suites
    shots = Path(output_path)
    shots.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return shots, errors


def shot(page: Page, folder: Path, name: str, *, full_page: bool = True) -> None:
    """folder/name.png; a full page is taken from the top (the sticky top bar stays there)."""
    if full_page:
        page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(folder / f"{name}.png"), full_page=full_page)


def sign_in(page: Page, url: str) -> None:
    """Sign in as the demo admin through the login form."""
    page.goto(f"{url}/login/")
    page.fill("#id_username", EMAIL)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")


def api_call(page: Page, url: str, method: str, path: str, data: Any = None) -> Any:
    """Call the editor's JSON API with the page's session and CSRF token; returns the JSON."""
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    headers = {"X-CSRFToken": csrf, "Referer": url}
    response = page.request.fetch(f"{url}/api{path}", method=method, data=data, headers=headers)
    assert response.ok, f"{method} {path}: {response.status} {response.text()}"
    return response.json()


def create_app(page: Page, url: str, name: str, mode: str = "chat") -> int:
    """Create an app (with its starter draft) through the API; returns its id."""
    return int(api_call(page, url, "POST", "/apps", {"name": name, "mode": mode})["id"])


def put_draft(page: Page, url: str, app_id: int, spec: dict[str, Any]) -> None:
    """Save `spec` as the app's draft through the API, over its current revision."""
    revision = api_call(page, url, "GET", f"/apps/{app_id}/draft")["revision"]
    api_call(page, url, "PUT", f"/apps/{app_id}/draft", {"spec": spec, "revision": revision})


def create_app_on_home(page: Page, name: str, mode: str = "chat") -> None:
    """Create an app with the home page's form (the page is open); waits for the app's page."""
    page.fill("#new-app-name", name)
    page.check(f"input[name=mode][value={mode}]")
    page.click("#new-app-form button[type=submit]")
    expect(page.locator("h1")).to_have_text(name)


def add_api_key(page: Page, name: str) -> None:
    """Create an API key named `name` on the open app page; waits until the key is shown."""
    page.fill("#key-name", name)
    page.click("#key-button")
    expect(page.locator("#key-reveal")).to_be_visible()


def editor_ready(page: Page) -> None:
    """Wait until the editor has loaded the draft and drawn it."""
    expect(page.locator(".editor")).to_have_attribute("data-ready", "1")


def open_editor(page: Page, url: str, app_id: int) -> None:
    """Go to the app's editor and wait until it is ready."""
    page.goto(f"{url}/apps/{app_id}/editor/")
    editor_ready(page)


def publish(page: Page, note: str) -> None:
    """Publish the draft from the editor's dialog with `note`; waits until the dialog closes."""
    page.get_by_test_id("publish-open").click()
    page.get_by_test_id("publish-note").fill(note)
    page.get_by_test_id("publish-confirm").click()
    expect(page.get_by_test_id("publish-dialog")).to_have_count(0)


def chat_in_preview(page: Page, message: str) -> Locator:
    """Open the editor's chat preview and send `message`; returns the assistant's (last) turn."""
    page.get_by_test_id("open-run").click()
    page.get_by_test_id("chat-input").fill(message)
    page.get_by_test_id("chat-send").click()
    return page.get_by_test_id("chat-assistant").last


def node(page: Page, node_id: str) -> Locator:
    """The canvas card of node `node_id`."""
    return page.get_by_test_id(f"node-{node_id}")


def box(locator: Locator) -> FloatRect:
    """The element's box on the page; fails when it is not drawn."""
    found = locator.bounding_box()
    assert found, f"{locator} is not drawn"
    return found


def saved(page: Page) -> None:
    """Wait until the editor says the draft is saved."""
    expect(page.get_by_test_id("save-state")).to_have_attribute("data-state", "saved")


def view_settled(page: Page) -> None:
    """Wait until the canvas's pan and zoom stop moving (Fit and Auto-layout animate)."""
    page.evaluate("window.__weftLastView = null")
    page.wait_for_function(
        """() => {
            const now = document.querySelector('.react-flow__viewport')?.style.transform;
            const same = now === window.__weftLastView;
            window.__weftLastView = now;
            return same;
        }""",
        polling=150,
    )


def drop(page: Page, node_type: str, x: int, y: int) -> None:
    """Drag a node type from the palette onto the canvas at (x, y) of the pane."""
    page.get_by_test_id(f"palette-{node_type}").drag_to(
        page.locator(".react-flow__pane"), target_position={"x": x, "y": y}
    )


def connect(
    page: Page, source: str, target: str, *, handle: str | None = None, on_body: bool = False
) -> None:
    """Drag a wire from the source node's output (`handle`, else its first) with the mouse and
    let it go on the target node's input handle, or (`on_body`) over the middle of its card."""
    outputs = node(page, source).locator(".react-flow__handle.source")
    if handle is not None:
        outputs = outputs.and_(page.locator(f"[data-handleid='{handle}']"))
    out = box(outputs.first)
    card = node(page, target)
    into = box(card if on_body else card.locator(".react-flow__handle.target"))
    page.mouse.move(out["x"] + out["width"] / 2, out["y"] + out["height"] / 2)
    page.mouse.down()
    page.mouse.move(into["x"] + into["width"] / 2, into["y"] + into["height"] / 2, steps=12)
    page.mouse.up()
