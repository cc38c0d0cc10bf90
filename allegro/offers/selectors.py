"""Reads of offers: the offers list, the product side of listing, links to Allegro."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from allegro.offers.models import Offer, OfferStatus
from shop.models import Product

LIVE_STATUSES = (OfferStatus.ACTIVE, OfferStatus.ACTIVATING)


def offer_web_url(*, offer: Offer) -> str:
    """The offer's page: https://allegro.pl/oferta/<id>, the sandbox's, or ``<api base>/oferta/<id>`` for the
    emulator (custom addresses). Empty before the offer exists on Allegro. Uses ``offer.account.app``."""
    if not offer.allegro_id:
        return ""
    return f"{offer.account.app.url('web')}/oferta/{offer.allegro_id}"


def offer_list() -> QuerySet[Offer]:
    """All offers with what the list shows (account, app, product) in one query."""
    return Offer.objects.select_related("account__app", "product")


def products_filter_by_listing(*, queryset: QuerySet[Product], state: str, account_id: int | None = None) -> QuerySet:
    """Filter products by their offers: "listed" (an active or activating offer), "unlisted" (none), "ended" (an
    ended offer and no live one). One subquery each; ``account_id`` narrows to one account."""
    offers = Offer.objects.filter(product=OuterRef("pk"))
    if account_id:
        offers = offers.filter(account_id=account_id)
    live = Exists(offers.filter(status__in=LIVE_STATUSES))
    ended = Exists(offers.filter(status__in=(OfferStatus.ENDED, OfferStatus.ARCHIVED)))
    if state == "listed":
        return queryset.filter(live)
    if state == "unlisted":
        return queryset.exclude(live)
    if state == "ended":
        return queryset.filter(ended).exclude(live)
    return queryset
