"""Chunkers: general (size, overlap, separator), parent-child, Q&A pairs from csv."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag import errors
from rag.chunking import GeneralChunking, ParentChildChunking, chunk_sections, qa_chunks
from rag.embeddings import MiniLM
from rag.types import Section
from tests.rag.files import write

SENTENCES = " ".join(f"Sentence number {n} talks about topic {n % 7}." for n in range(120))


def test_general_chunks_fit_the_size_and_cover_the_text(embedder: MiniLM) -> None:
    chunks = chunk_sections(
        "doc", [Section(SENTENCES)], GeneralChunking(size=64, overlap=8), embedder.token_ids
    )
    assert len(chunks) > 5
    assert all(len(embedder.token_ids(c.text)) <= 64 for c in chunks)
    assert "Sentence number 0 " in chunks[0].text
    assert "Sentence number 119 " in chunks[-1].text
    assert [c.position for c in chunks] == list(range(len(chunks)))


def test_general_chunks_overlap(embedder: MiniLM) -> None:
    chunks = chunk_sections(
        "doc", [Section(SENTENCES)], GeneralChunking(size=64, overlap=16), embedder.token_ids
    )
    first_sentence_of_second = chunks[1].text.split(".")[0]
    assert first_sentence_of_second in chunks[0].text


def test_general_chunks_end_at_the_separator_when_they_can(embedder: MiniLM) -> None:
    paragraphs = [
        f"{w} starts here and goes on for a while. {w} then ends right here."
        for w in ("Alpha", "Beta", "Gamma")
    ]
    config = GeneralChunking(size=32, overlap=0, separator="|||")
    chunks = chunk_sections("doc", [Section("|||".join(paragraphs))], config, embedder.token_ids)
    assert [c.text for c in chunks] == paragraphs


def test_chunk_ids_are_stable_and_depend_on_the_document(embedder: MiniLM) -> None:
    config = GeneralChunking(size=64, overlap=8)
    once = chunk_sections("doc", [Section(SENTENCES)], config, embedder.token_ids)
    again = chunk_sections("doc", [Section(SENTENCES)], config, embedder.token_ids)
    other = chunk_sections("other", [Section(SENTENCES)], config, embedder.token_ids)
    assert [c.id for c in once] == [c.id for c in again]
    assert not {c.id for c in once} & {c.id for c in other}


def test_chunks_keep_their_sections_metadata(embedder: MiniLM) -> None:
    sections = [
        Section("Page one words.", {"page": "1"}),
        Section("Page two words.", {"page": "2"}),
    ]
    chunks = chunk_sections("doc", sections, GeneralChunking(), embedder.token_ids)
    assert [c.metadata["page"] for c in chunks] == ["1", "2"]


def test_parent_child_children_point_at_their_parent(embedder: MiniLM) -> None:
    text = SENTENCES + "\n\n" + SENTENCES
    config = ParentChildChunking(parent_size=256, child_size=48, child_overlap=0)
    chunks = chunk_sections("doc", [Section(text)], config, embedder.token_ids)
    parents = {c.parent_id: c.context for c in chunks}
    assert len(parents) < len(chunks)
    assert all(c.context is not None and c.text in c.context for c in chunks)
    assert all(len(embedder.token_ids(c.text)) <= 48 for c in chunks)
    assert all(len(embedder.token_ids(p or "")) <= 256 for p in parents.values())


@pytest.mark.parametrize(
    ("config", "field"),
    [
        (GeneralChunking(size=8), "chunking.size"),
        (GeneralChunking(size=100, overlap=60), "chunking.overlap"),
        (GeneralChunking(separator=""), "chunking.separator"),
        (ParentChildChunking(parent_size=64, child_size=128), "chunking.parent_size"),
    ],
)
def test_chunking_settings_out_of_range_name_the_field(
    embedder: MiniLM, config: GeneralChunking | ParentChildChunking, field: str
) -> None:
    with pytest.raises(errors.SettingsError) as caught:
        chunk_sections("doc", [Section("text")], config, embedder.token_ids)
    assert caught.value.field == field
    assert caught.value.message.startswith(f"{field}: must ")


def test_qa_chunks_match_the_question_and_return_the_answer(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "faq.csv",
        "Answer,Question\nReset it from the login page.,How do I reset my password?\n",
    )
    (chunk,) = qa_chunks("faq", path, "faq.csv")
    assert chunk.text == "How do I reset my password?"
    assert (
        chunk.context
        == "Question: How do I reset my password?\nAnswer: Reset it from the login page."
    )
    assert chunk.metadata["row"] == 2


def test_qa_chunks_use_the_first_two_columns_without_named_headers(tmp_path: Path) -> None:
    path = write(tmp_path, "faq.csv", "q,a\nWhat is Weft?,A low-code LLM app builder.\nEmpty?,\n")
    (chunk,) = qa_chunks("faq", path, "faq.csv")
    assert chunk.text == "What is Weft?"


def test_qa_chunks_refuse_a_file_without_answers(tmp_path: Path) -> None:
    path = write(tmp_path, "faq.csv", "question\nWhat?\n")
    with pytest.raises(errors.CorruptFileError, match=r"^faq\.csv: row 2 has no answer column"):
        qa_chunks("faq", path, "faq.csv")
