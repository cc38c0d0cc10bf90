"""Batch offer commands: publication, price change, quantity change, modification and the
beta bulk modification. Idempotent by the client's UUID (same body → same report, other body → 409).

Each offer in a command becomes a `command_tasks` row with `run_at = created + command_task_seconds`;
due tasks are applied lazily (offers.sweep() runs `apply_due` at the start of every offers/commands
request), in command order, or latest command first with the setting `commands_out_of_order: true`.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import defaultdict, deque
from decimal import Decimal, InvalidOperation
from typing import Any

from . import clock, db, offer_events, offers, state
from .errors import ApiError, ErrorItem, error, validation
from .routing import BETA, PUBLIC, Request, Response, route

MAX_OFFERS_PER_CRITERION = 1000
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
KINDS = {
    "offer-publication-commands": "PUBLICATION",
    "offer-price-change-commands": "PRICE_CHANGE",
    "offer-quantity-change-commands": "QUANTITY_CHANGE",
    "offer-modification-commands": "MODIFICATION",
    "offer-bulk-modification-commands": "BULK_MODIFICATION",
}
FIELD = {
    "PUBLICATION": "publication",
    "PRICE_CHANGE": "price",
    "QUANTITY_CHANGE": "stock",
    "MODIFICATION": "modification",
}
# spec: publication/quantity/modification share one budget, price/bulk another (offer changes per minute)
LIMIT_GROUP = {
    "PUBLICATION": "a",
    "QUANTITY_CHANGE": "a",
    "MODIFICATION": "a",
    "PRICE_CHANGE": "b",
    "BULK_MODIFICATION": "b",
}

# Settings this area adds (POST /_emulator/settings): apply later commands first; the loose per-user limit.
for _settings in (state.DEFAULT_SETTINGS, state.settings()):
    _settings.setdefault("commands_out_of_order", False)
    _settings["rate_limits"].setdefault("command_offer_changes_per_minute", 9000)

_rate_lock = threading.Lock()
_rate: dict[str, deque] = defaultdict(deque)


def _check_rate(seller_id: str, kind: str, n: int) -> None:
    """Loose limit: a command is refused only when the last minute's offer changes already reached the limit."""
    limit = int(state.settings().get("rate_limits", {}).get("command_offer_changes_per_minute", 9000))
    key = f"{seller_id}:{LIMIT_GROUP[kind]}"
    now = clock.ts()
    with _rate_lock:
        window = _rate[key]
        while window and window[0][0] <= now - 60:
            window.popleft()
        if sum(c for _, c in window) >= limit:
            raise error(429, "TooManyRequestsException", "Too many offer changes in commands (per-user limit)",
                        pl="Przekroczono limit zmian ofert w komendach. Spróbuj ponownie za chwilę.")  # fmt: skip
        window.append((now, n))


def _v(path: str, message: str, pl: str) -> ErrorItem:
    return validation(path, message, pl)


def _criteria_offer_ids(body: dict) -> list[str]:
    criteria = body.get("offerCriteria")
    if not isinstance(criteria, list) or not criteria:
        raise ApiError(422, _v("offerCriteria", "offerCriteria must not be empty", "Brak ofert w komendzie."))
    out: list[str] = []
    for i, crit in enumerate(criteria):
        if not isinstance(crit, dict) or crit.get("type") != "CONTAINS_OFFERS":
            raise ApiError(
                422,
                _v(f"offerCriteria[{i}].type", "Only CONTAINS_OFFERS is supported", "Nieobsługiwany typ kryterium."),
            )
        items = crit.get("offers")
        if not isinstance(items, list) or not items:
            raise ApiError(422, _v(f"offerCriteria[{i}].offers", "offers must not be empty", "Brak ofert w kryterium."))
        if len(items) > MAX_OFFERS_PER_CRITERION:
            raise ApiError(
                422,
                _v(f"offerCriteria[{i}].offers", f"Too many offers: {len(items)}, at most {MAX_OFFERS_PER_CRITERION} per criterion",
                   "Za dużo ofert w komendzie (maksymalnie 1000)."),
            )  # fmt: skip
        for j, item in enumerate(items):
            oid = item.get("id") if isinstance(item, dict) else None
            if not isinstance(oid, str) or not oid:
                raise ApiError(
                    422, _v(f"offerCriteria[{i}].offers[{j}].id", "Offer id is required", "Brak identyfikatora oferty.")
                )
            out.append(oid)
    return out


def _money_ok(money: Any) -> bool:
    return (
        isinstance(money, dict)
        and isinstance(money.get("amount"), str)
        and bool(offers.PRICE_RE.match(money["amount"]))
        and money.get("currency", "PLN") == "PLN"
    )


def _validate(kind: str, body: dict) -> list[tuple[str, str | None, dict]]:
    """→ [(offer_id, field, payload)] one per task; raises 422 on a bad body."""
    if kind == "BULK_MODIFICATION":
        mods = body.get("modifications")
        if not isinstance(mods, list) or not 1 <= len(mods) <= 25:
            raise ApiError(
                422, _v("modifications", "A command needs 1 to 25 modifications", "Komenda musi mieć 1–25 modyfikacji.")
            )
        tasks = []
        for i, mod in enumerate(mods):
            if not isinstance(mod, dict) or not mod.get("offerId"):
                raise ApiError(
                    422, _v(f"modifications[{i}].offerId", "offerId is required", "Brak identyfikatora oferty.")
                )
            prices = mod.get("prices")
            stock = mod.get("stock")
            if prices is None and stock is None:
                raise ApiError(422, _v(f"modifications[{i}]", "Give prices or stock", "Podaj cenę lub liczbę sztuk."))
            if prices is not None:
                change = (prices or {}).get("allegro-pl") if isinstance(prices, dict) else None
                if not isinstance(change, dict) or change.get("changeType") not in ("FIXED", "GAIN", "PERCENTAGE"):
                    raise ApiError(422, _v(f"modifications[{i}].prices", "prices.allegro-pl.changeType must be FIXED, GAIN or PERCENTAGE",
                                           "Nieprawidłowa zmiana ceny."))  # fmt: skip
                if change["changeType"] == "FIXED" and not _money_ok(change.get("value")):
                    raise ApiError(
                        422, _v(f"modifications[{i}].prices.allegro-pl.value", "Invalid price", "Nieprawidłowa cena.")
                    )
                tasks.append((str(mod["offerId"]), "prices", {"prices": change}))
            if stock is not None:
                if (
                    not isinstance(stock, dict)
                    or stock.get("changeType") not in ("FIXED", "GAIN")
                    or not isinstance(stock.get("value"), int)
                ):
                    raise ApiError(422, _v(f"modifications[{i}].stock", "stock needs changeType FIXED|GAIN and an integer value",
                                           "Nieprawidłowa zmiana liczby sztuk."))  # fmt: skip
                if stock["changeType"] == "FIXED" and stock["value"] < 0:
                    raise ApiError(
                        422, _v(f"modifications[{i}].stock.value", "Stock must be ≥ 0", "Liczba sztuk musi być ≥ 0.")
                    )
                tasks.append((str(mod["offerId"]), "stock", {"stock": stock}))
        return tasks
    offer_ids = _criteria_offer_ids(body)
    if kind == "PUBLICATION":
        pub = body.get("publication") or {}
        if pub.get("action") not in ("ACTIVATE", "END"):
            raise ApiError(
                422, _v("publication.action", "publication.action must be ACTIVATE or END", "Nieprawidłowa akcja.")
            )
        if pub.get("scheduledFor") is not None:
            try:
                clock.parse_iso(pub["scheduledFor"])
            except (TypeError, ValueError):
                raise ApiError(422, _v("publication.scheduledFor", "Invalid date", "Nieprawidłowa data."))
    elif kind == "PRICE_CHANGE":
        mod = body.get("modification") or {}
        t = mod.get("type")
        if t == "FIXED_PRICE":
            if not _money_ok(mod.get("price")):
                raise ApiError(422, _v("modification.price", "Invalid price", "Nieprawidłowa cena."))
        elif t in ("INCREASE_PRICE", "DECREASE_PRICE"):
            if not _money_ok(mod.get("value")):
                raise ApiError(422, _v("modification.value", "Invalid amount", "Nieprawidłowa kwota."))
        elif t in ("INCREASE_PERCENTAGE", "DECREASE_PERCENTAGE"):
            try:
                ok = Decimal(str(mod.get("percentage"))) > 0
            except InvalidOperation:
                ok = False
            if not ok:
                raise ApiError(
                    422, _v("modification.percentage", "Invalid percentage", "Nieprawidłowa wartość procentowa.")
                )
        else:
            raise ApiError(
                422, _v("modification.type", f"Unknown modification type '{t}'", "Nieznany typ zmiany ceny.")
            )
    elif kind == "QUANTITY_CHANGE":
        mod = body.get("modification") or {}
        value = mod.get("value")
        if mod.get("changeType") not in ("FIXED", "GAIN") or not isinstance(value, int) or isinstance(value, bool):
            raise ApiError(422, _v("modification", "modification needs changeType FIXED|GAIN and an integer value",
                                   "Nieprawidłowa zmiana liczby sztuk."))  # fmt: skip
        if mod["changeType"] == "FIXED" and value <= 0:
            raise ApiError(422, _v("modification.value", "FIXED quantity must be greater than 0; end the offer instead",
                                   "Liczba sztuk musi być większa od 0."))  # fmt: skip
    elif kind == "MODIFICATION":
        mod = body.get("modification")
        if not isinstance(mod, dict) or not mod:
            raise ApiError(422, _v("modification", "modification must not be empty", "Brak zmian w komendzie."))
        ht = (mod.get("delivery") or {}).get("handlingTime")
        if ht is not None and ht not in offers.HANDLING_TIMES:
            raise ApiError(
                422, _v("modification.delivery.handlingTime", "Handling time not allowed", "Niedozwolony czas wysyłki.")
            )
        loc = mod.get("location") or {}
        if loc.get("province") is not None and loc["province"] not in offers.PROVINCES:
            raise ApiError(422, _v("modification.location.province", "Unknown province", "Nieprawidłowe województwo."))
        if loc.get("postCode") is not None and not offers.POSTCODE_RE.match(str(loc["postCode"])):
            raise ApiError(
                422,
                _v("modification.location.postCode", "Post code must look like NN-NNN", "Nieprawidłowy kod pocztowy."),
            )
    return [(oid, FIELD[kind], {}) for oid in offer_ids]


def _create(req: Request, kind: str, command_id: str, body: Any) -> Response:
    if not UUID_RE.match(command_id):
        raise error(422, "VALIDATION_ERROR", "The command id must be a UUID", pl="Identyfikator komendy musi być UUID.")
    if not isinstance(body, dict):
        raise error(400, "JsonMappingException", "A JSON object is expected", pl="Oczekiwano obiektu JSON.")
    offers.sweep()
    # Key order means nothing in JSON (a client storing the body in jsonb resends it with its keys reordered).
    body_hash = hashlib.sha256(json.dumps({"kind": kind, "body": body}, sort_keys=True).encode()).hexdigest()
    existing = db.one("SELECT * FROM commands WHERE id = ?", (command_id,))
    if existing is not None:
        if existing["seller_id"] == req.seller_id and existing["body_hash"] == body_hash:
            return Response.json(report(existing), 201)
        raise error(409, "CommandAlreadyExistsException", f"Command {command_id} already exists with different content",
                    pl="Komenda o tym identyfikatorze już istnieje.")  # fmt: skip
    tasks = _validate(kind, body)
    _check_rate(req.seller_id, kind, len(tasks))
    now = clock.iso()
    run_at = offers._iso_plus(now, float(state.get("command_task_seconds") or 0))
    with db.tx() as conn:
        if conn.execute("SELECT 1 FROM commands WHERE id = ?", (command_id,)).fetchone():
            raise error(
                409, "CommandAlreadyExistsException", f"Command {command_id} already exists", pl="Komenda już istnieje."
            )
        conn.execute(
            "INSERT INTO commands(id, seller_id, kind, body, body_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (command_id, req.seller_id, kind, db.dumps(body), body_hash, now),
        )
        conn.executemany(
            "INSERT INTO command_tasks(command_id, position, offer_id, field, status, errors, scheduled_at, run_at) "
            "VALUES (?, ?, ?, ?, 'NEW', ?, ?, ?)",
            [
                (command_id, i, oid, field, db.dumps(payload), now, run_at)
                for i, (oid, field, payload) in enumerate(tasks)
            ],
        )
    state.incr("commands_run")
    if run_at <= now:
        apply_due()
    row = db.one("SELECT * FROM commands WHERE id = ?", (command_id,))
    return Response.json(report(row), 201)


def report(row: Any) -> dict:
    counts = db.one(
        "SELECT COUNT(*) AS total, SUM(status = 'SUCCESS') AS ok, SUM(status = 'FAIL') AS failed "
        "FROM command_tasks WHERE command_id = ?",
        (row["id"],),
    )
    return {
        "id": row["id"],
        "createdAt": row["created_at"],
        "completedAt": row["completed_at"],
        "taskCount": {"total": counts["total"] or 0, "success": counts["ok"] or 0, "failed": counts["failed"] or 0},
    }


def _own_command(req: Request, kind: str) -> Any:
    offers.sweep()
    row = db.one("SELECT * FROM commands WHERE id = ? AND kind = ?", (req.params["commandId"], kind))
    if row is None or row["seller_id"] != req.seller_id:
        raise error(404, "CommandNotFoundException", "Command not found", pl="Nie znaleziono komendy.")
    return row


def _tasks(req: Request, kind: str) -> Response:
    row = _own_command(req, kind)
    limit = req.int_arg("limit", 100, minimum=1, maximum=1000)
    offset = req.int_arg("offset", 0, minimum=0)
    rows = db.query(
        "SELECT * FROM command_tasks WHERE command_id = ? ORDER BY position LIMIT ? OFFSET ?",
        (row["id"], limit, offset),
    )
    out = []
    for t in rows:
        errors = (
            [e for e in (db.loads(t["errors"]) or []) if isinstance(e, dict) and "code" in e]
            if t["status"] == "FAIL"
            else []
        )
        if kind == "BULK_MODIFICATION":
            out.append({"subject": {"offerId": t["offer_id"], "field": t["field"]}, "status": t["status"],
                        "message": t["message"] or "", "errors": errors})  # fmt: skip
        else:
            item = {"offer": {"id": t["offer_id"]}, "field": t["field"], "status": t["status"],
                    "message": t["message"] or "", "errors": errors, "scheduledAt": t["scheduled_at"]}  # fmt: skip
            if t["finished_at"]:
                item["finishedAt"] = t["finished_at"]
            out.append(item)
    return Response.json({"tasks": out})


# Execution -------------------------------------------------------------------------------------------------
class TaskFailed(Exception):
    def __init__(self, code: str, message: str, pl: str):
        super().__init__(message)
        self.item = {"code": code, "message": message, "details": None, "path": None, "userMessage": pl, "metadata": {}}


def _fail_not_found(offer_id: str) -> TaskFailed:
    return TaskFailed("OfferNotFoundException", f"Offer {offer_id} not found", "Nie znaleziono oferty.")


def _new_price(current: str | None, mod: dict) -> str:
    base = Decimal(current or "0")
    t = mod["type"]
    if t == "FIXED_PRICE":
        value = Decimal(mod["price"]["amount"])
    elif t in ("INCREASE_PRICE", "DECREASE_PRICE"):
        delta = Decimal(mod["value"]["amount"])
        value = base + delta if t == "INCREASE_PRICE" else base - delta
    else:
        pct = Decimal(str(mod["percentage"])) / 100
        value = base * (1 + pct) if t == "INCREASE_PERCENTAGE" else base * (1 - pct)
    value = value.quantize(Decimal("0.01"))
    if value <= 0:
        raise TaskFailed(
            "VALIDATION_ERROR", "The resulting price must be greater than 0", "Cena musi być większa od 0."
        )
    return f"{value}"


def _set_price(conn, row: Any, amount: str) -> None:
    if amount == row["price_amount"]:
        return
    now = clock.iso()
    conn.execute(
        "UPDATE offers SET price_amount = ?, updated_at = ?, last_edit_at = ? WHERE id = ?",
        (amount, now, now, row["id"]),
    )
    if row["status"] in offers.ACTIVE_STATES:
        offer_events.emit(row["seller_id"], "OFFER_PRICE_CHANGED", offers._reload(conn, row["id"]))


def _set_stock(conn, row: Any, value: int) -> None:
    if value < 0:
        raise TaskFailed(
            "VALIDATION_ERROR", "The resulting stock must not be negative", "Liczba sztuk nie może być ujemna."
        )
    if value == row["stock_available"]:
        return
    now = clock.iso()
    conn.execute(
        "UPDATE offers SET stock_available = ?, updated_at = ?, last_edit_at = ? WHERE id = ?",
        (value, now, now, row["id"]),
    )
    if row["status"] in offers.ACTIVE_STATES:
        updated = offers._reload(conn, row["id"])
        offer_events.emit(row["seller_id"], "OFFER_STOCK_CHANGED", updated)
        if value == 0:
            offers.end_offer(conn, updated, "EMPTY_STOCK")


def _modify(conn, row: Any, mod: dict) -> None:
    data = db.loads(row["data"])
    content_changed = False
    cols: dict[str, Any] = {}
    delivery = dict(data.get("delivery") or {})
    if "delivery" in mod:
        d = mod["delivery"] or {}
        if (d.get("shippingRates") or {}).get("id"):
            rid = d["shippingRates"]["id"]
            if not conn.execute(
                "SELECT 1 FROM shipping_rate_sets WHERE id = ? AND seller_id = ?", (rid, row["seller_id"])
            ).fetchone():
                raise TaskFailed(
                    "ShippingRatesNotFoundException", "Shipping rates not found", "Nie znaleziono cennika."
                )
            delivery["shippingRates"] = {"id": rid}
            cols["shipping_rates_id"] = rid
        if d.get("handlingTime"):
            delivery["handlingTime"] = d["handlingTime"]
        data["delivery"] = delivery
    if "location" in mod:
        data["location"] = {**(data.get("location") or {}), **(mod["location"] or {})}
        content_changed = True
    if "payments" in mod:
        payments = mod["payments"] or {}
        if payments.get("invoice"):
            data["payments"] = {**(data.get("payments") or {}), "invoice": payments["invoice"]}
        if (payments.get("tax") or {}).get("percentage"):
            data["taxSettings"] = {
                "rates": [{"rate": str(payments["tax"]["percentage"]), "countryCode": "PL"}],
                "subject": "GOODS",
            }
        content_changed = True
    if "publication" in mod:
        pub = mod["publication"] or {}
        duration = None if pub.get("durationUnlimited") else pub.get("duration", row["duration"])
        seconds = offers.duration_seconds(duration)
        if seconds == -1 or (
            seconds is not None
            and (seconds % 86400 or seconds // 86400 not in offers.DURATION_DAYS.get(row["format"], set()))
        ):
            raise TaskFailed(
                "VALIDATION_ERROR",
                f"Duration {duration} is not allowed for {row['format']}",
                "Niedozwolony czas trwania.",
            )
        if row["format"] != "BUY_NOW" and duration is None:
            raise TaskFailed("VALIDATION_ERROR", f"{row['format']} offers need a duration", "Podaj czas trwania.")
        data.setdefault("publication", {})["duration"] = duration
        cols["duration"] = duration
        if row["status"] == "ACTIVE":
            cols["ending_at"] = offers._iso_plus(row["started_at"], seconds) if seconds else None
    for key in ("additionalServicesGroup", "sizeTable"):
        if key in mod:
            data["additionalServices" if key == "additionalServicesGroup" else key] = mod[key]
            content_changed = True
    if "discounts" in mod:
        data["discounts"] = {**(data.get("discounts") or {}), **(mod["discounts"] or {})}
        content_changed = True
    product_set = data.get("productSet") or [{}]
    first = dict(product_set[0] or {})
    for key in ("responsibleProducer", "responsiblePerson", "safetyInformation"):
        if key in mod:
            first[key] = mod[key]
            content_changed = True
    data["productSet"] = [first, *product_set[1:]]
    now = clock.iso()
    sets = ", ".join(f"{k} = ?" for k in cols)
    conn.execute(
        f"UPDATE offers SET data = ?, updated_at = ?, last_edit_at = ?{', ' + sets if sets else ''} WHERE id = ?",
        (db.dumps(data), now, now, *cols.values(), row["id"]),
    )
    if content_changed and row["status"] in offers.ACTIVE_STATES:
        offer_events.emit(row["seller_id"], "OFFER_CHANGED", offers._reload(conn, row["id"]))


def _run_task(conn, command: Any, body: dict, task: Any) -> None:
    row = conn.execute("SELECT * FROM offers WHERE id = ?", (task["offer_id"],)).fetchone()
    if row is None or row["seller_id"] != command["seller_id"] or row["archived_at"] is not None:
        raise _fail_not_found(task["offer_id"])
    kind = command["kind"]
    if kind == "PUBLICATION":
        pub = body["publication"]
        if pub["action"] == "END":
            if row["status"] == "INACTIVE":
                raise TaskFailed(
                    "OfferNotActiveException", "A draft (INACTIVE offer) cannot be ended", "Nie można zakończyć szkicu."
                )
            offers.end_offer(conn, row, "USER")
            return
        if row["status"] == "ACTIVE":
            return
        if row["stock_available"] < 1:
            raise TaskFailed("VALIDATION_ERROR", "An offer with no stock cannot be activated; raise the stock first",
                             "Nie można wystawić oferty bez dostępnych sztuk.")  # fmt: skip
        problems = (db.loads(row["validation"]) or {}).get("errors") or []
        if problems:
            raise TaskFailed(problems[0].get("code") or "VALIDATION_ERROR", problems[0].get("message") or "Offer is not valid",
                             problems[0].get("userMessage") or "Oferta zawiera błędy.")  # fmt: skip
        scheduled = pub.get("scheduledFor")
        offers.activate_offer(conn, row, at=clock.iso(clock.parse_iso(scheduled)) if scheduled else None)
    elif kind == "PRICE_CHANGE":
        _set_price(conn, row, _new_price(row["price_amount"], body["modification"]))
    elif kind == "QUANTITY_CHANGE":
        mod = body["modification"]
        value = mod["value"] if mod["changeType"] == "FIXED" else row["stock_available"] + mod["value"]
        _set_stock(conn, row, value)
    elif kind == "MODIFICATION":
        _modify(conn, row, body["modification"])
    elif kind == "BULK_MODIFICATION":
        payload = db.loads(task["errors"]) or {}
        if "prices" in payload:
            change = payload["prices"]
            t, value = change["changeType"], change.get("value")
            base = Decimal(row["price_amount"] or "0")
            if t == "FIXED":
                amount = Decimal(value["amount"])
            elif t == "GAIN":
                amount = base + Decimal(str((value or {}).get("amount", value)))
            else:
                amount = base * (1 + Decimal(str(change.get("percentage", value))) / 100)
            amount = amount.quantize(Decimal("0.01"))
            if amount <= 0:
                raise TaskFailed(
                    "VALIDATION_ERROR", "The resulting price must be greater than 0", "Cena musi być większa od 0."
                )
            _set_price(conn, row, f"{amount}")
        else:
            stock = payload["stock"]
            value = stock["value"] if stock["changeType"] == "FIXED" else row["stock_available"] + stock["value"]
            _set_stock(conn, row, value)


def apply_due() -> None:
    """Execute every NEW task whose run_at has passed, in one transaction."""
    now = clock.iso()
    if db.one("SELECT 1 FROM command_tasks WHERE status = 'NEW' AND run_at <= ? LIMIT 1", (now,)) is None:
        return
    order = "DESC" if state.settings().get("commands_out_of_order") else "ASC"
    with db.tx() as conn:
        tasks = conn.execute(
            "SELECT t.*, c.rowid AS cmd_seq FROM command_tasks t JOIN commands c ON c.id = t.command_id "
            f"WHERE t.status = 'NEW' AND t.run_at <= ? ORDER BY c.rowid {order}, t.position",
            (now,),
        ).fetchall()
        commands: dict[str, tuple[Any, dict]] = {}
        for task in tasks:
            if task["command_id"] not in commands:
                cmd = conn.execute("SELECT * FROM commands WHERE id = ?", (task["command_id"],)).fetchone()
                commands[task["command_id"]] = (cmd, db.loads(cmd["body"]))
            cmd, body = commands[task["command_id"]]
            conn.execute("SAVEPOINT task")
            try:
                _run_task(conn, cmd, body, task)
            except TaskFailed as exc:
                conn.execute("ROLLBACK TO task")
                conn.execute(
                    "UPDATE command_tasks SET status = 'FAIL', message = ?, errors = ?, finished_at = ? "
                    "WHERE command_id = ? AND position = ?",
                    (str(exc), db.dumps([exc.item]), now, task["command_id"], task["position"]),
                )
            else:
                conn.execute(
                    "UPDATE command_tasks SET status = 'SUCCESS', message = '', errors = '[]', finished_at = ? "
                    "WHERE command_id = ? AND position = ?",
                    (now, task["command_id"], task["position"]),
                )
            conn.execute("RELEASE task")
        for command_id in commands:
            if not conn.execute(
                "SELECT 1 FROM command_tasks WHERE command_id = ? AND status = 'NEW' LIMIT 1", (command_id,)
            ).fetchone():
                conn.execute("UPDATE commands SET completed_at = ? WHERE id = ?", (now, command_id))


offers.SWEEP_HOOKS.append(apply_due)


# Routes ----------------------------------------------------------------------------------------------------
def _register(slug: str) -> None:
    kind = KINDS[slug]
    base = f"/sale/{slug}"

    def put(req: Request) -> Response:
        return _create(req, kind, req.params["commandId"], req.json())

    def get(req: Request) -> Response:
        return Response.json(report(_own_command(req, kind)))

    def tasks(req: Request) -> Response:
        return _tasks(req, kind)

    for fn, name in ((put, "put"), (get, "get"), (tasks, "tasks")):
        fn.__name__ = f"{slug.replace('-', '_')}_{name}"
    route("PUT", base + "/{commandId}", auth="user")(put)
    route("GET", base + "/{commandId}", auth="user")(get)
    route("GET", base + "/{commandId}/tasks", auth="user")(tasks)


for _slug in (
    "offer-publication-commands",
    "offer-price-change-commands",
    "offer-quantity-change-commands",
    "offer-modification-commands",
):
    _register(_slug)


@route("POST", "/sale/offer-bulk-modification-commands", auth="user", media=BETA)
def bulk_create(req: Request) -> Response:
    body = req.json()
    command_id = body.get("commandId") if isinstance(body, dict) else None
    if not isinstance(command_id, str) or not UUID_RE.match(command_id):
        raise ApiError(422, _v("commandId", "commandId must be a UUID", "commandId musi być identyfikatorem UUID."))
    return _create(req, "BULK_MODIFICATION", command_id, body)


@route("GET", "/sale/offer-bulk-modification-commands/{commandId}", auth="user", media=(PUBLIC, BETA))
def bulk_get(req: Request) -> Response:
    return Response.json(report(_own_command(req, "BULK_MODIFICATION")))


@route("GET", "/sale/offer-bulk-modification-commands/{commandId}/tasks", auth="user", media=(PUBLIC, BETA))
def bulk_tasks(req: Request) -> Response:
    return _tasks(req, "BULK_MODIFICATION")
