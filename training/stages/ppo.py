"""On-policy RL from a reward model: RLOO (REINFORCE with a leave-one-out baseline).

trl 1.16 no longer has a PPOTrainer (its RLOO/GRPO trainers own their loop, checkpoints and
generation), so the `ppo` stage is this small loop inside the shared trainer loop: for each batch
of prompts, sample `samples_per_prompt` answers with the policy, score them with the reward
adapter of an rm job, subtract `kl_coef` times the sequence log-ratio to the base model (the
adapter switched off), and push up each answer's log-probability by its reward minus the mean
reward of the other answers to the same prompt. With one update per batch this is the clipped
PPO objective without a value head (the ratio is 1, so clipping never acts).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from training.config import TrainJobConfig
from training.data import encode_prompts
from training.errors import TrainingConfigError
from training.stages._batches import Batch, prompt_batches
from training.stages._common import check_rows, evaluating, fingerprint
from training.stages._context import StageContext, StageResult
from training.stages._loop import LoopSpec, LossFn, run_loop
from training.stages._model import load_base, with_lora
from training.stages.dpo import sequence_logps
from training.stages.rm import sequence_scores


def check_reward_adapter(config: TrainJobConfig) -> Path:
    """The reward adapter folder; it must hold a PEFT adapter from an rm job."""
    folder = config.ppo.reward_adapter
    if folder is None or not (Path(folder) / "adapter_config.json").is_file():
        raise TrainingConfigError("ppo.reward_adapter", f"{folder} holds no adapter")
    meta = Path(folder) / "weft_adapter.json"
    if meta.is_file() and json.loads(meta.read_text()).get("stage") != "rm":
        raise TrainingConfigError("ppo.reward_adapter", f"{folder} was not trained by an rm job")
    return Path(folder)


def _completions(model: Any, batch: Batch, config: TrainJobConfig, tokenizer: Any) -> Any:
    """Sampled answers: (prompt+answer ids, attention mask, completion mask) per sample."""
    k = config.ppo.samples_per_prompt
    ids = batch.inputs["input_ids"].repeat_interleave(k, dim=0)
    mask = batch.inputs["attention_mask"].repeat_interleave(k, dim=0)
    eos, pad = tokenizer.eos_token_id, tokenizer.pad_token_id
    with evaluating(model):
        out = model.generate(
            input_ids=ids,
            attention_mask=mask,
            do_sample=True,
            temperature=config.ppo.temperature,
            top_k=0,
            top_p=1.0,
            max_new_tokens=config.ppo.max_new_tokens,
            eos_token_id=eos,
            pad_token_id=pad,
            use_cache=True,
        )
    answer = out[:, ids.shape[1] :]
    # an answer ends at its first end-of-turn token (kept); what follows is padding
    ended = (answer == eos).long().cumsum(dim=1)
    keep = (ended == 0) | ((ended == 1) & (answer == eos))
    full_mask = torch.cat([mask, keep.long()], dim=1)
    completion = torch.cat([torch.zeros_like(mask), keep.long()], dim=1)
    # position j predicts token j+1: shift the completion marks one to the left
    completion = completion.roll(-1, dims=1)
    completion[:, -1] = 0
    return out, full_mask, completion


def rloo_loss_fn(config: TrainJobConfig, reward_model: Any, tokenizer: Any) -> LossFn:
    """The loop's loss for one batch of prompts (summed over prompts, mean over samples)."""
    k = config.ppo.samples_per_prompt

    def loss(model: Any, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        ids, mask, completion = _completions(model, batch, config, tokenizer)
        position_ids = (mask.cumsum(dim=1) - 1).clamp(min=0)
        last = mask.shape[1] - 1 - mask.flip(dims=[1]).argmax(dim=1)
        inputs = {
            "input_ids": ids,
            "attention_mask": mask,
            "position_ids": position_ids,
            "completion_mask": completion,
            "last": last,
        }
        with torch.no_grad():
            rewards = sequence_scores(reward_model, inputs)
            with model.disable_adapter():
                ref = sequence_logps(model, inputs)[0]
        logps, counts = sequence_logps(model, inputs)
        kl = (logps - ref).detach()
        shaped = (rewards - config.ppo.kl_coef * kl).view(-1, k)
        baseline = (shaped.sum(dim=1, keepdim=True) - shaped) / (k - 1)
        advantage = (shaped - baseline).view(-1)
        stats = {
            "reward": float(rewards.mean()),
            "kl": float(kl.mean()),
            "answer_tokens": float(counts.mean()),
            "tokens": float(mask.sum()),  # prompts and sampled answers, for tokens/s
        }
        return -(advantage * logps).sum() / k, stats

    return loss


def run_ppo(ctx: StageContext) -> StageResult:
    """Train a LoRA policy against the rm job's reward adapter; metrics: reward and KL."""
    cfg = ctx.config
    reward_dir = check_reward_adapter(cfg)
    encoded = encode_prompts(ctx.train, ctx.tokenizer, cfg.cutoff_len, cfg.ppo.max_new_tokens)
    check_rows(ctx, encoded, what="prompts")
    prompts = encoded.rows
    plan = ctx.plan(len(prompts))
    reward_base = load_base(cfg, ctx.device, plan.compute_type, "reward")
    reward_model = with_lora(reward_base, cfg, "reward", adapter=reward_dir, trainable=False)
    reward_model.eval()
    model = with_lora(load_base(cfg, ctx.device, plan.compute_type), cfg)
    pad = int(ctx.tokenizer.pad_token_id)
    spec = LoopSpec(
        model=model,
        plan=plan,
        epoch_batches=lambda epoch: prompt_batches(prompts, plan.batch_size, cfg.seed, epoch, pad),
        loss_fn=rloo_loss_fn(cfg, reward_model, ctx.tokenizer),
        fingerprint=fingerprint([len(p) for p in prompts]),
        train_rows=len(prompts),
    )
    outcome = run_loop(ctx, spec)
    metrics: dict[str, Any] = {"steps": outcome.step}
    if outcome.history:
        last = outcome.history[-1]
        metrics.update(train_loss=last["loss"], reward=last["reward"], kl=last["kl"])
    return StageResult(model, outcome.plan, metrics, outcome.stopped, outcome.checkpoint)
