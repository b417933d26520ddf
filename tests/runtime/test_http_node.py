"""The HTTP request node against a real HTTP server on 127.0.0.1 (uvicorn, a raw ASGI app):
what it sends and outputs, the outbound guard on the first hop and on redirects, secrets kept out
of events, typed errors, and the error strategies acting on them."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest

from runtime.compile import compile_workflow, validate
from runtime.engine import Engine, RunContext
from runtime.limits import RunLimits
from runtime.masking import MASK
from runtime.outbound import STRICT, OutboundPolicy
from runtime.resources import OUTBOUND, Resources
from runtime.spec import WorkflowSpec
from tests.llm._http import free_port_url, serve
from tests.runtime.helpers import by_kind, edge, kinds, node, start
from tests.runtime.http_site import Site

LOCAL = OutboundPolicy.from_entries(["127.0.0.1"])
SECRET = "sk-live-7a7a7a"


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[Site, str]]:
    app = Site()
    with serve(app) as url:
        yield app, url.removesuffix("/v1")


def _spec(http: dict[str, Any], error_strategy: str = "fail", **settings: Any) -> WorkflowSpec:
    """start(q, n) → http → end (its four outputs); env: TOKEN (secret), BASE (text)."""
    http = {"id": "h", "type": "http_request", "config": http}
    http["settings"] = {"error_strategy": error_strategy, **settings}
    outputs = [{"variable": v, "value_selector": ["h", v]} for v in ("status_code", "body", "json")]
    first = start("q")
    first["config"]["variables"].append({"variable": "n", "type": "number", "required": False})
    nodes = [first, http, node("end", "end", outputs=outputs)]
    edges = [edge("s", "h"), edge("h", "end")]
    if error_strategy == "fail_branch":
        nodes.append(
            node(
                "oops", "end", outputs=[{"variable": "why", "value_selector": ["h", "error_type"]}]
            )
        )
        edges.append(edge("h", "oops", "fail-branch"))
    env = [
        {"name": "TOKEN", "type": "secret", "value": SECRET},
        {"name": "BASE", "type": "string", "value": "unused"},
    ]
    return WorkflowSpec.model_validate(
        {"mode": "workflow", "nodes": nodes, "edges": edges, "env": env}
    )


async def _run(
    spec: WorkflowSpec,
    policy: OutboundPolicy = LOCAL,
    inputs: dict[str, Any] | None = None,
    limits: RunLimits | None = None,
) -> list[Any]:
    ctx = RunContext(
        run_id="r",
        resources=Resources().add(OUTBOUND, policy),
        inputs=inputs or {},
        limits=limits or RunLimits(),
    )
    return [e async for e in Engine(compile_workflow(spec)).run(ctx)]


def _failed(events: list[Any]) -> Any:
    (failed,) = by_kind(events, "node_failed")
    return failed


def _outputs(events: list[Any]) -> dict[str, Any]:
    (done,) = [e for e in by_kind(events, "node_succeeded") if e.node_id == "h"]
    return dict(done.outputs)


async def test_http_get_sends_query_and_headers_and_outputs_the_answer(
    site: tuple[Site, str],
) -> None:
    _, base = site
    config = {
        "url": base + "/echo?fixed=1",
        "headers": [
            {"key": "X-Topic", "value": "about {{#s.q#}}"},
            {"key": "X-Name", "value": "café"},  # not ASCII: sent as UTF-8
        ],
        "params": [{"key": "q", "value": "{{#s.q#}}"}, {"key": "q", "value": "two"}],
    }
    events = await _run(_spec(config), inputs={"q": "cats & dogs"})
    assert events[-1].status == "succeeded", events[-1].error
    out = _outputs(events)
    assert out["status_code"] == 200
    assert out["headers"]["content-type"] == "application/json"
    seen = out["json"]
    assert json.loads(out["body"]) == seen
    assert (seen["method"], seen["path"]) == ("GET", "/echo")
    assert parse_qs(seen["query"]) == {"fixed": ["1"], "q": ["cats & dogs", "two"]}
    assert seen["headers"]["x-topic"] == "about cats & dogs"
    assert seen["headers"]["x-name"] == "café"
    started = next(e for e in by_kind(events, "node_started") if e.node_id == "h")
    assert started.inputs == {"s.q": "cats & dogs"}


@pytest.mark.parametrize(
    ("body", "content_type", "arrived"),
    [
        (
            {"type": "json", "data": '{"n": {{#s.n#}}, "q": "say {{#s.q#}}", "k": [1]}'},
            "application/json",
            {"n": 3, "q": 'say "hi"\nthere', "k": [1]},
        ),
        (
            {
                "type": "x-www-form-urlencoded",
                "form": [{"key": "q", "value": "{{#s.q#}}"}, {"key": "a b", "value": "&="}],
            },
            "application/x-www-form-urlencoded",
            {"q": ['"hi"\nthere'], "a b": ["&="]},
        ),
        (
            {"type": "raw-text", "data": "raw {{#s.q#}} {{#s.n#}}"},
            "text/plain; charset=utf-8",
            'raw "hi"\nthere 3',
        ),
    ],
)
async def test_http_bodies_arrive_as_sent(
    site: tuple[Site, str], body: dict[str, Any], content_type: str, arrived: Any
) -> None:
    _, base = site
    config = {"method": "POST", "url": base + "/echo", "body": body}
    events = await _run(_spec(config), inputs={"q": '"hi"\nthere', "n": 3})
    seen = _outputs(events)["json"]
    assert seen["method"] == "POST"
    assert seen["headers"]["content-type"] == content_type
    raw = seen["body"]
    got = json.loads(raw) if body["type"] == "json" else parse_qs(raw) if "form" in body else raw
    assert got == arrived


@pytest.mark.parametrize(
    ("auth", "header", "value"),
    [
        ({"type": "bearer", "secret": "TOKEN"}, "authorization", f"Bearer {SECRET}"),
        ({"type": "api-key", "secret": "TOKEN", "header": "X-Key"}, "x-key", SECRET),
        ({"type": "basic", "username": "ada", "secret": "TOKEN"}, "authorization", None),
    ],
)
async def test_http_secret_header_arrives_and_never_shows_in_events(
    site: tuple[Site, str], auth: dict[str, Any], header: str, value: str | None
) -> None:
    app, base = site
    config = {"url": base + "/echo", "auth": auth}
    events = await _run(_spec(config))
    assert events[-1].status == "succeeded", events[-1].error
    sent = app.seen[-1]["headers"][header]
    if value is None:  # basic: user:password in base64
        value = "Basic " + base64.b64encode(f"ada:{SECRET}".encode()).decode()
    assert sent == value
    dumped = json.dumps([e.model_dump(mode="json") for e in events])
    assert SECRET not in dumped
    assert value not in dumped
    (done,) = [e for e in by_kind(events, "node_succeeded") if e.node_id == "h"]
    assert done.metadata["request"]["headers"][header] == MASK
    assert done.outputs["json"]["headers"][header] == MASK  # the server echoed it back


async def test_http_missing_secret_fails_the_node_naming_it(site: tuple[Site, str]) -> None:
    _, base = site
    events = await _run(
        _spec({"url": base + "/echo", "auth": {"type": "bearer", "secret": "NOPE"}})
    )
    failed = _failed(events)
    assert failed.error_code == "MissingResourceError"
    assert "'NOPE'" in failed.error


async def test_http_refuses_loopback_without_the_allow_list(site: tuple[Site, str]) -> None:
    app, base = site
    before = len(app.seen)
    events = await _run(_spec({"url": base + "/echo"}), policy=STRICT)
    failed = _failed(events)
    assert failed.error_code == "OutboundRefusedError"
    assert "loopback" in failed.error
    assert len(app.seen) == before  # never connected


@pytest.mark.parametrize(
    ("policy", "first_host", "target"),
    [
        (LOCAL, "127.0.0.1", "http://169.254.169.254/latest/meta-data/"),
        (OutboundPolicy.from_entries(["localhost"]), "localhost", "http://127.0.0.1:{port}/echo"),
    ],
)
async def test_http_refuses_a_redirect_to_a_private_address(
    site: tuple[Site, str], policy: OutboundPolicy, first_host: str, target: str
) -> None:
    app, base = site
    port = base.rsplit(":", 1)[1]
    start_url = base.replace("127.0.0.1", first_host) + "/redirect"
    config = {"url": start_url, "params": [{"key": "to", "value": target.format(port=port)}]}
    before = len(app.seen)
    events = await _run(_spec(config), policy=policy)
    assert _failed(events).error_code == "OutboundRefusedError"
    assert [s["path"] for s in app.seen[before:]] == ["/redirect"]  # the second hop never left


async def test_http_redirects_are_outputs_when_not_followed(site: tuple[Site, str]) -> None:
    _, base = site
    config = {
        "url": base + "/redirect",
        "params": [{"key": "to", "value": base + "/echo"}],
        "follow_redirects": False,
    }
    out = _outputs(await _run(_spec(config)))
    assert (out["status_code"], out["headers"]["location"]) == (302, base + "/echo")
    followed = _outputs(await _run(_spec({**config, "follow_redirects": True})))
    assert followed["json"]["path"] == "/echo"


async def test_http_error_status_is_an_output_unless_asked_to_fail(site: tuple[Site, str]) -> None:
    _, base = site
    out = _outputs(await _run(_spec({"url": base + "/status/404"})))
    assert (out["status_code"], out["body"], out["json"]) == (404, "nope", None)
    assert out["headers"]["x-why"] == "test"
    events = await _run(_spec({"url": base + "/status/503", "fail_on_error_status": True}))
    failed = _failed(events)
    assert (failed.error_code, failed.error) == (
        "HttpStatusError",
        "127.0.0.1 answered 503 Service Unavailable",
    )


async def test_http_read_timeout_is_a_typed_error(site: tuple[Site, str]) -> None:
    _, base = site
    config = {"url": base + "/slow", "timeout": {"connect": 5, "read": 0.2}}
    failed = _failed(await _run(_spec(config)))
    assert failed.error_code == "HttpTimeoutError"
    assert "within 0.2 s" in failed.error


@pytest.mark.parametrize("limit_by", ["node", "run"])
async def test_http_response_over_the_limit_is_a_typed_error(
    site: tuple[Site, str], limit_by: str
) -> None:
    app, base = site
    app.big = 40 * 65536  # 2.5 MiB, streamed without a length
    config: dict[str, Any] = {"url": base + "/big"}
    limits = RunLimits(max_response_bytes=1024 * 1024)
    if limit_by == "node":
        config["max_response_bytes"] = 100_000
        limits = RunLimits()
    failed = _failed(await _run(_spec(config), limits=limits))
    assert failed.error_code == "HttpResponseTooLargeError"
    app.big = 65536  # under both limits
    assert len(_outputs(await _run(_spec(config), limits=limits))["body"]) == 65536


async def test_http_connection_failure_takes_the_fail_branch() -> None:
    config = {"url": free_port_url()}
    events = await _run(_spec(config, "fail_branch"))
    assert events[-1].status == "succeeded"
    assert events[-1].outputs == {"why": "HttpConnectionError"}
    assert kinds(events, "end") == ["node_skipped"]


async def test_http_refusal_gives_default_outputs_with_default_value(
    site: tuple[Site, str],
) -> None:
    _, base = site
    defaults = {"status_code": 0, "body": "offline", "json": None, "headers": {}}
    spec = _spec({"url": base + "/echo"}, "default_value", default_outputs=defaults)
    events = await _run(spec, policy=STRICT)
    assert events[-1].status == "succeeded"
    assert events[-1].outputs == {"status_code": 0, "body": "offline", "json": None}
    (done,) = [e for e in by_kind(events, "node_succeeded") if e.node_id == "h"]
    assert done.error_code == "OutboundRefusedError"


@pytest.mark.parametrize(
    ("config", "field", "words"),
    [
        ({"url": "ftp://example.com/x"}, "url", "http://"),
        (
            {"url": "https://x.test", "body": {"type": "json", "data": '{"a": '}},
            "body.data",
            "JSON",
        ),
        ({"url": "https://x.test", "body": {"type": "json"}}, "body.data", "write the JSON"),
        ({"url": "https://x.test", "auth": {"type": "bearer"}}, "auth.secret", "environment"),
        (
            {"url": "https://x.test", "headers": [{"key": "Bad Name", "value": ""}]},
            "headers.0.key",
            "header name",
        ),
        ({"url": "https://x.test", "timeout": {"read": 10_000}}, "timeout.read", "600"),
    ],
)
def test_http_bad_config_is_an_issue_on_its_field(
    config: dict[str, Any], field: str, words: str
) -> None:
    (issue,) = validate(_spec(config))
    assert (issue.code, issue.node_id, issue.field) == ("bad_config", "h", field)
    assert words in issue.message


def test_http_url_with_references_is_checked_when_it_runs() -> None:
    assert validate(_spec({"url": "{{#env.BASE#}}/x?q={{#s.q#}}"})) == []


async def test_http_rendered_url_that_is_no_url_is_a_typed_error() -> None:
    failed = _failed(await _run(_spec({"url": "{{#s.q#}}"}), inputs={"q": "not a url"}))
    assert failed.error_code == "HttpUrlError"
