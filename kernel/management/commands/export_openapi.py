"""Write the editor API's OpenAPI document, from which the editor's TypeScript types are made.

The project owns the API (its NinjaAPI mounts each feature app's router); settings.WEFT_EDITOR_API
names it, as ROOT_URLCONF names the URLs, so this command imports neither the project nor an app.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils.module_loading import import_string
from ninja import NinjaAPI


class Command(BaseCommand):
    help = "Write /api/openapi.json to a file (frontend/src/api/schema.ts is generated from it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        api: NinjaAPI = import_string(settings.WEFT_EDITOR_API)
        schema = api.get_openapi_schema(path_prefix="/api/")
        path.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
