"""An app's saved draft as Dify DSL."""

from __future__ import annotations

from builder.actions.workflows import parse_spec
from builder.dsl.export import export_spec
from builder.models import App, Workflow
from builder.secrets import open_secrets


def export_app(app: App, include_secrets: bool = False) -> str:
    """The app's saved draft as DSL YAML; secret env values decrypted into it only when
    `include_secrets` (else they are empty, as Dify exports them)."""
    stored = Workflow.objects.get(app=app).spec
    spec = parse_spec(open_secrets(stored) if include_secrets else stored)
    return export_spec(spec, app.name, app.description, include_secrets)
