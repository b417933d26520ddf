"""The editor API's runs: run the draft (or one node, or from a node), answer a waiting run,
and read runs with their per-node traces."""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest
from ninja import Router

from builder.access import require_app
from builder.actions.resume import do_expire_overdue, do_resume_run
from builder.actions.run_requests import RunRequest, draft_run_request
from builder.actions.runs import do_start_run
from builder.models import Message, Run
from builder.schemas import NodeRunOut, ResumeIn, RunDetail, RunIn, RunOut
from builder.trace import trace_of
from kernel.access import get_user
from kernel.errors import not_found
from kernel.ids import parse_uuid
from kernel.models import Role

router = Router()


def _run_out(run: Run) -> dict[str, Any]:
    return {
        **{f: getattr(run, f) for f in RunOut.model_fields if hasattr(run, f)},
        "id": str(run.id),
        "version": run.version.number if run.version else None,
        "conversation_id": str(run.conversation_id) if run.conversation_id else None,
        "waiting": run.pending.get("forms", []) if run.status == "waiting" else [],
    }


@router.post("/apps/{app_id}/runs", response=RunDetail)
async def run_draft(request: HttpRequest, app_id: int, body: RunIn) -> dict[str, Any]:
    """Run the draft (or one node of it, or the draft again from a node) and wait for it;
    returns the run with its per-node trace."""

    def prepare() -> RunRequest:
        app = require_app(request, app_id, Role.EDITOR)
        return draft_run_request(
            app,
            get_user(request),
            body.inputs,
            body.query,
            body.conversation_id,
            node_id=body.node_id,
            node_inputs=body.node_inputs,
            from_node=body.from_node,
            from_run=body.from_run,
            origin=body.origin,
        )

    handle = await do_start_run(await sync_to_async(prepare)())
    await handle.wait()
    return await sync_to_async(_run_detail)(handle.run_id)


@router.post("/apps/{app_id}/runs/{run_id}/resume", response=RunDetail)
async def resume_run(
    request: HttpRequest, app_id: int, run_id: str, body: ResumeIn
) -> dict[str, Any]:
    """Answer a waiting run's form: it runs on from the paused node; returns the run when it
    ends (or waits again). 409 when the run is not waiting, 422 naming a bad answer."""
    app = await sync_to_async(require_app)(request, app_id, Role.EDITOR)
    user = await sync_to_async(get_user)(request)
    handle = await do_resume_run(app, run_id, body.answers, body.node_id, user)
    await handle.wait()
    return await sync_to_async(_run_detail)(handle.run_id)


def _run_detail(run_id: str) -> dict[str, Any]:
    run = Run.objects.select_related("version").get(pk=run_id)
    query = Message.objects.filter(run=run).values_list("query", flat=True).first()
    node_runs = [
        NodeRunOut.model_validate(row, from_attributes=True).model_copy(update={"reused_from": by})
        for row, by in trace_of(run)
    ]
    return {**_run_out(run), "node_runs": node_runs, "query": query}


@router.get("/apps/{app_id}/runs", response=list[RunOut])
def list_runs(request: HttpRequest, app_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """Recent runs of the app, newest first."""
    app = require_app(request, app_id)
    runs = Run.objects.filter(app=app).select_related("version")[: max(1, min(limit, 200))]
    return [_run_out(r) for r in runs]


@router.get("/runs/{run_id}", response=RunDetail)
async def get_run(request: HttpRequest, run_id: str) -> dict[str, Any]:
    """One run with its per-node trace (a waiting run past its form's timeout goes on first,
    as its on_timeout says)."""

    def check() -> None:
        pk = parse_uuid(run_id)
        run = Run.objects.filter(pk=pk).values_list("app_id", flat=True).first() if pk else None
        if run is None:
            raise not_found("run")
        require_app(request, run)

    await sync_to_async(check)()
    await do_expire_overdue(run_id)
    return await sync_to_async(_run_detail)(run_id)
