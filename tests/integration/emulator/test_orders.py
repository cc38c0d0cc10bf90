"""Orders in the emulator: purchases, checkout forms (shape checked against Allegro's spec by the `emulator.api`
sessions), listing filters and paging, fulfillment revisions, shipments, replayed payloads."""

from __future__ import annotations

import json
import re
import uuid

import pytest

from tests.emulator_support import make_offer, offer_row

COURIER = "5d9c7838-e05f-4dec-afdd-58e884170ba7"  # Allegro Kurier24 InPost
LOCKER = "2488f7b7-5d1c-4d65-b85c-4cbcf253fd93"  # Allegro Paczkomaty InPost
COD = "85c3ad2f-4ec1-446c-866e-63473ed10e26"  # Allegro Kurier24 InPost pobranie


def buy(emulator, offer_id: str | None = None, expect: int = 201, **body) -> dict:
    if offer_id is not None:
        body["offer_id"] = offer_id
    return emulator.post("purchases", body, expect=expect)


@pytest.fixture
def seller_api(emulator):
    return emulator.api(emulator.user_token()["access_token"])


# purchases --------------------------------------------------------------------------------------------------
def test_purchase_creates_a_spec_shaped_checkout_form_and_sells_stock(emulator, seller_api):
    offer_id = make_offer(emulator, price="1299.00", stock=5, external_id="SKU-ABC")
    result = buy(emulator, offer_id, quantity=2, message="Proszę o szybką wysyłkę")
    form_id = result["checkout_form_id"]
    assert uuid.UUID(form_id)
    assert len(result["events"]) == 3

    resp = seller_api.get(emulator.url(f"/order/checkout-forms/{form_id}"))  # validated against the spec
    assert resp.status_code == 200
    form = resp.json()
    assert form == result["checkout_form"]
    assert form["status"] == "READY_FOR_PROCESSING"
    assert form["messageToSeller"] == "Proszę o szybką wysyłkę"
    assert form["marketplace"] == {"id": "allegro-pl"}
    assert form["fulfillment"]["status"] == "NEW"
    assert form["fulfillment"]["shipmentSummary"] == {"lineItemsSent": "NONE"}
    buyer = form["buyer"]
    assert re.fullmatch(r"[a-z0-9]+\+[0-9a-f]{6}@allegromail\.pl", buyer["email"])
    assert buyer["guest"] is False and buyer["login"] and buyer["firstName"] and buyer["lastName"]
    assert set(buyer["address"]) == {"street", "city", "postCode", "countryCode"}
    (line,) = form["lineItems"]
    assert uuid.UUID(line["id"])
    assert line["offer"] == {
        "id": offer_id,
        "name": offer_row(emulator, offer_id)["name"],
        "external": {"id": "SKU-ABC"},
        "productSet": None,
    }
    # captured forms carry null where Allegro has nothing to say, and every key
    assert line["reconciliation"] is None and line["tax"] is None and line["discounts"] == []
    assert form["note"] is None and form["discounts"] == [] and form["surcharges"] == []
    assert buyer["personalIdentity"] is None and buyer["companyName"] is None
    assert line["quantity"] == 2
    assert line["price"] == {"amount": "1299.00", "currency": "PLN"} == line["originalPrice"]
    delivery = form["delivery"]
    assert delivery["method"]["id"] == COURIER and delivery["pickupPoint"] is None
    assert delivery["cancellation"] is None and delivery["time"]["guaranteed"] is None
    assert set(delivery["address"]) >= {"firstName", "lastName", "street", "city", "zipCode", "countryCode"}
    total = 2 * 1299 + float(delivery["cost"]["amount"])
    assert form["summary"]["totalToPay"] == {"amount": f"{total:.2f}", "currency": "PLN"}
    payment = form["payment"]
    assert payment["type"] == "ONLINE" and payment["provider"] in ("P24", "PAYU")
    assert payment["paidAmount"] == form["summary"]["totalToPay"] and payment["finishedAt"]
    assert payment["reconciliation"] is None
    assert form["invoice"] == {"required": False, "address": None, "dueDate": None, "features": []}
    assert form["revision"] and form["updatedAt"]

    row = offer_row(emulator, offer_id)
    assert (row["stock_available"], row["stock_sold"], row["status"]) == (3, 2, "ACTIVE")


def test_pickup_point_invoice_and_cash_on_delivery(emulator, seller_api):
    offer_id = make_offer(emulator)
    locker = buy(emulator, offer_id, pickup_point=True, invoice=True)["checkout_form"]
    point = locker["delivery"]["pickupPoint"]
    assert locker["delivery"]["method"]["id"] == LOCKER
    assert point["id"] and point["name"] and point["description"]
    assert set(point["address"]) == {"street", "zipCode", "city", "countryCode"}
    company = locker["invoice"]["address"]["company"]
    assert locker["invoice"]["required"] is True and company["vatPayerStatus"] == "ACTIVE"
    (nip,) = company["ids"]
    assert nip["type"] == "PL_NIP" and re.fullmatch(r"\d{10}", nip["value"])

    given = buy(emulator, offer_id, invoice={"company": {"name": "Firma Testowa Sp. z o.o.", "nip": "5260250995"}})
    company = given["checkout_form"]["invoice"]["address"]["company"]
    assert company["name"] == "Firma Testowa Sp. z o.o." and company["ids"][0]["value"] == "5260250995"

    cod = buy(emulator, offer_id, delivery_method_id=COD)["checkout_form"]
    assert cod["payment"]["type"] == "CASH_ON_DELIVERY" and cod["payment"]["paidAmount"] is None
    assert cod["status"] == "READY_FOR_PROCESSING"
    for form in (locker, given["checkout_form"], cod):
        assert seller_api.get(emulator.url(f"/order/checkout-forms/{form['id']}")).status_code == 200

    unpaid = buy(emulator, offer_id, paid=False)
    assert unpaid["checkout_form"]["status"] == "FILLED_IN" and len(unpaid["events"]) == 2
    assert unpaid["checkout_form"]["payment"]["paidAmount"] is None
    assert buy(emulator, offer_id, delivery_method_id=str(uuid.uuid4()), expect=422)["errors"][0]["path"]


def test_purchase_refused_when_offer_is_not_active_or_stock_is_short(emulator):
    inactive = make_offer(emulator, status="INACTIVE")
    assert buy(emulator, inactive, expect=409)["errors"][0]["code"] == "OFFER_NOT_ACTIVE"
    offer_id = make_offer(emulator, stock=2)
    assert buy(emulator, offer_id, quantity=3, expect=422)["errors"][0]["code"] == "NOT_ENOUGH_STOCK"
    buy(emulator, offer_id, quantity=0, expect=422)
    buy(emulator, "99999999999", expect=404)
    buy(emulator, offer_id, quantity=2)
    row = offer_row(emulator, offer_id)
    assert (row["stock_available"], row["status"], row["ended_by"]) == (0, "ENDED", "EMPTY_STOCK")
    buy(emulator, offer_id, expect=409)


def test_returning_buyer_is_the_same_buyer(emulator):
    offer_id = make_offer(emulator)
    first = buy(emulator, offer_id, buyer={"login": "stały_klient"})["checkout_form"]["buyer"]
    again = buy(emulator, offer_id, buyer={"login": "stały_klient"})["checkout_form"]["buyer"]
    assert first == again
    other = buy(emulator, offer_id)["checkout_form"]["buyer"]
    assert other["id"] != first["id"] and other["email"] != first["email"]
    chosen = buy(
        emulator, offer_id, buyer={"login": "anna_k", "email": "Anna.K@example.pl", "firstName": "Anna", "id": "777"}
    )
    assert chosen["checkout_form"]["buyer"]["email"] == "Anna.K@example.pl"
    assert chosen["checkout_form"]["buyer"]["id"] == "777"


def test_auction_purchase_plays_the_winning_bid(emulator, seller_api):
    offer_id = make_offer(
        emulator,
        fmt="AUCTION",
        stock=1,
        price="10.00",
        data={"sellingMode": {"format": "AUCTION", "startingPrice": {"amount": "10.00", "currency": "PLN"}}},
    )
    form = buy(emulator, offer_id, price="87.50")["checkout_form"]
    assert form["lineItems"][0]["price"]["amount"] == "87.50" and form["lineItems"][0]["quantity"] == 1
    row = offer_row(emulator, offer_id)
    assert (row["status"], row["ended_by"], row["stock_available"]) == ("ENDED", "EXPIRATION", 0)
    assert seller_api.get(emulator.url(f"/order/checkout-forms/{form['id']}")).status_code == 200


def test_cart_and_bulk_purchases(emulator, seller_api):
    a, b, c = (make_offer(emulator, stock=5, external_id=f"SKU-{i}") for i in range(3))
    cart = buy(emulator, line_items=[{"offer_id": a, "quantity": 2}, {"offer_id": b}, {"offer_id": c}])
    form = cart["checkout_form"]
    assert [li["offer"]["id"] for li in form["lineItems"]] == [a, b, c]
    assert len({li["id"] for li in form["lineItems"]}) == 3

    resp = emulator.http.post(
        emulator.url("/_emulator/purchases/bulk"),
        json={"purchases": [{"offer_id": a}, {"offer_id": a, "quantity": 50}, {"line_items": [{"offer_id": b}]}]},
        timeout=10,
    )
    assert resp.status_code == 201, resp.text
    bulk = resp.json()
    assert (bulk["created"], bulk["failed"]) == (2, 1)
    assert bulk["results"][1]["status"] == 422 and bulk["results"][1]["error"]["code"] == "NOT_ENOUGH_STOCK"
    assert offer_row(emulator, a)["stock_available"] == 2
    listed = seller_api.get(emulator.url("/order/checkout-forms")).json()
    assert listed["totalCount"] == 3


# listing --------------------------------------------------------------------------------------------------------
def test_listing_filters_sorting_and_paging(emulator, seller_api):
    offer_id = make_offer(emulator, stock=100)
    early = [buy(emulator, offer_id, paid=False)["checkout_form_id"] for _ in range(3)]
    emulator.clock(3600)
    middle = emulator.get("clock")["time"]
    emulator.clock(1)
    late = [
        buy(emulator, offer_id, buyer={"login": "jan_nowak"}, pickup_point=True)["checkout_form_id"] for _ in range(4)
    ]
    url = emulator.url("/order/checkout-forms")

    everything = seller_api.get(url).json()
    assert (everything["count"], everything["totalCount"]) == (7, 7)
    assert [f["id"] for f in everything["checkoutForms"]] == (early + late)[::-1]  # default: -lineItems.boughtAt

    def ids(**params):
        body = seller_api.get(url, params=params).json()
        return [f["id"] for f in body["checkoutForms"]], body["totalCount"]

    assert ids(status="FILLED_IN") == (early[::-1], 3)
    assert ids(**{"buyer.login": "jan_nowak", "sort": "lineItems.boughtAt"}) == (late, 4)
    assert ids(**{"delivery.method.id": LOCKER})[1] == 4
    assert ids(**{"updatedAt.gte": middle, "sort": "updatedAt"}) == (late, 4)
    assert ids(**{"lineItems.boughtAt.lte": middle})[1] == 3
    assert ids(**{"fulfillment.status": "NEW", "limit": 2, "offset": 2}) == ((early + late)[::-1][2:4], 7)
    page = seller_api.get(url, params={"limit": 3, "offset": 6}).json()
    assert (page["count"], page["totalCount"]) == (1, 7)

    for bad in ({"status": "PAID"}, {"limit": 101}, {"limit": 0}, {"updatedAt.gte": "wczoraj"}, {"sort": "price"}):
        resp = seller_api.get(url, params=bad)
        assert resp.status_code == 422, bad
        assert resp.json()["errors"][0]["path"]


def test_get_checkout_form_errors(emulator, seller_api):
    offer_id = make_offer(emulator)
    form_id = buy(emulator, offer_id)["checkout_form_id"]
    assert seller_api.get(emulator.url("/order/checkout-forms/not-a-uuid")).status_code == 422
    assert seller_api.get(emulator.url(f"/order/checkout-forms/{uuid.uuid4()}")).status_code == 404
    emulator.add_seller("drugi-sprzedawca")
    other = emulator.api(emulator.user_token(login="drugi-sprzedawca")["access_token"])
    assert other.get(emulator.url(f"/order/checkout-forms/{form_id}")).status_code == 404
    resp = emulator.http.get(
        emulator.url("/order/checkout-forms"),
        headers={"Authorization": other.headers["Authorization"], "Accept": other.headers["Accept"]},
        timeout=10,
    )
    assert resp.json()["totalCount"] == 0  # (the spec says minimum 1, so this one is not contract-checked)


# writing back ---------------------------------------------------------------------------------------------------
def test_fulfillment_checks_the_revision(emulator, seller_api):
    form = buy(emulator, make_offer(emulator))["checkout_form"]
    url = emulator.url(f"/order/checkout-forms/{form['id']}/fulfillment")
    headers = {"Content-Type": "application/vnd.allegro.public.v1+json"}
    ok = seller_api.put(
        url, params={"checkoutForm.revision": form["revision"]}, json={"status": "PROCESSING"}, headers=headers
    )
    assert ok.status_code == 204
    fresh = seller_api.get(emulator.url(f"/order/checkout-forms/{form['id']}")).json()
    assert fresh["fulfillment"]["status"] == "PROCESSING" and fresh["revision"] != form["revision"]

    stale = seller_api.put(
        url, params={"checkoutForm.revision": form["revision"]}, json={"status": "SENT"}, headers=headers
    )
    assert stale.status_code == 409
    returned = seller_api.put(
        url, params={"checkoutForm.revision": fresh["revision"]}, json={"status": "RETURNED"}, headers=headers
    )
    assert returned.status_code == 422 and returned.json()["errors"][0]["path"] == "status"

    events = seller_api.get(emulator.url("/order/events")).json()["events"]
    assert events[-1]["type"] == "FULFILLMENT_STATUS_CHANGED"
    assert events[-1]["order"]["checkoutForm"] == {"id": form["id"], "revision": fresh["revision"]}


def test_shipments(emulator, seller_api):
    offer_id = make_offer(emulator, stock=50)
    form = buy(emulator, line_items=[{"offer_id": offer_id}, {"offer_id": make_offer(emulator)}])["checkout_form"]
    url = emulator.url(f"/order/checkout-forms/{form['id']}/shipments")
    headers = {"Content-Type": "application/vnd.allegro.public.v1+json"}
    first_line = form["lineItems"][0]["id"]

    created = seller_api.post(
        url,
        json={"carrierId": "INPOST", "waybill": "620000000000000000000001", "lineItems": [{"id": first_line}]},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["lineItems"] == [{"id": first_line}] and created.json()["carrierId"] == "INPOST"
    fresh = seller_api.get(emulator.url(f"/order/checkout-forms/{form['id']}")).json()
    assert fresh["fulfillment"]["shipmentSummary"]["lineItemsSent"] == "SOME" and fresh["revision"] != form["revision"]

    other = seller_api.post(
        url,
        json={"carrierId": "OTHER", "carrierName": "Kurier Janusz", "waybill": "JX-1", "lineItems": []},
        headers=headers,
    )
    assert other.status_code == 201 and other.json()["carrierName"] == "Kurier Janusz"
    listed = seller_api.get(url).json()["shipments"]
    assert [s["waybill"] for s in listed] == ["620000000000000000000001", "JX-1"]
    assert (
        seller_api.get(emulator.url(f"/order/checkout-forms/{form['id']}")).json()["fulfillment"]["shipmentSummary"][
            "lineItemsSent"
        ]
        == "ALL"
    )

    def post(body, form_id=form["id"]):
        return seller_api.post(emulator.url(f"/order/checkout-forms/{form_id}/shipments"), json=body, headers=headers)

    assert post({"carrierId": "NO_SUCH", "waybill": "X1"}).status_code == 422
    assert post({"carrierId": "DPD", "waybill": "X" * 65}).status_code == 422
    assert post({"carrierId": "OTHER", "waybill": "X2"}).status_code == 422  # carrierName missing
    assert post({"carrierId": "OTHER", "carrierName": "K" * 31, "waybill": "X3"}).status_code == 422
    assert post({"carrierId": "DPD", "carrierName": "DPD", "waybill": "X4"}).status_code == 422
    assert post({"carrierId": "DPD", "waybill": "X5", "lineItems": [{"id": str(uuid.uuid4())}]}).status_code == 422
    assert post({"carrierId": "INPOST", "waybill": "620000000000000000000001"}).status_code == 409  # again here
    assert seller_api.get(emulator.url(f"/order/checkout-forms/{uuid.uuid4()}/shipments")).status_code == 404

    shared = "SHARED-WAYBILL"
    others = [buy(emulator, offer_id)["checkout_form_id"] for _ in range(6)]
    for form_id in others[:5]:
        assert post({"carrierId": "DPD", "waybill": shared}, form_id).status_code == 201
    assert post({"carrierId": "DPD", "waybill": shared}, others[5]).status_code == 409


# replaying real payloads -------------------------------------------------------------------------------------------
def test_replayed_checkout_form_is_stored_as_is_and_replaced(emulator, seller_api):
    template = buy(emulator, make_offer(emulator))["checkout_form"]
    replay = json.loads(json.dumps(template))
    replay["id"] = str(uuid.uuid4())
    replay["revision"] = "abc123"
    replay["updatedAt"] = "2026-02-01T10:00:00.000Z"
    stored = emulator.post("checkout-forms", {"checkout_form": replay})
    assert stored["checkout_form_id"] == replay["id"] and len(stored["events"]) == 1
    got = seller_api.get(emulator.url(f"/order/checkout-forms/{replay['id']}")).json()
    assert got == replay

    replay["delivery"]["address"]["street"] = "ul. Nowa 1"
    del replay["revision"]
    again = emulator.post("checkout-forms", {"checkout_form": replay, "events": ["BUYER_MODIFIED"]})
    assert again["replaced"] is True
    got = seller_api.get(emulator.url(f"/order/checkout-forms/{replay['id']}")).json()
    assert got["delivery"]["address"]["street"] == "ul. Nowa 1" and got["revision"] not in ("abc123", None)
    events = seller_api.get(emulator.url("/order/events"), params={"type": "BUYER_MODIFIED"}).json()["events"]
    assert [e["order"]["checkoutForm"]["id"] for e in events] == [replay["id"]]

    # malformed payloads are stored too (the importer must quarantine them); read without contract checks
    broken = {"id": str(uuid.uuid4()), "status": "READY_FOR_PROCESSING", "lineItems": [{"quantity": "dużo"}]}
    emulator.post("checkout-forms", {"checkout_form": broken})
    resp = emulator.http.get(
        emulator.url(f"/order/checkout-forms/{broken['id']}"),
        headers={"Authorization": seller_api.headers["Authorization"], "Accept": seller_api.headers["Accept"]},
        timeout=10,
    )
    assert resp.status_code == 200 and resp.json()["lineItems"] == [{"quantity": "dużo"}]
    assert "buyer" not in resp.json()
