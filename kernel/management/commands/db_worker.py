"""`manage.py db_worker`: django-tasks-db's worker with a heartbeat (kernel/workers.py).

The kernel comes before django_tasks_db in INSTALLED_APPS, so this command is the one
`db_worker` runs. Under --reload only the reloaded child works, so only it beats.
"""

from __future__ import annotations

import os
from typing import Any

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as TasksDbWorker

from kernel.workers import Heartbeat


class Command(TasksDbWorker):
    help = "Run the database task worker; it writes a heartbeat the pages read while it runs."

    def handle(self, *args: Any, **options: Any) -> None:
        """Beat while django-tasks-db's worker runs; stop beating when it stops."""
        reloader_parent = (
            options.get("reload")
            and not options.get("batch")
            and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        )
        if reloader_parent:
            super().handle(*args, **options)
            return
        queues = str(options.get("queue_name") or "default").split(",")
        excluded = [q for q in str(options.get("exclude_queues") or "").split(",") if q]
        heartbeat = Heartbeat(queues, excluded)
        heartbeat.start()
        try:
            super().handle(*args, **options)
        finally:
            heartbeat.stop()
