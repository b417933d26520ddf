"""A real Weft server for browser tests and the editor benchmark: uvicorn on a fresh data dir.

It runs `migrate`, `prepare_model` and `seed_demo` first, so the demo workspace, its admin and
the embedded model are there, exactly as after `make run`. With `worker=True` the task worker
(`manage.py db_worker`, which runs training jobs and indexing) runs beside it, as in `make run`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "e2e-Password-123"
EMAIL = "admin@weft.local"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(data_dir: Path) -> dict[str, str]:
    """The embedded defaults (SQLite in `data_dir`, in-process model) plus the demo admin."""
    env = dict(os.environ)
    env.update(
        {
            "WEFT_DATA_DIR": str(data_dir),
            "WEFT_DEBUG": "1",
            "WEFT_HTTPS": "0",
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "WEFT_ADMIN_EMAIL": EMAIL,
            "WEFT_ADMIN_PASSWORD": PASSWORD,
            "WEFT_MODEL_CACHE": os.environ.get("WEFT_MODEL_CACHE")
            or str(Path.home() / ".cache" / "weft" / "models"),
            "OMP_WAIT_POLICY": "PASSIVE",
        }
    )
    for name in ("DATABASE_URL", "REDIS_URL", "WEFT_EMBEDDED_URL"):
        env.pop(name, None)
    return env


def manage(data_dir: Path, *command: str) -> str:
    """Run one of our manage.py commands against `data_dir`; returns its output."""
    done = subprocess.run(  # our own manage.py
        [sys.executable, str(ROOT / "manage.py"), *command],
        cwd=ROOT,
        env=server_env(data_dir),
        check=True,
        timeout=600,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    return done.stdout.decode()


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


@contextmanager
def weft_server(
    data_dir: Path, *, worker: bool = False, env: Mapping[str, str] | None = None
) -> Iterator[str]:
    """Serve Weft from `data_dir` (seeded) and yield its base URL; stops it afterwards.

    `worker`: also run `manage.py db_worker` on every queue (its output: worker.log).
    `env`: settings the server and worker get on top of the embedded defaults."""
    for command in (["migrate", "--noinput"], ["prepare_model"], ["seed_demo"]):
        manage(data_dir, *command)
    run_env = {**server_env(data_dir), **(env or {})}
    port = free_port()
    log = (data_dir / "server.log").open("wb")
    host = ["--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
    server = subprocess.Popen(  # our own interpreter and uvicorn
        [sys.executable, "-m", "uvicorn", "portal.asgi:application", *host],
        cwd=ROOT,
        env=run_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    tasks: subprocess.Popen[bytes] | None = None
    worker_log = (data_dir / "worker.log").open("wb") if worker else None
    try:
        if worker:
            command = ["db_worker", "--queue-name", "*", "--no-reload"]
            tasks = subprocess.Popen(  # our own manage.py
                [sys.executable, str(ROOT / "manage.py"), *command],
                cwd=ROOT,
                env=run_env,
                stdout=worker_log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"uvicorn exited: {(data_dir / 'server.log').read_text()}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not answer /healthz within 60 s")
            time.sleep(0.2)
        yield url
    finally:
        _stop(server)
        if tasks is not None:
            _stop(tasks)
        log.close()
        if worker_log is not None:
            worker_log.close()
