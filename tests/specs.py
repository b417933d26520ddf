"""Small workflow specs named for what they show, shared by tests and benchmarks."""

from __future__ import annotations

from typing import Any


def echo_chat_spec() -> dict[str, Any]:
    """A chat app with no model: Start → Template (echoes the query) → Answer."""
    return {
        "mode": "chat",
        "nodes": [
            {"id": "start", "type": "start", "config": {"variables": []}},
            {
                "id": "tpl",
                "type": "template",
                "config": {
                    "variables": [{"variable": "q", "value_selector": ["sys", "query"]}],
                    "template": "echo: {{ q }}",
                },
            },
            {"id": "answer", "type": "answer", "config": {"answer": "{{#tpl.output#}}"}},
        ],
        "edges": [{"source": "start", "target": "tpl"}, {"source": "tpl", "target": "answer"}],
    }


def echo_workflow_spec() -> dict[str, Any]:
    """A workflow app with no model: Start(name) → Template → End(greeting)."""
    return {
        "mode": "workflow",
        "nodes": [
            {
                "id": "start",
                "type": "start",
                "config": {
                    "variables": [
                        {"variable": "name", "type": "text", "required": True, "max_length": 20}
                    ]
                },
            },
            {
                "id": "tpl",
                "type": "template",
                "config": {
                    "variables": [{"variable": "n", "value_selector": ["start", "name"]}],
                    "template": "Hello, {{ n }}!",
                },
            },
            {
                "id": "end",
                "type": "end",
                "config": {
                    "outputs": [{"variable": "greeting", "value_selector": ["tpl", "output"]}]
                },
            },
        ],
        "edges": [{"source": "start", "target": "tpl"}, {"source": "tpl", "target": "end"}],
    }


def topic_workflow_spec() -> dict[str, Any]:
    """A workflow app whose inputs are not `query`, one of each start variable type (no model):
    Start(topic, count, tone, formal, mood) → Template (joins them with |) → End(line)."""
    variables: list[dict[str, Any]] = [
        {"variable": "topic", "label": "Topic", "type": "text", "max_length": 40},
        {"variable": "count", "type": "number"},
        {"variable": "tone", "type": "select", "options": ["warm", "dry"]},
        {"variable": "formal", "type": "checkbox"},
        {"variable": "mood", "type": "paragraph", "default": "it's sunny"},
    ]
    names = [v["variable"] for v in variables]
    return {
        "mode": "workflow",
        "nodes": [
            {"id": "start", "type": "start", "config": {"variables": variables}},
            {
                "id": "tpl",
                "type": "template",
                "config": {
                    "variables": [{"variable": n, "value_selector": ["start", n]} for n in names],
                    "template": "{{ topic }}|{{ count }}|{{ tone }}|{{ formal }}|{{ mood }}",
                },
            },
            {
                "id": "end",
                "type": "end",
                "config": {"outputs": [{"variable": "line", "value_selector": ["tpl", "output"]}]},
            },
        ],
        "edges": [{"source": "start", "target": "tpl"}, {"source": "tpl", "target": "end"}],
    }


def chain_spec(length: int) -> dict[str, Any]:
    """Start → `length` template nodes, each reading the one before → End (a workflow app)."""
    nodes: list[dict[str, Any]] = [
        {"id": "start", "type": "start", "config": {"variables": []}},
    ]
    edges: list[dict[str, Any]] = []
    prev, field = "start", "sys"
    for i in range(length):
        node_id = f"t{i}"
        selector = ["sys", "user_id"] if prev == "start" else [prev, field]
        nodes.append(
            {
                "id": node_id,
                "type": "template",
                "config": {
                    "variables": [{"variable": "x", "value_selector": selector}],
                    "template": "{{ x }}",
                },
            }
        )
        edges.append({"source": prev, "target": node_id})
        prev, field = node_id, "output"
    nodes.append(
        {
            "id": "end",
            "type": "end",
            "config": {"outputs": [{"variable": "out", "value_selector": [prev, field]}]},
        }
    )
    edges.append({"source": prev, "target": "end"})
    return {"mode": "workflow", "nodes": nodes, "edges": edges}


def human_input_spec(**ask: Any) -> dict[str, Any]:
    """A workflow app with no model: Start(topic) → Human input (ask: answer, level) → End(a, l);
    `ask` adds to the human-input node's config (timeout_s, on_timeout)."""
    fields = [
        {"name": "answer", "label": "Your answer"},
        {"name": "level", "type": "choice", "choices": ["low", "high"], "required": False,
         "default": "low"},
    ]  # fmt: skip
    outputs = [
        {"variable": "a", "value_selector": ["ask", "answer"]},
        {"variable": "l", "value_selector": ["ask", "level"]},
    ]
    return {
        "mode": "workflow",
        "nodes": [
            {
                "id": "start",
                "type": "start",
                "config": {"variables": [{"variable": "topic", "type": "text"}]},
            },
            {
                "id": "ask",
                "type": "human_input",
                "title": "Ask a person",
                "config": {"prompt": "What about {{#start.topic#}}?", "fields": fields, **ask},
            },
            {"id": "end", "type": "end", "config": {"outputs": outputs}},
        ],
        "edges": [{"source": "start", "target": "ask"}, {"source": "ask", "target": "end"}],
    }


def human_input_chat_spec() -> dict[str, Any]:
    """A chat app with no model that asks a person mid-reply: Start → Answer ("Let me ask about
    <query>. ") → Human input (answer) → Answer ("You chose <answer>.")."""
    ask = {
        "prompt": "What about {{#sys.query#}}?",
        "fields": [{"name": "answer", "label": "Your answer"}],
    }
    return {
        "mode": "chat",
        "nodes": [
            {"id": "start", "type": "start", "config": {"variables": []}},
            {
                "id": "hold",
                "type": "answer",
                "config": {"answer": "Let me ask about {{#sys.query#}}. "},
            },
            {"id": "ask", "type": "human_input", "title": "Ask a person", "config": ask},
            {"id": "reply", "type": "answer", "config": {"answer": "You chose {{#ask.answer#}}."}},
        ],
        "edges": [
            {"source": "start", "target": "hold"},
            {"source": "hold", "target": "ask"},
            {"source": "ask", "target": "reply"},
        ],
    }
