"""The built-in tool servers: time (zones, formats, an unknown zone named), calculator (exact
arithmetic; names, attribute access, lambdas and huge powers refused before anything is
computed), http (a real server on 127.0.0.1 allowed by the policy, refused without), and the
session's own rules (schema check, unknown tool, timeout, result size)."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from runtime.errors import (
    ToolArgumentsError,
    ToolCallFailedError,
    ToolNotFoundError,
    ToolResultTooLargeError,
    ToolTimeoutError,
)
from runtime.outbound import STRICT, OutboundPolicy
from runtime.resources import ToolResult
from runtime.tools import BuiltinTool, BuiltinTools, object_schema, standard_servers, tool_result
from runtime.tools.arguments import validator
from runtime.tools.calculator import MAX_LENGTH, evaluate
from tests.llm._http import serve
from tests.runtime.http_site import Site

LOCAL = OutboundPolicy.from_entries(["127.0.0.1"])
INSTANT = datetime(2026, 1, 15, 12, 30, 5, tzinfo=UTC)  # a Thursday


def _servers(policy: OutboundPolicy = LOCAL) -> dict[str, BuiltinTools]:
    return standard_servers(policy, now=lambda: INSTANT)


async def _call(server: str, tool: str, policy: OutboundPolicy = LOCAL, **args: Any) -> ToolResult:
    return await _servers(policy)[server].call_tool(tool, args)


async def test_standard_servers_list_their_tools_with_schemas() -> None:
    listed = {name: await s.list_tools() for name, s in _servers().items()}
    assert {name: [t.name for t in tools] for name, tools in listed.items()} == {
        "time": ["current_time"],
        "calculator": ["calculate"],
        "http": ["http_request"],
    }
    (http,) = listed["http"]
    assert http.input_schema["required"] == ["method", "url"]
    assert "GET" in http.input_schema["properties"]["method"]["enum"]


@pytest.mark.parametrize(
    ("zone", "iso", "offset"),
    [
        ("UTC", "2026-01-15T12:30:05+00:00", "+00:00"),
        ("Europe/Paris", "2026-01-15T13:30:05+01:00", "+01:00"),
        ("America/New_York", "2026-01-15T07:30:05-05:00", "-05:00"),
        ("Asia/Kolkata", "2026-01-15T18:00:05+05:30", "+05:30"),
    ],
)
async def test_current_time_in_a_zone(zone: str, iso: str, offset: str) -> None:
    result = await _call("time", "current_time", timezone=zone)
    assert result.text == iso
    assert result.structured_content["timezone"] == zone
    assert result.structured_content["utc_offset"] == offset
    assert result.structured_content["weekday"] == "Thursday"
    assert result.structured_content["unix"] == int(INSTANT.timestamp())
    assert not result.is_error


async def test_current_time_defaults_to_utc_and_follows_a_format() -> None:
    assert (await _call("time", "current_time")).text == "2026-01-15T12:30:05+00:00"
    result = await _call("time", "current_time", timezone="Asia/Tokyo", format="%Y-%m-%d %H:%M")
    assert result.text == "2026-01-15 21:30"


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../../etc/passwd", "Europe/"])
async def test_current_time_unknown_zone_names_the_timezone_argument(zone: str) -> None:
    with pytest.raises(ToolArgumentsError) as err:
        await _call("time", "current_time", timezone=zone)
    assert err.value.argument == "timezone"
    assert "not a known time zone" in str(err.value)


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("7 / 2", 3.5),
        ("7 // 2", 3),
        ("-7 % 3", 2),
        ("2 ** 10", 1024),
        ("-(3 - 5)", 2),
        ("+4", 4),
        ("sqrt(16) + abs(-2)", 6.0),
        ("round(pi, 2)", 3.14),
        ("round(2.5)", 2),
        ("min(4, 2, 8) + max(1, 9)", 11),
        ("log(e)", 1.0),
        ("log(8, 2)", 3.0),
        ("sin(0) + cos(0)", 1.0),
        ("2 ** -1", 0.5),
        ("1.5e3 * 2", 3000.0),
        ("2 ** 4000 // 2 ** 3999", 2),
        ("-" * 450 + "1", 1),
    ],
)
def test_calculator_computes(expression: str, value: float) -> None:
    assert evaluate(expression) == pytest.approx(value)


async def test_calculator_tool_gives_text_and_structured_result() -> None:
    result = await _call("calculator", "calculate", expression="0.1 + 0.2")
    assert result.text == "0.30000000000000004"
    assert result.structured_content == {"expression": "0.1 + 0.2", "result": 0.1 + 0.2}
    exact = await _call("calculator", "calculate", expression="2 ** 100")
    assert exact.text == str(2**100)


@pytest.mark.parametrize(
    ("expression", "said"),
    [
        ("9**9**9", "the power 387420489"),
        ("10 ** 100000", "the power 100000"),
        ("(2 ** 4000) * (2 ** 4000)", "too large"),
        ("10.0 ** 400", "too large"),
        ("1e308 * 10", "too large"),
        ("().__class__", "attribute access (.__class__)"),
        ("(1).__class__.__bases__", "attribute access"),
        ("lambda: 1", "a lambda"),
        ("__import__('os')", "calls __import__"),
        ("open('/etc/passwd')", "calls open"),
        ("x + 1", "unknown name 'x'"),
        ("'a' * 3", "only numbers"),
        ("True + 1", "only numbers"),
        ("1j * 2", "only numbers"),
        ("1 < 2", "a comparison"),
        ("[1, 2]", "List syntax"),
        ("1 << 2", "the operator LShift"),
        ("~1", "the operator Invert"),
        ("1 / 0", "divides by zero"),
        ("sqrt(-1)", "cannot be computed"),
        ("(-8) ** 0.5", "no real result"),
        ("sqrt(1, 2)", "sqrt() 2 arguments"),
        ("max(*[1])", "unpacked"),
        ("round(1.5, ndigits=1)", "named"),
        ("1 +", "not arithmetic"),
        ("a = 1", "not arithmetic"),
        ("1" * (MAX_LENGTH + 1), "too long"),  # the schema's maxLength
        ("(" * 220 + "1" + ")" * 220, "too many nested parentheses"),
        ("2**" * 100 + "2", "the power 65536"),
        ("sqrt(2 ** 4000)", "too large"),
    ],
)
async def test_calculator_refuses_naming_the_expression(expression: str, said: str) -> None:
    with pytest.raises(ToolArgumentsError) as err:
        await _servers()["calculator"].call_tool("calculate", {"expression": expression})
    assert err.value.argument == "expression"
    assert said in str(err.value)
    if len(expression) <= MAX_LENGTH:
        assert repr(expression) in str(err.value)


def test_calculator_refusal_of_a_huge_power_is_immediate() -> None:
    # Not a timing: 9**387420489 would need about 150 MB and minutes; the refusal computes none.
    with pytest.raises(ValueError, match="digits"):
        evaluate("9**9**9**9")
    assert math.isfinite(evaluate("9**9 / 9**8"))


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[Site, str]]:
    app = Site()
    with serve(app) as url:
        yield app, url.removesuffix("/v1")


async def test_http_tool_sends_and_returns_status_headers_body(site: tuple[Site, str]) -> None:
    app, base = site
    result = await _call(
        "http",
        "http_request",
        method="POST",
        url=f"{base}/echo?x=1",
        headers={"X-Trace": "t-1", "Content-Type": "text/plain"},
        body="héllo",
    )
    seen = app.seen[-1]
    assert (seen["method"], seen["query"], seen["body"]) == ("POST", "x=1", "héllo")
    assert seen["headers"]["x-trace"] == "t-1"
    data = result.structured_content
    assert data["status_code"] == 200
    assert data["headers"]["content-type"] == "application/json"
    assert '"x-trace": "t-1"' in data["body"]
    assert result.text.startswith("HTTP 200 OK\n\n")
    assert not result.is_error
    missing = await _call("http", "http_request", method="GET", url=f"{base}/status/404")
    assert (missing.structured_content["status_code"], missing.structured_content["body"]) == (
        404,
        "nope",
    )


async def test_http_tool_is_refused_without_the_policy(site: tuple[Site, str]) -> None:
    app, base = site
    before = len(app.seen)
    with pytest.raises(ToolCallFailedError, match="loopback"):
        await _call("http", "http_request", STRICT, method="GET", url=f"{base}/echo")
    assert len(app.seen) == before
    by_name = OutboundPolicy.from_entries(["localhost"])  # a redirect hop is checked too
    port = base.rsplit(":", 1)[1]
    hop = f"http://localhost:{port}/redirect?to=http://127.0.0.1:{port}/echo"
    with pytest.raises(ToolCallFailedError, match="loopback"):
        await _call("http", "http_request", by_name, method="GET", url=hop)
    assert [s["path"] for s in app.seen[before:]] == ["/redirect"]


async def test_http_tool_bad_arguments_name_them(site: tuple[Site, str]) -> None:
    _, base = site
    cases: list[tuple[dict[str, Any], str]] = [
        ({"method": "GET", "url": "ftp://example.com/x"}, "url"),
        ({"method": "BREW", "url": f"{base}/echo"}, "method"),
        ({"method": "GET"}, "url"),
        (
            {"method": "GET", "url": f"{base}/echo", "headers": {"X-A": "1\r\nX-B: 2"}},
            "headers.X-A",
        ),
        (
            {"method": "GET", "url": f"{base}/echo", "headers": {"bad name": "1"}},
            "headers.bad name",
        ),
    ]
    for args, argument in cases:
        with pytest.raises(ToolArgumentsError) as err:
            await _servers()["http"].call_tool("http_request", args)
        assert err.value.argument == argument, args


async def test_http_tool_limits_the_response_and_the_wait(site: tuple[Site, str]) -> None:
    app, base = site
    app.big = 512 * 1024
    with pytest.raises(ToolResultTooLargeError):
        await _call("http", "http_request", method="GET", url=f"{base}/big")
    with pytest.raises(ToolTimeoutError):
        await _servers()["http"].call_tool(
            "http_request", {"method": "GET", "url": f"{base}/slow"}, timeout=0.2
        )


async def test_session_checks_schema_name_timeout_and_size() -> None:
    async def echo(text: str) -> ToolResult:
        return tool_result(text, {"echo": text})

    async def stall() -> ToolResult:
        await asyncio.sleep(10)
        return tool_result("never")

    session = BuiltinTools(
        [
            BuiltinTool("echo", "", object_schema({"text": {"type": "string"}}, ["text"]), echo),
            BuiltinTool("stall", "", object_schema({}), stall),
        ],
        label="demo",
    )
    assert (await session.call_tool("echo", {"text": "hi"})).structured_content == {"echo": "hi"}
    with pytest.raises(ToolArgumentsError) as err:
        await session.call_tool("echo", {"text": 3})
    assert err.value.argument == "text"
    with pytest.raises(ToolArgumentsError, match=r"argument 'extra' is unknown \(it takes: text\)"):
        await session.call_tool("echo", {"text": "a", "extra": 1})
    with pytest.raises(ToolNotFoundError, match="demo has no tool 'nope'"):
        await session.call_tool("nope", {})
    with pytest.raises(ToolTimeoutError, match=r"0\.05 s"):
        await session.call_tool("stall", {}, timeout=0.05)
    with pytest.raises(ToolResultTooLargeError):
        await session.call_tool("echo", {"text": "x" * 100}, max_bytes=50)


def test_arguments_validator_is_compiled_once_per_schema() -> None:
    # sessions of built-in tools are made per run: each must not compile its schemas again
    schema = object_schema({"text": {"type": "string"}}, ["text"])
    first = validator(schema)
    assert validator(json.loads(json.dumps(schema))) is first
    assert validator(object_schema({"text": {"type": "integer"}}, ["text"])) is not first
    assert not first.is_valid({"text": 3})
    broken = validator({"type": "nonsense"})  # a server's mistake: the server checks
    assert broken.is_valid({"anything": 1})
    assert not broken.is_valid("not an object")


async def test_session_loads_its_tools_once_on_first_use() -> None:
    loads = []

    async def load() -> list[BuiltinTool]:
        loads.append(1)

        async def one() -> ToolResult:
            return tool_result("1")

        return [BuiltinTool("one", "gives 1", object_schema({}), one)]

    session = BuiltinTools(load)
    assert loads == []
    assert [t.name for t in await session.list_tools()] == ["one"]
    assert (await session.call_tool("one", {})).text == "1"
    assert loads == [1]
