"""`manage.py eval_knowledge <kb> [--queries queries.jsonl --qrels qrels.tsv]`: measure a
knowledge base as its page does (rag.evaluations.evaluate_kb) and print a table, then the
figures as one JSON line. Without files it uses the knowledge base's stored test set."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kernel.ids import parse_uuid
from rag import errors, metrics, testsets
from rag.evaluations import current_settings, evaluate_kb, report_fields, stored_testset
from rag.models import KnowledgeBase


class Command(BaseCommand):
    help = "nDCG@10 and Recall@k of a knowledge base for vector, full-text and hybrid search."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("knowledge_base", help="its id, or its name when that is unique")
        parser.add_argument("--queries", type=Path, help="BEIR queries.jsonl")
        parser.add_argument("--qrels", type=Path, help="BEIR qrels.tsv (with a header line)")

    def handle(self, *args: Any, **options: Any) -> None:
        kb = _knowledge_base(str(options["knowledge_base"]))
        queries, qrels = self._testset(kb, options.get("queries"), options.get("qrels"))
        if not queries:
            raise CommandError(f"{kb.name}: no query of the test set has a relevant document")
        last = [-1]

        def progress(done: int, total: int) -> None:
            tenth = done * 10 // max(total, 1)
            if tenth != last[0]:
                last[0] = tenth
                sys.stderr.write(f"\r{done}/{total} searches")
                sys.stderr.flush()

        report = evaluate_kb(kb, queries, qrels, progress)
        sys.stderr.write("\n")
        settings = current_settings(kb)
        self.stdout.write(_table(report, settings))
        line = {
            "knowledge_base": str(kb.pk),
            "name": kb.name,
            "queries": report.queries,
            "settings": settings,
            **report_fields(report),
        }
        self.stdout.write(json.dumps(line))

    def _testset(
        self, kb: KnowledgeBase, queries: Path | None, qrels: Path | None
    ) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
        if queries is None and qrels is None:
            return stored_testset(kb)
        if queries is None or qrels is None:
            raise CommandError("give both --queries and --qrels, or neither (the stored test set)")
        try:
            names = {str(pk): name for pk, name in kb.documents.values_list("pk", "name")}
            matched = testsets.match(
                testsets.parse_queries(queries.read_bytes(), queries.name),
                testsets.parse_qrels(qrels.read_bytes(), qrels.name),
                names,
                qrels.name,
            )
        except OSError as exc:
            raise CommandError(f"{exc.filename}: {exc.strerror}") from exc
        except errors.DocumentError as exc:
            raise CommandError(exc.message) from exc
        if matched.unmatched:
            shown = ", ".join(matched.unmatched[:10])
            more = f" and {len(matched.unmatched) - 10} more" if len(matched.unmatched) > 10 else ""
            self.stderr.write(f"corpus ids that name no document: {shown}{more}")
        return matched.queries, matched.qrels


def _knowledge_base(given: str) -> KnowledgeBase:
    pk = parse_uuid(given)
    found = list(
        KnowledgeBase.objects.filter(pk=pk) if pk else KnowledgeBase.objects.filter(name=given)
    )
    if not found:
        raise CommandError(f"there is no knowledge base {given!r} (give its id or its name)")
    if len(found) > 1:
        ids = ", ".join(str(kb.pk) for kb in found)
        raise CommandError(f"several knowledge bases are called {given!r}: give the id ({ids})")
    return found[0]


def _table(report: metrics.Report, settings: dict[str, Any]) -> str:
    k = settings["top_k"]
    lines = [
        f"{report.queries} queries; weight {settings['weight']}, top_k {k}",
        f"{'method':<10} {'nDCG@10':>8} {f'Recall@{k}':>10}",
    ]
    for mode, score in report.results.items():
        lines.append(f"{mode:<10} {score.ndcg_at_10:>8.4f} {score.recall_at_k:>10.4f}")
    top_ks = sorted({p.top_k for p in report.sweep})
    lines.append("sweep (hybrid), nDCG@10 / Recall@k by weight and top_k:")
    lines.append("weight " + "".join(f"{f'k={t}':>16}" for t in top_ks))
    for weight in sorted({p.weight for p in report.sweep}):
        cells = {p.top_k: p for p in report.sweep if p.weight == weight}
        row = "".join(f"{cells[t].ndcg_at_10:>8.4f}/{cells[t].recall_at_k:<7.4f}" for t in top_ks)
        lines.append(f"{weight:<6.1f} {row}")
    if report.best:
        best = report.best
        lines.append(
            f"best: weight {best.weight}, top_k {best.top_k} (nDCG@10 {best.ndcg_at_10:.4f})"
        )
    return "\n".join(lines)
