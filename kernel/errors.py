"""API errors: an HTTP status, a stable code, a message and, where it helps, the field or node."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error the API returns as `{"code", "message", ...data}` with `status`."""

    def __init__(self, code: str, status: int, message: str, **data: Any) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message
        self.data = data
        self.headers: dict[str, str] = {}  # response headers, e.g. Retry-After on a 429

    def to_dict(self) -> dict[str, Any]:
        """The JSON body of the error response."""
        return {"code": self.code, "message": self.message, "status": self.status, **self.data}


def not_found(what: str) -> ApiError:
    """A 404 that does not say whether the thing exists in another workspace."""
    return ApiError("not_found", 404, f"{what} not found")


def forbidden(role: str) -> ApiError:
    """A 403 naming the role the action needs."""
    return ApiError("forbidden", 403, f"this action needs the {role} role or higher", role=role)
