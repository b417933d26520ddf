"""LLaMA-Factory's dataset formats (alpaca, sharegpt, their preference forms) → chat examples.

Every row is checked; a file with any bad row raises `DatasetError` listing the first problems as
`(row, field, message)`, and nothing is half-converted. The output of a row is an `Example`:

- `messages`: user / assistant / tool turns (a sharegpt `function_call` becomes an assistant turn,
  an `observation` a `tool` turn). Supervised rows end with an assistant turn; preference rows end
  with a user (or tool) turn and carry `chosen` and `rejected` answers.
- `system` and `tools` (LLaMA-Factory's tool description text) when the row has them.

alpaca: the user turn is `instruction` and `input` joined by a newline; `history` is a list of
earlier `[prompt, response]` pairs. sharegpt: `conversations` alternate user/observation (odd
positions) and assistant/function_call (even positions) after an optional leading system message.
The OpenAI layout (`messages` with `role`/`content`) is sharegpt with other tags and is detected.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal, NotRequired, TypedDict

from pydantic import ValidationError

from training.config import Columns, DatasetRef, Tags
from training.errors import DatasetError, EmptyDatasetError, Problem

OPENAI_TAGS = Tags(
    role_tag="role",
    content_tag="content",
    user_tag="user",
    assistant_tag="assistant",
    observation_tag="tool",
    function_tag="function_call",
    system_tag="system",
)


class Message(TypedDict):
    """One chat turn."""

    role: str
    content: str


class Example(TypedDict):
    """One converted row (see the module docstring)."""

    messages: list[Message]
    system: NotRequired[str]
    tools: NotRequired[str]
    chosen: NotRequired[str]
    rejected: NotRequired[str]


_Converter = Callable[[dict[str, Any]], Example]


class _RowError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def read_text(path: Path) -> str:
    """A dataset file's text: UTF-8 (a byte-order mark is dropped); DatasetError otherwise.

    The problems name the file by its name only, never its folder.
    """
    path, name = Path(path), str(path)
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DatasetError(name, [Problem(None, "path", "file not found")]) from None
    except UnicodeDecodeError as exc:
        problem = Problem(None, "encoding", f"{path.name} is not UTF-8 text (byte {exc.start})")
        raise DatasetError(name, [problem]) from None
    except OSError as exc:
        problem = Problem(None, "path", f"cannot read {path.name}: {exc.strerror or 'I/O error'}")
        raise DatasetError(name, [problem]) from None


def _loads(text: str) -> Any:
    """json.loads, with nesting too deep for the parser as a JSONDecodeError."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, 0) from None


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of a JSON list or JSONL file; unreadable files and non-object rows raise."""
    name = str(path)
    text = read_text(path)
    if text.lstrip().startswith("["):
        try:
            data = _loads(text)
        except json.JSONDecodeError as exc:
            problem = Problem(None, "json", f"invalid JSON at line {exc.lineno}: {exc.msg}")
            raise DatasetError(name, [problem]) from exc
        rows: list[Any] = data
    else:
        rows, problems = _read_jsonl(text)
        if problems:
            raise DatasetError(name, problems, total=len(problems))
    bad = [
        Problem(i, "row", "not a JSON object") for i, r in enumerate(rows) if type(r) is not dict
    ]
    if bad:
        raise DatasetError(name, bad, total=len(bad))
    return rows


def _read_jsonl(text: str) -> tuple[list[Any], list[Problem]]:
    rows: list[Any] = []
    problems: list[Problem] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(_loads(line))
        except json.JSONDecodeError as exc:
            problems.append(Problem(len(rows), "json", f"line {lineno}: {exc.msg}"))
            rows.append(None)
    return rows, problems


def detect_format(rows: list[dict[str, Any]], columns: Columns) -> Literal["alpaca", "sharegpt"]:
    """sharegpt when rows hold a message list (`conversations` or `messages`), else alpaca."""
    for row in rows[:20]:
        for key in (columns.messages, "messages"):
            if isinstance(row.get(key), list):
                return "sharegpt"
        if columns.prompt in row:
            return "alpaca"
    return "alpaca"


def detect_ranking(rows: list[dict[str, Any]], columns: Columns) -> bool:
    """Preference rows carry both a chosen and a rejected answer."""
    return bool(rows) and all(columns.chosen in r and columns.rejected in r for r in rows[:20])


def convert_rows(rows: list[dict[str, Any]], ref: DatasetRef, *, name: str = "") -> list[Example]:
    """Check and convert every row; any problem raises DatasetError (nothing half-converted)."""
    name = name or str(ref.path)
    if not rows:
        raise EmptyDatasetError(f"{name}: the file has no rows", setting="datasets")
    fmt = detect_format(rows, ref.columns) if ref.format == "auto" else ref.format
    ranking = detect_ranking(rows, ref.columns) if ref.ranking is None else ref.ranking
    if fmt == "alpaca":
        convert = _alpaca_converter(ref.columns, ranking)
    else:
        convert = _sharegpt_converter(rows, ref, ranking)
    examples: list[Example] = []
    problems: list[Problem] = []
    total = 0
    for index, row in enumerate(rows):
        try:
            examples.append(convert(row))
        except _RowError as exc:
            total += 1
            if len(problems) < DatasetError.max_problems:
                problems.append(Problem(index, exc.field, exc.message))
    if problems:
        raise DatasetError(name, problems, total=total)
    return examples


def load_dataset(ref: DatasetRef, *, max_samples: int | None = None) -> list[Example]:
    """Read, check and convert one dataset file; keep its first `max_samples` rows."""
    examples = convert_rows(read_rows(ref.path), ref)
    return examples[:max_samples] if max_samples else examples


def load_datasets(refs: Iterable[DatasetRef], *, max_samples: int | None = None) -> list[Example]:
    """All datasets of a job, concatenated in order (max_samples applies per dataset)."""
    return [ex for ref in refs for ex in load_dataset(ref, max_samples=max_samples)]


def read_dataset_info(path: Path) -> dict[str, DatasetRef]:
    """The local-file datasets of a LLaMA-Factory dataset_info.json (paths resolved beside it)."""
    path = Path(path)
    text = read_text(path)
    try:
        info = _loads(text)
    except json.JSONDecodeError as exc:
        problem = Problem(None, "json", f"invalid JSON at line {exc.lineno}: {exc.msg}")
        raise DatasetError(str(path), [problem]) from exc
    if not isinstance(info, dict):
        raise DatasetError(str(path), [Problem(None, "json", "not a JSON object")])
    refs: dict[str, DatasetRef] = {}
    problems: list[Problem] = []
    for name, entry in info.items():
        try:
            ref = _info_entry(path.parent, entry)
        except _RowError as exc:
            problems.append(Problem(None, f"{name}.{exc.field}", exc.message))
            continue
        if ref is not None:
            refs[name] = ref
    if problems:
        raise DatasetError(str(path), problems, total=len(problems))
    return refs


_HUB_KEYS = ("hf_hub_url", "ms_hub_url", "script_url", "cloud_file_name")
_UNSUPPORTED_COLUMNS = ("images", "videos", "audios", "kto_tag")


def _info_entry(folder: Path, entry: Any) -> DatasetRef | None:
    if not isinstance(entry, dict):
        raise _RowError("entry", "not an object")
    if "file_name" not in entry:
        if any(k in entry for k in _HUB_KEYS):
            return None  # hub datasets need a download: only local files are imported
        raise _RowError("file_name", "missing")
    fmt = entry.get("formatting", "alpaca")
    if fmt not in ("alpaca", "sharegpt"):
        raise _RowError("formatting", f"{fmt!r} is not alpaca or sharegpt")
    given = entry.get("columns") or {}
    for key in ("columns", "tags"):
        if not isinstance(entry.get(key) or {}, dict):
            raise _RowError(key, "not an object")
    unsupported = [k for k in given if k in _UNSUPPORTED_COLUMNS]
    if unsupported:
        raise _RowError(f"columns.{unsupported[0]}", "not supported (text datasets only)")
    # LLaMA-Factory reads history, system and tools only when the entry names their columns
    columns = {"history": None, "system": None, "tools": None, **given}
    try:
        return DatasetRef(
            path=folder / entry["file_name"],
            format=fmt,
            columns=Columns(**columns),
            tags=Tags(**entry["tags"]) if entry.get("tags") else None,
            ranking=bool(entry.get("ranking", False)),
        )
    except ValidationError as exc:  # said here: the trainer does not import runtime/messages.py
        raise _entry_error(exc) from exc
    except (TypeError, ValueError) as exc:
        raise _RowError("columns", str(exc).splitlines()[0]) from exc


# What a dataset_info.json entry's columns and tags may hold, said for a person (pydantic's first
# line, "1 validation error for Columns", was all they read).
_ENTRY_WORDS = {
    "extra_forbidden": "is not a key LLaMA-Factory reads here; remove it",
    "string_type": "must be text",
    "missing": "is missing",
}


def _entry_error(exc: ValidationError) -> _RowError:
    """The first thing wrong with an entry's columns or tags, on its key (`columns.prompt`)."""
    err = exc.errors()[0]
    part = {"Columns": "columns", "Tags": "tags"}.get(exc.title)
    field = ".".join(str(p) for p in ([part] if part else []) + list(err["loc"]))
    return _RowError(field or "entry", _ENTRY_WORDS.get(err["type"], "is not valid here"))


def _text(row: dict[str, Any], key: str | None, *, required: bool = False) -> str:
    value = row.get(key) if key else None
    if value is None:
        if required:
            raise _RowError(key or "", "missing")
        return ""
    if not isinstance(value, str):
        raise _RowError(key or "", f"expected text, got {type(value).__name__}")
    if required and not value.strip():
        raise _RowError(key or "", "empty")
    return value


def _extras(row: dict[str, Any], columns: Columns) -> dict[str, str]:
    extras: dict[str, str] = {}
    system = _text(row, columns.system)
    if system:
        extras["system"] = system
    tools = row.get(columns.tools) if columns.tools else None
    if isinstance(tools, list | dict):
        tools = json.dumps(tools, ensure_ascii=False)
    if tools is not None and not isinstance(tools, str):
        raise _RowError(columns.tools or "", f"expected text, got {type(tools).__name__}")
    if tools:
        extras["tools"] = tools
    return extras


def _alpaca_converter(columns: Columns, ranking: bool) -> _Converter:
    def convert(row: dict[str, Any]) -> Example:
        messages: list[Message] = []
        history = row.get(columns.history) if columns.history else None
        if history is not None:
            if not isinstance(history, list):
                raise _RowError(columns.history or "", "expected a list of [prompt, response]")
            for turn, pair in enumerate(history):
                ok = isinstance(pair, list | tuple) and len(pair) == 2
                if not ok or not all(isinstance(p, str) for p in pair):
                    raise _RowError(f"{columns.history}[{turn}]", "expected [prompt, response]")
                messages += [_msg("user", pair[0]), _msg("assistant", pair[1])]
        parts = [_text(row, columns.prompt), _text(row, columns.query)]
        prompt = "\n".join(p for p in parts if p)
        if not prompt.strip():
            raise _RowError(columns.prompt, "missing or empty (and no input)")
        messages.append(_msg("user", prompt))
        example = _example(messages, _extras(row, columns))
        if ranking:
            example["chosen"] = _text(row, columns.chosen, required=True)
            example["rejected"] = _text(row, columns.rejected, required=True)
        else:
            messages.append(_msg("assistant", _text(row, columns.response, required=True)))
        return example

    return convert


def _sharegpt_converter(rows: list[dict[str, Any]], ref: DatasetRef, ranking: bool) -> _Converter:
    columns = ref.columns
    key = columns.messages
    if ref.format == "auto" and not isinstance(rows[0].get(key), list) and "messages" in rows[0]:
        key = "messages"
    tags = ref.tags or _detect_tags(rows, key)
    roles = {
        tags.user_tag: "user",
        tags.observation_tag: "tool",
        tags.assistant_tag: "assistant",
        tags.function_tag: "assistant",
    }
    odd = (tags.user_tag, tags.observation_tag)
    even = (tags.assistant_tag, tags.function_tag)

    def content(msg: Any, field: str) -> tuple[str, str]:
        if not isinstance(msg, dict):
            raise _RowError(field, "expected a message object")
        role, text = msg.get(tags.role_tag), msg.get(tags.content_tag)
        if not isinstance(text, str):
            raise _RowError(f"{field}.{tags.content_tag}", "missing or not text")
        return str(role), text

    def answer(row: dict[str, Any], field: str) -> str:
        value = row.get(field)
        if isinstance(value, str) and value.strip():
            return value
        if value is None:
            raise _RowError(field, "missing")
        role, text = content(value, field)
        if role not in even:
            raise _RowError(f"{field}.{tags.role_tag}", f"{role!r} is not {' or '.join(even)}")
        if not text.strip():
            raise _RowError(f"{field}.{tags.content_tag}", "empty")
        return text

    def convert(row: dict[str, Any]) -> Example:
        turns = row.get(key)
        if not isinstance(turns, list) or not turns:
            raise _RowError(key, "missing or not a list of messages")
        extras = _extras(row, columns)
        first_role, first_text = content(turns[0], f"{key}[0]")
        if tags.system_tag and first_role == tags.system_tag:
            extras["system"] = first_text
            turns = turns[1:]
        offset = len(row[key]) - len(turns)
        messages: list[Message] = []
        for i, turn in enumerate(turns):
            field = f"{key}[{i + offset}]"
            role, text = content(turn, field)
            allowed = odd if i % 2 == 0 else even
            if role not in allowed:
                raise _RowError(f"{field}.{tags.role_tag}", f"{role!r} where {allowed} belong")
            messages.append(_msg(roles[role], text))
        if ranking:
            if len(messages) % 2 == 0:
                raise _RowError(key, "a preference row ends with a user turn")
            example = _example(messages, extras)
            example["chosen"] = answer(row, columns.chosen)
            example["rejected"] = answer(row, columns.rejected)
            return example
        if len(messages) % 2 == 1:
            raise _RowError(key, "the conversation must end with an assistant turn")
        if not messages[-1]["content"].strip():
            raise _RowError(f"{key}[{len(turns) + offset - 1}]", "empty answer")
        return _example(messages, extras)

    return convert


def _detect_tags(rows: list[dict[str, Any]], key: str) -> Tags:
    for row in rows[:20]:
        turns = row.get(key)
        if isinstance(turns, list) and turns and isinstance(turns[0], dict):
            return OPENAI_TAGS if "role" in turns[0] and "from" not in turns[0] else Tags()
    return Tags()


def _example(messages: list[Message], extras: dict[str, str]) -> Example:
    example: Example = {"messages": messages}
    if "system" in extras:
        example["system"] = extras["system"]
    if "tools" in extras:
        example["tools"] = extras["tools"]
    return example


def _msg(role: str, content: str) -> Message:
    return {"role": role, "content": content}
