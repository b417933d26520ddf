"""Reading a ReAct turn: "Thought: … Action: tool Action Input: {…}" or "Final Answer: …",
forgiving what small models do (JSON in code fences, text after the JSON, a JSON blob
{"action": …, "action_input": …}, no format at all: the whole text is then the answer)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

FINAL = re.compile(r"final\s*answer\s*:", re.IGNORECASE)
_ACTION = re.compile(r"^[ \t*]*action[ \t*]*:[ \t]*(.*)$", re.IGNORECASE | re.MULTILINE)
_INPUT = re.compile(r"action[ \t*]*input[ \t*]*:", re.IGNORECASE)
_OBSERVATION = re.compile(r"\n\s*observation\s*:", re.IGNORECASE)
_THOUGHT = re.compile(r"^\s*thought\s*:\s*", re.IGNORECASE)
_FENCE = re.compile(r"```[a-zA-Z]*\s*(.*?)```", re.DOTALL)
NO_INPUT = object()  # the turn named a tool but gave no Action Input


@dataclass(frozen=True, slots=True)
class ReactAction:
    """The model asked for a tool: its name and arguments (a parsed JSON value, the raw text
    when it is not JSON, or NO_INPUT)."""

    thought: str
    tool: str
    arguments: Any


@dataclass(frozen=True, slots=True)
class ReactFinal:
    """The model answered."""

    thought: str
    answer: str


def parse_react(text: str) -> ReactAction | ReactFinal:
    """What one ReAct turn says: an action when an "Action:" line comes before any "Final
    Answer:", the final answer otherwise; a turn in neither format is all answer."""
    final = FINAL.search(text)
    action = _ACTION.search(text)
    if action and action.group(1).strip() and (final is None or action.start() < final.start()):
        tool = action.group(1).strip().strip("`'\"[]* ").strip()
        given = _INPUT.search(text, action.end())
        args = _value(text[given.end() :]) if given else NO_INPUT
        return ReactAction(thought_of(text[: action.start()]), tool, args)
    if final:
        return ReactFinal(thought_of(text[: final.start()]), text[final.end() :].strip())
    blob = _blob(text)
    if blob is not None:
        return blob
    return ReactFinal("", text.strip())


def thought_of(text: str) -> str:
    """The model's reasoning before its action or answer, without the "Thought:" label."""
    return _THOUGHT.sub("", text.strip(), count=1).strip()


def _value(raw: str) -> Any:
    """The Action Input: up to any "Observation:" the model wrote itself, out of a code fence,
    the first JSON value in it (text after it ignored); else the text itself."""
    cut = _OBSERVATION.search(raw)
    raw = (raw[: cut.start()] if cut else raw).strip()
    fenced = _FENCE.search(raw)
    if fenced:
        raw = fenced.group(1).strip()
    if not raw:
        return NO_INPUT
    start = min((i for i in (raw.find("{"), raw.find("[")) if i >= 0), default=-1)
    if start >= 0:
        try:
            return json.JSONDecoder().raw_decode(raw[start:])[0]
        except ValueError:
            pass
    try:
        return json.loads(raw)
    except ValueError:
        return raw.strip("`'\" ")


def _blob(text: str) -> ReactAction | ReactFinal | None:
    """A JSON {"action": name, "action_input": …} (in a fence or bare), LangChain's other
    format; "Final Answer" as the action is the answer."""
    fenced = _FENCE.search(text)
    candidate = fenced.group(1) if fenced else text
    start = candidate.find("{")
    if start < 0:
        return None
    try:
        data = json.JSONDecoder().raw_decode(candidate[start:])[0]
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("action"), str):
        return None
    thought = thought_of(text[: fenced.start()]) if fenced else ""
    value = data.get("action_input", NO_INPUT)
    if FINAL.fullmatch(data["action"].strip() + ":"):
        return ReactFinal(thought, value if isinstance(value, str) else json.dumps(value))
    return ReactAction(thought, data["action"].strip(), value)
