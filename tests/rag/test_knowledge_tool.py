"""The "knowledge" tool server rag registers: search_knowledge over the workspace's real,
embedded knowledge bases (the real embedding model), their names as the argument's choices,
results as text with sources and as structured content; other workspaces' bases unseen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync

from kernel.tool_sources import builtin_servers, reserved_names
from runtime.errors import ToolArgumentsError
from runtime.resources import ToolInfo, ToolResult
from tests.rag.kb import indexed_kb

pytestmark = pytest.mark.django_db(transaction=True)

PETS = {
    "cats.txt": "Cats are small furry animals. A cat purrs when it is content.",
    "dogs.txt": "Dogs are loyal animals. A dog barks at strangers and wags its tail.",
}
SPACE = {"rockets.txt": "A rocket engine burns propellant and expels exhaust to produce thrust."}


def _tool(workspace_id: int) -> ToolInfo:
    async def go() -> list[ToolInfo]:
        return await (await builtin_servers(workspace_id))["knowledge"].list_tools()

    (tool,) = async_to_sync(go)()
    return tool


def _search(workspace_id: int, **arguments: Any) -> ToolResult:
    async def go() -> ToolResult:
        session = (await builtin_servers(workspace_id))["knowledge"]
        return await session.call_tool("search_knowledge", arguments)

    return async_to_sync(go)()


def test_knowledge_tool_lists_the_workspaces_bases_and_searches_them(
    owner: Any, make_member: Any, client_for: Any, kb_dir: Path
) -> None:
    assert "knowledge" in reserved_names()
    client = client_for(owner)
    indexed_kb(client, dict(PETS), name="Pets", description="animals at home")
    space = indexed_kb(client, dict(SPACE), name="Space")
    other = make_member("owner")
    indexed_kb(client_for(other), {"secret.txt": "The launch code is 0000."}, name="Hidden")
    ws = owner.workspace_id

    tool = _tool(ws)
    assert tool.name == "search_knowledge"
    assert tool.input_schema["properties"]["knowledge_base"]["enum"] == ["Pets", "Space"]
    assert "Pets: animals at home" in tool.description

    result = _search(ws, query="rocket exhaust thrust", top_k=2)
    first = result.structured_content["results"][0]
    assert (first["document_name"], first["dataset_name"]) == ("rockets.txt", "Space")
    assert first["dataset_id"] == space["id"]
    assert first["content"] == SPACE["rockets.txt"]
    assert 0 < first["score"] <= 1
    assert len(result.structured_content["results"]) == 2
    assert result.text.startswith("[1] rockets.txt in Space (score ")
    assert SPACE["rockets.txt"] in result.text
    assert not result.is_error

    pets_only = _search(ws, query="rocket exhaust thrust", knowledge_base="Pets")
    names = {r["dataset_name"] for r in pets_only.structured_content["results"]}
    assert names == {"Pets"}
    everything = _search(ws, query="launch code", top_k=20)
    assert "0000" not in everything.text


def test_knowledge_tool_bad_arguments_name_them(owner: Any, client_for: Any, kb_dir: Path) -> None:
    indexed_kb(client_for(owner), dict(PETS), name="Pets")
    ws = owner.workspace_id
    cases: list[tuple[dict[str, Any], str]] = [
        ({"query": "cats", "knowledge_base": "Hidden"}, "knowledge_base"),
        ({"query": "cats", "top_k": 0}, "top_k"),
        ({"query": "   "}, "query"),
        ({}, "query"),
    ]
    for arguments, argument in cases:
        with pytest.raises(ToolArgumentsError) as err:
            _search(ws, **arguments)
        assert err.value.argument == argument


def test_knowledge_tool_without_bases_says_so(owner: Any) -> None:
    tool = _tool(owner.workspace_id)
    assert "knowledge_base" not in tool.input_schema["properties"]
    result = _search(owner.workspace_id, query="anything")
    assert result.is_error
    assert "no knowledge bases" in result.text
