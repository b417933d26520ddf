"""Running an agent node against the scripted vLLM-style server, with a tool server double."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from runtime.engine import Engine, RunContext
from runtime.llm.openai_compat import OpenAICompatibleClient
from runtime.resources import MODELS, TOOLS, Resources
from tests.fakes import FakeModels
from tests.llm._http import serve
from tests.llm.conftest import LOCAL
from tests.llm.scripted_server import ScriptedServer, Turn
from tests.runtime.doubles import DictToolSessions, ToolServer
from tests.runtime.helpers import build, by_kind, edge, node, start


def add(a: str, b: str) -> str:
    """The `add` tool: the sum of two numbers given as text."""
    return str(int(a) + int(b))


@dataclass
class Rig:
    """The scripted server's URL and recorder, and the tool server the agent's tools are on."""

    url: str
    server: ScriptedServer
    tools: ToolServer = field(default_factory=lambda: ToolServer({"add": add}))

    async def run(
        self, *script: Turn, mode: str = "workflow", history: Any = (), **config: Any
    ) -> list[Any]:
        """Run start → agent → end (workflow) or answer (chat) with `script`; every event."""
        self.server.script[:] = list(script)
        agent = {
            "model": {"provider": "vllm", "name": "scripted"},
            "query": "{{#s.q#}}" if mode == "workflow" else "{{#sys.query#}}",
            "tools": [{"server": "calc", "tool": name} for name in self.tools.tools],
            **config,
        }
        last = (
            node("out", "end", outputs=[{"variable": "text", "value_selector": ["agent", "text"]}])
            if mode == "workflow"
            else node("out", "answer", answer="{{#agent.text#}}")
        )
        graph = build(
            [start("q"), node("agent", "agent", **agent), last],
            [edge("s", "agent"), edge("agent", "out")],
            mode,
        )
        client = OpenAICompatibleClient(self.url, policy=LOCAL, max_retries=0)
        resources = (
            Resources()
            .add(MODELS, FakeModels({"vllm": client}))
            .add(TOOLS, DictToolSessions({"calc": self.tools}))
        )
        context = RunContext(
            run_id="r",
            resources=resources,
            inputs={"q": "what is 2+3?"},
            sys={"query": "what is my name?"},
            history=history,
        )
        try:
            return [e async for e in Engine(graph).run(context)]
        finally:
            await client.aclose()


@contextmanager
def scripted_rig() -> Iterator[Rig]:
    """A fresh scripted server (tool calling on) and tool server."""
    server = ScriptedServer()
    with serve(server) as url:
        yield Rig(url, server)


def logs(events: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    """The node_log events as (label, data)."""
    return [(e.label, e.data) for e in by_kind(events, "node_log")]


def finished(events: list[Any]) -> Any:
    """The agent's node_succeeded or node_failed event."""
    (ev,) = [
        e for e in events if e.kind in ("node_succeeded", "node_failed") and e.node_id == "agent"
    ]
    return ev
