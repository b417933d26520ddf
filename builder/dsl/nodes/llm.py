"""Nodes that ask a model once: LLM, question classifier, parameter extractor.

Weft's LLM has one system prompt and one user prompt; Dify's a list of messages, and in a chat
app with memory the user's turn comes from `memory.query_prompt_template`. An export writes the
system message, then the prompt as the user message (or, with memory on, as the query
template); an import joins several system messages into the system prompt and the rest into
the prompt, saying so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from builder.dsl.nodes.base import (
    Data,
    NodeCtx,
    NodeMapping,
    as_dict,
    as_list,
    filled,
    memory_from_dify,
    memory_to_dify,
    model_from_dify,
    model_to_dify,
    number,
    register,
    selector,
    text,
    whole,
)

_QUERY = "{{#sys.query#}}"  # Dify's query template when a memory block leaves it out


def _llm_to_dify(config: Mapping[str, Any], ctx: NodeCtx) -> Data:
    c = filled("llm", config)
    prompt = text(c["prompt"])
    memory = memory_to_dify(c["memory"], prompt)
    messages = []
    if text(c["system_prompt"]):
        messages.append({"role": "system", "text": text(c["system_prompt"])})
    if memory is None:
        messages.append({"role": "user", "text": prompt})
    params = {"temperature": c["temperature"], "max_tokens": c["max_tokens"]}
    context = as_dict(c["context"])
    data: Data = {
        "model": model_to_dify(c["model"], params),
        "prompt_template": messages,
        "context": {
            "enabled": bool(context.get("enabled")),
            "variable_selector": selector(context.get("variable_selector")),
        },
        "vision": {"enabled": False},
        "variables": [],
    }
    if memory is not None:
        data["memory"] = memory
    return data


def _prompts(data: Mapping[str, Any], ctx: NodeCtx) -> tuple[str, str]:
    """(system prompt, prompt) from Dify's prompt template and memory."""
    template = data.get("prompt_template")
    if isinstance(template, Mapping):  # a completion model's one text
        system, said = [], [text(template.get("text"))]
    else:
        rows = [as_dict(m) for m in as_list(template)]
        system = [text(m.get("text")) for m in rows if m.get("role") == "system"]
        said = [text(m.get("text")) for m in rows if m.get("role") != "system"]
        if any(m.get("role") == "assistant" for m in rows):
            ctx.warn("its assistant messages (examples) are joined into the prompt")
    memory = data.get("memory")
    if isinstance(memory, Mapping):
        said.append(text(memory.get("query_prompt_template")) or _QUERY)
    system = [s for s in system if s]
    said = [s for s in said if s]
    if len(system) > 1:
        ctx.warn(f"its {len(system)} system messages are one system prompt")
    if len(said) > 1:
        ctx.warn(f"its {len(said)} user messages are one prompt")
    return "\n\n".join(system), "\n\n".join(said)


def _llm_from_dify(data: Mapping[str, Any], ctx: NodeCtx) -> Data:
    model, params = model_from_dify(data.get("model"))
    system, prompt = _prompts(data, ctx)
    context = as_dict(data.get("context"))
    c = filled("llm", {})
    return {
        **c,
        "model": model,
        "system_prompt": system,
        "prompt": prompt,
        "temperature": number(params.get("temperature"), c["temperature"]),
        "max_tokens": whole(params.get("max_tokens"), c["max_tokens"]),
        "memory": memory_from_dify(data.get("memory")),
        "context": {
            "enabled": bool(context.get("enabled")),
            "variable_selector": selector(context.get("variable_selector")),
        },
    }


def _classifier_to_dify(config: Mapping[str, Any], ctx: NodeCtx) -> Data:
    c = filled("question_classifier", config)
    return {
        "query_variable_selector": selector(c.get("query")),
        "model": model_to_dify(c["model"], {}),
        "classes": _classes(c.get("classes")),
        "instruction": text(c["instruction"]),
        "vision": {"enabled": False},
    }


def _classes(value: Any) -> list[dict[str, str]]:
    """A classifier's labelled branches, the same shape on both sides: id and name."""
    return [
        {"id": text(as_dict(k).get("id")), "name": text(as_dict(k).get("name"))}
        for k in as_list(value)
    ]


def _classifier_from_dify(data: Mapping[str, Any], ctx: NodeCtx) -> Data:
    model, _ = model_from_dify(data.get("model"))
    if isinstance(data.get("memory"), Mapping):
        ctx.warn("Weft's classifier reads the query alone: its chat memory is left out")
    return {
        "model": model,
        "query": selector(data.get("query_variable_selector")),
        "classes": _classes(data.get("classes")),
        "instruction": text(data.get("instruction")) or text(data.get("instructions")),
    }


_REASONING = {"json_schema": "function_call", "prompt": "prompt"}
_PARAM_TYPES = {"bool": "boolean", "select": "string"}  # Dify's names Weft spells otherwise


def _extractor_to_dify(config: Mapping[str, Any], ctx: NodeCtx) -> Data:
    c = filled("parameter_extractor", config)
    mode = text(c["reasoning_mode"], "json_schema")
    return {
        "query": selector(c.get("query")),
        "model": model_to_dify(c["model"], {"max_tokens": c["max_tokens"]}),
        "parameters": [
            {
                "name": text(p.get("name")),
                "type": text(p.get("type"), "string"),
                "description": text(p.get("description")),
                "required": bool(p.get("required")),
                "options": as_list(p.get("options")),
            }
            for p in map(as_dict, as_list(c.get("parameters")))
        ],
        "instruction": text(c["instruction"]),
        "reasoning_mode": _REASONING.get(mode, mode),
        "vision": {"enabled": False},
    }


def _extractor_from_dify(data: Mapping[str, Any], ctx: NodeCtx) -> Data:
    model, params = model_from_dify(data.get("model"))
    mode = text(data.get("reasoning_mode"), "function_call")
    c = filled("parameter_extractor", {})
    if isinstance(data.get("memory"), Mapping):
        ctx.warn("Weft's extractor reads the query alone: its chat memory is left out")
    return {
        **c,
        "model": model,
        "query": selector(data.get("query")),
        "parameters": [
            {
                "name": text(p.get("name")),
                "type": _PARAM_TYPES.get(text(p.get("type")), text(p.get("type"), "string")),
                "description": text(p.get("description")),
                "required": bool(p.get("required")),
                "options": [text(o) for o in as_list(p.get("options"))],
            }
            for p in map(as_dict, as_list(data.get("parameters")))
        ],
        "instruction": text(data.get("instruction")),
        "reasoning_mode": "prompt" if mode == "prompt" else "json_schema",
        "max_tokens": whole(params.get("max_tokens"), c["max_tokens"]),
    }


register(NodeMapping("llm", "llm", _llm_to_dify, _llm_from_dify, weft_only=("stream",)))
register(
    NodeMapping(
        "question_classifier", "question-classifier", _classifier_to_dify, _classifier_from_dify
    )
)
register(
    NodeMapping(
        "parameter_extractor",
        "parameter-extractor",
        _extractor_to_dify,
        _extractor_from_dify,
        weft_only=("fail_on_error",),
        outputs={"__is_success": "is_success", "__reason": "reason"},
    )
)
