"""Route registry, request and response objects.

An area module registers handlers with the `route` decorator::

    from .routing import PUBLIC, Request, Response, route

    @route("GET", "/sale/offers/{offerId}", auth="user", scope="allegro:api:sale:offers:read")
    def offer_get(req: Request) -> Response:
        seller_id = req.seller_id            # the authenticated seller (None for app-only tokens)
        offer_id = req.params["offerId"]
        return Response.json({"id": offer_id})   # vendor media type of the route by default

`auth`: "user" (a seller's token), "any" (a seller's or a client_credentials token), None (no auth).
`media`: the vendor media types the route accepts in Accept/Content-Type (first = what it answers with).
Raise `errors.ApiError` (see `errors.error`) for Allegro error bodies. Routes under `/_emulator/` are
registered with `control=True`: no auth, no media-type checks, no latency, not rate limited.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from .errors import ErrorItem

PUBLIC = "application/vnd.allegro.public.v1+json"
BETA = "application/vnd.allegro.beta.v1+json"
JSON = "application/json"


@dataclass
class Route:
    method: str
    pattern: str
    regex: re.Pattern
    handler: Callable
    auth: str | None
    media: tuple[str, ...]
    control: bool
    raw_body: bool
    error_media: str | None
    app_token_status: int | None
    name: str
    collects_spec_errors: bool = False


ROUTES: list[Route] = []


def route(
    method: str,
    pattern: str,
    *,
    auth: str | None = "user",
    media: tuple[str, ...] | str = PUBLIC,
    control: bool = False,
    raw_body: bool = False,
    error_media: str | None = None,
    app_token_status: int | None = None,
    collects_spec_errors: bool = False,
) -> Callable:
    """Register a handler for `method` and a path `pattern` with `{name}` placeholders.

    raw_body: the handler reads `req.body` itself (no JSON parsing, no Content-Type check).
    error_media: media type of error bodies when it differs from the route's (some Allegro endpoints
    answer errors as plain application/json). app_token_status: status to answer when a
    client_credentials token calls a user-only route (Allegro answers GET /me with 500).
    collects_spec_errors: the body's rule breaks against the spec (lengths, enums, required, formats) do not
    refuse the request before the handler runs: they wait in `req.spec_errors`, and the handler must hand
    them to its own checks, which refuse them together with their own in one 422 (Allegro reports every
    error of an offer at once). Wrong types and unknown properties still refuse at once.
    """
    media_t = (media,) if isinstance(media, str) else tuple(media)
    regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")

    def decorator(fn: Callable) -> Callable:
        for existing in ROUTES:
            if existing.method == method.upper() and existing.pattern == pattern:
                raise ValueError(
                    f"{method.upper()} {pattern} is registered twice ({existing.handler.__module__}."
                    f"{existing.handler.__name__} and {fn.__module__}.{fn.__name__})"
                )
        ROUTES.append(
            Route(
                method.upper(),
                pattern,
                regex,
                fn,
                auth,
                media_t,
                control,
                raw_body,
                error_media,
                app_token_status,
                f"{method.upper()} {pattern}",
                collects_spec_errors,
            )
        )
        return fn

    return decorator


def resolve(method: str, path: str) -> tuple[Route | None, dict[str, str], list[str]]:
    """The matching route, its path params and the methods allowed on the path (for 405)."""
    allowed: list[str] = []
    for r in ROUTES:
        m = r.regex.match(path)
        if not m:
            continue
        if r.method == method:
            return r, m.groupdict(), allowed
        allowed.append(r.method)
    return None, {}, allowed


@dataclass
class Auth:
    client_id: str
    seller_id: str | None
    scopes: list[str]
    jti: str

    @property
    def is_app(self) -> bool:
        return self.seller_id is None


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Any  # http.client.HTTPMessage (case-insensitive .get)
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    auth: Auth | None = None
    base_url: str = ""
    route: Route | None = None
    spec_errors: list[ErrorItem] = field(default_factory=list)  # see `route(collects_spec_errors=...)`
    _json: Any = None

    @property
    def seller_id(self) -> str | None:
        return self.auth.seller_id if self.auth else None

    @property
    def client_id(self) -> str | None:
        return self.auth.client_id if self.auth else None

    @property
    def lang(self) -> str:
        return (self.headers.get("Accept-Language") or "en-US").split(",")[0].strip()

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        return self.query.get(name, [])

    def int_arg(self, name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
        """An integer query parameter; out of range or not a number → 422 like Allegro."""
        from .errors import error

        raw = self.arg(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise error(
                422, "VALIDATION_ERROR", f"Invalid value of '{name}'", pl=f"Nieprawidłowa wartość '{name}'.", path=name
            )
        if value < minimum or (maximum is not None and value > maximum):
            raise error(
                422,
                "VALIDATION_ERROR",
                f"'{name}' must be between {minimum} and {maximum}",
                pl=f"Parametr '{name}' musi mieścić się w zakresie {minimum}–{maximum}.",
                path=name,
            )
        return value

    def form(self) -> dict[str, str]:
        """Query string merged with an x-www-form-urlencoded body (body wins)."""
        merged = {k: v[0] for k, v in self.query.items()}
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if self.body and ctype in ("application/x-www-form-urlencoded", ""):
            for k, v in parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True).items():
                merged[k] = v[0]
        return merged

    def json(self) -> Any:
        """The parsed JSON body; malformed JSON → 400 JsonMappingException."""
        from .errors import error

        if self._json is None:
            if not self.body:
                raise error(400, "JsonMappingException", "Request body is missing", pl="Brak treści żądania.")
            try:
                self._json = json.loads(self.body)
            except (ValueError, UnicodeDecodeError) as exc:
                raise error(
                    400,
                    "JsonMappingException",
                    f"Malformed JSON: {exc}",
                    pl="Nieprawidłowy format danych (JSON).",
                )
        return self._json


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data: Any, status: int = 200, media: str | None = None, headers: dict | None = None) -> Response:
        """JSON in the route's vendor media type (or `media`)."""
        body = json.dumps(data, ensure_ascii=False).encode()
        return cls(status, body, media, dict(headers or {}))

    @classmethod
    def empty(cls, status: int = 204, headers: dict | None = None) -> Response:
        return cls(status, b"", None, dict(headers or {}))

    @classmethod
    def html(cls, text: str, status: int = 200) -> Response:
        return cls(status, text.encode(), "text/html; charset=utf-8")

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Response:
        return cls(status, b"", None, {"Location": location})
