"""`manage.py run_app`: the streamed answer and the per-node timing table."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from builder.models import Run
from tests.specs import echo_workflow_spec

pytestmark = pytest.mark.django_db(transaction=True)


def test_run_app_runs_spec_file_and_prints_timings(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "greeter.json"
    path.write_text(json.dumps(echo_workflow_spec()))
    out = StringIO()
    call_command("run_app", str(path), "--input", "name=Cy", stdout=out)
    printed = capsys.readouterr().out + out.getvalue()
    assert "Hello, Cy!" in printed
    table = [line.split() for line in out.getvalue().splitlines() if line[:3].strip().isdigit()]
    assert [row[1] for row in table] == ["start", "tpl", "end"]
    assert all(row[3] == "succeeded" for row in table)
    assert "run succeeded" in out.getvalue()


def test_run_app_runs_published_app_and_logs_cli_run(
    owner: Any, make_app: Any, capsys: Any
) -> None:
    make_app(owner, mode="chat", slug="cli-echo")
    out = StringIO()
    call_command("run_app", "cli-echo", "--query", "hey", stdout=out)
    assert "echo: hey" in capsys.readouterr().out
    run = Run.objects.get(source="cli")
    assert (run.status, run.answer) == ("succeeded", "echo: hey")


def test_run_app_reports_missing_input(tmp_path: Path) -> None:
    path = tmp_path / "greeter.json"
    path.write_text(json.dumps(echo_workflow_spec()))
    with pytest.raises(CommandError, match="name"):
        call_command("run_app", str(path), stdout=StringIO())


def test_run_app_rejects_bad_input_syntax() -> None:
    with pytest.raises(CommandError, match="name=value"):
        call_command("run_app", "whatever", "--input", "novalue", stdout=StringIO())
