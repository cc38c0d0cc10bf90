"""Auctions in the emulator: proxy bidding, the bid rules, the end at the duration with the winner's purchase
(a checkout form in the order journal), an unmet minimal price and an auction without bids."""

import pytest

from allegro_emulator.control_client import ControlError
from tests.integration.emulator.test_offers import H, offer_body

AUCTION = {
    "format": "AUCTION",
    "startingPrice": {"amount": "10.00", "currency": "PLN"},
}


@pytest.fixture
def api(emulator):
    return emulator.api(emulator.user_token()["access_token"])


def auction(emulator, api, *, minimal=None, duration="P3D", **over):
    selling = dict(AUCTION)
    if minimal:
        selling["minimalPrice"] = {"amount": minimal, "currency": "PLN"}
    body = offer_body(
        sellingMode=selling, stock={"available": 1, "unit": "UNIT"},
        publication={"status": "ACTIVE", "duration": duration}, **over,
    )  # fmt: skip
    resp = api.post(emulator.url("/sale/product-offers"), json=body, headers=H)
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


def listing(emulator, api, offer_id):
    items = api.get(emulator.url(f"/sale/offers?offer.id={offer_id}")).json()["offers"]
    return items[0]


def test_proxy_bidding_sets_the_current_price_and_the_listing_shows_it(emulator, api):
    offer_id = auction(emulator, api)
    first = emulator.place_bid(offer_id, "50.00", buyer="anna_k")
    assert first["highBidder"] is True and first["auction"]["currentPrice"]["amount"] == "10.00"
    second = emulator.place_bid(offer_id, "30.00", buyer="piotr_w")
    assert second["highBidder"] is False
    assert second["auction"] == {"currentPrice": {"amount": "31.00", "currency": "PLN"}, "biddersCount": 2}
    item = listing(emulator, api, offer_id)
    assert item["saleInfo"] == {"currentPrice": {"amount": "31.00", "currency": "PLN"}, "biddersCount": 2}
    assert item["sellingMode"]["startingPrice"]["amount"] == "10.00"
    events = api.get(emulator.url("/sale/offer-events?type=OFFER_BID_PLACED")).json()["offerEvents"]
    assert len(events) == 2 and events[0]["offer"]["id"] == offer_id

    # Too low: below the current price plus the increment; the leader may raise their own maximum only.
    with pytest.raises(ControlError) as low:
        emulator.place_bid(offer_id, "31.50", buyer="ewa_m")
    assert low.value.status == 422 and "BID_TOO_LOW" in low.value.body
    with pytest.raises(ControlError):
        emulator.place_bid(offer_id, "45.00", buyer="anna_k")
    assert emulator.place_bid(offer_id, "60.00", buyer="anna_k")["auction"]["currentPrice"]["amount"] == "31.00"
    assert len(emulator.get(f"offers/{offer_id}/bids")["bids"]) == 3


def test_bids_only_on_an_active_auction(emulator, api):
    buy_now = api.post(emulator.url("/sale/product-offers"), json=offer_body(), headers=H).json()["id"]
    with pytest.raises(ControlError) as exc:
        emulator.place_bid(buy_now, "20.00")
    assert exc.value.status == 422
    with pytest.raises(ControlError) as missing:
        emulator.place_bid("999999", "20.00")
    assert missing.value.status == 404
    offer_id = auction(emulator, api)
    with pytest.raises(ControlError) as under_start:
        emulator.place_bid(offer_id, "9.99")
    assert under_start.value.status == 422
    with pytest.raises(ControlError) as bad:
        emulator.place_bid(offer_id, "12.345")
    assert bad.value.status == 422


def test_the_end_sells_to_the_winner_through_the_order_journal(emulator, api):
    offer_id = auction(emulator, api, duration="P1D")
    emulator.place_bid(offer_id, "80.00", buyer="anna_k")
    emulator.place_bid(offer_id, "55.00", buyer="piotr_w")
    emulator.clock(86400 + 5)
    api = emulator.api(emulator.user_token()["access_token"])
    events = api.get(emulator.url("/order/events")).json()["events"]
    assert [e["type"] for e in events] == ["BOUGHT", "FILLED_IN", "READY_FOR_PROCESSING"]
    form_id = events[0]["order"]["checkoutForm"]["id"]
    form = api.get(emulator.url(f"/order/checkout-forms/{form_id}")).json()
    assert form["buyer"]["login"] == "anna_k"
    line = form["lineItems"][0]
    assert line["offer"]["id"] == offer_id and line["quantity"] == 1 and line["price"]["amount"] == "56.00"
    got = api.get(emulator.url(f"/sale/product-offers/{offer_id}")).json()
    assert got["publication"]["status"] == "ENDED" and got["publication"]["endedBy"] == "EXPIRATION"
    # The ended auction keeps showing its final price and bidders.
    assert listing(emulator, api, offer_id)["saleInfo"]["currentPrice"]["amount"] == "56.00"
    assert listing(emulator, api, offer_id)["saleInfo"]["biddersCount"] == 2
    result = emulator.get(f"offers/{offer_id}/bids")
    assert result["bids"] == [] and result["results"][0]["outcome"] == "SOLD"
    assert result["results"][0]["checkout_form_id"] == form_id
    # A later sweep does not sell it twice.
    assert len(api.get(emulator.url("/order/events")).json()["events"]) == 3


def test_the_winner_may_leave_the_form_unpaid(emulator, api):
    offer_id = auction(emulator, api, duration="P1D")
    emulator.place_bid(offer_id, "20.00", buyer="anna_k", purchase={"paid": False})
    emulator.clock(86400 + 5)
    api = emulator.api(emulator.user_token()["access_token"])
    assert [e["type"] for e in api.get(emulator.url("/order/events")).json()["events"]] == ["BOUGHT", "FILLED_IN"]


def test_minimal_price_not_met_and_no_bids_end_without_a_sale(emulator, api):
    reserve = auction(emulator, api, minimal="100.00", duration="P1D")
    answer = emulator.place_bid(reserve, "60.00", buyer="anna_k")
    assert answer["minimalPriceMet"] is False
    met = emulator.place_bid(reserve, "150.00", buyer="piotr_w")
    assert met["minimalPriceMet"] is True and met["auction"]["currentPrice"]["amount"] == "100.00"
    unmet = auction(emulator, api, minimal="100.00", duration="P1D", external={"id": "SKU-2"})
    emulator.place_bid(unmet, "60.00", buyer="anna_k")
    silent = auction(emulator, api, duration="P1D", external={"id": "SKU-3"})
    emulator.clock(86400 + 5)
    api = emulator.api(emulator.user_token()["access_token"])
    forms = api.get(emulator.url("/order/checkout-forms")).json()["checkoutForms"]
    assert [f["lineItems"][0]["offer"]["id"] for f in forms] == [reserve]
    assert forms[0]["lineItems"][0]["price"]["amount"] == "100.00"
    for offer_id in (unmet, silent):
        got = api.get(emulator.url(f"/sale/product-offers/{offer_id}")).json()["publication"]
        assert (got["status"], got["endedBy"]) == ("ENDED", "EXPIRATION")
    assert emulator.get(f"offers/{unmet}/bids")["results"][0]["outcome"] == "MINIMAL_PRICE_NOT_MET"
