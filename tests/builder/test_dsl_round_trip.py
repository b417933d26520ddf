"""Dify DSL: a spec exported and imported again is the same spec, for every node type."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import yaml

from builder.dsl import export_spec, import_dsl
from builder.dsl.nodes import mapped_weft_types
from runtime.nodes import registry
from runtime.nodes.base import Done, Node, NodeConfig, NodeContext, NodeOutput
from runtime.spec import WorkflowSpec
from tests.builder.dsl_specs import chat_spec, normalized, workflow_spec


def _round_trip(raw: dict[str, Any], include_secrets: bool = True) -> tuple[WorkflowSpec, str]:
    spec = WorkflowSpec.model_validate(raw)
    text = export_spec(spec, "Round trip", "every node", include_secrets=include_secrets)
    return import_dsl(text).spec, text


@pytest.mark.parametrize("make", [chat_spec, workflow_spec])
def test_dsl_round_trip_gives_the_same_spec(make: Any) -> None:
    before = WorkflowSpec.model_validate(make())
    after, _ = _round_trip(make())
    want, got = normalized(before), normalized(after)
    for old, new in zip(want.pop("nodes"), got.pop("nodes"), strict=True):
        assert new == old
    assert got == want


def test_dsl_round_trip_specs_hold_every_node_type() -> None:
    # a new node type must join the round trip (and get a mapping, or be a weft: one knowingly)
    used = {n["type"] for make in (chat_spec, workflow_spec) for n in make()["nodes"]}
    assert used == {t["type"] for t in registry.catalog()}
    assert mapped_weft_types() == used


def test_dsl_export_writes_dify_node_types_and_references() -> None:
    _, text = _round_trip(workflow_spec())
    doc = yaml.safe_load(text)
    assert (doc["kind"], doc["version"], doc["app"]["mode"]) == ("app", "0.6.0", "workflow")
    nodes = {n["id"]: n for n in doc["workflow"]["graph"]["nodes"]}
    types = {i: n["data"]["type"] for i, n in nodes.items()}
    assert types["branch"] == "if-else"
    assert types["fetch"] == "http-request"
    assert types["extract"] == "parameter-extractor"
    assert nodes["rounds_start"]["type"] == "custom-loop-start"
    assert nodes["add"]["parentId"] == "rounds"
    assert (nodes["add"]["data"]["isInLoop"], nodes["add"]["data"]["loop_id"]) == (True, "rounds")
    # Weft's outputs is_success / reason are the extractor's __is_success / __reason in Dify
    outputs = nodes["end"]["data"]["outputs"]
    assert [o["value_selector"] for o in outputs[1:3]] == [
        ["extract", "__is_success"],
        ["extract", "__reason"],
    ]
    fetch = nodes["fetch"]["data"]
    assert fetch["method"] == "post"
    assert fetch["authorization"] == {
        "type": "api-key",
        "config": {"type": "basic", "api_key": "me:{{#env.TOKEN#}}"},
    }
    assert fetch["params"] == "q:a:b"
    edges = {(e["source"], e["target"]): e for e in doc["workflow"]["graph"]["edges"]}
    assert edges[("branch", "form")]["sourceHandle"] == "false"
    assert edges[("rounds_start", "add")]["data"]["loop_id"] == "rounds"


def test_dsl_export_leaves_secret_values_out_unless_asked() -> None:
    spec = WorkflowSpec.model_validate(chat_spec())
    hidden = yaml.safe_load(export_spec(spec, "x"))
    shown = yaml.safe_load(export_spec(spec, "x", include_secrets=True))
    pick = {"API_BASE": "https://example.com", "LIMIT": 5, "TOKEN": ""}
    assert {v["name"]: v["value"] for v in hidden["workflow"]["environment_variables"]} == pick
    assert {v["name"]: v["value"] for v in shown["workflow"]["environment_variables"]} == {
        **pick,
        "TOKEN": "s3cret",
    }
    assert "s3cret" not in export_spec(spec, "x")


class _PingConfig(NodeConfig):
    word: str = "ping"


class _PingNode(Node[_PingConfig]):
    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Say the word."""
        yield Done({"word": self.config.word})


def test_dsl_keeps_a_weft_type_dify_lacks_under_its_own_name() -> None:
    raw = workflow_spec()
    raw["nodes"].append({"id": "ping", "type": "ping_test", "config": {"word": "pong"}})
    with registry.temporary("ping_test", _PingNode):
        after, text = _round_trip(raw)
        nodes = {n["id"]: n for n in yaml.safe_load(text)["workflow"]["graph"]["nodes"]}
        assert nodes["ping"]["data"]["type"] == "weft:ping_test"
        assert next(n for n in after.nodes if n.id == "ping").config == {"word": "pong"}


def test_dsl_round_trip_keeps_list_and_json_object_start_inputs() -> None:
    # Weft's list and object inputs carry Dify's own type names; an object's schema goes along
    schema = {"type": "object", "properties": {"city": {"type": "string"}}}
    start_vars = [
        {"variable": "cities", "type": "array[string]"},
        {"variable": "place", "type": "json_object", "json_schema": schema},
    ]
    raw = workflow_spec()
    start = next(n for n in raw["nodes"] if n["type"] == "start")
    start["config"]["variables"] = start_vars
    after, text = _round_trip(raw)
    dify = next(
        n for n in yaml.safe_load(text)["workflow"]["graph"]["nodes"] if n["id"] == start["id"]
    )
    assert [v["type"] for v in dify["data"]["variables"]] == ["array[string]", "json_object"]
    back = next(n for n in after.nodes if n.type == "start").config["variables"]
    assert [(v["type"], v.get("json_schema")) for v in back] == [
        ("array[string]", None),
        ("json_object", schema),
    ]
