"""The returns calls of AllegroClient against scripted HTTP (exact call sequences and media types) and the
tolerant parsing of Allegro's returns, refunds and claims (nulls and missing keys)."""

import json
from decimal import Decimal

import pytest
import requests  # noqa: TID251 — a scripted timeout is one of requests' own exceptions
import responses
from responses import matchers

from allegro.integration.client import BETA_MEDIA, AllegroRetryLater
from allegro.integration.schemas.returns import parse_customer_return, parse_refund, parse_refund_claim
from tests.unit.allegro.integration.test_client import API, make_client

BODY = {"payment": {"id": "p-1"}, "order": {"id": "o-1"}, "reason": "REFUND", "commandId": "c-1"}


@responses.activate
def test_a_refund_is_repeated_after_a_timeout_with_the_same_command_id():
    client, sleeps = make_client()
    responses.post(f"{API}/payments/refunds", body=requests.ConnectTimeout("slow"))
    responses.post(
        f"{API}/payments/refunds", json={"id": "r-1", "status": "NEW"}, match=[matchers.json_params_matcher(BODY)]
    )
    assert client.initiate_refund(BODY)["id"] == "r-1"
    sent = [json.loads(call.request.body) for call in responses.calls]
    assert sent == [BODY, BODY] and len(sleeps) == 1


@responses.activate
def test_a_claim_is_not_repeated_after_a_timeout():
    """Allegro takes no idempotency key for claims: the caller searches before trying again."""
    client, _ = make_client()
    responses.post(f"{API}/order/refund-claims", body=requests.ConnectTimeout("slow"))
    with pytest.raises(AllegroRetryLater):
        client.create_refund_claim(line_item_id="li-1", quantity=1)
    assert len(responses.calls) == 1


@responses.activate
def test_customer_returns_use_the_beta_media_type():
    client, _ = make_client()
    responses.get(
        f"{API}/order/customer-returns",
        json={"count": 0, "customerReturns": []},
        match=[matchers.header_matcher({"Accept": BETA_MEDIA})],
    )
    responses.post(
        f"{API}/order/customer-returns/r-1/rejection",
        json={"id": "r-1", "status": "REJECTED"},
        match=[
            matchers.header_matcher({"Accept": BETA_MEDIA, "Content-Type": BETA_MEDIA}),
            matchers.json_params_matcher({"rejection": {"code": "REFUND_REJECTED", "reason": "Ślady użycia"}}),
        ],
    )
    assert client.get_customer_returns(params={"limit": 10}) == {"count": 0, "customerReturns": []}
    assert client.reject_customer_return("r-1", code="REFUND_REJECTED", reason="Ślady użycia")["status"] == "REJECTED"


def test_a_return_with_nulls_parses_and_one_without_its_order_does_not():
    raw = {
        "id": "r-1",
        "orderId": "o-1",
        "status": "DELIVERED",
        "referenceNumber": None,
        "createdAt": "2026-11-27T01:08:40.123Z",
        "buyer": None,
        "items": [{"offerId": "123", "quantity": "2", "price": {"amount": "19.9", "currency": "PLN"}, "reason": None}],
        "parcels": [{"waybill": "AD1", "transportingWaybill": None, "carrierId": "ALLEGRO"}],
        "rejection": None,
        "refund": None,
    }
    doc = parse_customer_return(raw)
    assert doc.referenceNumber == "" and doc.buyer.login == "" and doc.items[0].quantity == 2
    assert doc.items[0].price.amount == Decimal("19.90") and doc.items[0].reason.type == ""
    assert doc.parcels[0].stored() == {"waybill": "AD1", "carrierId": "ALLEGRO"} and doc.rejection is None
    assert doc.createdAt.tzinfo is not None
    assert parse_customer_return({"id": "r-2", "orderId": None}) is None


def test_refund_and_claim_answers_tolerate_odd_values():
    refund = parse_refund({"id": "r", "status": None, "totalValue": {"amount": "abc", "currency": "PLN"}})
    assert refund.status == "" and refund.totalValue.amount == Decimal("0.00")
    claim = parse_refund_claim({"id": "c", "status": "GRANTED", "commission": {"amount": 8, "currency": "PLN"}})
    assert claim.commission.amount == Decimal("8.00") and claim.lineItem.id == ""
    assert parse_refund(None).id == "" and parse_refund_claim([]).id == ""
