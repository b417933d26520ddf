"""Helpers for the knowledge-base API tests: create, upload, run the queued tasks in-process."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

TEXTS = {
    "cats.txt": "Cats are small furry animals. A cat purrs when it is content and sleeps a lot.",
    "rockets.txt": "A rocket engine burns propellant and expels exhaust to produce thrust.",
    "bread.md": "# Bread\n\nSourdough bread rises with wild yeast and lactic acid bacteria.",
}


def create_kb(client: Any, name: str = "Handbook", **body: Any) -> dict[str, Any]:
    """POST a knowledge base; its JSON (asserting 201)."""
    response = client.post(
        "/api/knowledge-bases", {"name": name, **body}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return dict(response.json())


def upload(client: Any, kb_id: str, files: dict[str, bytes | str]) -> Any:
    """POST files (name → content) as one multipart upload; the response."""
    parts = [
        SimpleUploadedFile(name, data.encode() if isinstance(data, str) else data)
        for name, data in files.items()
    ]
    return committed(client.post, f"/api/knowledge-bases/{kb_id}/documents", {"files": parts})


def committed(call: Any, *args: Any, **kwargs: Any) -> Any:
    """Call, running what the call leaves for after its transaction commits (queuing a task):
    a test's own transaction never commits."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return call(*args, **kwargs)


def run_tasks(queue: str = "rag") -> int:
    """Run the queued tasks of `queue` here, as the worker would (one at a time); how many."""
    from django_tasks_db.models import DBTaskResult

    count = 0
    while (result := DBTaskResult.objects.ready().filter(queue_name=queue).first()) is not None:
        result.claim("test-worker")
        task_result = result.task_result
        try:
            value = result.task.call(*task_result.args, **task_result.kwargs)
        except BaseException as exc:
            result.set_failed(exc)
            raise
        result.set_successful(value)
        count += 1
    return count


def indexed_kb(
    client: Any, files: dict[str, bytes | str] | None = None, **body: Any
) -> dict[str, Any]:
    """A knowledge base with `files` (TEXTS by default) uploaded and ingested."""
    kb = create_kb(client, **body)
    response = upload(client, kb["id"], files or dict(TEXTS))
    assert response.status_code == 201, response.content
    run_tasks()
    return kb


def listing(client: Any, kb_id: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The documents listing: its worker status and the documents by name (asserting 200)."""
    response = client.get(f"/api/knowledge-bases/{kb_id}/documents")
    assert response.status_code == 200, response.content
    body = response.json()
    return body["worker"], {d["name"]: d for d in body["documents"]}
