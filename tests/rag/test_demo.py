"""`manage.py seed_demo` seeds the handbook knowledge base (queued for the worker) and the
published "Chat with your documents" app over it; seeding again does no work."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from builder.models import App
from rag.demo import DEMO_KNOWLEDGE_BASE, DOCS
from rag.models import Document, KnowledgeBase
from tests.rag.kb import committed, run_tasks

pytestmark = pytest.mark.django_db


def test_demo_seed_indexes_the_handbook_and_publishes_the_documents_app(kb_dir: Path) -> None:
    committed(call_command, "seed_demo", stdout=io.StringIO())
    assert run_tasks() == 1  # the worker indexes the handbook
    kb = KnowledgeBase.objects.get(name=DEMO_KNOWLEDGE_BASE, workspace__slug="demo")
    pages = sorted(p.name for p in DOCS.glob("*.md"))
    documents = Document.objects.filter(knowledge_base=kb).order_by("name")
    assert [d.name for d in documents] == pages
    assert {d.stage for d in documents} == {"indexed"}
    assert all(d.chunk_count >= 1 for d in documents)
    app = App.objects.get(slug="docs-chat")
    knowledge = next(
        n for n in app.versions.get().spec["nodes"] if n["type"] == "knowledge_retrieval"
    )
    assert knowledge["config"]["dataset_ids"] == [str(kb.pk)]
    updated = {d.pk: d.updated_at for d in documents}
    committed(call_command, "seed_demo", stdout=io.StringIO())
    assert run_tasks() == 0  # nothing queued
    again = Document.objects.filter(knowledge_base=kb)
    assert {d.pk: d.updated_at for d in again} == updated  # unchanged pages: no work
    assert App.objects.filter(slug="docs-chat").get().versions.count() == 1
    assert App.objects.filter(slug="demo-chat").exists()


def test_demo_pages_are_short_and_about_weft() -> None:
    for page in DOCS.glob("*.md"):
        text = page.read_text()
        assert text.startswith("# "), page.name
        assert 80 <= len(text.split()) <= 400, page.name
    assert len(list(DOCS.glob("*.md"))) >= 5
