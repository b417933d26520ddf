"""`manage.py eval_knowledge`: the page's evaluation from the command line, a table and a JSON
line with the same figures the worker's evaluation stores."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from rag.models import Evaluation, KnowledgeBase
from tests.rag.kb import committed, indexed_kb, run_tasks
from tests.rag.test_search_api import FACTS, QRELS, QUERIES, _jsonl, _put_testset

pytestmark = pytest.mark.django_db


def _run(*args: str) -> tuple[str, dict[str, Any]]:
    out = io.StringIO()
    call_command("eval_knowledge", *args, stdout=out, stderr=io.StringIO())
    lines = out.getvalue().strip().splitlines()
    return "\n".join(lines[:-1]), json.loads(lines[-1])


def test_eval_command_prints_the_table_and_the_workers_figures(
    owner: Any, client_for: Any, kb_dir: Path, tmp_path: Path
) -> None:
    client = client_for(owner)
    kb = indexed_kb(client, dict(FACTS))
    queries, qrels = tmp_path / "queries.jsonl", tmp_path / "qrels.tsv"
    queries.write_text(_jsonl(QUERIES))
    qrels.write_text(QRELS)
    table, figures = _run("Handbook", "--queries", str(queries), "--qrels", str(qrels))
    assert figures["queries"] == 3
    assert figures["settings"] == {"weight": 0.5, "top_k": 4}
    assert set(figures["results"]) == {"vector", "full_text", "hybrid"}
    assert len(figures["sweep"]) == 44
    assert "nDCG@10" in table
    assert "Recall@4" in table
    assert "best: weight" in table
    _put_testset(client, kb["id"], _jsonl(QUERIES), QRELS)
    committed(client.post, f"/api/knowledge-bases/{kb['id']}/evaluations")
    run_tasks()
    stored = Evaluation.objects.get()
    assert (stored.results, stored.sweep, stored.best) == (
        figures["results"],
        figures["sweep"],
        figures["best"],
    )
    _, again = _run(kb["id"])  # the stored test set
    assert again["results"] == figures["results"]


def test_eval_command_refuses_what_it_cannot_measure(
    owner: Any, make_member: Any, client_for: Any, kb_dir: Path, tmp_path: Path
) -> None:
    client = client_for(owner)
    indexed_kb(client, dict(FACTS))
    with pytest.raises(CommandError, match="no knowledge base 'Nope'"):
        _run("Nope")
    with pytest.raises(CommandError, match="give both --queries and --qrels"):
        _run("Handbook", "--queries", "q.jsonl")
    with pytest.raises(CommandError, match="no query of the test set"):
        _run("Handbook")
    bad = tmp_path / "queries.jsonl"
    bad.write_text("{oops\n")
    (tmp_path / "qrels.tsv").write_text(QRELS)
    with pytest.raises(CommandError, match=r"queries\.jsonl: line 1 is not JSON"):
        _run("Handbook", "--queries", str(bad), "--qrels", str(tmp_path / "qrels.tsv"))
    KnowledgeBase.objects.create(workspace=make_member("owner").workspace, name="Handbook")
    with pytest.raises(CommandError, match="several knowledge bases are called 'Handbook'"):
        _run("Handbook")
