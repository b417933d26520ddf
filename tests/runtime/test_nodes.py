"""Built-in node types: template sandbox, if-else operators, start inputs, LLM, registry."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.errors import InputError
from runtime.llm.protocol import ChatMessage
from runtime.nodes import registry
from runtime.nodes.base import Done, NodeContext
from runtime.nodes.if_else import IfElseConfig, IfElseNode, compare
from runtime.nodes.registry import DuplicateNodeTypeError
from runtime.nodes.start import StartConfig, StartNode
from runtime.nodes.template import TemplateConfig, TemplateNode
from runtime.resources import MODELS, Resources
from runtime.variables import VariablePool
from tests.fakes import FakeChatClient, FakeModels
from tests.runtime.helpers import SleepNode, build, by_kind, edge, node, run, start


async def _run_node(n: Any, pool: VariablePool) -> Done:
    ctx = NodeContext("r", n.node_id, pool, Resources().add(MODELS, FakeModels()))
    items = [item async for item in n.run(ctx)]
    assert isinstance(items[-1], Done)
    return items[-1]


def _template(source: str, **values: Any) -> TemplateNode:
    pool_vars = [{"variable": k, "value_selector": ["src", k]} for k in values]
    return TemplateNode(
        "t", TemplateConfig.model_validate({"template": source, "variables": pool_vars})
    )


async def test_template_renders_variables() -> None:
    pool = VariablePool()
    pool.set_outputs("src", {"name": "Ada", "items": [1, 2]})
    done = await _run_node(_template("{{ name }}: {{ items | join(',') }}", name=1, items=1), pool)
    assert done.outputs == {"output": "Ada: 1,2"}


@pytest.mark.parametrize(
    "source",
    [
        "{{ name.__class__.__mro__ }}",
        "{{ ''.__class__.__subclasses__() }}",
        "{{ name.__init__.__globals__ }}",
        "{{ items.append(3) }}",
    ],
)
async def test_template_sandbox_refuses_attribute_escapes(source: str) -> None:
    from jinja2.exceptions import SecurityError

    pool = VariablePool()
    pool.set_outputs("src", {"name": "Ada", "items": [1, 2]})
    with pytest.raises(SecurityError):
        await _run_node(_template(source, name=1, items=1), pool)


@pytest.mark.parametrize(
    ("op", "actual", "expected", "result"),
    [
        ("contains", "hello world", "world", True),
        ("contains", None, "x", False),
        ("not contains", "hello", "z", True),
        ("start with", "hello", "he", True),
        ("start with", 5, "5", False),
        ("end with", "hello", "lo", True),
        ("is", "a", "a", True),
        ("is", 3, "3", True),
        ("is not", "a", "b", True),
        ("empty", "", None, True),
        ("empty", [], None, True),
        ("empty", "x", None, False),
        ("not empty", "x", None, True),
        ("in", "b", ["a", "b"], True),
        ("not in", "c", ["a", "b"], True),
        ("=", 3, "3", True),
        ("≠", 3, 4, True),
        (">", 5, "3", True),
        ("<", 2, 3, True),
        ("≥", 3, 3, True),
        ("≤", 4, 3, False),
        (">", "abc", 3, False),
        ("null", None, None, True),
        ("not null", 0, None, True),
    ],
)
def test_if_else_operator(op: str, actual: Any, expected: Any, result: bool) -> None:
    assert compare(op, actual, expected) is result


async def test_if_else_first_matching_case_wins_else_false() -> None:
    cfg = IfElseConfig.model_validate(
        {
            "cases": [
                {
                    "case_id": "big",
                    "conditions": [
                        {"variable_selector": ["s", "n"], "comparison_operator": ">", "value": 10}
                    ],
                },
                {
                    "case_id": "pos",
                    "logical_operator": "or",
                    "conditions": [
                        {"variable_selector": ["s", "n"], "comparison_operator": ">", "value": 0},
                        {"variable_selector": ["s", "n"], "comparison_operator": "=", "value": -1},
                    ],
                },
            ]
        }
    )
    n = IfElseNode("if", cfg)
    assert n.handles() == ["big", "pos", "false"]
    for value, handle in [(50, "big"), (5, "pos"), (-1, "pos"), (-5, "false")]:
        pool = VariablePool()
        pool.set_outputs("s", {"n": value})
        assert (await _run_node(n, pool)).handle == handle


def test_start_validates_inputs_naming_the_field() -> None:
    cfg = StartConfig.model_validate(
        {
            "variables": [
                {"variable": "name", "type": "text", "max_length": 3},
                {"variable": "age", "type": "number", "required": False},
                {"variable": "color", "type": "select", "options": ["red"], "default": "red"},
                {"variable": "ok", "type": "checkbox", "required": False},
            ]
        }
    )
    n = StartNode("s", cfg)
    assert n.outputs() == {"name": "string", "age": "number", "color": "string", "ok": "boolean"}
    assert n.validate_inputs({"name": "Ada", "age": "42", "ok": "true"}) == {
        "name": "Ada",
        "age": 42,
        "color": "red",
        "ok": True,
    }
    for inputs, field in [
        ({}, "name"),
        ({"name": "Adam"}, "name"),
        ({"name": "A", "age": "x"}, "age"),
        ({"name": "A", "color": "blue"}, "color"),
    ]:
        with pytest.raises(InputError) as info:
            n.validate_inputs(inputs)
        assert info.value.field == field


async def test_llm_node_streams_and_uses_memory() -> None:
    graph = build(
        [
            start("topic"),
            node(
                "llm",
                "llm",
                system_prompt="Be brief about {{#s.topic#}}.",
                memory={"enabled": True, "window": 2},
            ),
            node("ans", "answer", answer="{{#llm.text#}}"),
        ],
        [edge("s", "llm"), edge("llm", "ans")],
        mode="chat",
    )
    client = FakeChatClient(script=[["Hel", "lo"]])
    history = [
        ChatMessage("user", "old q"),
        ChatMessage("assistant", "old a"),
        ChatMessage("user", "q1"),
        ChatMessage("assistant", "a1"),
    ]
    from runtime.engine import Engine, RunContext

    ctx = RunContext(
        run_id="r",
        resources=Resources().add(MODELS, FakeModels({"embedded": client})),
        inputs={"topic": "cats"},
        sys={"query": "hi"},
        history=history,
    )
    events: list[Any] = [ev async for ev in Engine(graph).run(ctx)]
    (req,) = client.requests
    assert [(m.role, m.content) for m in req.messages] == [
        ("system", "Be brief about cats."),
        ("user", "q1"),
        ("assistant", "a1"),
        ("user", "hi"),
    ]
    assert [e.text for e in by_kind(events, "node_delta")] == ["Hel", "lo"]
    llm_done = next(e for e in by_kind(events, "node_succeeded") if e.node_id == "llm")
    assert llm_done.outputs["text"] == "Hello"
    assert llm_done.metadata["prompt"] == {  # the trace shows what the model was sent
        "messages": [{"role": m.role, "content": m.content} for m in req.messages],
        "from_memory": 2,
    }
    assert "prompt" not in events[-1].metadata  # the node's own, not joined into the run's
    assert llm_done.completion_tokens == 2
    assert events[-1].completion_tokens == 2
    assert events[-1].outputs == {"answer": "Hello"}


async def test_llm_node_error_fails_run_with_llm_error_code() -> None:
    from runtime.errors import LLMUnavailableError

    graph = build(
        [start(), node("llm", "llm"), node("ans", "answer", answer="{{#llm.text#}}")],
        [edge("s", "llm"), edge("llm", "ans")],
        mode="chat",
    )
    events = await run(graph, script=[LLMUnavailableError("down")])
    assert events[-1].error_code == "LLMUnavailableError"


async def test_variable_aggregator_picks_first_available() -> None:
    graph = build(
        [
            start("flag"),
            node(
                "if",
                "if_else",
                cases=[
                    {
                        "case_id": "yes",
                        "conditions": [
                            {
                                "variable_selector": ["s", "flag"],
                                "comparison_operator": "is",
                                "value": "y",
                            }
                        ],
                    }
                ],
            ),
            node("a", "sleep", value="from-a"),
            node("b", "sleep", value="from-b"),
            node("agg", "variable_aggregator", variables=[["a", "value"], ["b", "value"]]),
            node("end", "end", outputs=[{"variable": "v", "value_selector": ["agg", "output"]}]),
        ],
        [
            edge("s", "if"),
            edge("if", "a", "yes"),
            edge("if", "b", "false"),
            edge("a", "agg"),
            edge("b", "agg"),
            edge("agg", "end"),
        ],
    )
    assert (await run(graph, inputs={"flag": "y"}))[-1].outputs == {"v": "from-a"}
    assert (await run(graph, inputs={"flag": "n"}))[-1].outputs == {"v": "from-b"}


def test_registry_refuses_duplicate_type() -> None:
    with pytest.raises(DuplicateNodeTypeError):
        registry.register("llm", version=1)(SleepNode)
    with pytest.raises(DuplicateNodeTypeError), registry.temporary("sleep", SleepNode):
        pass


def test_registry_temporary_removes_type_afterwards() -> None:
    with registry.temporary("tmp_type", SleepNode, version=3):
        assert registry.get("tmp_type", 3) is SleepNode
    assert not registry.has("tmp_type", 3)


def test_registry_catalog_lists_builtins_with_schemas() -> None:
    entries = {e["type"]: e for e in registry.catalog()}
    assert {"start", "llm", "template", "if_else", "variable_aggregator", "answer", "end"} <= set(
        entries
    )
    llm = entries["llm"]
    assert llm["category"] == "llm"
    assert llm["outputs"] == {"text": "string", "usage": "object"}
    assert "temperature" in llm["config_schema"]["properties"]
    assert entries["if_else"]["dynamic_handles"] is True
    assert entries["start"]["dynamic_outputs"] is True


def test_node_config_forbids_unknown_keys() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        TemplateConfig.model_validate({"template": "", "surprise": 1})


def test_if_else_accepts_dify_dsl_shapes() -> None:
    legacy = IfElseConfig.model_validate(
        {
            "logical_operator": "or",
            "conditions": [
                {
                    "id": "c1",
                    "varType": "string",
                    "variable_selector": ["s", "q"],
                    "comparison_operator": "contains",
                    "value": "x",
                }
            ],
        }
    )
    assert [c.case_id for c in legacy.cases] == ["true"]
    assert legacy.cases[0].logical_operator == "or"
    assert legacy.cases[0].conditions[0].var_type == "string"
    assert IfElseNode("if", legacy).handles() == ["true", "false"]


def test_validate_inputs_checks_against_start_node() -> None:
    from runtime.engine import validate_inputs

    graph = build(
        [
            node("s", "start", variables=[{"variable": "n", "type": "number"}]),
            node("end", "end", outputs=[]),
        ],
        [edge("s", "end")],
    )
    assert validate_inputs(graph, {"n": "3"}) == {"n": 3}
    with pytest.raises(InputError, match="n is required"):
        validate_inputs(graph, {})
