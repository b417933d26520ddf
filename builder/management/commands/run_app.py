"""`manage.py run_app <slug | spec.json> --input k=v --query "..."`: stream the answer, then a
per-node timing table. A slug runs the app's newest published version (or its draft with
--draft) and is logged as a CLI run; a spec file runs as it is, on the built-in providers."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from builder.actions.run_requests import RunRequest
from builder.actions.runs import do_start_run
from builder.graphs import get_compiled_draft
from builder.models import App, Workflow
from builder.published import get_published
from kernel.limits import limits
from kernel.model_sources import WorkspaceModels
from kernel.outbound import outbound_policy
from runtime.code_sandbox import ProcessCodeRunner
from runtime.engine import Engine, RunContext
from runtime.events import (
    NodeFailed,
    NodeSkipped,
    NodeStarted,
    NodeSucceeded,
    RunEvent,
    RunFinished,
    TextChunk,
)
from runtime.resources import CODE_SANDBOX, MODELS, OUTBOUND, Resources


def _parse_inputs(pairs: list[str]) -> dict[str, Any]:
    inputs: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise CommandError(f"--input {pair!r}: expected name=value")
        try:
            inputs[name] = json.loads(value)
        except json.JSONDecodeError:
            inputs[name] = value
    return inputs


class Command(BaseCommand):
    help = "Run an app (slug) or a workflow spec file, printing the answer and node timings."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("target", help="app slug, or path to a workflow spec JSON file")
        parser.add_argument("--input", action="append", default=[], metavar="NAME=VALUE")
        parser.add_argument("--query", default="", help="the user's message (chat apps)")
        parser.add_argument(
            "--draft", action="store_true", help="run the draft, not the published version"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        inputs = _parse_inputs(opts["input"])
        finished = asyncio.run(self._run(opts["target"], inputs, opts["query"], opts["draft"]))
        if finished.status != "succeeded":
            raise CommandError(f"run {finished.status}: {finished.error_code}: {finished.error}")

    async def _run(
        self, target: str, inputs: dict[str, Any], query: str, draft: bool
    ) -> RunFinished:
        path = Path(target)
        if path.suffix == ".json" or path.exists():
            events = self._run_file(path, inputs, query)
        else:
            events = await self._run_app(target, inputs, query, draft)
        return await self._print(events)

    def _run_file(self, path: Path, inputs: dict[str, Any], query: str) -> Any:
        try:
            spec = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise CommandError(f"{path}: {exc}") from exc
        graph = get_compiled_draft(spec)
        ctx = RunContext(
            run_id="cli",
            inputs=inputs,
            # the operator's own file on their own machine: no workspace setting to consult
            resources=Resources()
            .add(MODELS, WorkspaceModels())
            .add(OUTBOUND, outbound_policy())
            .add(CODE_SANDBOX, ProcessCodeRunner()),
            sys={"query": query, "user_id": "cli"},
            env={},
            history=[],
            cancel=asyncio.Event(),
            limits=limits().for_runs(),
        )
        return Engine(graph).run(ctx)

    async def _run_app(self, slug: str, inputs: dict[str, Any], query: str, draft: bool) -> Any:
        from asgiref.sync import sync_to_async

        def load() -> tuple[App, Any, Any]:
            app = App.objects.filter(slug=slug).first()
            if app is None:
                raise CommandError(f"no app with slug {slug!r} (or file of that name)")
            if draft:
                spec = Workflow.objects.get(app=app).spec
                return app, get_compiled_draft(spec, app.workspace_id), None
            pub = get_published(app.pk)
            return app, pub.graph, pub.version

        app, graph, version = await sync_to_async(load)()
        from builder.models import RunSource

        handle = await do_start_run(
            RunRequest(
                app=app,
                graph=graph,
                version=version,
                source=RunSource.CLI,
                inputs=inputs,
                query=query,
                end_user="cli",
            )
        )
        self.stderr.write(f"run {handle.run_id}")
        return handle.events()

    async def _print(self, events: Any) -> RunFinished:
        rows: dict[str, list[Any]] = {}
        finished: RunFinished | None = None
        async for event in events:
            self._fold(rows, event)
            if isinstance(event, TextChunk):
                sys.stdout.write(event.text)
                sys.stdout.flush()
            elif isinstance(event, RunFinished):
                finished = event
        if finished is None:
            raise CommandError("the run ended without finishing")
        if not finished.answer and finished.outputs:
            sys.stdout.write(json.dumps(finished.outputs, ensure_ascii=False, indent=2))
        sys.stdout.write("\n\n")
        self._table(rows, finished)
        return finished

    @staticmethod
    def _fold(rows: dict[str, list[Any]], event: RunEvent) -> None:
        if isinstance(event, NodeStarted):
            rows[event.node_id] = [event.index, event.node_id, event.node_type, "running", 0.0, 0]
        elif isinstance(event, NodeSucceeded | NodeFailed) and event.node_id in rows:
            row = rows[event.node_id]
            row[3] = "succeeded" if isinstance(event, NodeSucceeded) else "failed"
            row[4] = event.elapsed_ms
            if isinstance(event, NodeSucceeded):
                row[5] = event.prompt_tokens + event.completion_tokens
        elif isinstance(event, NodeSkipped):
            rows[event.node_id] = [len(rows) + 1, event.node_id, event.node_type, "skipped", 0.0, 0]

    def _table(self, rows: dict[str, list[Any]], end: RunFinished) -> None:
        self.stdout.write(
            f"{'#':>3}  {'node':<20} {'type':<18} {'status':<10} {'ms':>9} {'tokens':>7}"
        )
        for index, node_id, node_type, status, ms, tokens in sorted(rows.values()):
            self.stdout.write(
                f"{index:>3}  {node_id:<20} {node_type:<18} {status:<10} {ms:>9.1f} {tokens:>7}"
            )
        total = end.prompt_tokens + end.completion_tokens
        self.stdout.write(
            f"run {end.status} in {end.elapsed_ms:.1f} ms, {end.total_steps} steps, {total} tokens"
        )
