"""Offer events (``GET /sale/offer-events``): keep local status, price and stock current and record changes
made outside the panel (e.g. a price changed in Allegro's web UI) in the event log.

The cursor is the last processed event id, moved in the same transaction as the local updates, so a
crash replays events rather than skipping them. Events carry ids only, so the current values of price/stock
events are read with ``GET /sale/offers`` filtered by ``offer.id`` (up to 100 ids per call).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from allegro.core.models import EventKind, EventLogEntry
from allegro.integration.schemas.offers import AllegroOffer, OfferEvent, parse_offer_events, parse_offer_page
from allegro.offers.models import Offer, OfferStatus
from allegro.sync.models import SyncCursor
from allegro.sync.services.engine import SyncContext, changes_send, offer_change

PAGE = 1000
MAX_PAGES = 20
IDS_PER_LISTING = 100
VALUE_EVENTS = {"OFFER_PRICE_CHANGED", "OFFER_STOCK_CHANGED", "OFFER_CHANGED", "OFFER_ACTIVATED", "OFFER_ENDED"}
STATUS_MAP = {"ACTIVE": OfferStatus.ACTIVE, "ACTIVATING": OfferStatus.ACTIVATING, "ENDED": OfferStatus.ENDED}


def _current_values(ctx: SyncContext, offer_ids: list[str]) -> dict[str, AllegroOffer]:
    found: dict[str, AllegroOffer] = {}
    for i in range(0, len(offer_ids), IDS_PER_LISTING):
        chunk = offer_ids[i : i + IDS_PER_LISTING]
        params = [("offer.id", oid) for oid in chunk] + [("limit", str(len(chunk)))]
        for item in parse_offer_page(ctx.client.list_offers(params=params)).items:
            if item.id:
                found[item.id] = item
    return found


def offer_events_poll(*, ctx: SyncContext) -> None:
    """Read new offer events of the account (up to 20 pages per run) and apply them."""
    if ctx.dry_run:
        return
    cursor, _created = SyncCursor.objects.get_or_create(account=ctx.account, kind="offer_events")
    corrections = []
    for _page in range(MAX_PAGES):
        events = parse_offer_events(ctx.client.get_offer_events(from_event_id=cursor.value or None, limit=PAGE))
        if not events:
            break
        ctx.counts["offer_events"] += len(events)
        wanted = sorted({e.offer_id for e in events if e.type in VALUE_EVENTS})
        offers = {
            o.allegro_id: o
            for o in Offer.objects.filter(
                account=ctx.account, allegro_id__in={e.offer_id for e in events}
            ).select_related("product")
        }
        values = _current_values(ctx, [oid for oid in wanted if oid in offers])
        with transaction.atomic():
            changed, log_rows = _apply(ctx, events, offers, values)
            if changed:
                Offer.objects.bulk_update(
                    changed,
                    ["status", "confirmed_price", "confirmed_quantity", "confirmed_status", "confirmed_at",
                     "ended_reason", "ended_at"],
                    batch_size=500,
                )  # fmt: skip
            if log_rows:
                EventLogEntry.objects.bulk_create(log_rows, batch_size=500)
            cursor.value = events[-1].id or cursor.value
            cursor.save(update_fields=["value", "updated_at"])
        corrections.extend(changed)
        if len(events) < PAGE:
            break
    # Values changed outside the panel go back to the shop's when the switches say so.
    parts = ctx.parts()
    changes = [offer_change(offer=o, account=ctx.account, parts=parts, rounding=ctx.rounding) for o in corrections]
    changes = [c for c in changes if c is not None and not c.end and not c.activate]
    if changes:
        changes_send(ctx=ctx, changes=changes, label=_("corrections after changes outside the panel"))


def _log(ctx: SyncContext, offer: Offer, message: str) -> EventLogEntry:
    return EventLogEntry(
        kind=EventKind.OFFER,
        action="offer changed on Allegro",
        message=message,
        account=ctx.account,
        offer_id=offer.allegro_id or "",
        product_id=offer.product_id,
        rule="sync:offer-events",
    )


def _apply(ctx: SyncContext, events: list[OfferEvent], offers: dict[str, Offer], values: dict[str, AllegroOffer]):
    now = timezone.now()
    changed: dict[str, Offer] = {}
    log_rows: list[EventLogEntry] = []
    for event in events:
        oid = event.offer_id
        offer = offers.get(oid)
        if offer is None:
            continue
        kind = event.type
        if kind == "OFFER_ARCHIVED":
            if offer.status != OfferStatus.ARCHIVED:
                offer.status = OfferStatus.ARCHIVED
                offer.confirmed_status = ""
                changed[oid] = offer
                log_rows.append(_log(ctx, offer, _("Allegro archived offer %(offer)s.") % {"offer": oid}))
            continue
        if kind == "OFFER_ENDED" and offer.status in (OfferStatus.ACTIVE, OfferStatus.ACTIVATING):
            ended_by = event.ended_by or "UNKNOWN"
            offer.status = OfferStatus.ENDED
            offer.confirmed_status = "ENDED"
            offer.ended_reason = f"Allegro: {ended_by}"
            offer.ended_at = now
            changed[oid] = offer
            log_rows.append(
                _log(ctx, offer, _("Offer %(offer)s ended on Allegro (%(why)s).") % {"offer": oid, "why": ended_by})
            )
        current = values.get(oid)
        if current is None:
            continue
        status = STATUS_MAP.get(current.status)
        if status and status != offer.status and offer.status != OfferStatus.ARCHIVED:
            if status == OfferStatus.ACTIVE and offer.status == OfferStatus.ENDED:
                log_rows.append(
                    _log(ctx, offer, _("Offer %(offer)s was activated outside the panel.") % {"offer": oid})
                )
                offer.ended_reason = ""
                offer.ended_at = None
            offer.status = status
            offer.confirmed_status = status.upper()
            changed[oid] = offer
        price = current.price
        if price is not None and price != offer.confirmed_price:
            if offer.confirmed_price is not None:
                log_rows.append(
                    _log(
                        ctx,
                        offer,
                        _("Price of offer %(offer)s changed outside the panel: %(old)s → %(new)s zł.")
                        % {"offer": oid, "old": offer.confirmed_price, "new": price},
                    )
                )
            offer.confirmed_price = price
            changed[oid] = offer
        stock = current.available
        if stock is not None and stock != offer.confirmed_quantity:
            if offer.confirmed_quantity is not None and stock > offer.confirmed_quantity:
                # sales only lower the stock; a rise was made by hand on Allegro
                log_rows.append(
                    _log(
                        ctx,
                        offer,
                        _("Quantity of offer %(offer)s changed outside the panel: %(old)s → %(new)s.")
                        % {"offer": oid, "old": offer.confirmed_quantity, "new": stock},
                    )
                )
            offer.confirmed_quantity = stock
            changed[oid] = offer
        if oid in changed:
            offer.confirmed_at = now
    return list(changed.values()), log_rows
