"""Dify DSL in Chromium: a Dify workflow file is imported from the apps page, its warnings are
listed, the editor opens with every node on the canvas (the ones inside the iteration too), and
Export DSL downloads the draft back as a DSL file with the same nodes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page, expect

from tests.portal.browser import node, shot, sign_in, watch

pytestmark = pytest.mark.browser

FILE = Path(__file__).parents[1] / "fixtures" / "dsl" / "workflow_branches.yml"
NODES = ("start", "fetch", "split", "each", "summary", "many", "agent", "clock", "end")


def test_dsl_file_imports_from_the_app_list_and_exports_back(
    page: Page, weft_server: str, output_path: str
) -> None:
    shots, errors = watch(page, output_path)
    sign_in(page, weft_server)
    page.fill("#import-dsl-name", "Feed digest (imported)")
    page.set_input_files("#import-dsl-file", str(FILE))
    shot(page, shots, "dsl-01-file-chosen")
    page.click("#import-dsl-form button[type=submit]")

    result = page.locator("#import-dsl-form [data-import-result]")
    expect(result).to_contain_text("Imported “Feed digest (imported)” with")
    # the key written into the HTTP node moved to a secret, and the warning says so
    expect(result.locator("li").first).to_contain_text("HTTP_FETCH_SECRET")
    shot(page, shots, "dsl-02-warnings")
    page.get_by_test_id("import-open-editor").click()

    page.wait_for_url("**/editor/")
    for node_id in NODES:
        expect(node(page, node_id)).to_be_visible()
    expect(page.locator(".react-flow__edge")).to_have_count(9)
    shot(page, shots, "dsl-03-editor", full_page=False)

    with page.expect_download() as caught:
        page.get_by_test_id("export-dsl").click()
    download = caught.value
    assert download.suggested_filename == "Feed digest (imported).yml"
    doc = yaml.safe_load(Path(download.path()).read_text())
    assert doc["version"] == "0.6.0"
    assert doc["app"]["name"] == "Feed digest (imported)"
    exported = {n["id"]: n["data"]["type"] for n in doc["workflow"]["graph"]["nodes"]}
    assert exported == {
        "start": "start",
        "fetch": "http-request",
        "split": "code",
        "each": "iteration",
        "eachstart": "iteration-start",
        "summary": "llm",
        "many": "if-else",
        "agent": "agent",
        "clock": "tool",
        "end": "end",
    }
    secrets = {v["name"]: v["value"] for v in doc["workflow"]["environment_variables"]}
    assert secrets["HTTP_FETCH_SECRET"] == ""  # the key itself never leaves without asking
    assert errors == []
