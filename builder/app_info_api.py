"""Dify's GET /v1/parameters and GET /v1/info: what a Dify client asks for before its first
message (the input form of the serving version, the app's name and mode)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponseBase, JsonResponse

from builder.dify import DIFY_MODES
from builder.models import App, AppMode
from builder.service_api import authenticate, published_app, service_view
from kernel.db import db_call
from kernel.errors import ApiError
from runtime.compile import CompiledGraph
from runtime.nodes.start import StartNode, StartVariable

# The start node's input types as Dify's user_input_form names them; the lists, which Dify's
# start node has not got, under their own type names (Dify's names of those variable types).
FORM_TYPES = {
    "text": "text-input",
    "paragraph": "paragraph",
    "select": "select",
    "number": "number",
    "checkbox": "checkbox",
    "json_object": "json_object",
}
OFF = {"enabled": False}


def _form_item(var: StartVariable) -> dict[str, Any]:
    item: dict[str, Any] = {
        "label": var.label or var.variable,
        "variable": var.variable,
        "required": var.required,
        "default": "" if var.default is None else var.default,
    }
    if var.max_length is not None:
        item["max_length"] = var.max_length
    if var.type == "select":
        item["options"] = var.options
    if var.json_schema:
        item["json_schema"] = var.json_schema
    return {FORM_TYPES.get(var.type, var.type): item}


def user_input_form(graph: CompiledGraph) -> list[dict[str, Any]]:
    """The start node's variables as Dify's `user_input_form`."""
    start = graph.start
    if not isinstance(start, StartNode):
        return []
    return [_form_item(var) for var in start.config.variables]


@service_view("GET")
async def parameters(request: HttpRequest) -> HttpResponseBase:
    """GET /v1/parameters: the serving version's input form; the features Weft has not got are
    off (no files, speech, suggestions or annotations)."""
    pub = await published_app(await authenticate(request))
    return JsonResponse(
        {
            "opening_statement": "",
            "suggested_questions": [],
            "suggested_questions_after_answer": OFF,
            "speech_to_text": OFF,
            "text_to_speech": OFF,
            "retriever_resource": {"enabled": True},
            "annotation_reply": OFF,
            "more_like_this": OFF,
            "sensitive_word_avoidance": OFF,
            "user_input_form": user_input_form(pub.graph),
            "file_upload": {"image": OFF},
            "system_parameters": {
                "file_size_limit": 0,
                "image_file_size_limit": 0,
                "audio_file_size_limit": 0,
                "video_file_size_limit": 0,
                "workflow_file_upload_limit": 0,
            },
        }
    )


@service_view("GET")
async def info(request: HttpRequest) -> HttpResponseBase:
    """GET /v1/info: the key's app (published or not), as Dify describes an app."""
    owner = await authenticate(request)
    app = await db_call(App.objects.select_related("workspace").filter(pk=owner.app_id).first)
    if app is None:  # deleted since its key was cached
        raise ApiError("app_unavailable", 400, "the app no longer exists")
    return JsonResponse(
        {
            "name": app.name,
            "description": app.description,
            "tags": [],
            "mode": DIFY_MODES.get(AppMode(app.mode), app.mode),
            "author_name": app.workspace.name,
        }
    )
