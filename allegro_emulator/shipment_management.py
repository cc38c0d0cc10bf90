"""Shipment management ("Wysyłam z Allegro"): delivery services, asynchronous create and cancel commands,
shipments, PDF labels, pickup proposals, pickups and protocols.

Commands are asynchronous as on Allegro: the POST answers at once with the command id and its input, and the
command's status stays IN_PROGRESS for a moment (``command_seconds``, 1 s unless the control route changes it);
the first status read after that runs the command against the stored input and ends it in SUCCESS (with the
shipment or pickup id) or ERROR (with Allegro's error items). A command id sent again is the same command: the
second POST answers with the first command and creates nothing, whatever its body says.

Carriers and services come from the catalogue's delivery methods (fixtures). Labels are PDFs written with fpdf2,
one page per parcel with its waybill.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import secrets
import uuid
from typing import Any

from fpdf import FPDF

from . import catalogue, clock, db, openapi
from .control import control
from .errors import ApiError, error
from .routing import JSON, PUBLIC, Request, Response, route

OCTET = "application/octet-stream"
DEFAULT_COMMAND_SECONDS = 1.0
LOCKER_WORDS = ("paczkomat", "automat", "box", "punkt", "punkcie")
NOT_A_SERVICE = {"1fa56f79-4b6a-4821-a6f2-ca9c16d5c925"}  # "Inny sposób dostawy": no carrier behind it
MAX_WEIGHT_KG = 31.5
LOCKER_MAX_WEIGHT_KG = 25.0

db.add_schema(
    """
-- kind: CREATE | CANCEL | PICKUP; status IN_PROGRESS until ready_at, then SUCCESS | ERROR (run on first read)
CREATE TABLE IF NOT EXISTS swa_commands (
    kind TEXT NOT NULL, id TEXT NOT NULL, seller_id TEXT NOT NULL, input TEXT NOT NULL,
    status TEXT NOT NULL, errors TEXT NOT NULL DEFAULT '[]', result_id TEXT, carrier_result_id TEXT,
    ready_at REAL NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (kind, id));
CREATE TABLE IF NOT EXISTS swa_shipments (
    id TEXT PRIMARY KEY, seller_id TEXT NOT NULL, command_id TEXT NOT NULL, data TEXT NOT NULL,
    created_at TEXT NOT NULL, canceled_at TEXT, picked_up_on TEXT);
CREATE TABLE IF NOT EXISTS swa_pickups (
    id TEXT PRIMARY KEY, seller_id TEXT NOT NULL, command_id TEXT NOT NULL, data TEXT NOT NULL,
    created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS swa_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
""",
    tables=["swa_commands", "swa_shipments", "swa_pickups", "swa_settings"],
)


def swa_route(method: str, pattern: str, **kwargs):
    """A route of this area. Its error items carry ``details`` as a string, never null (the shipment-management
    API documents that the field cannot be null), so bodies are validated here rather than before the handler:
    the spec's refusals get the same shape as the handler's own."""

    def decorator(fn):
        def handler(req: Request) -> Response:
            try:
                if method == "POST":
                    _validate(req)
                return fn(req)
            except ApiError as exc:
                for item in exc.errors:
                    if item.details is None:
                        item.details = ""
                raise

        handler.__name__ = fn.__name__
        handler.__doc__ = fn.__doc__
        route(method, pattern, auth="user", raw_body=method == "POST", **kwargs)(handler)
        return fn

    return decorator


def _checked_twin(r):
    return dataclasses.replace(r, raw_body=False, name=f"{r.name} (body)")


def _validate(req: Request) -> None:
    ctype = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if ctype not in req.route.media and (req.body or ctype):
        raise error(
            415,
            "UnsupportedMediaTypeException",
            f"Content type '{ctype or 'none'}' not supported",
            pl="Nieobsługiwany typ treści żądania (nagłówek Content-Type).",
        )
    # The route reads its body itself (raw_body), so the spec's validator is built for a twin that does not.
    rules = openapi.validate_body(_checked_twin(req.route), req.json())
    if rules:
        raise ApiError(422, rules)
    if not isinstance(req.json(), dict):
        raise error(400, "JsonMappingException", "A JSON object is expected", pl="Oczekiwano obiektu JSON.")


# Settings (a table of this area, so a reset brings the defaults back) -----------------------------------------
def command_seconds() -> float:
    row = db.one("SELECT value FROM swa_settings WHERE key = 'command_seconds'")
    return float(row["value"]) if row else DEFAULT_COMMAND_SECONDS


@control("POST", "/_emulator/shipment-management/settings")
def settings_update(req: Request) -> Response:
    try:
        body = json.loads(req.body or b"{}")
        seconds = float(body.get("command_seconds", DEFAULT_COMMAND_SECONDS))
    except (ValueError, TypeError, AttributeError):
        raise error(400, "BAD_REQUEST", "command_seconds must be a number")
    with db.tx() as conn:
        conn.execute(
            "INSERT INTO swa_settings(key, value) VALUES ('command_seconds', ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (str(max(0.0, seconds)),),
        )
    return Response.json({"command_seconds": command_seconds()}, media=JSON)


@control("GET", "/_emulator/state/shipments")
def state_shipments(req: Request) -> Response:
    """Every shipment, command and pickup (for assertions: how many shipments a command id made)."""
    shipments = [
        {
            **db.loads(r["data"]),
            "commandId": r["command_id"],
            "sellerId": r["seller_id"],
            "canceled": bool(r["canceled_at"]),
        }
        for r in db.query("SELECT * FROM swa_shipments ORDER BY created_at, id")
    ]
    commands = [
        {"kind": r["kind"], "id": r["id"], "status": r["status"], "resultId": r["result_id"]}
        for r in db.query("SELECT * FROM swa_commands ORDER BY created_at")
    ]
    pickups = [db.loads(r["data"]) for r in db.query("SELECT * FROM swa_pickups ORDER BY created_at")]
    return Response.json({"shipments": shipments, "commands": commands, "pickups": pickups}, media=JSON)


# Carriers and services from the catalogue -------------------------------------------------------------------
def carrier_for(method_name: str) -> str:
    name = method_name.lower()
    for words, carrier in (
        (("inpost", "paczkomat"), "INPOST"),
        (("dpd",), "DPD"),
        (("dhl",), "DHL"),
        (("ups",), "UPS"),
        (("pocztex", "list"), "POCZTA_POLSKA"),
        (("one box", "allegro one"), "ALLEGRO"),
    ):
        if any(w in name for w in words):
            return carrier
    return "OTHER"


def _is_locker(method: dict) -> bool:
    return any(w in method["name"].lower() for w in LOCKER_WORDS)


def _is_cod(method: dict) -> bool:
    return method.get("paymentPolicy") == "CASH_ON_DELIVERY"


def _service(method: dict) -> dict:
    owner = "ALLEGRO" if method["name"].startswith("Allegro") else "CLIENT"
    service: dict[str, Any] = {
        "id": {"deliveryMethodId": method["id"]},
        "name": method["name"],
        "carrierId": carrier_for(method["name"]),
        "additionalServices": [],
        "additionalProperties": [],
        "owner": owner,
        "marketplaces": list(method.get("marketplaces") or ["allegro-pl"]),
        "packageTypes": ["DOX", "PACKAGE"] if "list" in method["name"].lower() else ["PACKAGE"],
        "insurance": {"limit": 5000, "currency": "PLN"},
        "features": {},
    }
    if owner == "CLIENT":
        service["id"]["credentialsId"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"swa-credentials:{service['carrierId']}"))
    if _is_cod(method):
        service["cashOnDelivery"] = {
            "limit": 5000,
            "currency": "PLN",
            "paymentType": "MONEY_TRANSFER",
            "forceRequireIban": False,
        }
    return service


def _service_method(method_id: Any) -> dict | None:
    if not isinstance(method_id, str) or method_id in NOT_A_SERVICE:
        return None
    return catalogue.delivery_method(method_id)


@swa_route("GET", "/shipment-management/delivery-services")
def delivery_services(req: Request) -> Response:
    rows = db.query("SELECT data FROM delivery_methods ORDER BY position")
    methods = [db.loads(r["data"]) for r in rows]
    return Response.json({"services": [_service(m) for m in methods if m["id"] not in NOT_A_SERVICE]})


# Commands -------------------------------------------------------------------------------------------------
def _item(path: str | None, message: str, pl: str, code: str = "VALIDATION_ERROR") -> dict:
    return {"code": code, "details": "", "message": message, "path": path, "userMessage": pl}


def _command_row(kind: str, command_id: str, seller_id: str):
    row = db.one("SELECT * FROM swa_commands WHERE kind = ? AND id = ?", (kind, command_id))
    if row is None or row["seller_id"] != seller_id:
        raise error(404, "NOT_FOUND", "Command not found", pl="Nie znaleziono polecenia.")
    return row


def _submit(req: Request, kind: str) -> Response:
    """Store the command (or find the one with this id) and answer with its id and input."""
    body = req.json()
    command_id = body.get("commandId") or str(uuid.uuid4())
    with db.tx() as conn:
        row = conn.execute("SELECT * FROM swa_commands WHERE kind = ? AND id = ?", (kind, command_id)).fetchone()
        if row is not None:
            if row["seller_id"] != req.seller_id:
                raise error(403, "AccessDenied", "The command belongs to another user", pl="Brak dostępu do polecenia.")
            stored = db.loads(row["input"])
        else:
            stored = body.get("input") or {}
            conn.execute(
                "INSERT INTO swa_commands(kind, id, seller_id, input, status, ready_at, created_at)"
                " VALUES (?,?,?,?,?,?,?)",
                (
                    kind,
                    command_id,
                    req.seller_id,
                    db.dumps(stored),
                    "IN_PROGRESS",
                    clock.ts() + command_seconds(),
                    clock.iso(),
                ),
            )
    return Response.json({"commandId": command_id, "input": stored}, headers={"Retry-After": "1"})


def _settle(kind: str, command_id: str, seller_id: str):
    """The command's row, run first when its time has come."""
    row = _command_row(kind, command_id, seller_id)
    if row["status"] != "IN_PROGRESS" or clock.ts() < row["ready_at"]:
        return row
    with db.tx() as conn:
        row = conn.execute("SELECT * FROM swa_commands WHERE kind = ? AND id = ?", (kind, command_id)).fetchone()
        if row["status"] != "IN_PROGRESS":
            return row
        runner = {"CREATE": _run_create, "CANCEL": _run_cancel, "PICKUP": _run_pickup}[kind]
        errors, result_id, carrier_result_id = runner(conn, seller_id, command_id, db.loads(row["input"]))
        conn.execute(
            "UPDATE swa_commands SET status = ?, errors = ?, result_id = ?, carrier_result_id = ?"
            " WHERE kind = ? AND id = ?",
            ("ERROR" if errors else "SUCCESS", db.dumps(errors), result_id, carrier_result_id, kind, command_id),
        )
        return conn.execute("SELECT * FROM swa_commands WHERE kind = ? AND id = ?", (kind, command_id)).fetchone()


def _status_doc(row, result_key: str) -> tuple[dict, dict]:
    doc: dict[str, Any] = {"commandId": row["id"], "status": row["status"], "errors": db.loads(row["errors"])}
    if row["result_id"]:
        doc[result_key] = row["result_id"]
    headers = {"Retry-After": "1"} if row["status"] == "IN_PROGRESS" else {}
    return doc, headers


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _waybill(carrier: str) -> str:
    digits = "".join(str(secrets.randbelow(10)) for _ in range(20))
    return {
        "INPOST": "62" + digits[:22],
        "DPD": "1" + digits[:13] + "U",
        "DHL": "JJD" + digits[:18],
        "UPS": "1Z" + digits[:16],
        "POCZTA_POLSKA": "PX" + digits[:10] + "PL",
    }.get(carrier, "A" + digits[:13])


def _create_errors(inp: dict) -> tuple[list[dict], dict | None]:
    method = _service_method(inp.get("deliveryMethodId"))
    if method is None:
        return [
            _item(
                "input.deliveryMethodId",
                "Delivery service not found",
                "Nie znaleziono usługi dostawy – wybierz usługę Wysyłam z Allegro.",
                "DELIVERY_SERVICE_NOT_FOUND",
            )
        ], None
    problems = []
    receiver = inp.get("receiver") or {}
    if _is_locker(method) and not receiver.get("point"):
        problems.append(
            _item("input.receiver.point", "Pickup point is required", "Podaj punkt odbioru (np. paczkomat) odbiorcy.")
        )
    limit = LOCKER_MAX_WEIGHT_KG if _is_locker(method) else MAX_WEIGHT_KG
    for i, package in enumerate(inp.get("packages") or []):
        weight = _number((package.get("weight") or {}).get("value"))
        if weight is None or weight <= 0 or weight > limit:
            problems.append(
                _item(
                    f"input.packages[{i}].weight.value",
                    f"Weight must be more than 0 and at most {limit} kg",
                    f"Waga paczki musi być większa od 0 i nie większa niż {limit:g} kg.",
                )
            )
        for dim in ("length", "width", "height"):
            value = _number((package.get(dim) or {}).get("value"))
            if value is None or value <= 0 or value > 350:
                problems.append(
                    _item(
                        f"input.packages[{i}].{dim}.value",
                        f"{dim} must be between 0 and 350 cm",
                        "Wymiary paczki muszą mieścić się w zakresie 0–350 cm.",
                    )
                )
    if not inp.get("packages"):
        problems.append(_item("input.packages", "At least one package is required", "Dodaj co najmniej jedną paczkę."))
    if inp.get("cashOnDelivery") and not _is_cod(method):
        problems.append(
            _item(
                "input.cashOnDelivery",
                "This delivery service has no cash on delivery",
                "Ta usługa dostawy nie obsługuje pobrania.",
            )
        )
    return problems, method


def _run_create(conn, seller_id: str, command_id: str, inp: dict) -> tuple[list[dict], str | None, str | None]:
    problems, method = _create_errors(inp)
    if problems:
        return problems, None, None
    carrier = carrier_for(method["name"])
    packages = []
    for package in inp["packages"]:
        waybill = _waybill(carrier)
        doc = {
            "waybill": waybill,
            "type": package.get("type") or "PACKAGE",
            "length": package["length"],
            "width": package["width"],
            "height": package["height"],
            "weight": package["weight"],
            "transportingInfo": [{"carrierId": carrier, "carrierWaybill": waybill}],
        }
        if package.get("textOnLabel"):
            doc["textOnLabel"] = package["textOnLabel"]
        packages.append(doc)
    shipment_id = base64.urlsafe_b64encode(f"ALLEGRO:{packages[0]['waybill']}".encode()).decode().rstrip("=")
    shipment: dict[str, Any] = {
        "id": shipment_id,
        "deliveryMethodId": method["id"],
        "sender": inp.get("sender") or {},
        "receiver": inp.get("receiver") or {},
        "packages": packages,
        "createdDate": clock.iso(),
        "carrier": carrier,
        "labelFormat": inp.get("labelFormat") or "PDF",
        "additionalServices": list(inp.get("additionalServices") or []),
        "additionalProperties": dict(inp.get("additionalProperties") or {}),
        "transport": [],
        "pickupAvailable": True,
    }
    for key in ("credentialsId", "referenceNumber", "insurance", "cashOnDelivery"):
        if inp.get(key):
            shipment[key] = inp[key]
    conn.execute(
        "INSERT INTO swa_shipments(id, seller_id, command_id, data, created_at) VALUES (?,?,?,?,?)",
        (shipment_id, seller_id, command_id, db.dumps(shipment), clock.iso()),
    )
    return [], shipment_id, None


def _picked_up(row) -> bool:
    return bool(row["picked_up_on"]) and row["picked_up_on"] <= clock.now().date().isoformat()


def _run_cancel(conn, seller_id: str, command_id: str, inp: dict) -> tuple[list[dict], str | None, str | None]:
    shipment_id = inp.get("shipmentId")
    row = conn.execute(
        "SELECT * FROM swa_shipments WHERE id = ? AND seller_id = ?", (shipment_id, seller_id)
    ).fetchone()
    if row is None:
        return [_item("input.shipmentId", "Shipment not found", "Nie znaleziono przesyłki.", "NOT_FOUND")], None, None
    if row["canceled_at"]:
        return [_item("input.shipmentId", "Shipment already canceled", "Przesyłka jest już anulowana.")], None, None
    if _picked_up(row):
        return (
            [_item("input.shipmentId", "The courier has picked the shipment up", "Kurier odebrał już tę przesyłkę.")],
            None,
            None,
        )
    data = db.loads(row["data"])
    data["canceledDate"] = clock.iso()
    conn.execute(
        "UPDATE swa_shipments SET canceled_at = ?, data = ? WHERE id = ?", (clock.iso(), db.dumps(data), shipment_id)
    )
    return [], shipment_id, None


@swa_route("POST", "/shipment-management/shipments/create-commands")
def create_command(req: Request) -> Response:
    return _submit(req, "CREATE")


@swa_route("GET", "/shipment-management/shipments/create-commands/{commandId}")
def create_command_status(req: Request) -> Response:
    doc, headers = _status_doc(_settle("CREATE", req.params["commandId"], req.seller_id), "shipmentId")
    return Response.json(doc, headers=headers)


@swa_route("POST", "/shipment-management/shipments/cancel-commands")
def cancel_command(req: Request) -> Response:
    return _submit(req, "CANCEL")


@swa_route("GET", "/shipment-management/shipments/cancel-commands/{commandId}")
def cancel_command_status(req: Request) -> Response:
    row = _settle("CANCEL", req.params["commandId"], req.seller_id)
    doc, headers = _status_doc(row, "shipmentId")
    if "shipmentId" not in doc:
        shipment_id = db.loads(row["input"]).get("shipmentId")
        if isinstance(shipment_id, str):
            doc["shipmentId"] = shipment_id
    return Response.json(doc, headers=headers)


# Shipments, labels, protocols -------------------------------------------------------------------------------
def _own_shipment(shipment_id: Any, seller_id: str, *, status: int = 404):
    row = db.one("SELECT * FROM swa_shipments WHERE id = ? AND seller_id = ?", (shipment_id, seller_id))
    if row is None:
        raise error(
            status, "NOT_FOUND", f"Shipment {shipment_id} not found", pl="Nie znaleziono przesyłki.", path="shipmentIds"
        )
    return row


@swa_route("GET", "/shipment-management/shipments/{shipmentId}")
def shipment_get(req: Request) -> Response:
    return Response.json(db.loads(_own_shipment(req.params["shipmentId"], req.seller_id)["data"]))


_PL = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ–—„”’", 'acelnoszzACELNOSZZ--""\'')


def _ascii(text: Any) -> str:
    """The core PDF fonts know Latin-1 only: Polish letters are written without their marks."""
    return str(text or "").translate(_PL).encode("latin-1", "replace").decode("latin-1")


def _address_lines(address: dict) -> list[str]:
    lines = [address.get("name") or "", address.get("company") or "", address.get("street") or ""]
    lines.append(f"{address.get('postalCode') or ''} {address.get('city') or ''}".strip())
    if address.get("point"):
        lines.append(f"Punkt odbioru: {address['point']}")
    lines.append(address.get("phone") or "")
    return [line for line in lines if line]


def _label_pdf(shipments: list[dict], page_size: str) -> bytes:
    pdf = FPDF(format="A4" if page_size == "A4" else (105, 148))  # A6 in millimetres
    pdf.set_auto_page_break(False)
    for shipment in shipments:
        count = len(shipment["packages"])
        for number, package in enumerate(shipment["packages"], start=1):
            pdf.add_page()
            pdf.set_font("Helvetica", "B", 14)
            pdf.cell(0, 8, _ascii(f"Wysylam z Allegro - {shipment['carrier']}"), new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", "", 8)
            pdf.cell(0, 5, _ascii(f"Paczka {number}/{count}"), new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", "B", 9)
            pdf.cell(0, 5, "Nadawca:", new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", "", 8)
            for line in _address_lines(shipment.get("sender") or {}):
                pdf.cell(0, 4, _ascii(line)[:60], new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", "B", 9)
            pdf.cell(0, 5, "Odbiorca:", new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", "", 9)
            for line in _address_lines(shipment.get("receiver") or {}):
                pdf.cell(0, 5, _ascii(line)[:60], new_x="LMARGIN", new_y="NEXT")
            cod = shipment.get("cashOnDelivery")
            if cod:
                pdf.set_font("Helvetica", "B", 10)
                pdf.cell(
                    0, 6, _ascii(f"POBRANIE: {cod.get('amount')} {cod.get('currency')}"), new_x="LMARGIN", new_y="NEXT"
                )
            weight = (package.get("weight") or {}).get("value")
            pdf.set_font("Helvetica", "", 8)
            pdf.cell(0, 5, _ascii(f"Waga: {weight} kg"), new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", "B", 12)
            pdf.cell(0, 8, _ascii(package["waybill"]), new_x="LMARGIN", new_y="NEXT")
            if package["waybill"].isalnum():
                pdf.code39(f"*{package['waybill'].upper()}*", x=pdf.l_margin, y=pdf.get_y() + 1, w=0.5, h=12)
    return bytes(pdf.output())


def _protocol_pdf(shipments: list[dict]) -> bytes:
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 10, _ascii("Protokół nadania przesyłek"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(0, 6, _ascii(f"Data: {clock.now().date().isoformat()}"), new_x="LMARGIN", new_y="NEXT")
    for number, shipment in enumerate(shipments, start=1):
        waybills = ", ".join(p["waybill"] for p in shipment["packages"])
        receiver = (shipment.get("receiver") or {}).get("name") or ""
        pdf.cell(
            0,
            6,
            _ascii(f"{number}. {shipment['carrier']}  {waybills}  {receiver}")[:110],
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.cell(0, 16, _ascii("Podpis kuriera: ........................"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _requested_shipments(req: Request, *, status: int = 404) -> list[dict]:
    body = req.json()
    rows = [_own_shipment(shipment_id, req.seller_id, status=status) for shipment_id in body.get("shipmentIds") or []]
    return [{**db.loads(r["data"]), "_canceled": bool(r["canceled_at"])} for r in rows]


@swa_route("POST", "/shipment-management/label", media=(OCTET, PUBLIC), error_media=PUBLIC)
def label(req: Request) -> Response:
    shipments = _requested_shipments(req)
    canceled = [s["id"] for s in shipments if s["_canceled"]]
    if canceled:
        raise error(
            400,
            "SHIPMENT_CANCELED",
            f"Shipment {canceled[0]} is canceled",
            pl="Przesyłka jest anulowana.",
            path="shipmentIds",
        )
    page_size = req.json().get("pageSize") or "A6"
    return Response(
        200, _label_pdf(shipments, page_size), OCTET, {"Content-Disposition": 'attachment; filename="label.pdf"'}
    )


@swa_route("POST", "/shipment-management/protocol", media=(OCTET, PUBLIC), error_media=PUBLIC)
def protocol(req: Request) -> Response:
    shipments = [s for s in _requested_shipments(req) if not s["_canceled"]]
    if not shipments:
        return Response.empty(204)
    return Response(
        200, _protocol_pdf(shipments), OCTET, {"Content-Disposition": 'attachment; filename="protocol.pdf"'}
    )


# Pickups ------------------------------------------------------------------------------------------------------
def _working_days(start: dt.date, count: int = 3) -> list[dt.date]:
    days = []
    day = start
    while len(days) < count:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return days


def _proposal_days(ready: Any) -> list[dt.date]:
    today = clock.now().date()
    start = today
    if isinstance(ready, str):
        try:
            start = max(today, dt.date.fromisoformat(ready[:10]) - dt.timedelta(days=1))
        except ValueError:
            start = today
    return _working_days(start)


def _day_name(day: dt.date) -> str:
    months = "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października listopada grudnia"
    return f"{day.day} {months.split()[day.month - 1]} {day.year}, 9:00–17:00"


@swa_route("POST", "/shipment-management/pickup-proposals")
def pickup_proposals(req: Request) -> Response:
    shipments = _requested_shipments(req, status=400)
    canceled = [s["id"] for s in shipments if s["_canceled"]]
    if canceled:
        raise error(400, "SHIPMENT_CANCELED", f"Shipment {canceled[0]} is canceled", pl="Przesyłka jest anulowana.")
    days = _proposal_days(req.json().get("readyDate"))
    proposals = [
        {
            "shipmentId": s["id"],
            "proposalItems": [{"id": d.isoformat(), "name": _day_name(d)} for d in days],
            "pickupTimes": [{"date": d.isoformat(), "minTime": "09:00", "maxTime": "17:00"} for d in days],
        }
        for s in shipments
    ]
    return Response.json([{"proposals": proposals, "address": req.json().get("address") or {}}])


def _run_pickup(conn, seller_id: str, command_id: str, inp: dict) -> tuple[list[dict], str | None, str | None]:
    ids = inp.get("shipmentIds") or []
    rows = [
        conn.execute("SELECT * FROM swa_shipments WHERE id = ? AND seller_id = ?", (i, seller_id)).fetchone()
        for i in ids
    ]
    if not ids or any(r is None or r["canceled_at"] for r in rows):
        return (
            [
                _item(
                    "input.shipmentIds",
                    "Shipment not found or canceled",
                    "Nie znaleziono przesyłki lub jest anulowana.",
                )
            ],
            None,
            None,
        )
    day = (inp.get("pickupTime") or {}).get("date") or inp.get("pickupDateProposalId") or ""
    allowed = {d.isoformat() for d in _working_days(clock.now().date(), 5)}
    if not isinstance(day, str) or day[:10] not in allowed:
        return (
            [
                _item(
                    "input.pickupDateProposalId",
                    "Pickup date is not one of the proposals",
                    "Wybierz termin odbioru z zaproponowanych.",
                )
            ],
            None,
            None,
        )
    pickup_id = str(uuid.uuid4())
    carrier_pickup_id = f"P{secrets.randbelow(10**9):09d}"
    shipments = [db.loads(r["data"]) for r in rows]
    doc = {
        "id": pickup_id,
        "carrierPickupId": carrier_pickup_id,
        "carrier": shipments[0]["carrier"],
        "pickupCarrier": shipments[0]["carrier"],
        "address": inp.get("address") or {},
        "shipmentIds": list(ids),
        "waybills": [p["waybill"] for s in shipments for p in s["packages"]],
    }
    conn.execute(
        "INSERT INTO swa_pickups(id, seller_id, command_id, data, created_at) VALUES (?,?,?,?,?)",
        (pickup_id, seller_id, command_id, db.dumps(doc), clock.iso()),
    )
    for shipment_id in ids:
        conn.execute("UPDATE swa_shipments SET picked_up_on = ? WHERE id = ?", (day[:10], shipment_id))
    return [], pickup_id, carrier_pickup_id


@swa_route("POST", "/shipment-management/pickups/create-commands")
def pickup_command(req: Request) -> Response:
    return _submit(req, "PICKUP")


@swa_route("GET", "/shipment-management/pickups/create-commands/{commandId}")
def pickup_command_status(req: Request) -> Response:
    row = _settle("PICKUP", req.params["commandId"], req.seller_id)
    doc, headers = _status_doc(row, "pickupId")
    if row["carrier_result_id"]:
        doc["carrierPickupId"] = row["carrier_result_id"]
    return Response.json(doc, headers=headers)


@swa_route("GET", "/shipment-management/pickups/{pickupId}")
def pickup_get(req: Request) -> Response:
    row = db.one("SELECT * FROM swa_pickups WHERE id = ? AND seller_id = ?", (req.params["pickupId"], req.seller_id))
    if row is None:
        raise error(404, "NOT_FOUND", "Pickup not found", pl="Nie znaleziono zamówienia odbioru.")
    return Response.json(db.loads(row["data"]))
