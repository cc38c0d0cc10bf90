"""Reads of offers: the offers list, the product side of listing, links to Allegro."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from allegro.offers.models import Offer, OfferFormat, OfferStatus
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


def offer_refused_row(*, pk, product: Product, account) -> Offer | None:
    """The row of a refused attempt to list ``product`` on ``account`` (never created on Allegro): the corrected
    form updates it instead of leaving one error row per try."""
    if not pk or not str(pk).isdigit():
        return None
    return Offer.objects.filter(
        pk=pk,
        product=product,
        account=account,
        allegro_id__isnull=True,
        status__in=(OfferStatus.ERROR, OfferStatus.DRAFT),
    ).first()


def offers_live_of_product(*, product: Product, account) -> list[Offer]:
    """The product's active or activating offers on ``account`` (the listing form warns about them)."""
    return list(
        Offer.objects.filter(product=product, account=account, status__in=LIVE_STATUSES).only(
            "pk", "allegro_id", "title"
        )
    )


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


def offer_auctions_to_watch(*, account) -> QuerySet[Offer]:
    """The account's auctions whose bids may still change or whose last bids were not read after they ended:
    live ones, and ended ones last checked before their end (the final price is read once more)."""
    from django.db.models import F, Q

    return (
        Offer.objects.filter(account=account, format=OfferFormat.AUCTION, allegro_id__isnull=False)
        .filter(
            Q(status__in=LIVE_STATUSES)
            | Q(status=OfferStatus.ENDED, ended_at__isnull=False)
            & (Q(bids_checked_at__isnull=True) | Q(bids_checked_at__lt=F("ended_at")))
        )
        .order_by("pk")
    )
