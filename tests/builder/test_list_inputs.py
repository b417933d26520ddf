"""A published app given a list (and a JSON object) as start inputs through the Service API:
an iteration goes through the list, a wrong item is a 400 naming the input, the input form and
the apps tool server describe the list by its item type."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import pytest
from asgiref.sync import sync_to_async

from builder.models import Run
from kernel.resources import replaced
from kernel.tool_sources import builtin_servers
from runtime.errors import ToolArgumentsError
from runtime.resources import TOOLS, ToolSession
from tests.builder.sse import parse_sse

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]

CITIES = {"variable": "cities", "label": "Cities", "type": "array[string]"}
STYLE = {"variable": "style", "type": "json_object", "required": False, "default": {"p": "!"}}


def greeter_spec(mode: str = "workflow") -> dict[str, Any]:
    """Start(cities: a list of texts, style: an object) → an iteration greeting each city →
    a template joining the greetings → End(greetings) or Answer."""
    greet = {
        "variables": [
            {"variable": "c", "value_selector": ["it", "item"]},
            {"variable": "style", "value_selector": ["start", "style"]},
        ],
        "template": "Hello, {{ c }}{{ style.p }}",
    }
    joined = {
        "variables": [{"variable": "all", "value_selector": ["it", "output"]}],
        "template": "{{ all | join(' ') }}",
    }
    last = (
        {"id": "out", "type": "answer", "config": {"answer": "{{#join.output#}}"}}
        if mode == "chat"
        else {
            "id": "out",
            "type": "end",
            "config": {
                "outputs": [{"variable": "greetings", "value_selector": ["join", "output"]}]
            },
        }
    )
    return {
        "mode": mode,
        "nodes": [
            {"id": "start", "type": "start", "config": {"variables": [CITIES, STYLE]}},
            {
                "id": "it",
                "type": "iteration",
                "config": {
                    "iterator_selector": ["start", "cities"],
                    "output_selector": ["g", "output"],
                },
            },
            {"id": "it_s", "type": "iteration_start", "parentId": "it"},
            {"id": "g", "type": "template", "parentId": "it", "config": greet},
            {"id": "join", "type": "template", "config": joined},
            last,
        ],
        "edges": [
            {"source": "start", "target": "it"},
            {"source": "it_s", "target": "g"},
            {"source": "it", "target": "join"},
            {"source": "join", "target": "out"},
        ],
    }


async def _post(url: str, path: str, key: str, body: dict[str, Any]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        return await client.post(
            path,
            content=json.dumps(body),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )


async def test_workflows_run_iterates_over_a_list_input(
    owner: Any, make_app: Any, live_url: str
) -> None:
    _, key = await sync_to_async(make_app)(owner, spec=greeter_spec(), slug="cities")
    inputs = {"cities": ["Oslo", "Lima", "Pune"], "style": {"p": "."}}
    body = {"inputs": inputs, "user": "u", "response_mode": "blocking"}
    response = await _post(live_url, "/v1/workflows/run", key, body)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert (data["status"], data["outputs"]) == (
        "succeeded",
        {"greetings": "Hello, Oslo. Hello, Lima. Hello, Pune."},
    )
    run = await Run.objects.aget(pk=data["id"])
    assert run.inputs == inputs  # kept as the lists and objects they were

    # JSON text, as a form sends it; streamed, the iteration's events come with it
    body = {"inputs": {"cities": '["Rome"]'}, "user": "u", "response_mode": "streaming"}
    events = parse_sse((await _post(live_url, "/v1/workflows/run", key, body)).content)
    kinds = [e["event"] for e in events]
    assert kinds.count("iteration_next") == 1
    assert events[-1]["data"]["outputs"] == {"greetings": "Hello, Rome!"}  # the default style


@pytest.mark.parametrize(
    ("inputs", "field", "message"),
    [
        ({"cities": ["Oslo", 3]}, "inputs.cities", "must be a list of texts: item 2 is 3"),
        ({"cities": "Oslo"}, "inputs.cities", "is not valid JSON (Expecting value at character 1)"),
        (
            {"cities": ["Oslo"], "style": [1]},
            "inputs.style",
            "must be a JSON object ({...}), not [1]",
        ),
        ({}, "inputs.cities", "is required"),
    ],
)
async def test_workflows_run_refuses_a_wrong_list_naming_the_input(
    owner: Any, make_app: Any, live_url: str, inputs: dict[str, Any], field: str, message: str
) -> None:
    _, key = await sync_to_async(make_app)(owner, spec=greeter_spec(), slug="cities")
    body = {"inputs": inputs, "user": "u", "response_mode": "blocking"}
    response = await _post(live_url, "/v1/workflows/run", key, body)
    assert response.status_code == 400
    assert (response.json()["field"], response.json()["message"]) == (field, f"{field} {message}")
    assert not await Run.objects.aexists()


async def test_chat_messages_take_a_list_input(owner: Any, make_app: Any, live_url: str) -> None:
    _, key = await sync_to_async(make_app)(owner, spec=greeter_spec("chat"), slug="chat-cities")
    body = {
        "query": "hi",
        "inputs": {"cities": ["Oslo", "Lima"]},
        "user": "u",
        "response_mode": "blocking",
    }
    response = await _post(live_url, "/v1/chat-messages", key, body)
    assert response.status_code == 200, response.text
    assert response.json()["answer"] == "Hello, Oslo! Hello, Lima!"
    wrong = await _post(live_url, "/v1/chat-messages", key, {**body, "inputs": {"cities": [[1]]}})
    assert (wrong.status_code, wrong.json()["field"]) == (400, "inputs.cities")


def test_parameters_show_the_list_and_object_inputs(
    owner: Any, make_app: Any, live_url: str
) -> None:
    _, key = make_app(owner, spec=greeter_spec(), slug="cities")
    response = httpx.get(
        f"{live_url}/v1/parameters", headers={"Authorization": f"Bearer {key}"}, timeout=30
    )
    assert response.json()["user_input_form"] == [
        {
            "array[string]": {
                "label": "Cities",
                "variable": "cities",
                "required": True,
                "default": "",
            }
        },
        {
            "json_object": {
                "label": "style",
                "variable": "style",
                "required": False,
                "default": {"p": "!"},
            }
        },
    ]


class _Servers:
    def __init__(self, servers: Mapping[str, ToolSession]) -> None:
        self.servers = servers

    def get(self, server: str) -> ToolSession:
        return self.servers[server]


@pytest.fixture
def _tools() -> Iterator[None]:
    async def tools(workspace_id: int) -> _Servers:
        return _Servers(await builtin_servers(workspace_id))

    with replaced(TOOLS, tools):
        yield


@pytest.mark.usefixtures("_tools")
async def test_apps_tool_takes_a_list_argument(owner: Any, make_app: Any) -> None:
    await sync_to_async(make_app)(owner, spec=greeter_spec(), slug="cities")
    apps = (await builtin_servers(owner.workspace_id))["apps"]
    (tool,) = await apps.list_tools()
    assert tool.input_schema["properties"]["cities"] == {
        "type": "array",
        "items": {"type": "string"},
        "description": "Cities",
    }
    result = await apps.call_tool("cities", {"cities": ["Oslo"]})
    assert result.structured_content == {"greetings": "Hello, Oslo!"}
    with pytest.raises(ToolArgumentsError) as err:
        await apps.call_tool("cities", {"cities": ["Oslo", 2]})
    assert err.value.argument == "cities.1"
