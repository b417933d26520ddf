"""Load on the published API: a no-LLM 3-node workflow app (Start → Template → End) through
POST /v1/workflows/run with key auth and run logging, served by uvicorn on loopback.

Two phases, each bounded in count and time, on 64 keep-alive connections: closed loop (each
client sends its next request as soon as the last one is answered: the most the server does),
then open loop at the target rate (500 req/s spread over the 64 connections; latency is measured
from each request's scheduled time, so a server that falls behind is charged for the queue).
The last stdout line is one JSON object.
Usage: python bench/api_load.py [--quick] [--requests N] [--clients 64] [--rate 500]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.specs import echo_workflow_spec  # noqa: E402  # the same 3-node app the tests use

SPEC = echo_workflow_spec()
SETUP = """
from builder.actions.workflows import do_create_app, do_publish_workflow
from builder.keys import do_create_api_key
from kernel.models import Membership, User, Workspace
import json, sys
user = User.objects.create_user(email="bench@example.com", password="x-bench-123")
ws = Workspace.objects.create(name="Bench", slug="bench")
Membership.objects.create(user=user, workspace=ws, role="owner")
app = do_create_app(ws, user, "Bench", "workflow", slug="bench", spec=json.loads(sys.argv[1]))
do_publish_workflow(app, user)
print(do_create_api_key(app, "bench", user)[1])
"""


def _env(data_dir: str) -> dict[str, str]:
    return {
        # One key carries all the load: its per-key limits are lifted unless the caller sets them.
        "WEFT_API_KEY_RPM": "0",
        "WEFT_API_KEY_CONCURRENCY": "0",
        **os.environ,
        "WEFT_DATA_DIR": data_dir,
        "WEFT_HTTPS": "0",
        "WEFT_DEBUG": "0",
        "WEFT_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prepare(env: dict[str, str]) -> str:
    py = sys.executable
    subprocess.run([py, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    out = subprocess.run(
        [py, "manage.py", "shell", "-c", SETUP.replace("sys.argv[1]", repr(json.dumps(SPEC)))],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


async def _client(
    port: int,
    request: bytes,
    deadline: float,
    slots: Iterator[float | None],
    latencies: list[float],
    errors: list[str],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for slot in slots:
            if time.perf_counter() >= deadline:
                break
            if slot is not None:  # open loop: wait for this request's scheduled time
                await asyncio.sleep(max(0.0, slot - time.perf_counter()))
            t0 = slot if slot is not None else time.perf_counter()
            writer.write(request)
            status = (await reader.readline()).split(b" ", 2)[1]
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            body = await reader.readexactly(length)
            latencies.append(time.perf_counter() - t0)
            if status != b"200" or b'"succeeded"' not in body:
                errors.append(body[:200].decode(errors="replace"))
    finally:
        writer.close()


async def _load(
    port: int, key: str, total: int, clients: int, limit_s: float, rate: float | None = None
) -> dict[str, float]:
    body = json.dumps({"inputs": {"name": "Ada"}, "user": "bench", "response_mode": "blocking"})
    request = (
        f"POST /v1/workflows/run HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    ).encode()
    latencies: list[float] = []
    errors: list[str] = []
    start = time.perf_counter() + 0.05
    per_client = [total // clients + (i < total % clients) for i in range(clients)]

    def slots(i: int) -> Iterator[float | None]:
        for n in range(per_client[i]):
            yield None if rate is None else start + (n * clients + i) / rate

    await asyncio.gather(
        *(
            _client(port, request, start + limit_s, slots(i), latencies, errors)
            for i in range(clients)
        )
    )
    wall = time.perf_counter() - start
    if errors:
        print(f"{len(errors)} failed requests, e.g. {errors[0]}", file=sys.stderr)
    ordered = sorted(latencies)
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "wall_s": round(wall, 3),
        "req_per_s": round(len(latencies) / wall, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 2),
    }


def _wait_ready(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server exited")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--requests", type=int, default=0)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--rate", type=float, default=500.0)
    args = parser.parse_args()
    total = args.requests or (2000 if args.quick else 10000)
    with tempfile.TemporaryDirectory() as data_dir:
        env = _env(data_dir)
        key = _prepare(env)
        port = _free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "portal.asgi:application",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        try:
            _wait_ready(port, server)
            asyncio.run(_load(port, key, min(200, total), args.clients, 20))  # warm-up
            limit = 25 if args.quick else 120
            closed = asyncio.run(_load(port, key, total, args.clients, limit))
            paced = asyncio.run(_load(port, key, total, args.clients, limit, args.rate))
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"closed loop: {closed}", file=sys.stderr)
    print(
        json.dumps(
            {
                "max_req_per_s": closed["req_per_s"],
                "closed_p99_ms": closed["p99_ms"],
                "offered_req_per_s": args.rate,
                "req_per_s": paced["req_per_s"],
                "p50_ms": paced["p50_ms"],
                "p99_ms": paced["p99_ms"],
                "errors": closed["errors"] + paced["errors"],
                "clients": args.clients,
                "target_req_per_s": 500,
                "target_p99_ms": 50,
            }
        )
    )


if __name__ == "__main__":
    main()
