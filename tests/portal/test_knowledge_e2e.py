"""Knowledge bases end to end in Chromium, on the real server, worker and embedded models.

Sign in, open Knowledge from the top bar, make a knowledge base, drop two small files on it and
watch both reach "indexed" live; read a document's chunk and give it metadata; search in Test
retrieval (vector, full-text and hybrid side by side, with scores) and mark the right hit
relevant; upload a tiny BEIR test set, measure, and put the best setting in use; then make a
"Chat with your documents" app from its template, pick the knowledge base in the knowledge node's
panel, and get an answer with citations in the editor's chat preview. Every step is the user's,
through the page. Screenshots of each key screen land in the test's output folder.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.portal.browser import chat_in_preview, editor_ready, saved, shot, sign_in, watch

# Indexing waits for the worker, which also indexes the demo knowledge base `seed_demo` adds;
# the chat answer is the embedded model's on a shared CPU.
pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

WORK_MS = 300_000

DOCUMENTS = {
    "leave.md": (
        "# Leave policy\n\nEvery employee gets 25 days of paid leave each year. Unused leave"
        " carries over to the next year, up to five days.\n\nAsk your manager before you book"
        " more than two weeks in a row."
    ),
    "travel.txt": (
        "Travel policy.\n\nBook trains for trips under 500 km; a flight needs the approval of"
        " finance. Hotels up to 150 euros a night are paid back against the receipt."
    ),
}
QUERIES = [
    {"_id": "q1", "text": "How many days of paid leave do employees get?"},
    {"_id": "q2", "text": "Can I take a flight for a business trip?"},
]
QRELS = "query-id\tcorpus-id\tscore\nq1\tleave\t1\nq2\ttravel\t1\n"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two documents and the test set, as files a user would pick."""
    folder = tmp_path_factory.mktemp("kb-files")
    for name, text in DOCUMENTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in QUERIES))
    (folder / "qrels.tsv").write_text(QRELS)
    return folder


def _create(page: Page, shots: Path) -> str:
    page.get_by_test_id("kb-name").fill("Company handbook")
    expect(page.get_by_test_id("chunking-general")).to_be_checked()
    shot(page, shots, "knowledge-01-list-and-create")
    page.get_by_test_id("kb-create-submit").click()
    expect(page.get_by_test_id("kb-title")).to_have_text("Company handbook")
    match = re.search(r"#kb/([0-9a-f-]+)", page.url)
    assert match, page.url
    return match.group(1)


def _upload(page: Page, files: Path, shots: Path) -> None:
    expect(page.get_by_test_id("kb-upload-rules")).to_contain_text("MB each")
    page.get_by_test_id("kb-file-input").set_input_files([files / name for name in DOCUMENTS])
    uploads = page.get_by_test_id("kb-upload")
    expect(uploads).to_have_count(2)
    table = page.get_by_test_id("kb-documents")
    for name in DOCUMENTS:
        expect(table.locator(f"tr[data-name='{name}']")).to_be_visible()
    shot(page, shots, "knowledge-02-uploading")
    for name in DOCUMENTS:
        row = table.locator(f"tr[data-name='{name}']")
        expect(row).to_have_attribute("data-stage", "indexed", timeout=WORK_MS)
        expect(row.get_by_test_id("kb-doc-stage")).to_contain_text(
            re.compile(r"Indexed · \d+ chunk")
        )
    expect(page.get_by_test_id("kb-worker-warning")).to_have_count(0)
    expect(page.get_by_test_id("kb-summary")).to_contain_text("2 documents")
    shot(page, shots, "knowledge-03-indexed")


def _browse(page: Page, shots: Path) -> None:
    """A document's chunks, and metadata that then shows on its row and its hits."""
    page.get_by_test_id("kb-documents").locator("tr[data-name='leave.md']").get_by_test_id(
        "kb-doc-open"
    ).click()
    view = page.get_by_test_id("kb-doc-view")
    expect(view).to_have_attribute("data-stage", "indexed")
    expect(page.get_by_test_id("kb-chunk").first).to_contain_text("25 days of paid leave")
    box = page.get_by_test_id("kb-metadata")
    box.get_by_test_id("kb-meta-add").click()
    box.get_by_label("Key 1").fill("year")
    box.get_by_label("Value 1").fill("2024")
    box.get_by_test_id("kb-meta-save").click()
    expect(box.get_by_test_id("kb-meta-save")).to_be_disabled()  # saved: nothing left to save
    shot(page, shots, "knowledge-04-document")
    page.get_by_text("← Documents").click()
    row = page.get_by_test_id("kb-documents").locator("tr[data-name='leave.md']")
    expect(row).to_contain_text("year: 2024")


def _test_search(page: Page, shots: Path) -> None:
    page.get_by_test_id("kb-tab-search").click()
    page.get_by_test_id("kb-query").fill(QUERIES[0]["text"])
    page.get_by_test_id("kb-search-submit").click()
    for method in ("vector", "full_text", "hybrid"):
        expect(
            page.get_by_test_id(f"kb-results-{method}").get_by_test_id("kb-hit").first
        ).to_be_visible()
    top = page.get_by_test_id("kb-results-hybrid").get_by_test_id("kb-hit").first
    expect(top).to_have_attribute("data-document", "leave.md")
    expect(top.get_by_test_id("kb-hit-fused")).to_have_text(re.compile(r"^[01]\.\d{3}$"))
    expect(top).to_contain_text("vector 0.")
    expect(top).to_contain_text("25 days")
    expect(top).to_contain_text("year: 2024")
    top.get_by_test_id("kb-hit-mark").check()
    expect(top).to_have_attribute("data-relevant", "1")
    shot(page, shots, "knowledge-05-test-retrieval")


def _measure(page: Page, files: Path, shots: Path) -> None:
    page.get_by_test_id("kb-tab-measure").click()
    expect(page.get_by_test_id("kb-testset")).to_have_attribute("data-queries", "1")  # the mark
    page.get_by_test_id("kb-queries-file").set_input_files(files / "queries.jsonl")
    page.get_by_test_id("kb-qrels-file").set_input_files(files / "qrels.tsv")
    page.get_by_test_id("kb-testset-upload").click()
    expect(page.get_by_test_id("kb-testset-summary")).to_contain_text("Stored 2 queries")
    expect(page.get_by_test_id("kb-testset-count")).to_contain_text("2 queries")
    page.get_by_test_id("kb-eval-run").click()
    evaluation = page.get_by_test_id("kb-evaluation")
    expect(evaluation).to_have_attribute("data-status", "succeeded", timeout=WORK_MS)
    for method in ("vector", "full_text", "hybrid"):
        ndcg = page.get_by_test_id(f"kb-eval-{method}").get_attribute("data-ndcg") or ""
        assert 0 <= float(ndcg) <= 1, (method, ndcg)
    expect(page.get_by_test_id("kb-sweep").locator("td.kb-sweep-best")).to_have_count(1)
    shot(page, shots, "knowledge-06-measured")
    best = page.get_by_test_id("kb-best")
    use = best.get_by_test_id("kb-use-best")
    if use.count():  # the best may already be the setting in use
        use.click()
    expect(best.get_by_test_id("kb-best-applied")).to_be_visible()
    weight, top_k = best.get_attribute("data-weight"), best.get_attribute("data-top-k")
    expect(page.get_by_test_id("kb-summary")).to_contain_text(f"top {top_k}")
    expect(page.get_by_test_id("kb-summary")).to_contain_text(f"vector weight {weight}")
    page.get_by_test_id("kb-tab-settings").click()
    expect(page.get_by_test_id("kb-set-top-k")).to_have_value(str(top_k))
    shot(page, shots, "knowledge-07-settings")


def _chat(page: Page, url: str, kb_id: str, shots: Path) -> None:
    page.goto(f"{url}/")
    page.fill("#new-app-name", "Handbook chat")
    page.select_option("#new-app-template", value="chat-with-documents")
    page.locator("form", has=page.locator("#new-app-name")).locator("button[type=submit]").click()
    page.click("#open-editor")
    editor_ready(page)
    page.get_by_test_id("node-knowledge").click()
    pick = page.get_by_test_id(f"kb-pick-{kb_id}")
    expect(pick).to_contain_text("Company handbook")
    pick.locator("input").check()
    saved(page)
    shot(page, shots, "knowledge-08-editor-picker")
    bubble = chat_in_preview(page, "How many days of paid leave do I get each year?")
    expect(bubble).to_have_attribute("data-status", "succeeded", timeout=WORK_MS)
    citations = bubble.get_by_test_id("chat-citations")
    expect(citations.locator(".run-citation-doc").first).to_have_text("leave.md")
    shot(page, shots, "knowledge-09-chat-citations")
    page.get_by_test_id("chat-trace").locator("summary").click()
    page.get_by_test_id("run-trace-knowledge").get_by_role("button").first.click()
    hits = page.get_by_test_id("run-node-retrieval")
    expect(hits).to_contain_text("leave.md")
    hits.scroll_into_view_if_needed()
    shot(page, shots, "knowledge-10-trace-hits", full_page=False)


def test_knowledge_base_from_upload_to_a_cited_answer(
    page: Page, worker_server: str, files: Path, output_path: str
) -> None:
    shots, errors = watch(page, output_path)
    url = worker_server
    sign_in(page, url)
    page.locator("header.topbar").get_by_role("link", name="Knowledge").click()
    expect(page.get_by_test_id("kb-create")).to_be_visible()

    kb_id = _create(page, shots)
    _upload(page, files, shots)
    _browse(page, shots)
    _test_search(page, shots)
    _measure(page, files, shots)
    _chat(page, url, kb_id, shots)
    assert not errors, errors
