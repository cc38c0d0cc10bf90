"""An auction from the listing to the shop order, against the emulator: listed in AUCTION format (starting and
minimal price, duration), buyers bid, the offers list shows the current price and bidders, the auction ends at
its duration and the winner's checkout form is imported through the order journal as a shop order."""

from decimal import Decimal

import pytest
from django.utils import timezone

from allegro.checkouts.models import OrderEventCursor
from allegro.checkouts.services.order_import import order_import_new_events
from allegro.offers.models import Offer, OfferFormat, OfferStatus
from allegro.offers.services.auctions import offer_auctions_refresh
from allegro.offers.services.offers import offer_prepare, offer_problems, offer_publish
from orders.models import Order
from tests.integration.allegro.offers.test_offers import GPSR, kettle, kettles  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

AUCTION = {
    "format": OfferFormat.AUCTION,
    "starting_price": Decimal("10.00"),
    "minimal_price": Decimal("40.00"),
    "price": None,
    "quantity": 1,
    "duration": "PT24H",
    **GPSR,
}


@pytest.fixture
def account(connected_account):
    from tests.factories import make_ready_to_list

    return make_ready_to_list(connected_account, location_city="Poznań", location_post_code="60-166")


def listed_auction(category, account, **overrides) -> Offer:
    product = kettle(category, stock=3)
    offer = offer_prepare(product=product, account=account, overrides={**AUCTION, **overrides})
    assert offer_problems(offer=offer) == []
    offer = offer_publish(offer=offer)
    assert offer.status == OfferStatus.ACTIVE, offer.last_error
    return offer


def test_auction_listing_sends_the_auction_selling_mode(kettles, account, emulator):  # noqa: F811
    offer = listed_auction(kettles, account)
    assert offer.request_payload["sellingMode"] == {
        "format": "AUCTION",
        "startingPrice": {"amount": "10.00", "currency": "PLN"},
        "minimalPrice": {"amount": "40.00", "currency": "PLN"},
    }
    assert offer.request_payload["publication"]["duration"] == "PT24H"
    state = emulator.get(f"state/offers?external_id={offer.external_id}")["offers"][0]
    assert state["format"] == "AUCTION" and state["ending_at"]


def test_auction_rules_are_checked_before_sending(kettles, account):  # noqa: F811
    product = kettle(kettles)
    bad = {**AUCTION, "quantity": 2, "duration": "PT720H", "minimal_price": Decimal("5.00")}
    offer = offer_prepare(product=product, account=account, overrides=bad)
    fields = {p.code: p.field for p in offer_problems(offer=offer)}
    assert fields["auction_quantity"] == "quantity"
    assert fields["auction_duration"] == "duration"
    assert fields["auction_minimal_price"] == "minimal_price"
    offer.starting_price = None
    assert "starting_price" in {p.field for p in offer_problems(offer=offer)}


def test_auction_bids_then_the_winner_becomes_a_shop_order(kettles, account, emulator, staff_client):  # noqa: F811
    offer = listed_auction(kettles, account)
    OrderEventCursor.objects.update_or_create(account=account, defaults={"last_event_id": "0"})

    emulator.place_bid(offer.allegro_id, "75.00", buyer="anna_k")
    emulator.place_bid(offer.allegro_id, "45.00", buyer="piotr_w")
    assert offer_auctions_refresh(account=account) == 1
    offer.refresh_from_db()
    # Proxy bidding: the second maximum plus the increment (the leader's 75.00 stays hidden).
    assert (offer.current_bid, offer.bidders_count) == (Decimal("46.00"), 2)
    assert offer_auctions_refresh(account=account) == 0  # nothing changed since
    page = staff_client.get("/admin/allegro/offer/")
    assert page.status_code == 200
    assert "46,00 zł · 2 licytujących" in page.content.decode()

    emulator.place_bid(offer.allegro_id, "60.00", buyer="ewa_m")
    emulator.clock(86400 + 5)  # the auction's day is over
    result = order_import_new_events(account=account)
    assert result.created == 1
    order = Order.objects.get()
    line = order.lines.get()
    assert line.product == offer.product and line.quantity == 1 and line.unit_price == Decimal("61.00")
    assert order.customer.allegro_identities.get().login == "anna_k"
    offer.product.refresh_from_db()
    assert offer.product.stock == 2

    # The final price is read once more after the end (the sync marks the offer ended).
    Offer.objects.filter(pk=offer.pk).update(status=OfferStatus.ENDED, ended_at=timezone.now())
    offer_auctions_refresh(account=account)
    offer.refresh_from_db()
    assert offer.current_bid == Decimal("61.00") and offer.bidders_count == 3
    again = offer.bids_checked_at
    offer_auctions_refresh(account=account)
    offer.refresh_from_db()
    assert offer.bids_checked_at == again  # checked after its end: not asked again


def test_one_refresh_of_an_accounts_bids_at_a_time(kettles, account, emulator):  # noqa: F811
    from allegro.core.services.leases import lease_hold

    offer = listed_auction(kettles, account)
    emulator.place_bid(offer.allegro_id, "20.00", buyer="anna_k")
    with lease_hold(key=f"auction-bids:{account.pk}"):  # another worker is at it
        assert offer_auctions_refresh(account=account) == 0
    offer.refresh_from_db()
    assert offer.bids_checked_at is None
    assert offer_auctions_refresh(account=account) == 1
