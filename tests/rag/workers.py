"""A real `manage.py db_worker` for tests, on the test database and a test data folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.portal.server import ROOT


def worker_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a worker sharing this test's database and data folder."""
    from django.db import connection

    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
            "WEFT_DATA_DIR": str(data_dir),
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "WEFT_HTTPS": "0",
            "OMP_WAIT_POLICY": "PASSIVE",
            **extra,
        }
    )
    return env


@contextmanager
def db_worker(data_dir: Path, queues: str = "*", **env: str) -> Iterator[subprocess.Popen[bytes]]:
    """Run `manage.py db_worker` until the block ends (SIGTERM, as a person stops it)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    log = (data_dir / f"worker-{time.monotonic_ns()}.log").open("wb")
    command = ["db_worker", "--queue-name", queues, "--no-reload", "--no-startup-delay"]
    process = subprocess.Popen(  # our own manage.py
        [sys.executable, str(ROOT / "manage.py"), *command, "--interval", "0.2"],
        cwd=ROOT,
        env=worker_env(data_dir, **env),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


def wait_for(probe: Callable[[], Any], what: str, timeout: float = 120) -> Any:
    """Poll `probe` until it gives something truthy; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")
