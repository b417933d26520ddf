"""Consolidation ("keep general skills", after training): RegMean between base and adapter.

Replay pulls the adapter towards the base model during training, but an answer the base model
holds loosely still moves: after an identity job, SmolLM2's "…is credited to Alexander" turns
from " Graham" (log-prob -0.88 in the base) to " B(ain)" (-2.34), with or without KL on replay.
RegMean (Jin et al., 2023, "Dataless knowledge fusion by merging weights of language models")
merges linear layers so that the merged layer reproduces each model's outputs on that model's
own inputs. For one layer, with X_g the base model's inputs on the replay rows and X_i the
trained model's inputs on its training rows:

    W* = argmin ‖(W - W₀) X_g‖² + λ ‖(W - W₀ - ΔW) X_i‖²  =  W₀ + ΔW · λG_i (G_g + λG_i)⁻¹

where G = X Xᵀ / tokens (per-token Gram matrices of the layer's input, their off-diagonal
shrunk by SHRINK as RegMean does) and λ is the new data's weight (`consolidate`). With
ΔW = s·B·A the solution is a LoRA of the same rank, A ← A · λG_i (G_g + λG_i)⁻¹, B as it is:
the adapter keeps PEFT's format, and its change stays where the new data's inputs go and
leaves where only general inputs go.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

import torch

from training.stages._model import causal_parts

SHRINK = 0.9  # RegMean's scaling of the Gram matrices' off-diagonal entries
MAX_GRAM_BYTES = 4 * 2**30  # both sides' Gram matrices; larger models skip consolidation


def decoder_linears(model: Any) -> list[torch.nn.Linear]:
    """The linear layers of a causal LM's decoder (the output head is not one of them)."""
    decoder = causal_parts(model)[0]
    return [m for m in decoder.modules() if isinstance(m, torch.nn.Linear)]


def gram_bytes(linears: Sequence[torch.nn.Linear]) -> int:
    """Upper bound of both sides' fp32 Gram matrices (layers sharing an input share one)."""
    return 2 * 4 * sum(m.in_features**2 for m in linears)


class Grams:
    """Per-token Gram matrices XᵀX of the inputs of some linear layers, summed while collecting.

    Layers that receive the same input tensor in a forward pass (q, k and v; gate and up) share
    one matrix. Padding positions (attention_mask 0) are left out.
    """

    def __init__(self, linears: Sequence[torch.nn.Linear]) -> None:
        self.linears = list(linears)
        self.sums: dict[torch.nn.Module, torch.Tensor] = {}
        self.same: dict[torch.nn.Module, torch.nn.Module] = {}
        self.tokens = 0
        self._mask: torch.Tensor | None = None
        self._seen: dict[int, tuple[torch.Tensor, torch.nn.Module]] = {}

    @contextmanager
    def collecting(self, decoder: torch.nn.Module) -> Iterator[None]:
        """Add up the layers' inputs over every forward pass of `decoder` inside the block."""
        hooks = [decoder.register_forward_pre_hook(self._on_forward, with_kwargs=True)]
        hooks += [m.register_forward_pre_hook(self._on_linear) for m in self.linears]
        try:
            yield
        finally:
            for hook in hooks:
                hook.remove()
            self._seen.clear()
            self._mask = None

    def mean(self, module: torch.nn.Module) -> torch.Tensor | None:
        """The layer's per-token Gram matrix (float64, off-diagonal shrunk), None if unseen."""
        total = self.sums.get(self.same.get(module, module))
        if total is None or not self.tokens:
            return None
        gram = total.double() / self.tokens
        return SHRINK * gram + (1 - SHRINK) * torch.diag(torch.diag(gram))

    def _on_forward(
        self, module: torch.nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        self._seen.clear()
        ids = kwargs.get("input_ids", args[0] if args else None)
        mask = kwargs.get("attention_mask")
        if isinstance(mask, torch.Tensor) and mask.dim() == 2:
            self._mask = mask.reshape(-1).bool()
            self.tokens += int(self._mask.sum())
        else:  # packed rows or no padding: every position is a token
            self._mask = None
            self.tokens += int(ids.numel()) if isinstance(ids, torch.Tensor) else 0

    def _on_linear(self, module: torch.nn.Module, args: tuple[Any, ...]) -> None:
        x = args[0]
        seen = self._seen.get(id(x))
        if seen is not None and seen[0] is x:  # the reference held keeps the id unique
            self.same[module] = seen[1]
            return
        self._seen[id(x)] = (x, module)
        flat = x.detach().reshape(-1, x.shape[-1])
        if self._mask is not None and self._mask.numel() == flat.shape[0]:
            flat = flat[self._mask]
        flat = flat.float()
        gram = flat.T @ flat
        if module in self.sums:
            self.sums[module] += gram
        else:
            self.sums[module] = gram


def consolidate(model: Any, general: Grams, tuned: Grams, weight: float) -> int:
    """A ← A · λG_i (G_g + λG_i)⁻¹ in every LoRA Linear seen on both sides; returns how many."""
    from peft.tuners.lora.layer import Linear

    done = 0
    with torch.no_grad():
        for module in model.modules():
            if not isinstance(module, Linear):
                continue
            g_i, g_g = tuned.mean(module.base_layer), general.mean(module.base_layer)
            if g_i is None or g_g is None:
                continue
            lhs = g_g + weight * g_i
            # a tiny ridge: an input dimension that is zero on both sides keeps A's column at 0
            lhs += torch.eye(len(lhs), dtype=lhs.dtype, device=lhs.device) * (
                1e-9 * float(lhs.diagonal().mean())
            )
            for lora_a in module.lora_A.values():
                a = cast(torch.Tensor, lora_a.weight)  # typed Tensor | Module by torch
                solved = torch.linalg.solve(lhs, weight * g_i @ a.T.to(lhs.dtype))
                a.copy_(solved.T.to(a.dtype))
            done += 1
    return done
