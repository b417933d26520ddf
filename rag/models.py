"""Knowledge bases, their documents, test sets and evaluations, each scoped to a workspace.

The backend store (for the embedded backend: `var/knowledge/<id>/index.sqlite3`) holds the
chunks and their vectors; the database holds what people manage and watch: the documents'
names, stages, progress, errors, flags and metadata. No chunk text is kept here: the chunk
browser reads it from the store. An uploaded file stays under the knowledge base's folder until
its document is indexed (a failed one keeps it, to be retried).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import ClassVar

from django.conf import settings as django_settings
from django.db import models

from kernel.models import Workspace


def knowledge_dir() -> Path:
    """WEFT_DATA_DIR/knowledge: one folder per knowledge base."""
    return Path(django_settings.DATA_DIR) / "knowledge"


class Backend(models.TextChoices):
    EMBEDDED = "embedded", "Embedded (on this server)"
    MILVUS = "milvus", "Milvus"
    RAGFLOW = "ragflow", "RAGFlow"


class KnowledgeBase(models.Model):
    """Documents searched together, with how they are chunked and retrieved by default."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="knowledge_bases"
    )
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    backend = models.CharField(max_length=16, choices=Backend.choices, default=Backend.EMBEDDED)
    chunking = models.JSONField(default=dict)  # rag.config (ChunkingOut)
    retrieval = models.JSONField(default=dict)  # rag.config (RetrievalOut)
    # What reopens a store that lives on a server (rag.stores): {"dataset_id": …} for RAGFlow,
    # with "linked": true when the user gave a dataset that Weft did not make
    store = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["workspace", "name"], name="one_knowledge_base_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def folder(self) -> Path:
        """WEFT_DATA_DIR/knowledge/<id>/: the store and the uploads waiting to be indexed."""
        return knowledge_dir() / str(self.pk)


class Stage(models.TextChoices):
    QUEUED = "queued", "Queued"
    PARSING = "parsing", "Parsing"
    CHUNKING = "chunking", "Chunking"
    EMBEDDING = "embedding", "Embedding"
    INDEXED = "indexed", "Indexed"
    FAILED = "failed", "Failed"


ACTIVE_STAGES = (Stage.PARSING, Stage.CHUNKING, Stage.EMBEDDING)  # a worker holds the document
WAITING_STAGES = (Stage.QUEUED, *ACTIVE_STAGES)


class Document(models.Model):
    """One uploaded file of a knowledge base and where its ingestion stands."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    knowledge_base = models.ForeignKey(
        KnowledgeBase, on_delete=models.CASCADE, related_name="documents"
    )
    name = models.CharField(max_length=255)  # the file's name, unique in its knowledge base
    size = models.PositiveBigIntegerField(default=0)
    content_hash = models.CharField(max_length=64)  # sha256 of the file's bytes
    chunking = models.JSONField(default=dict)  # the settings it was (is being) chunked with
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.QUEUED)
    done = models.PositiveIntegerField(default=0)  # chunks stored of `total`
    total = models.PositiveIntegerField(default=0)
    chunk_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)  # why it failed, naming the file
    error_code = models.CharField(max_length=40, blank=True)
    enabled = models.BooleanField(default=True)
    metadata = models.JSONField(default=dict, blank=True)  # {key: str | number}
    edited_chunks = models.JSONField(default=list, blank=True)  # ids of chunks people edited
    worker = models.CharField(max_length=120, blank=True)  # "<host>:<pid>" ingesting it
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["created_at", "name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["knowledge_base", "name"], name="one_document_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def upload_path(self) -> Path:
        """Where the uploaded file waits to be indexed (named by id: the name is the user's)."""
        suffix = Path(self.name).suffix.lower()
        return self.knowledge_base.folder / "uploads" / f"{self.pk}{suffix}"


class TestQuery(models.Model):
    """A query of a knowledge base's test set (its id is the one of queries.jsonl)."""

    knowledge_base = models.ForeignKey(
        KnowledgeBase, on_delete=models.CASCADE, related_name="test_queries"
    )
    query_id = models.CharField(max_length=200)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["created_at", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["knowledge_base", "query_id"], name="one_query_id")
        ]

    def __str__(self) -> str:
        return self.text[:60]


class Judgment(models.Model):
    """A document that should come back for a test query, with its grade (qrels' score)."""

    query = models.ForeignKey(TestQuery, on_delete=models.CASCADE, related_name="judgments")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="judgments")
    grade = models.PositiveSmallIntegerField(default=1)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["query", "document"], name="one_judgment")
        ]

    def __str__(self) -> str:
        return f"{self.query_id} → {self.document_id}"


class EvaluationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Evaluation(models.Model):
    """One measurement of a knowledge base against its test set (rag.metrics)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    knowledge_base = models.ForeignKey(
        KnowledgeBase, on_delete=models.CASCADE, related_name="evaluations"
    )
    status = models.CharField(
        max_length=16, choices=EvaluationStatus.choices, default=EvaluationStatus.QUEUED
    )
    done = models.PositiveIntegerField(default=0)  # searches run of `total`
    total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    settings = models.JSONField(default=dict)  # {weight, top_k} measured
    results = models.JSONField(default=dict, blank=True)
    sweep = models.JSONField(default=list, blank=True)
    best = models.JSONField(null=True, blank=True)
    worker = models.CharField(max_length=120, blank=True)
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.knowledge_base_id} ({self.status})"
