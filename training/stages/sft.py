"""Supervised fine-tuning: loss on the assistant turns only, rows packed but for small sets."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import replace
from typing import Any

import torch
import torch.nn.functional as F

from training.data import IGNORE, Encoded, encode_sft
from training.stages._attention import NAME as PACKED_ATTENTION
from training.stages._attention import use_packed_attention
from training.stages._batches import Batch, Batches, packed_batches, padded_batches
from training.stages._common import check_rows, evaluate_batches, evaluating, fingerprint
from training.stages._consolidate import (
    MAX_GRAM_BYTES,
    Grams,
    consolidate,
    decoder_linears,
    gram_bytes,
)
from training.stages._context import StageContext, StageResult
from training.stages._loop import LoopSpec, run_loop
from training.stages._model import causal_parts, load_base, with_lora

# Configs whose logits are more than the output layer applied to the last hidden state.
_LOGIT_TRANSFORMS = ("final_logit_softcapping", "logit_scale", "logits_scaling")


def _target_logits(model: Any, kwargs: dict[str, Any], mask: torch.Tensor) -> torch.Tensor:
    """Logits at the masked positions only.

    Only the positions with a target go through the output layer (a 49k-wide matrix for
    SmolLM2, a fifth of its compute): the loss is the same as over full logits, without the
    logits of prompt and padding tokens.
    """
    decoder, head, config = causal_parts(model)
    if any(getattr(config, name, None) for name in _LOGIT_TRANSFORMS):
        logits: torch.Tensor = model(**kwargs, use_cache=False).logits[mask]
        return logits
    hidden = decoder(**kwargs, use_cache=False).last_hidden_state
    out: torch.Tensor = head(hidden[mask])
    return out


TEACHER_TOP_K = 32
_EXTRA = ("targets", "distill", "teacher_ids", "teacher_logp")


def sft_loss(model: Any, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
    """Summed cross-entropy over the target tokens, plus KL(base ‖ adapter) on replay rows.

    A replay row's targets are the base model's own greedy answer. Beyond its argmax, the
    adapter also matches the base model's next-token distribution there (its top-k log-probs,
    taken once before training by `with_teacher`, and the rest of the mass as one bucket): this
    anchors far more of the model than the answer's tokens alone.
    """
    _, _, config = causal_parts(model)
    targets = batch.inputs["targets"]
    kwargs = {k: v for k, v in batch.inputs.items() if k not in _EXTRA}
    if "segments" in batch.meta and config._attn_implementation == PACKED_ATTENTION:
        kwargs["weft_segments"] = batch.meta["segments"]
    mask = targets != IGNORE
    logits = _target_logits(model, kwargs, mask).float()
    loss = F.cross_entropy(logits, targets[mask], reduction="sum")
    distill = batch.inputs.get("distill")
    if distill is None:
        return loss, {}
    student = logits[distill[mask]].log_softmax(-1)
    teacher_logp = batch.inputs["teacher_logp"]
    teacher_p = teacher_logp.exp()
    top = student.gather(1, batch.inputs["teacher_ids"])
    kl = (teacher_p * (teacher_logp - top)).sum()
    rest_t = (1 - teacher_p.sum(1)).clamp_min(1e-6)
    rest_s = (1 - top.exp().sum(1)).clamp_min(1e-6)
    kl = kl + (rest_t * (rest_t.log() - rest_s.log())).sum()
    return loss + kl, {}


def with_teacher(
    model: Any, rows: list[Encoded], device: str, pad_id: int, batch_size: int = 16
) -> list[Encoded]:
    """Replay rows with `model`'s top-k next-token log-probs at their targets (no adapter yet)."""
    out: list[Encoded] = []
    with evaluating(model):
        for start in range(0, len(rows), batch_size):
            group = rows[start : start + batch_size]
            width = max(len(r.input_ids) for r in group)
            pads = [width - len(r.input_ids) for r in group]
            ids = [r.input_ids + [pad_id] * n for r, n in zip(group, pads, strict=True)]
            mask = [[1] * len(r.input_ids) + [0] * n for r, n in zip(group, pads, strict=True)]
            targets = [r.targets + [IGNORE] * n for r, n in zip(group, pads, strict=True)]
            inputs = {
                "input_ids": torch.tensor(ids, device=device),
                "attention_mask": torch.tensor(mask, device=device),
            }
            where = torch.tensor(targets, device=device) != IGNORE
            logp = _target_logits(model, inputs, where).float().log_softmax(-1)
            values, indices = logp.topk(TEACHER_TOP_K, dim=-1)
            ends = where.sum(1).cumsum(0).tolist()
            for row, start, end in zip(group, [0, *ends[:-1]], ends, strict=True):
                out.append(
                    replace(row, teacher=(indices[start:end].cpu(), values[start:end].cpu()))
                )
    return out


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
    held_out = encode_sft(ctx.val, ctx.tokenizer, cfg.cutoff_len)
    check_rows(ctx, encoded, held_out)
    replay = encode_sft(ctx.replay, ctx.tokenizer, cfg.cutoff_len).rows  # short: none set aside
    plan = ctx.plan(len(encoded.rows))
    base = ctx.take_base(plan.compute_type)
    if base is None:
        base = load_base(cfg, ctx.device, plan.compute_type)
    general = _general_grams(ctx, base, bool(replay))
    if replay:
        ctx.progress.note(
            f"keep general skills: the base model's next-token choices on {len(replay)} replay rows"
        )
        with general.collecting(causal_parts(base)[0]) if general else nullcontext():
            replay = with_teacher(base, replay, ctx.device.kind, int(ctx.tokenizer.pad_token_id))
    rows = encoded.rows + replay
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
    if general and not outcome.stopped:
        metrics["consolidated_layers"] = _consolidate(
            ctx, model, general, encoded.rows, outcome.plan
        )
    if outcome.history:
        metrics["train_loss"] = outcome.history[-1]["loss"]
    if ctx.val and not outcome.stopped:
        batches = sft_batches(ctx, held_out.rows, plan.batch_size, plan.packing, 0)
        metrics.update(evaluate_batches(ctx, model, batches, sft_loss, outcome.plan.compute_type))
    use_packed_attention(model, False)  # generation and exports see a plain sdpa model
    return StageResult(model, outcome.plan, metrics, outcome.stopped, outcome.checkpoint)


def _general_grams(ctx: StageContext, base: Any, replay: bool) -> Grams | None:
    """Gram matrices to collect on the replay rows, when the job consolidates its adapter."""
    if not replay or not ctx.config.consolidate:
        return None
    linears = decoder_linears(base)
    if ctx.runtime.world > 1:
        ctx.progress.note("consolidation runs on single-device jobs only: skipped")
        return None
    if gram_bytes(linears) > MAX_GRAM_BYTES:
        gib = gram_bytes(linears) / 2**30
        ctx.progress.note(f"consolidation skipped: this model's layers need {gib:.1f} GiB for it")
        return None
    return Grams(linears)


def _consolidate(
    ctx: StageContext, model: Any, general: Grams, rows: list[Encoded], plan: Any
) -> int:
    """RegMean the trained adapter towards the base model on general inputs (_consolidate.py)."""
    ctx.progress.note(
        "keep general skills: consolidating the adapter (its change is kept where the new data's"
        " inputs go, the base model's answers where only general inputs go)"
    )
    tuned = Grams(general.linears)
    with tuned.collecting(causal_parts(model)[0]):
        pad = int(ctx.tokenizer.pad_token_id)
        batches = padded_batches(rows, plan.batch_size * 4, ctx.config.seed, 0, pad)
        evaluate_batches(ctx, model, batches, sft_loss, plan.compute_type)
    return consolidate(model, general, tuned, ctx.config.consolidate)
