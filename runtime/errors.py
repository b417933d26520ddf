"""Typed runtime errors. Each class name is a stable error code shown to users."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runtime.issues import Issue


class EngineError(Exception):
    """Root of runtime errors; raise a subclass."""

    @property
    def code(self) -> str:
        """The stable error code (the class name)."""
        return type(self).__name__


class GraphInvalidError(EngineError, ValueError):
    """The workflow spec does not compile; `.issues` lists every problem found."""

    def __init__(self, issues: tuple[Issue, ...]) -> None:
        self.issues = issues
        first = "; ".join(f"{i.code} at {i.node_id or '-'}: {i.message}" for i in issues[:3])
        super().__init__(f"workflow has {len(issues)} issue(s): {first}")


class NodeExecutionError(EngineError):
    """A node failed while running; raised as `NodeExecutionError(node_id) from exc`."""


class NodeTimeoutError(NodeExecutionError):
    """A node ran longer than its timeout."""


class NodeOutputError(NodeExecutionError):
    """A node yielded something other than a Delta or a Done (a bug in the node type)."""


class MissingResourceError(EngineError, LookupError):
    """A node needs a resource the run was not given (no provider offers it)."""


class OutputTooLargeError(NodeExecutionError):
    """A node's output would be larger than its limit (max_output_bytes)."""


class SandboxError(EngineError):
    """A sandboxed job failed in a way that cannot travel back as its own exception."""


class SandboxCrashedError(SandboxError):
    """The sandbox worker process died while running a job (e.g. for its memory)."""


class VariableNotFoundError(EngineError, KeyError):
    """A reference names a variable that no node produced."""

    def __init__(self, selector: str) -> None:
        self.selector = selector
        super().__init__(f"variable {selector} is not available")

    def __str__(self) -> str:
        return f"variable {self.selector} is not available"


class InputError(EngineError, ValueError):
    """A run input is missing or has the wrong type; `.field` names it, `.reason` says what it
    must be ("is required", "must be a number"), and the message joins them: "topic is required"."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field} {reason}")


class RunCancelledError(EngineError):
    """The run was stopped."""


class OutboundRefusedError(EngineError):
    """A server-side request was refused: its destination is not a public address."""


class RetrievalError(EngineError):
    """Searching the knowledge bases failed; a subclass names what was wrong."""


class KnowledgeBaseNotFoundError(RetrievalError, LookupError):
    """A knowledge base that does not exist or is not this workspace's; `.dataset_id` names it
    (the message says the same for both, so no workspace learns another's ids)."""

    def __init__(self, dataset_id: str) -> None:
        self.dataset_id = dataset_id
        super().__init__(f"this workspace has no knowledge base {dataset_id!r}")


class MetadataKeyNotFoundError(RetrievalError, LookupError):
    """A metadata filter names a key no document of the knowledge bases has; `.key` names it."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(
            f"no document in these knowledge bases has the metadata key {key!r}: "
            "pick a key the documents have"
        )


class EmptyQueryError(RetrievalError, ValueError):
    """The text to search for is empty; `.selector` names the variable it came from."""

    def __init__(self, selector: str) -> None:
        self.selector = selector
        super().__init__(f"the query {selector} is empty: there is nothing to search for")


class LLMError(EngineError):
    """A model call failed."""


class LLMRateLimitError(LLMError):
    """The model server answered 429."""


class LLMAuthError(LLMError):
    """The model server refused the credentials (401/403)."""


class LLMUnavailableError(LLMError):
    """The model server is down, timed out or answered 5xx."""


class LLMBadRequestError(LLMError):
    """The model server refused the request (4xx other than auth and rate limit)."""


class ContextLengthExceededError(LLMBadRequestError):
    """The prompt is longer than the model's context window (the caller's input, not a fault)."""


class LLMBadResponseError(LLMError):
    """The model server answered something that is not a valid response."""


class ModelNotFoundError(LLMError):
    """The named model or provider does not exist."""


class ConfirmationDeniedError(NodeExecutionError):
    """A person denied a node that needs confirmation (or nobody answered in time)."""


class HumanInputTimeoutError(NodeExecutionError):
    """Nobody answered a human-input form before its timeout (on_timeout "fail")."""
