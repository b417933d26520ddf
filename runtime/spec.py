"""The workflow spec the editor saves: nodes, edges and per-node run settings (pydantic)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from runtime.messages import NAME_PATTERN

SCHEMA_VERSION = 1

AppMode = Literal["chat", "workflow"]
ErrorStrategy = Literal["fail", "default_value", "fail_branch"]
EnvType = Literal["string", "number", "secret"]
ConversationType = Literal[
    "string",
    "number",
    "boolean",
    "object",
    "array[string]",
    "array[number]",
    "array[boolean]",
    "array[object]",
]

SOURCE_HANDLE = "source"
FAIL_BRANCH_HANDLE = "fail-branch"


def _is_none(value: object) -> bool:
    return value is None


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Position(_Model):
    x: float = 0.0
    y: float = 0.0


class RetrySettings(_Model):
    max_attempts: int = Field(1, ge=1, le=10, description="Total attempts, 1 = no retry.")
    interval_s: float = Field(
        0.0, ge=0, le=60, title="Interval in seconds", description="Seconds between attempts."
    )


class NodeSettings(_Model):
    """Run settings every node has, whatever its type."""

    timeout_s: float | None = Field(
        None, gt=0, title="Timeout in seconds", description="Fail the node after so many seconds."
    )
    retry: RetrySettings = Field(default_factory=RetrySettings)
    error_strategy: ErrorStrategy = Field(
        "fail",
        description="fail the run, use default outputs, or take the node's fail branch.",
    )
    default_outputs: dict[str, Any] = Field(
        default_factory=dict, description="Outputs used when error_strategy is default_value."
    )
    needs_confirmation: bool = Field(
        False,
        description="Pause the run before this node runs until a person approves or denies it.",
    )


class NodeSpec(_Model):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    type: str
    version: int = 1
    title: str = ""
    config: dict[str, Any] = Field(default_factory=dict)
    # Kept as the editor stores them, like `config`, and checked by compile(): a setting typed
    # half-way (0 attempts, a timeout of 0) is a bad_config issue on the node, so the draft
    # still saves and loads (issue 13's dead end), while runs and publishing refuse it.
    settings: dict[str, Any] = Field(
        default_factory=dict, description="Run settings, shaped by NodeSettings."
    )
    position: Position = Field(default_factory=Position)
    # The container (iteration, loop) this node sits in, as React Flow's and Dify's `parentId`:
    # the children of a container form its sub-graph (see runtime/README.md, "Containers").
    parent_id: str | None = Field(
        None, alias="parentId", description="The container it is in.", exclude_if=_is_none
    )
    # A container's frame on the canvas (Dify's node width and height); other nodes size
    # themselves to their content and have none.
    width: float | None = Field(None, gt=0, description="A container's width.", exclude_if=_is_none)
    height: float | None = Field(
        None, gt=0, description="A container's height.", exclude_if=_is_none
    )

    def run_settings(self) -> NodeSettings:
        """The node's run settings; pydantic's ValidationError when they are malformed."""
        return NodeSettings.model_validate(self.settings)


class EdgeSpec(_Model):
    id: str | None = None
    source: str
    source_handle: str = Field(SOURCE_HANDLE, alias="sourceHandle")
    target: str
    target_handle: str = Field("target", alias="targetHandle")


class EnvVar(_Model):
    """An environment variable of the workflow (Dify's `env.*`), read as `{{#env.NAME#}}`."""

    name: str = Field(min_length=1, max_length=64, pattern=NAME_PATTERN)
    type: EnvType = "string"
    value: str | float = Field("", repr=False)  # a secret stays out of reprs and logs

    @model_validator(mode="after")
    def _value_fits_type(self) -> EnvVar:
        """A number variable holds a number; string and secret variables hold text."""
        if self.type == "number" and isinstance(self.value, str):
            try:
                self.value = float(self.value) if self.value.strip() else 0.0
            except (
                ValueError
            ):  # said on the value: "Value (environment variable 2): enter a number"
                raise _error_at("EnvVar", ("value",), "float_parsing", self.value) from None
        elif self.type != "number" and not isinstance(self.value, str):
            self.value = _number_text(self.value)
        return self

    def run_value(self) -> str | int | float:
        """The value a run sees: a whole number as an int, so `3` renders as "3"."""
        if isinstance(self.value, float) and self.value.is_integer():
            return int(self.value)
        return self.value


class ConversationVariable(_Model):
    """A variable a chat app keeps across the turns of a conversation (Dify's
    `conversation_variables`), read as `{{#conversation.name#}}`, written by a variable
    assigner. compile() checks the default against the type (runtime/conversation.py)."""

    name: str = Field(min_length=1, max_length=64, pattern=NAME_PATTERN)
    type: ConversationType = "string"
    default: Any = Field(None, description="Its value in a new conversation (null: empty).")
    description: str = ""


def _error_at(
    title: str, loc: tuple[str | int, ...], kind: str | PydanticCustomError, value: Any
) -> ValidationError:
    """A validator's refusal placed on one field (a ValidationError raised in a validator keeps
    its locations), so runtime/messages.py names that field and not the whole model."""
    return ValidationError.from_exception_data(
        title, [InitErrorDetails(type=kind, loc=loc, input=value)]
    )


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)


class WorkflowSpec(_Model):
    """A whole workflow as stored in a draft or a published version."""

    schema_version: int = SCHEMA_VERSION
    mode: AppMode = "chat"
    nodes: list[NodeSpec] = Field(default_factory=list)
    edges: list[EdgeSpec] = Field(default_factory=list)
    env: list[EnvVar] = Field(default_factory=list, title="Environment variables")
    conversation_variables: list[ConversationVariable] = Field(
        default_factory=list, description="Values a chat app keeps across a conversation's turns."
    )

    @model_validator(mode="after")
    def _env_names_unique(self) -> WorkflowSpec:
        """Two environment variables may not share a name."""
        seen: dict[str, int] = {}
        for i, var in enumerate(self.env):  # a dict, not names.count() per name: that was quadratic
            if var.name in seen:  # said on the second one's name, the one to rename
                taken = PydanticCustomError(
                    "name_taken",
                    "{name} is already the name of environment variable {first}; rename one",
                    {"name": var.name, "first": seen[var.name] + 1},
                )
                raise _error_at("WorkflowSpec", ("env", i, "name"), taken, var.name)
            seen[var.name] = i
        return self

    def env_values(self) -> dict[str, str | int | float]:
        """The `env` scope a run of this workflow gets."""
        return {v.name: v.run_value() for v in self.env}

    def secret_names(self) -> frozenset[str]:
        """Names of the environment variables of type secret (masked in everything a run emits)."""
        return frozenset(v.name for v in self.env if v.type == "secret")
