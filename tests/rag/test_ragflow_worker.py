"""A real `db_worker` on a RAGFlow knowledge base: killed while RAGFlow parses, the next worker
follows the same parse to the end without sending the file again."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from tests.rag.kb import create_kb, listing, upload
from tests.rag.ragflow_portal import sent
from tests.rag.ragflow_server import RagflowServer
from tests.rag.workers import db_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_ragflow_worker_killed_mid_parse_leaves_the_parse_to_the_next_one(
    owner: Any, client_for: Any, kb_dir: Path, ragflow: RagflowServer
) -> None:
    client = client_for(owner)
    kb = create_kb(client, backend="ragflow")
    env = {"RAGFLOW_BASE_URL": ragflow.base_url, "RAGFLOW_API_KEY": ragflow.api_key}
    ragflow.api.running.clear()  # RAGFlow's parse stays at its first step until let go
    upload(client, kb["id"], {"notes.txt": "Weft sends files to RAGFlow and follows them."})
    with db_worker(kb_dir, **env) as first:
        during = wait_for(
            lambda: (d := listing(client, kb["id"])[1]["notes.txt"])["progress"]["done"] and d,
            "RAGFlow's parse to be under way",
        )
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert (during["stage"], during["progress"]) == ("parsing", {"done": 10, "total": 100})
    assert listing(client, kb["id"])[1]["notes.txt"]["stage"] == "queued"  # its worker is gone
    with db_worker(kb_dir, **env):
        wait_for(
            lambda: listing(client, kb["id"])[1]["notes.txt"]["stage"] == "parsing",
            "the next worker to follow the parse",
        )
        ragflow.api.running.set()
        done = wait_for(
            lambda: (d := listing(client, kb["id"])[1]["notes.txt"])["stage"] == "indexed" and d,
            "the document to be indexed",
        )
    assert done["chunk_count"] == 1
    assert sent(ragflow, "POST", "/documents") == 1  # the file went once
