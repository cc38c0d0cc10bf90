"""Invoices area: a seller's invoices attached to checkout forms.

Allegro takes an invoice in two steps: `POST /order/checkout-forms/{id}/invoices` declares it (number and
file name) and answers its id; `PUT .../invoices/{invoiceId}/file` then uploads the PDF (at most 3 MB) once.
`GET .../invoices` lists what the order holds, with the antivirus check of each uploaded file.

Rules kept as Allegro keeps them:
* the invoice number is required and one number is declared once per order (a second declaration with the
  same number is refused with 409, so a client that lost the answer finds its invoice in the list instead
  of making a second one);
* a new declaration while the order's previous one is still waiting for its file, less than
  `METADATA_INTERVAL_SECONDS` ago, is refused with 429 ("upload a file to the previous metadata or wait");
* the file: `application/pdf`, not empty, a PDF by its content (`%PDF-`), at most 3 MB (413 above), uploaded
  once per invoice (409 after that).

Tables: `order_invoices` (one row per declared invoice, the file's bytes beside it once uploaded).
Control routes: `GET /_emulator/state/invoices` (every invoice, without the bytes) and
`GET /_emulator/invoices/{invoiceId}/file` (the uploaded PDF) for assertions.
"""

from __future__ import annotations

import hashlib
import re

from . import clock, db, ids
from .control import control
from .errors import ApiError, error, validation
from .routing import JSON, Request, Response, route

MAX_FILE_BYTES = 3 * 1024 * 1024
MAX_NUMBER_LENGTH = 64
METADATA_INTERVAL_SECONDS = 3
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

db.add_schema(
    """
CREATE TABLE IF NOT EXISTS order_invoices (
    id TEXT PRIMARY KEY, checkout_form_id TEXT NOT NULL, seller_id TEXT NOT NULL, invoice_number TEXT NOT NULL,
    file_name TEXT NOT NULL, created_at TEXT NOT NULL, created_ts REAL NOT NULL, uploaded_at TEXT,
    file_size INTEGER, file_sha256 TEXT, file BLOB,
    UNIQUE (checkout_form_id, invoice_number));
CREATE INDEX IF NOT EXISTS order_invoices_form ON order_invoices(checkout_form_id, created_ts);
""",
    tables=["order_invoices"],
)


def _order_not_found() -> ApiError:
    return error(404, "NOT_FOUND", "Order with given id does not exist", pl="Nie znaleziono zamówienia.")


def _form(conn, form_id: str, seller_id: str | None):
    """The seller's checkout form, or 404 (an id that is not a UUID cannot name one)."""
    if not UUID_RE.match(form_id):
        raise _order_not_found()
    row = conn.execute("SELECT id, seller_id FROM checkout_forms WHERE id = ?", (form_id,)).fetchone()
    if row is None:
        raise _order_not_found()
    if row["seller_id"] != seller_id:
        raise error(
            403,
            "AccessDenied",
            "You do not have permission to access this order",
            pl="Nie masz dostępu do tego zamówienia.",
        )
    return row


def _invoice_doc(row) -> dict:
    file_doc: dict = {"name": row["file_name"]}
    if row["uploaded_at"]:
        file_doc["uploadedAt"] = row["uploaded_at"]
        # The antivirus check of the emulator is instant; Allegro's takes a moment (WAITING first).
        file_doc["securityVerification"] = {"status": "ACCEPTED", "verifiedAt": row["uploaded_at"]}
        file_doc["verification"] = {"status": "NOT_APPLICABLE", "details": []}
    return {
        "id": row["id"],
        "invoiceNumber": row["invoice_number"],
        "createdAt": row["created_at"],
        "file": file_doc,
    }


@route("GET", "/order/checkout-forms/{id}/invoices", auth="user")
def invoices_list(req: Request) -> Response:
    conn = db.connect()
    _form(conn, req.params["id"], req.seller_id)
    rows = conn.execute(
        "SELECT * FROM order_invoices WHERE checkout_form_id = ? ORDER BY created_ts, rowid", (req.params["id"],)
    ).fetchall()
    return Response.json({"invoices": [_invoice_doc(r) for r in rows], "hasExternalInvoices": False})


@route("POST", "/order/checkout-forms/{id}/invoices", auth="user")
def invoices_add(req: Request) -> Response:
    body = req.json()  # the spec's check has run: an object with file.name (a string)
    number = body.get("invoiceNumber")
    name = (body.get("file") or {}).get("name")
    problems = []
    if not isinstance(number, str) or not number.strip():
        problems.append(validation("invoiceNumber", "Invoice number is required", "Podaj numer faktury."))
    elif len(number) > MAX_NUMBER_LENGTH:
        problems.append(
            validation(
                "invoiceNumber",
                f"Invoice number must be at most {MAX_NUMBER_LENGTH} characters long",
                f"Numer faktury może mieć najwyżej {MAX_NUMBER_LENGTH} znaków.",
            )
        )
    if not isinstance(name, str) or not name.strip():
        problems.append(validation("file.name", "File name is required", "Podaj nazwę pliku faktury."))
    elif not name.lower().endswith(".pdf"):
        problems.append(
            validation("file.name", "Only PDF files are accepted", "Fakturę można dodać tylko jako plik PDF.")
        )
    with db.tx() as conn:
        form = _form(conn, req.params["id"], req.seller_id)
        if problems:
            raise ApiError(422, problems)
        number = number.strip()
        if conn.execute(
            "SELECT 1 FROM order_invoices WHERE checkout_form_id = ? AND invoice_number = ?", (form["id"], number)
        ).fetchone():
            raise error(
                409,
                "CONFLICT",
                f"Invoice {number} is already added to this order",
                pl=f"Faktura {number} jest już dodana do tego zamówienia.",
                path="invoiceNumber",
            )
        waiting = conn.execute(
            "SELECT created_ts FROM order_invoices WHERE checkout_form_id = ? AND uploaded_at IS NULL"
            " ORDER BY created_ts DESC LIMIT 1",
            (form["id"],),
        ).fetchone()
        if waiting is not None and clock.ts() - waiting["created_ts"] < METADATA_INTERVAL_SECONDS:
            too_fast = error(
                429,
                "TOO_MANY_REQUESTS",
                "You're trying to add another metadata too fast. Upload a file to previously added metadata"
                " or wait a few seconds before adding next metadata.",
                pl="Zbyt szybko dodajesz kolejną fakturę. Prześlij plik poprzedniej lub odczekaj kilka sekund.",
            )
            too_fast.headers["Retry-After"] = str(METADATA_INTERVAL_SECONDS)
            raise too_fast
        invoice_id = ids.new_uuid()
        conn.execute(
            "INSERT INTO order_invoices(id, checkout_form_id, seller_id, invoice_number, file_name, created_at,"
            " created_ts) VALUES (?,?,?,?,?,?,?)",
            (invoice_id, form["id"], form["seller_id"], number, name.strip(), clock.iso(), clock.ts()),
        )
    return Response.json({"id": invoice_id}, 201)


@route(
    "PUT",
    "/order/checkout-forms/{id}/invoices/{invoiceId}/file",
    auth="user",
    raw_body=True,
)
def invoice_file_upload(req: Request) -> Response:
    ctype = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    with db.tx() as conn:
        form = _form(conn, req.params["id"], req.seller_id)
        row = conn.execute(
            "SELECT * FROM order_invoices WHERE id = ? AND checkout_form_id = ?", (req.params["invoiceId"], form["id"])
        ).fetchone()
        if row is None:
            raise error(
                404, "NOT_FOUND", "Invoice with given id does not exist", pl="Nie znaleziono faktury w zamówieniu."
            )
        if ctype != "application/pdf":
            raise error(
                415,
                "UnsupportedMediaTypeException",
                f"Content type '{ctype or 'none'}' not supported",
                pl="Plik faktury wysyła się jako application/pdf.",
            )
        if row["uploaded_at"]:
            raise error(
                409,
                "CONFLICT",
                "Invoice with given id already has invoice file uploaded",
                pl="Plik tej faktury został już przesłany.",
            )
        data = req.body
        if not data:
            raise error(422, "VALIDATION_ERROR", "Uploaded file is empty", pl="Przesłany plik jest pusty.")
        if len(data) > MAX_FILE_BYTES:
            raise error(
                413,
                "PAYLOAD_TOO_LARGE",
                "The file is too large. Max file size is 3MB",
                pl="Plik jest za duży. Faktura może mieć najwyżej 3 MB.",
            )
        if not data.startswith(b"%PDF-"):
            raise error(
                422, "VALIDATION_ERROR", "The file is not a PDF document", pl="Przesłany plik nie jest plikiem PDF."
            )
        conn.execute(
            "UPDATE order_invoices SET uploaded_at = ?, file_size = ?, file_sha256 = ?, file = ? WHERE id = ?",
            (clock.iso(), len(data), hashlib.sha256(data).hexdigest(), data, row["id"]),
        )
    return Response.empty(200)


# control ------------------------------------------------------------------------------------------------------
@control("GET", "/_emulator/state/invoices")
def state_invoices(req: Request) -> Response:
    """Every declared invoice (optionally of one checkout form), without the file's bytes."""
    form_id = req.arg("checkout_form_id")
    sql = (
        "SELECT id, checkout_form_id, seller_id, invoice_number, file_name, created_at, uploaded_at, file_size,"
        " file_sha256 FROM order_invoices"
    )
    rows = (
        db.query(sql + " WHERE checkout_form_id = ? ORDER BY rowid", (form_id,))
        if form_id
        else db.query(sql + " ORDER BY rowid")
    )
    return Response.json({"invoices": [dict(r) for r in rows]}, media=JSON)


@control("GET", "/_emulator/invoices/{invoiceId}/file")
def state_invoice_file(req: Request) -> Response:
    row = db.one("SELECT file FROM order_invoices WHERE id = ?", (req.params["invoiceId"],))
    if row is None or row["file"] is None:
        raise error(404, "NOT_FOUND", "No file for this invoice")
    return Response(200, bytes(row["file"]), "application/pdf")
