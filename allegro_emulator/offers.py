"""Offers area: /sale/product-offers, operations, /sale/offers, offer events, control hooks.

Tables are in db.SCHEMA (offers, offer_operations, offer_events). The `data` column holds the offer
document as last written by POST/PATCH; the columns (status, ended_by, price, stock, dates) are
authoritative and are overlaid on `data` when the offer is rendered, so commands and sales update
columns only.

`record_sale(offer_id, quantity)` is the hook the orders area calls when a purchase is made.
"""

from __future__ import annotations

from typing import Any

from . import clock, db, offer_events


def record_sale(offer_id: str, quantity: int) -> dict:
    """Sell `quantity` units: stock_available -= quantity, stock_sold += quantity; at 0 the offer ends
    with endedBy EMPTY_STOCK. Emits OFFER_STOCK_CHANGED (and OFFER_ENDED). Returns the updated row as a dict.
    Joins the caller's `db.tx()` if there is one."""
    with db.tx() as conn:
        row = conn.execute("SELECT * FROM offers WHERE id = ?", (offer_id,)).fetchone()
        if row is None:
            raise KeyError(offer_id)
        now = clock.iso()
        available = max(0, int(row["stock_available"]) - int(quantity))
        sold = int(row["stock_sold"]) + int(quantity)
        status, ended_by, ended_at = row["status"], row["ended_by"], row["ended_at"]
        if available == 0 and status in ("ACTIVE", "ACTIVATING"):
            status, ended_by, ended_at = "ENDED", "EMPTY_STOCK", now
        conn.execute(
            "UPDATE offers SET stock_available = ?, stock_sold = ?, status = ?, ended_by = ?, ended_at = ?, "
            "updated_at = ? WHERE id = ?",
            (available, sold, status, ended_by, ended_at, now, offer_id),
        )
        updated = dict(conn.execute("SELECT * FROM offers WHERE id = ?", (offer_id,)).fetchone())
        if row["status"] in ("ACTIVE", "ACTIVATING"):
            offer_events.emit(updated["seller_id"], "OFFER_STOCK_CHANGED", updated)
            if status == "ENDED":
                offer_events.emit(updated["seller_id"], "OFFER_ENDED", updated)
    return updated


def _unused(_: Any) -> None:  # placeholder until the handlers land
    return None
