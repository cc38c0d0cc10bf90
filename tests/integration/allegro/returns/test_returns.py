"""Returns, refunds and commission claims against the emulator: a return imported twice is one return and
one stock movement; acceptance, rejection, refunds of a line and of delivery, a refund retried after a
timeout (one refund on Allegro), commission claims (also after a lost answer, and by the automatic rule)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

import allegro.integration.client
from allegro.accounts.services.accounts import account_refresh_token
from allegro.checkouts.models import OrderEventCursor
from allegro.checkouts.services.order_import import order_import_new_events
from allegro.core.models import EventLogEntry
from allegro.integration.client import AllegroRetryLater
from allegro.returns.models import (
    ClaimState,
    CustomerReturn,
    Refund,
    RefundClaim,
    RefundState,
    ReturnDecision,
    ReturnsCursor,
)
from allegro.returns.selectors import returns_waiting_for_decision
from allegro.returns.services.claims import (
    ClaimRefused,
    refund_claim_create,
    refund_claim_send,
    refund_claims_auto,
    refund_claims_refresh,
)
from allegro.returns.services.refunds import RefundRefused, refund_create, refund_quote, refund_refresh, refund_send
from allegro.returns.services.returns import (
    ReturnActionRefused,
    customer_return_accept,
    customer_return_reject,
    customer_return_restock,
    returns_import_account,
)
from orders.models import Order
from shop.models import Product, StockMovement
from tests.emulator_support import make_offer
from tests.factories import make_product

pytestmark = pytest.mark.django_db

DAY = 24 * 3600


def _jump(emulator, account, seconds: float) -> None:
    """Move Allegro's clock; the stored token is then older than Allegro's 12 hours: refresh it as the panel would."""
    emulator.clock(seconds)
    account_refresh_token(account_id=account.pk, force=True)
    account.refresh_from_db()


def _import_orders(account) -> None:
    OrderEventCursor.objects.update_or_create(account=account, defaults={"last_event_id": "0"})
    order_import_new_events(account=account)


@pytest.fixture
def bought(emulator, connected_account):
    """A paid two-line Allegro order, imported: 2 × SKU-A at 100.00 and 1 × SKU-B at 25.50."""
    make_product(sku="SKU-A", stock=10)
    make_product(sku="SKU-B", stock=5)
    first = make_offer(emulator, price="100.00", stock=50, external_id="SKU-A")
    second = make_offer(emulator, price="25.50", stock=50, external_id="SKU-B")
    form = emulator.post(
        "purchases", {"line_items": [{"offer_id": first, "quantity": 2}, {"offer_id": second, "quantity": 1}]}
    )["checkout_form"]
    _import_orders(connected_account)
    return form, Order.objects.get(allegro_checkouts__checkout_form_id=form["id"])


def _return(
    emulator, form, *, line: int = 0, quantity: int = 1, reason: str = "DAMAGED", comment: str = "Pęknięta obudowa"
):
    item = {"line_item_id": form["lineItems"][line]["id"], "quantity": quantity, "reason": reason, "comment": comment}
    return emulator.post("customer-returns", {"checkout_form_id": form["id"], "items": [item]})["customer_return_id"]


def _emulator_refunds(emulator, form) -> list[dict]:
    token = emulator.user_token()["access_token"]
    response = emulator.api(token).get(emulator.url("/payments/refunds"), params={"order.id": form["id"]})
    return response.json()["refunds"]


def test_a_return_imported_twice_makes_one_return_and_one_stock_movement(emulator, connected_account, bought):
    form, order = bought
    return_id = _return(emulator, form, quantity=2)
    first = returns_import_account(account=connected_account)
    second = returns_import_account(account=connected_account)
    assert (first.created, second.created, second.unchanged) == (1, 0, 1)
    customer_return = CustomerReturn.objects.get()
    assert customer_return.return_id == return_id and customer_return.order == order
    (item,) = customer_return.items.all()
    assert item.order_line.product.sku == "SKU-A" and item.quantity == 2
    assert item.reason == "DAMAGED" and item.buyer_comment == "Pęknięta obudowa"
    assert customer_return.waiting_for_decision and list(returns_waiting_for_decision()) == [customer_return]

    stock_before = Product.objects.get(sku="SKU-A").stock
    assert customer_return_restock(customer_return=customer_return) == 2
    assert customer_return_restock(customer_return=customer_return) == 0  # the double click
    returns_import_account(account=connected_account)  # and an import after it
    assert Product.objects.get(sku="SKU-A").stock == stock_before + 2
    movements = StockMovement.objects.filter(reference__startswith="allegro-return:")
    assert movements.count() == 1 and movements.get().delta == 2
    assert EventLogEntry.objects.filter(action="return_imported", order_id=order.pk).count() == 1


def test_statuses_follow_allegro_and_parcel_tracking_arrives(emulator, connected_account, bought):
    form, _ = bought
    _return(emulator, form)
    returns_import_account(account=connected_account)
    assert CustomerReturn.objects.get().status == "CREATED" and CustomerReturn.objects.get().tracking == []
    _jump(emulator, connected_account, DAY + 60)
    result = returns_import_account(account=connected_account)
    customer_return = CustomerReturn.objects.get()
    assert result.updated == 1 and customer_return.status == "DELIVERED"
    assert customer_return.tracking and customer_return.tracking[0].endswith("(ALLEGRO)")


def test_rejection_with_a_reason_goes_to_allegro(emulator, connected_account, bought):
    form, order = bought
    _return(emulator, form)
    returns_import_account(account=connected_account)
    customer_return = CustomerReturn.objects.get()
    with pytest.raises(ReturnActionRefused):
        customer_return_reject(customer_return=customer_return, code="REFUND_REJECTED", reason="  ")
    customer_return_reject(customer_return=customer_return, code="REFUND_REJECTED", reason="Produkt nosi ślady użycia")
    customer_return.refresh_from_db()
    assert customer_return.decision == ReturnDecision.REJECTED and customer_return.status == "REJECTED"
    token = emulator.user_token()["access_token"]
    on_allegro = emulator.api(token, accept="application/vnd.allegro.beta.v1+json").get(
        emulator.url(f"/order/customer-returns/{customer_return.return_id}")
    )
    assert on_allegro.json()["rejection"] == {
        "code": "REFUND_REJECTED",
        "reason": "Produkt nosi ślady użycia",
        "createdAt": on_allegro.json()["rejection"]["createdAt"],
    }
    entry = EventLogEntry.objects.get(action="return_rejected")
    assert "Produkt nosi ślady użycia" in entry.message and entry.order_id == order.pk
    with pytest.raises(ReturnActionRefused):
        customer_return_accept(customer_return=customer_return)


def test_accepted_return_refunds_one_line_of_a_two_line_order(emulator, connected_account, bought):
    form, order = bought
    _return(emulator, form, line=1)
    returns_import_account(account=connected_account)
    customer_return = customer_return_accept(customer_return=CustomerReturn.objects.get())
    line_b = order.lines.get(sku="SKU-B")
    quote = refund_quote(order=order, quantities={line_b.pk: 1})
    assert quote.total == Decimal("25.50") and not quote.errors
    refund, created = refund_create(
        order=order,
        quantities={line_b.pk: 1},
        delivery_amount=Decimal("0"),
        reason="REFUND",
        intent_id=uuid.uuid4(),
        customer_return=customer_return,
    )
    assert created and refund.state == RefundState.PENDING
    refund = refund_send(refund=refund)
    assert refund.state == RefundState.SENT and refund.allegro_status == "NEW"
    (on_allegro,) = _emulator_refunds(emulator, form)
    assert on_allegro["id"] == refund.allegro_id and on_allegro["totalValue"]["amount"] == "25.50"
    assert on_allegro["lineItems"] == [
        {"id": line_b.external_id, "type": "QUANTITY", "quantity": 1, "value": {"amount": "25.50", "currency": "PLN"}}
    ]
    # The return is finished on Allegro once the money went back; the state is read back.
    emulator.clock(120)
    assert refund_refresh(refund=refund).allegro_status == "SUCCESS"
    returns_import_account(account=connected_account)
    assert CustomerReturn.objects.get().status == "FINISHED"
    assert not returns_waiting_for_decision().exists()
    # What is left of the line cannot be refunded twice.
    assert refund_quote(order=order, quantities={line_b.pk: 1}).errors


def test_delivery_refund_and_limits(emulator, connected_account, bought):
    form, order = bought
    cost = Decimal(form["delivery"]["cost"]["amount"])
    too_much = refund_quote(order=order, delivery_amount=cost + Decimal("0.01"))
    assert too_much.errors and too_much.delivery_amount == 0
    with pytest.raises(RefundRefused):
        refund_create(order=order, quantities={}, delivery_amount=Decimal("0"), reason="REFUND", intent_id=uuid.uuid4())
    refund, _ = refund_create(order=order, quantities={}, delivery_amount=cost, reason="REFUND", intent_id=uuid.uuid4())
    assert refund.total == cost and refund_send(refund=refund).state == RefundState.SENT
    (on_allegro,) = _emulator_refunds(emulator, form)
    assert on_allegro["delivery"]["value"]["amount"] == str(cost) and "lineItems" in on_allegro
    assert refund_quote(order=order).delivery_left == 0


def test_the_same_form_submitted_twice_records_one_refund(emulator, connected_account, bought):
    _, order = bought
    intent = uuid.uuid4()
    line = order.lines.get(sku="SKU-A")
    kwargs = {"order": order, "quantities": {line.pk: 1}, "delivery_amount": Decimal("0"), "reason": "REFUND"}
    first, created = refund_create(intent_id=intent, **kwargs)
    again, created_again = refund_create(intent_id=intent, **kwargs)
    assert created and not created_again and first.pk == again.pk and Refund.objects.count() == 1


def test_a_refund_retried_after_a_timeout_is_one_refund_on_allegro(emulator, connected_account, bought, monkeypatch):
    form, order = bought
    line = order.lines.get(sku="SKU-A")
    refund, _ = refund_create(
        order=order, quantities={line.pk: 2}, delivery_amount=Decimal("0"), reason="REFUND", intent_id=uuid.uuid4()
    )
    monkeypatch.setattr(allegro.integration.client, "READ_TIMEOUT", 0.5)
    # Every attempt of the first try times out, although Allegro makes the refund each time it gets the call.
    emulator.add_fault("^/payments/refunds$", method="POST", delay_ms=1200, times=4)
    with pytest.raises(AllegroRetryLater):
        refund_send(refund=refund)
    refund.refresh_from_db()
    assert refund.state == RefundState.PENDING and refund.attempts == 1 and refund.last_error
    # The task's retry: one more timeout (the client repeats it with the same command id), then an answer.
    emulator.clear_faults()
    emulator.add_fault("^/payments/refunds$", method="POST", delay_ms=1200, times=1)
    refund = refund_send(refund=refund)
    monkeypatch.setattr(allegro.integration.client, "READ_TIMEOUT", 30)
    assert refund.state == RefundState.SENT and refund.attempts == 2
    (on_allegro,) = _emulator_refunds(emulator, form)
    assert on_allegro["id"] == refund.allegro_id and on_allegro["totalValue"]["amount"] == "200.00"
    assert refund_send(refund=refund).allegro_id == refund.allegro_id  # sent already: nothing more is called


def test_allegro_refusing_a_refund_is_final_and_logged(emulator, connected_account, bought):
    _, order = bought
    line = order.lines.get(sku="SKU-B")
    refund, _ = refund_create(
        order=order, quantities={line.pk: 1}, delivery_amount=Decimal("0"), reason="REFUND", intent_id=uuid.uuid4()
    )
    Refund.objects.filter(pk=refund.pk).update(payment_id=str(uuid.uuid4()))  # a payment Allegro does not know
    refund = refund_send(refund=refund)
    assert refund.state == RefundState.FAILED and refund.last_error
    assert EventLogEntry.objects.filter(action="refund_refused", success=False).exists()
    # A refused refund does not count against what may still be refunded.
    assert not refund_quote(order=order, quantities={line.pk: 1}).errors


@pytest.fixture
def unpaid(emulator, connected_account):
    make_product(sku="SKU-U", stock=5)
    offer = make_offer(emulator, price="80.00", stock=5, external_id="SKU-U")
    form = emulator.post("purchases", {"offer_id": offer, "paid": False})["checkout_form"]
    _import_orders(connected_account)
    return form, Order.objects.get(allegro_checkouts__checkout_form_id=form["id"])


def test_commission_claim_for_an_unpaid_order_after_the_waiting_period(emulator, connected_account, unpaid):
    form, order = unpaid
    from allegro.checkouts.models import AllegroCheckout

    checkout = AllegroCheckout.objects.get(order=order)
    line_item = form["lineItems"][0]["id"]
    early = refund_claim_send(claim=refund_claim_create(checkout=checkout, line_item_id=line_item))
    assert early.state == ClaimState.FAILED and "7 dni" in early.last_error  # Allegro's waiting period
    _jump(emulator, connected_account, 7 * DAY + 60)
    claim = refund_claim_send(claim=refund_claim_create(checkout=checkout, line_item_id=line_item))
    assert claim.state == ClaimState.SENT and claim.status == "IN_PROGRESS" and claim.commission == Decimal("8.00")
    with pytest.raises(ClaimRefused):
        refund_claim_create(checkout=checkout, line_item_id=line_item)
    _jump(emulator, connected_account, 3 * DAY)
    assert refund_claims_refresh(account=connected_account) == 1
    claim.refresh_from_db()
    assert claim.status == "GRANTED"
    assert EventLogEntry.objects.filter(action="claim_filed", order_id=order.pk).count() == 1


def test_a_claim_whose_answer_was_lost_is_adopted_not_filed_twice(emulator, connected_account, unpaid, monkeypatch):
    form, order = unpaid
    from allegro.checkouts.models import AllegroCheckout

    _jump(emulator, connected_account, 7 * DAY + 60)
    claim = refund_claim_create(
        checkout=AllegroCheckout.objects.get(order=order), line_item_id=form["lineItems"][0]["id"]
    )
    monkeypatch.setattr(allegro.integration.client, "READ_TIMEOUT", 0.5)
    emulator.add_fault("^/order/refund-claims$", method="POST", delay_ms=1200, times=1)
    with pytest.raises(AllegroRetryLater):
        refund_claim_send(claim=claim)
    monkeypatch.setattr(allegro.integration.client, "READ_TIMEOUT", 30)
    claim = refund_claim_send(claim=claim)
    assert claim.state == ClaimState.SENT and claim.allegro_id
    token = emulator.user_token()["access_token"]
    listed = emulator.api(token).get(emulator.url("/order/refund-claims")).json()["refundClaims"]
    assert [c["id"] for c in listed] == [claim.allegro_id]


def test_the_automatic_rule_claims_after_seven_days_without_payment(emulator, connected_account, unpaid, bought):
    ReturnsCursor.objects.update_or_create(account=connected_account, defaults={"auto_claims": True})
    assert refund_claims_auto(account=connected_account) == []  # not yet seven days
    _jump(emulator, connected_account, 7 * DAY + 60)
    made = refund_claims_auto(account=connected_account, now=timezone.now() + timedelta(days=7, minutes=1))
    assert [c.state for c in made] == [ClaimState.SENT] and made[0].automatic
    assert RefundClaim.objects.count() == 1  # the paid order has no claim
    again = refund_claims_auto(account=connected_account, now=timezone.now() + timedelta(days=7, minutes=2))
    assert again == [] and RefundClaim.objects.count() == 1


def test_stock_received_back_queues_the_products_offer_for_the_sync(
    emulator, connected_account, bought, django_capture_on_commit_callbacks, monkeypatch
):
    from allegro.offers.models import OfferStatus
    from allegro.sync.models import OfferSyncQueue
    from tests.factories import make_allegro_offer

    form, _ = bought
    type(connected_account).objects.filter(pk=connected_account.pk).update(sync_stock=True)
    product = Product.objects.get(sku="SKU-A")
    offer = make_allegro_offer(account=connected_account, product=product, status=OfferStatus.ACTIVE, allegro_id="1")
    _return(emulator, form)
    returns_import_account(account=connected_account)
    OfferSyncQueue.objects.all().delete()
    flushes = []
    # The flush itself is the sync room's (tested there); here: the change reaches its queue.
    monkeypatch.setattr("allegro.sync.receivers.sync_flush_enqueue", lambda **kw: flushes.append(kw))
    with django_capture_on_commit_callbacks(execute=True):
        customer_return_restock(customer_return=CustomerReturn.objects.get())
    assert list(OfferSyncQueue.objects.values_list("offer_id", flat=True)) == [offer.pk] and flushes
