"""64 concurrent /v1/chat-messages calls against a model server that takes 1 s per request.

The model server is Weft's own OpenAI-compatible server (`runtime.llm.server`, the one
`manage.py serve_model` runs) in front of a model that waits 1 s and answers; Weft reaches it as
a workspace provider over HTTP. Target: all 64 finish in ≤ 1.3 s wall time (they reach the model
server concurrently). The last stdout line is one JSON object.
Usage: python bench/concurrency.py [--quick] [--clients 64] [--delay 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.api_load import _free_port, _wait_ready  # noqa: E402

SLOW_MODEL = """
import asyncio, sys
import uvicorn
from runtime.llm.protocol import Finish, ModelInfo, TextDelta, Usage
from runtime.llm.server import create_app

class SlowModel:
    async def stream(self, request):
        await asyncio.sleep(float(sys.argv[2]))
        yield TextDelta("Hello from a slow model.")
        yield Usage(5, 6)
        yield Finish("stop")

    async def list_models(self):
        return [ModelInfo("slow")]

uvicorn.run(create_app(SlowModel(), "slow"), host="127.0.0.1", port=int(sys.argv[1]),
            log_level="warning", backlog=1024)
"""

SETUP = """
import json, sys
from builder.actions.workflows import do_create_app, do_publish_workflow
from builder.keys import do_create_api_key
from builder.models import ModelProvider
from kernel.models import Membership, User, Workspace
user = User.objects.create_user(email="bench@example.com", password="x-bench-123")
ws = Workspace.objects.create(name="Bench", slug="bench")
Membership.objects.create(user=user, workspace=ws, role="owner")
ModelProvider.objects.create(workspace=ws, name="slow", kind="openai_compatible",
                             base_url=sys.argv[1])
spec = {"mode": "chat", "nodes": [
    {"id": "start", "type": "start"},
    {"id": "llm", "type": "llm", "config": {"model": {"provider": "slow", "name": "slow"},
                                            "prompt": "{{#sys.query#}}"}},
    {"id": "answer", "type": "answer", "config": {"answer": "{{#llm.text#}}"}}],
    "edges": [{"source": "start", "target": "llm"}, {"source": "llm", "target": "answer"}]}
app = do_create_app(ws, user, "Slow", "chat", slug="slow", spec=spec)
do_publish_workflow(app, user)
print(do_create_api_key(app, "bench", user)[1])
"""


async def _one(port: int, key: str) -> tuple[float, bool]:
    body = json.dumps({"query": "hi", "user": "bench", "response_mode": "streaming"})
    request = (
        f"POST /v1/chat-messages HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    ).encode()
    start = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    data = await reader.read()
    writer.close()
    return time.perf_counter() - start, b'"workflow_finished"' in data and b"slow model" in data


async def _burst(port: int, key: str, clients: int) -> tuple[float, int]:
    start = time.perf_counter()
    results = await asyncio.gather(*(_one(port, key) for _ in range(clients)))
    return time.perf_counter() - start, sum(ok for _, ok in results)


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env)


async def _rounds(port: int, key: str, clients: int, rounds: int) -> list[tuple[float, int]]:
    await _burst(port, key, 4)  # warm-up: connections, caches, imports
    return [await _burst(port, key, clients) for _ in range(rounds)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--delay", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args()
    rounds = args.rounds or (3 if args.quick else 10)
    with tempfile.TemporaryDirectory() as data_dir:
        env = {
            # 64 concurrent calls on one key: its limits are lifted unless the caller sets them.
            "WEFT_API_KEY_RPM": "0",
            "WEFT_API_KEY_CONCURRENCY": "0",
            **os.environ,
            "WEFT_DATA_DIR": data_dir,
            "WEFT_HTTPS": "0",
            "WEFT_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            # the slow model listens on loopback, which the outbound guard refuses unless allowed
            "WEFT_OUTBOUND_ALLOW": "127.0.0.1",
        }
        model_port, web_port = _free_port(), _free_port()
        model = _spawn(["-c", SLOW_MODEL, str(model_port), str(args.delay)], env)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        key = (
            subprocess.run(
                [
                    sys.executable,
                    "manage.py",
                    "shell",
                    "-c",
                    SETUP.replace("sys.argv[1]", repr(f"http://127.0.0.1:{model_port}/v1")),
                ],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        web = _spawn(
            [
                "-m",
                "uvicorn",
                "portal.asgi:application",
                "--port",
                str(web_port),
                "--no-access-log",
                "--log-level",
                "warning",
                "--backlog",
                "1024",
            ],
            env,
        )
        try:
            _wait_ready(model_port, model)
            _wait_ready(web_port, web)
            bursts = asyncio.run(_rounds(web_port, key, args.clients, rounds))
        finally:
            web.terminate()
            model.terminate()
    walls = sorted(w for w, _ in bursts)
    print(
        json.dumps(
            {
                "clients": args.clients,
                "model_delay_s": args.delay,
                "rounds": rounds,
                "ok": sum(ok for _, ok in bursts),
                "expected_ok": args.clients * rounds,
                "wall_s_median": round(walls[len(walls) // 2], 3),
                "wall_s_max": round(walls[-1], 3),
                "target_wall_s": 1.3,
            }
        )
    )


if __name__ == "__main__":
    main()
