"""`manage.py serve_model`: serve the embedded engine over vLLM's OpenAI-compatible HTTP API."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from kernel.paths import resolve_inside
from training.models import training_dir


def adapter_paths(root: Path) -> Callable[[str], Path]:
    """The server's rule for POST /v1/load_lora_adapter: a folder inside `root`, else ValueError."""
    return lambda requested: resolve_inside(root, requested, field="lora_path")


class Command(BaseCommand):
    help = "Serve the embedded model (or a local HF model folder) as an OpenAI-compatible server."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument(
            "--model",
            default="",
            help="a local HF model folder (default: the embedded SmolLM2, converted once)",
        )
        parser.add_argument("--served-name", default="smollm2-135m-instruct")
        parser.add_argument(
            "--adapter-root",
            default="",
            help="LoRA adapters load only from folders inside it (default: WEFT_DATA_DIR's"
            " training/adapters, where trained adapters are registered)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        import uvicorn

        from runtime.llm.embedded import EmbeddedEngine, ensure_converted
        from runtime.llm.server import create_app

        model_dir = (
            Path(opts["model"] or settings.WEFT_EMBEDDED_MODEL or "")
            if (opts["model"] or settings.WEFT_EMBEDDED_MODEL)
            else ensure_converted(settings.WEFT_MODELS_DIR)
        )
        engine = EmbeddedEngine(model_dir, model_id=opts["served_name"])
        adapter_root = Path(opts["adapter_root"] or training_dir() / "adapters")
        self.stdout.write(
            f"Serving {model_dir} as {opts['served_name']!r} on "
            f"http://{opts['host']}:{opts['port']}/v1"
        )
        uvicorn.run(
            create_app(engine, opts["served_name"], adapter_paths(adapter_root)),
            host=opts["host"],
            port=opts["port"],
            log_level="info",
        )
