"""The parameter extractor: the model fills a JSON Schema made of the configured parameters;
each parameter becomes an output, with `is_success` and `reason` saying whether all held."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from runtime.errors import ExtractionError
from runtime.llm.protocol import ChatMessage, ChatRequest
from runtime.nodes._ask import ask, client_of, first_json_object, trace, usage_json
from runtime.nodes._params import (
    ExtractorParameter,
    check,
    describe,
    json_schema,
    placeholder,
    var_type,
)
from runtime.nodes.base import (
    MODEL,
    SELECTOR,
    TEMPLATE,
    Done,
    Node,
    NodeConfig,
    NodeContext,
    NodeOutput,
    VarType,
)
from runtime.nodes.llm import ModelRef
from runtime.nodes.registry import register
from runtime.resources import MODELS
from runtime.spec import AppMode, _error_at
from runtime.variables import Selector, extract_references, render, to_text

STATUS_OUTPUTS: dict[str, VarType] = {
    "is_success": "boolean",
    "reason": "string",
    "usage": "object",
}


class ParameterExtractorConfig(NodeConfig):
    model: ModelRef = Field(default_factory=ModelRef, json_schema_extra=MODEL)
    query: list[str] = Field(
        min_length=2, json_schema_extra=SELECTOR, description="The text to extract from."
    )
    parameters: list[ExtractorParameter] = Field(
        min_length=1, description="What to extract: each one becomes an output."
    )
    instruction: str = Field(
        "", description="Extra guidance for the model.", json_schema_extra=TEMPLATE
    )
    reasoning_mode: Literal["json_schema", "prompt"] = Field(
        "json_schema",
        description="json_schema: hold the model to the parameters' JSON Schema where its server"
        " can (OpenAI-compatible ones); prompt: ask for the JSON in the prompt only.",
    )
    fail_on_error: bool = Field(
        False,
        description="Fail the node when the answer misses a required parameter or has a wrong"
        " value; off: is_success is false and reason says why.",
    )
    max_tokens: int = Field(512, ge=1, le=32768)

    @model_validator(mode="after")
    def _names(self) -> ParameterExtractorConfig:
        """Parameter names are outputs: unique, and not one of the node's own outputs."""
        seen: dict[str, int] = {}
        for i, param in enumerate(self.parameters):
            if param.name in STATUS_OUTPUTS or param.name in seen:
                clash = (
                    f"the same name as parameter {seen[param.name] + 1}"
                    if param.name in seen
                    else "the name of one of the node's own outputs"
                )
                taken = PydanticCustomError(
                    "name_taken",
                    "{name} is {clash}: rename it",
                    {"name": param.name, "clash": clash},
                )
                raise _error_at(
                    "ParameterExtractorConfig", ("parameters", i, "name"), taken, param.name
                )
            seen[param.name] = i
        return self


@register("parameter_extractor", version=1)
class ParameterExtractorNode(Node[ParameterExtractorConfig]):
    """Asks the model to fill the parameters and checks its answer against their JSON Schema.

    The prompt shows the JSON object to fill in; with a server that follows a JSON Schema (and
    `reasoning_mode: json_schema`) it also sends `response_format: json_schema`. The first JSON
    object in the answer is read either way. A parameter missing, null or of the wrong type is
    None, and `is_success` false with `reason` naming it, unless `fail_on_error` fails the node.
    """

    type_title = "Parameter extractor"
    category = "llm"
    description = "Let the model pull structured values out of text; each parameter is an output."
    dynamic_outputs = True
    needs = (MODELS,)
    palette_rank = 34

    @classmethod
    def default_config(cls, mode: AppMode) -> dict[str, Any]:
        """No parameters yet (the thing to add); in a chat app the user's message is the text,
        in a workflow app the query is to pick as well."""
        config = super().default_config(mode)
        config["query"] = ["sys", "query"] if mode == "chat" else []
        config["parameters"] = []
        return config

    def outputs(self) -> dict[str, VarType]:
        """One output per parameter, then is_success, reason and usage."""
        return {**{p.name: var_type(p) for p in self.config.parameters}, **STATUS_OUTPUTS}

    def references(self) -> list[Selector]:
        """The query's selector and any references in the instruction."""
        refs = [tuple(self.config.query), *extract_references(self.config.instruction)]
        return list(dict.fromkeys(refs))

    def messages(self, query: str, ctx: NodeContext) -> tuple[ChatMessage, ...]:
        """The instruction as the system prompt, then one user message: the text, a JSON
        object to fill in (a placeholder per parameter) and a line per parameter. Small models
        fill in an example object; shown a JSON Schema they copy the schema out instead (tried
        on the embedded SmolLM2)."""
        system = "You extract values from texts and answer with JSON only."
        instruction = render(self.config.instruction, ctx.pool).strip()
        if instruction:
            system += f"\n\n{instruction}"
        params = self.config.parameters
        example = json.dumps({p.name: placeholder(p) for p in params}, ensure_ascii=False)
        lines = "\n".join(describe(p) for p in params)
        user = (
            f"Text: {query}\n\nFill in this JSON object with values from the text:\n{example}\n"
            f"{lines}\nLeave out a key the text gives no value for."
        )
        return (ChatMessage("system", system), ChatMessage("user", user))

    def response_format(self) -> dict[str, Any]:
        """OpenAI's `response_format` for the parameters' JSON Schema."""
        schema = json_schema(self.config.parameters)
        return {"type": "json_schema", "json_schema": {"name": "parameters", "schema": schema}}

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Ask, read the first JSON object of the answer, check it, output each parameter."""
        cfg = self.config
        client, follows = client_of(ctx, cfg.model.provider)
        structured = follows and cfg.reasoning_mode == "json_schema"
        query = to_text(ctx.pool.lookup(cfg.query)).strip()
        messages = self.messages(query, ctx)
        answer, usage = "", None
        if query:
            request = ChatRequest(
                model=cfg.model.name,
                messages=messages,
                temperature=0.0,
                max_tokens=cfg.max_tokens,
                response_format=self.response_format() if structured else None,
            )
            answer, usage = await ask(client, request)
        values, problems = self.read(query, answer)
        if problems and cfg.fail_on_error:
            raise ExtractionError("; ".join(problems))
        outputs = {
            **values,
            "is_success": not problems,
            "reason": "; ".join(problems),
            "usage": usage_json(usage),
        }
        yield Done(outputs, usage=usage, metadata=trace(messages, answer, structured))

    def read(self, query: str, answer: str) -> tuple[dict[str, Any], list[str]]:
        """Each parameter's value from the answer, and what was wrong (nothing when all held)."""
        params = self.config.parameters
        found = first_json_object(answer)
        if found is None:
            why = "the text is empty" if not query else "the model's answer holds no JSON object"
            return {p.name: None for p in params}, [why]
        return check(found, params)
