"""Auctions area: buyers' bids on AUCTION offers and what happens when an auction's duration runs out.

Control routes (no public route: bids come from buyers, whom the emulator plays):
  `POST /_emulator/offers/<id>/bids` `{buyer: {login, ...}?, max_amount: "12.50", purchase?: {...}}` → 201
      `{bid, highBidder, minimalPriceMet, auction: {currentPrice, biddersCount}}`; 422 when the offer is not an
      active auction or the amount does not beat the current price by the increment.
  `GET /_emulator/offers/<id>/bids` → `{bids: [...], auction: {...}}` of the running cycle.

Bidding is Allegro's proxy bidding: each buyer gives the most they would pay (`maxAmount`); the current price
is the second highest maximum plus one increment, never above the leader's maximum, and the starting price
while there is one bidder. A minimal price the leader's maximum reaches lifts the current price to it. Equal
maximums: the earlier bid leads. The increment ladder is the emulator's own (0.50 below 20 PLN, 1.00 below 100,
5.00 below 500, 10.00 above).

The end: when the emulator clock passes `ending_at`, offers.sweep() asks `auction_end` first. A leader whose
maximum meets the minimal price (or no minimal price) wins: the winner's purchase is made exactly like a
"Kup teraz" purchase (orders.create_purchase: one unit at the current price, a checkout form and its order
events, the offer ends with `endedBy: EXPIRATION`). `purchase` given with the winning bid passes options to it
(`paid`, `filled_in`, `delivery_method_id`, ...). Without a winner the offer ends (or is republished) as
usual and the cycle's bids are closed. Every bid emits OFFER_BID_PLACED.

Tables: auction_bids (one row per bid; `closed_at` set when its cycle ended), auction_results (one row per
ended cycle with bids).
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from . import buyers, clock, db, ids, offer_events, offers
from .routing import JSON, Request, Response, route

db.add_schema(
    """
CREATE TABLE IF NOT EXISTS auction_bids (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    offer_id TEXT NOT NULL,
    buyer_id TEXT NOT NULL,
    buyer_login TEXT NOT NULL,
    max_amount TEXT NOT NULL,
    purchase TEXT,
    placed_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE INDEX IF NOT EXISTS auction_bids_open ON auction_bids(offer_id, closed_at);
CREATE TABLE IF NOT EXISTS auction_results (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    offer_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    winner_login TEXT,
    price TEXT,
    checkout_form_id TEXT,
    decided_at TEXT NOT NULL
);
""",
    tables=["auction_bids", "auction_results"],
)

CENT = Decimal("0.01")


def increment(price: Decimal) -> Decimal:
    for limit, step in ((Decimal(20), Decimal("0.50")), (Decimal(100), Decimal("1.00")), (Decimal(500), Decimal(5))):
        if price < limit:
            return step
    return Decimal(10)


def _amount(value: Any) -> Decimal | None:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(CENT):
        return None
    return amount


def _selling(row: Any) -> dict:
    return (db.loads(row["data"]) or {}).get("sellingMode") or {}


def _price_of(selling: dict, key: str) -> Decimal | None:
    return _amount((selling.get(key) or {}).get("amount"))


def _cycle_bids(conn, row: Any) -> list:
    """The running cycle's bids; for an ended auction, those of the cycle that ended last (its final state)."""
    bids = conn.execute(
        "SELECT * FROM auction_bids WHERE offer_id = ? AND closed_at IS NULL ORDER BY seq", (row["id"],)
    ).fetchall()
    if bids or row["status"] != "ENDED":
        return bids
    return conn.execute(
        "SELECT * FROM auction_bids WHERE offer_id = ? AND closed_at = "
        "(SELECT MAX(closed_at) FROM auction_bids WHERE offer_id = ?) ORDER BY seq",
        (row["id"], row["id"]),
    ).fetchall()


def standing(conn, row: Any) -> dict:
    """An auction's cycle: leader, current price, bidders, whether the minimal price is met."""
    bids = _cycle_bids(conn, row)
    selling = _selling(row)
    starting = _price_of(selling, "startingPrice") or Decimal("1.00")
    minimal = _price_of(selling, "minimalPrice")
    best: dict[str, Any] = {}  # buyer → their highest bid (a buyer raising their maximum keeps one place)
    for bid in bids:
        mine = best.get(bid["buyer_id"])
        if mine is None or Decimal(bid["max_amount"]) > Decimal(mine["max_amount"]):
            best[bid["buyer_id"]] = bid
    ranked = sorted(best.values(), key=lambda b: (-Decimal(b["max_amount"]), b["seq"]))
    leader = ranked[0] if ranked else None
    current = starting
    if len(ranked) > 1:
        second = Decimal(ranked[1]["max_amount"])
        current = min(Decimal(leader["max_amount"]), max(starting, second + increment(second)))
    met = minimal is None or (leader is not None and Decimal(leader["max_amount"]) >= minimal)
    if leader is not None and minimal is not None and met:
        current = max(current, minimal)
    return {
        "leader": leader,
        "current": current.quantize(CENT, rounding=ROUND_HALF_UP),
        "bidders": len(ranked),
        "minimal_met": met and leader is not None,
        "starting": starting,
    }


def sale_info(row: Any) -> dict | None:
    """`saleInfo` of an AUCTION offer in `GET /sale/offers` (None for other formats)."""
    if (row["format"] or "") != "AUCTION":
        return None
    now = standing(db.connect(), row)
    return {"currentPrice": {"amount": f"{now['current']:.2f}", "currency": "PLN"}, "biddersCount": now["bidders"]}


def _close(conn, offer_id: str, outcome: str, *, winner: str | None, price, form_id: str | None) -> None:
    now = clock.iso()
    conn.execute("UPDATE auction_bids SET closed_at = ? WHERE offer_id = ? AND closed_at IS NULL", (now, offer_id))
    conn.execute(
        "INSERT INTO auction_results(offer_id, outcome, winner_login, price, checkout_form_id, decided_at) "
        "VALUES (?,?,?,?,?,?)",
        (offer_id, outcome, winner, None if price is None else f"{price:.2f}", form_id, now),
    )


def auction_end(conn, row: Any) -> bool:
    """offers.sweep()'s expiry hook: True when the auction was sold here (the sweep then leaves it alone)."""
    if (row["format"] or "") != "AUCTION":
        return False
    now = standing(conn, row)
    leader = now["leader"]
    if leader is None:
        return False
    if not now["minimal_met"]:
        _close(conn, row["id"], "MINIMAL_PRICE_NOT_MET", winner=leader["buyer_login"], price=None, form_id=None)
        return False
    from .orders import create_purchase

    spec = {k: v for k, v in (db.loads(leader["purchase"]) or {}).items() if k not in ("line_items", "offer_id")}
    spec.update(
        offer_id=row["id"],
        quantity=1,
        price=f"{now['current']:.2f}",
        buyer={"login": leader["buyer_login"]},
        bought_at=row["ending_at"],
    )
    result = create_purchase(conn, spec)
    _close(
        conn,
        row["id"],
        "SOLD",
        winner=leader["buyer_login"],
        price=now["current"],
        form_id=result["checkout_form_id"],
    )
    return True


offers.EXPIRY_HOOKS.append(auction_end)
offers.SALE_INFO_HOOKS.append(sale_info)


# Control ---------------------------------------------------------------------------------------------------
def _control(method: str, path: str):
    return route(method, path, auth=None, media=(), control=True, raw_body=True)


def _fail(status: int, code: str, message: str, path: str | None = None) -> Response:
    item = {"code": code, "message": message, "path": path, "userMessage": message, "details": None}
    return Response.json({"errors": [item]}, status, media=JSON)


def _auction_doc(now: dict) -> dict:
    return {"currentPrice": {"amount": f"{now['current']:.2f}", "currency": "PLN"}, "biddersCount": now["bidders"]}


def _bid_doc(bid: Any) -> dict:
    return {
        "id": bid["id"],
        "buyer": {"id": bid["buyer_id"], "login": bid["buyer_login"]},
        "maxAmount": {"amount": bid["max_amount"], "currency": "PLN"},
        "placedAt": bid["placed_at"],
    }


@_control("POST", "/_emulator/offers/{offerId}/bids")
def control_bid(req: Request) -> Response:
    try:
        body = json.loads(req.body or b"{}")
    except ValueError:
        return _fail(400, "BAD_JSON", "Malformed JSON")
    if not isinstance(body, dict):
        return _fail(400, "BAD_JSON", "A JSON object is expected")
    raw = body.get("max_amount", body.get("maxAmount"))
    if isinstance(raw, dict):
        raw = raw.get("amount")
    amount = _amount(raw)
    if amount is None:
        return _fail(422, "VALIDATION_ERROR", "max_amount must be a positive amount with 2 decimals", "max_amount")
    purchase = body.get("purchase")
    if purchase is not None and not isinstance(purchase, dict):
        return _fail(400, "BAD_REQUEST", "purchase must be an object", "purchase")
    spec = body.get("buyer") if isinstance(body.get("buyer"), dict) else None
    offers.sweep()
    with db.tx() as conn:
        row = conn.execute("SELECT * FROM offers WHERE id = ?", (req.params["offerId"],)).fetchone()
        if row is None or row["archived_at"] is not None:
            return _fail(404, "NOT_FOUND", "Auction not found")
        if row["format"] != "AUCTION" or row["status"] != "ACTIVE":
            return _fail(422, "AUCTION_NOT_ACTIVE", f"Offer {row['id']} is not an active auction")
        before = standing(conn, row)
        buyer = buyers.get_or_create(conn, spec)
        leader = before["leader"]
        if leader is not None and leader["buyer_id"] == buyer["id"]:
            if amount <= Decimal(leader["max_amount"]):
                return _fail(422, "BID_TOO_LOW", "You lead already: raise your maximum above it", "max_amount")
        else:
            needed = before["starting"] if leader is None else before["current"] + increment(before["current"])
            if amount < needed:
                return _fail(422, "BID_TOO_LOW", f"The bid must be at least {needed:.2f} PLN", "max_amount")
        bid_id = ids.new_uuid()
        conn.execute(
            "INSERT INTO auction_bids(id, offer_id, buyer_id, buyer_login, max_amount, purchase, placed_at) "
            "VALUES (?,?,?,?,?,?,?)",
            (
                bid_id,
                row["id"],
                buyer["id"],
                buyer["login"],
                f"{amount:.2f}",
                db.dumps(purchase) if purchase else None,
                clock.iso(),
            ),
        )
        after = standing(conn, row)
        conn.execute("UPDATE offers SET updated_at = ? WHERE id = ?", (clock.iso(), row["id"]))
        offer_events.emit(row["seller_id"], "OFFER_BID_PLACED", row)
        bid = conn.execute("SELECT * FROM auction_bids WHERE id = ?", (bid_id,)).fetchone()
    return Response.json(
        {
            "bid": _bid_doc(bid),
            "highBidder": after["leader"]["buyer_id"] == buyer["id"],
            "minimalPriceMet": after["minimal_met"],
            "auction": _auction_doc(after),
        },
        201,
        media=JSON,
    )


@_control("GET", "/_emulator/offers/{offerId}/bids")
def control_bids(req: Request) -> Response:
    conn = db.connect()
    row = conn.execute("SELECT * FROM offers WHERE id = ?", (req.params["offerId"],)).fetchone()
    if row is None:
        return _fail(404, "NOT_FOUND", "Auction not found")
    bids = conn.execute(
        "SELECT * FROM auction_bids WHERE offer_id = ? AND closed_at IS NULL ORDER BY seq", (row["id"],)
    ).fetchall()
    results = conn.execute(
        "SELECT outcome, winner_login, price, checkout_form_id, decided_at FROM auction_results WHERE offer_id = ? "
        "ORDER BY seq",
        (row["id"],),
    ).fetchall()
    return Response.json(
        {
            "bids": [_bid_doc(b) for b in bids],
            "auction": _auction_doc(standing(conn, row)),
            "results": [dict(r) for r in results],
        },
        media=JSON,
    )
