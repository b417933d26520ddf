"""BEIR-style test sets: queries.jsonl and qrels.tsv, read strictly, matched to documents.

queries.jsonl holds one `{"_id", "text"}` object a line. qrels.tsv has a header line, then
`query-id corpus-id score` a line (tabs or spaces); a score above 0 marks the document relevant
to the query. A corpus id names a document of the knowledge base by its name without the
extension (BEIR corpora are uploaded one file per document) or by its id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath

from rag import errors, loader

QUERIES_FILE, QRELS_FILE = "queries.jsonl", "qrels.tsv"


def parse_queries(data: bytes, name: str = QUERIES_FILE) -> dict[str, str]:
    """{query id: text}; DocumentError naming the file and line of a bad one."""
    text = loader.decode_text(data, name)
    queries: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise errors.CorruptFileError(name, f"line {number} is not JSON ({exc.msg})") from exc
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise errors.CorruptFileError(name, f'line {number} needs "_id" and "text"')
        query_id = row.get("_id")
        if not isinstance(query_id, str | int) or not str(query_id).strip():
            raise errors.CorruptFileError(name, f'line {number} needs "_id" and "text"')
        if row["text"].strip():
            queries[str(query_id).strip()] = row["text"].strip()
    if not queries:
        raise errors.EmptyFileError(name, "no query in the file")
    return queries


def parse_qrels(data: bytes, name: str = QRELS_FILE) -> list[tuple[str, str, int]]:
    """(query id, corpus id, score) rows after the header; DocumentError naming a bad line."""
    lines = loader.decode_text(data, name).splitlines()
    rows: list[tuple[str, str, int]] = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        parts = line.split("\t") if "\t" in line else line.split()
        parts = [p.strip() for p in parts]
        if len(parts) != 3:
            raise errors.CorruptFileError(
                name, f"line {number} needs three columns: query-id, corpus-id, score"
            )
        try:
            score = int(float(parts[2]))
        except ValueError as exc:
            raise errors.CorruptFileError(
                name, f"line {number}: the score {parts[2]!r} is not a number"
            ) from exc
        rows.append((parts[0], parts[1], score))
    if not rows:
        raise errors.EmptyFileError(name, "no judgment after the header line")
    return rows


@dataclass(frozen=True, slots=True)
class Matched:
    """A test set matched to documents: queries, {query id: {document id: grade}}, the rest."""

    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    unmatched: list[str]  # corpus ids that name no document, in file order


def match(
    queries: Mapping[str, str],
    rows: list[tuple[str, str, int]],
    documents: Mapping[str, str],
    qrels_name: str = QRELS_FILE,
) -> Matched:
    """Match qrels rows to `documents` ({id: file name}); keep the queries with a relevant one.

    A query id of qrels that queries.jsonl lacks is an error naming it (the files disagree)."""
    by_key: dict[str, str] = {}
    for document_id, file_name in documents.items():
        by_key.setdefault(PurePath(file_name).stem, document_id)
        by_key.setdefault(file_name, document_id)
        by_key[document_id] = document_id
    qrels: dict[str, dict[str, int]] = {}
    unmatched: dict[str, None] = {}
    for query_id, corpus_id, score in rows:
        if query_id not in queries:
            raise errors.CorruptFileError(
                qrels_name, f"the query {query_id!r} is not in {QUERIES_FILE}"
            )
        found = by_key.get(corpus_id)
        if found is None:
            unmatched[corpus_id] = None
        elif score > 0:
            qrels.setdefault(query_id, {})[found] = score
    kept = {q: queries[q] for q in queries if q in qrels}
    return Matched(kept, qrels, list(unmatched))
