"""Finding 11: a server killed with SIGKILL mid-run keeps the trace of the nodes that finished,
and the next server to start closes the run it left "running", before any new run.

Real processes: uvicorn serving Weft on a fresh SQLite data dir, killed with kill -9, and a
second uvicorn on the same data dir; the test reads the database file directly.
"""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.builder.test_model_failures import _llm_spec
from tests.portal.server import ROOT, free_port, manage, server_env

SETUP = """
import json, sys
from builder.actions.workflows import do_create_app, do_publish_workflow
from builder.keys import do_create_api_key
from builder.models import ModelProvider
from kernel.models import Membership, User, Workspace
user = User.objects.create_user(email="k@example.com", password="x-kill-123")
ws = Workspace.objects.create(name="Kill", slug="kill")
Membership.objects.create(user=user, workspace=ws, role="owner")
ModelProvider.objects.create(workspace=ws, name="remote", kind="openai_compatible", base_url=URL)
app = do_create_app(ws, user, "Hangs", "chat", slug="hangs", spec=json.loads(SPEC))
do_publish_workflow(app, user)
print(do_create_api_key(app, "k", user)[1])
"""
NODE_WHILE_RUNNING = """
SELECT n.status FROM builder_noderun n JOIN builder_run r ON r.id = n.run_id
WHERE r.id = ? AND n.node_id = ? AND r.status = 'running'
"""
_GUARD_S = 60  # how long to wait for what must happen (a guard against hanging, not a measure)


@contextmanager
def _silent_model() -> Iterator[str]:
    """An OpenAI-style URL whose server accepts connections and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/v1"
    finally:
        stop.set()
        server.close()
        for conn in held:
            conn.close()


def _serve(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    log = (data_dir / f"server-{port}.log").open("wb")
    server = subprocess.Popen(  # our own interpreter and uvicorn
        [sys.executable, "-m", "uvicorn", "portal.asgi:application", "--port", str(port)],
        cwd=ROOT,
        # the silent model listens on loopback, which the outbound guard refuses unless allowed
        env={**server_env(data_dir), "WEFT_OUTBOUND_ALLOW": "127.0.0.1"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    _until(lambda: _healthy(port), f"uvicorn on {port} did not start")
    return server


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _until(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + _GUARD_S
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError(what)
        time.sleep(0.1)
    return found


def _rows(data_dir: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(data_dir / "weft.sqlite3", timeout=10) as db:
        return db.execute(sql, args).fetchall()


def test_killed_server_keeps_finished_nodes_and_its_run_is_closed_at_start_up(
    tmp_path: Path,
) -> None:
    manage(tmp_path, "migrate", "--noinput")
    with _silent_model() as url:
        script = SETUP.replace("URL", repr(url)).replace("SPEC", repr(json.dumps(_llm_spec())))
        key = manage(tmp_path, "shell", "-c", script).strip().splitlines()[-1]
        first = _serve(tmp_path, port := free_port())
        try:
            with httpx.stream(
                "POST",
                f"http://127.0.0.1:{port}/v1/chat-messages",
                json={"query": "hi", "user": "u"},
                headers={"Authorization": f"Bearer {key}"},
                timeout=_GUARD_S,
            ) as response:
                lines = response.iter_lines()
                run_id = json.loads(next(lines)[6:])["task_id"].replace("-", "")
                started = _until(
                    lambda: _rows(tmp_path, NODE_WHILE_RUNNING, run_id, "start"),
                    "the finished start node's trace was not written while the run went on",
                )
                first.send_signal(signal.SIGKILL)
                first.wait()
        finally:
            first.kill()
    assert started == [("succeeded",)]
    status = "SELECT status, error_code FROM builder_run WHERE id = ?"
    assert _rows(tmp_path, status, run_id) == [("running", "")]
    second = _serve(tmp_path, free_port())
    try:
        closed = _until(
            lambda: _rows(tmp_path, status + " AND status != 'running'", run_id),
            "the killed run was not closed when the next server started",
        )
    finally:
        second.terminate()
        second.wait(timeout=15)
    assert closed == [("failed", "RunInterrupted")]
