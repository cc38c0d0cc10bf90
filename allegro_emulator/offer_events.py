"""The seller offer-event journal behind `GET /sale/offer-events`.

Other areas call `emit(...)` inside their own `db.tx()`; the handler for the journal lives in offers.py.
Event ids are opaque cursors (base64 of a monotonic microsecond counter), `seq` orders them.
"""

from __future__ import annotations

import base64
from typing import Any

from . import clock, db, ids

TYPES = (
    "OFFER_ACTIVATED",
    "OFFER_CHANGED",
    "OFFER_ENDED",
    "OFFER_STOCK_CHANGED",
    "OFFER_PRICE_CHANGED",
    "OFFER_ARCHIVED",
    "OFFER_BID_PLACED",
    "OFFER_BID_CANCELED",
    "OFFER_TRANSLATION_UPDATED",
    "OFFER_VISIBILITY_CHANGED",
    "OFFER_DELIVERY_COUNTRIES_BLOCKED",
)
RETENTION_SECONDS = 24 * 3600


def _get(offer: Any, key: str) -> Any:
    try:
        return offer[key]
    except (KeyError, IndexError):
        return None


def new_event_id() -> str:
    return base64.urlsafe_b64encode(ids.event_id().encode()).decode().rstrip("=")


def emit(seller_id: str, type: str, offer: Any, *, extra: dict | None = None) -> None:
    """Append one event to the journal (joins the caller's `db.tx()` if there is one).

    `offer` is an offers row (sqlite3.Row) or a dict with at least `id`; `external_id` and `ended_by`
    are used when present. `extra` is merged into the event's `offer` object (e.g. `marketplaces`).
    """
    offer_id = str(_get(offer, "id"))
    body: dict[str, Any] = {"id": offer_id}
    if type not in ("OFFER_BID_PLACED", "OFFER_BID_CANCELED"):
        external_id = _get(offer, "external_id")
        body["external"] = {"id": external_id} if external_id is not None else None
        if type == "OFFER_PRICE_CHANGED":
            body["external"] = {"id": external_id}  # required object in the spec
            body["marketplaces"] = [{"id": "allegro-pl", "changeType": "MANUAL"}]
    if type == "OFFER_ENDED":
        body["publication"] = {"endedBy": _get(offer, "ended_by") or "UNKNOWN"}
    if type == "OFFER_VISIBILITY_CHANGED":
        body["publication"] = {
            "marketplaces": {"base": "allegro-pl", "additional": []},
            "updatedMarketplaces": ["allegro-pl"],
        }
    if extra:
        body.update(extra)
    if body.get("external") is None:
        body.pop("external", None)
    event_id = new_event_id()
    occurred = clock.iso()
    doc = {"id": event_id, "occurredAt": occurred, "type": type, "offer": body}
    with db.tx() as conn:
        conn.execute(
            "INSERT INTO offer_events(id, seller_id, type, occurred_at, offer_id, data) VALUES (?, ?, ?, ?, ?, ?)",
            (event_id, seller_id, type, occurred, offer_id, db.dumps(doc)),
        )


def purge(conn) -> None:
    """Drop events older than the 24 h retention (emulator clock)."""
    cutoff = clock.iso(clock.ts() - RETENTION_SECONDS)
    conn.execute("DELETE FROM offer_events WHERE occurred_at < ?", (cutoff,))
