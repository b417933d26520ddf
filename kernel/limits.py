"""Data limits as configuration: every size and time bound a user's input can hit.

Each value comes from a Django setting (an environment variable with a safe default, see
portal/settings.py and the README's configuration table); code reads them through `limits()`,
so tests can override settings and a new limit has one place to live.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from runtime.limits import RunLimits


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits in force (bytes, counts and seconds)."""

    max_body_bytes: int  # a JSON request body (editor API, Service API)
    max_upload_bytes: int  # a dataset or document upload
    body_idle_timeout_s: float  # a request body that stalls longer is dropped
    max_graph_nodes: int  # nodes in one workflow spec
    max_graph_edges: int  # edges in one workflow spec
    max_output_bytes: int  # one node's outputs (e.g. a rendered template)
    max_render_s: float  # CPU time a template render may take, whatever the node's timeout
    max_json_depth: int  # nesting of any JSON body
    max_response_bytes: int  # one HTTP response body an HTTP request node reads
    max_code_s: float  # wall (and CPU) time of one code node's Python
    max_code_memory_bytes: int  # address space of one code node's Python

    def for_runs(self) -> RunLimits:
        """The limits a run's nodes enforce, as the runtime's plain values."""
        return RunLimits(
            max_output_bytes=self.max_output_bytes,
            max_render_s=self.max_render_s,
            max_response_bytes=self.max_response_bytes,
            max_code_s=self.max_code_s,
            max_code_memory_bytes=self.max_code_memory_bytes,
        )


def limits() -> Limits:
    """The limits from settings."""
    return Limits(
        max_body_bytes=settings.WEFT_MAX_BODY_BYTES,
        max_upload_bytes=settings.WEFT_MAX_UPLOAD_BYTES,
        body_idle_timeout_s=settings.WEFT_BODY_IDLE_TIMEOUT_S,
        max_graph_nodes=settings.WEFT_MAX_GRAPH_NODES,
        max_graph_edges=settings.WEFT_MAX_GRAPH_EDGES,
        max_output_bytes=settings.WEFT_MAX_OUTPUT_BYTES,
        max_render_s=settings.WEFT_MAX_RENDER_S,
        max_json_depth=settings.WEFT_MAX_JSON_DEPTH,
        max_response_bytes=settings.WEFT_MAX_RESPONSE_BYTES,
        max_code_s=settings.WEFT_MAX_CODE_S,
        max_code_memory_bytes=settings.WEFT_MAX_CODE_MEMORY_MB * 1024 * 1024,
    )
