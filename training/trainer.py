"""`python -m training.trainer job.json`: one training job, reported as progress events.

Order: load the job, the tokenizer and the datasets; split off the held-out rows (seeded); mix in
replay rows (keep_general); run the stage (falling back to a safer compute type if the first step
fails); save output_dir/adapter (PEFT + weft_adapter.json); evaluate; `done`. SIGTERM saves a
checkpoint and ends with `stopped` (exit 0). Failures end with an `error` event (exit 1) whose
code is in training/README.md; the traceback goes to output_dir/trainer.log.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import random
import signal
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING, Any

from training.config import ComputeType, DatasetRef, TrainJobConfig, is_small_dataset
from training.errors import (
    ComputeTypeError,
    DatasetError,
    Problem,
    TrainingConfigError,
    TrainingError,
)
from training.formats import Example, Message, convert_rows, load_datasets
from training.progress import ProgressWriter

if TYPE_CHECKING:
    from training.stages import StageContext, StageResult

log = logging.getLogger("training.trainer")

ADAPTER_META = "weft_adapter.json"


def fallback_compute(current: str, device_kind: str) -> ComputeType | None:
    """The next safer compute type: bf16 → fp16 (GPU only) → fp32; None after fp32."""
    if current == "bf16":
        return "fp16" if device_kind == "cuda" else "fp32"
    return "fp32" if current == "fp16" else None


def split_val(
    examples: list[Example], val_size: float, seed: int
) -> tuple[list[Example], list[Example]]:
    """A seeded random held-out split: floor(n * val_size) rows (none for tiny sets)."""
    n_val = int(len(examples) * val_size)
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)  # noqa: S311  # data order, not security
    val = set(order[:n_val])
    return (
        [e for i, e in enumerate(examples) if i not in val],
        [examples[i] for i in sorted(val)],
    )


def check_stage_data(config: TrainJobConfig, examples: list[Example]) -> None:
    """rm and dpo need preference rows; sft needs supervised rows; ppo takes either."""
    pairs = sum("chosen" in e for e in examples)
    name = str(config.datasets[0].path)
    if config.stage in ("rm", "dpo") and pairs < len(examples):
        message = f"the {config.stage} stage needs preference rows (chosen and rejected)"
        raise DatasetError(name, [Problem(None, "chosen", message)])
    if config.stage == "sft" and pairs:
        message = "the sft stage needs rows with an answer, not preference pairs"
        raise DatasetError(name, [Problem(None, "output", message)])


def keep_general_on(config: TrainJobConfig, train_rows: int) -> bool:
    """Replay is for sft; by default on for small datasets (training.config.is_small_dataset)."""
    if config.stage != "sft":
        return False
    if config.keep_general is not None:
        return config.keep_general
    return is_small_dataset(train_rows)


def replay_cache_path(config: TrainJobConfig) -> Path:
    """Where base-model replay answers are cached: $WEFT_REPLAY_CACHE, else beside the job."""
    value = os.environ.get("WEFT_REPLAY_CACHE", "").strip()
    return Path(value) if value else config.output_dir.parent / "replay_cache.json"


def replay_examples(
    config: TrainJobConfig,
    train: list[Example],
    base: Any,
    tokenizer: Any,
    progress: ProgressWriter,
) -> list[Example]:
    """Self-distilled general rows (replay_ratio per training row) answered by `base`.

    They carry the training rows' system prompts in the same proportions, so every context the
    new data teaches in (an app's system prompt, or none) is also anchored to general answers.
    """
    n_rows = round(len(train) * config.replay_ratio)
    if not n_rows:
        return []
    try:
        from training import replay
    except ImportError:
        progress.note("keep_general is on, but training.replay is not available: no replay rows")
        return []
    rows = replay.build_replay(
        base,
        tokenizer,
        replay.replay_instructions(),
        n_rows,
        config.seed,
        cache_path=replay_cache_path(config),
    )
    examples = convert_rows(list(rows), DatasetRef(path=Path("replay"), format="alpaca"))
    return replay.mirror_system_prompts(examples, train, config.seed)


def base_probe_answers(config: TrainJobConfig, base: Any, tokenizer: Any) -> dict[str, str] | None:
    """The base model's (cached) answers to the general probes, for the final evaluation."""
    try:
        from training.replay import get_base_probe_answers
    except ImportError:
        return None
    return get_base_probe_answers(base, tokenizer, replay_cache_path(config))


def held_out_for_eval(val: list[Example]) -> list[Example]:
    """Held-out rows with their reference answer last (a preference row's chosen answer)."""
    out: list[Example] = []
    for example in val:
        if "chosen" in example:
            answer: Message = {"role": "assistant", "content": example["chosen"]}
            out.append({"messages": [*example["messages"], answer]})
        else:
            out.append(example)
    return out


def run_evaluation(
    config: TrainJobConfig,
    val: list[Example],
    tokenizer: Any,
    model: Any,
    progress: ProgressWriter,
    base_answers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Learned / preserved scores (training.evaluate) of the trained model, as the `eval` event.

    Reward models do not generate: their metric is the held-out pairwise accuracy instead.
    """
    if config.stage == "rm":
        return {}
    try:
        from training.assets import load_general_probes
        from training.evaluate import evaluate
    except ImportError:
        progress.note("training.evaluate is not available: no learned / preserved scores")
        return {}
    progress.note("evaluating: the adapter answers the held-out rows and the general probes")
    result = evaluate(
        model,
        tokenizer,
        held_out_for_eval(val),
        load_general_probes(),
        base_answers=base_answers,
    )
    scores = {"learned": result.learned, "preserved": result.preserved, "details": result.details}
    progress.emit("eval", **scores)
    return scores


def save_adapter(
    config: TrainJobConfig,
    model: Any,
    plan: Any,
    metrics: dict[str, Any],
    replay_rows: int,
    state_dict: dict[str, Any] | None = None,
) -> Path:
    """output_dir/adapter: the PEFT adapter and weft_adapter.json, written atomically."""
    from training.stages._checkpoint import save_dir

    meta = {
        "format": 1,
        "job_id": config.job_id,
        "base_model": str(config.base_model),
        "base_model_name": Path(config.base_model).name,
        "stage": config.stage,
        "datasets": [json.loads(d.model_dump_json()) for d in config.datasets],
        "settings": json.loads(config.model_dump_json()),
        "plan": dict(vars(plan)),
        "replay_rows": replay_rows,
        "metrics": metrics,
        "created_at": datetime.now(UTC).isoformat(),
    }

    def write(tmp: Path) -> None:
        if state_dict is None:
            model.save_pretrained(str(tmp))
        else:
            model.save_pretrained(str(tmp), state_dict=state_dict)
        (tmp / ADAPTER_META).write_text(json.dumps(meta, indent=1, default=str))

    return save_dir(config.output_dir / "adapter", write)


def prepare(
    config: TrainJobConfig, progress: ProgressWriter, stop: threading.Event, runtime: Any
) -> StageContext:
    """Device, tokenizer, datasets, the held-out split, replay rows and the resume point."""
    from training.data import load_tokenizer
    from training.stages import StageContext
    from training.stages._checkpoint import latest_checkpoint
    from training.stages._model import detect_device, load_base, model_shape, set_threads

    set_threads()
    progress.note("preparing: reading the datasets and the base model")
    device = detect_device()
    shape = model_shape(config.base_model)
    tokenizer = load_tokenizer(config.base_model)
    examples = load_datasets(config.datasets, max_samples=config.max_samples)
    check_stage_data(config, examples)
    train, val = split_val(examples, config.val_size, config.seed)
    ctx = StageContext(
        config=config,
        train=train,
        val=val,
        tokenizer=tokenizer,
        device=device,
        shape=shape,
        progress=progress,
        stop=stop,
        runtime=runtime,
    )
    if keep_general_on(config, len(train)):
        compute = ctx.plan(len(train)).compute_type
        ctx.base, ctx.base_compute = load_base(config, device, compute), compute
        progress.note(
            f"keep general skills: the base model answers {round(len(train) * config.replay_ratio)}"
            " general instructions to mix in (replay; answers are cached per base model)"
        )
        ctx.replay = replay_examples(config, train, ctx.base, tokenizer, progress)
        ctx.base_answers = base_probe_answers(config, ctx.base, tokenizer)
    if config.resume:
        ctx.resume_from = latest_checkpoint(ctx.checkpoints_dir)
        if ctx.resume_from is None:
            progress.note("resume: no checkpoint yet, starting from the beginning")
    return ctx


def run_stage(ctx: StageContext) -> StageResult:
    """The job's stage; a compute type failing at the first step is retried with a safer one."""
    from training.stages import STAGES

    while True:
        try:
            return STAGES[ctx.config.stage](ctx)
        except ComputeTypeError as exc:
            safer = fallback_compute(exc.compute_type, ctx.device.kind)
            if safer is None:
                raise
            ctx.compute_type = safer
            ctx.progress.note(f"{exc.message}; falling back to {safer}")


def finish(ctx: StageContext, result: StageResult) -> None:
    """Save the adapter, evaluate it, and emit `done` (or `stopped` after a stop)."""
    config, progress, runtime = ctx.config, ctx.progress, ctx.runtime
    if result.stopped:
        checkpoint = str(result.checkpoint) if result.checkpoint else None
        progress.emit("stopped", checkpoint=checkpoint)
        return
    state = runtime.adapter_state()  # collective under accelerate: every rank calls it
    if not runtime.is_main:
        return
    model = runtime.unwrap(result.model)
    adapter_dir = save_adapter(
        config, model, result.plan, result.metrics, len(ctx.replay), state_dict=state
    )
    metrics = dict(result.metrics)
    scores: dict[str, Any] = {}
    if runtime.world > 1:
        progress.note("the learned / preserved evaluation runs on single-GPU jobs only")
    elif ctx.stop.is_set():  # asked to stop once training was over: keep the adapter only
        progress.note("stop requested after training: the evaluation is skipped")
    else:
        scores = run_evaluation(config, ctx.val, ctx.tokenizer, model, progress, ctx.base_answers)
    if scores:
        metrics.update(learned=scores["learned"], preserved=scores["preserved"])
        _update_meta(adapter_dir, metrics)
    progress.emit("done", adapter_dir=str(adapter_dir), metrics=metrics)


def _update_meta(adapter_dir: Path, metrics: dict[str, Any]) -> None:
    path = adapter_dir / ADAPTER_META
    meta = json.loads(path.read_text())
    meta["metrics"] = metrics
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(meta, indent=1, default=str))
    os.replace(tmp, path)


def _error_fields(exc: BaseException) -> dict[str, Any]:
    import torch

    if isinstance(exc, TrainingError):
        return {"code": exc.code, "message": exc.message, "setting": exc.setting}
    if isinstance(exc, torch.OutOfMemoryError):
        return {"code": "out_of_memory", "message": str(exc), "setting": "batch_size"}
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return {"code": "disk_full", "message": str(exc), "setting": None}
    return {"code": "crash", "message": f"{type(exc).__name__}: {exc}", "setting": None}


@contextmanager
def _sigterm_sets(stop: threading.Event) -> Iterator[None]:
    """SIGTERM (and SIGINT) set `stop` instead of killing the process (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _log_to(path: Path) -> logging.Handler:
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return handler


def run_job(
    config: TrainJobConfig,
    *,
    stop: threading.Event | None = None,
    echo: IO[str] | bool | None = True,
) -> int:
    """Run one job in this process; returns the exit code (0 done or stopped, 1 error)."""
    from training.stages._distributed import current_runtime

    config.output_dir.mkdir(parents=True, exist_ok=True)
    runtime = current_runtime()
    if runtime.is_main:
        progress = ProgressWriter(config.output_dir / "progress.jsonl", echo)
        handler: logging.Handler = _log_to(config.output_dir / "trainer.log")
    else:  # other ranks of a multi-GPU job stay quiet
        progress, handler = ProgressWriter(None, echo=None), logging.NullHandler()
    stop = stop or threading.Event()
    try:
        with _sigterm_sets(stop):
            log.info("job %s: stage %s on %s", config.job_id, config.stage, config.base_model)
            ctx = prepare(config, progress, stop, runtime)
            finish(ctx, run_stage(ctx))
        return 0
    except Exception as exc:
        log.error("job %s failed:\n%s", config.job_id, traceback.format_exc())
        fields = _error_fields(exc)
        progress.emit("error", **{k: v for k, v in fields.items() if v is not None})
        return 1
    finally:
        progress.close()
        log.removeHandler(handler)
        handler.close()


def main(argv: list[str] | None = None) -> int:
    """Entry point: `python -m training.trainer job.json`."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m training.trainer job.json\n")
        return 2
    try:
        config = TrainJobConfig.load(Path(args[0]).read_text(encoding="utf-8"))
    except (OSError, TrainingConfigError) as exc:
        # no valid output_dir to write progress.jsonl into: the error line goes to stdout only
        fields = _error_fields(exc)
        ProgressWriter(None).emit("error", **{k: v for k, v in fields.items() if v is not None})
        return 1
    from training.stages._launch import relaunch_if_several_gpus

    code = relaunch_if_several_gpus(config, Path(args[0]))
    return run_job(config) if code is None else code


if __name__ == "__main__":
    sys.exit(main())
