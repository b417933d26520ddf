"""The demo knowledge base `make run` seeds: Weft's handbook (rag/demo_docs).

Seeding uploads the pages like a person would, so the worker `make run` starts indexes them in
its first seconds (and the knowledge page shows it happen). It is idempotent: an unchanged page
does no work, a changed one is indexed again.
"""

from __future__ import annotations

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from kernel.models import User, Workspace
from rag.config import default_retrieval, merge_chunking
from rag.documents import do_upload_documents
from rag.models import KnowledgeBase

DEMO_KNOWLEDGE_BASE = "Weft handbook"
DOCS = Path(__file__).resolve().parent / "demo_docs"


def do_seed_demo_knowledge_base(workspace: Workspace, user: User | None) -> KnowledgeBase:
    """The workspace's handbook knowledge base with every page of rag/demo_docs indexed."""
    kb, _ = KnowledgeBase.objects.get_or_create(
        workspace=workspace,
        name=DEMO_KNOWLEDGE_BASE,
        defaults={
            "description": "How Weft works: a few short pages to try knowledge bases on.",
            "chunking": merge_chunking(None, None),
            "retrieval": default_retrieval(),
            "created_by": user,
        },
    )
    pages = [SimpleUploadedFile(p.name, p.read_bytes()) for p in sorted(DOCS.glob("*.md"))]
    do_upload_documents(kb, user, pages)
    return kb
