"""Write the editor API's OpenAPI document, from which the editor's TypeScript types are made."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from builder.api import api


class Command(BaseCommand):
    help = "Write /api/openapi.json to a file (frontend/src/api/schema.ts is generated from it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        schema = api.get_openapi_schema(path_prefix="/api/")
        path.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
