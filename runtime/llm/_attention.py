"""A batch-invariant attention for left-padded decode batches.

Each row attends only to its own keys (the padding columns are sliced off, not masked), through
the same SDPA call a lone request makes. So a request's logits do not depend on its neighbours,
and greedy output in a batch is bit-for-bit what it is alone.
"""

from __future__ import annotations

from typing import Any

import torch
from transformers import AttentionInterface
from transformers.integrations.sdpa_attention import sdpa_attention_forward

ATTN_NAME = "weft_rowwise"
STARTS_KWARG = "weft_starts"  # per-row index of the first real key column in the cache


def rowwise_attention(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    """SDPA per row over that row's unpadded keys; a plain SDPA call when nothing is padded."""
    starts: list[int] | None = kwargs.pop(STARTS_KWARG, None)
    if starts is None:
        out, _ = sdpa_attention_forward(
            module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, **kwargs
        )
        return out, None
    rows = [
        sdpa_attention_forward(
            module,
            query[b : b + 1],
            key[b : b + 1, :, s:],
            value[b : b + 1, :, s:],
            None,
            dropout=dropout,
            scaling=scaling,
            **kwargs,
        )[0]
        for b, s in enumerate(starts)
    ]
    return torch.cat(rows, dim=0), None


def install(model: Any) -> bool:
    """Switch `model` to the row-wise attention; False if the model cannot use custom attention."""
    AttentionInterface.register(ATTN_NAME, rowwise_attention)
    try:
        model.set_attn_implementation(ATTN_NAME)
    except (ValueError, AttributeError, NotImplementedError):
        return False
    return True
