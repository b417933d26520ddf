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
