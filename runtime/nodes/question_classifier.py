"""The question classifier: the model picks one of N labelled classes; the node takes that
class's branch (its source handle is the class id), as an if-else takes a case's."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, ClassVar

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from runtime.llm.protocol import ChatMessage, ChatRequest
from runtime.nodes._ask import ask, client_of, first_json_object, trace, usage_json
from runtime.nodes.base import (
    HIDDEN,
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

MAX_ANSWER_TOKENS = 64  # a label or {"class_id": ...}; a model that goes on is cut short


class ClassifierClass(NodeConfig):
    # the branch's handle: made by the editor, kept when the label is renamed (edges stay)
    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_\-]+$", json_schema_extra=HIDDEN)
    name: str = Field(
        min_length=1, title="Label", description="What questions of this class are about."
    )


class QuestionClassifierConfig(NodeConfig):
    model: ModelRef = Field(default_factory=ModelRef, json_schema_extra=MODEL)
    query: list[str] = Field(
        min_length=2, json_schema_extra=SELECTOR, description="The text to classify."
    )
    classes: list[ClassifierClass] = Field(
        min_length=2,
        description="Each class is a branch; the model picks one.",
        json_schema_extra={"item": "class"},
    )
    instruction: str = Field(
        "",
        description="Extra guidance for the model (how to tell the classes apart).",
        json_schema_extra=TEMPLATE,
    )

    @model_validator(mode="after")
    def _unique(self) -> QuestionClassifierConfig:
        """Two classes may not share an id (one handle each) or a label (the model could not
        tell them apart); said on the second one, the one to change."""
        ids = [c.id for c in self.classes]
        labels = [c.name.casefold() for c in self.classes]
        for field, what, keys in (("id", "id", ids), ("name", "label", labels)):
            repeat = _first_repeat(keys)
            if repeat is not None:
                i, first = repeat
                taken = PydanticCustomError(
                    "class_taken",
                    "class {first} has this {what} already: change one",
                    {"what": what, "first": first + 1},
                )
                value = getattr(self.classes[i], field)
                raise _error_at("QuestionClassifierConfig", ("classes", i, field), taken, value)
        return self


def _first_repeat(keys: Sequence[str]) -> tuple[int, int] | None:
    """(index, index of the first with the same key) of the first key seen before, or None."""
    seen: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key in seen:
            return i, seen[key]
        seen[key] = i
    return None


def pick_class(answer: str, classes: Sequence[ClassifierClass]) -> ClassifierClass | None:
    """The class a model's answer names: a JSON `class_id` (or the whole answer) that is a
    class's id exactly or its label in any case, else the label mentioned first in the answer
    (as a word, or its plural: "Sports" names "Sport"); None when it names none."""
    said = answer.strip()
    found = first_json_object(said)
    wanted = [said]
    if found is not None:
        wanted[:0] = [str(v) for k, v in found.items() if k in ("class_id", "class", "label")]
    for text in wanted:
        text = text.strip().strip("\"'`.*").strip()
        for cls in classes:
            if text == cls.id or text.casefold() == cls.name.casefold():
                return cls
    folded = said.casefold()
    spots = [
        (m.start(), -len(cls.name), n)
        for n, cls in enumerate(classes)
        if (m := re.search(rf"(?<!\w){re.escape(cls.name.casefold())}(?:e?s)?(?!\w)", folded))
    ]
    return classes[min(spots)[2]] if spots else None


@register("question_classifier", version=1)
class QuestionClassifierNode(Node[QuestionClassifierConfig]):
    """Asks the model which class the query belongs to, and takes that class's branch.

    The model is asked for a label (with a server that follows a JSON Schema, for
    {"class_id": one of the ids}). Its answer is read by `pick_class`; when it names no class,
    the node takes the first class, as Dify does, and says so with `matched: false`. An empty
    query is not sent to the model: it takes the first class the same way.
    """

    type_title = "Question classifier"
    category = "llm"
    description = "Let the model sort the question into one of your classes; each is a branch."
    output_types: ClassVar[Mapping[str, VarType]] = {
        "class_name": "string",
        "class_id": "string",
        "matched": "boolean",
        "usage": "object",
    }
    dynamic_handles = True
    branching = True
    needs = (MODELS,)
    palette_rank = 32

    @classmethod
    def default_config(cls, mode: AppMode) -> dict[str, Any]:
        """Two classes to rename; in a chat app the user's message is what is classified, in a
        workflow app the query is the one thing to pick."""
        config = super().default_config(mode)
        config["query"] = ["sys", "query"] if mode == "chat" else []
        config["classes"] = [{"id": f"class_{n}", "name": f"Class {n}"} for n in (1, 2)]
        return config

    @classmethod
    def draft_handles(cls, config: Mapping[str, Any]) -> list[str]:
        """The ids of the classes written so far."""
        return list(class_labels(config))

    @classmethod
    def handle_labels(cls, config: Mapping[str, Any]) -> dict[str, str]:
        """Each class's label on its branch."""
        return {k: v for k, v in class_labels(config).items() if v}

    def handles(self) -> list[str]:
        """One handle per class."""
        return [c.id for c in self.config.classes]

    def references(self) -> list[Selector]:
        """The query's selector and any references in the instruction."""
        refs = [tuple(self.config.query), *extract_references(self.config.instruction)]
        return list(dict.fromkeys(refs))

    def messages(self, query: str, ctx: NodeContext, structured: bool) -> tuple[ChatMessage, ...]:
        """The instruction as the system prompt, then one user message with the classes, the
        text and the form of the answer: a label, or {"class_id": ...} where the model is held
        to a JSON Schema. Small models follow a question put this way far better than rules
        in a system prompt (tried on the embedded SmolLM2)."""
        system = "You sort texts into classes."
        instruction = render(self.config.instruction, ctx.pool).strip()
        if instruction:
            system += f"\n\n{instruction}"
        classes = self.config.classes
        if structured:
            listed = "\n".join(f"- {c.name} (id: {c.id})" for c in classes)
            question = f"Which of these classes does the text belong to?\n{listed}"
            how = 'Answer in JSON: {"class_id": "<the id of the class>"}.'
        else:
            names = [c.name for c in classes]
            question = (
                f"Which class does this text belong to: {', '.join(names[:-1])} or {names[-1]}?"
            )
            how = "Answer with the class name only."
        return (
            ChatMessage("system", system),
            ChatMessage("user", f"{question}\nText: {query}\n{how}"),
        )

    def response_format(self) -> dict[str, Any]:
        """The JSON Schema of the answer: {"class_id": one of the class ids}."""
        ids = [c.id for c in self.config.classes]
        schema = {
            "type": "object",
            "properties": {"class_id": {"type": "string", "enum": ids}},
            "required": ["class_id"],
            "additionalProperties": False,
        }
        return {"type": "json_schema", "json_schema": {"name": "classification", "schema": schema}}

    async def run(self, ctx: NodeContext) -> AsyncIterator[NodeOutput]:
        """Classify the query and take the picked class's branch."""
        cfg = self.config
        client, structured = client_of(ctx, cfg.model.provider)
        query = to_text(ctx.pool.lookup(cfg.query)).strip()
        messages = self.messages(query, ctx, structured)
        answer, usage = "", None
        if query:
            request = ChatRequest(
                model=cfg.model.name,
                messages=messages,
                temperature=0.0,
                max_tokens=MAX_ANSWER_TOKENS,
                response_format=self.response_format() if structured else None,
            )
            answer, usage = await ask(client, request)
        picked = pick_class(answer, cfg.classes)
        chosen = picked or cfg.classes[0]
        outputs = {
            "class_name": chosen.name,
            "class_id": chosen.id,
            "matched": picked is not None,
            "usage": usage_json(usage),
        }
        yield Done(
            outputs, handle=chosen.id, usage=usage, metadata=trace(messages, answer, structured)
        )


def class_labels(config: Mapping[str, Any]) -> dict[str, str]:
    """Class id → label, read from a raw config as far as it goes (a draft's classes)."""
    classes = config.get("classes")
    out: dict[str, str] = {}
    for c in classes if isinstance(classes, list) else []:
        if isinstance(c, Mapping) and isinstance(c.get("id"), str) and c["id"]:
            out.setdefault(c["id"], c["name"] if isinstance(c.get("name"), str) else "")
    return out
