"""Micro-batches as tensors: packed or padded SFT rows, preference pairs, PPO prompts.

Packed sequences carry `position_ids` that restart at every row and no attention mask, which
transformers turns into a block-diagonal causal mask (see training/data.py). Padding at the end of
a packed micro-batch is a segment of its own with no targets.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import torch

from training.data import IGNORE, Encoded, EncodedPair, pack_rows

T = TypeVar("T")


@dataclass
class Batch:
    """One micro-batch: model inputs, real tokens, and its weight in the step's loss mean."""

    inputs: dict[str, torch.Tensor]
    tokens: int
    weight: float
    meta: dict[str, Any] = field(default_factory=dict)

    def to(self, device: str) -> Batch:
        """The same batch on `device`."""
        moved = {k: v.to(device, non_blocking=True) for k, v in self.inputs.items()}
        return Batch(moved, self.tokens, self.weight, self.meta)


class Batches:
    """An epoch's micro-batches, built on demand from their row indices (memory stays flat)."""

    def __init__(self, groups: Sequence[Any], build: Callable[[Any], Batch]) -> None:
        self.groups = groups
        self.build = build

    def __len__(self) -> int:
        return len(self.groups)

    def batch(self, index: int) -> Batch:
        """Micro-batch `index` as tensors."""
        return self.build(self.groups[index])


def _epoch_rng(seed: int, epoch: int) -> random.Random:
    return random.Random(seed * 1_000_003 + epoch)  # noqa: S311  # data order, not security


def _chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _teacher(rows: Sequence[Encoded]) -> dict[str, torch.Tensor]:
    """The replay rows' teacher top-k, concatenated in the order their targets are masked."""
    found = [r.teacher for r in rows if r.teacher is not None]
    return {
        "teacher_ids": torch.cat([ids for ids, _ in found]),
        "teacher_logp": torch.cat([logp for _, logp in found]),
    }


def packed_batches(
    rows: Sequence[Encoded], cutoff_len: int, batch_size: int, seed: int, epoch: int, pad_id: int
) -> Batches:
    """Rows packed into sequences of ≤ cutoff_len, `batch_size` sequences per micro-batch.

    A micro-batch is flattened into one row of its real tokens (no padding at all) with
    position ids restarting per row; `meta["segments"]` holds the rows' cumulative offsets for
    the `weft_packed` attention (see `_attention.py`). `pad_id` is unused: nothing is padded.
    """
    bins = pack_rows([len(r.input_ids) for r in rows], cutoff_len, seed * 1_000_003 + epoch)

    def build(group: Sequence[list[int]]) -> Batch:
        ids: list[int] = []
        pos: list[int] = []
        tgt: list[int] = []
        distill: list[bool] = []
        segments = [0]
        for i in (i for b in group for i in b):
            ids += rows[i].input_ids
            pos += range(len(rows[i].input_ids))
            tgt += rows[i].targets
            distill += [rows[i].teacher is not None] * len(rows[i].input_ids)
            segments.append(len(ids))
        targets = torch.tensor([tgt])
        inputs = {
            "input_ids": torch.tensor([ids]),
            "position_ids": torch.tensor([pos]),
            "targets": targets,
        }
        if any(distill):
            inputs["distill"] = torch.tensor([distill])
            inputs.update(_teacher([rows[i] for b in group for i in b]))
        weight = float((targets != IGNORE).sum())
        return Batch(inputs, len(ids), weight, {"segments": tuple(segments)})

    return Batches(_chunks(bins, batch_size), build)


def padded_batches(
    rows: Sequence[Encoded], batch_size: int, seed: int, epoch: int, pad_id: int
) -> Batches:
    """Rows in seeded random order, right-padded to the longest row of each micro-batch."""
    order = list(range(len(rows)))
    _epoch_rng(seed, epoch).shuffle(order)

    def build(group: Sequence[int]) -> Batch:
        width = max(len(rows[i].input_ids) for i in group)
        ids, mask, tgt = [], [], []
        for i in group:
            pad = width - len(rows[i].input_ids)
            ids.append(rows[i].input_ids + [pad_id] * pad)
            mask.append([1] * len(rows[i].input_ids) + [0] * pad)
            tgt.append(rows[i].targets + [IGNORE] * pad)
        targets = torch.tensor(tgt)
        inputs = {
            "input_ids": torch.tensor(ids),
            "attention_mask": torch.tensor(mask),
            "targets": targets,
        }
        if any(rows[i].teacher is not None for i in group):
            flags = [[rows[i].teacher is not None] * width for i in group]
            inputs["distill"] = torch.tensor(flags)
            inputs.update(_teacher([rows[i] for i in group]))
        tokens = sum(len(rows[i].input_ids) for i in group)
        return Batch(inputs, tokens, float((targets != IGNORE).sum()))

    return Batches(_chunks(order, batch_size), build)


def pair_batches(
    pairs: Sequence[EncodedPair], batch_size: int, seed: int, epoch: int, pad_id: int
) -> Batches:
    """Preference pairs: chosen sequences first, then rejected, right-padded together.

    `completion_mask` marks the completion tokens as targets (shifted like `Encoded.targets`), and
    `last` is the index of each sequence's last real token (where a reward head reads).
    """
    order = list(range(len(pairs)))
    _epoch_rng(seed, epoch).shuffle(order)

    def build(group: Sequence[int]) -> Batch:
        seqs = [pairs[i].prompt + pairs[i].chosen for i in group]
        seqs += [pairs[i].prompt + pairs[i].rejected for i in group]
        prompts = [len(pairs[i].prompt) for i in group] * 2
        width = max(len(s) for s in seqs)
        ids, mask, comp = [], [], []
        for seq, p in zip(seqs, prompts, strict=True):
            pad = width - len(seq)
            ids.append(seq + [pad_id] * pad)
            mask.append([1] * len(seq) + [0] * pad)
            # position j predicts token j+1: completion targets start at the prompt's last token
            comp.append([0] * (p - 1) + [1] * (len(seq) - p) + [0] * (pad + 1))
        inputs = {
            "input_ids": torch.tensor(ids),
            "attention_mask": torch.tensor(mask),
            "completion_mask": torch.tensor(comp),
            "last": torch.tensor([len(s) - 1 for s in seqs]),
        }
        return Batch(inputs, sum(len(s) for s in seqs), float(len(group)))

    return Batches(_chunks(order, batch_size), build)


def prompt_batches(
    prompts: Sequence[list[int]], batch_size: int, seed: int, epoch: int, pad_id: int
) -> Batches:
    """PPO prompts, left-padded for generation."""
    order = list(range(len(prompts)))
    _epoch_rng(seed, epoch).shuffle(order)

    def build(group: Sequence[int]) -> Batch:
        width = max(len(prompts[i]) for i in group)
        ids = [[pad_id] * (width - len(prompts[i])) + prompts[i] for i in group]
        mask = [[0] * (width - len(prompts[i])) + [1] * len(prompts[i]) for i in group]
        inputs = {"input_ids": torch.tensor(ids), "attention_mask": torch.tensor(mask)}
        return Batch(inputs, sum(len(prompts[i]) for i in group), float(len(group)))

    return Batches(_chunks(order, batch_size), build)
