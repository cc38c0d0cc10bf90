"""Message Center (`/messaging/...`): buyers' threads and messages, the seller's replies, attachments.

Buyers write through the control API (`POST /_emulator/messages`): the first message of a buyer to a seller
opens a thread, later ones land in it and mark it unread. The seller reads threads and messages, marks a
thread read, writes in a thread and sends attachments the way Allegro takes them: declare the attachment
(`POST /messaging/message-attachments` with its file name and size), upload the bytes
(`PUT /messaging/message-attachments/{id}` in the file's own content type), then name its id in the message.

Allegro's rules kept here: text 1–2000 characters, at most 5 MiB per attachment (declared and uploaded), only
PNG, GIF, BMP, TIFF, JPEG and PDF files, an attachment used once and only after its upload, threads listed by
their last message (newest first), messages of a thread newest first, `limit` 1–20. The messaging POSTs have
no idempotency key: a POST sent twice writes twice (clients find their own message by reading the thread).
`GET /_emulator/messages` shows what the buyers received (the tests look there).
"""

from __future__ import annotations

import datetime as dt
import json
import re

from . import clock, db
from .control import control, ok
from .errors import ApiError, error, not_found, validation
from .routing import BETA, PUBLIC, Request, Response, route

db.add_schema(
    """
CREATE TABLE IF NOT EXISTS msg_threads (
    id TEXT PRIMARY KEY, seller_id TEXT NOT NULL, buyer_login TEXT NOT NULL, read INTEGER NOT NULL DEFAULT 0,
    last_message_at TEXT NOT NULL, created_at TEXT NOT NULL, UNIQUE (seller_id, buyer_login));
CREATE INDEX IF NOT EXISTS msg_threads_seller ON msg_threads (seller_id, last_message_at);
CREATE TABLE IF NOT EXISTS msg_messages (
    id TEXT PRIMARY KEY, thread_id TEXT NOT NULL, seller_id TEXT NOT NULL, author_login TEXT NOT NULL,
    from_buyer INTEGER NOT NULL, text TEXT NOT NULL, subject TEXT, type TEXT NOT NULL, offer_id TEXT,
    order_id TEXT, attachments TEXT NOT NULL DEFAULT '[]', created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS msg_messages_thread ON msg_messages (thread_id, created_at);
CREATE TABLE IF NOT EXISTS msg_attachments (
    id TEXT PRIMARY KEY, seller_id TEXT NOT NULL, filename TEXT NOT NULL, size INTEGER NOT NULL,
    mime_type TEXT, data BLOB, message_id TEXT, created_at TEXT NOT NULL);
""",
    tables=["msg_threads", "msg_messages", "msg_attachments"],
)

MAX_TEXT = 2000
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MIME_BY_EXTENSION = {
    "png": "image/png",
    "gif": "image/gif",
    "bmp": "image/bmp",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "pdf": "application/pdf",
}
UPLOAD_TYPES = frozenset(MIME_BY_EXTENSION.values())
AVATAR = "https://a.allegroimg.com/original/00/avatar"


def _uuid() -> str:
    from .ids import new_uuid

    return new_uuid()


def _seller_login(seller_id: str) -> str:
    row = db.one("SELECT login FROM sellers WHERE id = ?", (seller_id,))
    return row["login"] if row else seller_id


def _thread_doc(row) -> dict:
    return {
        "id": row["id"],
        "read": bool(row["read"]),
        "lastMessageDateTime": row["last_message_at"],
        "interlocutor": {"login": row["buyer_login"], "avatarUrl": AVATAR},
    }


def _message_doc(row, base_url: str) -> dict:
    seller_login = _seller_login(row["seller_id"])
    attachments = []
    for item in json.loads(row["attachments"] or "[]"):
        attachments.append(
            {
                "fileName": item["fileName"],
                "mimeType": item["mimeType"],
                "url": f"{base_url}/messaging/message-attachments/{item['id']}",
                "status": "SAFE",
            }
        )
    relates: dict = {"offer": {"id": row["offer_id"]} if row["offer_id"] else None}
    if row["order_id"]:
        relates["order"] = {"id": row["order_id"]}
    return {
        "id": row["id"],
        "status": "DELIVERED",
        "type": row["type"],
        "createdAt": row["created_at"],
        "thread": {"id": row["thread_id"]},
        "author": {
            "login": row["author_login"] if row["from_buyer"] else seller_login,
            "isInterlocutor": bool(row["from_buyer"]),
        },
        "text": row["text"],
        "subject": row["subject"],
        "relatesTo": relates,
        "hasAdditionalAttachments": False,
        "attachments": attachments,
        "additionalInformation": None,
    }


def _own_thread(req: Request):
    row = db.one("SELECT * FROM msg_threads WHERE id = ?", (req.params["threadId"],))
    if row is None:
        raise not_found("Thread", pl="Nie znaleziono wątku.")
    if row["seller_id"] != req.seller_id:
        raise error(403, "AccessDenied", "User not allowed to access this thread", pl="Brak dostępu do wątku.")
    return row


def _time_arg(req: Request, name: str) -> str | None:
    raw = req.arg(name)
    if raw is None:
        return None
    try:
        return clock.iso(clock.parse_iso(raw))
    except ValueError:
        raise error(
            422, "VALIDATION_ERROR", f"Invalid value of '{name}'", pl=f"Nieprawidłowa data w '{name}'.", path=name
        )


# Threads ---------------------------------------------------------------------------------------------
@route("GET", "/messaging/threads", auth="user")
def threads_list(req: Request) -> Response:
    limit = req.int_arg("limit", 20, minimum=1, maximum=20)
    offset = req.int_arg("offset", 0, minimum=0, maximum=15000000)
    rows = db.query(
        "SELECT * FROM msg_threads WHERE seller_id = ? ORDER BY last_message_at DESC, id LIMIT ? OFFSET ?",
        (req.seller_id, limit, offset),
    )
    return Response.json({"threads": [_thread_doc(r) for r in rows], "offset": offset, "limit": limit})


@route("GET", "/messaging/threads/{threadId}", auth="user")
def thread_get(req: Request) -> Response:
    row = db.one("SELECT * FROM msg_threads WHERE id = ? AND seller_id = ?", (req.params["threadId"], req.seller_id))
    if row is None:
        raise not_found("Thread", pl="Nie znaleziono wątku.")
    return Response.json(_thread_doc(row))


@route("PUT", "/messaging/threads/{threadId}/read", auth="user")
def thread_read(req: Request) -> Response:
    row = _own_thread(req)
    body = req.json()
    with db.tx() as conn:
        conn.execute("UPDATE msg_threads SET read = ? WHERE id = ?", (1 if body["read"] else 0, row["id"]))
    return Response.json(_thread_doc(db.one("SELECT * FROM msg_threads WHERE id = ?", (row["id"],))))


# Messages --------------------------------------------------------------------------------------------
@route("GET", "/messaging/threads/{threadId}/messages", auth="user")
def messages_list(req: Request) -> Response:
    thread = _own_thread(req)
    limit = req.int_arg("limit", 20, minimum=1, maximum=20)
    offset = req.int_arg("offset", 0, minimum=0, maximum=15000)
    before, after = _time_arg(req, "before"), _time_arg(req, "after")
    if before and req.arg("offset") is not None:
        raise error(
            422,
            "VALIDATION_ERROR",
            "'before' cannot be used with 'offset'",
            pl="Parametru 'before' nie można łączyć z 'offset'.",
            path="before",
        )
    sql, params = "SELECT * FROM msg_messages WHERE thread_id = ?", [thread["id"]]
    if before:
        sql, params = sql + " AND created_at < ?", [*params, before]
    if after:
        sql, params = sql + " AND created_at > ?", [*params, after]
    rows = db.query(sql + " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?", (*params, limit, offset))
    return Response.json({"messages": [_message_doc(r, req.base_url) for r in rows], "offset": offset, "limit": limit})


@route("GET", "/messaging/messages/{messageId}", auth="user")
def message_get(req: Request) -> Response:
    row = db.one("SELECT * FROM msg_messages WHERE id = ? AND seller_id = ?", (req.params["messageId"], req.seller_id))
    if row is None:
        raise not_found("Message", pl="Nie znaleziono wiadomości.")
    return Response.json(_message_doc(row, req.base_url))


def _check_text(text: str) -> list:
    if not text.strip():
        return [validation("text", "Message text must not be blank", "Treść wiadomości nie może być pusta.")]
    if len(text) > MAX_TEXT:
        return [
            validation(
                "text",
                f"Message text can have at most {MAX_TEXT} characters",
                f"Treść wiadomości może mieć najwyżej {MAX_TEXT} znaków.",
            )
        ]
    return []


def _claim_attachments(conn, seller_id: str, refs: list | None) -> tuple[list, list[str]]:
    """The uploaded attachments a message names; an unknown, not uploaded or already sent one is refused."""
    items, ids, problems = [], [], []
    for i, ref in enumerate(refs or []):
        att_id = ref["id"]
        row = conn.execute(
            "SELECT * FROM msg_attachments WHERE id = ? AND seller_id = ?", (att_id, seller_id)
        ).fetchone()
        path = f"attachments[{i}].id"
        if row is None:
            problems.append(validation(path, "Attachment not found", "Nie znaleziono załącznika."))
        elif row["data"] is None:
            problems.append(validation(path, "Attachment was not uploaded", "Załącznik nie został wgrany."))
        elif row["message_id"] is not None or att_id in ids:
            problems.append(validation(path, "Attachment already used", "Załącznik został już wysłany."))
        else:
            ids.append(att_id)
            items.append({"id": att_id, "fileName": row["filename"], "mimeType": row["mime_type"]})
    if problems:
        raise ApiError(422, problems)
    return items, ids


def _store_message(conn, *, thread, seller_id: str, from_buyer: bool, text: str, attachments: list, **extra) -> str:
    message_id = _uuid()
    now = clock.iso()
    conn.execute(
        "INSERT INTO msg_messages (id, thread_id, seller_id, author_login, from_buyer, text, subject, type, offer_id,"
        " order_id, attachments, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            message_id,
            thread["id"],
            seller_id,
            thread["buyer_login"] if from_buyer else "",
            1 if from_buyer else 0,
            text,
            extra.get("subject"),
            extra.get("type") or "MESSAGE_CENTER",
            extra.get("offer_id"),
            extra.get("order_id"),
            json.dumps(attachments),
            now,
        ),
    )
    # The seller's own message leaves the thread as it was read; a buyer's message makes it unread.
    conn.execute(
        "UPDATE msg_threads SET last_message_at = ?, read = CASE WHEN ? THEN 0 ELSE read END WHERE id = ?",
        (now, 1 if from_buyer else 0, thread["id"]),
    )
    return message_id


@route("POST", "/messaging/threads/{threadId}/messages", auth="user")
def message_in_thread(req: Request) -> Response:
    thread = _own_thread(req)
    body = req.json()
    problems = _check_text(body["text"])
    if problems:
        raise ApiError(422, problems)
    with db.tx() as conn:
        items, ids = _claim_attachments(conn, req.seller_id, body.get("attachments"))
        # A reply relates to what the buyer's last message related to (Allegro shows the order beside it).
        last = conn.execute(
            "SELECT offer_id, order_id FROM msg_messages WHERE thread_id = ? AND from_buyer = 1"
            " ORDER BY created_at DESC LIMIT 1",
            (thread["id"],),
        ).fetchone()
        message_id = _store_message(
            conn,
            thread=thread,
            seller_id=req.seller_id,
            from_buyer=False,
            text=body["text"],
            attachments=items,
            offer_id=last["offer_id"] if last else None,
            order_id=last["order_id"] if last else None,
        )
        for att_id in ids:
            conn.execute("UPDATE msg_attachments SET message_id = ? WHERE id = ?", (message_id, att_id))
    row = db.one("SELECT * FROM msg_messages WHERE id = ?", (message_id,))
    return Response.json(_message_doc(row, req.base_url), 201)


# Attachments -----------------------------------------------------------------------------------------
def _extension(filename: str) -> str:
    match = re.search(r"\.([A-Za-z0-9]+)$", filename)
    return match[1].lower() if match else ""


@route("POST", "/messaging/message-attachments", auth="user")
def attachment_declare(req: Request) -> Response:
    body = req.json()
    filename, size = body["filename"], body["size"]
    if not filename.strip() or len(filename) > 255:
        raise ApiError(
            422, [validation("filename", "File name must have 1-255 characters", "Nazwa pliku musi mieć 1–255 znaków.")]
        )
    if _extension(filename) not in MIME_BY_EXTENSION:
        raise error(
            415,
            "UNSUPPORTED_MIME_TYPE",
            "Unsupported attachment type (allowed: PNG, GIF, BMP, TIFF, JPEG, PDF)",
            pl="Nieobsługiwany typ załącznika (dozwolone: PNG, GIF, BMP, TIFF, JPEG, PDF).",
        )
    if size <= 0:
        raise ApiError(422, [validation("size", "The file is empty", "Plik jest pusty.")])
    att_id = _uuid()
    with db.tx() as conn:
        conn.execute(
            "INSERT INTO msg_attachments (id, seller_id, filename, size, created_at) VALUES (?, ?, ?, ?, ?)",
            (att_id, req.seller_id, filename, size, clock.iso()),
        )
    return Response.json({"id": att_id}, 201)


@route("PUT", "/messaging/message-attachments/{attachmentId}", auth="user", raw_body=True)
def attachment_upload(req: Request) -> Response:
    row = db.one("SELECT * FROM msg_attachments WHERE id = ?", (req.params["attachmentId"],))
    if row is None:
        raise not_found("Attachment declaration", pl="Nie znaleziono deklaracji załącznika.")
    if row["seller_id"] != req.seller_id:
        raise error(403, "AccessDenied", "Not your attachment", pl="Brak dostępu do załącznika.")
    ctype = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if ctype not in UPLOAD_TYPES or MIME_BY_EXTENSION[_extension(row["filename"])] != ctype:
        raise error(
            415,
            "UNSUPPORTED_MIME_TYPE",
            f"Content type '{ctype or 'none'}' does not match the declared file",
            pl="Typ pliku nie zgadza się z zadeklarowanym załącznikiem.",
        )
    if len(req.body) > MAX_ATTACHMENT_BYTES or len(req.body) > row["size"]:
        raise error(
            413,
            "PAYLOAD_TOO_LARGE",
            "The file is larger than declared or than 5 MiB",
            pl="Plik jest większy niż zadeklarowano lub niż 5 MB.",
        )
    if not req.body:
        raise error(400, "EMPTY_FILE", "The file is empty", pl="Plik jest pusty.")
    if row["message_id"] is not None:
        raise error(403, "AccessDenied", "The attachment was already sent", pl="Załącznik został już wysłany.")
    with db.tx() as conn:
        conn.execute(
            "UPDATE msg_attachments SET data = ?, mime_type = ?, size = ? WHERE id = ?",
            (req.body, ctype, len(req.body), row["id"]),
        )
    return Response.json({"id": row["id"]})


@route("GET", "/messaging/message-attachments/{attachmentId}", auth="user", media=(PUBLIC, "*/*"))
def attachment_download(req: Request) -> Response:
    row = db.one(
        "SELECT * FROM msg_attachments WHERE id = ? AND seller_id = ? AND data IS NOT NULL",
        (req.params["attachmentId"], req.seller_id),
    )
    if row is None:
        raise not_found("Attachment", pl="Nie znaleziono załącznika.")
    headers = {"Content-Disposition": f'attachment; filename="{row["filename"]}"'}
    return Response(200, bytes(row["data"]), row["mime_type"], headers)


# Control: buyers write -------------------------------------------------------------------------------
def _control_body(req: Request) -> dict:
    try:
        data = json.loads(req.body or b"{}")
    except ValueError:
        raise error(400, "BAD_JSON", "Malformed JSON")
    if not isinstance(data, dict):
        raise error(400, "BAD_JSON", "A JSON object is expected")
    return data


def _seller(conn, b: dict) -> str:
    if b.get("seller_id"):
        row = conn.execute("SELECT id FROM sellers WHERE id = ?", (str(b["seller_id"]),)).fetchone()
    elif b.get("seller_login"):
        row = conn.execute("SELECT id FROM sellers WHERE login = ?", (b["seller_login"],)).fetchone()
    else:
        row = conn.execute("SELECT id FROM sellers ORDER BY created_at, id LIMIT 1").fetchone()
    if row is None:
        raise error(400, "BAD_REQUEST", "unknown seller")
    return row["id"]


@control("POST", "/_emulator/messages")
def buyer_writes(req: Request) -> Response:
    """A buyer writes to a seller: `{"buyer_login", "text", "order_id"?, "offer_id"?, "subject"?,
    "seller_login"? | "seller_id"?, "attachments"?: [{"fileName", "mimeType", "content"(text)}]}`.
    With `order_id` the buyer is the order's buyer unless `buyer_login` says otherwise."""
    b = _control_body(req)
    text = b.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        raise error(400, "BAD_REQUEST", f"text (1-{MAX_TEXT} characters) is required")
    with db.tx() as conn:
        seller_id = _seller(conn, b)
        login = b.get("buyer_login")
        order_id = b.get("order_id")
        if order_id:
            form = conn.execute(
                "SELECT buyer_login FROM checkout_forms WHERE id = ? AND seller_id = ?", (order_id, seller_id)
            ).fetchone()
            if form is None:
                raise error(400, "BAD_REQUEST", "unknown order_id of this seller")
            login = login or form["buyer_login"]
        if not isinstance(login, str) or not login:
            raise error(400, "BAD_REQUEST", "buyer_login (or order_id) is required")
        thread = conn.execute(
            "SELECT * FROM msg_threads WHERE seller_id = ? AND buyer_login = ?", (seller_id, login)
        ).fetchone()
        if thread is None:
            conn.execute(
                "INSERT INTO msg_threads (id, seller_id, buyer_login, read, last_message_at, created_at)"
                " VALUES (?, ?, ?, 0, ?, ?)",
                (_uuid(), seller_id, login, clock.iso(), clock.iso()),
            )
            thread = conn.execute(
                "SELECT * FROM msg_threads WHERE seller_id = ? AND buyer_login = ?", (seller_id, login)
            ).fetchone()
        items = []
        for att in b.get("attachments") or []:
            att_id = _uuid()
            content = str(att.get("content", "")).encode()
            mime = att.get("mimeType") or "application/pdf"
            conn.execute(
                "INSERT INTO msg_attachments (id, seller_id, filename, size, mime_type, data, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (att_id, seller_id, att.get("fileName") or "plik.pdf", len(content), mime, content, clock.iso()),
            )
            items.append({"id": att_id, "fileName": att.get("fileName") or "plik.pdf", "mimeType": mime})
        message_id = _store_message(
            conn,
            thread=thread,
            seller_id=seller_id,
            from_buyer=True,
            text=text,
            attachments=items,
            subject=b.get("subject"),
            offer_id=str(b["offer_id"]) if b.get("offer_id") else None,
            order_id=order_id,
            type=b.get("type") or ("ASK_QUESTION" if b.get("offer_id") and not order_id else "MESSAGE_CENTER"),
        )
        for item in items:
            conn.execute("UPDATE msg_attachments SET message_id = ? WHERE id = ?", (message_id, item["id"]))
    return Response.json({"thread_id": thread["id"], "message_id": message_id}, 201, media="application/json")


@control("GET", "/_emulator/messages")
def messages_state(req: Request) -> Response:
    """Every message (oldest first), optionally of one thread: what the buyers see, attachments with their size."""
    thread_id = req.arg("thread_id")
    sql = "SELECT * FROM msg_messages" + (" WHERE thread_id = ?" if thread_id else "") + " ORDER BY created_at, id"
    rows = db.query(sql, (thread_id,) if thread_id else ())
    out = []
    for row in rows:
        attachments = []
        for item in json.loads(row["attachments"] or "[]"):
            stored = db.one("SELECT size FROM msg_attachments WHERE id = ?", (item["id"],))
            attachments.append({**item, "size": stored["size"] if stored else None})
        out.append(
            {
                "id": row["id"],
                "thread_id": row["thread_id"],
                "from_buyer": bool(row["from_buyer"]),
                "text": row["text"],
                "order_id": row["order_id"],
                "created_at": row["created_at"],
                "attachments": attachments,
            }
        )
    return ok({"messages": out})


# Post-purchase issues (discussions and claims, beta) ------------------------------------------------
db.add_schema(
    """
CREATE TABLE IF NOT EXISTS issues (
    id TEXT PRIMARY KEY, seller_id TEXT NOT NULL, type TEXT NOT NULL, status TEXT NOT NULL,
    reference_number TEXT, subject TEXT, description TEXT, buyer_id TEXT, buyer_login TEXT NOT NULL,
    checkout_form_id TEXT NOT NULL, checkout_form_created_at TEXT, opened_at TEXT NOT NULL,
    decision_due_at TEXT, status_due_at TEXT, return_required INTEGER, right TEXT);
CREATE INDEX IF NOT EXISTS issues_seller ON issues (seller_id, opened_at);
CREATE TABLE IF NOT EXISTS issue_messages (
    id TEXT PRIMARY KEY, issue_id TEXT NOT NULL, role TEXT NOT NULL, login TEXT NOT NULL, text TEXT NOT NULL,
    type TEXT NOT NULL DEFAULT 'REGULAR', created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS issue_messages_issue ON issue_messages (issue_id, created_at);
""",
    tables=["issues", "issue_messages"],
)

ISSUE_STATUSES = (
    "DISPUTE_CLOSED",
    "DISPUTE_ONGOING",
    "DISPUTE_UNRESOLVED",
    "CLAIM_SUBMITTED",
    "CLAIM_ACCEPTED",
    "CLAIM_REJECTED",
)
CHAT_OPEN = frozenset({"DISPUTE_ONGOING", "DISPUTE_UNRESOLVED", "CLAIM_SUBMITTED"})
MAX_ISSUE_TEXT = 20000
# A claim (reklamacja) must be answered within 14 days, or it counts as accepted.
CLAIM_DAYS = 14
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _issue_message_doc(row) -> dict:
    return {
        "id": row["id"],
        "text": row["text"],
        "attachments": [],
        "author": {"login": row["login"], "role": row["role"]},
        "createdAt": row["created_at"],
    }


def _issue_doc(row) -> dict:
    chat = db.query("SELECT * FROM issue_messages WHERE issue_id = ? ORDER BY created_at, id", (row["id"],))
    first, last = (chat[0], chat[-1]) if chat else (None, None)
    if last is None or len(chat) == 1:
        last_status = "NEW"
    else:
        last_status = {"SELLER": "SELLER_REPLIED", "BUYER": "BUYER_REPLIED"}.get(
            last["role"], "ALLEGRO_ADVISOR_REPLIED"
        )
    doc = {
        "id": row["id"],
        "type": row["type"],
        "referenceNumber": row["reference_number"],
        "decisionDueDate": row["decision_due_at"],
        "openedDate": row["opened_at"],
        "subject": row["subject"],
        "buyer": {"id": row["buyer_id"] or "", "login": row["buyer_login"]},
        "checkoutForm": {
            "id": row["checkout_form_id"],
            "createdAt": row["checkout_form_created_at"] or row["opened_at"],
        },
        "currentState": {
            "status": row["status"],
            "statusDueDate": row["status_due_at"],
            "returnRequired": None if row["return_required"] is None else bool(row["return_required"]),
            "chatActive": row["status"] in CHAT_OPEN,
        },
        "chat": {
            "lastMessage": {"status": last_status, "createdAt": last["created_at"] if last else row["opened_at"]},
            "messagesCount": len(chat),
        },
        "expectations": [],
        "description": row["description"],
        "right": row["right"],
        "attachments": [],
    }
    if first is not None:
        doc["chat"]["initialMessage"] = {
            **_issue_message_doc(first),
            "author": {"login": first["login"], "role": "BUYER" if first["role"] == "BUYER" else "ADMIN"},
        }
    return doc


def _own_issue(req: Request):
    issue_id = req.params["issueId"]
    if not UUID_RE.match(issue_id):
        raise not_found("Issue", pl="Nie znaleziono dyskusji ani reklamacji.")
    row = db.one("SELECT * FROM issues WHERE id = ?", (issue_id,))
    if row is None:
        raise not_found("Issue", pl="Nie znaleziono dyskusji ani reklamacji.")
    if row["seller_id"] != req.seller_id:
        raise error(403, "AccessDenied", "Not your issue", pl="Brak dostępu do tej dyskusji.")
    return row


@route("GET", "/sale/issues", auth="user", media=BETA)
def issues_list(req: Request) -> Response:
    limit = req.int_arg("limit", 10, minimum=1, maximum=100)
    offset = req.int_arg("offset", 0, minimum=0, maximum=2**31 - 1)
    sql, params = "SELECT * FROM issues WHERE seller_id = ?", [req.seller_id]
    form_id = req.arg("checkoutForm.id")
    if form_id is not None:
        if not UUID_RE.match(form_id):
            raise error(
                422,
                "VALIDATION_ERROR",
                "checkoutForm.id must be a UUID",
                pl="Identyfikator zamówienia musi być UUID.",
                path="checkoutForm.id",
            )
        sql, params = sql + " AND checkout_form_id = ?", [*params, form_id]
    statuses = [s for value in req.args("status") for s in value.split(",") if s]
    if statuses:
        unknown = [s for s in statuses if s not in ISSUE_STATUSES]
        if unknown:
            raise error(422, "VALIDATION_ERROR", f"Unknown status {unknown[0]}", pl="Nieznany status.", path="status")
        sql += f" AND status IN ({', '.join('?' for _ in statuses)})"
        params += statuses
    rows = db.query(sql + " ORDER BY opened_at DESC, id LIMIT ? OFFSET ?", (*params, limit, offset))
    return Response.json({"issues": [_issue_doc(r) for r in rows]})


@route("GET", "/sale/issues/{issueId}", auth="user", media=BETA)
def issue_get(req: Request) -> Response:
    return Response.json(_issue_doc(_own_issue(req)))


@route("GET", "/sale/issues/{issueId}/chat", auth="user", media=BETA)
def issue_chat(req: Request) -> Response:
    row = _own_issue(req)
    limit = req.int_arg("limit", 10, minimum=1, maximum=100)
    offset = req.int_arg("offset", 0, minimum=0, maximum=2**31 - 1)
    chat = db.query(
        "SELECT * FROM issue_messages WHERE issue_id = ? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
        (row["id"], limit, offset),
    )
    return Response.json({"chat": [_issue_message_doc(m) for m in chat]})


@route("POST", "/sale/issues/{issueId}/message", auth="user", media=BETA, raw_body=True)
def issue_message(req: Request) -> Response:
    """The seller writes in a discussion or claim: `{"text", "type"}` (an attachment is not taken here).

    Read by hand: the published schema requires an `attachment` property it does not define (an attachment
    is optional on Allegro), so it cannot validate a real request."""
    ctype = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if ctype != BETA:
        raise error(
            415,
            "UnsupportedMediaTypeException",
            f"Content type '{ctype or 'none'}' not supported",
            pl="Nieobsługiwany typ treści żądania (nagłówek Content-Type).",
        )
    body = req.json()
    if not isinstance(body, dict):
        raise error(400, "JsonMappingException", "A JSON object is expected", pl="Oczekiwano obiektu JSON.")
    unknown = sorted(set(body) - {"text", "type", "attachment", "attachments"})
    if unknown:
        raise ApiError(
            422, [validation(unknown[0], f"Unknown properties: {', '.join(unknown)}", "Żądanie zawiera nieznane pola.")]
        )
    text, kind = body.get("text"), body.get("type", "REGULAR")
    if not isinstance(text, str) or not isinstance(kind, str):
        raise error(400, "JsonMappingException", "text and type must be strings", pl="Nieprawidłowy format danych.")
    row = _own_issue(req)
    problems = []
    if not text.strip():
        problems.append(validation("text", "Message text must not be blank", "Treść wiadomości nie może być pusta."))
    elif len(text) > MAX_ISSUE_TEXT:
        problems.append(
            validation("text", "Message text is too long", f"Treść może mieć najwyżej {MAX_ISSUE_TEXT} znaków.")
        )
    allowed = (
        {"REGULAR", "END_REQUEST"}
        if row["type"] == "DISPUTE"
        else {"REGULAR", "RETURN_REQUIRED_SELLER_LABEL", "RETURN_REQUIRED_CUSTOM", "RETURN_NOT_REQUIRED"}
    )
    if kind not in allowed:
        problems.append(
            validation("type", f"Message type {kind} is not allowed here", "Niedozwolony rodzaj wiadomości.")
        )
    if body.get("attachment") not in (None, {}) or body.get("attachments"):
        problems.append(validation("attachment", "No such attachment", "Nie znaleziono załącznika."))
    if problems:
        raise ApiError(422, problems)
    if row["status"] not in CHAT_OPEN:
        raise error(
            409,
            "CONFLICT",
            "The issue is closed for new messages",
            pl="Ta dyskusja jest zamknięta dla nowych wiadomości.",
        )
    message_id = _uuid()
    with db.tx() as conn:
        conn.execute(
            "INSERT INTO issue_messages (id, issue_id, role, login, text, type, created_at) VALUES (?, ?, 'SELLER', ?, ?, ?, ?)",
            (message_id, row["id"], _seller_login(req.seller_id), text, kind, clock.iso()),
        )
    return Response.json(_issue_message_doc(db.one("SELECT * FROM issue_messages WHERE id = ?", (message_id,))), 201)


@control("POST", "/_emulator/issues")
def buyer_opens_issue(req: Request) -> Response:
    """A buyer opens a discussion or claim about an order, or writes in one, or Allegro changes its status:
    `{"order_id", "type": "DISPUTE"|"CLAIM", "text", "subject"?}` opens one; `{"issue_id", "text"?, "status"?}`
    adds the buyer's message and/or sets the status."""
    b = _control_body(req)
    now = clock.now()
    with db.tx() as conn:
        if b.get("issue_id"):
            row = conn.execute("SELECT * FROM issues WHERE id = ?", (b["issue_id"],)).fetchone()
            if row is None:
                raise error(400, "BAD_REQUEST", "unknown issue_id")
            issue_id = row["id"]
            if b.get("status"):
                if b["status"] not in ISSUE_STATUSES:
                    raise error(400, "BAD_REQUEST", "unknown status")
                conn.execute("UPDATE issues SET status = ? WHERE id = ?", (b["status"], issue_id))
            login = row["buyer_login"]
        else:
            kind = b.get("type", "DISPUTE")
            if kind not in ("DISPUTE", "CLAIM"):
                raise error(400, "BAD_REQUEST", "type is DISPUTE or CLAIM")
            form = conn.execute("SELECT * FROM checkout_forms WHERE id = ?", (b.get("order_id") or "",)).fetchone()
            if form is None:
                raise error(400, "BAD_REQUEST", "order_id of an existing checkout form is required")
            if not isinstance(b.get("text"), str) or not b["text"].strip():
                raise error(400, "BAD_REQUEST", "text is required to open an issue")
            issue_id, login = _uuid(), form["buyer_login"] or "kupujacy"
            due = clock.iso(now + dt.timedelta(days=CLAIM_DAYS)) if kind == "CLAIM" else None
            count = conn.execute("SELECT COUNT(*) FROM issues WHERE seller_id = ?", (form["seller_id"],)).fetchone()[0]
            conn.execute(
                "INSERT INTO issues (id, seller_id, type, status, reference_number, subject, description, buyer_id,"
                " buyer_login, checkout_form_id, checkout_form_created_at, opened_at, decision_due_at, status_due_at,"
                " return_required, right) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    issue_id,
                    form["seller_id"],
                    kind,
                    "CLAIM_SUBMITTED" if kind == "CLAIM" else "DISPUTE_ONGOING",
                    f"{count + 1}/{now.year}" if kind == "CLAIM" else None,
                    b.get("subject") or ("Reklamacja" if kind == "CLAIM" else "Problem z zamówieniem"),
                    b.get("description"),
                    form["buyer_id"],
                    login,
                    form["id"],
                    form["bought_at"],
                    clock.iso(now),
                    due,
                    due,
                    None,
                    "COMPLAINT" if kind == "CLAIM" else "WARRANTY",
                ),
            )
        if isinstance(b.get("text"), str) and b["text"].strip():
            conn.execute(
                "INSERT INTO issue_messages (id, issue_id, role, login, text, created_at) VALUES (?, ?, 'BUYER', ?, ?, ?)",
                (_uuid(), issue_id, login, b["text"][:MAX_ISSUE_TEXT], clock.iso()),
            )
    return Response.json({"issue_id": issue_id}, 201, media="application/json")


@control("GET", "/_emulator/issues")
def issues_state(req: Request) -> Response:
    """Every issue with its whole chat (oldest first): what the buyers and Allegro see."""
    out = []
    for row in db.query("SELECT * FROM issues ORDER BY opened_at, id"):
        chat = db.query("SELECT * FROM issue_messages WHERE issue_id = ? ORDER BY created_at, id", (row["id"],))
        out.append(
            {
                "id": row["id"],
                "type": row["type"],
                "status": row["status"],
                "checkout_form_id": row["checkout_form_id"],
                "chat": [{"role": m["role"], "text": m["text"], "type": m["type"]} for m in chat],
            }
        )
    return ok({"issues": out})
