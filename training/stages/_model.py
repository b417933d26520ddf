"""Device detection, threads, and loading the base model with a LoRA adapter."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

import torch

from training.config import ComputeType, DeviceInfo, ModelShape, TrainJobConfig
from training.errors import BaseModelError

DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}


def detect_device() -> DeviceInfo:
    """The first CUDA GPU (free memory, bf16 support, GPU count), else the CPU."""
    if torch.cuda.is_available():
        free, _total = torch.cuda.mem_get_info(0)
        return DeviceInfo(
            kind="cuda",
            count=torch.cuda.device_count(),
            free_bytes=int(free),
            bf16=torch.cuda.is_bf16_supported(),
            name=torch.cuda.get_device_name(0),
        )
    return DeviceInfo(kind="cpu", count=1, bf16=cpu_has_native_bf16(), name="cpu")


def cpu_has_native_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether the CPU computes bf16 natively (AVX512-BF16 or AMX; Linux flags)."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return False
    flags = next((line for line in text.splitlines() if line.startswith("flags")), "")
    return bool({"avx512_bf16", "amx_bf16"} & set(flags.split()))


def physical_cores() -> int:
    """Physical cores this process may run on (hyper-threads only add contention)."""
    import psutil

    allowed = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    physical = psutil.cpu_count(logical=False) or allowed or 1
    return max(1, min(physical, allowed or physical))


def set_threads() -> int:
    """torch uses $WEFT_TRAIN_THREADS threads, else one per physical core; returns the count."""
    wanted = os.environ.get("WEFT_TRAIN_THREADS", "").strip()
    n = int(wanted) if wanted.isdigit() and int(wanted) > 0 else physical_cores()
    torch.set_num_threads(n)
    return n


def model_shape(base_model: Path) -> ModelShape:
    """Sizes from config.json and the weight files (no model load); a bad folder raises."""
    try:
        config = json.loads((Path(base_model) / "config.json").read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise BaseModelError(f"{base_model}: no readable config.json ({exc})") from exc
    text = config.get("text_config") or config
    weights = sum(f.stat().st_size for f in Path(base_model).glob("*.safetensors"))
    width = 4 if str(config.get("dtype", config.get("torch_dtype", ""))) == "float32" else 2
    try:
        return ModelShape(
            params=weights // width,
            hidden_size=int(text["hidden_size"]),
            num_layers=int(text["num_hidden_layers"]),
            vocab_size=int(text["vocab_size"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BaseModelError(f"{base_model}: config.json lacks {exc}") from exc


def weights_dtype(device: DeviceInfo, compute: ComputeType) -> torch.dtype:
    """fp32 weights on CPU (autocast does the rest); 16-bit weights on GPU when computing in 16."""
    return torch.float32 if device.kind == "cpu" else DTYPES[compute]


def load_base(
    config: TrainJobConfig,
    device: DeviceInfo,
    compute: ComputeType,
    kind: Literal["causal", "reward"] = "causal",
) -> Any:
    """The base model alone (a causal LM, or a one-score sequence classifier for rewards)."""
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification

    cls = AutoModelForCausalLM if kind == "causal" else AutoModelForSequenceClassification
    extra: dict[str, Any] = {"num_labels": 1} if kind == "reward" else {}
    try:
        model: Any = cls.from_pretrained(
            str(config.base_model), dtype=weights_dtype(device, compute), **extra
        )
    except (OSError, ValueError, KeyError) as exc:
        raise BaseModelError(f"{config.base_model}: cannot load the model: {exc}") from exc
    model.config.use_cache = False  # a cache would switch off the packed-sequence attention mask
    if kind == "reward" and model.config.pad_token_id is None:
        model.config.pad_token_id = model.config.eos_token_id
    return model.to(device.kind)


def with_lora(
    model: Any,
    config: TrainJobConfig,
    kind: Literal["causal", "reward"] = "causal",
    *,
    adapter: Path | None = None,
    trainable: bool = True,
) -> Any:
    """`model` with a fresh LoRA adapter (seeded), or with `adapter` loaded from its folder."""
    from peft import PeftModel, get_peft_model

    torch.manual_seed(config.seed)  # the LoRA A matrices are drawn from this
    if adapter is not None:
        peft = PeftModel.from_pretrained(model, str(adapter), is_trainable=trainable)
    else:
        lora = config.to_lora_config("CAUSAL_LM" if kind == "causal" else "SEQ_CLS")
        peft = get_peft_model(model, lora)
    fuse_lora(peft)
    return peft


def _fused_lora_forward(self: Any, x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    """peft's LoRA Linear forward for one plain adapter, with B·A·x·s added inside one GEMM.

    peft computes `base(x) + lora_B(lora_A(dropout(x))) * scaling`: three passes over the output
    after the small matmul. `addmm(base(x), A·x, Bᵀ, alpha=scaling)` is the same sum in one pass
    (on CPU the LoRA additions are ~15% of a step). Anything else (adapter disabled or merged,
    several adapters, dropout, DoRA and other variants, per-row adapters) takes peft's path.
    """
    active = self.active_adapters
    if (
        self.disable_adapters
        or self.merged
        or args
        or kwargs
        or len(active) != 1
        or active[0] not in self.lora_A
        or active[0] in self.lora_variant
        or not isinstance(self.lora_dropout[active[0]], torch.nn.Identity)
        or (
            x.dtype != self.lora_A[active[0]].weight.dtype
            and not torch.is_autocast_enabled(x.device.type)
        )  # 16-bit activations and fp32 adapter outside autocast: peft's promoting sum
    ):
        peft_forward: torch.Tensor = type(self).forward(self, x, *args, **kwargs)
        return peft_forward
    name = active[0]
    result = self.base_layer(x)
    weight_a, weight_b = self.lora_A[name].weight, self.lora_B[name].weight
    low = torch.nn.functional.linear(x, weight_a)
    out = torch.addmm(
        result.reshape(-1, weight_b.shape[0]),
        low.reshape(-1, weight_b.shape[1]),
        weight_b.t(),
        alpha=self.scaling[name],
    )
    return out.view(result.shape)


def fuse_lora(model: Any) -> int:
    """Give every LoRA Linear of `model` the fused forward; returns how many."""
    import types

    from peft.tuners.lora.layer import Linear

    count = 0
    for module in model.modules():
        if isinstance(module, Linear):
            module.forward = types.MethodType(_fused_lora_forward, module)  # type: ignore[method-assign]  # per-instance fast path
            count += 1
    return count


def load_model(
    config: TrainJobConfig,
    device: DeviceInfo,
    compute: ComputeType,
    kind: Literal["causal", "reward"] = "causal",
) -> Any:
    """The base model with a fresh LoRA adapter."""
    return with_lora(load_base(config, device, compute, kind), config, kind)


def causal_parts(model: Any) -> tuple[Any, Any, Any]:
    """(decoder, output head, config) of a (PEFT-wrapped) causal LM."""
    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    return inner.get_decoder(), inner.get_output_embeddings(), inner.config


def memory_mb(device: DeviceInfo) -> float:
    """Peak allocated CUDA memory, or the process's resident memory on CPU, in MiB."""
    if device.kind == "cuda":
        return round(float(torch.cuda.max_memory_allocated()) / 2**20, 1)
    import psutil

    return round(float(psutil.Process().memory_info().rss) / 2**20, 1)
