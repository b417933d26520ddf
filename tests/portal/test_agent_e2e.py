"""An agent app with an MCP tool, built and run in Chromium against the real server.

A model server that replays scripted turns as vLLM streams them (turn 1: call the time server's
get_current_time for UTC; turn 2: answer) is the workspace's model provider, added on the Model
providers page (checked there, which lists its model); mcp-server-time is its MCP server. In the
editor a chat app's LLM node is swapped for an agent dropped from the palette: wired, its model,
instructions and the time tool picked in its panel, the Answer pointed at its text. In the chat
preview the trace shows the agent's steps while it still runs (the model's second turn is held back
until the page has shown them): the call with its arguments and the real server's answer, a time
between the moments before and after. The model's second request carries that answer as a tool
message. Published, the app streams agent_thought and agent_log events over the Service API.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.builder.sse import parse_sse
from tests.llm._http import serve
from tests.llm.scripted_server import Call, ScriptedServer, Turn
from tests.portal.browser import (
    api_call,
    chat_in_preview,
    connect,
    create_app,
    drop,
    node,
    open_editor,
    publish,
    saved,
    shot,
    sign_in,
    watch,
)
from tests.portal.server import weft_server as serve_weft

pytestmark = pytest.mark.browser
TIME = str(Path(sys.executable).parent / "mcp-server-time")
ANSWER = "It is the time the clock gave, in UTC."
ASK_TIME = Call("get_current_time", '{"timezone": "UTC"}')
DATETIME = re.compile(r'"datetime": "([^"]+)"')


@dataclass
class HeldModel:
    """The scripted server, whose `hold`-th request (1-based) waits until `release` is set."""

    scripted: ScriptedServer = field(default_factory=ScriptedServer)
    hold: int = 0
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""
    seen: int = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Raw ASGI: the scripted server's answer, after the release for the held request."""
        if scope["type"] == "http":
            self.seen += 1
            if self.seen == self.hold:
                await asyncio.to_thread(self.release.wait, 120)
        await self.scripted(scope, receive, send)


@pytest.fixture(scope="module")
def model() -> Iterator[HeldModel]:
    """The scripted model server on 127.0.0.1."""
    held = HeldModel()
    with serve(held) as url:
        held.url = url
        try:
            yield held
        finally:
            held.release.set()  # a failed test leaves no request waiting


@pytest.fixture(scope="module")
def weft(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Weft whose outbound guard lets model requests reach 127.0.0.1, where the model listens."""
    env = {"WEFT_OUTBOUND_ALLOW": "127.0.0.1"}
    with serve_weft(tmp_path_factory.mktemp("agent-e2e"), env=env) as url:
        yield url


def _add_provider(page: Page, url: str, model_url: str, shots: Path) -> None:
    """The scripted server added as provider "scripted" on the Model providers page: checked
    first, which fills in the model it lists; checked again once saved (a green dot)."""
    page.get_by_role("link", name="Models").click()
    page.wait_for_url(f"{url}/providers/")
    expect(page.get_by_test_id("builtin-embedded")).to_contain_text("Built in")
    form = page.get_by_test_id("provider-form")
    form.get_by_test_id("provider-name").fill("scripted")
    form.locator("label", has=page.get_by_test_id("provider-kind-vllm")).click()
    form.get_by_test_id("provider-url").fill(model_url)
    form.get_by_test_id("provider-form-check").click()
    expect(form.get_by_test_id("provider-form-status")).to_have_attribute("data-status", "ok")
    expect(form.get_by_test_id("provider-models")).to_have_value("scripted")
    shot(page, shots, "agent-00-provider-check")
    form.get_by_test_id("provider-save").click()
    row = page.get_by_test_id("provider-scripted")
    expect(row.get_by_test_id("status-scripted")).to_have_attribute("data-status", "ok")
    expect(row.get_by_test_id("count-scripted")).to_have_text("1 model")
    expect(form.get_by_test_id("provider-name")).to_have_value("")  # ready for the next
    shot(page, shots, "agent-00-provider-added")


def _workspace_resources(page: Page, url: str) -> None:
    """mcp-server-time as MCP server "mcp_time"."""
    server = {"name": "mcp_time", "transport": "stdio", "command": TIME,
              "args": ["--local-timezone", "UTC"]}  # fmt: skip
    server_id = api_call(page, url, "POST", "/tools/servers", server)["id"]
    refreshed = api_call(page, url, "POST", f"/tools/servers/{server_id}/refresh")
    assert refreshed["status"] == "ok", refreshed["status_message"]


def _build_agent(page: Page, shots: Path) -> None:
    """The starter's LLM node swapped for an agent with the time tool, configured in panels."""
    expect(page.locator(".react-flow__node")).to_have_count(3)  # start → llm → answer
    node(page, "llm").click()
    page.keyboard.press("Delete")
    expect(node(page, "llm")).to_have_count(0)
    drop(page, "agent", 420, 260)
    connect(page, "start", "agent_1")
    connect(page, "agent_1", "answer")
    expect(page.locator(".react-flow__edge")).to_have_count(2)

    node(page, "agent_1").click()
    panel = page.get_by_test_id("node-panel")
    panel.locator("[id='f-agent_1.model']").select_option("scripted")
    expect(panel.get_by_test_id("f-agent_1.model-model")).to_have_value("scripted")
    panel.locator("[id='f-agent_1.instructions']").fill("Tell the time. Ask the clock tool.")
    expect(panel.locator("[id='f-agent_1.query']")).to_have_value("{{#sys.query#}}")
    panel.get_by_test_id("add-agent_1.tools").click()
    panel.locator("[id='f-agent_1.tools.0.server']").select_option("mcp_time")
    tool = panel.locator("[id='f-agent_1.tools.0.tool']")
    tool.select_option("get_current_time")
    expect(panel.get_by_test_id("array-agent_1.tools")).to_contain_text("Get current time")
    shot(page, shots, "agent-01-agent-panel", full_page=False)

    node(page, "answer").click()
    page.locator("[id='f-answer.answer']").fill("")
    page.get_by_test_id("insert-var-f-answer.answer").click()
    page.get_by_test_id("var-menu").get_by_test_id("var-option-agent_1.text").click()
    expect(page.locator("[id='f-answer.answer']")).to_have_value("{{#agent_1.text#}}")
    expect(page.get_by_test_id("issue-list")).to_have_attribute("data-count", "0")
    saved(page)
    shot(page, shots, "agent-02-built", full_page=False)


def _run_in_preview(page: Page, shots: Path, model: HeldModel) -> str:
    """Chat once; the steps show while the answer is held back. Returns the tool's datetime."""
    model.scripted.script[:] = [Turn(text="Let me ask the clock.", calls=(ASK_TIME,)),
                                Turn(text=ANSWER)]  # fmt: skip
    model.hold, model.seen = 2, 0
    before = datetime.now(UTC).replace(microsecond=0)
    bubble = chat_in_preview(page, "What time is it in UTC?")
    trace = page.get_by_test_id("chat-trace")
    trace.locator("summary").click()
    row = trace.get_by_test_id("run-trace-agent_1")
    expect(row).to_have_attribute("data-status", "running")
    row.locator(".run-trace-row").click()
    steps = row.get_by_test_id("run-node-steps")
    expect(steps.locator("li")).to_have_count(3)  # thought, call, result; the answer is held
    after = datetime.now(UTC)
    expect(steps.locator("li").nth(0)).to_contain_text("Let me ask the clock.")
    expect(steps.locator("li").nth(1)).to_contain_text("Called get_current_time")
    expect(steps.locator("li").nth(1)).to_contain_text('{"timezone": "UTC"}')
    result = steps.locator("li").nth(2)
    expect(result).to_contain_text("get_current_time returned")
    expect(result).to_contain_text('"timezone": "UTC"')
    expect(row).to_have_attribute("data-status", "running")
    expect(node(page, "agent_1")).to_have_attribute("data-status", "running")
    shown = DATETIME.search(result.text_content() or "")
    assert shown, result.text_content()
    told = datetime.fromisoformat(shown[1])
    assert before <= told <= after, (before, told, after)  # the real clock, not a script
    shot(page, shots, "agent-03-steps-live", full_page=False)

    model.release.set()
    expect(bubble).to_have_attribute("data-status", "succeeded")
    expect(bubble.locator(".chat-bubble")).to_have_text(ANSWER)
    expect(row).to_have_attribute("data-status", "succeeded")
    expect(steps.locator("li")).to_have_count(3)
    for node_id in ("start", "agent_1", "answer"):
        expect(node(page, node_id)).to_have_attribute("data-status", "succeeded")
    shot(page, shots, "agent-04-answered", full_page=False)
    return shown[1]


def _tool_messages(request: dict[str, Any]) -> list[str]:
    return [m["content"] for m in request["messages"] if m["role"] == "tool"]


def _publish_and_call(page: Page, shots: Path, url: str, app_id: int, model: HeldModel) -> None:
    """Publish in the editor, then one streamed /v1/chat-messages call with a new key."""
    publish(page, "agent with a clock")
    expect(page.get_by_text("Published v1")).to_be_visible()
    shot(page, shots, "agent-05-published", full_page=False)
    key = api_call(page, url, "POST", f"/apps/{app_id}/keys", {"name": "e2e"})["key"]
    model.scripted.script[:] = [Turn(calls=(ASK_TIME,)), Turn(text=ANSWER)]
    body = {"query": "And now?", "inputs": {}, "user": "e2e", "response_mode": "streaming"}
    response = httpx.post(f"{url}/v1/chat-messages", json=body, timeout=120,
                          headers={"Authorization": f"Bearer {key}"})  # fmt: skip
    assert response.status_code == 200, response.text
    events = parse_sse(response.content)
    assert "".join(e["answer"] for e in events if e["event"] == "message") == ANSWER
    thought = [e for e in events if e["event"] == "agent_thought"][-1]
    assert thought["tool"] == "get_current_time"
    assert json.loads(thought["tool_input"]) == {"get_current_time": {"timezone": "UTC"}}
    assert DATETIME.search(json.loads(thought["observation"])["get_current_time"])
    logs = [e["data"]["label"] for e in events if e["event"] == "agent_log"]
    assert logs == ["tool_call", "tool_result"]


def test_agent_app_with_an_mcp_tool_is_built_run_and_published(
    page: Page, weft: str, model: HeldModel, output_path: str
) -> None:
    shots, errors = watch(page, output_path)
    sign_in(page, weft)
    _add_provider(page, weft, model.url, shots)
    _workspace_resources(page, weft)
    app_id = create_app(page, weft, "Clock agent", mode="chat")
    open_editor(page, weft, app_id)

    _build_agent(page, shots)
    told = _run_in_preview(page, shots, model)
    first, second = model.scripted.requests[:2]
    assert [t["function"]["name"] for t in first["tools"]] == ["get_current_time"]
    assert first["messages"][0]["content"].startswith("Tell the time. Ask the clock tool.")
    (tool_result,) = _tool_messages(second)
    assert told in tool_result  # the real server's answer went back to the model

    _publish_and_call(page, shots, weft, app_id, model)
    assert not errors, errors
