"""The "knowledge" tool server: `search_knowledge` over the workspace's knowledge bases.

rag registers it as a tool source (rag.apps), so an agent or a tool node can search without a
knowledge node. The knowledge bases are read when the session is first used: their names are
the `knowledge_base` argument's choices (none given: all of them are searched). The search is
the knowledge node's (rag.retriever), hybrid with each knowledge base's own weighting; passages
come back as text with their sources and as structured content with scores and documents.
"""

from __future__ import annotations

from functools import partial

from kernel.db import db_call
from rag.models import KnowledgeBase
from rag.retriever import KnowledgeRetriever
from runtime.errors import ToolArgumentsError
from runtime.resources import RetrievedChunk, ToolResult, ToolSession
from runtime.tools import BuiltinTool, BuiltinTools, object_schema, tool_result

SERVER = "knowledge"
TOOL = "search_knowledge"
DEFAULT_TOP_K = 4
MAX_TOP_K = 20


def knowledge_servers(workspace_id: int) -> dict[str, ToolSession]:
    """The workspace's "knowledge" server (the rag tool source)."""
    load = partial(_load, workspace_id)
    return {SERVER: BuiltinTools(load, label=SERVER)}


async def _load(workspace_id: int) -> list[BuiltinTool]:
    rows = await db_call(_knowledge_bases, workspace_id)
    return [search_tool(workspace_id, rows)]


def _knowledge_bases(workspace_id: int) -> list[tuple[str, str, str]]:
    rows = KnowledgeBase.objects.filter(workspace_id=workspace_id).order_by("name")
    return [(kb.name, str(kb.pk), kb.description) for kb in rows]


def search_tool(workspace_id: int, rows: list[tuple[str, str, str]]) -> BuiltinTool:
    """The search tool over these knowledge bases (name, id, description) of the workspace."""
    ids = {name: pk for name, pk, _ in rows}

    async def search_knowledge(
        query: str, knowledge_base: str | None = None, top_k: int = DEFAULT_TOP_K
    ) -> ToolResult:
        if not query.strip():
            raise ToolArgumentsError(TOOL, "query", "is empty: give the text to search for")
        if not ids:
            return tool_result("this workspace has no knowledge bases to search", is_error=True)
        chosen = [ids[knowledge_base]] if knowledge_base else list(ids.values())
        passages = await KnowledgeRetriever(workspace_id).retrieve(query, chosen, top_k)
        return tool_result(
            _text(query, passages),
            {"query": query, "results": [p.as_result() for p in passages]},
        )

    properties: dict[str, object] = {
        "query": {"type": "string", "description": "What to search for", "minLength": 1},
        "top_k": {
            "type": "integer",
            "description": "How many passages to return",
            "minimum": 1,
            "maximum": MAX_TOP_K,
            "default": DEFAULT_TOP_K,
        },
    }
    if ids:
        properties["knowledge_base"] = {
            "type": "string",
            "enum": list(ids),
            "description": "The knowledge base to search; leave it out to search all",
        }
    return BuiltinTool(
        TOOL, _description(rows), object_schema(properties, ["query"]), search_knowledge
    )


def _description(rows: list[tuple[str, str, str]]) -> str:
    if not rows:
        return "Search the workspace's knowledge bases (it has none yet)."
    listed = "; ".join(f"{name}: {about}" if about else name for name, _, about in rows)
    return f"Search the workspace's knowledge bases for passages on a question ({listed})."


def _text(query: str, passages: list[RetrievedChunk]) -> str:
    if not passages:
        return f"no passages found for {query!r}"
    return "\n\n".join(
        f"[{i}] {p.document_name} in {p.dataset_name} (score {p.score:.2f})\n{p.content}"
        for i, p in enumerate(passages, 1)
    )
