from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Convert the shipped SmolLM2 GGUF into a bf16 folder under var/models once (progress)."

    def handle(self, *args: Any, **options: Any) -> None:
        from runtime.llm.embedded import ensure_converted

        if settings.WEFT_EMBEDDED_MODEL:
            self.stdout.write(f"Using WEFT_EMBEDDED_MODEL={settings.WEFT_EMBEDDED_MODEL}")
            return
        path = ensure_converted(settings.WEFT_MODELS_DIR)
        self.stdout.write(self.style.SUCCESS(f"Embedded model ready at {path}"))
