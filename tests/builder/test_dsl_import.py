"""Dify DSL import: hand-written Dify-shaped files become Weft drafts, and each refusal rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from builder.dsl import import_dsl
from kernel.errors import ApiError
from runtime.compile import compile_workflow
from runtime.spec import WorkflowSpec

FIXTURES = Path(__file__).parents[1] / "fixtures" / "dsl"


def _load(name: str) -> str:
    return (FIXTURES / name).read_text()


def _nodes(spec: WorkflowSpec) -> dict[str, Any]:
    return {n.id: n for n in spec.nodes}


def _notes(imported: Any) -> list[str]:
    return [n.message for n in imported.notes]


def test_dsl_imports_a_dify_chatflow_with_knowledge_and_context() -> None:
    imported = import_dsl(_load("chat_knowledge.yml"))
    spec = imported.spec
    assert (imported.name, imported.description, spec.mode) == (
        "Handbook helper",
        "Answers from the handbook",
        "chat",
    )
    nodes = _nodes(spec)
    assert [(n.id, n.type) for n in spec.nodes] == [
        ("1730000000001", "start"),
        ("1730000000002", "knowledge_retrieval"),
        ("llm", "llm"),
        ("answer", "answer"),
    ]
    kb = nodes["1730000000002"]
    assert kb.title == "Handbook search"
    assert kb.config == {
        "query": ["sys", "query"],
        "dataset_ids": ["6f1c2a1e-0000-4000-8000-000000000001"],
        "mode": "hybrid",
        "weight": 0.7,
        "top_k": 3,
        "score_threshold": None,
        "metadata_filter": [{"key": "language", "op": "is", "value": "en"}],
    }
    llm = nodes["llm"].config
    assert llm["system_prompt"] == "Answer from these passages only:\n{{#context#}}"
    assert llm["prompt"] == "{{#sys.query#}}"  # the memory's query template is the user's turn
    assert llm["memory"] == {"enabled": True, "window": 8}
    assert llm["context"] == {"enabled": True, "variable_selector": ["1730000000002", "result"]}
    assert llm["model"] == {"provider": "langgenius/openai/openai", "name": "gpt-4o-mini"}
    assert (llm["temperature"], llm["max_tokens"]) == (0.2, 512)
    assert nodes["answer"].config == {"answer": "{{#llm.text#}}"}
    assert [(e.source, e.target) for e in spec.edges] == [
        ("1730000000001", "1730000000002"),
        ("1730000000002", "llm"),
        ("llm", "answer"),
    ]
    said = _notes(imported)
    assert "1 sticky note(s) on the canvas are left out" in said
    assert any("1 Dify plugin(s)" in s for s in said)
    # the draft compiles (its model provider is one the workspace must add: no issue here)
    compile_workflow(spec)


def test_dsl_imports_a_dify_workflow_with_branches_iteration_and_tools() -> None:
    imported = import_dsl(_load("workflow_branches.yml"))
    spec, nodes = imported.spec, _nodes(imported.spec)
    assert {n.id: n.type for n in spec.nodes} == {
        "start": "start",
        "fetch": "http_request",
        "split": "code",
        "each": "iteration",
        "eachstart": "iteration_start",
        "summary": "llm",
        "many": "if_else",
        "agent": "agent",
        "clock": "tool",
        "end": "end",
    }
    fetch = nodes["fetch"]
    assert fetch.config["method"] == "GET"
    assert fetch.config["headers"] == [
        {"key": "Accept", "value": "application/json"},
        {"key": "X-Token", "value": "{{#env.FEED_TOKEN#}}"},
    ]
    assert fetch.config["params"] == [{"key": "limit", "value": "{{#env.MAX_ITEMS#}}"}]
    assert fetch.config["timeout"] == {"connect": 5, "read": 20}
    # the key written into the node moved to a secret env variable, named in a warning
    assert fetch.config["auth"]["type"] == "bearer"
    assert fetch.config["auth"]["secret"] == "HTTP_FETCH_SECRET"
    env = {v.name: (v.type, v.value) for v in spec.env}
    assert env == {
        "FEED_TOKEN": ("secret", ""),
        "MAX_ITEMS": ("number", 3.0),
        "HTTP_FETCH_SECRET": ("secret", "sk-inline-123"),
    }
    assert fetch.run_settings().retry.max_attempts == 3
    assert fetch.run_settings().retry.interval_s == 1.5
    assert nodes["split"].config["outputs"] == [
        {"variable": "count", "type": "number"},
        {"variable": "items", "type": "array[object]"},
    ]
    each = nodes["each"]
    assert (each.width, each.height) == (420, 190)
    assert (each.config["is_parallel"], each.config["parallel_nums"]) == (True, 4)
    assert each.config["error_handle_mode"] == "remove-abnormal-output"
    assert (nodes["summary"].parent_id, nodes["eachstart"].parent_id) == ("each", "each")
    assert nodes["summary"].config["prompt"] == "{{#each.item#}}"
    assert nodes["summary"].width is None  # only a container's frame has a size
    assert nodes["many"].config["cases"][0]["case_id"] == "true"
    handles = {(e.source, e.target): e.source_handle for e in spec.edges}
    assert (handles[("many", "agent")], handles[("many", "clock")]) == ("true", "false")
    agent = nodes["agent"].config
    assert agent["strategy"] == "react"
    assert agent["tools"] == [{"server": "time", "tool": "current_time"}]
    assert (agent["max_steps"], agent["instructions"]) == (4, "Pick the most urgent item.")
    assert agent["model"] == {"provider": "langgenius/openai/openai", "name": "gpt-4o"}
    clock = nodes["clock"]
    assert (clock.config["server"], clock.config["tool"]) == ("time", "current_time")
    assert clock.config["arguments"] == {"timezone": {"type": "mixed", "value": "Europe/Paris"}}
    assert clock.run_settings().error_strategy == "default_value"
    assert clock.run_settings().default_outputs == {"text": "unknown"}
    said = _notes(imported)
    assert any("HTTP_FETCH_SECRET" in s and "Fetch feed" in s for s in said)
    # the agent's query reads the iteration's output, which is fine; compile finds no issue
    assert [n for n in imported.notes if n.code not in ("dsl_changed",)] == []


def _doc(**changes: Any) -> str:
    doc = yaml.safe_load(_load("chat_knowledge.yml"))
    for key, value in changes.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return yaml.safe_dump(doc, allow_unicode=True)


def _refusal(text: str | bytes, **kw: Any) -> ApiError:
    with pytest.raises(ApiError) as caught:
        import_dsl(text, **kw)
    return caught.value


def test_dsl_without_version_reads_as_0_1_0_with_a_warning() -> None:
    imported = import_dsl(_doc(version=None))
    assert imported.notes[0].code == "dsl_version"
    assert "0.1.0, older than 0.6.0" in imported.notes[0].message


def test_dsl_older_minor_version_imports_with_a_warning() -> None:
    imported = import_dsl(_doc(version="0.3.1"))
    assert imported.notes[0].code == "dsl_version"
    assert "0.3.1" in imported.notes[0].message


@pytest.mark.parametrize("version", ["1.0.0", "0.7.0"])
def test_dsl_another_major_or_newer_version_asks_before_importing(version: str) -> None:
    refused = _refusal(_doc(version=version))
    assert (refused.status, refused.code) == (409, "dsl_confirm")
    assert refused.message.endswith("Import it anyway?")
    assert refused.data["imported_version"] == version
    imported = import_dsl(_doc(version=version), confirmed=True)
    assert imported.notes[0].code == "dsl_version"
    assert len(imported.spec.nodes) == 4


def test_dsl_refuses_a_file_over_10_mb() -> None:
    big = _load("chat_knowledge.yml") + "#" + "x" * (10 * 1024 * 1024)
    refused = _refusal(big)
    assert (refused.status, refused.code) == (413, "dsl_too_large")


def test_dsl_refuses_bad_yaml_naming_the_line() -> None:
    text = "app:\n  name: x\n  mode: workflow\nworkflow: [a, b\nkind: app\n"
    refused = _refusal(text)
    assert (refused.status, refused.code) == (422, "dsl_invalid_yaml")
    assert refused.data["line"] == 5
    assert refused.message.startswith("line 5:")


def test_dsl_refuses_yaml_aliases() -> None:
    text = "a: &x [1, 2]\nb: [*x, *x]\n"
    refused = _refusal(text)
    assert (refused.code, refused.data["line"]) == ("dsl_invalid_yaml", 2)


def test_dsl_refuses_an_unsupported_node_naming_its_id_title_and_type() -> None:
    doc = yaml.safe_load(_load("workflow_branches.yml"))
    doc["workflow"]["graph"]["nodes"].append(
        {"id": "1731", "type": "custom", "data": {"type": "list-operator", "title": "Top 3"}}
    )
    refused = _refusal(yaml.safe_dump(doc))
    assert (refused.status, refused.code) == (422, "dsl_unsupported_node")
    assert refused.data["nodes"] == [{"id": "1731", "title": "Top 3", "type": "list-operator"}]
    assert "Top 3 (id 1731, type list-operator)" in refused.message


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"app": {"name": "x", "mode": "completion"}}, "app.mode", "completion apps"),
        ({"kind": "rag_pipeline"}, "kind", "rag_pipeline"),
        ({"app": None}, "app", "no app section"),
        ({"version": "one"}, "version", "'one' is not a version"),
    ],
)
def test_dsl_refuses_what_is_no_weft_app_naming_the_field(
    changes: dict[str, Any], field: str, words: str
) -> None:
    refused = _refusal(_doc(**changes))
    assert (refused.status, refused.data["field"]) == (422, field)
    assert words in refused.message


def test_dsl_refuses_a_file_that_is_no_mapping() -> None:
    refused = _refusal("- just\n- a list\n")
    assert (refused.status, refused.data["field"]) == (422, "file")


def test_dsl_compile_issues_come_back_as_warnings() -> None:
    doc = yaml.safe_load(_load("chat_knowledge.yml"))
    doc["workflow"]["graph"]["nodes"][3]["data"]["answer"] = "{{#nowhere.text#}}"
    imported = import_dsl(yaml.safe_dump(doc, allow_unicode=True))
    issues = [(n.code, n.node_id) for n in imported.notes if n.code == "unknown_variable"]
    assert issues == [("unknown_variable", "answer")]


def _workflow(
    nodes: list[tuple[str, dict[str, Any]]], edges: list[tuple[str, str]], mode: str = "workflow"
) -> str:
    doc = {
        "app": {"name": "Small", "mode": mode},
        "kind": "app",
        "version": "0.6.0",
        "workflow": {
            "graph": {
                "nodes": [
                    {"id": i, "type": "custom", "data": {"title": i, **data}} for i, data in nodes
                ],
                "edges": [{"id": f"{s}-{t}", "source": s, "target": t} for s, t in edges],
            }
        },
    }
    return yaml.safe_dump(doc, allow_unicode=True)


def test_dsl_renames_ids_weft_cannot_hold_with_their_references() -> None:
    odd = "node.with:odd chars"
    text = _workflow(
        [
            ("start", {"type": "start", "variables": []}),
            (odd, {"type": "template-transform", "template": "hi", "variables": []}),
            (
                "end",
                {"type": "end", "outputs": [{"variable": "o", "value_selector": [odd, "output"]}]},
            ),
        ],
        [("start", odd), (odd, "end")],
    )
    imported = import_dsl(text)
    nodes = _nodes(imported.spec)
    assert "node_with_odd_chars" in nodes
    assert nodes["end"].config["outputs"][0]["value_selector"] == ["node_with_odd_chars", "output"]
    assert [(e.source, e.target) for e in imported.spec.edges] == [
        ("start", "node_with_odd_chars"),
        ("node_with_odd_chars", "end"),
    ]
    assert "node 'node.with:odd chars' is 'node_with_odd_chars' now (Weft's ids)" in _notes(
        imported
    )
    assert not [n for n in imported.notes if n.code == "unknown_variable"]


def test_dsl_reads_older_dify_node_forms() -> None:
    text = _workflow(
        [
            ("start", {"type": "start", "variables": [{"variable": "f", "type": "file"}]}),
            # if-else before cases: top-level conditions are one case "true"
            (
                "check",
                {
                    "type": "if-else",
                    "logical_operator": "and",
                    "conditions": [
                        {"variable_selector": ["start", "f"], "comparison_operator": "not empty"}
                    ],
                },
            ),
            # Dify's first name for the variable aggregator
            (
                "pick",
                {
                    "type": "variable-assigner",
                    "output_type": "string",
                    "variables": [["start", "f"]],
                },
            ),
            # an HTTP body whose data is still one text
            (
                "post",
                {
                    "type": "http-request",
                    "method": "post",
                    "url": "https://x.example",
                    "authorization": {"type": "no-auth"},
                    "headers": "",
                    "params": "",
                    "body": {"type": "raw-text", "data": "hello {{#start.f#}}"},
                },
            ),
            ("end", {"type": "end", "outputs": []}),
        ],
        [("start", "check"), ("check", "pick"), ("pick", "post"), ("post", "end")],
    )
    imported = import_dsl(text)
    nodes = _nodes(imported.spec)
    assert nodes["start"].config["variables"][0]["type"] == "paragraph"
    assert nodes["check"].config["cases"][0]["case_id"] == "true"
    assert nodes["pick"].type == "variable_aggregator"
    assert nodes["pick"].config["variables"] == [["start", "f"]]
    assert nodes["post"].config["body"] == {
        "type": "raw-text",
        "data": "hello {{#start.f#}}",
        "form": [],
    }
    assert any("Dify file input" in s for s in _notes(imported))


def test_dsl_reads_a_version_1_assigner_as_one_item() -> None:
    text = _workflow(
        [
            ("start", {"type": "start", "variables": []}),
            (
                "set",
                {
                    "type": "assigner",
                    "assigned_variable_selector": ["conversation", "last"],
                    "input_variable_selector": ["sys", "query"],
                    "write_mode": "over-write",
                },
            ),
            ("answer", {"type": "answer", "answer": "ok"}),
        ],
        [("start", "set"), ("set", "answer")],
        mode="advanced-chat",
    )
    assert _nodes(import_dsl(text).spec)["set"].config == {
        "items": [
            {
                "variable_selector": ["conversation", "last"],
                "operation": "over-write",
                "input_type": "variable",
                "value": ["sys", "query"],
            }
        ]
    }


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("app:\n  name: x\nn: .inf\n", "line 3: .inf is not a number"),
        ("app:\n  name: !!binary aGk=\n", "line 2: tag:yaml.org,2002:binary values are not read"),
        ('app:\n  name: "\\ud800"\n', "half of a character"),
        ("a: " + "[" * 80 + "]" * 80 + "\n", "nested deeper than 64 levels"),
    ],
)
def test_dsl_reads_json_values_only(text: str, words: str) -> None:
    refused = _refusal(text)
    assert (refused.status, refused.code) == (422, "dsl_invalid_yaml")
    assert words in refused.message


def test_dsl_keeps_a_date_as_its_text() -> None:
    doc = yaml.safe_load(_load("chat_knowledge.yml"))
    doc["workflow"]["graph"]["nodes"][3]["data"]["answer"] = "Updated"
    text = yaml.safe_dump(doc, allow_unicode=True).replace("answer: Updated", "answer: 2026-01-31")
    assert _nodes(import_dsl(text).spec)["answer"].config == {"answer": "2026-01-31"}


def test_dsl_reads_a_dify_human_input_form() -> None:
    form = {
        "type": "human-input",
        "form_content": "Check {{#start.x#}}\n\n{{#$outputs.why#}}",
        "inputs": [
            {
                "type": "paragraph",
                "output_variable_name": "why",
                "placeholder": {"type": "constant", "value": "looks fine"},
            }
        ],
        "user_actions": [{"id": "approve", "title": "OK"}, {"id": "reject", "title": "No"}],
        "timeout": 2,
        "timeout_unit": "day",
    }
    text = _workflow(
        [
            ("start", {"type": "start", "variables": [{"variable": "x", "type": "text-input"}]}),
            ("ask", form),
            ("end", {"type": "end", "outputs": []}),
        ],
        [("start", "ask")],
    )
    doc = yaml.safe_load(text)
    doc["workflow"]["graph"]["edges"].append(
        {"id": "a", "source": "ask", "sourceHandle": "approve", "target": "end"}
    )
    imported = import_dsl(yaml.safe_dump(doc))
    ask = _nodes(imported.spec)["ask"]
    assert ask.config["prompt"] == "Check {{#start.x#}}"
    assert ask.config["fields"] == [
        {
            "name": "why",
            "label": "",
            "type": "text",
            "choices": [],
            "required": True,
            "default": "looks fine",
        }
    ]
    assert ask.config["timeout_s"] == 2 * 86400
    assert [e.source_handle for e in imported.spec.edges if e.source == "ask"] == ["source"]
    assert any("other 1 button(s)" in s for s in _notes(imported))
