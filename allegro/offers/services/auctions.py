"""Auctions' standing: the current price and the number of bidders Allegro shows for each auction, read into
the offers list. The sale itself needs nothing here: the winner's purchase arrives through the order journal
like any "Kup teraz" purchase when the auction ends."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from allegro.accounts.services.accounts import account_client
from allegro.core.services.leases import LeaseBusy, lease_hold
from allegro.integration.schemas.offers import parse_offer_page
from allegro.offers.models import Offer
from allegro.offers.selectors import offer_auctions_to_watch

CHUNK = 50  # offer ids per GET /sale/offers (the ids travel in the query string)


def offer_auctions_refresh(*, account, client=None) -> int:
    """Read the current price and bidders of the account's watched auctions; returns how many rows changed.

    Idempotent (it only overwrites what Allegro shows); one refresh per account at a time (a lease): a call
    that finds another at work returns 0 and leaves it to that one."""
    try:
        with lease_hold(key=f"auction-bids:{account.pk}") as lease:
            return _refresh(account, client, lease)
    except LeaseBusy:
        return 0


def _refresh(account, client, lease) -> int:
    offers = list(offer_auctions_to_watch(account=account).only("pk", "allegro_id", "current_bid", "bidders_count"))
    if not offers:
        return 0
    client = client or account_client(account=account)
    by_id = {offer.allegro_id: offer for offer in offers}
    ids = list(by_id)
    changed = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        page = parse_offer_page(client.list_offers(params={"offer.id": chunk, "limit": len(chunk)}))
        now = timezone.now()
        for item in page.items:
            offer = by_id.get(item.id or "")
            if offer is None:
                continue
            lease.check()  # a holder that lost the lease writes nothing more
            fields: dict[str, Any] = {"bids_checked_at": now}
            if item.sale_info is not None:
                fields.update(current_bid=item.current_bid, bidders_count=item.bidders_count)
                changed += int(offer.current_bid != item.current_bid or offer.bidders_count != item.bidders_count)
            Offer.objects.filter(pk=offer.pk).update(**fields)
    return changed
