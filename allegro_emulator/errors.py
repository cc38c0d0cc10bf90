"""Allegro's error bodies.

Raise `ApiError` from a handler; the server turns it into `{"errors":[...]}` with the right status,
media type and a `userMessage` in Polish when the request asked for `Accept-Language: pl-PL`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ErrorItem:
    code: str
    message: str
    user_message_pl: str | None = None
    user_message_en: str | None = None
    path: str | None = None
    details: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    def render(self, lang: str) -> dict[str, Any]:
        if lang.lower().startswith("pl"):
            user = self.user_message_pl or self.user_message_en or self.message
        else:
            user = self.user_message_en or self.message
        return {
            "code": self.code,
            "message": self.message,
            "details": self.details,
            "path": self.path,
            "userMessage": user,
            "metadata": {k: str(v) for k, v in self.metadata.items()},
        }


class ApiError(Exception):
    """An Allegro error response. `errors` holds one or more ErrorItem."""

    def __init__(self, status: int, errors: list[ErrorItem] | ErrorItem, headers: dict[str, str] | None = None):
        self.status = status
        self.errors = errors if isinstance(errors, list) else [errors]
        self.headers = headers or {}
        super().__init__(f"{status} {[e.code for e in self.errors]}")

    def body(self, lang: str) -> dict[str, Any]:
        return {"errors": [e.render(lang) for e in self.errors]}


class AuthError(Exception):
    """401 with Allegro's `AuthError` body `{"error", "error_description"}`."""

    def __init__(self, error: str, description: str, status: int = 401):
        self.status = status
        self.error = error
        self.description = description
        super().__init__(f"{status} {error}")

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def error(
    status: int,
    code: str,
    message: str,
    *,
    pl: str | None = None,
    en: str | None = None,
    path: str | None = None,
    metadata: dict[str, str] | None = None,
    details: str | None = None,
) -> ApiError:
    """Build (not raise) a one-item ApiError: `raise error(422, "VALIDATION_ERROR", "...", pl="...", path="name")`."""
    return ApiError(status, ErrorItem(code, message, pl, en, path, details, metadata or {}))


def validation(path: str | None, message: str, pl: str, code: str = "VALIDATION_ERROR", **metadata: str) -> ErrorItem:
    """One 422 item; collect several and `raise ApiError(422, items)`."""
    return ErrorItem(code, message, pl, message, path, None, metadata)


def not_found(what: str = "Resource", pl: str = "Nie znaleziono zasobu.", code: str = "NOT_FOUND") -> ApiError:
    return error(404, code, f"{what} not found", pl=pl)


def forbidden(message: str = "Access denied", pl: str = "Brak dostępu do zasobu.") -> ApiError:
    return error(403, "AccessDenied", message, pl=pl)


def bad_request(message: str, pl: str | None = None, code: str = "JsonMappingException", path: str | None = None):
    return error(400, code, message, pl=pl or "Nieprawidłowe żądanie.", path=path)


def merge_errors(ours: Sequence[ErrorItem], spec: Sequence[ErrorItem]) -> list[ErrorItem]:
    """One answer from a handler's own errors and the rule breaks the spec check found (Allegro reports
    every error of a request at once). A field both name is reported once, with the handler's message:
    it says what is wrong in words the seller knows ("at most 75 characters" for the title) where the
    spec's is generic."""
    named = {item.path for item in ours if item.path is not None}
    return list(ours) + [item for item in spec if item.path is None or item.path not in named]
