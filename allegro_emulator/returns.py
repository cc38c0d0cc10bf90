"""Returns area: customer returns (beta), payment refunds and commission refund claims, with the control
route that makes a buyer return items (`POST /_emulator/customer-returns`).

A return's status moves with the emulator clock (CREATED → DISPATCHED → IN_TRANSIT → DELIVERED) until the
seller refunds it (FINISHED) or rejects it (REJECTED). A refund carries the seller's `commandId`: the same
id with the same body answers the refund already made (a retry after a timeout makes no second refund),
the same id with another body is refused. A refund never exceeds what was paid, per line, for delivery or
in total. A commission refund claim is accepted only for a cancelled or unpaid purchase, after the waiting
period, once per line item; it is granted some days later (clock-driven).

Tables: customer_returns (data = the CustomerReturn document without its clock-driven status),
payment_refunds (data = RefundDetails without its status; request = the body as sent, for the command id
check), refund_claims (data = RefundClaim without its status).
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from . import clock, db, ids
from .control import control
from .errors import ApiError, error, validation
from .routing import BETA, JSON, PUBLIC, Request, Response, route

db.add_schema(
    """
CREATE TABLE IF NOT EXISTS customer_returns (
    id TEXT PRIMARY KEY,
    seller_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    created_ts REAL NOT NULL,
    final_status TEXT,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS customer_returns_seller ON customer_returns(seller_id, created_ts);
CREATE TABLE IF NOT EXISTS payment_refunds (
    id TEXT PRIMARY KEY,
    seller_id TEXT NOT NULL,
    command_id TEXT,
    order_id TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    created_ts REAL NOT NULL,
    request TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS payment_refunds_command ON payment_refunds(seller_id, command_id)
    WHERE command_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS refund_claims (
    id TEXT PRIMARY KEY,
    seller_id TEXT NOT NULL,
    line_item_id TEXT NOT NULL,
    created_ts REAL NOT NULL,
    cancelled INTEGER NOT NULL DEFAULT 0,
    data TEXT NOT NULL
);
""",
    tables=["customer_returns", "payment_refunds", "refund_claims"],
)

CENT = Decimal("0.01")
# Seconds after the return was declared at which it reaches each status (the carrier's pace).
TIMELINE = (("CREATED", 0), ("DISPATCHED", 3600), ("IN_TRANSIT", 2 * 3600), ("DELIVERED", 24 * 3600))
FINAL_STATUSES = ("FINISHED", "REJECTED")
REFUND_SUCCESS_SECONDS = 60  # a refund is NEW for a minute, then SUCCESS
CLAIM_WAIT_SECONDS = 7 * 24 * 3600  # a commission refund claim is accepted no earlier than 7 days after purchase
CLAIM_GRANTED_SECONDS = 3 * 24 * 3600  # and granted three days after it was filed
COMMISSION_RATE = Decimal("0.10")
REASON_TYPES = (
    "NONE",
    "MISTAKE",
    "TRANSPORT",
    "DAMAGED",
    "NOT_AS_DESCRIBED",
    "DONT_LIKE_IT",
    "OVERDUE_DELIVERY",
    "INCOMPLETE",
    "HIDDEN_FLAW",
    "OTHER_FLAW",
    "DIFFERENT",
    "COUNTERFEIT",
    "NOT_NEW",
    "TOO_LARGE",
    "TOO_SMALL",
    "NOT_AS_EXPECTED",
    "ORDERED_FOR_COMPARISON",
)
RETURN_STATUSES = (
    "CREATED",
    "DISPATCHED",
    "IN_TRANSIT",
    "DELIVERED",
    "FINISHED",
    "FINISHED_APT",
    "REJECTED",
    "COMMISSION_REFUND_CLAIMED",
    "COMMISSION_REFUNDED",
    "WAREHOUSE_DELIVERED",
    "WAREHOUSE_VERIFICATION",
)
REFUND_STATUSES = ("SUCCESS", "CANCELED", "PARTIAL", "IN_PROGRESS", "VALIDATED", "VALIDATE_FAILED", "NEW", "WAITING")
CLAIM_STATUSES = (
    "IN_PROGRESS",
    "WAITING_FOR_PAYMENT_REFUND",
    "GRANTED",
    "REJECTED",
    "REJECTED_AFTER_APPEAL",
    "CANCELLED",
    "APPEALED",
)


# helpers ---------------------------------------------------------------------------------------------------
def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _dig(doc, *path):
    for key in path:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(key)
    return doc


def _amount(value) -> Decimal | None:
    """A money amount as Allegro writes it ("12.30"); None when it is not one (negative, more than 2 places)."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(CENT):
        return None
    return amount


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


def _form(conn, form_id: str, seller_id: str | None = None):
    row = conn.execute("SELECT * FROM checkout_forms WHERE id = ?", (form_id,)).fetchone()
    if row is None or (seller_id is not None and row["seller_id"] != seller_id):
        return None
    return row


def _object(req: Request) -> dict:
    """The JSON body, which must be an object (some of Allegro's schemas do not say so themselves)."""
    body = req.json()
    if not isinstance(body, dict):
        raise error(400, "JsonMappingException", "A JSON object is expected", pl="Oczekiwano obiektu JSON.")
    return body


def _time_filter(req: Request, name: str) -> float | None:
    value = req.arg(name)
    if value in (None, ""):
        return None
    try:
        moment = clock.parse_iso(value.strip())
    except ValueError:
        raise error(
            400, "VALIDATION_ERROR", f"Invalid value of '{name}'", pl=f"Nieprawidłowa data '{name}'.", path=name
        )
    if moment.tzinfo is None:
        raise error(400, "VALIDATION_ERROR", f"'{name}' needs a time zone", pl=f"Podaj strefę czasową w '{name}'.")
    return moment.timestamp()


# customer returns ------------------------------------------------------------------------------------------
def return_status(row) -> str:
    if row["final_status"]:
        return row["final_status"]
    elapsed = clock.ts() - row["created_ts"]
    status = TIMELINE[0][0]
    for name, after in TIMELINE:
        if elapsed >= after:
            status = name
    return status


def _return_doc(row) -> dict:
    doc = db.loads(row["data"])
    status = return_status(row)
    doc["status"] = status
    if status == "CREATED":
        doc["parcels"] = []  # the buyer has not handed the parcel over yet
    return doc


@control("POST", "/_emulator/customer-returns")
def return_create(req: Request) -> Response:
    """A buyer returns items: `{checkout_form_id, items?: [{line_item_id, quantity?, reason?, comment?}],
    waybill?}` (no items: every line, whole quantity). Answers `{customer_return_id, customer_return}`."""
    b = _body(req)
    form_id = str(b.get("checkout_form_id") or "")
    with db.tx() as conn:
        row = _form(conn, form_id)
        if row is None:
            raise error(404, "NOT_FOUND", "Checkout form not found")
        form = db.loads(row["data"]) or {}
        lines = {li.get("id"): li for li in form.get("lineItems") or [] if isinstance(li, dict)}
        wanted = b.get("items")
        if wanted is None:
            wanted = [{"line_item_id": line_id} for line_id in lines]
        if not isinstance(wanted, list) or not wanted:
            raise error(400, "BAD_REQUEST", "items[] must be a non-empty list")
        returned: dict[str, int] = {}
        for other in conn.execute(
            "SELECT data FROM customer_returns WHERE order_id = ? AND COALESCE(final_status, '') != 'REJECTED'",
            (form_id,),
        ):
            for item in db.loads(other["data"]).get("items", []):
                returned[item["offerId"]] = returned.get(item["offerId"], 0) + int(item["quantity"])
        items = []
        for i, spec in enumerate(wanted):
            line = lines.get(spec.get("line_item_id")) if isinstance(spec, dict) else None
            if line is None:
                raise error(400, "BAD_REQUEST", f"items[{i}].line_item_id is not a line item of the form")
            offer_id = str(_dig(line, "offer", "id"))
            quantity = spec.get("quantity", int(line.get("quantity") or 1))
            left = int(line.get("quantity") or 0) - returned.get(offer_id, 0)
            if not isinstance(quantity, int) or quantity < 1 or quantity > left:
                raise error(400, "BAD_REQUEST", f"items[{i}].quantity must be between 1 and {left}")
            returned[offer_id] = returned.get(offer_id, 0) + quantity
            reason = spec.get("reason") or "DONT_LIKE_IT"
            if reason not in REASON_TYPES:
                raise error(400, "BAD_REQUEST", f"items[{i}].reason must be one of {', '.join(REASON_TYPES)}")
            item = {
                "offerId": offer_id,
                "quantity": quantity,
                "name": str(_dig(line, "offer", "name") or ""),
                "price": dict(line.get("price") or {"amount": "0.00", "currency": "PLN"}),
                "url": f"https://allegro.pl/oferta/{offer_id}",
                "reason": {"type": reason, "userComment": str(spec.get("comment") or "")},
                "serialNumbers": [],
            }
            items.append(item)
        count = conn.execute("SELECT COUNT(*) FROM customer_returns").fetchone()[0]
        now = clock.ts()
        buyer = form.get("buyer") or {}
        doc = {
            "id": ids.new_uuid(),
            "isFulfillment": False,
            "createdAt": clock.iso(now),
            "referenceNumber": f"{count + 1:04d}/Z04A",
            "orderId": form_id,
            "buyer": {"email": str(buyer.get("email") or ""), "login": str(buyer.get("login") or "")},
            "items": items,
            "parcels": [
                {
                    "createdAt": clock.iso(now),
                    "waybill": str(b.get("waybill") or f"AD{ids.new_uuid()[:8].upper()}"),
                    "transportingWaybill": None,
                    "carrierId": "ALLEGRO",
                    "transportingCarrierId": None,
                    "sender": {"phoneNumber": str(buyer.get("phoneNumber") or "500600700")},
                }
            ],
            "marketplaceId": "allegro-pl",
        }
        if _dig(form, "payment", "type") == "CASH_ON_DELIVERY":
            doc["refund"] = {
                "bankAccount": {
                    "owner": f"{buyer.get('firstName') or ''} {buyer.get('lastName') or ''}".strip() or "Kupujący",
                    "accountNumber": "40114000003382916456018050",
                    "iban": "PL40114000003382916456018050",
                    "swift": "ALBPPLPW",
                    "address": {"street": "Jasna 1", "city": "Warszawa", "postCode": "00-001", "countryCode": "PL"},
                }
            }
        conn.execute(
            "INSERT INTO customer_returns(id, seller_id, order_id, created_ts, final_status, data) VALUES (?,?,?,?,?,?)",
            (doc["id"], row["seller_id"], form_id, now, None, db.dumps(doc)),
        )
        stored = conn.execute("SELECT * FROM customer_returns WHERE id = ?", (doc["id"],)).fetchone()
        answer = _return_doc(stored)
    return Response.json({"customer_return_id": doc["id"], "customer_return": answer}, 201, media=JSON)


def _split(req: Request, name: str) -> list[str]:
    """A filter that takes one or more values (repeated, or comma-separated)."""
    values: list[str] = []
    for raw in req.args(name):
        values += [v.strip() for v in raw.split(",") if v.strip()]
    return values


@route("GET", "/order/customer-returns", auth="user", media=BETA)
def returns_list(req: Request) -> Response:
    limit = req.int_arg("limit", 100, minimum=1, maximum=1000)
    offset = req.int_arg("offset", 0, minimum=0)
    gte, lte = _time_filter(req, "createdAt.gte"), _time_filter(req, "createdAt.lte")
    statuses = _split(req, "status")
    for status in statuses:
        if status not in RETURN_STATUSES:
            raise error(
                400, "VALIDATION_ERROR", f"Unknown status {status}", pl="Nieznany status zwrotu.", path="status"
            )
    rows = db.query("SELECT * FROM customer_returns WHERE seller_id = ? ORDER BY created_ts, id", (req.seller_id,))
    after = req.arg("from")
    if after:
        known = [i for i, r in enumerate(rows) if r["id"] == after]
        rows = rows[known[0] + 1 :] if known else []
    wanted_ids, orders, logins = _split(req, "customerReturnId"), _split(req, "orderId"), _split(req, "buyer.login")
    docs = []
    for row in rows:
        if wanted_ids and row["id"] not in wanted_ids or orders and row["order_id"] not in orders:
            continue
        if gte is not None and row["created_ts"] < gte or lte is not None and row["created_ts"] > lte:
            continue
        doc = _return_doc(row)
        if statuses and doc["status"] not in statuses or logins and doc["buyer"]["login"] not in logins:
            continue
        docs.append(doc)
    page = docs[offset : offset + limit]
    return Response.json({"count": len(page), "customerReturns": page})


def _own_return(conn, req: Request, status: int = 404):
    row = conn.execute(
        "SELECT * FROM customer_returns WHERE id = ? AND seller_id = ?", (req.params["customerReturnId"], req.seller_id)
    ).fetchone()
    if row is None:
        raise error(status, "NOT_FOUND", "Customer return not found", pl="Nie znaleziono zwrotu.")
    return row


@route("GET", "/order/customer-returns/{customerReturnId}", auth="user", media=BETA)
def return_get(req: Request) -> Response:
    return Response.json(_return_doc(_own_return(db.connect(), req)))


@route("POST", "/order/customer-returns/{customerReturnId}/rejection", auth="user", media=BETA)
def return_reject(req: Request) -> Response:
    rejection = _object(req).get("rejection") or {}
    code, reason = rejection.get("code"), rejection.get("reason")
    if code == "REFUND_REJECTED" and not reason:
        raise ApiError(
            422,
            validation(
                "rejection.reason",
                "Reason is required when code is REFUND_REJECTED",
                "Podaj powód odmowy zwrotu wpłaty.",
            ),
        )
    with db.tx() as conn:
        # The operation documents no 404: an unknown return is refused like one that cannot be rejected.
        row = _own_return(conn, req, status=422)
        status = return_status(row)
        if status in FINAL_STATUSES:
            raise error(
                422,
                "CUSTOMER_RETURN_ALREADY_PROCESSED",
                f"Customer return is already {status}",
                pl="Ten zwrot został już rozpatrzony.",
            )
        doc = db.loads(row["data"])
        doc["rejection"] = {"code": code, "reason": reason or "", "createdAt": clock.iso()}
        conn.execute(
            "UPDATE customer_returns SET final_status = 'REJECTED', data = ? WHERE id = ?", (db.dumps(doc), row["id"])
        )
        stored = conn.execute("SELECT * FROM customer_returns WHERE id = ?", (row["id"],)).fetchone()
    return Response.json(_return_doc(stored))


# payment refunds -------------------------------------------------------------------------------------------
def _refund_doc(row) -> dict:
    doc = db.loads(row["data"])
    doc["status"] = "SUCCESS" if clock.ts() - row["created_ts"] >= REFUND_SUCCESS_SECONDS else "NEW"
    return doc


def _refunded(conn, form_id: str) -> tuple[dict[str, tuple[int, Decimal]], Decimal, Decimal]:
    """What earlier refunds of the form gave back: per line (quantity, amount), for delivery, in total."""
    lines: dict[str, tuple[int, Decimal]] = {}
    delivery = total = Decimal("0")
    for row in conn.execute("SELECT data FROM payment_refunds WHERE order_id = ?", (form_id,)):
        doc = db.loads(row["data"])
        total += Decimal(doc["totalValue"]["amount"])
        delivery += Decimal(_dig(doc, "delivery", "value", "amount") or "0")
        for li in doc.get("lineItems", []):
            qty, amount = lines.get(li["id"], (0, Decimal("0")))
            lines[li["id"]] = (qty + int(li.get("quantity") or 0), amount + Decimal(li["value"]["amount"]))
    return lines, delivery, total


def _refund_rule(path: str, message: str, pl: str, code: str = "VALIDATION_ERROR"):
    return validation(path, message, pl, code=code)


def _refund_build(conn, seller_id: str, b: dict) -> tuple[dict, str]:
    """The refund document for request `b` (every rule checked), and the form id."""
    payment_id = str(_dig(b, "payment", "id") or "")
    form_row = conn.execute(
        "SELECT * FROM checkout_forms WHERE payment_id = ? AND seller_id = ?", (payment_id, seller_id)
    ).fetchone()
    if form_row is None:
        raise error(404, "PAYMENT_NOT_FOUND", "Payment not found", pl="Nie znaleziono płatności.")
    form = db.loads(form_row["data"]) or {}
    problems = []
    if _dig(b, "order", "id") != form_row["id"]:
        problems.append(
            _refund_rule("order.id", "The payment belongs to another order", "Płatność dotyczy innego zamówienia.")
        )
    payment = form.get("payment") or {}
    paid = _amount(_dig(payment, "paidAmount", "amount"))
    currency = _dig(payment, "paidAmount", "currency") or _dig(form, "summary", "totalToPay", "currency") or "PLN"
    if payment.get("type") == "CASH_ON_DELIVERY" or not payment.get("finishedAt") or not paid:
        raise ApiError(
            422,
            _refund_rule(
                "payment.id",
                "The payment has not been made online, there is nothing to refund",
                "Ta płatność nie została opłacona online – nie ma czego zwrócić.",
                code="PAYMENT_NOT_REFUNDABLE",
            ),
        )
    for part in ("deposits", "surcharges"):
        if b.get(part):
            problems.append(
                _refund_rule(part, f"{part} cannot be refunded for this order", "Tego elementu nie można zwrócić.")
            )
    for part in ("overpaid", "additionalServices"):
        if _dig(b, part, "value", "amount") not in (None, "0", "0.00"):
            problems.append(
                _refund_rule(part, f"{part} cannot be refunded for this order", "Tego elementu nie można zwrócić.")
            )
    done_lines, done_delivery, done_total = _refunded(conn, form_row["id"])
    form_lines = {li.get("id"): li for li in form.get("lineItems") or [] if isinstance(li, dict)}
    out_lines = []
    total = Decimal("0")
    seen = set()
    for i, li in enumerate(b.get("lineItems") or []):
        path = f"lineItems[{i}]"
        line = form_lines.get(li.get("id"))
        if line is None or li.get("id") in seen:
            problems.append(
                _refund_rule(f"{path}.id", "Not a line item of the order", "Nie ma takiej pozycji w zamówieniu.")
            )
            continue
        seen.add(li["id"])
        price = _amount(_dig(line, "price", "amount")) or Decimal("0")
        bought = int(line.get("quantity") or 0)
        done_qty, done_amount = done_lines.get(li["id"], (0, Decimal("0")))
        if li.get("type") == "QUANTITY":
            qty = li.get("quantity")
            if not isinstance(qty, int | float) or qty != int(qty) or not 1 <= qty <= bought - done_qty:
                problems.append(
                    _refund_rule(
                        f"{path}.quantity",
                        f"Quantity must be between 1 and {bought - done_qty}",
                        f"Liczba sztuk do zwrotu musi mieścić się w zakresie 1–{max(bought - done_qty, 0)}.",
                    )
                )
                continue
            value = price * int(qty)
            out = {
                "id": li["id"],
                "type": "QUANTITY",
                "quantity": int(qty),
                "value": {"amount": _money(value), "currency": currency},
            }
        else:
            value = _amount(_dig(li, "value", "amount"))
            if value is None or value <= 0 or _dig(li, "value", "currency") != currency:
                problems.append(_refund_rule(f"{path}.value", "Invalid amount", "Nieprawidłowa kwota zwrotu."))
                continue
            out = {
                "id": li["id"],
                "type": "AMOUNT",
                "quantity": 0,
                "value": {"amount": _money(value), "currency": currency},
            }
        if done_amount + value > price * bought:
            problems.append(
                _refund_rule(
                    f"{path}.value",
                    "The refund exceeds the value of the line item",
                    "Kwota zwrotu przekracza wartość pozycji zamówienia.",
                    code="REFUND_AMOUNT_EXCEEDED",
                )
            )
            continue
        total += value
        out_lines.append(out)
    delivery_doc = None
    if _dig(b, "delivery", "value") is not None:
        amount = _amount(_dig(b, "delivery", "value", "amount"))
        cost = _amount(_dig(form, "delivery", "cost", "amount")) or Decimal("0")
        if amount is None or _dig(b, "delivery", "value", "currency") != currency:
            problems.append(_refund_rule("delivery.value", "Invalid amount", "Nieprawidłowa kwota zwrotu za dostawę."))
        elif done_delivery + amount > cost:
            problems.append(
                _refund_rule(
                    "delivery.value.amount",
                    "The refund exceeds the delivery cost",
                    "Kwota zwrotu przekracza koszt dostawy.",
                    code="REFUND_AMOUNT_EXCEEDED",
                )
            )
        elif amount > 0:
            total += amount
            delivery_doc = {"value": {"amount": _money(amount), "currency": currency}}
    if not problems and total <= 0:
        problems.append(_refund_rule(None, "Nothing to refund", "Wybierz, co zwrócić – kwota zwrotu wynosi 0 zł."))
    if not problems and done_total + total > paid:
        problems.append(
            _refund_rule(
                None,
                "The refund exceeds the paid amount",
                "Kwota zwrotu przekracza kwotę wpłaconą przez kupującego.",
                code="REFUND_AMOUNT_EXCEEDED",
            )
        )
    if problems:
        raise ApiError(422, problems)
    doc = {
        "id": ids.new_uuid(),
        "payment": {"id": payment_id},
        "order": {"id": form_row["id"]},
        "reason": b.get("reason"),
        "createdAt": clock.iso(),
        "totalValue": {"amount": _money(total), "currency": currency},
        "lineItems": out_lines,
    }
    if delivery_doc:
        doc["delivery"] = delivery_doc
    if b.get("sellerComment"):
        doc["sellerComment"] = b["sellerComment"]
    return doc, form_row["id"]


@route("POST", "/payments/refunds", auth="user", media=PUBLIC)
def refund_create(req: Request) -> Response:
    b = _object(req)
    command_id = b.get("commandId") or None
    request_text = json.dumps(b, sort_keys=True)
    with db.tx() as conn:
        if command_id:
            done = conn.execute(
                "SELECT * FROM payment_refunds WHERE seller_id = ? AND command_id = ?", (req.seller_id, command_id)
            ).fetchone()
            if done is not None:
                if done["request"] != request_text:
                    raise error(
                        422,
                        "COMMAND_ID_ALREADY_USED",
                        "commandId was already used for another refund",
                        pl="Ten identyfikator polecenia został już użyty dla innego zwrotu.",
                        path="commandId",
                    )
                return Response.json(_refund_doc(done))  # the same command again: the refund already made
        doc, form_id = _refund_build(conn, req.seller_id, b)
        now = clock.ts()
        conn.execute(
            "INSERT INTO payment_refunds(id, seller_id, command_id, order_id, payment_id, created_ts, request, data)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (doc["id"], req.seller_id, command_id, form_id, doc["payment"]["id"], now, request_text, db.dumps(doc)),
        )
        # The buyer's return of this order is finished once the money goes back.
        conn.execute(
            "UPDATE customer_returns SET final_status = 'FINISHED' WHERE order_id = ? AND final_status IS NULL",
            (form_id,),
        )
        stored = conn.execute("SELECT * FROM payment_refunds WHERE id = ?", (doc["id"],)).fetchone()
    return Response.json(_refund_doc(stored))


@route("GET", "/payments/refunds", auth="user", media=PUBLIC)
def refunds_list(req: Request) -> Response:
    limit = req.int_arg("limit", 50, minimum=1, maximum=100)
    offset = req.int_arg("offset", 0, minimum=0)
    gte, lte = _time_filter(req, "occurredAt.gte"), _time_filter(req, "occurredAt.lte")
    statuses = _split(req, "status")
    for status in statuses:
        if status not in REFUND_STATUSES:
            raise error(
                422, "VALIDATION_ERROR", f"Unknown status {status}", pl="Nieznany status zwrotu.", path="status"
            )
    where, params = ["seller_id = ?"], [req.seller_id]
    for name, column in (("id", "id"), ("payment.id", "payment_id"), ("order.id", "order_id")):
        if req.arg(name):
            where.append(f"{column} = ?")
            params.append(req.arg(name))
    rows = db.query(f"SELECT * FROM payment_refunds WHERE {' AND '.join(where)} ORDER BY created_ts, id", params)
    docs = []
    for row in rows:
        if gte is not None and row["created_ts"] < gte or lte is not None and row["created_ts"] > lte:
            continue
        doc = _refund_doc(row)
        if statuses and doc["status"] not in statuses:
            continue
        docs.append(doc)
    page = docs[offset : offset + limit]
    return Response.json({"refunds": page, "count": len(page), "totalCount": len(docs)})


# commission refund claims ----------------------------------------------------------------------------------
def _claim_doc(row) -> dict:
    doc = db.loads(row["data"])
    if row["cancelled"]:
        doc["status"] = "CANCELLED"
    elif clock.ts() - row["created_ts"] >= CLAIM_GRANTED_SECONDS:
        doc["status"] = "GRANTED"
    else:
        doc["status"] = "IN_PROGRESS"
    return doc


def _claim_refused(message: str, pl: str, path: str | None = None, code: str = "VALIDATION_ERROR") -> ApiError:
    return ApiError(422, validation(path, message, pl, code=code))


@route("POST", "/order/refund-claims", auth="user", media=PUBLIC)
def claim_create(req: Request) -> Response:
    b = _object(req)
    line_item_id = _dig(b, "lineItem", "id")
    quantity = b.get("quantity")
    if not line_item_id:
        raise _claim_refused("lineItem.id is required", "Wskaż pozycję zamówienia.", "lineItem.id")
    if not isinstance(quantity, int):
        raise _claim_refused("quantity is required", "Podaj liczbę sztuk.", "quantity")
    with db.tx() as conn:
        found = None
        for row in conn.execute(
            "SELECT * FROM checkout_forms WHERE seller_id = ? AND instr(data, ?) > 0", (req.seller_id, line_item_id)
        ):
            form = db.loads(row["data"]) or {}
            for li in form.get("lineItems") or []:
                if isinstance(li, dict) and li.get("id") == line_item_id:
                    found = (row, form, li)
        if found is None:
            raise _claim_refused("Line item not found", "Nie znaleziono tej pozycji zamówienia.", "lineItem.id")
        row, form, line = found
        paid = bool(_dig(form, "payment", "finishedAt")) or _dig(form, "payment", "type") == "CASH_ON_DELIVERY"
        if form.get("status") != "CANCELLED" and paid:
            raise _claim_refused(
                "The purchase was paid and not cancelled",
                "Wniosek o rabat można złożyć tylko dla transakcji anulowanej lub nieopłaconej.",
                code="REFUND_CLAIM_NOT_ALLOWED",
            )
        bought = clock.parse_iso(str(line.get("boughtAt") or clock.iso())).timestamp()
        if clock.ts() - bought < CLAIM_WAIT_SECONDS:
            raise _claim_refused(
                "The waiting period has not passed yet",
                "Wniosek o rabat możesz złożyć najwcześniej 7 dni po zakupie.",
                code="REFUND_CLAIM_TOO_EARLY",
            )
        if not 1 <= quantity <= int(line.get("quantity") or 0):
            raise _claim_refused(
                "quantity exceeds the purchased quantity",
                "Liczba sztuk przekracza liczbę kupionych sztuk.",
                "quantity",
            )
        if conn.execute(
            "SELECT 1 FROM refund_claims WHERE seller_id = ? AND line_item_id = ? AND cancelled = 0",
            (req.seller_id, line_item_id),
        ).fetchone():
            raise _claim_refused(
                "A refund claim for this line item already exists",
                "Wniosek o rabat dla tej pozycji już istnieje.",
                code="REFUND_CLAIM_ALREADY_EXISTS",
            )
        price = _amount(_dig(line, "price", "amount")) or Decimal("0")
        commission = (price * quantity * COMMISSION_RATE).quantize(CENT, rounding=ROUND_HALF_UP)
        doc = {
            "id": ids.new_uuid(),
            "quantity": quantity,
            "commission": {"amount": float(commission), "currency": _dig(line, "price", "currency") or "PLN"},
            "buyer": {"id": str(_dig(form, "buyer", "id") or "")},
            "createdAt": clock.iso(),
            "lineItem": {
                "id": line_item_id,
                "quantity": int(line.get("quantity") or 1),
                "boughtAt": clock.iso(bought),
                "offer": {"id": str(_dig(line, "offer", "id") or "")},
            },
            "type": "MANUAL",
        }
        conn.execute(
            "INSERT INTO refund_claims(id, seller_id, line_item_id, created_ts, cancelled, data) VALUES (?,?,?,?,0,?)",
            (doc["id"], req.seller_id, line_item_id, clock.ts(), db.dumps(doc)),
        )
    return Response.json({"id": doc["id"]}, 201)


@route("GET", "/order/refund-claims", auth="user", media=PUBLIC)
def claims_list(req: Request) -> Response:
    limit = req.int_arg("limit", 25, minimum=1, maximum=100)
    offset = req.int_arg("offset", 0, minimum=0)
    status = req.arg("status")
    if status and status not in CLAIM_STATUSES:
        raise error(422, "VALIDATION_ERROR", f"Unknown status {status}", pl="Nieznany status wniosku.", path="status")
    offer_id, buyer_id = req.arg("lineItem.offer.id"), req.arg("buyer.id")
    docs = []
    for row in db.query("SELECT * FROM refund_claims WHERE seller_id = ? ORDER BY created_ts, id", (req.seller_id,)):
        doc = _claim_doc(row)
        if status and doc["status"] != status:
            continue
        if offer_id and doc["lineItem"]["offer"]["id"] != offer_id or buyer_id and doc["buyer"]["id"] != buyer_id:
            continue
        docs.append(doc)
    page = docs[offset : offset + limit]
    return Response.json({"refundClaims": page, "count": len(page)})


def _own_claim(conn, req: Request):
    row = conn.execute(
        "SELECT * FROM refund_claims WHERE id = ? AND seller_id = ?", (req.params["claimId"], req.seller_id)
    ).fetchone()
    if row is None:
        raise error(404, "NOT_FOUND", "Refund application not found", pl="Nie znaleziono wniosku o rabat.")
    return row


@route("GET", "/order/refund-claims/{claimId}", auth="user", media=PUBLIC)
def claim_get(req: Request) -> Response:
    return Response.json(_claim_doc(_own_claim(db.connect(), req)))


@route("DELETE", "/order/refund-claims/{claimId}", auth="user", media=PUBLIC)
def claim_cancel(req: Request) -> Response:
    with db.tx() as conn:
        row = _own_claim(conn, req)
        if _claim_doc(row)["status"] != "IN_PROGRESS":
            raise error(
                422,
                "REFUND_CLAIM_PROCESSED",
                "Refund application has already been processed",
                pl="Wniosek został już rozpatrzony.",
            )
        conn.execute("UPDATE refund_claims SET cancelled = 1 WHERE id = ?", (row["id"],))
    return Response.empty(204)
