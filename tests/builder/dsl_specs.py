"""Two specs that hold every node type Weft registers, with settings, branches, containers and
variables off their defaults: what the DSL's round trip is checked on."""

from __future__ import annotations

from typing import Any

from runtime.nodes import registry
from runtime.spec import NodeSettings, WorkflowSpec

MODEL = {"provider": "fake", "name": "scripted"}


def normalized(spec: WorkflowSpec) -> dict[str, Any]:
    """The spec as JSON with each config and setting filled in with its defaults, so a field
    the stored spec left out compares equal to the default an import writes."""
    out = spec.model_dump(mode="json", by_alias=True)
    for node in out["nodes"]:
        if registry.has(node["type"], node["version"]):
            model = registry.get(node["type"], node["version"]).config_model
            node["config"] = model.model_validate(node["config"]).model_dump(
                mode="json", by_alias=True
            )
        node["settings"] = NodeSettings.model_validate(node["settings"]).model_dump(mode="json")
    return out


def _node(node_id: str, type_: str, config: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": node_id,
        "type": type_,
        "title": f"The {node_id}",
        "config": config,
        "position": {"x": 10.0 * len(node_id), "y": 20.5},
        **extra,
    }


def _edge(source: str, target: str, handle: str = "source") -> dict[str, Any]:
    return {"id": f"{source}>{target}", "source": source, "target": target, "sourceHandle": handle}


def chat_spec() -> dict[str, Any]:
    """A chat app: start, knowledge, LLM with context and memory, classifier, agent, tool,
    human input, assigner, aggregator, answer; an iteration around a template."""
    return {
        "mode": "chat",
        "nodes": [
            _node(
                "start",
                "start",
                {
                    "variables": [
                        {
                            "variable": "topic",
                            "label": "Topic",
                            "type": "select",
                            "required": False,
                            "default": "b",
                            "options": ["a", "b"],
                            "max_length": None,
                        },
                        {
                            "variable": "count",
                            "label": "",
                            "type": "number",
                            "required": True,
                            "default": None,
                            "options": [],
                            "max_length": None,
                        },
                        {
                            "variable": "ok",
                            "label": "OK?",
                            "type": "checkbox",
                            "required": False,
                            "default": True,
                            "options": [],
                            "max_length": None,
                        },
                        {
                            "variable": "note",
                            "label": "",
                            "type": "paragraph",
                            "required": True,
                            "default": None,
                            "options": [],
                            "max_length": 300,
                        },
                    ]
                },
            ),
            _node(
                "kb",
                "knowledge_retrieval",
                {
                    "query": ["sys", "query"],
                    "dataset_ids": ["kb-1", "kb-2"],
                    "mode": "vector",
                    "weight": 0.7,
                    "top_k": 6,
                    "score_threshold": 0.25,
                    "metadata_filter": [
                        {"key": "lang", "op": "is", "value": "en"},
                        {"key": "year", "op": "gte", "value": 2020},
                        {"key": "tag", "op": "not_contains", "value": "{{#start.topic#}}"},
                    ],
                },
                settings={"retry": {"max_attempts": 3, "interval_s": 0.5}},
            ),
            _node(
                "llm",
                "llm",
                {
                    "model": MODEL,
                    "system_prompt": "Use {{#context#}}.",
                    "prompt": "{{#sys.query#}} about {{#start.topic#}}",
                    "temperature": 0.3,
                    "max_tokens": 900,
                    "memory": {"enabled": True, "window": 7},
                    "stream": False,
                    "context": {"enabled": True, "variable_selector": ["kb", "result"]},
                },
                settings={
                    "error_strategy": "default_value",
                    "default_outputs": {"text": "sorry"},
                    "timeout_s": 30,
                },
            ),
            _node(
                "classify",
                "question_classifier",
                {
                    "model": MODEL,
                    "query": ["sys", "query"],
                    "instruction": "Be strict",
                    "classes": [{"id": "c1", "name": "Billing"}, {"id": "c2", "name": "Other"}],
                },
            ),
            _node(
                "agent",
                "agent",
                {
                    "model": MODEL,
                    "instructions": "Help with {{#start.topic#}}",
                    "query": "{{#sys.query#}}",
                    "tools": [{"server": "time", "tool": "current_time"}],
                    "strategy": "auto",
                    "max_steps": 7,
                    "temperature": 0.1,
                    "max_tokens": 400,
                    "tool_timeout_s": 12,
                    "memory": {"enabled": False, "window": 10},
                },
                settings={"error_strategy": "fail_branch"},
            ),
            _node(
                "tool",
                "tool",
                {
                    "server": "calculator",
                    "tool": "calculate",
                    "arguments": {
                        "expression": {"type": "mixed", "value": "{{#start.count#}} * 2"},
                        "precision": {"type": "constant", "value": 3},
                        "source": {"type": "variable", "value": ["start", "note"]},
                    },
                    "timeout_s": 9,
                    "fail_on_tool_error": False,
                },
            ),
            _node(
                "ask",
                "human_input",
                {
                    "prompt": "Approve {{#agent.text#}}?",
                    "fields": [
                        {
                            "name": "why",
                            "label": "Why",
                            "type": "text",
                            "choices": [],
                            "required": True,
                            "default": None,
                        },
                        {
                            "name": "level",
                            "label": "",
                            "type": "choice",
                            "choices": ["low", "high"],
                            "required": False,
                            "default": "low",
                        },
                        {
                            "name": "n",
                            "label": "N",
                            "type": "number",
                            "choices": [],
                            "required": False,
                            "default": 2,
                        },
                    ],
                    "timeout_s": 5400,
                    "on_timeout": "branch",
                },
                settings={"needs_confirmation": False},
            ),
            _node(
                "assign",
                "variable_assigner",
                {
                    "items": [
                        {
                            "variable_selector": ["conversation", "topics"],
                            "operation": "append",
                            "input_type": "variable",
                            "value": ["start", "topic"],
                        },
                        {
                            "variable_selector": ["conversation", "turns"],
                            "operation": "+=",
                            "input_type": "constant",
                            "value": 1,
                        },
                    ]
                },
            ),
            _node(
                "join",
                "variable_aggregator",
                {
                    "variables": [["llm", "text"], ["agent", "text"], ["tool", "text"]],
                    "output_type": "string",
                },
            ),
            _node(
                "loop_items",
                "iteration",
                {
                    "iterator_selector": ["kb", "result"],
                    "output_selector": ["fmt", "output"],
                    "is_parallel": True,
                    "parallel_nums": 3,
                    "error_handle_mode": "continue-on-error",
                    "start_node_id": "loop_items_start",
                },
                width=420.0,
                height=180.0,
            ),
            _node("loop_items_start", "iteration_start", {}, parentId="loop_items"),
            _node(
                "fmt",
                "template",
                {
                    "variables": [{"variable": "x", "value_selector": ["loop_items", "item"]}],
                    "template": "- {{ x.content }}",
                    "max_output_bytes": 2048,
                },
                parentId="loop_items",
            ),
            _node("answer", "answer", {"answer": "{{#join.output#}}\n{{#loop_items.output#}}"}),
        ],
        "edges": [
            _edge("start", "kb"),
            _edge("kb", "llm"),
            _edge("kb", "loop_items"),
            _edge("loop_items_start", "fmt"),
            _edge("llm", "classify"),
            _edge("classify", "agent", "c1"),
            _edge("classify", "tool", "c2"),
            _edge("agent", "ask"),
            _edge("agent", "join", "fail-branch"),
            _edge("ask", "assign"),
            _edge("ask", "join", "timeout"),
            _edge("assign", "join"),
            _edge("tool", "join"),
            _edge("join", "answer"),
            _edge("loop_items", "answer"),
        ],
        "env": [
            {"name": "API_BASE", "type": "string", "value": "https://example.com"},
            {"name": "LIMIT", "type": "number", "value": 5.0},
            {"name": "TOKEN", "type": "secret", "value": "s3cret"},
        ],
        "conversation_variables": [
            {"name": "topics", "type": "array[string]", "default": None, "description": "seen"},
            {"name": "turns", "type": "number", "default": 3, "description": ""},
        ],
    }


def workflow_spec() -> dict[str, Any]:
    """A workflow app: start, if-else, HTTP, code, extractor, loop around a code node, end."""
    return {
        "mode": "workflow",
        "nodes": [
            _node(
                "start",
                "start",
                {
                    "variables": [
                        {
                            "variable": "text",
                            "label": "Text",
                            "type": "text",
                            "required": True,
                            "default": None,
                            "options": [],
                            "max_length": 48,
                        },
                    ]
                },
            ),
            _node(
                "branch",
                "if_else",
                {
                    "cases": [
                        {
                            "id": None,
                            "case_id": "long",
                            "logical_operator": "or",
                            "conditions": [
                                {
                                    "variable_selector": ["start", "text"],
                                    "comparison_operator": "contains",
                                    "value": "{{#env.WORD#}}",
                                    "id": "k1",
                                    "varType": "string",
                                },
                                {
                                    "variable_selector": ["start", "text"],
                                    "comparison_operator": "empty",
                                    "value": None,
                                    "id": None,
                                    "varType": None,
                                },
                            ],
                        },
                    ]
                },
            ),
            _node(
                "fetch",
                "http_request",
                {
                    "method": "POST",
                    "url": "https://api.example.com/v1/{{#start.text#}}",
                    "headers": [{"key": "X-Trace", "value": "{{#sys.workflow_run_id#}}"}],
                    "params": [{"key": "q", "value": "a:b"}],
                    "body": {"type": "json", "data": '{"text": "{{#start.text#}}"}', "form": []},
                    "auth": {
                        "type": "basic",
                        "username": "me",
                        "header": "X-API-Key",
                        "secret": "TOKEN",
                    },
                    "timeout": {"connect": 5.0, "read": 30.0},
                    "follow_redirects": False,
                    "max_redirects": 2,
                    "fail_on_error_status": True,
                    "max_response_bytes": 4096,
                },
            ),
            _node(
                "form",
                "http_request",
                {
                    "method": "PUT",
                    "url": "https://api.example.com/form",
                    "headers": [],
                    "params": [],
                    "body": {
                        "type": "x-www-form-urlencoded",
                        "data": "",
                        "form": [{"key": "a", "value": "{{#start.text#}}"}],
                    },
                    "auth": {
                        "type": "api-key",
                        "username": "",
                        "header": "X-Key",
                        "secret": "TOKEN",
                    },
                    "timeout": {"connect": 10.0, "read": 60.0},
                    "follow_redirects": True,
                    "max_redirects": 5,
                    "fail_on_error_status": False,
                    "max_response_bytes": None,
                },
            ),
            _node(
                "code",
                "code",
                {
                    "variables": [{"variable": "body", "value_selector": ["fetch", "body"]}],
                    "code_language": "python3",
                    "code": "def main(body: str) -> dict:\n    return {'n': len(body), 'ok': 1}\n",
                    "outputs": [
                        {"variable": "n", "type": "number"},
                        {"variable": "ok", "type": "number"},
                    ],
                },
            ),
            _node(
                "extract",
                "parameter_extractor",
                {
                    "model": MODEL,
                    "query": ["start", "text"],
                    "parameters": [
                        {
                            "name": "city",
                            "type": "string",
                            "description": "A city",
                            "required": True,
                            "options": ["Paris", "Rome"],
                        },
                        {
                            "name": "days",
                            "type": "number",
                            "description": "",
                            "required": False,
                            "options": [],
                        },
                    ],
                    "instruction": "Only cities",
                    "reasoning_mode": "prompt",
                    "fail_on_error": True,
                    "max_tokens": 128,
                },
            ),
            _node(
                "rounds",
                "loop",
                {
                    "loop_count": 4,
                    "logical_operator": "or",
                    "break_conditions": [
                        {
                            "variable_selector": ["rounds", "total"],
                            "comparison_operator": "≥",
                            "value": "10",
                            "id": "b1",
                            "varType": "number",
                        },
                    ],
                    "loop_variables": [
                        {
                            "label": "total",
                            "var_type": "number",
                            "value_type": "constant",
                            "value": 0,
                            "update_selector": ["add", "total"],
                        },
                        {
                            "label": "seed",
                            "var_type": "string",
                            "value_type": "variable",
                            "value": ["extract", "city"],
                            "update_selector": [],
                        },
                    ],
                    "start_node_id": None,
                },
                width=500.0,
                height=220.0,
            ),
            _node("rounds_start", "loop_start", {}, parentId="rounds"),
            _node(
                "add",
                "code",
                {
                    "variables": [{"variable": "t", "value_selector": ["rounds", "total"]}],
                    "code_language": "python3",
                    "code": "def main(t: float) -> dict:\n    return {'total': t + 3}\n",
                    "outputs": [{"variable": "total", "type": "number"}],
                },
                parentId="rounds",
            ),
            _node(
                "end",
                "end",
                {
                    "outputs": [
                        {"variable": "size", "value_selector": ["code", "n"]},
                        {"variable": "found", "value_selector": ["extract", "is_success"]},
                        {"variable": "why", "value_selector": ["extract", "reason"]},
                        {"variable": "total", "value_selector": ["rounds", "total"]},
                    ]
                },
            ),
        ],
        "edges": [
            _edge("start", "branch"),
            _edge("branch", "fetch", "long"),
            _edge("branch", "form", "false"),
            _edge("fetch", "code"),
            _edge("form", "code"),
            _edge("code", "extract"),
            _edge("extract", "rounds"),
            _edge("rounds_start", "add"),
            _edge("rounds", "end"),
        ],
        "env": [
            {"name": "WORD", "type": "string", "value": "long"},
            {"name": "TOKEN", "type": "secret", "value": "t0ken"},
        ],
        "conversation_variables": [],
    }
