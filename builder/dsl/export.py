"""A Weft spec as Dify's app DSL (YAML, version 0.6.0).

Every node becomes a Dify node of its counterpart type (`builder/dsl/nodes/`), or one under
`weft:<type>` when Dify has none. What Weft holds and Dify has no field for rides along in each
node's `data.weft`, so importing the file back gives the same spec.
"""

from __future__ import annotations

from typing import Any

from builder.dsl._refs import Renames, rewrite
from builder.dsl._settings import settings_to_dify
from builder.dsl._variables import conversation_to_dify, env_to_dify
from builder.dsl._version import DSL_VERSION
from builder.dsl._yaml import dump_yaml
from builder.dsl.nodes import NodeCtx, weft_mapping
from builder.dsl.nodes.base import filled
from runtime.nodes import registry
from runtime.spec import EdgeSpec, NodeSpec, WorkflowSpec

DIFY_MODES = {"chat": "advanced-chat", "workflow": "workflow"}
_FEATURES: dict[str, Any] = {
    "file_upload": {"enabled": False},
    "opening_statement": "",
    "retriever_resource": {"enabled": True},
    "sensitive_word_avoidance": {"enabled": False},
    "speech_to_text": {"enabled": False},
    "suggested_questions": [],
    "suggested_questions_after_answer": {"enabled": False},
    "text_to_speech": {"enabled": False, "language": "", "voice": ""},
}
CONTAINER_KINDS = ("iteration", "loop")  # Dify's container types, which mark their children


def _title(node: NodeSpec) -> str:
    if node.title:
        return node.title
    if registry.has(node.type, node.version):
        return registry.get(node.type, node.version).type_title or node.type
    return node.type


def _container_marks(node_id: str | None, by_id: dict[str, NodeSpec]) -> dict[str, Any]:
    """Dify's marks on a node (or edge) inside a container: isInIteration and iteration_id."""
    node = by_id.get(node_id or "")
    container = by_id.get(node.parent_id or "") if node else None
    kind = weft_mapping(container.type).dify_type if container else ""
    marks: dict[str, Any] = {f"isIn{k.title()}": k == kind for k in CONTAINER_KINDS}
    if container is not None and kind in CONTAINER_KINDS:
        marks[f"{kind}_id"] = container.id
    return marks


def _node(node: NodeSpec, by_id: dict[str, NodeSpec], renames: Renames) -> dict[str, Any]:
    mapping = weft_mapping(node.type)
    ctx = NodeCtx(node.id, node.title)
    data: dict[str, Any] = {"type": mapping.dify_type, "title": _title(node), "desc": ""}
    data |= mapping.to_dify(node.config, ctx)
    defaults = filled(node.type, {})
    for key in mapping.weft_only:  # a default is left out: the import fills it in again
        if key in node.config and node.config[key] != defaults.get(key):
            ctx.keep(key, node.config[key])
    on_error, settings = settings_to_dify(node.settings)
    data |= on_error
    data |= {k: v for k, v in _container_marks(node.id, by_id).items() if v}
    weft: dict[str, Any] = {}
    if ctx.kept:
        weft["config"] = ctx.kept
    if settings:
        weft["settings"] = settings
    if node.version != 1:
        weft["version"] = node.version
    if weft:
        data["weft"] = weft
    out: dict[str, Any] = {
        "id": node.id,
        "type": mapping.canvas_type,
        "position": {"x": node.position.x, "y": node.position.y},
    }
    if node.parent_id is not None:
        out["parentId"] = node.parent_id
    for side in ("width", "height"):
        if getattr(node, side) is not None:
            out[side] = data[side] = getattr(node, side)
    out["data"] = rewrite(data, renames)
    return out


def _edge(edge: EdgeSpec, by_id: dict[str, NodeSpec]) -> dict[str, Any]:
    source, target = by_id.get(edge.source), by_id.get(edge.target)
    handle = edge.source_handle
    if source is not None:
        handle = weft_mapping(source.type).handle_to_dify(source.config, handle)
    data = {
        "sourceType": weft_mapping(source.type).dify_type if source else "",
        "targetType": weft_mapping(target.type).dify_type if target else "",
        **_container_marks(edge.source, by_id),
    }
    return {
        "id": edge.id or f"{edge.source}-{handle}-{edge.target}-{edge.target_handle}",
        "source": edge.source,
        "sourceHandle": handle,
        "target": edge.target,
        "targetHandle": edge.target_handle,
        "type": "custom",
        "data": data,
    }


def export_spec(
    spec: WorkflowSpec, name: str, description: str = "", include_secrets: bool = False
) -> str:
    """`spec` (of an app called `name`) as Dify DSL YAML; secret env values only when
    `include_secrets` (the caller gives the spec with them decrypted)."""
    by_id = {n.id: n for n in spec.nodes}
    renames = Renames(
        outputs={
            n.id: {weft: dify for dify, weft in weft_mapping(n.type).outputs.items()}
            for n in spec.nodes
        }
    )
    document = {
        "app": {
            "name": name,
            "mode": DIFY_MODES[spec.mode],
            "icon": "🤖",
            "icon_type": "emoji",
            "icon_background": "#FFEAD5",
            "description": description,
            "use_icon_as_answer_icon": False,
        },
        "kind": "app",
        "version": DSL_VERSION,
        "dependencies": [],
        "workflow": {
            "conversation_variables": conversation_to_dify(spec),
            "environment_variables": env_to_dify(spec, include_secrets),
            "features": _FEATURES,
            "graph": {
                "edges": [_edge(e, by_id) for e in spec.edges],
                "nodes": [_node(n, by_id, renames) for n in spec.nodes],
                "viewport": {"x": 0, "y": 0, "zoom": 1},
            },
        },
    }
    return dump_yaml(document)
