"""Reconciliation, because the event stream is never trusted alone: list every offer of the account with
``GET /sale/offers`` (1000 per page), take Allegro's price, stock and status as the confirmed values, store a
drift report (which offers differ from the shop and how) and fix the drift according to the account's switches.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from allegro.integration.schemas.offers import AllegroOffer, parse_offer_page
from allegro.offers.models import Offer, OfferStatus
from allegro.sync.services.engine import SyncContext, changes_send, offer_change
from allegro.sync.services.offer_events import STATUS_MAP

PAGE = 1000
REPORT_ROWS = 1000


def allegro_offers_list_all(*, ctx: SyncContext) -> dict[str, AllegroOffer]:
    """Every non-archived offer of the seller: ceil(n / 1000) calls."""
    found: dict[str, AllegroOffer] = {}
    offset = 0
    while True:
        page = parse_offer_page(ctx.client.list_offers(params={"limit": PAGE, "offset": offset}))
        items = page.items
        for item in items:
            if item.id:
                found[item.id] = item
        offset += len(items)
        if len(items) < PAGE or offset >= (page.total_count or 0):
            return found


def offers_reconcile(*, ctx: SyncContext) -> None:
    remote = allegro_offers_list_all(ctx=ctx)
    now = timezone.now()
    local = list(
        Offer.objects.filter(account=ctx.account)
        .exclude(allegro_id__isnull=True)
        .exclude(status__in=[OfferStatus.ARCHIVED, OfferStatus.DRAFT])
        .select_related("product")
    )
    refreshed: list[Offer] = []
    drift: list[dict] = []
    for offer in local:
        item = remote.get(offer.allegro_id)
        if item is None:
            # Not listed: archived (or deleted) on Allegro; renewal creates a new offer for it.
            drift.append({"offer": offer.allegro_id, "title": offer.title, "field": "status",
                          "panel": offer.status, "allegro": "ARCHIVED"})  # fmt: skip
            offer.status = OfferStatus.ARCHIVED
            offer.confirmed_status = ""
            offer.confirmed_at = now
            refreshed.append(offer)
            continue
        status = STATUS_MAP.get(item.status)
        price, stock = item.price, item.available
        dirty = False
        if status and status != offer.status:
            drift.append({"offer": offer.allegro_id, "title": offer.title, "field": "status",
                          "panel": offer.status, "allegro": status})  # fmt: skip
            offer.status = status
            dirty = True
        if price is not None and price != offer.confirmed_price:
            offer.confirmed_price = price
            dirty = True
        if stock is not None and stock != offer.confirmed_quantity:
            offer.confirmed_quantity = stock
            dirty = True
        if status and offer.confirmed_status != status.upper():
            offer.confirmed_status = status.upper()
            dirty = True
        if dirty:
            offer.confirmed_at = now
            refreshed.append(offer)
    if refreshed and not ctx.dry_run:
        Offer.objects.bulk_update(
            refreshed, ["status", "confirmed_price", "confirmed_quantity", "confirmed_status", "confirmed_at"],
            batch_size=500,
        )  # fmt: skip
    # Compare with the shop: every difference is reported; the switches decide what gets fixed.
    all_parts = {"prices", "stock", "close", "activate"}
    fix_parts = ctx.parts()
    fixes = []
    for offer in local:
        if offer.status == OfferStatus.ARCHIVED:
            continue
        full = offer_change(offer=offer, account=ctx.account, parts=all_parts, rounding=ctx.rounding)
        if full is None:
            continue
        row = {"offer": offer.allegro_id, "title": offer.title}
        if full.end:
            drift.append({**row, "field": "status", "panel": offer.status, "allegro": offer.confirmed_status,
                          "shop": full.end})  # fmt: skip
        if full.price is not None:
            drift.append({**row, "field": "price", "shop": str(full.price), "allegro": str(offer.confirmed_price)})
        if full.quantity is not None and not full.activate:
            drift.append({**row, "field": "quantity", "shop": full.quantity, "allegro": offer.confirmed_quantity})
        fix = offer_change(offer=offer, account=ctx.account, parts=fix_parts, rounding=ctx.rounding)
        if fix is not None and not (fix.activate and offer.status == OfferStatus.ENDED and not fix_parts):
            fixes.append(fix)
    ctx.counts["allegro_offers"] = len(remote)
    ctx.counts["drift"] = len({d["offer"] for d in drift})
    ctx.run.details["drift"] = drift[:REPORT_ROWS]
    ctx.run.details["drift_total"] = len(drift)
    changes_send(ctx=ctx, changes=fixes, label=_("reconciliation"))
