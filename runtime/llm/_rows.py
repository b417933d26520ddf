"""Keep each row's matmul result independent of how many rows share the call.

CPU BLAS picks a matrix-vector kernel for a single row and a matrix-matrix kernel for two or
more, and the two round differently (measured with bf16 weights on an AVX-512 EPYC: about 1 in
140 random inputs differ). A request decoding alone feeds one row per linear layer; in a batch
it shares the call. So every linear layer here computes a lone row as a pair (the row twice) and
keeps the first: the same kernel as in any batch, so greedy output alone equals output batched,
LoRA adapters (peft's per-adapter sub-batches) included.
"""

from __future__ import annotations

import types
from typing import Any

import torch

_MARK = "_weft_two_rows"


def _two_row_forward(self: torch.nn.Linear, x: torch.Tensor) -> torch.Tensor:
    if x.dim() >= 2 and x.numel() == x.shape[-1]:  # one row: the matrix-vector path
        pair = torch.cat([x, x])
        out: torch.Tensor = torch.nn.functional.linear(pair, self.weight, self.bias)
        return out[:1]
    return torch.nn.functional.linear(x, self.weight, self.bias)


def pad_single_rows(model: Any) -> None:
    """Make every `nn.Linear` of `model` (adapters' included) compute a lone row as two."""
    for module in model.modules():
        if isinstance(module, torch.nn.Linear) and not getattr(module, _MARK, False):
            module.forward = types.MethodType(_two_row_forward, module)  # type: ignore[method-assign]  # per instance
            setattr(module, _MARK, True)
