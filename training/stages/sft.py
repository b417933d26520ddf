"""Supervised fine-tuning: loss on the assistant turns only, rows packed by default."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from training.data import IGNORE, Encoded, encode_sft
from training.stages._attention import NAME as PACKED_ATTENTION
from training.stages._attention import use_packed_attention
from training.stages._batches import Batch, Batches, packed_batches, padded_batches
from training.stages._common import check_rows, evaluate_batches, fingerprint
from training.stages._context import StageContext, StageResult
from training.stages._loop import LoopSpec, run_loop
from training.stages._model import causal_parts, load_base, with_lora

# Configs whose logits are more than the output layer applied to the last hidden state.
_LOGIT_TRANSFORMS = ("final_logit_softcapping", "logit_scale", "logits_scaling")


def sft_loss(model: Any, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
    """Summed cross-entropy over the target tokens.

    Only the positions with a target go through the output layer (a 49k-wide matrix for
    SmolLM2, a fifth of its compute): the loss is the same as over full logits, without the
    logits of prompt and padding tokens.
    """
    decoder, head, config = causal_parts(model)
    targets = batch.inputs["targets"]
    kwargs: dict[str, Any] = {k: v for k, v in batch.inputs.items() if k != "targets"}
    if "segments" in batch.meta and config._attn_implementation == PACKED_ATTENTION:
        kwargs["weft_segments"] = batch.meta["segments"]
    mask = targets != IGNORE
    if any(getattr(config, name, None) for name in _LOGIT_TRANSFORMS):
        logits = model(**kwargs, use_cache=False).logits[mask]
    else:
        hidden = decoder(**kwargs, use_cache=False).last_hidden_state
        logits = head(hidden[mask])
    return F.cross_entropy(logits.float(), targets[mask], reduction="sum"), {}


def sft_batches(
    ctx: StageContext, rows: list[Encoded], batch_size: int, packing: bool, epoch: int
) -> Batches:
    """An epoch of packed (or padded) micro-batches."""
    cfg, pad = ctx.config, int(ctx.tokenizer.pad_token_id)
    if packing:
        return packed_batches(rows, cfg.cutoff_len, batch_size, cfg.seed, epoch, pad)
    return padded_batches(rows, batch_size, cfg.seed, epoch, pad)


def run_sft(ctx: StageContext) -> StageResult:
    """Train a LoRA adapter on the chat examples; metrics: train and held-out loss."""
    cfg = ctx.config
    encoded = encode_sft(ctx.train, ctx.tokenizer, cfg.cutoff_len)
    check_rows(ctx, len(encoded.rows), encoded.dropped)
    replay = encode_sft(ctx.replay, ctx.tokenizer, cfg.cutoff_len).rows
    rows = encoded.rows + replay
    plan = ctx.plan(len(rows))
    base = ctx.take_base(plan.compute_type)
    if base is None:
        base = load_base(cfg, ctx.device, plan.compute_type)
    model = with_lora(base, cfg)
    use_packed_attention(model, plan.packing)
    spec = LoopSpec(
        model=model,
        plan=plan,
        epoch_batches=lambda epoch: sft_batches(ctx, rows, plan.batch_size, plan.packing, epoch),
        loss_fn=sft_loss,
        fingerprint=fingerprint([[len(r.input_ids), r.targets.count(IGNORE)] for r in rows]),
        train_rows=len(encoded.rows),
        replay_rows=len(replay),
    )
    outcome = run_loop(ctx, spec)
    metrics: dict[str, Any] = {"steps": outcome.step}
    if outcome.history:
        metrics["train_loss"] = outcome.history[-1]["loss"]
    if ctx.val and not outcome.stopped:
        val = encode_sft(ctx.val, ctx.tokenizer, cfg.cutoff_len).rows
        batches = sft_batches(ctx, val, plan.batch_size, plan.packing, 0)
        metrics.update(evaluate_batches(ctx, model, batches, sft_loss, outcome.plan.compute_type))
    use_packed_attention(model, False)  # generation and exports see a plain sdpa model
    return StageResult(model, outcome.plan, metrics, outcome.stopped, outcome.checkpoint)
