"""Bounds on the work a user's input controls, as plain values the Django side hands a run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RunLimits:
    """Limits a run's nodes enforce (defaults match WEFT_MAX_OUTPUT_BYTES, WEFT_MAX_RENDER_S,
    WEFT_MAX_RESPONSE_BYTES, WEFT_MAX_CODE_S and WEFT_MAX_CODE_MEMORY_MB)."""

    max_output_bytes: int = 1024 * 1024  # one node's rendered output
    max_render_s: float = 10.0  # one render, whatever the node's own timeout
    max_response_bytes: int = 10 * 1024 * 1024  # one HTTP response body an HTTP node reads
    max_code_s: float = 10.0  # one code node's Python, whatever the node's own timeout
    max_code_memory_bytes: int = 256 * 1024 * 1024  # one code node's address space


DEFAULT_LIMITS = RunLimits()
