"""Write the WebSocket protocol document (kernel.protocols) every app registered its types in.

frontend/src/api/protocol.ts is generated from it (`make schema`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kernel.protocols import protocol_document


class Command(BaseCommand):
    help = "Write every app's WebSocket messages as an OpenAPI components document."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(protocol_document(), indent=1, sort_keys=True) + "\n")
