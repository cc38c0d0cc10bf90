"""Orders area: the order journal, checkout forms, fulfillment, shipments, and the control API that makes
buyers buy (`/_emulator/purchases`), replays real payloads (`/_emulator/checkout-forms`) and injects journal
faults (`/_emulator/order-events/...`). The public offer page is in offer_page.py.

Tables (db.SCHEMA): buyers, checkout_forms (data = the full CheckoutForm document; the columns beside it
are what the listing filters/sorts on), order_events (data = the full OrderEvent item as emitted; ids are
16-digit microsecond-like numeric strings, so text order is numeric order), shipments.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import re
import secrets
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from . import buyers, catalogue, clock, db, ids
from .errors import ApiError, error, validation
from .routing import JSON, ROUTES, Request, Response, route

EVENT_TYPES = (
    "BOUGHT",
    "FILLED_IN",
    "READY_FOR_PROCESSING",
    "BUYER_CANCELLED",
    "FULFILLMENT_STATUS_CHANGED",
    "BUYER_MODIFIED",
    "AUTO_CANCELLED",
)
FORM_STATUSES = ("BOUGHT", "FILLED_IN", "READY_FOR_PROCESSING", "CANCELLED")
FULFILLMENT_STATUSES = (
    "NEW",
    "PROCESSING",
    "READY_FOR_SHIPMENT",
    "READY_FOR_PICKUP",
    "SENT",
    "PICKED_UP",
    "CANCELLED",
    "SUSPENDED",
    "RETURNED",
)
RETENTION_SECONDS = 60 * 24 * 3600
ID_WIDTH = 16  # event ids are microsecond timestamps: 16 digits until the year 2286
WAYBILL_MAX_ORDERS = 5
DEFAULT_COURIER = "5d9c7838-e05f-4dec-afdd-58e884170ba7"  # Allegro Kurier24 InPost
DEFAULT_LOCKER = "2488f7b7-5d1c-4d65-b85c-4cbcf253fd93"  # Allegro Paczkomaty InPost
LOCKER_WORDS = ("paczkomat", "automat", "box", "punkt", "punkcie")
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
CENT = Decimal("0.01")


# helpers -------------------------------------------------------------------------------------------------
def _control(method: str, path: str):
    """A control route that wins over control.py's 501 placeholders whatever the import order."""

    def decorator(fn):
        route(method, path, auth=None, media=(), control=True, raw_body=True)(fn)
        ROUTES.insert(0, ROUTES.pop())
        return fn

    return decorator


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


def _ok(data, status: int = 200) -> Response:
    return Response.json(data, status, media=JSON)


def money(value) -> str:
    return str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def _price(amount, currency: str = "PLN") -> dict:
    return {"amount": money(amount), "currency": currency}


def _dig(doc, *path):
    for key in path:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(key)
    return doc


def _norm_time(value) -> str | None:
    """Any ISO-8601 timestamp → the emulator's `...T..:..:..mmmZ` UTC form (sortable); None if unparsable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = clock.parse_iso(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return clock.iso(moment)


def new_revision(old: str | None = None) -> str:
    while True:
        rev = secrets.token_hex(4)
        if rev != old:
            return rev


def _check_uuid(form_id: str) -> None:
    if not UUID_RE.match(form_id):
        raise error(
            422,
            "VALIDATION_ERROR",
            f"Invalid checkout form id: {form_id}",
            pl="Nieprawidłowy identyfikator formularza zamówienia.",
            path="id",
        )


def _not_found() -> ApiError:
    return error(404, "NOT_FOUND", "Checkout form not found", pl="Nie znaleziono zamówienia.")


def _form_row(conn, form_id: str, seller_id: str | None = None):
    row = conn.execute("SELECT * FROM checkout_forms WHERE id = ?", (form_id,)).fetchone()
    if row is None or (seller_id is not None and row["seller_id"] != seller_id):
        return None
    return row


# storing forms and emitting events -------------------------------------------------------------------------
def store_form(conn, seller_id: str, form: dict, *, key: str | None = None) -> str:
    """Insert or replace a checkout form document (kept as given); the columns are extracted defensively
    because replayed payloads may be malformed."""
    form_id = key or str(form.get("id") or "")
    line_items = form.get("lineItems") if isinstance(form.get("lineItems"), list) else []
    bought = sorted(t for t in (_norm_time(_dig(li, "boughtAt")) for li in line_items) if t)
    updated = form.get("updatedAt")
    conn.execute(
        "INSERT OR REPLACE INTO checkout_forms(id, seller_id, status, fulfillment_status, revision, buyer_id,"
        " buyer_login, delivery_method_id, payment_id, marketplace_id, bought_at, updated_at, line_items_sent, data)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            form_id,
            seller_id,
            str(form.get("status") or ""),
            _str_or_none(_dig(form, "fulfillment", "status")),
            str(form.get("revision") or ""),
            _str_or_none(_dig(form, "buyer", "id")),
            _str_or_none(_dig(form, "buyer", "login")),
            _str_or_none(_dig(form, "delivery", "method", "id")),
            _str_or_none(_dig(form, "payment", "id")),
            str(_dig(form, "marketplace", "id") or "allegro-pl"),
            bought[0] if bought else None,
            _norm_time(updated) or (updated if isinstance(updated, str) and updated else clock.iso()),
            str(_dig(form, "fulfillment", "shipmentSummary", "lineItemsSent") or "NONE"),
            db.dumps(form),
        ),
    )
    return form_id


def _str_or_none(value) -> str | None:
    return None if value is None else str(value)


def _touch(form: dict) -> None:
    """Every update changes the revision and updatedAt."""
    form["revision"] = new_revision(form.get("revision"))
    form["updatedAt"] = clock.iso()


def _event_order(seller_id: str, form_id: str, form: dict) -> dict:
    buyer = form.get("buyer") if isinstance(form.get("buyer"), dict) else {}
    items = []
    for li in form.get("lineItems") if isinstance(form.get("lineItems"), list) else []:
        if isinstance(li, dict):
            item = {k: li[k] for k in ("id", "offer", "quantity", "originalPrice", "price", "boughtAt") if k in li}
            if isinstance(item.get("offer"), dict):
                item["offer"] = {k: v for k, v in item["offer"].items() if k in ("id", "name", "external")}
            items.append(item)
    order = {
        "seller": {"id": seller_id},
        "buyer": {k: buyer[k] for k in ("id", "email", "login", "guest", "preferences") if k in buyer},
        "lineItems": items,
        "checkoutForm": {"id": form_id},
        "marketplace": {"id": str(_dig(form, "marketplace", "id") or "allegro-pl")},
    }
    if form.get("revision"):
        order["checkoutForm"]["revision"] = str(form["revision"])
    return order


def _occurred_at(event_id: str) -> str:
    return clock.iso(int(event_id) / 1_000_000)


def emit(conn, seller_id: str, form_id: str, form: dict, event_type: str, *, event_id: str | None = None) -> str:
    """Append one order event for the form's current state; returns its id."""
    eid = event_id or ids.event_id()
    # ids stay increasing across resets (ids.event_id), so occurredAt comes from the clock, not the id;
    # a late insert (explicit id) is dated by its id
    occurred = min(_occurred_at(eid), clock.iso()) if event_id else clock.iso()
    doc = {"id": eid, "occurredAt": occurred, "type": event_type, "order": _event_order(seller_id, form_id, form)}
    conn.execute(
        "INSERT INTO order_events(id, seller_id, type, occurred_at, checkout_form_id, data) VALUES (?,?,?,?,?,?)",
        (eid, seller_id, event_type, occurred, form_id, db.dumps(doc)),
    )
    return eid


# purchases ------------------------------------------------------------------------------------------------
def _record_sale(conn, offer_id: str, quantity: int, *, auction: bool) -> None:
    """offers.record_sale (stock, EMPTY_STOCK end, offer events). A won auction ends by EXPIRATION: the
    auction is over whatever stock it had (record_sale has no ended_by parameter, so the end reason is set
    here when it does not support one)."""
    from .offers import record_sale

    params = inspect.signature(record_sale).parameters
    if auction and "ended_by" in params:
        record_sale(offer_id, quantity, ended_by="EXPIRATION")
        return
    record_sale(offer_id, quantity)
    if auction:
        now = clock.iso()
        conn.execute(
            "UPDATE offers SET status = 'ENDED', ended_by = 'EXPIRATION', ended_at = COALESCE(ended_at, ?),"
            " updated_at = ? WHERE id = ?",
            (now, now, offer_id),
        )


def _offer_price(row, data: dict, auction: bool, override) -> Decimal:
    candidates = [override] if override not in (None, "") else []
    if auction:
        candidates += [
            _dig(data, "sellingMode", "price", "amount"),
            _dig(data, "sellingMode", "startingPrice", "amount"),
        ]
    candidates += [row["price_amount"], _dig(data, "sellingMode", "price", "amount")]
    for value in candidates:
        try:
            if value not in (None, ""):
                return Decimal(str(value))
        except InvalidOperation:
            continue
    return Decimal("0")


def _line_specs(b: dict) -> list[dict]:
    specs = b.get("line_items")
    if specs is None:
        specs = [{"offer_id": b.get("offer_id"), "quantity": b.get("quantity", 1), "price": b.get("price")}]
    problems = []
    if not isinstance(specs, list) or not specs:
        raise ApiError(422, validation("line_items", "line_items must be a non-empty list", "Pusta lista pozycji."))
    for i, spec in enumerate(specs):
        if not isinstance(spec, dict) or not spec.get("offer_id"):
            problems.append(validation(f"line_items[{i}].offer_id", "offer_id is required", "Brak offer_id."))
            continue
        qty = spec.get("quantity", 1)
        if not isinstance(qty, int) or isinstance(qty, bool) or qty < 1:
            problems.append(
                validation(f"line_items[{i}].quantity", "quantity must be a positive integer", "Nieprawidłowa liczba.")
            )
    if problems:
        raise ApiError(422, problems)
    return specs


def _is_locker(method: dict) -> bool:
    return any(w in method["name"].lower() for w in LOCKER_WORDS)


def _pickup_point(method: dict, city: str) -> dict:
    code = f"{city[:3].upper().replace('Ł', 'L')}{secrets.randbelow(900) + 100}M"
    name = method["name"]
    return {
        "id": code,
        "name": f"Paczkomat {code}" if "paczkomat" in name.lower() else f"Punkt odbioru {code}",
        "description": "Przy sklepie spożywczym, obok parkingu",
        "address": {
            "street": f"ul. {buyers._rng.choice(buyers.STREETS)} {secrets.randbelow(90) + 1}",
            "zipCode": f"{secrets.randbelow(90) + 10:02d}-{secrets.randbelow(1000):03d}",
            "city": city,
            "countryCode": "PL",
        },
    }


def _delivery(b: dict, buyer: dict, packages: int) -> tuple[dict, dict]:
    method_id = b.get("delivery_method_id")
    if method_id:
        method = catalogue.delivery_method(str(method_id))
        if method is None:
            raise ApiError(422, validation("delivery_method_id", "Unknown delivery method", "Nieznana metoda dostawy."))
    else:
        method = catalogue.delivery_method(DEFAULT_LOCKER if b.get("pickup_point") else DEFAULT_COURIER)
    cod = method["paymentPolicy"] == "CASH_ON_DELIVERY"
    locker = _is_locker(method)
    cost = Decimal(str(b.get("delivery_cost") or ("9.99" if locker else "14.99")))
    if cod:
        cost += Decimal("5.00")
    now = clock.now()
    addr = buyer.get("address") or buyers.address()
    delivery = {
        "address": {
            "firstName": buyer.get("firstName") or "Jan",
            "lastName": buyer.get("lastName") or "Nowak",
            "street": addr["street"],
            "city": addr["city"],
            "zipCode": addr["postCode"],
            "countryCode": addr.get("countryCode", "PL"),
            "companyName": buyer.get("companyName"),
            "phoneNumber": buyer.get("phoneNumber") or buyers.phone(),
            "modifiedAt": None,
        },
        "method": {"id": method["id"], "name": method["name"]},
        "pickupPoint": None,
        "cost": _price(cost),
        "time": {
            "from": clock.iso(now + dt.timedelta(days=1)),
            "to": clock.iso(now + dt.timedelta(days=3)),
            "guaranteed": None,
            "dispatch": {"from": clock.iso(now), "to": clock.iso(now + dt.timedelta(days=1))},
        },
        "smart": bool(b.get("smart", method.get("allegroEndorsed", False))),
        "cancellation": None,
        "calculatedNumberOfPackages": packages,
    }
    if locker:
        delivery["pickupPoint"] = _pickup_point(method, addr["city"])
    return delivery, method


def _invoice(b: dict, buyer: dict) -> dict:
    spec = b.get("invoice")
    if not spec:
        return {"required": False, "address": None, "dueDate": None, "features": []}
    addr = buyer.get("address") or buyers.address()
    company = {
        "name": buyer.get("companyName") or buyers.company_name(buyer.get("lastName") or "Nowak"),
        "ids": [{"type": "PL_NIP", "value": buyers.nip()}],
        "vatPayerStatus": "ACTIVE",
    }
    address = {"street": addr["street"], "city": addr["city"], "zipCode": addr["postCode"], "countryCode": "PL"}
    if isinstance(spec, dict):
        if spec.get("naturalPerson") or spec.get("company") is None and spec.get("natural_person"):
            address["company"] = None
            address["naturalPerson"] = {"firstName": buyer.get("firstName", ""), "lastName": buyer.get("lastName", "")}
            return {"required": True, "address": address, "dueDate": None, "features": []}
        given = spec.get("company") if isinstance(spec.get("company"), dict) else spec
        if given.get("name"):
            company["name"] = given["name"]
        if given.get("nip") or given.get("taxId"):
            company["ids"] = [{"type": "PL_NIP", "value": str(given.get("nip") or given.get("taxId"))}]
        if isinstance(given.get("ids"), list):
            company["ids"] = given["ids"]
        if given.get("vatPayerStatus"):
            company["vatPayerStatus"] = given["vatPayerStatus"]
        for k in ("street", "city", "zipCode"):
            if spec.get(k):
                address[k] = spec[k]
    address["company"] = company
    address["naturalPerson"] = None
    return {"required": True, "address": address, "dueDate": None, "features": []}


def _form_buyer(buyer: dict) -> dict:
    """The buyer as a checkout form carries it: every key Allegro sends, null where it has nothing."""
    return {
        "id": buyer["id"],
        "email": buyer["email"],
        "login": buyer["login"],
        "firstName": buyer.get("firstName"),
        "lastName": buyer.get("lastName"),
        "companyName": buyer.get("companyName"),
        "guest": bool(buyer.get("guest", False)),
        "personalIdentity": None,
        "phoneNumber": buyer.get("phoneNumber"),
        "preferences": buyer.get("preferences") or {"language": "pl-PL"},
        "address": buyer.get("address"),
    }


def create_purchase(conn, b: dict) -> dict:
    """One buyer's purchase (inside db.tx()): checkout form stored, stock recorded, events emitted.

    Returns `{checkout_form_id, events, checkout_form}`."""
    specs = _line_specs(b)
    now = clock.iso()
    bought_at = _norm_time(b.get("bought_at")) or now
    seller_id = None
    lines: list[tuple] = []
    wanted: dict[str, int] = {}
    for i, spec in enumerate(specs):
        offer_id = str(spec["offer_id"])
        row = conn.execute("SELECT * FROM offers WHERE id = ?", (offer_id,)).fetchone()
        if row is None or row["archived_at"]:
            raise error(404, "OfferNotFoundException", f"Offer {offer_id} not found", pl="Nie znaleziono oferty.")
        if seller_id is not None and row["seller_id"] != seller_id:
            raise ApiError(
                422,
                validation(
                    f"line_items[{i}].offer_id", "All line items must come from one seller", "Różni sprzedawcy."
                ),
            )
        seller_id = row["seller_id"]
        if row["status"] != "ACTIVE":
            raise error(
                409,
                "OFFER_NOT_ACTIVE",
                f"Offer {offer_id} is {row['status']}, not ACTIVE",
                pl="Oferta nie jest aktywna.",
                path=f"line_items[{i}].offer_id",
            )
        auction = (row["format"] or "").upper() == "AUCTION"
        qty = int(spec.get("quantity", 1))
        if auction and qty != 1:
            raise ApiError(
                422, validation(f"line_items[{i}].quantity", "An auction sells one unit", "Licytacja: 1 szt.")
            )
        wanted[offer_id] = wanted.get(offer_id, 0) + qty
        if wanted[offer_id] > int(row["stock_available"] or 0):
            raise error(
                422,
                "NOT_ENOUGH_STOCK",
                f"Offer {offer_id} has {row['stock_available']} available, {wanted[offer_id]} requested",
                pl="Brak wystarczającej liczby sztuk.",
                path=f"line_items[{i}].quantity",
            )
        data = db.loads(row["data"]) or {}
        lines.append((row, data, qty, auction, _offer_price(row, data, auction, spec.get("price"))))

    buyer = buyers.get_or_create(conn, b.get("buyer") if isinstance(b.get("buyer"), dict) else None)
    currency = lines[0][0]["price_currency"] or "PLN"
    line_items = []
    total = Decimal("0")
    for row, data, qty, auction, price in lines:
        _record_sale(conn, row["id"], qty, auction=auction)
        external = row["external_id"] or _dig(data, "external", "id")
        offer = {
            "id": row["id"],
            "name": row["name"] or data.get("name") or "",
            "external": {"id": str(external)} if external else None,
            "productSet": None,
        }
        # reconciliation (Allegro Ceny) and tax (only where the seller turned VAT invoicing on) are null on
        # ordinary purchases in captured forms
        line_items.append(
            {
                "id": ids.new_uuid(),
                "offer": offer,
                "quantity": qty,
                "originalPrice": _price(price, currency),
                "price": _price(price, currency),
                "reconciliation": None,
                "selectedAdditionalServices": [],
                "vouchers": [],
                "tax": None,
                "boughtAt": bought_at,
                "discounts": [],
            }
        )
        total += price * qty
    delivery, method = _delivery(b, buyer, max(1, sum(q for _, _, q, _, _ in lines) // 10 + 1))
    total += Decimal(delivery["cost"]["amount"])
    cod = method["paymentPolicy"] == "CASH_ON_DELIVERY"
    paid = b.get("paid", True) is not False
    filled_in = b.get("filled_in", True) is not False
    payment = {
        "id": ids.new_uuid(),
        "type": "CASH_ON_DELIVERY" if cod else "ONLINE",
        "provider": "OFFLINE" if cod else b.get("payment_provider") or secrets.choice(("P24", "PAYU")),
        "finishedAt": None,
        "paidAmount": None,
        "reconciliation": None,
        "features": [],
    }
    if not cod and paid and filled_in:
        payment["finishedAt"] = now
        payment["paidAmount"] = _price(total, currency)
    if not filled_in:
        status, types = "BOUGHT", ["BOUGHT"]
    elif paid or cod:
        status, types = "READY_FOR_PROCESSING", ["BOUGHT", "FILLED_IN", "READY_FOR_PROCESSING"]
    else:
        status, types = "FILLED_IN", ["BOUGHT", "FILLED_IN"]
    form = {
        "id": ids.new_uuid(),
        "messageToSeller": str(b.get("message")) if b.get("message") else None,
        "buyer": _form_buyer(buyer),
        "payment": payment,
        "status": status,
        "fulfillment": {"status": "NEW", "shipmentSummary": {"lineItemsSent": "NONE"}, "provider": {"id": "SELLER"}},
        "delivery": delivery,
        "invoice": _invoice(b, buyer),
        "lineItems": line_items,
        "surcharges": [],
        "discounts": [],
        "note": None,
        "marketplace": {"id": "allegro-pl"},
        "summary": {"totalToPay": _price(total, currency)},
        "updatedAt": now,
        "revision": new_revision(),
    }
    store_form(conn, seller_id, form)
    skip = set(b.get("skip_events") or [])
    events = [emit(conn, seller_id, form["id"], form, t) for t in types if t not in skip]
    return {"checkout_form_id": form["id"], "events": events, "checkout_form": form}


@_control("POST", "/_emulator/purchases")
def purchase(req: Request) -> Response:
    b = _body(req)
    with db.tx() as conn:
        result = create_purchase(conn, b)
    return _ok(result, 201)


@_control("POST", "/_emulator/purchases/bulk")
def purchase_bulk(req: Request) -> Response:
    """`{purchases: [...]}` → `{created, failed, results: [{checkout_form_id, events} | {error, status}]}`.
    Each purchase is atomic (a savepoint); one failing does not undo the others."""
    b = _body(req)
    items = b.get("purchases")
    if not isinstance(items, list):
        raise error(400, "BAD_REQUEST", "purchases[] is required")
    full = bool(b.get("include_checkout_forms"))
    results = []
    created = 0
    with db.tx() as conn:
        for item in items:
            conn.execute("SAVEPOINT purchase")
            try:
                res = create_purchase(conn, item if isinstance(item, dict) else {})
            except ApiError as exc:
                conn.execute("ROLLBACK TO purchase")
                conn.execute("RELEASE purchase")
                results.append({"status": exc.status, "error": exc.body("en-US")["errors"][0]})
                continue
            conn.execute("RELEASE purchase")
            created += 1
            if not full:
                res.pop("checkout_form")
            results.append(res)
    return _ok({"created": created, "failed": len(items) - created, "results": results}, 201)


@_control("POST", "/_emulator/checkout-forms")
def replay_form(req: Request) -> Response:
    """Store a checkout form in Allegro's own shape as it is and emit the listed events."""
    b = _body(req)
    form = b.get("checkout_form")
    if not isinstance(form, dict):
        raise error(400, "BAD_REQUEST", "checkout_form (an object) is required")
    login = b.get("seller_login") or "demo-seller"
    seller = db.one("SELECT id FROM sellers WHERE login = ?", (login,))
    if seller is None:
        raise error(404, "NOT_FOUND", f"Unknown seller {login}")
    events = b.get("events", ["READY_FOR_PROCESSING"])
    if not isinstance(events, list) or any(e not in EVENT_TYPES for e in events):
        raise error(400, "BAD_REQUEST", f"events must be a list of {EVENT_TYPES}")
    key = form.get("id") if isinstance(form.get("id"), str) and form.get("id") else ids.new_uuid()
    with db.tx() as conn:
        if "revision" not in form:
            form["revision"] = new_revision()
        if "updatedAt" not in form:
            form["updatedAt"] = clock.iso()
        old = conn.execute("SELECT seller_id FROM checkout_forms WHERE id = ?", (key,)).fetchone()
        if old is not None and old["seller_id"] != seller["id"]:
            raise error(409, "CONFLICT", "The checkout form belongs to another seller")
        store_form(conn, seller["id"], form, key=key)
        event_ids = [emit(conn, seller["id"], key, form, t) for t in events]
    return _ok({"checkout_form_id": key, "events": event_ids, "replaced": old is not None}, 201)


# journal fault knobs ----------------------------------------------------------------------------------------
def _load_form(conn, b: dict, field: str = "checkout_form_id"):
    form_id = b.get(field)
    if not isinstance(form_id, str):
        raise error(400, "BAD_REQUEST", f"{field} is required")
    row = _form_row(conn, form_id)
    if row is None:
        raise error(404, "NOT_FOUND", f"Unknown checkout form {form_id}")
    return row, db.loads(row["data"])


def _event_type(b: dict, default: str) -> str:
    event_type = b.get("type", default)
    if event_type not in EVENT_TYPES:
        raise error(400, "BAD_REQUEST", f"type must be one of {EVENT_TYPES}")
    return event_type


def _head(conn, seller_id: str) -> str | None:
    row = conn.execute(
        "SELECT id FROM order_events WHERE seller_id = ? ORDER BY id DESC LIMIT 1", (seller_id,)
    ).fetchone()
    return row["id"] if row else None


@_control("POST", "/_emulator/order-events/emit")
def knob_emit(req: Request) -> Response:
    """`{checkout_form_id, type}`: append an event for the form's current state without changing it."""
    b = _body(req)
    with db.tx() as conn:
        row, form = _load_form(conn, b)
        eid = emit(conn, row["seller_id"], row["id"], form, _event_type(b, "READY_FOR_PROCESSING"))
    return _ok({"events": [eid]}, 201)


@_control("POST", "/_emulator/order-events/duplicate")
def knob_duplicate(req: Request) -> Response:
    """`{event_id}` repeats that event (same content, new id at the head), or `{checkout_form_id, type?}` repeats
    the form's latest event of `type` (default READY_FOR_PROCESSING); `times` (default 1) copies."""
    b = _body(req)
    times = int(b.get("times", 1))
    with db.tx() as conn:
        if b.get("event_id"):
            row = conn.execute("SELECT * FROM order_events WHERE id = ?", (str(b["event_id"]),)).fetchone()
        else:
            event_type = _event_type(b, "READY_FOR_PROCESSING")
            row = conn.execute(
                "SELECT * FROM order_events WHERE checkout_form_id = ? AND type = ? ORDER BY id DESC LIMIT 1",
                (str(b.get("checkout_form_id")), event_type),
            ).fetchone()
        if row is None:
            raise error(404, "NOT_FOUND", "No such event to duplicate")
        new_ids = []
        for _ in range(max(1, times)):
            doc = db.loads(row["data"])
            doc["id"] = ids.event_id()
            doc["occurredAt"] = clock.iso()
            conn.execute(
                "INSERT INTO order_events(id, seller_id, type, occurred_at, checkout_form_id, data)"
                " VALUES (?,?,?,?,?,?)",
                (doc["id"], row["seller_id"], row["type"], doc["occurredAt"], row["checkout_form_id"], db.dumps(doc)),
            )
            new_ids.append(doc["id"])
    return _ok({"events": new_ids}, 201)


@_control("POST", "/_emulator/order-events/drop")
def knob_drop(req: Request) -> Response:
    """`{event_id}` or `{checkout_form_id, type?}`: remove events from the journal (the form stays listed)."""
    b = _body(req)
    with db.tx() as conn:
        if b.get("event_id"):
            rows = conn.execute("SELECT id FROM order_events WHERE id = ?", (str(b["event_id"]),)).fetchall()
        elif b.get("checkout_form_id"):
            sql, params = "SELECT id FROM order_events WHERE checkout_form_id = ?", [str(b["checkout_form_id"])]
            if b.get("type"):
                sql += " AND type = ?"
                params.append(_event_type(b, ""))
            rows = conn.execute(sql, params).fetchall()
        else:
            raise error(400, "BAD_REQUEST", "event_id or checkout_form_id is required")
        dropped = [r["id"] for r in rows]
        conn.executemany("DELETE FROM order_events WHERE id = ?", [(i,) for i in dropped])
    return _ok({"dropped": dropped})


@_control("POST", "/_emulator/order-events/late")
def knob_late(req: Request) -> Response:
    """`{checkout_form_id, type?, id? | before_id? | seconds_before_head? (60)}`: insert an event whose id is
    below the current head of the seller's journal (Allegro's late inserts / backfills)."""
    b = _body(req)
    with db.tx() as conn:
        row, form = _load_form(conn, b)
        event_type = _event_type(b, "READY_FOR_PROCESSING")
        if b.get("id"):
            if not str(b["id"]).isdigit():
                raise error(400, "BAD_REQUEST", "id must be numeric")
            candidate = int(b["id"])
        else:
            if b.get("before_id"):
                base = int(str(b["before_id"]))
                candidate = base - 1
            else:
                head = _head(conn, row["seller_id"]) or ids.event_id()
                candidate = int(head) - int(float(b.get("seconds_before_head", 60)) * 1_000_000)
        eid = str(candidate).zfill(ID_WIDTH)
        if b.get("id") and conn.execute("SELECT 1 FROM order_events WHERE id = ?", (eid,)).fetchone():
            raise error(409, "CONFLICT", f"Event id {eid} is taken")
        while conn.execute("SELECT 1 FROM order_events WHERE id = ?", (eid,)).fetchone():
            candidate -= 1
            eid = str(candidate).zfill(ID_WIDTH)
        emit(conn, row["seller_id"], row["id"], form, event_type, event_id=eid)
        head = _head(conn, row["seller_id"])
    return _ok({"events": [eid], "head": head}, 201)


@_control("POST", "/_emulator/order-events/cancel")
def knob_cancel(req: Request) -> Response:
    """`{checkout_form_id, type: BUYER_CANCELLED|AUTO_CANCELLED}`: the form becomes CANCELLED (new revision),
    the event is emitted. Stock is not given back (Allegro leaves that to the seller)."""
    b = _body(req)
    with db.tx() as conn:
        row, form = _load_form(conn, b)
        event_type = _event_type(b, "BUYER_CANCELLED")
        if event_type not in ("BUYER_CANCELLED", "AUTO_CANCELLED"):
            raise error(400, "BAD_REQUEST", "type must be BUYER_CANCELLED or AUTO_CANCELLED")
        form["status"] = "CANCELLED"
        if isinstance(form.get("delivery"), dict):
            form["delivery"]["cancellation"] = {"date": clock.iso()}
        _touch(form)
        store_form(conn, row["seller_id"], form, key=row["id"])
        eid = emit(conn, row["seller_id"], row["id"], form, event_type)
    return _ok({"events": [eid], "revision": form["revision"]}, 201)


@_control("POST", "/_emulator/order-events/modify")
def knob_modify(req: Request) -> Response:
    """`{checkout_form_id, address?: {street, city, zipCode, ...}, message?}`: the buyer changes the delivery
    address (a generated one when none is given); new revision, BUYER_MODIFIED."""
    b = _body(req)
    with db.tx() as conn:
        row, form = _load_form(conn, b)
        delivery = form.setdefault("delivery", {})
        address = delivery.setdefault("address", {})
        given = b.get("address") if isinstance(b.get("address"), dict) else None
        if given is None:
            fresh = buyers.address()
            given = {"street": fresh["street"], "city": fresh["city"], "zipCode": fresh["postCode"]}
        address.update(given)
        address["modifiedAt"] = clock.iso()
        if b.get("message") is not None:
            form["messageToSeller"] = str(b["message"])
        _touch(form)
        store_form(conn, row["seller_id"], form, key=row["id"])
        eid = emit(conn, row["seller_id"], row["id"], form, "BUYER_MODIFIED")
    return _ok({"events": [eid], "revision": form["revision"], "address": address}, 201)


@_control("POST", "/_emulator/order-events/pay")
def knob_pay(req: Request) -> Response:
    """`{checkout_form_id}`: a FILLED_IN (or BOUGHT) form gets paid: READY_FOR_PROCESSING."""
    b = _body(req)
    with db.tx() as conn:
        row, form = _load_form(conn, b)
        types = ["FILLED_IN", "READY_FOR_PROCESSING"] if form.get("status") == "BOUGHT" else ["READY_FOR_PROCESSING"]
        form["status"] = "READY_FOR_PROCESSING"
        payment = form.get("payment") or {"id": ids.new_uuid(), "type": "ONLINE", "provider": "P24"}
        form["payment"] = payment
        if payment.get("type") != "CASH_ON_DELIVERY":
            payment["finishedAt"] = clock.iso()
            payment["paidAmount"] = dict(_dig(form, "summary", "totalToPay") or _price(0))
        _touch(form)
        store_form(conn, row["seller_id"], form, key=row["id"])
        events = [emit(conn, row["seller_id"], row["id"], form, t) for t in types]
    return _ok({"events": events, "revision": form["revision"]}, 201)


@_control("POST", "/_emulator/order-events/merge")
def knob_merge(req: Request) -> Response:
    """`{checkout_form_ids: [...], paid?: true, cancel_event?: "BUYER_CANCELLED" | null}`: the buyer pays for
    several purchases together. A new checkout form holds all their line items (same line-item ids); the old
    forms become CANCELLED (new revisions; `cancel_event` emitted for each unless null); the new form gets
    BOUGHT, FILLED_IN and READY_FOR_PROCESSING (when paid)."""
    b = _body(req)
    form_ids = b.get("checkout_form_ids")
    if not isinstance(form_ids, list) or len(form_ids) < 2:
        raise error(400, "BAD_REQUEST", "checkout_form_ids needs at least two ids")
    cancel_event = b.get("cancel_event", "BUYER_CANCELLED")
    if cancel_event is not None and cancel_event not in EVENT_TYPES:
        raise error(400, "BAD_REQUEST", "bad cancel_event")
    with db.tx() as conn:
        olds = [_load_form(conn, {"id": fid}, "id") for fid in form_ids]
        seller_id = olds[0][0]["seller_id"]
        if any(r["seller_id"] != seller_id for r, _ in olds):
            raise error(422, "VALIDATION_ERROR", "Checkout forms of different sellers")
        first = olds[0][1]
        items = [li for _, f in olds for li in f.get("lineItems") or []]
        currency = _dig(first, "summary", "totalToPay", "currency") or "PLN"
        total = sum(
            (Decimal(str(_dig(li, "price", "amount") or 0)) * int(li.get("quantity") or 0) for li in items),
            Decimal("0"),
        ) + Decimal(str(_dig(first, "delivery", "cost", "amount") or 0))
        paid = b.get("paid", True) is not False
        now = clock.iso()
        new = json.loads(json.dumps(first))
        new.update(
            {
                "id": ids.new_uuid(),
                "lineItems": items,
                "status": "READY_FOR_PROCESSING" if paid else "FILLED_IN",
                "summary": {"totalToPay": _price(total, currency)},
                "fulfillment": {
                    "status": "NEW",
                    "shipmentSummary": {"lineItemsSent": "NONE"},
                    "provider": {"id": "SELLER"},
                },
                "updatedAt": now,
                "revision": new_revision(),
            }
        )
        payment = {
            "id": ids.new_uuid(),
            "type": _dig(first, "payment", "type") or "ONLINE",
            "provider": None,
            "finishedAt": None,
            "paidAmount": None,
            "reconciliation": None,
            "features": [],
        }
        if payment["type"] != "CASH_ON_DELIVERY":
            payment["provider"] = _dig(first, "payment", "provider") or "P24"
            if paid:
                payment.update({"finishedAt": now, "paidAmount": _price(total, currency)})
        else:
            payment["provider"] = "OFFLINE"
        new["payment"] = payment
        events = []
        for row, form in olds:
            form["status"] = "CANCELLED"
            _touch(form)
            store_form(conn, seller_id, form, key=row["id"])
            if cancel_event:
                events.append(emit(conn, seller_id, row["id"], form, cancel_event))
        store_form(conn, seller_id, new)
        types = ["BOUGHT", "FILLED_IN"] + (["READY_FOR_PROCESSING"] if paid else [])
        events += [emit(conn, seller_id, new["id"], new, t) for t in types]
    return _ok({"checkout_form_id": new["id"], "merged": form_ids, "events": events, "checkout_form": new}, 201)


@_control("GET", "/_emulator/state/orders")
def state_orders(req: Request) -> Response:
    """Every checkout form (id, status, revision, seller) and the journal size, for assertions."""
    rows = db.query("SELECT id, seller_id, status, fulfillment_status, revision FROM checkout_forms ORDER BY rowid")
    count = db.one("SELECT COUNT(*) AS n FROM order_events")["n"]
    return _ok({"checkout_forms": [dict(r) for r in rows], "events": count})


def _sweep_offers() -> None:
    """What the clock made due (an auction's end makes the winner's purchase) shows in the journal at once."""
    from .offers import sweep

    sweep()


# public API: journal -------------------------------------------------------------------------------------------
@route("GET", "/order/events", auth="user")
def order_events(req: Request) -> Response:
    _sweep_offers()
    limit = req.int_arg("limit", 100, minimum=1, maximum=1000)
    start = req.arg("from")
    types = req.args("type")
    bad = [t for t in types if t not in EVENT_TYPES]
    if bad:
        raise error(422, "VALIDATION_ERROR", f"Unknown event type {bad[0]}", pl="Nieznany typ zdarzenia.", path="type")
    cutoff = clock.iso(clock.ts() - RETENTION_SECONDS)
    sql = "SELECT data FROM order_events WHERE seller_id = ? AND occurred_at >= ?"
    params: list = [req.seller_id, cutoff]
    if start not in (None, ""):
        if not start.isdigit():
            raise error(
                422, "VALIDATION_ERROR", "Invalid value of 'from'", pl="Nieprawidłowa wartość 'from'.", path="from"
            )
        if len(start) > ID_WIDTH:
            return Response.json({"events": []})
        sql += " AND id > ?"
        params.append(start.zfill(ID_WIDTH))
    if types:
        sql += f" AND type IN ({','.join('?' * len(types))})"
        params += types
    sql += " ORDER BY id LIMIT ?"
    params.append(limit)
    rows = db.query(sql, params)
    body = '{"events":[' + ",".join(r["data"] for r in rows) + "]}"
    return Response(200, body.encode())


@route("GET", "/order/event-stats", auth="user")
def order_event_stats(req: Request) -> Response:
    row = db.one(
        "SELECT id, occurred_at FROM order_events WHERE seller_id = ? ORDER BY id DESC LIMIT 1", (req.seller_id,)
    )
    if row is None:
        return Response.json({"latestEvent": {"id": "0", "occurredAt": clock.iso()}})
    return Response.json({"latestEvent": {"id": row["id"], "occurredAt": row["occurred_at"]}})


# public API: checkout forms --------------------------------------------------------------------------------------
LIST_FILTERS = {  # query parameter → column (exact match)
    "status": "status",
    "fulfillment.status": "fulfillment_status",
    "fulfillment.shipmentSummary.lineItemsSent": "line_items_sent",
    "buyer.login": "buyer_login",
    "delivery.method.id": "delivery_method_id",
    "payment.id": "payment_id",
    "marketplace.id": "marketplace_id",
}
ENUMS = {
    "status": FORM_STATUSES,
    "fulfillment.status": FULFILLMENT_STATUSES,
    "fulfillment.shipmentSummary.lineItemsSent": ("NONE", "SOME", "ALL"),
}
RANGES = {
    "updatedAt.gte": ("updated_at", ">="),
    "updatedAt.lte": ("updated_at", "<="),
    "lineItems.boughtAt.gte": ("bought_at", ">="),
    "lineItems.boughtAt.lte": ("bought_at", "<="),
}
SORTS = {
    "lineItems.boughtAt": "bought_at ASC, rowid ASC",
    "-lineItems.boughtAt": "bought_at DESC, rowid DESC",
    "updatedAt": "updated_at ASC, rowid ASC",
    "-updatedAt": "updated_at DESC, rowid DESC",
}


def _bad_param(name: str, value: str) -> ApiError:
    return error(
        422,
        "VALIDATION_ERROR",
        f"Invalid value '{value}' of parameter '{name}'",
        pl=f"Nieprawidłowa wartość parametru '{name}'.",
        path=name,
    )


@route("GET", "/order/checkout-forms", auth="user")
def checkout_forms(req: Request) -> Response:
    _sweep_offers()
    limit = req.int_arg("limit", 100, minimum=1, maximum=100)
    offset = req.int_arg("offset", 0, minimum=0)
    where = ["seller_id = ?"]
    params: list = [req.seller_id]
    for name, column in LIST_FILTERS.items():
        value = req.arg(name)
        if value in (None, ""):
            continue
        if name in ENUMS and value not in ENUMS[name]:
            raise _bad_param(name, value)
        where.append(f"{column} = ?")
        params.append(value)
    provider = req.arg("fulfillment.provider.id")
    if provider not in (None, "", "SELLER"):
        if provider != "ALLEGRO":
            raise _bad_param("fulfillment.provider.id", provider)
        where.append("0")
    for name, (column, op) in RANGES.items():
        value = req.arg(name)
        if value in (None, ""):
            continue
        norm = _norm_time(value)
        if norm is None:
            raise _bad_param(name, value)
        where.append(f"{column} {op} ?")
        params.append(norm)
    sort = req.arg("sort") or "-lineItems.boughtAt"
    if sort not in SORTS:
        raise _bad_param("sort", sort)
    cond = " AND ".join(where)
    total = db.one(f"SELECT COUNT(*) AS n FROM checkout_forms WHERE {cond}", params)["n"]
    rows = db.query(
        f"SELECT data FROM checkout_forms WHERE {cond} ORDER BY {SORTS[sort]} LIMIT ? OFFSET ?",
        params + [limit, offset],
    )
    body = '{"checkoutForms":[' + ",".join(r["data"] for r in rows) + f'],"count":{len(rows)},"totalCount":{total}}}'
    return Response(200, body.encode())


@route("GET", "/order/checkout-forms/{id}", auth="user")
def checkout_form(req: Request) -> Response:
    form_id = req.params["id"]
    _check_uuid(form_id)
    row = _form_row(db.connect(), form_id, req.seller_id)
    if row is None:
        raise _not_found()
    return Response(200, row["data"].encode())


@route("PUT", "/order/checkout-forms/{id}/fulfillment", auth="user")
def fulfillment(req: Request) -> Response:
    form_id = req.params["id"]
    _check_uuid(form_id)
    body = req.json()
    status = body.get("status") if isinstance(body, dict) else None
    if status not in FULFILLMENT_STATUSES:
        raise error(
            422,
            "VALIDATION_ERROR",
            f"Invalid fulfillment status: {status}",
            pl="Nieprawidłowy status realizacji zamówienia.",
            path="status",
        )
    if status == "RETURNED":
        raise error(
            422,
            "VALIDATION_ERROR",
            "Status RETURNED cannot be set by the seller",
            pl="Status RETURNED nie może zostać ustawiony przez sprzedającego.",
            path="status",
        )
    revision = req.arg("checkoutForm.revision")
    with db.tx() as conn:
        row = _form_row(conn, form_id, req.seller_id)
        if row is None:
            raise _not_found()
        if revision not in (None, "") and revision != row["revision"]:
            raise error(
                409,
                "CONFLICT",
                f"Checkout form revision {revision} is outdated (current: {row['revision']})",
                pl="Zamówienie zostało w międzyczasie zmienione. Pobierz je ponownie i powtórz operację.",
                metadata={"revision": row["revision"]},
            )
        form = db.loads(row["data"])
        fulfillment_doc = form.setdefault("fulfillment", {})
        if fulfillment_doc.get("status") != status:
            fulfillment_doc["status"] = status
            _touch(form)
            store_form(conn, row["seller_id"], form, key=form_id)
            emit(conn, row["seller_id"], form_id, form, "FULFILLMENT_STATUS_CHANGED")
    return Response.empty(204)


# shipments --------------------------------------------------------------------------------------------------------
def _shipment_doc(row) -> dict:
    doc = {
        "id": row["id"],
        "waybill": row["waybill"],
        "carrierId": row["carrier_id"],
        "lineItems": db.loads(row["line_items"]),
        "createdAt": row["created_at"],
    }
    if row["carrier_name"]:
        doc["carrierName"] = row["carrier_name"]
    return doc


@route("GET", "/order/checkout-forms/{id}/shipments", auth="user")
def shipments_list(req: Request) -> Response:
    form_id = req.params["id"]
    if _form_row(db.connect(), form_id, req.seller_id) is None:
        raise _not_found()
    rows = db.query("SELECT * FROM shipments WHERE checkout_form_id = ? ORDER BY created_at, rowid", (form_id,))
    return Response.json({"shipments": [_shipment_doc(r) for r in rows]})


@route("POST", "/order/checkout-forms/{id}/shipments", auth="user")
def shipments_add(req: Request) -> Response:
    form_id = req.params["id"]
    body = req.json()
    if not isinstance(body, dict):
        raise error(400, "JsonMappingException", "A JSON object is expected", pl="Nieprawidłowy format danych.")
    carrier_id = body.get("carrierId")
    waybill = body.get("waybill")
    carrier_name = body.get("carrierName")
    items_in = body.get("lineItems") or []
    problems = []
    if not isinstance(carrier_id, str) or not carrier_id:
        problems.append(validation("carrierId", "carrierId is required", "Podaj przewoźnika."))
    elif db.one("SELECT 1 FROM carriers WHERE id = ?", (carrier_id,)) is None:
        problems.append(validation("carrierId", f"Unknown carrier: {carrier_id}", "Nieznany przewoźnik."))
    if not isinstance(waybill, str) or not waybill.strip():
        problems.append(validation("waybill", "waybill is required", "Podaj numer przesyłki."))
    elif len(waybill) > 64:
        problems.append(validation("waybill", "waybill is longer than 64 characters", "Numer przesyłki jest za długi."))
    if carrier_id == "OTHER":
        if not isinstance(carrier_name, str) or not carrier_name.strip():
            problems.append(validation("carrierName", "carrierName is required for OTHER", "Podaj nazwę przewoźnika."))
        elif len(carrier_name) > 30:
            problems.append(validation("carrierName", "carrierName is longer than 30", "Nazwa przewoźnika za długa."))
    elif carrier_name:
        problems.append(
            validation("carrierName", "carrierName is allowed only for OTHER", "Nazwę podaje się tylko dla OTHER.")
        )
    if not isinstance(items_in, list) or any(not isinstance(i, dict) or not i.get("id") for i in items_in):
        problems.append(validation("lineItems", "lineItems must be [{id}]", "Nieprawidłowe pozycje."))
        items_in = []
    with db.tx() as conn:
        row = _form_row(conn, form_id, req.seller_id)
        if row is None:
            raise _not_found()
        form = db.loads(row["data"])
        all_ids = [li.get("id") for li in form.get("lineItems") or [] if isinstance(li, dict)]
        unknown = [i["id"] for i in items_in if i["id"] not in all_ids]
        if unknown:
            problems.append(
                validation("lineItems", f"Line items not in this order: {unknown}", "Pozycje spoza zamówienia.")
            )
        if problems:
            raise ApiError(422, problems)
        if conn.execute(
            "SELECT 1 FROM shipments WHERE checkout_form_id = ? AND waybill = ? AND carrier_id = ?",
            (form_id, waybill, carrier_id),
        ).fetchone():
            raise error(
                409, "CONFLICT", "This waybill is already added to the order", pl="Ten numer przesyłki już dodano."
            )
        used = conn.execute(
            "SELECT COUNT(DISTINCT checkout_form_id) AS n FROM shipments WHERE waybill = ? AND seller_id = ?",
            (waybill, row["seller_id"]),
        ).fetchone()["n"]
        if used >= WAYBILL_MAX_ORDERS:
            raise error(
                409,
                "CONFLICT",
                f"Waybill {waybill} is already used on {used} orders",
                pl="Ten numer przesyłki użyto już w zbyt wielu zamówieniach.",
            )
        line_items = [{"id": i["id"]} for i in items_in] or [{"id": i} for i in all_ids]
        shipment_id = ids.new_uuid()
        now = clock.iso()
        conn.execute(
            "INSERT INTO shipments(id, checkout_form_id, seller_id, carrier_id, carrier_name, waybill, line_items,"
            " created_at) VALUES (?,?,?,?,?,?,?,?)",
            (
                shipment_id,
                form_id,
                row["seller_id"],
                carrier_id,
                carrier_name if carrier_id == "OTHER" else None,
                waybill,
                db.dumps(line_items),
                now,
            ),
        )
        sent = set()
        for s in conn.execute("SELECT line_items FROM shipments WHERE checkout_form_id = ?", (form_id,)):
            sent |= {i["id"] for i in db.loads(s["line_items"])}
        summary = "ALL" if set(all_ids) <= sent else ("SOME" if sent else "NONE")
        fulfillment_doc = form.setdefault("fulfillment", {})
        fulfillment_doc.setdefault("shipmentSummary", {})["lineItemsSent"] = summary
        _touch(form)
        store_form(conn, row["seller_id"], form, key=form_id)
        created = conn.execute("SELECT * FROM shipments WHERE id = ?", (shipment_id,)).fetchone()
    return Response.json(_shipment_doc(created), 201)
