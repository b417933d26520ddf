"""More than one CUDA GPU: the trainer re-launches itself under `accelerate launch` + DeepSpeed.

ZeRO-2 (optimizer state and gradients sharded; each GPU holds the frozen base weights) unless the
16-bit base weights would take more than ZERO3_WEIGHT_SHARE of one GPU's free memory, then
ZeRO-3 (the weights sharded too). Never on one GPU or on CPU. The DeepSpeed config leaves the
micro-batch size and accumulation to the child (`"auto"`), which fills them in once its data is
encoded; the child runs the same loop with an `accelerate.Accelerator` (see `_distributed.py`),
and only rank 0 writes progress events and the adapter. Needs the `deepspeed` package on the host
(not in requirements.txt: it builds against the host's CUDA).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from training.config import ComputeType, DeviceInfo, ModelShape, TrainJobConfig
from training.errors import TrainingError
from training.progress import ProgressWriter

ZERO3_WEIGHT_SHARE = 0.4
CHILD_ENV = "WEFT_TRAINER_CHILD"


def should_relaunch(device: DeviceInfo, env: Mapping[str, str] = os.environ) -> bool:
    """True in the parent trainer process on a machine with several CUDA GPUs."""
    launched = CHILD_ENV in env or "LOCAL_RANK" in env
    return device.kind == "cuda" and device.count > 1 and not launched


def zero_stage(shape: ModelShape, device: DeviceInfo) -> int:
    """3 when the 16-bit weights exceed ZERO3_WEIGHT_SHARE of a GPU's free memory, else 2."""
    return 3 if shape.params * 2 > ZERO3_WEIGHT_SHARE * device.free_bytes else 2


def deepspeed_config(stage: int, compute_type: ComputeType) -> dict[str, Any]:
    """A DeepSpeed config for LoRA training (batch and accumulation filled in by the child)."""
    config: dict[str, Any] = {
        "train_micro_batch_size_per_gpu": "auto",
        "gradient_accumulation_steps": "auto",
        "gradient_clipping": 1.0,
        "zero_allow_untested_optimizer": True,
        "bf16": {"enabled": compute_type == "bf16"},
        "fp16": {"enabled": compute_type == "fp16", "loss_scale": 0, "initial_scale_power": 16},
        "zero_optimization": {
            "stage": stage,
            "overlap_comm": True,
            "contiguous_gradients": True,
            "reduce_bucket_size": 5e8,
        },
    }
    if stage == 3:
        config["zero_optimization"].update(
            stage3_gather_16bit_weights_on_model_save=True,
            stage3_prefetch_bucket_size=5e8,
            stage3_param_persistence_threshold=1e5,
        )
    else:
        config["zero_optimization"].update(allgather_partitions=True, reduce_scatter=True)
    return config


def launch_command(
    job_path: Path,
    gpus: int,
    deepspeed_json: Path,
    compute_type: ComputeType,
    *,
    python: str = sys.executable,
    port: int | None = None,
) -> list[str]:
    """`accelerate launch` running `python -m training.trainer job.json` on every GPU."""
    precision = {"bf16": "bf16", "fp16": "fp16", "fp32": "no"}[compute_type]
    command = [
        python,
        "-m",
        "accelerate.commands.launch",
        "--num_processes",
        str(gpus),
        "--num_machines",
        "1",
        "--mixed_precision",
        precision,
        "--use_deepspeed",
        "--deepspeed_config_file",
        str(deepspeed_json),
    ]
    if port is not None:
        command += ["--main_process_port", str(port)]
    return [*command, "--module", "training.trainer", str(job_path)]


def relaunch(
    job_path: Path,
    output_dir: Path,
    device: DeviceInfo,
    shape: ModelShape,
    compute_type: ComputeType,
) -> int:
    """Write output_dir/deepspeed.json, run the launcher, pass SIGTERM on; its exit code."""
    stage = zero_stage(shape, device)
    ds_path = output_dir / "deepspeed.json"
    ds_path.write_text(json.dumps(deepspeed_config(stage, compute_type), indent=1))
    command = launch_command(job_path, device.count, ds_path, compute_type)
    env = {**os.environ, CHILD_ENV: "1", "OMP_WAIT_POLICY": "PASSIVE"}
    child = subprocess.Popen(command, env=env)  # noqa: S603  # our own interpreter and module

    def forward(signum: int, _frame: Any) -> None:
        child.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        return child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def relaunch_if_several_gpus(config: TrainJobConfig, job_path: Path) -> int | None:
    """Under several CUDA GPUs, run the job under `accelerate launch`; None: run it here."""
    from training.stages._model import detect_device, model_shape

    device = detect_device()
    if not should_relaunch(device):
        return None
    config.output_dir.mkdir(parents=True, exist_ok=True)
    progress_file = config.output_dir / "progress.jsonl"
    try:
        shape = model_shape(config.base_model)
        compute = config.plan(device, shape, train_rows=1).compute_type
    except TrainingError as exc:
        _emit_error(progress_file, exc.code, exc.message, exc.setting)
        return 1
    code = relaunch(job_path, config.output_dir, device, shape, compute)
    lines = progress_file.read_text().splitlines() if progress_file.is_file() else []
    ended = bool(lines) and json.loads(lines[-1])["event"] in ("done", "stopped", "error")
    if code != 0 and not ended:
        message = f"accelerate launch exited with {code} (is deepspeed installed?)"
        _emit_error(progress_file, "crash", message, None)
        return 1
    return code


def _emit_error(path: Path, code: str, message: str, setting: str | None) -> None:
    writer = ProgressWriter(path)
    fields = {"code": code, "message": message}
    writer.emit("error", **fields, **({"setting": setting} if setting else {}))
    writer.close()
