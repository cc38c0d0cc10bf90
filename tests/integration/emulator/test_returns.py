"""Returns in the emulator: a buyer's return and its clock-driven statuses, rejection, refunds with their
limits and their command id, commission refund claims (answers checked against Allegro's spec by the
`emulator.api` sessions)."""

from __future__ import annotations

import uuid

import pytest

from tests.emulator_support import BETA, PUBLIC, make_offer

DAY = 24 * 3600


def _sessions(emulator) -> dict:
    # A fresh token: moving the clock by a day outlives the 12-hour access token.
    token = emulator.user_token()["access_token"]
    public, beta = emulator.api(token), emulator.api(token, accept=BETA)
    public.headers["Content-Type"] = PUBLIC
    beta.headers["Content-Type"] = BETA
    return {"public": public, "beta": beta}


@pytest.fixture
def seller(emulator):
    return _sessions(emulator)


@pytest.fixture
def form(emulator):
    first = make_offer(emulator, price="100.00", stock=10, external_id="SKU-A")
    second = make_offer(emulator, price="25.50", stock=10, external_id="SKU-B")
    body = {"line_items": [{"offer_id": first, "quantity": 2}, {"offer_id": second, "quantity": 1}]}
    return emulator.post("purchases", body)["checkout_form"]


def _refund_body(form: dict, **parts) -> dict:
    return {
        "payment": {"id": form["payment"]["id"]},
        "order": {"id": form["id"]},
        "reason": "REFUND",
        "commandId": str(uuid.uuid4()),
        **parts,
    }


def test_a_buyers_return_moves_with_the_clock_and_can_be_rejected_once(emulator, seller, form):
    line = form["lineItems"][0]
    made = emulator.post(
        "customer-returns",
        {"checkout_form_id": form["id"], "items": [{"line_item_id": line["id"], "quantity": 1, "reason": "DAMAGED"}]},
    )
    return_id = made["customer_return_id"]
    url = emulator.url(f"/order/customer-returns/{return_id}")
    doc = seller["beta"].get(url).json()
    assert doc["status"] == "CREATED" and doc["orderId"] == form["id"]
    assert doc["items"][0]["offerId"] == line["offer"]["id"] and doc["items"][0]["reason"]["type"] == "DAMAGED"
    assert seller["public"].get(url).status_code == 406  # a beta resource
    emulator.clock(3 * 3600)
    doc = seller["beta"].get(url).json()
    assert doc["status"] == "IN_TRANSIT" and doc["parcels"][0]["waybill"]
    emulator.clock(DAY)
    seller = _sessions(emulator)
    listing = seller["beta"].get(emulator.url("/order/customer-returns"), params={"orderId": form["id"]}).json()
    assert [r["status"] for r in listing["customerReturns"]] == ["DELIVERED"]

    reject = emulator.url(f"/order/customer-returns/{return_id}/rejection")
    without_reason = seller["beta"].post(reject, json={"rejection": {"code": "REFUND_REJECTED"}})
    assert without_reason.status_code == 422
    done = seller["beta"].post(reject, json={"rejection": {"code": "REFUND_REJECTED", "reason": "Uszkodzony"}})
    assert done.status_code == 200 and done.json()["status"] == "REJECTED"
    assert done.json()["rejection"]["reason"] == "Uszkodzony"
    assert seller["beta"].post(reject, json={"rejection": {"code": "ITEM_FIXED"}}).status_code == 422


def test_a_return_cannot_take_more_than_was_bought(emulator, form):
    line = form["lineItems"][1]
    body = {"checkout_form_id": form["id"], "items": [{"line_item_id": line["id"], "quantity": 2}]}
    emulator.post("customer-returns", body, expect=400)


def test_refund_of_one_line_and_delivery_within_what_was_paid(emulator, seller, form):
    url = emulator.url("/payments/refunds")
    line, other = form["lineItems"]
    body = _refund_body(form, lineItems=[{"id": line["id"], "type": "QUANTITY", "quantity": 1}])
    refund = seller["public"].post(url, json=body)
    assert refund.status_code == 200
    assert refund.json()["totalValue"] == {"amount": "100.00", "currency": "PLN"}
    assert refund.json()["status"] == "NEW"

    too_many = _refund_body(form, lineItems=[{"id": line["id"], "type": "QUANTITY", "quantity": 2}])
    assert seller["public"].post(url, json=too_many).status_code == 422
    cost = form["delivery"]["cost"]["amount"]
    over = _refund_body(form, delivery={"value": {"amount": "999.00", "currency": "PLN"}})
    assert seller["public"].post(url, json=over).json()["errors"][0]["code"] == "REFUND_AMOUNT_EXCEEDED"
    delivery = seller["public"].post(
        url, json=_refund_body(form, delivery={"value": {"amount": cost, "currency": "PLN"}})
    )
    assert delivery.status_code == 200 and delivery.json()["delivery"]["value"]["amount"] == cost
    nothing = _refund_body(form, lineItems=[])
    assert seller["public"].post(url, json=nothing).status_code == 422

    emulator.clock(120)
    listed = seller["public"].get(url, params={"order.id": form["id"]}).json()
    assert listed["totalCount"] == 2 and {r["status"] for r in listed["refunds"]} == {"SUCCESS"}


def test_the_same_command_id_gives_back_the_same_refund(emulator, seller, form):
    url = emulator.url("/payments/refunds")
    body = _refund_body(form, lineItems=[{"id": form["lineItems"][1]["id"], "type": "QUANTITY", "quantity": 1}])
    first = seller["public"].post(url, json=body).json()
    again = seller["public"].post(url, json=body).json()
    assert again["id"] == first["id"]
    other = {**body, "reason": "COMPLAINT"}
    assert seller["public"].post(url, json=other).json()["errors"][0]["code"] == "COMMAND_ID_ALREADY_USED"
    assert seller["public"].get(url, params={"order.id": form["id"]}).json()["totalCount"] == 1


def test_an_unpaid_order_has_nothing_to_refund_and_an_unknown_payment_is_404(emulator, seller):
    offer = make_offer(emulator, price="10.00", stock=5)
    unpaid = emulator.post("purchases", {"offer_id": offer, "paid": False})["checkout_form"]
    url = emulator.url("/payments/refunds")
    body = _refund_body(unpaid, lineItems=[{"id": unpaid["lineItems"][0]["id"], "type": "QUANTITY", "quantity": 1}])
    assert seller["public"].post(url, json=body).json()["errors"][0]["code"] == "PAYMENT_NOT_REFUNDABLE"
    body["payment"]["id"] = str(uuid.uuid4())
    assert seller["public"].post(url, json=body).status_code == 404


def test_commission_claim_after_the_waiting_period_for_an_unpaid_purchase(emulator, seller, form):
    offer = make_offer(emulator, price="80.00", stock=5)
    unpaid = emulator.post("purchases", {"offer_id": offer, "paid": False})["checkout_form"]
    url = emulator.url("/order/refund-claims")
    body = {"lineItem": {"id": unpaid["lineItems"][0]["id"]}, "quantity": 1}
    assert seller["public"].post(url, json=body).json()["errors"][0]["code"] == "REFUND_CLAIM_TOO_EARLY"
    emulator.clock(7 * DAY + 60)
    seller = _sessions(emulator)
    paid_line = {"lineItem": {"id": form["lineItems"][0]["id"]}, "quantity": 1}
    assert seller["public"].post(url, json=paid_line).json()["errors"][0]["code"] == "REFUND_CLAIM_NOT_ALLOWED"
    created = seller["public"].post(url, json=body)
    assert created.status_code == 201
    claim_id = created.json()["id"]
    assert seller["public"].post(url, json=body).json()["errors"][0]["code"] == "REFUND_CLAIM_ALREADY_EXISTS"
    claim = seller["public"].get(emulator.url(f"/order/refund-claims/{claim_id}")).json()
    assert claim["status"] == "IN_PROGRESS" and claim["commission"] == {"amount": 8.0, "currency": "PLN"}
    emulator.clock(3 * DAY)
    seller = _sessions(emulator)
    listed = seller["public"].get(url, params={"status": "GRANTED"}).json()
    assert [c["id"] for c in listed["refundClaims"]] == [claim_id]
    assert seller["public"].delete(emulator.url(f"/order/refund-claims/{claim_id}")).status_code == 422
