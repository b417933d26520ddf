"""Turn a WorkflowSpec into a validated, frozen CompiledGraph, collecting every issue.

Join rule (the contract the engine implements):

* An edge is *pending* until its source node finishes or is skipped. It is then *taken* when the
  source finished and chose the edge's handle, and *skipped* otherwise (an untaken if-else case,
  an untaken fail-branch, the normal `source` handle of a node that took its fail-branch, or any
  edge leaving a skipped node).
* A node starts as soon as all its incoming edges are resolved (taken or skipped) -- there are no
  supersteps, so a fast branch never waits for a slow sibling branch.
* A node with several incoming edges runs ONCE, after every incoming edge is resolved, if at
  least one of them was taken. When every incoming edge is skipped the node is skipped, and the
  skip propagates downstream along all its edges.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import networkx as nx
from pydantic import BaseModel, Field, ValidationError

from runtime import nodes as _builtins  # noqa: F401  (registers the built-in node types)
from runtime._containers import Levels, SubGraph, check_reach, crossing, levels, subgraphs
from runtime._plan import NodePlan, make_plan
from runtime._reach import reached_from
from runtime._references import check_references
from runtime._streaming import AnswerPlan, plan_answers
from runtime._titles import listed
from runtime.conversation import conversation_issues, start_values
from runtime.errors import GraphInvalidError
from runtime.issues import Issue
from runtime.messages import explain_all
from runtime.nodes import registry
from runtime.nodes.base import Node
from runtime.resources import RUN_RESOURCES, Resource
from runtime.spec import FAIL_BRANCH_HANDLE, AppMode, NodeSettings, WorkflowSpec

FAIL_BRANCH_OUTPUTS = {"error_message": "string", "error_type": "string"}


@dataclass(frozen=True, slots=True)
class CompiledGraph:
    """A validated workflow: frozen graph, node instances and precomputed lookup tables."""

    mode: AppMode
    graph: nx.DiGraph[str]
    nodes: Mapping[str, Node[Any]]
    start_id: str
    successors: Mapping[str, tuple[tuple[str, str], ...]]  # node → ((handle, target), …)
    predecessors: Mapping[str, tuple[tuple[str, str], ...]]  # node → ((source, handle), …)
    in_degree: Mapping[str, int]  # number of incoming (source, handle) edges
    generations: tuple[tuple[str, ...], ...]
    answers: Mapping[str, AnswerPlan]  # answer node → its streaming plan
    plans: Mapping[str, NodePlan]  # node → what the engine reads on every run
    env: Mapping[str, Any] = field(default_factory=dict, repr=False)  # secrets too: no repr
    secrets: frozenset[str] = frozenset()  # names of its env variables of type secret
    # its conversation variables: name → type, and the values a new conversation starts with
    conversation_types: Mapping[str, str] = field(default_factory=dict)
    conversation: Mapping[str, Any] = field(default_factory=dict)
    # what a run must be given: its nodes' needs but the run's own (`needs_of`), once per graph
    needs: frozenset[Resource[Any]] = frozenset()
    # A one-node graph (`compile_node`): RunFinished.outputs are this node's outputs.
    result_node: str | None = None
    # each container's sub-graph, nested ones too (the fields above cover the top level only)
    containers: Mapping[str, SubGraph] = field(default_factory=dict)

    @property
    def start(self) -> Node[Any]:
        """The start node."""
        return self.nodes[self.start_id]


class _RunSettings(BaseModel):
    """A node's run settings where its issues can name them: "Max attempts (run settings,
    retry)", field `settings.retry.max_attempts` (the path of the editor's settings form)."""

    settings: NodeSettings = Field(title="Run settings")


M = TypeVar("M", bound=BaseModel)


def _checked(model: type[M], data: Any, node_id: str, issues: list[Issue]) -> M | None:
    """`data` as a `model`, or None with a bad_config issue for each thing wrong with it."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for loc, message in explain_all(model, exc):
            issues.append(Issue("bad_config", message, node_id, loc))
        return None


def _instantiate(spec: WorkflowSpec, issues: list[Issue]) -> dict[str, Node[Any]]:
    built: dict[str, Node[Any]] = {}
    seen: set[str] = set()
    for ns in spec.nodes:
        if ns.id in seen:
            msg = f"another node already has the id {ns.id}: delete one of the two"
            issues.append(Issue("duplicate_node_id", msg, ns.id))
            continue
        seen.add(ns.id)
        if not registry.has(ns.type, ns.version):
            msg = f"Weft has no node type {ns.type!r} (version {ns.version}): delete this node"
            issues.append(Issue("unknown_node_type", msg, ns.id, "type"))
            continue
        cls = registry.get(ns.type, ns.version)
        config = _checked(cls.config_model, ns.config, ns.id, issues)
        settings = _checked(_RunSettings, {"settings": ns.settings}, ns.id, issues)
        if config is None or settings is None:
            continue
        built[ns.id] = cls(ns.id, config, settings.settings, ns.title)
    return built


def node_handles(node: Node[Any]) -> list[str]:
    """A node's source handles, plus "fail-branch" when its error strategy is fail_branch."""
    handles = node.handles()
    if node.settings.error_strategy == "fail_branch":
        handles = [*handles, FAIL_BRANCH_HANDLE]
    return handles


def node_outputs(node: Node[Any]) -> dict[str, str]:
    """A node's outputs, plus error_message/error_type when it has a fail branch."""
    outs: dict[str, str] = dict(node.outputs())
    if node.settings.error_strategy == "fail_branch":
        outs.update(FAIL_BRANCH_OUTPUTS)
    return outs


def _build_graph(
    spec: WorkflowSpec, built: Mapping[str, Node[Any]], issues: list[Issue]
) -> nx.DiGraph[str]:
    ids = {n.id for n in spec.nodes}
    parent_of = {n.id: n.parent_id for n in spec.nodes}
    handles_of = {node_id: set(node_handles(node)) for node_id, node in built.items()}
    g: nx.DiGraph[str] = nx.DiGraph()
    g.add_nodes_from(dict.fromkeys(n.id for n in spec.nodes))
    for e in spec.edges:
        missing = [end for end in (e.source, e.target) if end not in ids]
        if missing:
            msg = "a connection here leads to a node that was deleted: delete the connection"
            node_id = e.source if e.source in ids else e.target if e.target in ids else None
            issues.append(Issue("dangling_edge", msg, node_id))
            continue
        if e.source in handles_of and e.source_handle not in handles_of[e.source]:
            msg = f"it has no way out named {e.source_handle!r}: reconnect from one of its handles"
            issues.append(Issue("unknown_handle", msg, e.source, "sourceHandle"))
            continue
        crosses = crossing(spec, parent_of, e.source, e.target)
        if crosses is not None:
            issues.append(crosses)
            continue
        target = built.get(e.target)
        if target is not None and not target.accepts_input:
            msg = "nothing may connect into this node: delete the connection into it"
            issues.append(Issue("unknown_handle", msg, e.target, "targetHandle"))
            continue
        if g.has_edge(e.source, e.target):
            # a dict keeps the handles in order without a quadratic list search
            g.edges[e.source, e.target]["handles"].setdefault(e.source_handle, None)
        else:
            g.add_edge(e.source, e.target, handles={e.source_handle: None})
    for _, _, data in g.edges(data=True):
        data["handles"] = list(data["handles"])
    return g


def _classes(spec: WorkflowSpec) -> dict[str, type[Node[Any]]]:
    """The node class of each node whose type is registered (its config may still be bad)."""
    return {
        n.id: registry.get(n.type, n.version) for n in spec.nodes if registry.has(n.type, n.version)
    }


def _check_structure(
    spec: WorkflowSpec,
    classes: Mapping[str, type[Node[Any]]],
    g: nx.DiGraph[str],
    lv: Levels,
    issues: list[Issue],
) -> tuple[list[str], set[str]]:
    """(the start nodes, the top-level nodes reachable from them)."""
    top = lv.members[None]
    starts = [n for n in top if n in classes and classes[n].starts_run]
    if not starts:
        issues.append(Issue("no_start", "the workflow has no Start node: add one"))
    for extra in starts[1:]:
        msg = "a workflow has one Start node: delete this one"
        issues.append(Issue("several_starts", msg, extra))
    for scc in nx.strongly_connected_components(g):
        first = min(scc)
        if len(scc) > 1 or g.has_edge(first, first):
            msg = (
                f"{listed(spec, scc)} connect in a loop: delete one of the connections"
                if len(scc) > 1
                else "it connects to itself: delete that connection"
            )
            issues.append(Issue("cycle", msg, first))
    reached = reached_from(g, starts)
    if starts:
        for n in top:
            if n not in reached:
                msg = "nothing leads here from Start: connect an edge into it"
                issues.append(Issue("unreachable", msg, n))
    check_reach(spec, g, lv, issues)
    return starts, reached


def _check_outputs(
    spec: WorkflowSpec,
    classes: Mapping[str, type[Node[Any]]],
    g: nx.DiGraph[str],
    reached: set[str],
    issues: list[Issue],
) -> None:
    """Every path ends at a node that ends runs of the app's mode (`Node.ends_run_in`)."""
    mode = spec.mode
    for n in spec.nodes:
        modes = classes[n.id].ends_run_in if n.id in classes else frozenset()
        if modes and mode not in modes:
            kind = classes[n.id].type_title or n.type
            msg = f"{kind} nodes work only in {' or '.join(sorted(modes))} apps: delete it"
            issues.append(Issue("wrong_mode", msg, n.id, "type"))
    enders = {node_id for node_id, cls in classes.items() if mode in cls.ends_run_in}
    want = " or ".join(registry.ending_runs_in(mode))
    if not enders:
        issues.append(Issue("no_output", f"a {mode} app needs an {want} node: add one"))
        return
    for node_id in sorted(reached):
        if g.out_degree(node_id) == 0 and node_id not in enders:
            msg = f"nothing follows it: connect it on towards an {want} node"
            issues.append(Issue("no_output", msg, node_id))


def _check_needs(
    built: Mapping[str, Node[Any]], offered: Collection[Resource[Any]], issues: list[Issue]
) -> None:
    """An issue for each resource a node needs that no provider offers."""
    for node_id, node in built.items():
        for need in node.resource_needs():
            if need not in offered and need not in RUN_RESOURCES:
                msg = need.unavailable or (
                    f"{node.type_id} nodes need {need.name}, which no installed app provides"
                )
                issues.append(Issue("missing_resource", msg, node_id, "type"))


def needs_of(graph: CompiledGraph) -> frozenset[Resource[Any]]:
    """The resources the nodes of `graph` need that a run must be given (its own aside)."""
    return graph.needs


def _run_needs(built: Mapping[str, Node[Any]]) -> frozenset[Resource[Any]]:
    needs = (need for node in built.values() for need in node.resource_needs())
    return frozenset(needs) - RUN_RESOURCES


def validate(spec: WorkflowSpec, offered: Collection[Resource[Any]] | None = None) -> list[Issue]:
    """Every issue in `spec` (empty when it compiles); the editor shows these on the nodes.
    With `offered` (the resources the server provides), a node needing another is an issue."""
    return analyse(spec, offered)[0]


def analyse(
    spec: WorkflowSpec, offered: Collection[Resource[Any]] | None = None
) -> tuple[list[Issue], dict[str, Node[Any]], nx.DiGraph[str]]:
    """(every issue, the nodes whose config is valid, the graph) of `spec`."""
    return _analyse(spec, offered)[:3]


def _analyse(
    spec: WorkflowSpec, offered: Collection[Resource[Any]] | None = None
) -> tuple[list[Issue], dict[str, Node[Any]], nx.DiGraph[str], Levels]:
    issues: list[Issue] = []
    built = _instantiate(spec, issues)
    classes = _classes(spec)
    lv = levels(spec, classes, issues)
    g = _build_graph(spec, built, issues)
    _, reached = _check_structure(spec, classes, g, lv, issues)
    issues += conversation_issues(spec)
    types = {v.name: v.type for v in spec.conversation_variables}
    for node in built.values():
        issues += node.conversation_issues(types)
    if not any(i.code == "cycle" for i in issues):
        _check_outputs(spec, classes, g, reached, issues)
        check_references(spec, built, g, lv, node_outputs, issues)
    if offered is not None:
        _check_needs(built, offered, issues)
    return issues, built, g, lv


def compile_workflow(
    spec: WorkflowSpec, offered: Collection[Resource[Any]] | None = None
) -> CompiledGraph:
    """Validate `spec` and build its CompiledGraph; raises GraphInvalidError with every issue."""
    issues, built, whole, lv = _analyse(spec, offered)
    if issues:
        raise GraphInvalidError(tuple(issues))
    succ = {
        n: tuple((h, t) for t in whole.successors(n) for h in whole.edges[n, t]["handles"])
        for n in whole
    }
    pred = {
        n: tuple((s, h) for s in whole.predecessors(n) for h in whole.edges[s, n]["handles"])
        for n in whole
    }
    top = lv.members[None]
    g = whole if len(top) == len(whole) else whole.subgraph(top).copy()
    start_id = next(n for n in top if built[n].starts_run)
    return CompiledGraph(
        mode=spec.mode,
        graph=nx.freeze(g),
        nodes={n: built[n] for n in top},
        start_id=start_id,
        successors={n: succ[n] for n in top},
        predecessors={n: pred[n] for n in top},
        in_degree={n: len(pred[n]) for n in top},
        generations=tuple(tuple(gen) for gen in nx.topological_generations(g)),
        answers=plan_answers(g, built),
        plans={n: make_plan(built[n], succ[n]) for n in top},
        env=spec.env_values(),
        secrets=spec.secret_names(),
        conversation_types={v.name: v.type for v in spec.conversation_variables},
        conversation=start_values(spec),
        needs=_run_needs(built),
        containers=subgraphs(lv, built, succ, pred),
    )


def compile_node(spec: WorkflowSpec, node_id: str) -> CompiledGraph:
    """A graph of one node of `spec` alone, to run it by itself with inputs given by hand.

    Only the node's own config is checked (GraphInvalidError lists its issues), so a node can be
    tried while the rest of the workflow is unfinished. KeyError when there is no such node.
    """
    ns = next((n for n in spec.nodes if n.id == node_id), None)
    if ns is None:
        raise KeyError(node_id)
    issues: list[Issue] = []
    built = _instantiate(spec.model_copy(update={"nodes": [ns], "edges": []}), issues)
    if issues:
        raise GraphInvalidError(tuple(issues))
    g: nx.DiGraph[str] = nx.DiGraph()
    g.add_node(node_id)
    return CompiledGraph(
        mode=spec.mode,
        graph=nx.freeze(g),
        nodes=built,
        start_id=node_id,
        successors={node_id: ()},
        predecessors={node_id: ()},
        in_degree={node_id: 0},
        generations=((node_id,),),
        answers=plan_answers(g, built),
        plans={node_id: make_plan(built[node_id], ())},
        env=spec.env_values(),
        secrets=spec.secret_names(),
        conversation_types={v.name: v.type for v in spec.conversation_variables},
        conversation=start_values(spec),
        needs=_run_needs(built),
        result_node=node_id,
    )
