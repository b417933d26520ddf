"""What a run needs, gathered before it starts: a `RunRequest`, and the editor's runs of the
draft (the whole of it, one node alone, or the draft again from a node reusing an earlier
run's results)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from builder.actions.workflows import parse_spec, require_graph_size
from builder.graphs import get_compiled_draft
from builder.models import App, AppVersion, Message, Run, RunSource, RunStatus, Workflow
from builder.secrets import open_secrets
from builder.trace import results_of
from kernel.errors import ApiError
from kernel.ids import parse_uuid
from kernel.models import User
from runtime.compile import CompiledGraph, compile_node
from runtime.llm.protocol import ChatMessage
from runtime.pause import Reply
from runtime.spec import SOURCE_HANDLE
from runtime.variables import ENV_SCOPE, SYS_SCOPE, nest_values


@dataclass
class RunRequest:
    """Everything a run needs, gathered by the caller (API view, consumer or CLI)."""

    app: App
    graph: CompiledGraph
    source: RunSource
    inputs: dict[str, Any]
    query: str = ""
    end_user: str = ""
    conversation_id: str | None = None
    version: AppVersion | None = None
    triggered_by: User | None = None
    env: dict[str, Any] = field(default_factory=dict)  # over the spec's own env vars
    # Memory handed in by a stateless client (OpenAI); None = keep it in a Conversation (chat apps).
    history: list[ChatMessage] | None = None
    sys: dict[str, Any] = field(default_factory=dict)  # over the sys variables the run fills in
    # Nodes finished before the run starts: (outputs, handle or None if skipped); see RunContext.
    seed: dict[str, tuple[dict[str, Any], str | None]] = field(default_factory=dict)
    reused_from: Run | None = None  # the earlier run whose results `seed` holds (run from here)
    spec: dict[str, Any] | None = None  # the draft it runs, kept should the run pause
    # A resume (builder/actions/resume.py): the waiting run it goes on in, the paused nodes'
    # replies, the steps run before, and the (prompt, completion tokens, ms) it spent before.
    resume_of: Run | None = None
    replies: dict[str, Reply] = field(default_factory=dict)
    first_index: int = 0
    carried: tuple[int, int, float] = (0, 0, 0.0)


def draft_run_request(
    app: App,
    user: User,
    inputs: dict[str, Any],
    query: str,
    conversation_id: str | None,
    *,
    node_id: str | None = None,
    node_inputs: Mapping[str, Any] | None = None,
    from_node: str | None = None,
    from_run: str | None = None,
    origin: str = "editor",
) -> RunRequest:
    """A run of the app's saved draft by a member; the JSON API and the WebSocket both use it.

    * Plain: the whole draft (GraphInvalidError lists its issues).
    * `node_id`: that node alone, reading `node_inputs` ({"node_id.field": value}, "sys.query"
      too) for the variables it references; a missing one is None, as in a normal run. Only the
      node's own config must be valid. No conversation is kept; the run's source is "debug".
    * `from_node` + `from_run`: the draft again from `from_node`, every node that is not it or
      behind it reusing the outputs and handle it had in the earlier run `from_run` (and its
      inputs and query). Reused nodes emit no events: the editor keeps their earlier results.

    `origin` ("editor" or "portal", the app page's test form) is the source a whole-draft run
    is labelled with.
    """
    raw = Workflow.objects.get(app=app).spec
    require_graph_size(parse_spec(raw))
    if node_id is not None:
        if from_node is not None or from_run is not None:
            raise _bad_param("node_id", "give node_id, or from_node and from_run, not both")
        return _node_request(app, user, raw, node_id, node_inputs or {}, inputs, query)
    base = RunRequest(
        app=app,
        graph=get_compiled_draft(raw, app.workspace_id),
        source=RunSource.PORTAL if origin == "portal" else RunSource.DRAFT,
        inputs=inputs,
        query=query,
        end_user=user.email,
        conversation_id=conversation_id,
        triggered_by=user,
        spec=raw,
    )
    if from_node is None and from_run is None:
        return base
    if from_node is None:
        raise _bad_param("from_node", "from_run needs from_node, the node to run again from")
    if from_run is None:
        raise _bad_param("from_run", "from_node needs from_run, the run whose results to reuse")
    return _rerun_request(base, from_node, from_run)


def _bad_param(name: str, message: str, **data: Any) -> ApiError:
    return ApiError("invalid_param", 422, message, field=name, **data)


def _node_request(
    app: App,
    user: User,
    raw: Any,
    node_id: str,
    node_inputs: Mapping[str, Any],
    inputs: dict[str, Any],
    query: str,
) -> RunRequest:
    try:
        graph = compile_node(parse_spec(open_secrets(raw)), node_id)
    except KeyError:
        raise _bad_param("node_id", f"the draft has no node {node_id!r}") from None
    try:
        values = nest_values(node_inputs)
    except ValueError as exc:
        raise _bad_param("node_inputs", str(exc)) from None
    sys, env = values.pop(SYS_SCOPE, {}), values.pop(ENV_SCOPE, {})
    return RunRequest(
        app=app,
        graph=graph,
        source=RunSource.DEBUG,
        inputs=inputs,
        query=str(sys.get("query", query)),
        end_user=user.email,
        triggered_by=user,
        env=env,
        history=[],
        sys=sys,
        seed={scope: (outputs, SOURCE_HANDLE) for scope, outputs in values.items()},
    )


def _rerun_request(req: RunRequest, from_node: str, from_run: str) -> RunRequest:
    graph = req.graph
    if from_node not in graph.nodes:
        raise _bad_param("from_node", f"the draft has no node {from_node!r}")
    pk = parse_uuid(from_run)
    run = Run.objects.filter(pk=pk, app=req.app).first() if pk else None
    if run is None:
        raise _bad_param("from_run", f"this app has no run {from_run}")
    again = {from_node} | nx.descendants(graph.graph, from_node)
    rows = results_of(run)
    for node_id in graph.nodes:
        if node_id in again:
            continue
        status, outputs, handle = rows.get(node_id, ("missing", {}, ""))
        if status == RunStatus.SUCCEEDED:
            req.seed[node_id] = (outputs, handle or SOURCE_HANDLE)
        elif status == "skipped":
            req.seed[node_id] = ({}, None)
        else:
            raise _bad_param(
                "from_run",
                f"node {node_id} has no result in run {from_run} to reuse; run it again too",
                node_id=node_id,
            )
    req.inputs = dict(run.inputs)
    req.reused_from = run
    if not req.query:
        req.query = Message.objects.filter(run=run).values_list("query", flat=True).first() or ""
    return req
