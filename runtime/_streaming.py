"""Answer streaming: forward an LLM's deltas as TextChunks of the node that shows them: the answer
node of a chat app (its template, in order) or the end node of a workflow (its outputs, in
order; only what streams is sent as chunks, as Dify's text_chunk events)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import networkx as nx

from runtime._reach import reached_back
from runtime.variables import Segment, Selector

if TYPE_CHECKING:
    from runtime.nodes.base import Node


@dataclass(frozen=True, slots=True)
class AnswerPlan:
    """An answer node's template segments and which selectors may stream into it."""

    answer_id: str
    segments: tuple[Segment, ...]
    streamable: frozenset[Selector]


def _steady(node: Node[Any]) -> bool:
    """Whether text a node streams stays true: no retry or fallback replaces it."""
    return node.settings.error_strategy == "fail" and node.settings.retry.max_attempts == 1


def _reach_a_branch(g: nx.DiGraph[str], nodes: Mapping[str, Node[Any]], dst: str) -> set[str]:
    """The nodes from which a path to `dst` passes through a branch (a branching node or one
    with a fail branch) strictly before it: one walk back from `dst`, one back from the
    branches, instead of a descendants/ancestors walk per streamed selector."""
    upstream = reached_back(g, [dst]) - {dst}
    branches = [
        n
        for n in upstream
        if nodes[n].branching or nodes[n].settings.error_strategy == "fail_branch"
    ]
    return reached_back(g, [p for b in branches for p in g.predecessors(b)])


def plan_answers(g: nx.DiGraph[str], nodes: Mapping[str, Node[Any]]) -> dict[str, AnswerPlan]:
    """Streaming plans of every node that shows text (`Node.shows_text`: the answer and end
    nodes); a selector streams when no branch lies between."""
    plans: dict[str, AnswerPlan] = {}
    for node_id, node in nodes.items():
        if not node.shows_text:
            continue
        segments = node.segments()
        candidates = {
            seg
            for seg in segments
            if isinstance(seg, tuple)
            and len(seg) == 2
            and seg[0] in nodes
            and seg[1] in nodes[seg[0]].streams()
            and _steady(nodes[seg[0]])
        }
        blocked = _reach_a_branch(g, nodes, node_id) if candidates else set()
        streamable = frozenset(seg for seg in candidates if seg[0] not in blocked)
        plans[node_id] = AnswerPlan(node_id, segments, streamable)
    return plans


class AnswerStream:
    """One run's progress through an answer template: what has been shown, what is buffered."""

    __slots__ = ("buffers", "cursor", "done", "finished", "plan", "shown")

    def __init__(self, plan: AnswerPlan) -> None:
        self.plan = plan
        self.cursor = 0
        self.buffers: dict[int, list[str]] = {}
        self.done: set[int] = set()
        self.shown: list[str] = []
        self.finished = False

    def sources(self) -> set[str]:
        """Node ids whose deltas this stream listens to."""
        return {sel[0] for sel in self.plan.streamable}

    def _indexes(self, node_id: str, port: str | None) -> list[int]:
        segs = self.plan.segments
        return [
            i
            for i in range(self.cursor, len(segs))
            if isinstance(segs[i], tuple)
            and segs[i] in self.plan.streamable
            and segs[i][0] == node_id
            and (port is None or segs[i][1] == port)
        ]

    def on_delta(self, node_id: str, port: str, text: str) -> list[str]:
        """Pieces to show now that `node_id` produced `text` on `port`."""
        if self.finished:
            return []
        for i in self._indexes(node_id, port):
            self.buffers.setdefault(i, []).append(text)
        return self._pump()

    def on_done(self, node_id: str) -> list[str]:
        """Pieces to show now that `node_id` has finished."""
        if self.finished:
            return []
        self.done.update(self._indexes(node_id, None))
        return self._pump()

    def finish(self, rendered: str | None) -> list[str]:
        """The rest of the answer once the answer node has rendered it (None: nothing more, as
        for an end node, whose outputs are not text)."""
        if self.finished:
            return []
        self.finished = True
        shown = "".join(self.shown)
        if rendered is None:
            return []
        rest = rendered[len(shown) :] if rendered.startswith(shown) else rendered
        self.shown.append(rest)
        return [rest] if rest else []

    def _started(self, i: int) -> bool:
        return bool(self.buffers.get(i)) or i in self.done

    def _pump(self) -> list[str]:
        out: list[str] = []
        segs = self.plan.segments
        while self.cursor < len(segs):
            seg = segs[self.cursor]
            if isinstance(seg, str):
                refs = (j for j in range(self.cursor, len(segs)) if segs[j].__class__ is tuple)
                nxt = next(refs, None)
                if nxt is None or segs[nxt] not in self.plan.streamable or not self._started(nxt):
                    break
                out.append(seg)
            elif seg in self.plan.streamable:
                out.extend(self.buffers.pop(self.cursor, ()))
                if self.cursor not in self.done:
                    break
            else:
                break
            self.cursor += 1
        self.shown.extend(out)
        return [piece for piece in out if piece]
