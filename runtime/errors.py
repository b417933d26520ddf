"""Typed runtime errors. Each class name is a stable error code shown to users."""

from __future__ import annotations

from collections.abc import Callable
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


class InnerNodeError(NodeExecutionError):
    """A node inside a container (iteration, loop) failed; the message names it and the item."""

    def __init__(self, message: str, node_id: str, error_code: str) -> None:
        super().__init__(message)
        self.node_id, self.error_code = node_id, error_code


class IterationInputError(NodeExecutionError, ValueError):
    """An iteration's input is not a list."""


class MissingResourceError(EngineError, LookupError):
    """A node needs a resource the run was not given (no provider offers it)."""


class OutputTooLargeError(NodeExecutionError):
    """A node's output would be larger than its limit (max_output_bytes)."""


class SandboxError(EngineError):
    """A sandboxed job failed in a way that cannot travel back as its own exception."""


class SandboxCrashedError(SandboxError):
    """The sandbox worker process died while running a job (e.g. for its memory)."""


class CodeError(NodeExecutionError):
    """A code node's Python failed; `.traceback` is the user's traceback, trimmed to their code."""

    def __init__(self, message: str, traceback: str = "") -> None:
        self.traceback = traceback
        super().__init__(traceback.rstrip("\n") or message)  # its last line is the message


class CodeTimeoutError(CodeError, NodeTimeoutError):
    """A code node's Python ran past its time limit; its process was killed."""


class CodeMemoryError(CodeError):
    """A code node's Python wanted more memory than its limit allows."""


class CodeForbiddenError(CodeError):
    """A code node's Python tried what the sandbox refuses (network, processes, files outside
    its working directory, native code)."""


class CodeOutputError(CodeError):
    """A code node's outputs are too large, not JSON, missing or not of their declared type;
    `.output` names the output at fault ("" when it is the whole result)."""

    def __init__(self, message: str, output: str = "") -> None:
        self.output = output
        super().__init__(message)


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


class HttpRequestError(EngineError):
    """An HTTP request node's request failed; a subclass names how."""


class HttpUrlError(HttpRequestError, ValueError):
    """The URL, once its references are filled in, is not an http(s) URL with a host."""


class HttpBodyError(HttpRequestError, ValueError):
    """The request body, once its references are filled in, is not what its type says (JSON)."""


class HttpHeaderError(HttpRequestError, ValueError):
    """A header's value, once its references are filled in, holds a line break."""


class HttpTimeoutError(HttpRequestError):
    """The server did not connect or answer within the node's timeout."""


class HttpConnectionError(HttpRequestError):
    """The server could not be reached (no such host, connection refused or dropped)."""


class HttpTooManyRedirectsError(HttpRequestError):
    """The server redirected more times than the node allows."""


class HttpResponseTooLargeError(HttpRequestError):
    """The response body is larger than the node's limit; it was not read further."""


class HttpStatusError(HttpRequestError):
    """The server answered 4xx or 5xx and the node is set to fail on such a status."""


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


class ExtractionError(EngineError, ValueError):
    """A parameter extractor set to fail could not fill its parameters from the model's answer;
    the message names each parameter and what was wrong with it."""


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


class AgentError(EngineError):
    """An agent node could not reach an answer; a subclass says why."""


class AgentStepLimitError(AgentError):
    """The agent used all its steps (model turns) without giving a final answer."""

    def __init__(self, max_steps: int) -> None:
        self.max_steps = max_steps
        super().__init__(
            f"the agent gave no final answer within its {max_steps} steps: raise Max steps, "
            "or make the instructions say when to stop"
        )


class AgentUnknownToolError(AgentError):
    """The model kept calling tools the agent does not offer; `.names` lists them."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        super().__init__(
            f"the model called tools the agent does not offer ({', '.join(sorted(set(names)))}) "
            f"{len(names)} times: offer them in Tools, or say in the instructions which to use"
        )


class ToolError(EngineError):
    """A tool call failed; a subclass says how (the node's error strategy applies)."""


class ToolNotFoundError(ToolError, LookupError):
    """The tool server has no tool of that name, or the workspace no server of that name."""


class ToolArgumentsError(ToolError, ValueError):
    """The arguments do not match the tool's input schema; `.argument` names the one at fault
    ("" when the arguments as a whole are wrong) and `.reason` says what it must be."""

    def __init__(self, tool: str, argument: str, reason: str) -> None:
        self.tool = tool
        self.argument = argument
        self.reason = reason
        where = f"argument {argument!r}" if argument else "the arguments"
        super().__init__(f"tool {tool!r}: {where} {reason}")


class ToolCallFailedError(ToolError):
    """The tool ran and reported an error (MCP's is_error), or the server refused the call."""


class ToolResultTooLargeError(ToolError):
    """A tool's result is larger than the limit; `.size` (at least) and `.limit` in bytes."""

    def __init__(self, tool: str, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(
            f"tool {tool!r} returned {size:,} bytes or more, over the limit of {limit:,} bytes"
        )


class ToolTimeoutError(ToolError):
    """The tool did not answer in time (a built-in tool; McpTimeoutError for an MCP server)."""


class ToolRecursionError(ToolError):
    """An app called as a tool would run an app already running in the chain of calls (it
    would call itself), or calls are nested deeper than the limit."""


class McpError(ToolError):
    """An MCP server failed (as a process or a connection, not one tool's own error)."""


class McpUnavailableError(McpError):
    """The MCP server could not be started or reached, or it exited or hung up mid-call."""


class McpTimeoutError(McpError, ToolTimeoutError):
    """The MCP server did not answer in time: to the connect handshake or to a call."""


class McpProtocolError(McpError):
    """The MCP server sent something that is not MCP (not JSON-RPC, or a malformed result)."""


class ConfirmationDeniedError(NodeExecutionError):
    """A person denied a node that needs confirmation (or nobody answered in time)."""


class HumanInputTimeoutError(NodeExecutionError):
    """Nobody answered a human-input form before its timeout (on_timeout "fail")."""


class PauseInContainerError(NodeExecutionError):
    """A node inside an iteration or loop would pause for a person, which a resume cannot
    reach (compile reports such nodes first; this catches a type that pauses undeclared)."""


class AssignmentError(NodeExecutionError, ValueError):
    """A variable assigner could not assign one of its items (a value of another type, a
    division by zero); the message names the item and the variable."""


def caused_by(exc: BaseException, match: Callable[[BaseException], bool], depth: int = 0) -> bool:
    """Whether `exc` or anything in its causes (exception groups included) satisfies `match`."""
    if depth > 12:
        return False
    if match(exc):
        return True
    inner = list(exc.exceptions) if isinstance(exc, BaseExceptionGroup) else []
    inner += [e for e in (exc.__cause__, exc.__context__) if e is not None]
    return any(caused_by(e, match, depth + 1) for e in inner)


def is_connection_refused(exc: BaseException) -> bool:
    """Whether a connection was refused somewhere in the causes of `exc` (httpx says "All
    connection attempts failed" when every address refused)."""
    return caused_by(
        exc,
        lambda e: (
            isinstance(e, ConnectionRefusedError) or "All connection attempts failed" in str(e)
        ),
    )
