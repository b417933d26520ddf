"""The trainer process end to end with the real SmolLM2: events, adapter, resume, stop, failures."""

from __future__ import annotations

import errno
import io
import json
import math
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file

from tests.training.conftest import alpaca_rows, events, kinds, make_job
from training.config import TrainJobConfig
from training.stages._model import detect_device
from training.trainer import main, run_job, split_val

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.usefixtures("fake_hooks")  # no minutes of generation per job


class StopAtStep(io.StringIO):
    """An echo stream that sets `stop` once it sees the step-`n` event (like SIGTERM would)."""

    def __init__(self, stop: threading.Event, n: int) -> None:
        super().__init__()
        self.stop, self.n = stop, n

    def write(self, text: str) -> int:
        if f'"step": {self.n},' in text and '"event": "step"' in text:
            self.stop.set()
        return super().write(text)


def test_trainer_sft_writes_adapter_and_reports_events(
    tmp_path: Path, base_model: Path, fake_hooks: dict[str, Any]
) -> None:
    config = make_job(
        tmp_path, base_model, alpaca_rows(20), val_size=0.2, keep_general=True, replay_ratio=0.5
    )
    assert run_job(config, echo=None) == 0
    assert kinds(config) == ["start", "step", "step", "eval", "done"]
    got = events(config)
    start = next(e for e in got if e["event"] == "start")
    assert (start["train_rows"], start["val_rows"], start["replay_rows"]) == (16, 4, 8)
    native = detect_device().bf16  # bf16 on CPUs that compute it natively, else fp32
    assert start["compute_type"] == ("bf16" if native else "fp32")
    assert (start["device"], start["total_steps"]) == ("cpu", 2)
    steps = [e for e in got if e["event"] == "step"]
    assert all(torch.isfinite(torch.tensor(e["loss"])) for e in steps)
    assert all(e["tokens_per_s"] > 0 and e["memory_mb"] > 0 for e in steps)
    assert steps[-1]["eta_s"] == 0
    done = got[-1]
    adapter = Path(done["adapter_dir"])
    assert adapter == config.output_dir / "adapter"
    assert (adapter / "adapter_model.safetensors").is_file()
    assert json.loads((adapter / "adapter_config.json").read_text())["r"] == 8
    meta = json.loads((adapter / "weft_adapter.json").read_text())
    assert meta["stage"] == "sft"
    assert meta["base_model"] == str(base_model)
    assert meta["metrics"]["learned"] == 0.75
    log = (config.output_dir / "trainer.log").read_text()  # a person can follow the job there
    assert "note: preparing" in log
    assert "step 2/2 epoch" in log
    assert "eval: learned 0.75 preserved 0.9" in log
    assert "done: adapter_dir=" in log
    assert meta["replay_rows"] == 8
    assert meta["plan"]["packing"] is True
    assert done["metrics"]["eval_loss"] > 0
    assert fake_hooks["replay"]["n"] == 8
    assert not fake_hooks["replay"]["lora"]  # answered by the plain base model
    assert fake_hooks["replay"]["cache_path"] == tmp_path / "replay_cache.json"
    assert len(fake_hooks["evaluate"]["held_out"]) == 4
    assert hasattr(fake_hooks["evaluate"]["model"], "peft_config")  # the trained adapter
    assert not (config.output_dir / "checkpoints").exists()  # save_steps 0: nothing until a stop


def test_trainer_resume_reproduces_an_uninterrupted_run(tmp_path: Path, base_model: Path) -> None:
    rows = alpaca_rows(12)
    straight = make_job(tmp_path / "a", base_model, rows, max_steps=3, save_steps=2, batch_size=1)
    assert run_job(straight, echo=None) == 0

    interrupted = make_job(
        tmp_path / "b", base_model, rows, max_steps=3, save_steps=2, batch_size=1
    )
    stop = threading.Event()
    assert run_job(interrupted, stop=stop, echo=StopAtStep(stop, 1)) == 0
    assert kinds(interrupted)[-3:] == ["step", "checkpoint", "stopped"]
    stopped = events(interrupted)[-1]
    assert stopped["checkpoint"].endswith("checkpoint-1")
    assert not (interrupted.output_dir / "adapter").exists()

    resumed = interrupted.model_copy(update={"resume": True})
    assert run_job(resumed, echo=None) == 0
    after = [e for e in events(resumed) if e["event"] == "step"]
    assert [e["step"] for e in after] == [1, 2, 3]  # 1 before the stop, then 2 and 3
    first = [e for e in events(straight) if e["event"] == "step"]
    assert after[-1]["loss"] == pytest.approx(first[-1]["loss"], rel=1e-5)
    want = load_file(straight.output_dir / "adapter" / "adapter_model.safetensors")
    got = load_file(resumed.output_dir / "adapter" / "adapter_model.safetensors")
    assert want.keys() == got.keys()
    for key in want:
        torch.testing.assert_close(got[key], want[key], rtol=1e-5, atol=1e-6)


def test_trainer_sigterm_saves_a_checkpoint_and_exits_0(tmp_path: Path, base_model: Path) -> None:
    config = make_job(tmp_path, base_model, alpaca_rows(24), max_steps=200)
    job = tmp_path / "job.json"
    job.write_text(config.model_dump_json())
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "training.trainer", str(job)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if '"event": "step"' in line:
            proc.send_signal(signal.SIGTERM)
            break
    rest = proc.stdout.read()
    assert proc.wait(timeout=120) == 0
    last = json.loads(rest.strip().splitlines()[-1])
    assert last["event"] == "stopped"
    checkpoint = Path(last["checkpoint"])
    assert (checkpoint / "adapter" / "adapter_model.safetensors").is_file()
    assert json.loads((checkpoint / "trainer_state.json").read_text())["step"] >= 1


def error_of(config: TrainJobConfig) -> dict[str, Any]:
    """Run the job, expect exit 1, and return its error event."""
    assert run_job(config, echo=None) == 1
    last = events(config)[-1]
    assert last["event"] == "error"
    return last


def test_trainer_bad_dataset_names_row_and_field(tmp_path: Path, base_model: Path) -> None:
    rows = alpaca_rows(5)
    rows[3] = {"instruction": "q", "output": 7}
    error = error_of(make_job(tmp_path, base_model, rows))
    assert error["code"] == "bad_dataset"
    assert "row 3" in error["message"]
    assert "'output'" in error["message"]


def test_trainer_a_row_over_cutoff_stops_the_job_before_any_step(
    tmp_path: Path, base_model: Path
) -> None:
    rows = alpaca_rows(6)
    rows[2]["output"] = "word " * 80  # one row far over the cutoff, the rest well within
    config = make_job(tmp_path, base_model, rows, cutoff_len=64)
    error = error_of(config)
    assert (error["code"], error["setting"]) == ("row_too_long", "cutoff_len")
    assert "1 of 6" in error["message"]
    assert "cutoff_len=64" in error["message"]
    assert not [e for e in events(config) if e["event"] == "step"]


def test_trainer_preference_rows_for_sft_are_a_bad_dataset(
    tmp_path: Path, base_model: Path
) -> None:
    rows = [{"instruction": "q", "chosen": "a", "rejected": "b"}]
    assert error_of(make_job(tmp_path, base_model, rows))["code"] == "bad_dataset"


def test_trainer_unknown_base_model(tmp_path: Path) -> None:
    error = error_of(make_job(tmp_path, tmp_path / "no-model", alpaca_rows(3)))
    assert (error["code"], error["setting"]) == ("bad_base_model", "base_model")


def test_trainer_out_of_memory_names_batch_size(
    tmp_path: Path, base_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def oom(*args: Any) -> Any:
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr("training.stages.sft.sft_loss", oom)
    error = error_of(make_job(tmp_path, base_model, alpaca_rows(8)))
    assert (error["code"], error["setting"]) == ("out_of_memory", "batch_size")


def test_trainer_disk_full_keeps_the_earlier_checkpoint(
    tmp_path: Path, base_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_save = torch.save
    calls = {"n": 0}

    def save(obj: Any, path: Any, *args: Any, **kwargs: Any) -> None:
        if "checkpoint-2" in str(path):
            calls["n"] += 1
            real_save(obj, path, *args, **kwargs)
            raise OSError(errno.ENOSPC, "No space left on device")
        real_save(obj, path, *args, **kwargs)

    monkeypatch.setattr(torch, "save", save)
    config = make_job(tmp_path, base_model, alpaca_rows(24), max_steps=3, save_steps=1)
    error = error_of(config)
    assert error["code"] == "disk_full"
    assert calls["n"] == 1
    folders = sorted(p.name for p in (config.output_dir / "checkpoints").iterdir())
    assert folders == ["checkpoint-1"]  # no half-written checkpoint-2, no temporary folder
    state = json.loads(
        (config.output_dir / "checkpoints/checkpoint-1/trainer_state.json").read_text()
    )
    assert state["step"] == 1


def test_trainer_crash_reports_class_and_logs_traceback(
    tmp_path: Path, base_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: Any) -> Any:
        raise ValueError("boom")

    monkeypatch.setattr("training.stages.sft.sft_loss", boom)
    config = make_job(tmp_path, base_model, alpaca_rows(8))
    error = error_of(config)
    assert (error["code"], error["message"]) == ("crash", "ValueError: boom")
    log = (config.output_dir / "trainer.log").read_text()
    assert "Traceback" in log
    assert "ValueError: boom" in log


def test_trainer_failed_compute_type_falls_back_with_a_note(
    tmp_path: Path, base_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import training.stages.sft as sft

    real = sft.sft_loss
    calls = {"n": 0}

    def flaky(model: Any, batch: Any) -> Any:
        calls["n"] += 1
        if torch.is_autocast_enabled("cpu"):
            raise RuntimeError("bf16 kernel not available")
        return real(model, batch)

    monkeypatch.setattr(sft, "sft_loss", flaky)
    config = make_job(tmp_path, base_model, alpaca_rows(8), compute_type="bf16", max_steps=1)
    assert run_job(config, echo=None) == 0
    notes = [e["message"] for e in events(config) if e["event"] == "note"]
    assert any("falling back to fp32" in n for n in notes)
    starts = [e for e in events(config) if e["event"] == "start"]
    assert [s["compute_type"] for s in starts] == ["bf16", "fp32"]


def test_trainer_main_reports_a_bad_job_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = tmp_path / "job.json"
    job.write_text(
        json.dumps(
            {
                "job_id": "x",
                "output_dir": str(tmp_path),
                "base_model": "m",
                "datasets": [],
                "cutoff_len": 1,
            }
        )
    )
    assert main([str(job)]) == 1
    error = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert error["code"] == "crash"
    assert error["setting"] in ("datasets", "cutoff_len")


def test_split_val_is_seeded_and_disjoint() -> None:
    rows: list[Any] = [{"messages": [{"role": "user", "content": str(i)}]} for i in range(30)]
    train, val = split_val(rows, 0.1, seed=7)
    assert (len(train), len(val)) == (27, 3)
    assert split_val(rows, 0.1, seed=7) == (train, val)
    assert split_val(rows, 0.1, seed=8)[1] != val
    assert split_val(rows[:5], 0.1, seed=7) == (rows[:5], [])


def test_relaunch_only_with_several_gpus_and_not_in_the_child() -> None:
    from training.config import DeviceInfo
    from training.stages._launch import should_relaunch

    two = DeviceInfo(kind="cuda", count=2, free_bytes=80 * 2**30, bf16=True)
    assert should_relaunch(two, env={})
    assert not should_relaunch(two, env={"WEFT_TRAINER_CHILD": "1"})
    assert not should_relaunch(two, env={"LOCAL_RANK": "0"})
    assert not should_relaunch(DeviceInfo(kind="cuda", count=1), env={})
    assert not should_relaunch(DeviceInfo(kind="cpu"), env={})


def test_zero_stage_3_only_for_weights_too_big_for_one_gpu() -> None:
    from training.config import DeviceInfo, ModelShape
    from training.stages._launch import deepspeed_config, zero_stage

    h200 = DeviceInfo(kind="cuda", count=8, free_bytes=140 * 2**30, bf16=True)
    assert zero_stage(ModelShape(8_000_000_000, 4096, 32, 128256), h200) == 2
    assert zero_stage(ModelShape(70_000_000_000, 8192, 80, 128256), h200) == 3
    two = deepspeed_config(2, "bf16")
    assert two["zero_optimization"]["stage"] == 2
    assert (two["bf16"]["enabled"], two["fp16"]["enabled"]) == (True, False)
    assert two["train_micro_batch_size_per_gpu"] == two["gradient_accumulation_steps"] == "auto"
    three = deepspeed_config(3, "fp16")
    assert three["zero_optimization"]["stage3_gather_16bit_weights_on_model_save"] is True
    assert three["fp16"]["enabled"]
    json.dumps(three)  # what relaunch() writes


def test_launch_command_runs_the_trainer_module_under_accelerate() -> None:
    from training.stages._launch import launch_command

    command = launch_command(
        Path("/jobs/1/job.json"), 4, Path("/jobs/1/deepspeed.json"), "bf16", python="py", port=29501
    )
    assert command == [
        "py",
        "-m",
        "accelerate.commands.launch",
        "--num_processes",
        "4",
        "--num_machines",
        "1",
        "--mixed_precision",
        "bf16",
        "--use_deepspeed",
        "--deepspeed_config_file",
        "/jobs/1/deepspeed.json",
        "--main_process_port",
        "29501",
        "--module",
        "training.trainer",
        "/jobs/1/job.json",
    ]
    assert "no" in launch_command(Path("j"), 2, Path("d"), "fp32", python="py")


def test_bench_mfu_arithmetic() -> None:
    from bench.train import H200_BF16_PEAK, SHAPES, llama_params, mfu

    assert llama_params(*SHAPES["8b"]) == pytest.approx(8.03e9, rel=0.01)  # Llama-3-8B
    assert llama_params(*SHAPES["1.5b"]) == pytest.approx(1.54e9, rel=0.01)  # Qwen2.5-1.5B
    # 8B params at 10,000 tokens/s: 6 * 8e9 * 1e4 = 4.8e14 FLOP/s, about half the H200 peak
    assert mfu(8_000_000_000, 10_000, H200_BF16_PEAK) == pytest.approx(4.8e14 / 989e12)
    assert mfu(1, 1, 1, flops_per_param=4) == 4


@pytest.mark.gpu
def test_trainer_sft_steps_on_cuda(tmp_path: Path, base_model: Path) -> None:
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    config = make_job(tmp_path, base_model, alpaca_rows(24), max_steps=3, batch_size=4)
    assert run_job(config, echo=None) == 0
    got = events(config)
    start = next(e for e in got if e["event"] == "start")
    assert start["device"] == torch.cuda.get_device_name(0)
    assert start["compute_type"] == ("bf16" if torch.cuda.is_bf16_supported() else "fp16")
    steps = [e for e in got if e["event"] == "step"]
    assert len(steps) == 3
    assert all(math.isfinite(e["loss"]) and e["memory_mb"] > 0 for e in steps)
    assert (config.output_dir / "adapter" / "adapter_model.safetensors").is_file()
