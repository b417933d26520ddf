"""RAG's errors, below the HTTP layer: each names the file or the field, in words for people.

Every error carries a stable `code` (the Django side maps it to its API error) and either the
`file` it is about (loading a document) or the `field` of the request (searching, settings).
Only the Django side turns them into HTTP responses.
"""

from __future__ import annotations

from typing import ClassVar


class RagError(Exception):
    """Root of RAG errors; raise a subclass."""

    code: ClassVar[str] = "rag_error"

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.field = field


class DocumentError(RagError, ValueError):
    """A file cannot become a document; the message starts with the file's name."""

    code = "bad_document"

    def __init__(self, file: str, reason: str) -> None:
        super().__init__(f"{file}: {reason}", file=file)
        self.reason = reason


class EmptyFileError(DocumentError):
    """The file has no bytes, or no text could be read from it."""

    code = "empty_file"


class FileTooLargeError(DocumentError):
    """The file (or what it unpacks to) is over the size limit."""

    code = "file_too_large"


class UnsupportedFileTypeError(DocumentError):
    """The file's extension is not one the loader reads."""

    code = "unsupported_file_type"


class CorruptFileError(DocumentError):
    """The file is damaged or is not what its extension says."""

    code = "corrupt_file"


class EncryptedFileError(DocumentError):
    """The file is password-protected."""

    code = "encrypted_file"


class WrongEncodingError(DocumentError):
    """A text file is not in an encoding the loader reads (UTF-8, or UTF-16 with a BOM)."""

    code = "wrong_encoding"


class ArchiveBombError(FileTooLargeError):
    """A zip-based file (docx) unpacks to far more than it weighs: a zip bomb."""

    code = "zip_bomb"


class SettingsError(RagError, ValueError):
    """A setting (chunking, search) is out of range; `field` names it."""

    code = "bad_setting"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", field=field)


class QueryTooLongError(SettingsError):
    """The query has more tokens than the embedding model reads."""

    code = "query_too_long"


class MetadataKeyError(SettingsError):
    """A metadata filter names a key that no document of the knowledge base has."""

    code = "unknown_metadata_key"


class NotFoundError(RagError, LookupError):
    """A document or chunk id is not in the backend."""

    code = "not_found"


class UnsupportedOperationError(RagError):
    """The backend does not declare the capability this call needs."""

    code = "unsupported_operation"


class EmbeddingModelError(RagError):
    """The embedding model is not installed or cannot load."""

    code = "embedding_model_unavailable"
