"""A knowledge base's test set and its evaluations (the measuring is rag.metrics).

The test set is BEIR's files matched to the documents (rag.testsets) or hits marked relevant in
the test search. An evaluation runs on the worker ("rag" queue) with progress; the same
`evaluate_kb` runs in `manage.py eval_knowledge`.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.db import transaction
from django.utils import timezone

from kernel.errors import ApiError
from kernel.models import User
from kernel.processes import this_process
from kernel.workers import is_gone
from rag import errors, metrics, testsets
from rag.models import (
    Document,
    Evaluation,
    EvaluationStatus,
    Judgment,
    KnowledgeBase,
    Stage,
    TestQuery,
)
from rag.search import search_kb
from rag.types import Mode

log = logging.getLogger(__name__)
WRITE_EVERY_S = 0.5
MAX_QUERIES = 5000


def do_replace_testset(kb: KnowledgeBase, queries: bytes, qrels: bytes) -> dict[str, Any]:
    """Replace the test set with BEIR files; {queries, judgments, unmatched}."""
    try:
        parsed = testsets.parse_queries(queries)
        rows = testsets.parse_qrels(qrels)
        names = {str(pk): name for pk, name in kb.documents.values_list("pk", "name")}
        matched = testsets.match(parsed, rows, names)
    except errors.DocumentError as exc:
        field = "queries" if exc.file == testsets.QUERIES_FILE else "qrels"
        raise ApiError(exc.code, 422, exc.message, field=field) from exc
    if len(matched.queries) > MAX_QUERIES:
        raise ApiError(
            "too_many_queries",
            422,
            f"queries: at most {MAX_QUERIES} judged queries",
            field="queries",
        )
    with transaction.atomic():
        kb.test_queries.all().delete()
        made = TestQuery.objects.bulk_create(
            TestQuery(knowledge_base=kb, query_id=q, text=t) for q, t in matched.queries.items()
        )
        by_id = {q.query_id: q for q in made}
        judgments = Judgment.objects.bulk_create(
            Judgment(query=by_id[q], document_id=d, grade=min(grade, 32767))
            for q, docs in matched.qrels.items()
            for d, grade in docs.items()
        )
    return {"queries": len(made), "judgments": len(judgments), "unmatched": matched.unmatched}


def do_judge(kb: KnowledgeBase, query: str, document_id: str, relevant: bool) -> None:
    """Mark a document relevant (or not) to a query of the test set (made if new)."""
    document = Document.objects.filter(knowledge_base=kb, pk=document_id).first()
    if document is None:
        raise ApiError("not_found", 404, "document not found", field="document_id")
    text = query.strip()
    with transaction.atomic():
        test_query = TestQuery.objects.filter(knowledge_base=kb, text=text).first()
        if test_query is None and not relevant:
            return
        if test_query is None:
            number = kb.test_queries.count() + 1
            while kb.test_queries.filter(query_id=f"q{number}").exists():
                number += 1
            test_query = TestQuery.objects.create(
                knowledge_base=kb, query_id=f"q{number}", text=text
            )
        if relevant:
            Judgment.objects.get_or_create(query=test_query, document=document)
        else:
            Judgment.objects.filter(query=test_query, document=document).delete()
            if not test_query.judgments.exists():
                test_query.delete()


def testset_out(kb: KnowledgeBase) -> dict[str, Any]:
    """The test set as TestSetOut."""
    queries = kb.test_queries.prefetch_related("judgments")
    return {
        "queries": [
            {
                "id": q.query_id,
                "text": q.text,
                "relevant": [str(j.document_id) for j in q.judgments.all()],
            }
            for q in queries
        ]
    }


def stored_testset(kb: KnowledgeBase) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """The test set as ({query id: text}, {query id: {document id: grade}})."""
    queries: dict[str, str] = {}
    qrels: dict[str, dict[str, int]] = {}
    for q in kb.test_queries.prefetch_related("judgments"):
        queries[q.query_id] = q.text
        qrels[q.query_id] = {str(j.document_id): j.grade for j in q.judgments.all()}
    return queries, qrels


def evaluate_kb(
    kb: KnowledgeBase,
    queries: dict[str, str],
    qrels: dict[str, dict[str, int]],
    progress: metrics.ProgressFn | None = None,
) -> metrics.Report:
    """rag.metrics.evaluate over the knowledge base's search at its retrieval settings."""

    def search(query: str, mode: Mode, top_k: int, weight: float | None) -> list[str]:
        try:
            return [h.document_id for h in search_kb(kb, query, mode, top_k, weight)]
        except errors.QueryTooLongError:
            return []  # found nothing: the query is longer than the model reads

    settings = current_settings(kb)
    return metrics.evaluate(
        search,
        queries,
        qrels,
        weight=settings["weight"],
        top_k=settings["top_k"],
        progress=progress,
    )


def current_settings(kb: KnowledgeBase) -> dict[str, Any]:
    """The {weight, top_k} an evaluation measures."""
    return {"weight": float(kb.retrieval["weight"]), "top_k": int(kb.retrieval["top_k"])}


def report_fields(report: metrics.Report) -> dict[str, Any]:
    """A report as the Evaluation row's results, sweep and best."""
    best = report.best
    return {
        "results": {
            mode: {"ndcg_at_10": s.ndcg_at_10, "recall_at_k": s.recall_at_k, "k": s.k}
            for mode, s in report.results.items()
        },
        "sweep": [
            {
                "weight": p.weight,
                "top_k": p.top_k,
                "ndcg_at_10": p.ndcg_at_10,
                "recall_at_k": p.recall_at_k,
            }
            for p in report.sweep
        ],
        "best": {"weight": best.weight, "top_k": best.top_k, "ndcg_at_10": best.ndcg_at_10}
        if best
        else None,
    }


def do_start_evaluation(kb: KnowledgeBase, user: User | None) -> Evaluation:
    """Queue an evaluation of the test set at the current settings."""
    if not kb.test_queries.exists():
        raise ApiError(
            "empty_testset",
            422,
            "the test set is empty: upload queries.jsonl and qrels.tsv, or mark hits relevant"
            " in the test search",
        )
    if not kb.documents.filter(stage=Stage.INDEXED).exists():
        raise ApiError("nothing_indexed", 422, "no document is indexed yet: nothing to measure")
    active = (EvaluationStatus.QUEUED, EvaluationStatus.RUNNING)
    if kb.evaluations.filter(status__in=active).exists():
        raise ApiError("evaluation_running", 409, "an evaluation of this knowledge base is running")
    with transaction.atomic():
        evaluation = Evaluation.objects.create(
            knowledge_base=kb, settings=current_settings(kb), created_by=user
        )
        transaction.on_commit(lambda: _enqueue(evaluation))
    return evaluation


def _enqueue(evaluation: Evaluation) -> None:
    from rag.tasks import evaluate_knowledge_base  # the task module imports this one

    evaluate_knowledge_base.enqueue(str(evaluation.pk))


def run_evaluation(evaluation_id: str) -> str:
    """Run a queued evaluation on this worker; its final status."""
    do_requeue_orphan_evaluations()
    claimed = Evaluation.objects.filter(pk=evaluation_id, status=EvaluationStatus.QUEUED).update(
        status=EvaluationStatus.RUNNING, worker=this_process(), done=0
    )
    evaluation = (
        Evaluation.objects.filter(pk=evaluation_id).select_related("knowledge_base").first()
    )
    if evaluation is None or not claimed:
        return evaluation.status if evaluation else "deleted"
    kb = evaluation.knowledge_base
    queries, qrels = stored_testset(kb)
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= WRITE_EVERY_S or done == total:
            Evaluation.objects.filter(pk=evaluation.pk).update(done=done, total=total)
            last[0] = now

    fields: dict[str, Any]
    try:
        report = evaluate_kb(kb, queries, qrels, progress)
        fields = {"status": EvaluationStatus.SUCCEEDED, **report_fields(report)}
    except errors.RagError as exc:
        fields = {"status": EvaluationStatus.FAILED, "error": exc.message}
    except Exception as exc:  # the page must say why it stopped
        log.exception("evaluation %s failed", evaluation_id)
        fields = {"status": EvaluationStatus.FAILED, "error": f"the evaluation stopped: {exc}"}
    Evaluation.objects.filter(pk=evaluation.pk).update(finished_at=timezone.now(), **fields)
    return str(fields["status"])


def do_requeue_orphan_evaluations() -> int:
    """Queue again the running evaluations whose worker is gone; how many."""
    running = Evaluation.objects.filter(status=EvaluationStatus.RUNNING)
    gone = [w for w in running.values_list("worker", flat=True).distinct() if is_gone(w)]
    orphans = list(running.filter(worker__in=gone))
    for evaluation in orphans:
        Evaluation.objects.filter(pk=evaluation.pk).update(
            status=EvaluationStatus.QUEUED, worker=""
        )
        _enqueue(evaluation)
    return len(orphans)


def evaluation_out(e: Evaluation) -> dict[str, Any]:
    """An evaluation as EvaluationOut."""
    return {
        "id": str(e.pk),
        "status": e.status,
        "progress": {"done": e.done, "total": e.total},
        "error": e.error,
        "results": e.results or {},
        "sweep": e.sweep or [],
        "best": e.best,
        "settings": e.settings,
        "created_at": e.created_at,
    }
