"""Direct preference optimisation against the base model (the adapter switched off).

Per pair, with log-ratios r = log p(y|x) - log p_ref(y|x) summed over the answer's tokens and
d = r(chosen) - r(rejected), the losses follow trl 1.16's DPOTrainer: `sigmoid`
-logsigmoid(beta * d), `hinge` relu(1 - beta * d), `ipo` (d' - 1 / (2 * beta))^2 with d' the
difference of the token-averaged log-ratios. The reference is the same model with the LoRA
adapter disabled, so no second copy of the weights is held. Runs in the shared loop, so
checkpoints, resume and stop work as for sft.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from training.config import DpoSettings
from training.data import encode_pairs
from training.stages._batches import Batch, pair_batches
from training.stages._common import check_rows, evaluate_batches, fingerprint
from training.stages._context import StageContext, StageResult
from training.stages._loop import LoopSpec, LossFn, run_loop
from training.stages._model import causal_parts, load_base, with_lora


def sequence_logps(
    model: Any, inputs: dict[str, torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Summed log-probabilities of each row's completion tokens, and their counts.

    `completion_mask[j]` marks the positions whose next token belongs to the completion; only
    those hidden states go through the output layer.
    """
    decoder, head, _config = causal_parts(model)
    kwargs = {k: inputs[k] for k in ("input_ids", "attention_mask", "position_ids") if k in inputs}
    hidden = decoder(**kwargs, use_cache=False).last_hidden_state
    mask = inputs["completion_mask"].bool()
    next_tokens = inputs["input_ids"].roll(-1, dims=1)
    logits = head(hidden[mask]).float()
    token_logps = -F.cross_entropy(logits, next_tokens[mask], reduction="none")
    rows = mask.nonzero()[:, 0]
    sums = torch.zeros(mask.shape[0], device=logits.device).index_add(0, rows, token_logps)
    return sums, mask.sum(dim=1).float()


def reference_logps(model: Any, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
    """Completion log-probabilities under the base model (adapter off, no gradients)."""
    with torch.no_grad(), model.disable_adapter():
        return sequence_logps(model, inputs)[0]


def dpo_losses(
    settings: DpoSettings,
    logps: torch.Tensor,
    ref_logps: torch.Tensor,
    counts: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-pair losses and δ, from [chosen..., rejected...] log-probabilities."""
    ratios = logps - ref_logps
    chosen, rejected = ratios.chunk(2)
    delta = chosen - rejected
    beta = settings.beta
    if settings.loss == "sigmoid":
        return -F.logsigmoid(beta * delta), delta
    if settings.loss == "hinge":
        return torch.relu(1 - beta * delta), delta
    chosen_n, rejected_n = counts.clamp(min=1).chunk(2)
    averaged = chosen / chosen_n - rejected / rejected_n
    return (averaged - 1 / (2 * beta)) ** 2, delta


def dpo_loss_fn(settings: DpoSettings) -> LossFn:
    """The loop's loss function: summed pair losses; stats: reward accuracy and margin."""

    def loss(model: Any, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        ref = reference_logps(model, batch.inputs)
        logps, counts = sequence_logps(model, batch.inputs)
        losses, delta = dpo_losses(settings, logps, ref, counts)
        stats = {
            "accuracy": float((delta > 0).float().mean()),
            "margin": float(settings.beta * delta.detach().mean()),
        }
        return losses.sum(), stats

    return loss


def run_dpo(ctx: StageContext) -> StageResult:
    """Train a LoRA adapter on preference pairs; metrics: held-out loss and reward accuracy."""
    cfg = ctx.config
    encoded = encode_pairs(ctx.train, ctx.tokenizer, cfg.cutoff_len)
    held_out = encode_pairs(ctx.val, ctx.tokenizer, cfg.cutoff_len)
    check_rows(ctx, encoded, held_out, "preference pairs")
    pairs = encoded.rows
    plan = ctx.plan(len(pairs))
    model = with_lora(load_base(cfg, ctx.device, plan.compute_type), cfg)
    pad = int(ctx.tokenizer.pad_token_id)
    loss = dpo_loss_fn(cfg.dpo)
    spec = LoopSpec(
        model=model,
        plan=plan,
        epoch_batches=lambda epoch: pair_batches(pairs, plan.batch_size, cfg.seed, epoch, pad),
        loss_fn=loss,
        fingerprint=fingerprint([[len(p.prompt), len(p.chosen), len(p.rejected)] for p in pairs]),
        train_rows=len(pairs),
    )
    outcome = run_loop(ctx, spec)
    metrics: dict[str, Any] = {"steps": outcome.step}
    if outcome.history:
        metrics["train_loss"] = outcome.history[-1]["loss"]
    if ctx.val and not outcome.stopped:
        batches = pair_batches(held_out.rows, plan.batch_size, cfg.seed, 0, pad)
        metrics.update(evaluate_batches(ctx, model, batches, loss, outcome.plan.compute_type))
    return StageResult(model, outcome.plan, metrics, outcome.stopped, outcome.checkpoint)
