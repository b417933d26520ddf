"""Each stage for a few steps on the real SmolLM2 (tiny cutoff), and packing's attention masking."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import torch

from tests.training.conftest import alpaca_rows, events, make_job, pair_rows
from training.config import DeviceInfo, DpoSettings, TrainJobConfig
from training.formats import Example
from training.stages import STAGES
from training.trainer import run_job

pytestmark = pytest.mark.usefixtures("fake_hooks")  # no minutes of generation per job


def test_stages_registry_names_every_stage() -> None:
    assert set(STAGES) == {"sft", "rm", "dpo", "ppo"}


def lora_model(base_model: Path) -> Any:
    """The base model with a fresh (no-op) LoRA adapter, in fp32 on the CPU."""
    from training.stages._model import load_model

    config = TrainJobConfig.load(
        {
            "job_id": "t",
            "output_dir": "o",
            "base_model": str(base_model),
            "datasets": [{"path": "d"}],
        }
    )
    return load_model(config, DeviceInfo(kind="cpu"), "fp32")


def chats(pairs: list[tuple[str, str]]) -> list[Example]:
    """One-turn chat examples (question, answer)."""
    return [
        {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}
        for q, a in pairs
    ]


def test_packed_rows_attend_only_within_themselves(base_model: Path, tokenizer: Any) -> None:
    """One packed sequence gives each row the loss it has alone: no attention across rows."""
    from training.data import encode_sft
    from training.stages._batches import packed_batches, padded_batches
    from training.stages.sft import sft_loss

    model = lora_model(base_model)
    examples = chats([("Hi", "Hello there!"), ("2+2?", "4"), ("Name a fruit.", "An apple.")])
    rows = encode_sft(examples, tokenizer, 512).rows
    pad = int(tokenizer.pad_token_id)
    with torch.no_grad():
        alone = [
            float(sft_loss(model, padded_batches([r], 1, 0, 0, pad).batch(0))[0]) for r in rows
        ]
        packed = packed_batches(rows, 512, 1, 0, 0, pad)
        assert len(packed) == 1
        together = float(sft_loss(model, packed.batch(0))[0])
        padded = padded_batches(rows, 3, 0, 0, pad)
        as_batch = float(sft_loss(model, padded.batch(0))[0])
    assert together == pytest.approx(sum(alone), rel=1e-4)
    assert as_batch == pytest.approx(sum(alone), rel=1e-4)


def test_replay_rows_are_distilled_from_the_base_model(base_model: Path, tokenizer: Any) -> None:
    """A replay row adds KL(base ‖ adapter) to its cross-entropy: 0 while the adapter is a no-op,
    > 0 once it moves; packed or padded, beside an ordinary row."""
    from training.data import encode_sft
    from training.stages._batches import packed_batches, padded_batches
    from training.stages.sft import sft_loss, with_teacher

    model = lora_model(base_model)
    examples = chats([("Who are you?", "I'm Weftling."), ("Name a fruit.", "An apple.")])
    own, general = encode_sft(examples, tokenizer, 512).rows
    pad = int(tokenizer.pad_token_id)
    # LoRA starts as a no-op: the base model; batched (padded) as one row alone
    _, replay = with_teacher(model, [own, general], "cpu", pad)
    (alone,) = with_teacher(model, [general], "cpu", pad)
    assert replay.teacher[0].shape == (sum(t != -100 for t in general.targets), 32)
    assert torch.equal(replay.teacher[0], alone.teacher[0])
    torch.testing.assert_close(replay.teacher[1], alone.teacher[1], rtol=1e-4, atol=1e-4)

    def loss(rows: list[Any], packed: bool = False) -> float:
        if packed:
            return float(sft_loss(model, packed_batches(rows, 512, 1, 0, 0, pad).batch(0))[0])
        return float(sft_loss(model, padded_batches(rows, len(rows), 0, 0, pad).batch(0))[0])

    with torch.no_grad():
        plain = loss([own]) + loss([general])
        assert loss([own, replay]) == pytest.approx(plain, rel=1e-4)
        assert loss([own, replay], packed=True) == pytest.approx(plain, rel=1e-4)
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.add_(0.01 * torch.randn_like(param))
        assert loss([replay]) > loss([general]) + 1e-3


def steps(config: TrainJobConfig) -> list[dict[str, Any]]:
    """The step events of a finished job (exit code 0 checked)."""
    return [e for e in events(config) if e["event"] == "step"]


def assert_adapter(config: TrainJobConfig, stage: str) -> Path:
    """The job finished with a PEFT adapter folder for `stage`."""
    last = events(config)[-1]
    assert last["event"] == "done", last
    adapter = Path(last["adapter_dir"])
    assert (adapter / "adapter_model.safetensors").is_file()
    assert f'"stage": "{stage}"' in (adapter / "weft_adapter.json").read_text()
    return adapter


def test_sft_stage_unpacked_runs(tmp_path: Path, base_model: Path) -> None:
    config = make_job(tmp_path, base_model, alpaca_rows(8), packing=False)
    assert run_job(config, echo=None) == 0
    assert all(math.isfinite(e["loss"]) for e in steps(config))
    assert_adapter(config, "sft")


@pytest.fixture(scope="module")
def reward_adapter(tmp_path_factory: pytest.TempPathFactory, base_model: Path) -> Path:
    """A reward adapter from a 2-step rm job (shared by the rm and ppo tests)."""
    tmp = tmp_path_factory.mktemp("rm")
    config = make_job(tmp, base_model, pair_rows(8), stage="rm", val_size=0.25)
    assert run_job(config, echo=None) == 0, events(config)[-1]
    return tmp / "out" / "adapter"


def test_rm_stage_trains_a_score_head(reward_adapter: Path) -> None:
    from safetensors.torch import load_file

    config_dir = reward_adapter.parent
    done = [e for e in (config_dir / "progress.jsonl").read_text().splitlines() if '"done"' in e]
    assert done
    first = next(
        e for e in (config_dir / "progress.jsonl").read_text().splitlines() if '"step"' in e
    )
    assert "accuracy" in first
    weights = load_file(reward_adapter / "adapter_model.safetensors")
    assert any("score" in k for k in weights)  # the head is saved with the adapter
    assert any("lora_A" in k for k in weights)
    assert '"eval_accuracy"' in done[0]


def test_dpo_stage_starts_at_the_reference(tmp_path: Path, base_model: Path) -> None:
    config = make_job(tmp_path, base_model, pair_rows(6), stage="dpo", dpo={"loss": "ipo"})
    assert run_job(config, echo=None) == 0
    got = steps(config)
    # policy == reference before the first update: every log-ratio is 0, (0 - 1/(2*0.1))^2
    assert got[0]["loss"] == pytest.approx(25.0, rel=1e-4)
    assert all(math.isfinite(e["loss"]) for e in got)
    assert_adapter(config, "dpo")


def test_dpo_losses_match_their_formulas() -> None:
    from training.stages.dpo import dpo_losses

    logps = torch.tensor([-3.0, -5.0, -4.0, -4.0])  # chosen 1, chosen 2, rejected 1, rejected 2
    ref = torch.tensor([-4.0, -4.0, -4.0, -4.0])
    counts = torch.tensor([2.0, 4.0, 1.0, 2.0])
    delta = torch.tensor([1.0, -1.0])
    sigmoid, d = dpo_losses(DpoSettings(beta=0.5), logps, ref, counts)
    torch.testing.assert_close(d, delta)
    torch.testing.assert_close(sigmoid, -torch.nn.functional.logsigmoid(0.5 * delta))
    hinge, _ = dpo_losses(DpoSettings(beta=0.5, loss="hinge"), logps, ref, counts)
    torch.testing.assert_close(hinge, torch.tensor([0.5, 1.5]))
    ipo, _ = dpo_losses(DpoSettings(beta=0.5, loss="ipo"), logps, ref, counts)
    averaged = torch.tensor([1.0 / 2 - 0.0, -1.0 / 4 - 0.0])
    torch.testing.assert_close(ipo, (averaged - 1.0) ** 2)


def test_ppo_stage_samples_scores_and_updates(
    tmp_path: Path, base_model: Path, reward_adapter: Path
) -> None:
    config = make_job(
        tmp_path,
        base_model,
        alpaca_rows(6),
        stage="ppo",
        ppo={"reward_adapter": str(reward_adapter), "samples_per_prompt": 2, "max_new_tokens": 6},
        batch_size=1,
    )
    assert run_job(config, echo=None) == 0, events(config)[-1]
    got = steps(config)
    assert len(got) == 2
    for event in got:
        assert math.isfinite(event["loss"])
        assert math.isfinite(event["reward"])
        assert 1 <= event["answer_tokens"] <= 6
    assert_adapter(config, "ppo")


def test_ppo_refuses_an_adapter_that_is_not_a_reward_model(
    tmp_path: Path, base_model: Path
) -> None:
    sft = make_job(tmp_path / "sft", base_model, alpaca_rows(4), max_steps=1)
    assert run_job(sft, echo=None) == 0
    config = make_job(
        tmp_path / "ppo",
        base_model,
        alpaca_rows(4),
        stage="ppo",
        ppo={"reward_adapter": str(sft.output_dir / "adapter")},
    )
    assert run_job(config, echo=None) == 1
    error = events(config)[-1]
    assert error["setting"] == "ppo.reward_adapter"


def test_fused_lora_forward_matches_peft(base_model: Path) -> None:
    """The one-GEMM LoRA forward gives peft's outputs and gradients, and respects disable."""
    from peft.tuners.lora.layer import Linear

    model = lora_model(base_model)
    layers: list[Any] = [m for m in model.modules() if isinstance(m, Linear)]
    assert len(layers) == 7 * 30  # all-linear: q k v o gate up down in every layer
    for layer in layers:
        torch.nn.init.normal_(layer.lora_B["default"].weight, std=0.02)
    ids = torch.tensor([[1, 520, 9531, 198, 31041, 2, 198, 1, 520]])

    def run() -> tuple[torch.Tensor, list[torch.Tensor]]:
        model.zero_grad()
        logits = model(input_ids=ids, use_cache=False).logits
        logits.square().mean().backward()
        grads = [
            p.grad.clone() for p in model.parameters() if p.requires_grad and p.grad is not None
        ]
        return logits.detach(), grads

    fused, fused_grads = run()
    for layer in layers:
        del layer.forward  # back to peft's own forward
    plain, plain_grads = run()
    torch.testing.assert_close(fused, plain, rtol=1e-5, atol=1e-5)
    assert len(fused_grads) == len(plain_grads) == 2 * 7 * 30
    for a, b in zip(fused_grads, plain_grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)
    from training.stages._model import fuse_lora

    assert fuse_lora(model) == len(layers)
    with torch.no_grad(), model.disable_adapter():
        disabled = model(input_ids=ids, use_cache=False).logits
    saved = [layer.lora_B["default"].weight.detach().clone() for layer in layers]
    with torch.no_grad():
        for layer in layers:
            layer.lora_B["default"].weight.zero_()
        base = model(input_ids=ids, use_cache=False).logits
        for layer, weight in zip(layers, saved, strict=True):
            layer.lora_B["default"].weight.copy_(weight)
    torch.testing.assert_close(disabled, base)  # disable_adapter() still means the base model
    assert not torch.allclose(base, plain, atol=1e-3)
