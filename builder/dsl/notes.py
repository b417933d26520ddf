"""What an import changed or could not keep, said per node: the answer's `warnings`."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class Note:
    """One warning of an import: a code, the words, and the node (and field) it concerns. Compile
    issues of the imported draft become notes with their own codes."""

    code: str
    message: str
    node_id: str | None = None
    field: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        """A JSON-ready dict (the API's IssueOut shape)."""
        return asdict(self)
