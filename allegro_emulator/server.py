"""The HTTP layer: trace ids, faults, latency, media types, auth, rate limits, dispatch, logging."""

from __future__ import annotations

import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import db, oauth, openapi, ratelimit, state, untidy
from .errors import ApiError, AuthError, error
from .routing import JSON, PUBLIC, Request, Response, Route, resolve

NOT_ACCEPTABLE = "Not acceptable representation requested. Please check 'Accept' request header"


def _media_list(header: str | None) -> list[str]:
    return [part.split(";")[0].strip().lower() for part in (header or "").split(",") if part.strip()]


def _check_media(req: Request, route: Route) -> None:
    if not route.media:
        return
    accepted = _media_list(req.headers.get("Accept"))
    if not any(m in route.media for m in accepted):
        raise error(
            406, "NotAcceptableException", NOT_ACCEPTABLE, pl="Nieobsługiwany format odpowiedzi (nagłówek Accept)."
        )
    if req.method in ("POST", "PUT", "PATCH") and not route.raw_body:
        ctype = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype not in route.media and (req.body or ctype):  # no body at all: 400, the body is missing
            raise error(
                415,
                "UnsupportedMediaTypeException",
                f"Content type '{ctype or 'none'}' not supported",
                pl="Nieobsługiwany typ treści żądania (nagłówek Content-Type).",
            )


def dispatch(req: Request) -> Response:
    """Everything but transport: used by the HTTP handler (and usable in-process)."""
    route, params, allowed = resolve(req.method, req.path)
    control = req.path.startswith("/_emulator/")
    if not control:
        fault = state.take_fault(req.method, req.path)
        if fault:
            if fault["delay_ms"]:
                time.sleep(fault["delay_ms"] / 1000)
            if fault["status"]:
                body = fault["body"]
                if body is None:
                    body = error(
                        int(fault["status"]), "EmulatorInjectedFault", "Injected fault", pl="Wstrzyknięty błąd."
                    ).body(req.lang)
                return Response.json(body, int(fault["status"]), media=PUBLIC)
        latency = int(state.get("latency_ms") or 0)
        if latency:
            time.sleep(latency / 1000)
    if route is None:
        if allowed:
            exc = error(
                405, "MethodNotAllowed", f"Request method '{req.method}' not supported", pl="Metoda niedozwolona."
            )
            exc.headers["Allow"] = ", ".join(dict.fromkeys(allowed))
            raise exc
        raise error(404, "NotFoundException", f"No handler found for {req.method} {req.path}", pl="Nie znaleziono.")
    req.route = route
    req.params = params
    if route.control:
        return route.handler(req)
    _check_media(req, route)
    if route.auth:
        req.auth = oauth.authenticate(req)
        ratelimit.check_client(req.auth.client_id)
        if req.auth.is_app and route.auth == "user":
            if route.app_token_status:
                raise error(route.app_token_status, "InternalServerError", "Internal server error", pl="Błąd serwera.")
            raise error(403, "AccessDenied", "Access is denied", pl="Brak dostępu – wymagany token użytkownika.")
    if req.method in ("POST", "PUT", "PATCH") and not route.raw_body:
        rules = openapi.validate_body(route, req.json())
        if rules and not route.collects_spec_errors:
            raise ApiError(422, rules)
        if rules:
            req.spec_errors = rules
            return _handle_with_spec_errors(req, route)
    resp = route.handler(req)
    messy = state.get("untidy")
    if messy:
        resp.body = untidy.apply(route.method, route.pattern, resp.status, resp.body, messy)
    return resp


def _handle_with_spec_errors(req: Request, route: Route) -> Response:
    """Run a handler that refuses the body's rule breaks together with its own errors. Its own 422 already
    holds them and a 400 (a body it could not read) comes first; any other refusal (404, 409, 429) would
    have come after the spec check, so the rule breaks are the answer, as for every other route."""
    try:
        route.handler(req)
    except ApiError as exc:
        if exc.status in (400, 422):
            raise
        raise ApiError(422, req.spec_errors) from exc
    # The handler stored a body that breaks the spec: a bug in the emulator, not an answer to give.
    raise RuntimeError(f"{route.name} accepted a body with rule breaks: {[e.path for e in req.spec_errors]}")


class Handler(BaseHTTPRequestHandler):
    server_version = "AllegroEmulator/1.0"
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one write with TCP_NODELAY: with Nagle's algorithm a body sent after the
    # headers waited for the client's delayed ACK (~40 ms per keep-alive request).
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # noqa: A002 — the request log is in state.record
        pass

    def _handle(self) -> None:
        started = time.monotonic()
        trace_id = uuid.uuid4().hex
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        host = self.headers.get("Host") or f"{self.server.server_address[0]}:{self.server.server_address[1]}"
        req = Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers=self.headers,
            body=body,
            base_url=f"http://{host}",
        )
        public = not req.path.startswith("/_emulator/")
        if public:
            state.request_started()
        try:
            self._answer(req, started, trace_id)
        finally:
            if public:
                state.request_finished()

    def _answer(self, req: Request, started: float, trace_id: str) -> None:
        error_media = PUBLIC
        try:
            try:
                resp = dispatch(req)
            finally:
                if req.route is not None:
                    error_media = req.route.error_media or (req.route.media[0] if req.route.media else JSON)
                if req.path.startswith("/_emulator/"):
                    error_media = JSON
        except ApiError as exc:
            status = openapi.documented_status(req.route, exc.status)
            resp = Response.json(exc.body(req.lang), status, media=error_media, headers=exc.headers)
        except AuthError as exc:
            resp = Response.json(exc.body(), exc.status, media=error_media)
        except Exception:
            traceback.print_exc()
            resp = Response.json(
                error(500, "InternalServerError", "Internal server error", pl="Błąd serwera.").body(req.lang),
                500,
                media=error_media,
            )
        finally:
            db.close_thread_connection()
        if resp.body and resp.content_type is None:
            resp.content_type = req.route.media[0] if req.route and req.route.media else JSON
        # Logged before the answer goes out: a client that reads the request log right after getting its
        # answer always finds its own request there.
        state.record(
            method=self.command,
            path=req.path,
            query=req.query,
            status=resp.status,
            started=started,
            route=req.route.name if req.route else None,
            seller_id=req.seller_id,
            client_id=req.client_id,
        )
        self.send_response(resp.status)
        self.send_header("trace-id", trace_id)
        if resp.body or resp.status not in (204, 304):
            self.send_header("Content-Length", str(len(resp.body)))
        if resp.content_type:
            self.send_header("Content-Type", resp.content_type)
        for k, v in resp.headers.items():
            self.send_header(k, v)
        self._headers_buffer.append(b"\r\n")
        if resp.body and self.command != "HEAD":
            self._headers_buffer.append(resp.body)
        self.flush_headers()

    def __getattr__(self, name: str):
        # Every method reaches dispatch (OPTIONS, TRACE, anything): an unknown one gets Allegro's JSON 405
        # or 404, not the standard library's 501 HTML page.
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256
