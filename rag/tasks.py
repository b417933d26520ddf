"""rag's tasks (django-tasks, queue "rag"): ingest a knowledge base's queued documents, and
run an evaluation. A worker takes the queue with `manage.py db_worker --queue-name "*"` (or
"rag"); the documents listing says when none does (kernel/workers.py)."""

from __future__ import annotations

from django_tasks import task

from rag.evaluations import run_evaluation
from rag.ingestion import run_ingestion

QUEUE = "rag"


@task(queue_name=QUEUE)
def ingest_knowledge_base(kb_id: str) -> int:
    """Ingest the knowledge base's queued documents; how many it took."""
    return run_ingestion(kb_id)


@task(queue_name=QUEUE)
def evaluate_knowledge_base(evaluation_id: str) -> str:
    """Run a queued evaluation; its final status."""
    return run_evaluation(evaluation_id)
