"""Reward modelling: a one-score head on the base model (trained with LoRA), pairwise loss.

The score of a sequence is the head applied to the hidden state of its last real token (the
answer's end-of-turn token); the loss is -log sigmoid(score(chosen) - score(rejected)). The head is
saved with the adapter (peft's modules_to_save), so a PPO job can load it as its reward model.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from training.data import encode_pairs
from training.stages._batches import Batch, pair_batches
from training.stages._common import check_rows, evaluate_batches, fingerprint
from training.stages._context import StageContext, StageResult
from training.stages._loop import LoopSpec, run_loop
from training.stages._model import load_base, with_lora


def sequence_scores(model: Any, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
    """The reward head's score at each sequence's last real token (fp32, one per row)."""
    inner = model.get_base_model()
    decoder = getattr(inner, inner.base_model_prefix)
    kwargs = {k: inputs[k] for k in ("input_ids", "attention_mask", "position_ids") if k in inputs}
    hidden = decoder(**kwargs, use_cache=False).last_hidden_state
    rows = torch.arange(hidden.shape[0], device=hidden.device)
    scores: torch.Tensor = inner.score(hidden[rows, inputs["last"]]).squeeze(-1).float()
    return scores


def rm_loss(model: Any, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
    """Summed pairwise loss; `accuracy` is the share of pairs ranked right."""
    chosen, rejected = sequence_scores(model, batch.inputs).chunk(2)
    margin = chosen - rejected
    stats = {
        "accuracy": float((margin > 0).float().mean()),
        "margin": float(margin.detach().mean()),
    }
    return -F.logsigmoid(margin).sum(), stats


def run_rm(ctx: StageContext) -> StageResult:
    """Train a reward adapter on preference pairs; metrics: held-out loss and accuracy."""
    cfg = ctx.config
    encoded = encode_pairs(ctx.train, ctx.tokenizer, cfg.cutoff_len)
    held_out = encode_pairs(ctx.val, ctx.tokenizer, cfg.cutoff_len)
    check_rows(ctx, encoded, held_out, "preference pairs")
    pairs = encoded.rows
    plan = ctx.plan(len(pairs))
    model = with_lora(load_base(cfg, ctx.device, plan.compute_type, "reward"), cfg, "reward")
    pad = int(ctx.tokenizer.pad_token_id)
    spec = LoopSpec(
        model=model,
        plan=plan,
        epoch_batches=lambda epoch: pair_batches(pairs, plan.batch_size, cfg.seed, epoch, pad),
        loss_fn=rm_loss,
        fingerprint=fingerprint([[len(p.prompt), len(p.chosen), len(p.rejected)] for p in pairs]),
        train_rows=len(pairs),
    )
    outcome = run_loop(ctx, spec)
    metrics: dict[str, Any] = {"steps": outcome.step}
    if outcome.history:
        metrics["train_loss"] = outcome.history[-1]["loss"]
    if ctx.val and not outcome.stopped:
        batches = pair_batches(held_out.rows, plan.batch_size, cfg.seed, 0, pad)
        metrics.update(evaluate_batches(ctx, model, batches, rm_loss, outcome.plan.compute_type))
    return StageResult(model, outcome.plan, metrics, outcome.stopped, outcome.checkpoint)
