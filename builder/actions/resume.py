"""Resuming a waiting run (human in the loop): answer its form and it runs on from there.

A run that pauses (runtime.pause) is stored like any other, all in the database: its node rows
(the paused node's with status "waiting" and its form in `metadata`), status "waiting", and
`Run.pending`: the forms, when it paused, the draft spec it ran (a published version's run reads
its version) and a chat turn's query. Nothing is kept in memory, so a restart loses nothing.

A resume checks the answers against the stored form (a 422 naming the field; nothing changes),
claims the row with one conditional UPDATE (waiting → running: a second resume, or one of a run
that has finished, gets a 409), seeds every node that finished with its stored outputs, and
starts the engine with the person's reply for the paused node, which runs again. Its rows go on
in the same run, numbered on, so the trace shows the whole run.

Timeouts are handled on the next access, not by a worker: a resume after a form's deadline gets
its on_timeout instead of the answers, and reading a waiting run (`GET /api/runs/{id}`, the run
page, the Service API's resume) whose deadline has passed resumes it with on_timeout first.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from asgiref.sync import sync_to_async
from django.db import transaction
from django.utils import timezone

from builder.actions.run_requests import RunRequest
from builder.actions.runs import RunHandle, do_start_run
from builder.graphs import get_compiled_draft, get_compiled_version
from builder.models import App, NodeRun, Run, RunSource, RunStatus
from builder.trace import results_of
from kernel.errors import ApiError, not_found
from kernel.ids import parse_uuid
from kernel.models import User
from kernel.processes import this_process
from runtime.compile import CompiledGraph
from runtime.pause import AnswerError, PauseForm, Reply, check_answers
from runtime.spec import SOURCE_HANDLE


def get_waiting_forms(run: Run) -> list[PauseForm]:
    """The forms a waiting run asks ([] for any other run)."""
    if run.status != RunStatus.WAITING:
        return []
    return [PauseForm.model_validate(f) for f in run.pending.get("forms", [])]


def is_overdue(run: Run, form: PauseForm, now: datetime | None = None) -> bool:
    """Whether the form's timeout has passed since the run paused."""
    paused_at = run.pending.get("paused_at")
    if form.timeout_s is None or not paused_at:
        return False
    deadline = datetime.fromisoformat(paused_at) + timedelta(seconds=form.timeout_s)
    return (now or timezone.now()) >= deadline


def resume_request(
    app: App,
    run_id: str,
    answers: Any,
    node_id: str | None = None,
    user: User | None = None,
    *,
    timed_out: bool = False,
) -> RunRequest:
    """Check a resume of `run_id` and claim the run: the request that runs it on (sync: it
    reads and writes rows). ApiError 404 (no such run), 409 (not waiting), 422 (bad answers)."""
    pk = parse_uuid(run_id)
    run = Run.objects.select_related("version").filter(pk=pk, app=app).first() if pk else None
    if run is None:
        raise not_found("run")
    form = _form_to_answer(run, node_id)
    if timed_out or is_overdue(run, form):
        reply = Reply(timed_out=True)
    else:
        try:
            reply = Reply(check_answers(form, answers))
        except AnswerError as exc:
            name = f"answers.{exc.field}" if exc.field != "answers" else "answers"
            raise ApiError("invalid_param", 422, f"{name} {exc.reason}", field=name) from exc
    graph = _graph_of(run)
    with transaction.atomic():
        claimed = Run.objects.filter(pk=run.pk, status=RunStatus.WAITING).update(
            status=RunStatus.RUNNING, process=this_process()
        )
        if not claimed:  # another resume took it between our read and this write
            raise _not_waiting(RunStatus.RUNNING)
        seed = _seed_of(run)
        # the paused nodes run again, numbered from where they paused
        rerun, _ = NodeRun.objects.filter(run=run, status="waiting").delete()
    run.status, run.process = RunStatus.RUNNING, this_process()
    return RunRequest(
        app=app,
        graph=graph,
        source=RunSource(run.source),
        inputs=dict(run.inputs),
        query=str(run.pending.get("query", "")),
        end_user=run.end_user,
        conversation_id=str(run.conversation_id) if run.conversation_id else None,
        version=run.version,
        triggered_by=user or run.triggered_by,
        spec=run.pending.get("spec"),
        seed=seed,
        resume_of=run,
        replies={form.node_id: reply},
        first_index=max(0, run.total_steps - rerun),
        carried=(run.prompt_tokens, run.completion_tokens, run.elapsed_ms),
    )


async def do_resume_run(
    app: App, run_id: str, answers: Any, node_id: str | None = None, user: User | None = None
) -> RunHandle:
    """Resume a waiting run with a person's answers; the handle of the run going on."""
    req = await sync_to_async(resume_request)(app, run_id, answers, node_id, user)
    return await do_start_run(req)


async def do_expire_overdue(run_id: str) -> bool:
    """Apply on_timeout to a waiting run whose form is past its deadline, and wait for it;
    whether it did (reading a run is when timeouts are noticed, see the module's doc)."""
    pk = parse_uuid(run_id)
    run = await Run.objects.select_related("app").filter(pk=pk).afirst() if pk else None
    if run is None:
        return False
    overdue = [f for f in get_waiting_forms(run) if is_overdue(run, f)]
    if not overdue:
        return False
    try:
        req = await sync_to_async(resume_request)(
            run.app, run_id, {}, overdue[0].node_id, timed_out=True
        )
    except ApiError:  # someone resumed it meanwhile
        return False
    await (await do_start_run(req)).wait()
    return True


def _not_waiting(status: str) -> ApiError:
    return ApiError(
        "run_not_waiting",
        409,
        f"this run is {status}, not waiting for an answer: only a waiting run can be resumed",
        run_status=status,
    )


def _form_to_answer(run: Run, node_id: str | None) -> PauseForm:
    """The form the resume answers: `node_id`'s, or the first one asked."""
    if run.status != RunStatus.WAITING:
        raise _not_waiting(run.status)
    forms = get_waiting_forms(run)
    if not forms:
        raise _not_waiting(run.status)
    if node_id is None:
        return forms[0]
    for form in forms:
        if form.node_id == node_id:
            return form
    waiting = ", ".join(f.node_id for f in forms)
    raise ApiError(
        "invalid_param", 422, f"node {node_id!r} is not waiting; {waiting} is", field="node_id"
    )


def _graph_of(run: Run) -> CompiledGraph:
    """The workflow the run ran: its published version, or the draft it kept when it paused."""
    if run.version is not None:
        return get_compiled_version(run.version.pk, run.version.spec)
    spec = run.pending.get("spec")
    if spec is None:
        raise ApiError(
            "run_not_resumable", 409, "this run did not keep its workflow, so it cannot go on"
        )
    return get_compiled_draft(spec)


def _seed_of(run: Run) -> dict[str, tuple[dict[str, Any], str | None]]:
    """Every node the run finished, with its outputs and handle (None: skipped)."""
    seed: dict[str, tuple[dict[str, Any], str | None]] = {}
    for node_id, (status, outputs, handle) in results_of(run).items():
        if status == RunStatus.SUCCEEDED:
            seed[node_id] = (outputs, handle or SOURCE_HANDLE)
        elif status == "skipped":
            seed[node_id] = ({}, None)
    return seed
