"""Helpers the stages share: row-length checks, data fingerprints, no-grad evaluation passes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch

from training.data import Encoding
from training.errors import EmptyDatasetError, RowTooLongError
from training.stages._batches import Batch, Batches
from training.stages._context import StageContext
from training.stages._model import DTYPES


def check_rows(
    ctx: StageContext,
    encoding: Encoding[Any],
    held_out: Encoding[Any] | None = None,
    what: str = "training rows",
) -> None:
    """Before any step: rows over the cutoff (training or held-out) stop the job
    (RowTooLongError); no training rows left: EmptyDatasetError."""
    cutoff = ctx.config.cutoff_len
    parts = [encoding] if held_out is None else [encoding, held_out]
    too_long = [n for part in parts for n in part.too_long]
    if too_long:
        total = sum(len(p.rows) + p.dropped + len(p.too_long) for p in parts)
        longest = max(too_long)
        raise RowTooLongError(
            f"{len(too_long)} of {total} {what} are longer than cutoff_len={cutoff} tokens (the"
            f" longest has {longest}): raise cutoff_len to {longest} or remove those rows"
        )
    if encoding.dropped:
        ctx.progress.note(f"{encoding.dropped} {what} have no answer to learn and are skipped")
    if not encoding.rows:
        raise EmptyDatasetError(f"no {what} left", setting="datasets")


def fingerprint(items: Any) -> str:
    """A short hash of the encoded data, so resume refuses a checkpoint made on other data."""
    return hashlib.sha256(json.dumps(items).encode()).hexdigest()[:16]


@contextmanager
def evaluating(model: Any) -> Iterator[None]:
    """Eval mode and no gradients, then back to training mode."""
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        model.train()


def evaluate_batches(
    ctx: StageContext,
    model: Any,
    batches: Batches,
    loss_fn: Callable[[Any, Batch], tuple[torch.Tensor, dict[str, float]]],
    compute: str,
) -> dict[str, float]:
    """Weighted mean loss (and stats) of a stage's loss function over held-out batches."""
    device = ctx.device.kind
    total, weight, stats_sum = 0.0, 0.0, dict[str, float]()
    with evaluating(model):
        for i in range(len(batches)):
            batch = batches.batch(i)
            with torch.autocast(device, DTYPES[compute], enabled=compute != "fp32"):
                loss, stats = loss_fn(model, batch.to(device))
            total += float(loss)
            weight += batch.weight
            for key, value in stats.items():
                stats_sum[key] = stats_sum.get(key, 0.0) + value * batch.weight
    if not weight:
        return {}
    out = {"eval_loss": round(total / weight, 6)}
    out.update({f"eval_{k}": round(v / weight, 6) for k, v in stats_sum.items()})
    return out
