"""The tools app's task (django-tasks, queue "tools"): check servers on a task worker, so that
the editor's listing never waits for a server (a slow or hanging one would hold the request).

A listing queues one check of its stale servers; each server marks `refresh_queued_at`, so that
listings in the meantime, in any process, do not queue it again. The mark is cleared once the
check is done; a mark older than REQUEUE_AFTER_S is a check that was lost (its worker died), and
the next listing queues another. A check queued while no worker ran waits for one; by then a
newer check (the Tools page's, or another task's) may have been made, and it is skipped.
A worker takes the queue with `manage.py db_worker --queue-name "*"` (or "tools"); a stdio
server's command then runs on that worker's host.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from kernel.workers import queue_status
from tools.models import ToolServer
from tools.refresh import do_refresh_servers

QUEUE = "tools"
REQUEUE_AFTER_S = 15 * 60


@task(queue_name=QUEUE)
def refresh_tool_servers(server_ids: list[str], queued_at: str) -> int:
    """Check the servers not checked since `queued_at` (ISO 8601); how many it checked."""
    since = datetime.fromisoformat(queued_at)
    rows = ToolServer.objects.filter(pk__in=server_ids)
    try:
        due = list(rows.filter(Q(checked_at__isnull=True) | Q(checked_at__lt=since)))
        do_refresh_servers(due)
    finally:
        rows.filter(refresh_queued_at__lte=since).update(refresh_queued_at=None)
    return len(due)


def do_queue_refresh(rows: Iterable[ToolServer]) -> None:
    """Queue one check of the servers among `rows` that have none queued (marking each row)."""
    now = timezone.now()
    lost = now - timedelta(seconds=REQUEUE_AFTER_S)
    claimed = []
    for row in rows:
        unqueued = Q(refresh_queued_at__isnull=True) | Q(refresh_queued_at__lt=lost)
        # one UPDATE each: of two listings at once, only one claims a server
        if ToolServer.objects.filter(unqueued, pk=row.pk).update(refresh_queued_at=now):
            row.refresh_queued_at = now
            claimed.append(str(row.pk))
    if claimed:
        refresh_tool_servers.enqueue(claimed, now.isoformat())


def is_refresh_queued(row: ToolServer) -> bool:
    """Whether a check of the server is queued or running (and not lost)."""
    lost = timezone.now() - timedelta(seconds=REQUEUE_AFTER_S)
    return row.refresh_queued_at is not None and row.refresh_queued_at >= lost


def workers_take_refreshes() -> bool:
    """Whether a live task worker takes the "tools" queue (else queued checks wait)."""
    return queue_status(QUEUE).ok
