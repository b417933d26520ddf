"""Sections → chunks: general (size, overlap, separator), parent-child, and Q&A pairs from csv.

Sizes count tokens of the embedding model, so a chunk of the default size is embedded whole (the
model reads `Embedder.max_tokens`; longer text is cut). Splitting is llama-index's
SentenceSplitter: at the separator first, then at sentences, then at words. Chunk ids are derived
from the document id, position and text, so chunking the same file again gives the same ids and
an ingestion that is re-run skips what it already stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from rag import errors, loader
from rag.types import Chunk, Section

if TYPE_CHECKING:
    from llama_index.core.node_parser import SentenceSplitter

TokenCounter = Callable[[str], Sequence[int]]  # text → token ids (only the count is used)

MIN_SIZE, MAX_SIZE = 32, 4096


@dataclass(frozen=True, slots=True)
class GeneralChunking:
    """Chunks of at most `size` tokens, `overlap` tokens shared with the previous one."""

    size: int = 256  # the embedding model's window: nothing is cut when embedded
    overlap: int = 32  # an eighth of the size
    separator: str = "\n\n"  # split here first (paragraphs), then at sentences


@dataclass(frozen=True, slots=True)
class ParentChildChunking:
    """Small children are matched; the parent section they come from is what a hit returns."""

    parent_size: int = 1024
    child_size: int = 128
    child_overlap: int = 16
    separator: str = "\n\n"


@dataclass(frozen=True, slots=True)
class QAChunking:
    """One chunk per csv row: the question is matched, the question and answer are returned.

    The first row is a header; columns named "question" and "answer" are used, else the first two.
    """


ChunkingConfig = GeneralChunking | ParentChildChunking | QAChunking


def check_config(config: ChunkingConfig) -> None:
    """Raise SettingsError naming the first setting that is out of range."""
    if isinstance(config, GeneralChunking):
        _check_sizes("chunking.size", config.size, "chunking.overlap", config.overlap)
        _check_separator(config.separator)
    elif isinstance(config, ParentChildChunking):
        _check_sizes(
            "chunking.child_size", config.child_size, "chunking.child_overlap", config.child_overlap
        )
        if not config.child_size <= config.parent_size <= MAX_SIZE:
            raise errors.SettingsError(
                "chunking.parent_size",
                f"must be between the child size ({config.child_size}) and {MAX_SIZE} tokens",
            )
        _check_separator(config.separator)


def _check_sizes(size_field: str, size: int, overlap_field: str, overlap: int) -> None:
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise errors.SettingsError(size_field, f"must be between {MIN_SIZE} and {MAX_SIZE} tokens")
    if not 0 <= overlap <= size // 2:
        raise errors.SettingsError(
            overlap_field, f"must be between 0 and half the chunk size ({size // 2} tokens)"
        )


def _check_separator(separator: str) -> None:
    if not separator:
        raise errors.SettingsError("chunking.separator", "must not be empty")


def chunk_id(document_id: str, position: int, text: str) -> str:
    """A stable id for the chunk at `position` of a document with this text."""
    digest = hashlib.blake2b(f"{document_id}\0{position}\0{text}".encode(), digest_size=12)
    return digest.hexdigest()


def chunk_sections(
    document_id: str,
    sections: Sequence[Section],
    config: GeneralChunking | ParentChildChunking,
    count: TokenCounter,
) -> list[Chunk]:
    """Cut a document's sections into chunks (section metadata, such as a page, is kept)."""
    check_config(config)
    chunks: list[Chunk] = []
    if isinstance(config, GeneralChunking):
        split = _splitter(config.size, config.overlap, config.separator, count)
        for section in sections:
            for text in _pieces(split, section.text, config.separator):
                chunks.append(_chunk(document_id, len(chunks), text, section))
        return chunks
    parents = _splitter(config.parent_size, 0, config.separator, count)
    children = _splitter(config.child_size, config.child_overlap, "\n", count)
    for section in sections:
        for parent in _pieces(parents, section.text, config.separator):
            parent_id = chunk_id(document_id, -len(chunks) - 1, parent)
            for text in _pieces(children, parent, "\n"):
                chunks.append(_chunk(document_id, len(chunks), text, section, parent, parent_id))
    return chunks


def _pieces(splitter: SentenceSplitter, text: str, separator: str) -> list[str]:
    """The splitter's chunks without the separator it leaves at their edges."""
    pieces = (
        p.strip().removeprefix(separator).removesuffix(separator).strip()
        for p in splitter.split_text(text)
    )
    return [p for p in pieces if p]


def qa_chunks(document_id: str, path: Path, name: str) -> list[Chunk]:
    """One chunk per question/answer row of a csv file."""
    rows = loader.read_csv_rows(path, name)
    if len(rows) < 2:
        raise errors.EmptyFileError(name, "Q&A mode needs a header row and at least one question")
    header = [cell.strip().lower() for cell in rows[0]]
    q, a = (
        (header.index("question"), header.index("answer"))
        if {"question", "answer"} <= set(header)
        else (0, 1)
    )
    chunks: list[Chunk] = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) <= max(q, a):
            raise errors.CorruptFileError(
                name, f"row {number} has no answer column; Q&A mode needs two columns"
            )
        question, answer = row[q].strip(), row[a].strip()
        if question and answer:
            context = f"Question: {question}\nAnswer: {answer}"
            section = Section(question, {"row": number})
            chunks.append(_chunk(document_id, len(chunks), question, section, context))
    if not chunks:
        raise errors.EmptyFileError(name, "no row has both a question and an answer")
    return chunks


def _chunk(
    document_id: str,
    position: int,
    text: str,
    section: Section,
    context: str | None = None,
    parent_id: str | None = None,
) -> Chunk:
    return Chunk(
        id=chunk_id(document_id, position, text if context is None else f"{text}\0{context}"),
        document_id=document_id,
        text=text,
        position=position,
        context=context,
        parent_id=parent_id,
        metadata=section.metadata,
    )


@cache
def _splitter(size: int, overlap: int, separator: str, count: TokenCounter) -> SentenceSplitter:
    from llama_index.core.node_parser import SentenceSplitter

    # The tokenizer must be given: llama-index's default (tiktoken) downloads its vocabulary.
    return SentenceSplitter(
        chunk_size=size, chunk_overlap=overlap, paragraph_separator=separator, tokenizer=count
    )
