"""The endpoints of the RAGFlow protocol server: one method each, as RAGFlow 0.22.1 answers them.

Each method takes the path's ids, the query string or JSON body, and returns the answer's `data`
(None for none) or raises ApiError with RAGFlow's code and message; the store under them, and
the parsing thread, are in `ragflow_store`.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from rag.fulltext import tokenize
from tests.rag.ragflow_data import (
    ARGUMENT_ERROR,
    DATA_ERROR,
    DEFAULT_PARSER,
    FILE_SUFFIXES,
    NOT_FOUND,
    PERMISSION_ERROR,
    ApiError,
    StoredDataset,
    StoredDocument,
    desc,
    new_id,
    page,
    rank,
)
from tests.rag.ragflow_store import RagflowStore

UPLOAD_LIMIT = 10 * 1024 * 1024


class RagflowApi(RagflowStore):
    """The endpoints, each called under the store's lock."""

    # datasets ------------------------------------------------------------------------------
    def create_dataset(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /datasets."""
        name = str(body.get("name") or "").strip()
        if not name:
            raise ApiError(
                ARGUMENT_ERROR,
                "Field: <name> - Message: <String should have at least 1 character> - Value: <>",
            )
        if any(d.name.lower() == name.lower() for d in self.datasets.values()):
            raise ApiError(DATA_ERROR, f"Dataset name '{name}' already exists")
        dataset = StoredDataset(
            new_id(),
            name,
            body.get("chunk_method") or "naive",
            {**DEFAULT_PARSER, **(body.get("parser_config") or {})},
            body.get("embedding_model") or "all-MiniLM-L6-v2@Weft",
            body.get("description"),
        )
        self.datasets[dataset.id] = dataset
        return self._dataset_json(dataset)

    def list_datasets(self, args: dict[str, str]) -> list[dict[str, Any]]:
        """GET /datasets."""
        found = sorted(self.datasets.values(), key=lambda d: d.create_time, reverse=desc(args))
        for key in ("id", "name"):
            if args.get(key):
                found = [d for d in found if getattr(d, key) == args[key]]
                if not found:
                    raise ApiError(
                        PERMISSION_ERROR,
                        f"User 'tenant' lacks permission for dataset '{args[key]}'",
                    )
        return [self._dataset_json(d) for d in page(found, args)]

    def delete_datasets(self, body: dict[str, Any]) -> None:
        """DELETE /datasets ({"ids": null} deletes every dataset)."""
        ids = body.get("ids")
        ids = list(self.datasets) if ids is None else ids
        unknown = [i for i in ids if i not in self.datasets]
        if unknown:
            raise ApiError(
                PERMISSION_ERROR,
                f"User 'tenant' lacks permission for datasets: '{', '.join(unknown)}'",
            )
        for dataset_id in ids:
            for document in self._documents_of(dataset_id):
                self._drop_document(document)
            del self.datasets[dataset_id]

    def _dataset_json(self, dataset: StoredDataset) -> dict[str, Any]:
        documents = self._documents_of(dataset.id)
        return dataset.as_json(len(documents), sum(d.chunk_count for d in documents))

    # documents -----------------------------------------------------------------------------
    def upload(self, dataset_id: str, files: list[tuple[str, bytes]]) -> list[dict[str, Any]]:
        """POST /datasets/{id}/documents (multipart, field `file`)."""
        if not files:
            raise ApiError(ARGUMENT_ERROR, "No file part!")
        if any(not name for name, _ in files):
            raise ApiError(ARGUMENT_ERROR, "No file selected!")
        total = sum(len(blob) for _, blob in files)
        if total > UPLOAD_LIMIT:
            mb = total / (1024 * 1024)
            raise ApiError(ARGUMENT_ERROR, f"Total file size exceeds 10MB limit! ({mb:.2f} MB)")
        dataset = self._dataset(dataset_id, lookup=True)
        made = []
        for name, blob in files:
            document = StoredDocument(
                new_id(),
                dataset.id,
                self._unique_name(dataset.id, name),
                blob,
                dict(dataset.parser_config),
                dataset.chunk_method,
            )
            if document.suffix not in FILE_SUFFIXES:
                raise ApiError(500, f"{name}: This type of file has not been supported yet!")
            self.documents[document.id] = document
            made.append({**document.as_json(), "run": "UNSTART"})
        return made

    def _unique_name(self, dataset_id: str, name: str) -> str:
        taken = {d.name for d in self._documents_of(dataset_id)}
        stem, dot, suffix = name.rpartition(".")
        candidate, n = name, 0
        while candidate in taken:
            n += 1
            candidate = f"{stem}({n}){dot}{suffix}" if dot else f"{name}({n})"
        return candidate

    def update_document(self, dataset_id: str, document_id: str, body: dict[str, Any]) -> Any:
        """PUT /datasets/{id}/documents/{id}: `true` after a change of `enabled` (as RAGFlow)."""
        document = self._document(dataset_id, document_id, "The dataset doesn't own the document.")
        if "meta_fields" in body:
            if not isinstance(body["meta_fields"], dict):
                raise ApiError(DATA_ERROR, "meta_fields must be a dictionary")
            document.meta_fields = dict(body["meta_fields"])
        if "name" in body and body["name"] != document.name:
            new = str(body["name"])
            if new.rsplit(".", 1)[-1].lower() != document.suffix:
                raise ApiError(ARGUMENT_ERROR, "The extension of file can't be changed")
            if any(d.name == new for d in self._documents_of(dataset_id)):
                raise ApiError(DATA_ERROR, "Duplicated document name in the same dataset.")
            document.name = new
            for chunk in self._chunks_of(document.id):
                chunk.document_name = new
        if "enabled" in body:
            document.status = str(int(body["enabled"]))
            for chunk in self._chunks_of(document.id):
                chunk.available = bool(body["enabled"])
            return True
        return document.as_json()

    def list_documents(self, dataset_id: str, args: dict[str, str]) -> dict[str, Any]:
        """GET /datasets/{id}/documents."""
        self._dataset(dataset_id, message=f"You don't own the dataset {dataset_id}. ")
        found = sorted(
            self._documents_of(dataset_id), key=lambda d: d.create_time, reverse=desc(args)
        )
        if args.get("id"):
            found = [d for d in found if d.id == args["id"]]
            if not found:
                raise ApiError(DATA_ERROR, f"You don't own the document {args['id']}.")
        if args.get("name"):
            found = [d for d in found if d.name == args["name"]]
            if not found:
                raise ApiError(DATA_ERROR, f"You don't own the document {args['name']}.")
        if args.get("keywords"):
            found = [d for d in found if args["keywords"].lower() in d.name.lower()]
        return {"total": len(found), "docs": [d.as_json() for d in page(found, args)]}

    def delete_documents(self, dataset_id: str, body: dict[str, Any]) -> None:
        """DELETE /datasets/{id}/documents (no ids: every document)."""
        self._dataset(dataset_id, message=f"You don't own the dataset {dataset_id}. ")
        ids = body.get("ids") or [d.id for d in self._documents_of(dataset_id)]
        unknown = [i for i in ids if i not in self.documents]
        for document_id in ids:
            if document_id in self.documents:
                self._drop_document(self.documents[document_id])
        if unknown:
            raise ApiError(DATA_ERROR, f"Documents not found: {unknown}")

    # parsing -------------------------------------------------------------------------------
    def parse(self, dataset_id: str, body: dict[str, Any]) -> None:
        """POST /datasets/{id}/chunks: start parsing the documents."""
        self._dataset(dataset_id, message=f"You don't own the dataset {dataset_id}.")
        ids = body.get("document_ids")
        if not ids:
            raise ApiError(DATA_ERROR, "`document_ids` is required")
        unknown = [
            i for i in ids if i not in self.documents or self.documents[i].dataset_id != dataset_id
        ]
        for document_id in dict.fromkeys(ids):
            if document_id in unknown:
                continue
            document = self.documents[document_id]
            if 0.0 < document.progress < 1.0:
                raise ApiError(DATA_ERROR, "Can't parse document that is currently being processed")
            self._reset(document, run="1")
            threading.Thread(
                target=self._parse, args=(document, document.generation), daemon=True
            ).start()
        if unknown:
            raise ApiError(DATA_ERROR, f"Documents not found: {unknown}")

    def stop_parsing(self, dataset_id: str, body: dict[str, Any]) -> None:
        """DELETE /datasets/{id}/chunks: stop parsing the documents."""
        self._dataset(dataset_id, message=f"You don't own the dataset {dataset_id}.")
        ids = body.get("document_ids")
        if not ids:
            raise ApiError(DATA_ERROR, "`document_ids` is required")
        for document_id in ids:
            document = self._document(
                dataset_id, document_id, f"You don't own the document {document_id}."
            )
            if int(document.progress) == 1 or document.progress == 0:
                raise ApiError(DATA_ERROR, "Can't stop parsing document with progress at 0 or 1")
            self._reset(document, run="2")

    # chunks --------------------------------------------------------------------------------
    def list_chunks(
        self, dataset_id: str, document_id: str, args: dict[str, str]
    ) -> dict[str, Any]:
        """GET /datasets/{id}/documents/{id}/chunks."""
        self._dataset(dataset_id, message=f"You don't own the dataset {dataset_id}.")
        document = self._document(
            dataset_id, document_id, f"You don't own the document {document_id}."
        )
        found = self._chunks_of(document.id)
        if args.get("id"):
            chunk = self.chunks.get(args["id"])
            if chunk is None or chunk.dataset_id != dataset_id:
                raise ApiError(NOT_FOUND, f"Chunk not found: {dataset_id}/{args['id']}")
            found = [chunk]
        elif args.get("keywords"):
            found = [c for c in found if args["keywords"].lower() in c.content.lower()]
        listed = found if args.get("id") else page(found, args, default_size=30)
        return {
            "total": len(found),
            "chunks": [c.as_listed() for c in listed],
            "doc": document.as_json(),
        }

    def add_chunk(self, dataset_id: str, document_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST /datasets/{id}/documents/{id}/chunks."""
        self._dataset(dataset_id, message=f"You don't own the dataset {dataset_id}.")
        document = self._document(
            dataset_id, document_id, f"You don't own the document {document_id}."
        )
        content = str(body.get("content", ""))
        if not content.strip():
            raise ApiError(DATA_ERROR, "`content` is required")
        for key in ("important_keywords", "questions"):
            if key in body and not isinstance(body[key], list):
                raise ApiError(DATA_ERROR, f"`{key}` is required to be a list")
        chunk = self._store_chunk(document, content, self.embed([content])[0])
        chunk.important_keywords = list(body.get("important_keywords", []))
        chunk.questions = [str(q).strip() for q in body.get("questions", []) if str(q).strip()]
        listed = chunk.as_listed()
        return {
            "chunk": {
                k: listed[k]
                for k in (
                    "id",
                    "content",
                    "document_id",
                    "important_keywords",
                    "questions",
                    "dataset_id",
                )
            }
        }

    def delete_chunks(self, dataset_id: str, document_id: str, body: dict[str, Any]) -> None:
        """DELETE /datasets/{id}/documents/{id}/chunks (no chunk_ids: every chunk)."""
        self._dataset(dataset_id, message=f"You don't own the dataset {dataset_id}.")
        document = self._document(
            dataset_id, document_id, f"Can't find the document with ID {document_id}!"
        )
        ours = {c.id for c in self._chunks_of(document.id)}
        wanted = list(dict.fromkeys(body["chunk_ids"])) if "chunk_ids" in body else sorted(ours)
        gone = [i for i in wanted if i in ours]
        for chunk in gone:
            del self.chunks[chunk]
        document.chunk_count -= len(gone)
        if len(gone) != len(wanted):
            raise ApiError(DATA_ERROR, f"rm_chunk deleted chunks {len(gone)}, expect {len(wanted)}")

    def update_chunk(
        self, dataset_id: str, document_id: str, chunk_id_: str, body: dict[str, Any]
    ) -> None:
        """PUT /datasets/{id}/documents/{id}/chunks/{id}: RAGFlow embeds the content again."""
        chunk = self.chunks.get(chunk_id_)
        if chunk is None or chunk.dataset_id != dataset_id:
            raise ApiError(DATA_ERROR, f"Can't find this chunk {chunk_id_}")
        self._dataset(dataset_id, message=f"You don't own the dataset {dataset_id}.")
        self._document(dataset_id, document_id, f"You don't own the document {document_id}.")
        if "content" in body:
            chunk.content = str(body["content"])
            chunk.terms = set(tokenize([chunk.content])[0])
        if "available" in body:
            chunk.available = bool(int(body["available"]))
        chunk.vector = np.asarray(self.embed([chunk.content])[0], np.float32)

    # retrieval -----------------------------------------------------------------------------
    def retrieve(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /retrieval: the question's chunks by similarity, over the threshold, one page."""
        dataset_ids = body.get("dataset_ids")
        if not dataset_ids:
            raise ApiError(DATA_ERROR, "`dataset_ids` is required.")
        if not isinstance(dataset_ids, list):
            raise ApiError(DATA_ERROR, "`dataset_ids` should be a list")
        for dataset_id in dataset_ids:
            self._dataset(dataset_id, message=f"You don't own the dataset {dataset_id}.")
        if "question" not in body:
            raise ApiError(DATA_ERROR, "`question` is required.")
        document_ids = body.get("document_ids") or []
        owned = {d.id for i in dataset_ids for d in self._documents_of(i)}
        for document_id in document_ids:
            if document_id not in owned:
                raise ApiError(DATA_ERROR, f"The datasets don't own the document {document_id}")
        if (body.get("metadata_condition") or {}).get("conditions"):
            raise ApiError(DATA_ERROR, "the protocol server does not filter by metadata_condition")
        if not body["question"]:
            return {"total": 0, "chunks": [], "doc_aggs": []}
        pool = [
            c
            for c in self.chunks.values()
            if c.dataset_id in dataset_ids
            and c.available
            and (not document_ids or c.document_id in document_ids)
        ]
        return rank(body, pool, self.embed([body["question"]])[0])
