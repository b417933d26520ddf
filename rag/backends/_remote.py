"""Errors of the backends that talk to a server (Milvus, RAGFlow)."""

from __future__ import annotations

from rag import errors


class BackendUnavailableError(errors.RagError):
    """The knowledge base's server cannot be reached, or refused the credentials."""

    code = "backend_unavailable"


class BackendRequestError(errors.RagError):
    """The server refused a request; the message is its own, after what was asked."""

    code = "backend_error"
