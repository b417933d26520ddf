"""The one place that writes the example call shown beside a new API key.

It is built from what the published API will actually accept: the app's mode picks the endpoint
(chat apps: POST /v1/chat-messages with a query; workflow apps: POST /v1/workflows/run) and the
serving version's start variables fill `inputs`, each with a sample value its type accepts. An
app not published yet gets its draft's variables: that is what its first publish will serve.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from builder.models import App, AppMode, Workflow
from builder.published import serving_versions
from runtime.nodes import registry
from runtime.nodes.start import StartVariable, json_property

SAMPLE_QUERY = "Hello!"
SAMPLE_USER = "demo-user"


@dataclass(frozen=True, slots=True)
class ApiExample:
    """An example call: where it goes, its JSON body, and the same as a curl command."""

    method: str
    url: str
    body: dict[str, Any]
    curl: str
    version: int | None  # the published version it was built from; None: the draft


def start_variables(spec: Any) -> list[dict[str, Any]]:
    """The variables of a stored spec's start node (the node whose type `starts_run`): [] when
    it declares none or is malformed."""
    nodes = spec.get("nodes") if isinstance(spec, dict) else None
    for node in nodes if isinstance(nodes, list) else []:
        if isinstance(node, dict) and _starts_run(node):
            config = node.get("config")
            found = config.get("variables") if isinstance(config, dict) else None
            return [v for v in found if isinstance(v, dict)] if isinstance(found, list) else []
    return []


def _starts_run(node: dict[str, Any]) -> bool:
    type_id, version = node.get("type"), node.get("version", 1)
    return (
        isinstance(type_id, str) and type(version) is int and registry.starts_runs(type_id, version)
    )


def sample_value(var: dict[str, Any]) -> Any:
    """A value the start node accepts for `var`: its default if it has one, else one of its type."""
    kind = var.get("type", "text")
    default = var.get("default")
    if default is not None and default != "":
        return default
    if kind == "number":
        return 1
    if kind == "checkbox":
        return True
    if kind == "json_object" or str(kind).startswith("array"):
        try:
            return _sample_of(json_property(StartVariable.model_validate(var)))
        except ValidationError:  # a draft's half-written variable: a list or an object
            return [] if str(kind).startswith("array") else {}
    options = var.get("options")
    if kind == "select" and isinstance(options, list) and options:
        return options[0]
    text = f"sample {var.get('label') or var.get('variable', 'text')}".lower()
    max_length = var.get("max_length")
    return text[:max_length] if isinstance(max_length, int) and max_length > 0 else text


def _sample_of(schema: dict[str, Any]) -> Any:
    """A value of a JSON Schema property: one item of a list, an object's required keys."""
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "array":
        return [_sample_of(schema.get("items") or {})]
    if kind == "object":
        props = schema.get("properties") or {}
        return {k: _sample_of(props.get(k) or {}) for k in schema.get("required") or []}
    samples = {"number": 1, "integer": 1, "boolean": True}
    return samples.get(str(kind), "sample")


def _shell_quote(text: str) -> str:
    """`text` in single quotes for sh, whatever it holds."""
    return "'" + text.replace("'", "'\\''") + "'"


def build_example(app: App, base_url: str, key: str) -> ApiExample:
    """The blocking call of `app` through its published API with `key`; `base_url` ends in /v1."""
    version = serving_versions(app.pk).only("number", "spec").first()
    spec = version.spec if version is not None else Workflow.objects.get(app=app).spec
    inputs = {str(v["variable"]): sample_value(v) for v in start_variables(spec) if "variable" in v}
    body: dict[str, Any] = {"inputs": inputs}
    if app.mode == AppMode.CHAT:
        body["query"] = SAMPLE_QUERY
    body.update({"response_mode": "blocking", "user": SAMPLE_USER})
    path = "/chat-messages" if app.mode == AppMode.CHAT else "/workflows/run"
    url = base_url.rstrip("/") + path
    curl = (
        f"curl -X POST {_shell_quote(url)} \\\n"
        f"  -H {_shell_quote('Authorization: Bearer ' + key)} \\\n"
        "  -H 'Content-Type: application/json' \\\n"
        f"  -d {_shell_quote(json.dumps(body, ensure_ascii=False))}"
    )
    number = version.number if version is not None else None
    return ApiExample("POST", url, body, curl, number)
