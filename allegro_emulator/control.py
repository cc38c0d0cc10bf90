"""Control API under /_emulator/ (JSON in and out, no auth). Other areas add their own control routes
with `@control(...)` (or `@route("POST", "/_emulator/...", control=True, auth=None, media=())`): orders.py has
purchases and checkout-forms, offers.py has offers/bulk, offers/<id>/end and state/offers. There are no
placeholders here: a method and path can be registered only once (routing.route raises on a duplicate), so no
import order can let a stub answer instead of the real handler."""

from __future__ import annotations

import json
import re

from . import clock, db, seed, state, untidy
from .errors import error
from .routing import JSON, Request, Response, route

# A reset first lets the requests still being answered finish (a fault's delay outlives its client's timeout).
RESET_IDLE_WAIT_SECONDS = 10


def _body(req: Request) -> dict:
    if not req.body:
        return {}
    try:
        data = json.loads(req.body)
    except ValueError:
        raise error(400, "BAD_JSON", "Malformed JSON")
    if not isinstance(data, dict):
        raise error(400, "BAD_JSON", "A JSON object is expected")
    return data


def ok(data) -> Response:
    return Response.json(data, media=JSON)


def control(method: str, path: str):
    """Decorator for control routes: `@control("POST", "/_emulator/purchases")`."""
    return route(method, path, auth=None, media=(), control=True, raw_body=True)


@control("GET", "/_emulator/health")
def health(req: Request) -> Response:
    db.one("SELECT 1")
    return ok({"status": "ok", "time": clock.iso(), "clock_offset_seconds": clock.offset()})


@control("POST", "/_emulator/reset")
def reset(req: Request) -> Response:
    state.wait_idle(timeout=RESET_IDLE_WAIT_SECONDS)
    seed.reset()
    return ok({"status": "reset"})


@control("POST", "/_emulator/apps")
def apps(req: Request) -> Response:
    b = _body(req)
    if not b.get("client_id") or not b.get("client_secret") or not isinstance(b.get("redirect_uris", []), list):
        raise error(400, "BAD_REQUEST", "client_id, client_secret and redirect_uris[] are required")
    with db.tx() as conn:
        seed.add_app(conn, b["client_id"], b["client_secret"], b.get("redirect_uris", []), b.get("name", ""))
    return Response.json({"client_id": b["client_id"]}, 201, media=JSON)


@control("POST", "/_emulator/sellers")
def sellers(req: Request) -> Response:
    b = _body(req)
    login = b.get("login")
    if not login or not re.match(r"^[\w.:-]{1,64}$", login):
        raise error(400, "BAD_REQUEST", "login is required")
    with db.tx() as conn:
        if conn.execute("SELECT 1 FROM sellers WHERE login = ?", (login,)).fetchone():
            raise error(409, "CONFLICT", "login already exists")
        fields = {k: b[k] for k in ("first_name", "last_name", "email", "company_name", "tax_id", "features") if k in b}
        seller_id = seed.add_seller(conn, login, seller_id=b.get("id"), **fields)
    return Response.json({"id": seller_id, "login": login}, 201, media=JSON)


@control("POST", "/_emulator/clock")
def clock_move(req: Request) -> Response:
    b = _body(req)
    try:
        seconds = float(b.get("seconds", 0))
    except (TypeError, ValueError):
        raise error(400, "BAD_REQUEST", "seconds must be a number")
    clock.advance(seconds)
    return ok({"time": clock.iso(), "clock_offset_seconds": clock.offset()})


@control("GET", "/_emulator/clock")
def clock_get(req: Request) -> Response:
    return ok({"time": clock.iso(), "clock_offset_seconds": clock.offset()})


@control("POST", "/_emulator/faults")
def faults_add(req: Request) -> Response:
    b = _body(req)
    if not b.get("path_regex"):
        raise error(400, "BAD_REQUEST", "path_regex is required")
    try:
        fault = state.add_fault(b)
    except re.error as exc:
        raise error(400, "BAD_REQUEST", f"bad path_regex: {exc}")
    return Response.json(fault, 201, media=JSON)


@control("GET", "/_emulator/faults")
def faults_list(req: Request) -> Response:
    return ok({"faults": state.list_faults()})


@control("DELETE", "/_emulator/faults")
def faults_clear(req: Request) -> Response:
    state.clear_faults()
    return ok({"faults": []})


@control("POST", "/_emulator/settings")
def settings_update(req: Request) -> Response:
    b = _body(req)
    unknown = set(b) - set(state.DEFAULT_SETTINGS)
    if unknown:
        raise error(400, "BAD_REQUEST", f"unknown settings: {sorted(unknown)}")
    problem = untidy.check_settings(b["untidy"]) if "untidy" in b else None
    if problem:
        raise error(400, "BAD_REQUEST", problem)
    return ok(state.update(b))


@control("GET", "/_emulator/settings")
def settings_get(req: Request) -> Response:
    return ok(state.settings())


@control("GET", "/_emulator/stats")
def stats(req: Request) -> Response:
    return ok(state.stats())


@control("GET", "/_emulator/requests")
def requests_log(req: Request) -> Response:
    since = int(req.arg("since", "0") or 0)
    entries = state.requests_since(since)
    return ok({"requests": entries, "last": entries[-1]["seq"] if entries else since})
