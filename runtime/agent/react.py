"""The ReAct prompt loop, for models that do not return tool calls (the embedded engine): the
tools are described in the system prompt, the model writes Thought / Action / Action Input, the
runtime stops it at "Observation:", calls the tool and hands the result back as the observation.
A "Final Answer:" streams as it is written."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from runtime.agent._react_parse import FINAL, NO_INPUT, ReactAction, parse_react, thought_of
from runtime.agent.loop import DATA_NOT_INSTRUCTIONS, AgentPrompt, check_unknown
from runtime.agent.steps import (
    AgentItem,
    AgentSettings,
    AnswerDelta,
    Finished,
    Thought,
    ToolCalled,
    ToolResult,
    add_usage,
)
from runtime.agent.toolbox import Toolbox
from runtime.errors import AgentStepLimitError
from runtime.llm.protocol import ChatMessage, ChatModel, ChatRequest, TextDelta, ToolCall, Usage

STOPS = ("Observation:", "\nObservation")

_FORMAT = """Use this format:

Thought: think about what to do next
Action: the tool to use, one of [{names}]
Action Input: the tool's arguments, as a JSON object
Observation: the tool's result (you do not write this: it is given to you)
... (Thought, Action, Action Input and Observation may repeat)
Thought: I know the answer
Final Answer: the answer to the user

{hygiene}
Start with "Thought:"."""


def react_system(instructions: str, toolbox: Toolbox) -> str:
    """The system prompt: the instructions, the tools with their arguments' JSON Schemas, and
    the format; just the instructions when there are no tools."""
    if not toolbox.tools:
        return instructions
    tools = "\n".join(
        f"{t.name}: {t.spec.description or '(no description)'}\n"
        f"  arguments (JSON Schema): {json.dumps(t.spec.input_schema, ensure_ascii=False)}"
        for t in toolbox.tools.values()
    )
    names = ", ".join(toolbox.tools)
    fmt = _FORMAT.format(names=names, hygiene=DATA_NOT_INSTRUCTIONS)
    head = f"{instructions}\n\n" if instructions else ""
    return f"{head}You can use these tools:\n{tools}\n\n{fmt}"


class AnswerStream:
    """Watches a turn as it streams and passes on the text after "Final Answer:" (leading and
    trailing white space held back), unless an "Action:" line came first."""

    def __init__(self) -> None:
        self.text = ""
        self.start: int | None = None
        self.thought = ""
        self.sent = 0

    def feed(self, piece: str) -> str:
        """Add a piece of the turn; the answer text it makes safe to show."""
        self.text += piece
        if self.start is None:
            found = FINAL.search(self.text)
            if found is None or isinstance(parse_react(self.text), ReactAction):
                return ""
            self.start = found.end()
            self.thought = thought_of(self.text[: found.start()])
        body = self.text[self.start :].strip()
        new, self.sent = body[self.sent :], len(body)
        return new


async def react_loop(
    model: ChatModel, prompt: AgentPrompt, toolbox: Toolbox, settings: AgentSettings
) -> AsyncIterator[AgentItem]:
    """The ReAct loop (see the module); ends with AnswerDelta pieces and Finished."""
    system = react_system(prompt.instructions, toolbox)
    messages = [ChatMessage("system", system)] if system else []
    messages += [*prompt.history, ChatMessage("user", prompt.query)]
    usage, unknown = Usage(0, 0), list[str]()
    for step in range(1, settings.max_steps + 1):
        request = ChatRequest(
            model=settings.model,
            messages=tuple(messages),
            temperature=settings.temperature,
            max_tokens=settings.max_tokens,
            stop=STOPS if toolbox.tools else (),
        )
        stream, answer = AnswerStream(), list[str]()
        async for chunk in model.stream(request):
            if isinstance(chunk, TextDelta) and (piece := stream.feed(chunk.text)):
                if not answer and stream.thought:
                    yield Thought(step, stream.thought)
                answer.append(piece)
                yield AnswerDelta(piece)
            elif isinstance(chunk, Usage):
                usage = add_usage(usage, chunk)
        turn = parse_react(stream.text)
        if not isinstance(turn, ReactAction):
            if stream.start is None and turn.answer:  # no "Final Answer:": all of it is
                answer.append(turn.answer)
                yield AnswerDelta(turn.answer)
            yield Finished("".join(answer), step, "react", usage)
            return
        if turn.thought:
            yield Thought(step, turn.thought)
        call = ToolCall(f"react_{step}", turn.tool, _arguments(turn, toolbox))
        yield ToolCalled(step, call.id, call.name, call.arguments)
        outcome = await toolbox.call(
            call.name, call.arguments, settings.tool_timeout_s, settings.result_chars
        )
        yield ToolResult(step, call.id, call.name, outcome.ok, outcome.text)
        messages.append(ChatMessage("assistant", stream.text.rstrip()))
        messages.append(ChatMessage("user", f"Observation: {outcome.text}"))
        check_unknown(unknown, [call], [outcome], settings)
    raise AgentStepLimitError(settings.max_steps)


def _arguments(turn: ReactAction, toolbox: Toolbox) -> str:
    """The Action Input as JSON object text: an object as it is; a bare value given to a tool
    that takes one argument becomes that argument; nothing is {}. Anything else stays as the
    model wrote it, which the tool call then refuses, telling the model."""
    value = turn.arguments
    if value is NO_INPUT:
        return "{}"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    tool = toolbox.tools.get(turn.tool)
    props: Any = tool.spec.input_schema.get("properties") if tool else None
    if isinstance(props, dict) and len(props) == 1:
        return json.dumps({next(iter(props)): value}, ensure_ascii=False)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
