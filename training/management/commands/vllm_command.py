from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kernel.models import Workspace
from runtime.llm._convert import DEFAULT_MODEL_ID
from training.adapters import list_workspace_adapters, vllm_serve_commands


class Command(BaseCommand):
    help = (
        "Print the `vllm serve ... --enable-lora --lora-modules name=path` command that serves a "
        "workspace's trained adapters (one line per base model)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("workspace", nargs="?", help="workspace slug (default: every one)")

    def handle(self, *args: Any, **options: Any) -> None:
        workspaces = Workspace.objects.order_by("pk")
        if options["workspace"]:
            workspaces = workspaces.filter(slug=options["workspace"])
            if not workspaces.exists():
                raise CommandError(f"no workspace {options['workspace']!r}")
        adapters = [a for w in workspaces for a in list_workspace_adapters(w.pk)]
        if not adapters:
            self.stderr.write("No trained adapters yet.")
            return
        embedded = settings.WEFT_EMBEDDED_MODEL or Path(settings.WEFT_MODELS_DIR) / DEFAULT_MODEL_ID
        for line in vllm_serve_commands(adapters, Path(embedded)):
            self.stdout.write(line)
