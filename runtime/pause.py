"""Pausing a run for a person (human in the loop): the form a paused node asks, the reply that
resumes it, and the check of an answer against its form.

A node pauses by yielding `Paused(form)` instead of `Done` (the human_input node), and the engine
pauses any node whose settings say `needs_confirmation` before it runs, with an approve/deny
form. The engine emits `NodePaused`, lets every other branch finish, and ends the run "waiting"
with the forms in `RunFinished.waiting`. A resume is a seeded run: every node that finished is
seeded with its outputs, and the paused node runs again with its `Reply` on its context
(`RunContext.replies`): a human_input node outputs the answers; a confirmed node runs, a denied
one fails with ConfirmationDeniedError (so its error strategy applies); a timed-out pause does
what its form's `on_timeout` says.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from runtime.errors import InputError
from runtime.messages import NAME_PATTERN
from runtime.spec import _error_at

FieldType = Literal["text", "number", "choice", "boolean"]
PauseKind = Literal["input", "confirmation"]
OnTimeout = Literal["fail", "default", "branch"]
TIMEOUT_HANDLE = "timeout"  # the handle a human_input node takes on timeout with "branch"
DECISION = "decision"  # the one field of a confirmation form
APPROVE, DENY = "approve", "deny"


class FormField(BaseModel):
    """One field of the form a person fills in."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN, title="Field name")
    label: str = ""
    type: FieldType = "text"
    choices: list[str] = Field(default_factory=list)
    required: bool = True
    default: Any = None

    @model_validator(mode="after")
    def _choices_given(self) -> FormField:
        """A choice field offers at least one choice."""
        if self.type == "choice" and not self.choices:
            empty = PydanticCustomError("no_choices", "a choice field needs at least one choice")
            raise _error_at("FormField", ("choices",), empty, self.choices)
        return self


class PauseForm(BaseModel):
    """What a paused node asks: its prompt (rendered) and fields, and how long it waits."""

    model_config = ConfigDict(frozen=True)

    node_id: str
    kind: PauseKind = "input"
    title: str = ""
    prompt: str = ""
    fields: list[FormField] = Field(default_factory=list)
    timeout_s: float | None = None  # None: it waits until someone answers
    on_timeout: OnTimeout = "fail"


@dataclass(frozen=True, slots=True)
class Reply:
    """A person's answer to a pause (checked by `check_answers`), or its timing out."""

    answers: Mapping[str, Any] = field(default_factory=dict)
    timed_out: bool = False


class AnswerError(InputError):
    """An answer does not match its form; `.field` names the field, as InputError's."""


def confirmation_form(node_id: str, title: str) -> PauseForm:
    """The approve/deny form asked before a node that needs confirmation runs."""
    decision = FormField(name=DECISION, label="Decision", type="choice", choices=[APPROVE, DENY])
    prompt = f"{title or node_id} needs your confirmation before it runs."
    return PauseForm(
        node_id=node_id, kind="confirmation", title=title, prompt=prompt, fields=[decision]
    )


def pause_in_container(name: str, container: str, confirmation: bool) -> str:
    """Why the node `name` inside `container` cannot pause, and what to do instead: the words
    of the compile issue and of the run's error alike. Resuming seeds top-level nodes only."""
    if confirmation:
        return (
            f"{name} needs confirmation before it runs, which a node inside {container} cannot"
            " wait for: turn off Needs confirmation in its run settings, or move it out of the"
            " container"
        )
    return (
        f"{name} waits for a person's answer, which a node inside {container} cannot do:"
        " move it out of the container"
    )


def approved(reply: Reply) -> bool:
    """Whether a confirmation reply lets the node run (a timeout denies it)."""
    return not reply.timed_out and reply.answers.get(DECISION) == APPROVE


def default_answers(form: PauseForm) -> dict[str, Any]:
    """Each field's default (None where it has none): the answers on_timeout "default" gives."""
    return {f.name: f.default for f in form.fields}


def check_answers(form: PauseForm, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers checked and coerced against the form; AnswerError names the first bad field."""
    if not isinstance(answers, Mapping):
        raise AnswerError("answers", "must be an object of field names and values")
    known = {f.name for f in form.fields}
    for name in answers:
        if name not in known:
            raise AnswerError(str(name), f"is not a field of this form ({', '.join(known)})")
    out: dict[str, Any] = {}
    for f in form.fields:
        value = answers.get(f.name)
        if value is None or value == "":
            if f.default is not None:
                value = f.default
            elif f.required:
                raise AnswerError(f.name, "is required")
            else:
                out[f.name] = None
                continue
        out[f.name] = _coerce(f, value)
    return out


def _coerce(f: FormField, value: Any) -> Any:
    if f.type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise AnswerError(f.name, "must be a number")
        if isinstance(value, str):
            try:
                return float(value) if "." in value else int(value)
            except ValueError:
                raise AnswerError(f.name, "must be a number") from None
        return value
    if f.type == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text in {"true", "yes", "on", "1"}:
            return True
        if text in {"false", "no", "off", "0"}:
            return False
        raise AnswerError(f.name, "must be true or false")
    if not isinstance(value, str):
        raise AnswerError(f.name, "must be text")
    if f.type == "choice" and value not in f.choices:
        raise AnswerError(f.name, f"must be one of {', '.join(f.choices)}")
    return value
