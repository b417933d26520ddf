"""Dify's app DSL (YAML) as a Weft draft, with what changed on the way said as notes.

Refusals are ApiErrors naming what is wrong: a file over 10 MB (413), text that is not YAML
(422 with the line), a version that needs the user's word (409, asked), an app mode Weft does
not have, a node type Weft does not have (422 naming each such node's id, title and type: an
app that silently lost a node would run differently). Everything that imports but not as it
was (a feature Weft lacks, a key moved to a secret) is a note, and so is each issue Weft's
compile finds in the draft.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from builder.actions.workflows import parse_spec
from builder.dsl._refs import Renames, rewrite, weft_ids
from builder.dsl._settings import settings_from_dify
from builder.dsl._variables import conversation_from_dify, env_from_dify, secret_env
from builder.dsl._version import check_version
from builder.dsl._yaml import load_yaml
from builder.dsl.nodes import NodeCtx, NodeMapping, by_dify, weft_only_mapping
from builder.dsl.nodes.base import as_dict, as_list, number, text
from builder.dsl.notes import Note
from kernel.errors import ApiError
from runtime.compile import validate
from runtime.nodes import registry
from runtime.resources import Resource
from runtime.spec import WorkflowSpec

WEFT_MODES = {"advanced-chat": "chat", "workflow": "workflow"}
_NOTE_TYPES = ("custom-note",)  # Dify's sticky notes on the canvas: not nodes


@dataclass(frozen=True)
class ImportedDsl:
    """An imported app: its draft spec (checked), its name and description, and the notes."""

    spec: WorkflowSpec
    name: str
    description: str
    notes: list[Note]


def _invalid(field: str, message: str) -> ApiError:
    return ApiError("dsl_invalid", 422, f"{field}: {message}", field=field)


def _mode(app: Mapping[str, Any]) -> str:
    mode = text(app.get("mode"))
    if mode not in WEFT_MODES:
        raise _invalid(
            "app.mode",
            f"{mode or 'none'} apps are not imported: Weft imports Dify's workflow and"
            " chatflow (advanced-chat) apps",
        )
    return WEFT_MODES[mode]


def _mapping(data: Mapping[str, Any]) -> NodeMapping | None:
    dify_type = text(data.get("type"))
    return by_dify(dify_type) or weft_only_mapping(dify_type)


def _refuse_unsupported(nodes: list[dict[str, Any]]) -> None:
    """ApiError 422 naming every node whose type Weft does not have."""
    missing = [
        {
            "id": text(n.get("id")),
            "title": text(as_dict(n.get("data")).get("title")),
            "type": text(as_dict(n.get("data")).get("type")) or "(none)",
        }
        for n in nodes
        if _mapping(as_dict(n.get("data"))) is None
    ]
    if missing:
        said = "; ".join(
            f"{m['title'] or m['id']} (id {m['id']}, type {m['type']})" for m in missing
        )
        raise ApiError(
            "dsl_unsupported_node",
            422,
            f"Weft has no node type for: {said}. Replace or remove these nodes in Dify and"
            " export again",
            nodes=missing,
            field="workflow.graph.nodes",
        )


def _unsupported(raw: Mapping[str, Any]) -> NodeMapping:
    _refuse_unsupported([dict(raw)])
    raise AssertionError("unreachable: the node's type is refused above")


def _node(
    raw: Mapping[str, Any],
    ids: Mapping[str, str],
    renames: Renames,
    notes: list[Note],
    secrets: dict[str, str],
) -> dict[str, Any]:
    node_id = text(raw.get("id"))
    data = rewrite(as_dict(raw.get("data")), renames)
    mapping = _mapping(data) or _unsupported(raw)
    weft = as_dict(data.get("weft"))
    ctx = NodeCtx(ids.get(node_id, node_id), text(data.get("title")))
    config = {**mapping.from_dify(data, ctx), **as_dict(weft.get("config"))}
    notes.extend(ctx.notes)
    secrets.update(ctx.secrets)
    position = as_dict(raw.get("position"))
    node: dict[str, Any] = {
        "id": ctx.node_id,
        "type": mapping.weft_type,
        "title": ctx.title,
        "config": config,
        "settings": settings_from_dify(data, as_dict(weft.get("settings"))),
        "position": {"x": number(position.get("x"), 0), "y": number(position.get("y"), 0)},
    }
    if isinstance(weft.get("version"), int):
        node["version"] = weft["version"]
    parent = text(raw.get("parentId"))
    if parent:
        node["parentId"] = ids.get(parent, parent)
    if registry.has(mapping.weft_type) and registry.get(mapping.weft_type).container_start:
        for side in ("width", "height"):  # only a container's frame has a size in Weft
            size = number(raw.get(side), None)
            if size and size > 0:
                node[side] = size
    return node


def _edge(
    raw: Mapping[str, Any], ids: Mapping[str, str], data_of: Mapping[str, Any]
) -> dict[str, Any]:
    source, target = text(raw.get("source")), text(raw.get("target"))
    handle = text(raw.get("sourceHandle")) or "source"
    mapping = _mapping(as_dict(data_of.get(source)))
    if mapping is not None:
        handle = mapping.handle_from_dify(as_dict(data_of.get(source)), handle)
    edge = {
        "source": ids.get(source, source),
        "sourceHandle": handle,
        "target": ids.get(target, target),
        "targetHandle": text(raw.get("targetHandle")) or "target",
    }
    if text(raw.get("id")):
        edge["id"] = text(raw.get("id"))
    return edge


def _graph(
    workflow: Mapping[str, Any], notes: list[Note]
) -> tuple[list[Any], list[Any], dict[str, str]]:
    """(nodes, edges, secrets moved out of nodes) of a Dify workflow."""
    graph = as_dict(workflow.get("graph"))
    raw_nodes = [as_dict(n) for n in as_list(graph.get("nodes"))]
    dropped = {text(n.get("id")) for n in raw_nodes if n.get("type") in _NOTE_TYPES}
    if dropped:
        notes.append(
            Note("dsl_dropped", f"{len(dropped)} sticky note(s) on the canvas are left out")
        )
    raw_nodes = [n for n in raw_nodes if text(n.get("id")) not in dropped]
    _refuse_unsupported(raw_nodes)
    ids = weft_ids([text(n.get("id")) for n in raw_nodes])
    for old, new in ids.items():
        notes.append(Note("dsl_changed", f"node {old!r} is {new!r} now (Weft's ids)", new))
    data_of = {text(n.get("id")): as_dict(n.get("data")) for n in raw_nodes}
    outputs = {}
    for node_id, data in data_of.items():
        mapping = _mapping(data)
        outputs[node_id] = dict(mapping.outputs) if mapping else {}
    renames = Renames(ids, outputs)
    secrets: dict[str, str] = {}
    nodes = [_node(n, ids, renames, notes, secrets) for n in raw_nodes]
    edges = [
        _edge(e, ids, data_of)
        for e in map(as_dict, as_list(graph.get("edges")))
        if text(e.get("source")) not in dropped and text(e.get("target")) not in dropped
    ]
    return nodes, edges, secrets


def _feature_notes(workflow: Mapping[str, Any], doc: Mapping[str, Any]) -> list[Note]:
    features = as_dict(workflow.get("features"))
    used = [
        name
        for name, value in features.items()
        if (isinstance(value, Mapping) and value.get("enabled"))
        or (name in ("opening_statement", "suggested_questions") and value)
    ]
    found = []
    if [u for u in used if u != "retriever_resource"]:
        found.append(
            Note("dsl_dropped", f"app features Weft does not have are left out: {', '.join(used)}")
        )
    plugins = as_list(doc.get("dependencies"))
    if plugins:
        found.append(
            Note(
                "dsl_dependencies",
                f"the file names {len(plugins)} Dify plugin(s) it depends on: models and tools"
                " must exist in this workspace under the names its nodes use",
            )
        )
    return found


def import_dsl(
    text_or_bytes: str | bytes,
    confirmed: bool = False,
    offered: Collection[Resource[Any]] | None = None,
) -> ImportedDsl:
    """A Dify app DSL file as a Weft draft (checked with `validate`, whose issues join the
    notes; `offered`: the resources the workspace has). `confirmed`: the user said to import a
    version that needs their word. Refusals are ApiErrors (see the module's docstring)."""
    doc = load_yaml(text_or_bytes)
    if not isinstance(doc, Mapping):
        raise _invalid(
            "file", "it holds no app: a Dify DSL file is a mapping with app: and workflow:"
        )
    if text(doc.get("kind"), "app") != "app":
        raise _invalid("kind", f"this is a Dify {text(doc.get('kind'))} file; Weft imports apps")
    notes = check_version(doc.get("version"), confirmed)
    app = as_dict(doc.get("app"))
    if not app:
        raise _invalid("app", "the file has no app section (name, mode)")
    mode = _mode(app)
    workflow = as_dict(doc.get("workflow"))
    nodes, edges, secrets = _graph(workflow, notes)
    notes.extend(_feature_notes(workflow, doc))
    raw = {
        "mode": mode,
        "nodes": nodes,
        "edges": edges,
        "env": env_from_dify(workflow.get("environment_variables"), notes) + secret_env(secrets),
        "conversation_variables": conversation_from_dify(workflow.get("conversation_variables")),
    }
    spec = parse_spec(raw)
    notes.extend(Note(i.code, i.message, i.node_id, i.field) for i in validate(spec, offered))
    name = text(app.get("name")).strip()[:100] or "Imported app"
    return ImportedDsl(spec, name, text(app.get("description")), notes)
