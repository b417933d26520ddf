"""App templates: ready workflows to start a new app from (a template is a spec).

A template that needs something of the workspace leaves it empty (the knowledge node's
knowledge bases): the editor shows what to pick, and whoever seeds an app from it fills it in
(`fill_knowledge_bases`; `make run`'s demo does, portal/demo.py). builder knows knowledge bases
only as the ids a knowledge node holds.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from builder import _multiagent
from builder.actions.workflows import default_spec
from runtime.nodes import registry

CHAT_WITH_DOCUMENTS = "chat-with-documents"
MULTI_AGENT = "multi-agent"

DOCUMENTS_SYSTEM_PROMPT = (
    "You answer questions using the passages below, taken from the user's documents.\n"
    "Answer only from them, briefly, and say which document you used. If they do not hold the"
    " answer, say that you do not know.\n\n{{#context#}}"
)


@dataclass(frozen=True, slots=True)
class AppTemplate:
    """A workflow to start from: shown by name and description, built fresh each time."""

    id: str
    name: str
    description: str
    mode: str
    build: Callable[[], dict[str, Any]]
    # the picker's card: how the pattern works, and each role (name, what it does)
    card: str = ""
    roles: tuple[tuple[str, str], ...] = ()


def _chat_with_documents() -> dict[str, Any]:
    """Start → Knowledge retrieval → LLM (the passages as its context) → Answer."""
    spec = default_spec("chat")
    knowledge = {
        "id": "knowledge",
        "type": "knowledge_retrieval",
        "title": "Knowledge retrieval",
        "config": registry.get("knowledge_retrieval").default_config("chat"),
        "position": {"x": 400, "y": 200},
    }
    nodes = {n["id"]: n for n in spec["nodes"]}
    llm = nodes["llm"]
    llm["position"] = {"x": 700, "y": 200}
    nodes["answer"]["position"] = {"x": 1000, "y": 200}
    llm["config"]["system_prompt"] = DOCUMENTS_SYSTEM_PROMPT
    llm["config"]["context"] = {"enabled": True, "variable_selector": ["knowledge", "result"]}
    spec["nodes"] = [nodes["start"], knowledge, llm, nodes["answer"]]
    spec["edges"] = [
        {"id": "e1", "source": "start", "target": "knowledge"},
        {"id": "e2", "source": "knowledge", "target": "llm"},
        {"id": "e3", "source": "llm", "target": "answer"},
    ]
    return spec


TEMPLATES: dict[str, AppTemplate] = {
    t.id: t
    for t in [
        AppTemplate(
            CHAT_WITH_DOCUMENTS,
            "Chat with your documents",
            "Answers from a knowledge base and cites the passages it used.",
            "chat",
            _chat_with_documents,
        ),
        AppTemplate(
            MULTI_AGENT,
            "Multi-agent team",
            "A planner, a researcher, an executor and an evaluator work in rounds until the"
            " result is accepted.",
            "chat",
            _multiagent.multi_agent_spec,
            card=_multiagent.CARD,
            roles=_multiagent.ROLES,
        ),
    ]
}


def list_templates() -> list[AppTemplate]:
    """The templates offered when creating an app."""
    return list(TEMPLATES.values())


def template_spec(template_id: str) -> dict[str, Any] | None:
    """A fresh spec of the template, or None when there is no such template."""
    template = TEMPLATES.get(template_id)
    return template.build() if template else None


def fill_knowledge_bases(spec: dict[str, Any], dataset_ids: Sequence[str]) -> dict[str, Any]:
    """The spec with its knowledge nodes that have no knowledge base searching `dataset_ids`."""
    filled = copy.deepcopy(spec)
    for node in filled["nodes"]:
        config = node.setdefault("config", {})
        if node["type"] == "knowledge_retrieval" and not config.get("dataset_ids"):
            config["dataset_ids"] = list(dataset_ids)
    return filled
