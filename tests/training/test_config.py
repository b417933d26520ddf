"""TrainJobConfig: defaults, validation naming the field, auto rules, peft/transformers configs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from training.config import (
    DeviceInfo,
    ModelShape,
    TrainJobConfig,
    auto_batch_size,
    auto_compute_type,
    auto_epochs,
    auto_grad_accum,
)
from training.errors import TrainingConfigError

SMOL = ModelShape(params=134_515_008, hidden_size=576, num_layers=30, vocab_size=49152)
LLAMA_8B = ModelShape(params=8_030_261_248, hidden_size=4096, num_layers=32, vocab_size=128256)
CPU = DeviceInfo(kind="cpu")


def job(**overrides: Any) -> dict[str, Any]:
    """A minimal valid job.json."""
    data: dict[str, Any] = {
        "job_id": "j1",
        "output_dir": "out",
        "base_model": "/models/smol",
        "datasets": [{"path": "/data/a.json"}],
    }
    data.update(overrides)
    return data


def test_config_defaults_follow_readme() -> None:
    cfg = TrainJobConfig.load(job())
    assert cfg.stage == "sft"
    assert (cfg.lora.rank, cfg.lora.alpha, cfg.lora.dropout, cfg.lora.target) == (
        8,
        16,
        0.0,
        "all-linear",
    )
    assert (cfg.learning_rate, cfg.weight_decay, cfg.optim) == (None, 1e-4, "adamw_torch")
    assert cfg.epochs is cfg.batch_size is cfg.grad_accum is cfg.keep_general is None
    assert (cfg.compute_type, cfg.cutoff_len, cfg.save_steps, cfg.val_size) == (
        "auto",
        1024,
        0,
        0.1,
    )
    assert (cfg.seed, cfg.replay_ratio, cfg.consolidate, cfg.resume) == (42, 1.0, 12.0, False)
    assert (cfg.dpo.beta, cfg.dpo.loss) == (0.1, "sigmoid")
    assert cfg.packing is None
    assert cfg.use_packing(train_rows=5000)
    assert not cfg.use_packing(train_rows=90)  # a small (identity-sized) set trains unpacked
    assert cfg.datasets[0].format == "auto"


def test_config_every_field_has_a_description() -> None:
    from pydantic import BaseModel

    def check(model: type[BaseModel]) -> None:
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name}"
            assert "\n" not in field.description
            sub = field.annotation
            if isinstance(sub, type) and issubclass(sub, BaseModel):
                check(sub)

    check(TrainJobConfig)


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        ({"cutoff_len": 4}, "cutoff_len"),
        ({"learning_rate": 0}, "learning_rate"),
        ({"stage": "kto"}, "stage"),
        ({"lora": {"rank": 0}}, "lora.rank"),
        ({"dpo": {"loss": "orpo"}}, "dpo.loss"),
        ({"datasets": []}, "datasets"),
        ({"datasets": [{"path": "a.json", "format": "csv"}]}, "datasets.format"),
        ({"unknown": 1}, "unknown"),
        ({"stage": "dpo", "packing": True}, "packing"),
        ({"stage": "ppo"}, "ppo.reward_adapter"),
        ({"val_size": 1.0}, "val_size"),
        ({"consolidate": -1}, "consolidate"),
    ],
)
def test_config_bad_setting_names_the_field(overrides: dict[str, Any], setting: str) -> None:
    with pytest.raises(TrainingConfigError) as info:
        TrainJobConfig.load(job(**overrides))
    assert info.value.setting == setting
    assert info.value.code == "crash"


def test_config_loads_json_text() -> None:
    cfg = TrainJobConfig.load(
        '{"job_id": "x", "output_dir": "o", "base_model": "m", '
        '"datasets": [{"path": "d.jsonl", "format": "sharegpt"}]}'
    )
    assert cfg.datasets[0].format == "sharegpt"
    assert cfg.output_dir == Path("o")


def test_auto_epochs_by_row_count() -> None:
    assert [auto_epochs(n) for n in (10, 200, 201, 2000, 2001, 10**6)] == [2, 2, 2, 2, 1, 1]


def test_auto_compute_type_by_device() -> None:
    assert auto_compute_type(CPU) == "fp32"
    assert auto_compute_type(DeviceInfo(kind="cpu", bf16=True)) == "bf16"  # AVX512-BF16 / AMX
    assert auto_compute_type(DeviceInfo(kind="cuda", bf16=True)) == "bf16"
    assert auto_compute_type(DeviceInfo(kind="cuda", bf16=False)) == "fp16"


def test_auto_batch_size_cpu_and_gpu_memory() -> None:
    assert auto_batch_size(CPU, SMOL, 256) == 4
    assert auto_batch_size(CPU, SMOL, 2048) == 2
    assert auto_batch_size(CPU, SMOL, 256, packing=False) == 2
    h200 = DeviceInfo(kind="cuda", free_bytes=140 * 2**30, bf16=True)
    small_gpu = DeviceInfo(kind="cuda", free_bytes=8 * 2**30, bf16=True)
    assert auto_batch_size(h200, SMOL, 1024) == 64
    big = auto_batch_size(h200, LLAMA_8B, 2048)
    assert 1 <= big < 64
    assert big & (big - 1) == 0  # a power of two
    assert auto_batch_size(small_gpu, LLAMA_8B, 2048) == 1
    assert auto_batch_size(small_gpu, SMOL, 1024) <= auto_batch_size(h200, SMOL, 1024)


def test_auto_grad_accum_keeps_steps_per_epoch() -> None:
    assert auto_grad_accum("cpu", 4, 100) == 1
    assert auto_grad_accum("cuda", 2, 1000) == 8
    assert auto_grad_accum("cuda", 2, 24) == 3
    assert auto_grad_accum("cuda", 32, 1000) == 1


def test_config_plan_resolves_auto_settings() -> None:
    plan = TrainJobConfig.load(job(cutoff_len=256)).plan(CPU, SMOL, train_rows=900)
    assert (plan.epochs, plan.batch_size, plan.compute_type, plan.packing) == (2, 4, "fp32", True)
    assert plan.learning_rate == 1e-4
    small = TrainJobConfig.load(job(cutoff_len=256)).plan(CPU, SMOL, train_rows=90)
    assert (small.epochs, small.batch_size, small.packing) == (2, 2, False)
    assert small.learning_rate == 4e-4
    fixed_rate = TrainJobConfig.load(job(learning_rate=5e-5)).plan(CPU, SMOL, train_rows=90)
    assert fixed_rate.learning_rate == 5e-5
    packed = TrainJobConfig.load(job(cutoff_len=256, packing=True)).plan(CPU, SMOL, 90)
    assert (packed.batch_size, packed.packing) == (4, True)
    fixed = TrainJobConfig.load(job(epochs=5, batch_size=1, grad_accum=2, compute_type="bf16"))
    plan = fixed.plan(CPU, SMOL, train_rows=150)
    assert (plan.epochs, plan.batch_size, plan.grad_accum, plan.compute_type) == (5, 1, 2, "bf16")
    with pytest.raises(TrainingConfigError) as info:
        TrainJobConfig.load(job(compute_type="fp16")).plan(CPU, SMOL, 10)
    assert info.value.setting == "compute_type"


def test_config_to_lora_config_all_linear() -> None:
    cfg = TrainJobConfig.load(job(lora={"rank": 4, "alpha": 8, "dropout": 0.05}))
    lora = cfg.to_lora_config()
    assert (lora.r, lora.lora_alpha, lora.lora_dropout) == (4, 8, 0.05)
    assert lora.target_modules == "all-linear"
    assert lora.task_type == "CAUSAL_LM"
    named = TrainJobConfig.load(job(lora={"target": ["q_proj", "v_proj"]})).to_lora_config(
        "SEQ_CLS"
    )
    assert sorted(named.target_modules or []) == ["q_proj", "v_proj"]
    assert named.task_type == "SEQ_CLS"


def test_config_to_training_args(tmp_path: Path) -> None:
    cfg = TrainJobConfig.load(job(learning_rate=2e-4, max_steps=7))
    plan = cfg.plan(CPU, SMOL, train_rows=1000)
    args = cfg.to_training_args(plan, tmp_path)
    assert args.learning_rate == 2e-4
    assert args.max_steps == 7
    assert args.per_device_train_batch_size == 2
    assert args.num_train_epochs == 2
    assert args.use_cpu
    assert not args.bf16
    assert args.lr_scheduler_type == "cosine"


def test_cpu_native_bf16_is_read_from_the_cpu_flags(tmp_path: Path) -> None:
    from training.stages._model import cpu_has_native_bf16

    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_bf16 avx512vl\n")
    assert cpu_has_native_bf16(info)
    info.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f\n")
    assert not cpu_has_native_bf16(info)
    assert not cpu_has_native_bf16(tmp_path / "missing")
