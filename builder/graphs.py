"""Compiled graphs, cached: a published version's spec never changes, so it compiles once."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from builder.secrets import open_secrets
from kernel.resources import offered
from runtime.compile import CompiledGraph, compile_workflow
from runtime.spec import WorkflowSpec

_MAX = 256
_cache: OrderedDict[int, CompiledGraph] = OrderedDict()
_lock = threading.Lock()


def get_compiled_version(version_id: int, spec: dict[str, Any]) -> CompiledGraph:
    """The compiled graph of a published version (LRU-cached by version id). It is compiled
    with every provided resource: a workspace setting that withholds one (code nodes) is
    checked at each run start, so turning it off stops the published app's node at once."""
    with _lock:
        graph = _cache.get(version_id)
        if graph is not None:
            _cache.move_to_end(version_id)
            return graph
    graph = compile_workflow(WorkflowSpec.model_validate(open_secrets(spec)), offered())
    with _lock:
        _cache[version_id] = graph
        while len(_cache) > _MAX:
            _cache.popitem(last=False)
    return graph


def get_compiled_draft(spec: dict[str, Any], workspace_id: int | None = None) -> CompiledGraph:
    """Compile a draft spec with what the workspace is offered (raises GraphInvalidError listing
    every issue: a code node where code nodes are off is one)."""
    spec_model = WorkflowSpec.model_validate(open_secrets(spec))
    return compile_workflow(spec_model, offered(workspace_id))
