"""The panel side of returns: the returns list (bounded queries), a return's page with its buttons, the refund
page (amount shown before it is sent, one refund per form however often it is submitted), the order page panel
and the commission claim button."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.formats import number_format

from allegro.checkouts.models import OrderEventCursor
from allegro.checkouts.services.order_import import order_import_new_events
from allegro.returns.models import CustomerReturn, Refund, RefundClaim, RefundState, ReturnDecision
from allegro.returns.services.returns import returns_import_account
from orders.models import Order
from shop.models import Product, StockMovement
from tests.emulator_support import make_offer
from tests.factories import make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def returned(emulator, connected_account):
    make_product(sku="SKU-A", stock=10)
    make_product(sku="SKU-B", stock=5)
    first = make_offer(emulator, price="100.00", stock=50, external_id="SKU-A")
    second = make_offer(emulator, price="25.50", stock=50, external_id="SKU-B")
    form = emulator.post(
        "purchases", {"line_items": [{"offer_id": first, "quantity": 2}, {"offer_id": second, "quantity": 1}]}
    )["checkout_form"]
    OrderEventCursor.objects.create(account=connected_account, last_event_id="0")
    order_import_new_events(account=connected_account)
    item = {
        "line_item_id": form["lineItems"][1]["id"],
        "quantity": 1,
        "reason": "NOT_AS_DESCRIBED",
        "comment": "Inny kolor",
    }
    emulator.post("customer-returns", {"checkout_form_id": form["id"], "items": [item], "waybill": "AD00R28X72"})
    returns_import_account(account=connected_account)
    return form, Order.objects.get(), CustomerReturn.objects.get()


def test_returns_list_shows_items_reason_message_and_tracking(staff_client, returned, django_assert_max_num_queries):
    _, order, customer_return = returned
    url = reverse("admin:allegro_customerreturn_changelist")
    staff_client.get(url)  # warm the per-process caches (the background-work banner's heartbeat)
    with django_assert_max_num_queries(12):
        page = staff_client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert customer_return.reference_number in html and order.number in html
    assert "niezgodny z opisem" in html and "Inny kolor" in html


def test_list_queries_do_not_grow_with_returns(
    staff_client, returned, emulator, connected_account, django_assert_max_num_queries
):
    form, _, _ = returned
    for _ in range(2):
        item = {"line_item_id": form["lineItems"][0]["id"], "quantity": 1}
        emulator.post("customer-returns", {"checkout_form_id": form["id"], "items": [item]})
    returns_import_account(account=connected_account)
    assert CustomerReturn.objects.count() == 3
    staff_client.get(reverse("admin:allegro_customerreturn_changelist"))
    with django_assert_max_num_queries(12):
        assert staff_client.get(reverse("admin:allegro_customerreturn_changelist")).status_code == 200


def test_return_page_buttons_accept_and_restock(staff_client, returned):
    _, order, customer_return = returned
    page = staff_client.get(reverse("admin:allegro_customerreturn_change", args=[customer_return.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    for button in ("allegro-return-accept", "allegro-return-reject", "allegro-return-restock", "allegro-return-refund"):
        assert button in html
    restock = reverse("admin:allegro_returns_restock", args=[customer_return.pk])
    stock = Product.objects.get(sku="SKU-B").stock
    staff_client.post(restock)
    staff_client.post(restock)
    assert Product.objects.get(sku="SKU-B").stock == stock + 1
    assert StockMovement.objects.filter(reference__startswith="allegro-return:").count() == 1
    response = staff_client.post(reverse("admin:allegro_returns_accept", args=[customer_return.pk]))
    assert response.status_code == 302 and f"return={customer_return.pk}" in response["Location"]
    assert CustomerReturn.objects.get().decision == ReturnDecision.ACCEPTED


def test_reject_needs_a_reason_and_is_sent(staff_client, returned):
    _, _, customer_return = returned
    url = reverse("admin:allegro_returns_reject", args=[customer_return.pk])
    staff_client.post(url, {"code": "REFUND_REJECTED", "reason": ""})
    assert CustomerReturn.objects.get().decision == ReturnDecision.WAITING
    staff_client.post(url, {"code": "ITEM_MISMATCH", "reason": "Odesłano inny produkt"})
    rejected = CustomerReturn.objects.get()
    assert rejected.decision == ReturnDecision.REJECTED and rejected.status == "REJECTED"


def test_refund_page_shows_the_amount_then_sends_one_refund(
    staff_client, returned, emulator, django_capture_on_commit_callbacks
):
    form, order, customer_return = returned
    url = reverse("admin:allegro_returns_refund", args=[order.pk])
    page = staff_client.get(f"{url}?return={customer_return.pk}")
    assert page.status_code == 200
    form_obj = page.context["form"]
    line_b = order.lines.get(sku="SKU-B")
    assert form_obj[f"qty_{line_b.pk}"].initial == 1  # the returned quantity is filled in
    data = {
        "intent": str(form_obj["intent"].initial),
        "reason": "REFUND",
        "delivery_amount": form["delivery"]["cost"]["amount"],
        "return": customer_return.pk,
        f"qty_{order.lines.get(sku='SKU-A').pk}": "0",
        f"qty_{line_b.pk}": "1",
        "preview": "1",
    }
    preview = staff_client.post(url, data)
    html = preview.content.decode()
    total = preview.context["preview"].total
    assert number_format(total, 2) in html and "allegro-refund-confirm" in html and not Refund.objects.exists()
    confirm = {**data, "confirm": "1", "shown_total": str(total)}
    confirm.pop("preview")
    with django_capture_on_commit_callbacks(execute=True):
        assert staff_client.post(url, confirm).status_code == 302
        assert staff_client.post(url, confirm).status_code == 302  # submitted twice
    refund = Refund.objects.get()
    assert refund.total == total and refund.state == RefundState.SENT and refund.customer_return == customer_return
    order_page = staff_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert (
        "allegro-refund-button" in order_page
        and number_format(total, 2) in order_page
        and customer_return.reference_number in order_page
    )


def test_refund_page_refuses_a_changed_amount(staff_client, returned):
    _, order, _ = returned
    url = reverse("admin:allegro_returns_refund", args=[order.pk])
    intent = staff_client.get(url).context["form"]["intent"].initial
    line_a = order.lines.get(sku="SKU-A")
    data = {
        "intent": str(intent),
        "reason": "REFUND",
        "delivery_amount": "0",
        f"qty_{line_a.pk}": "1",
        "confirm": "1",
        "shown_total": "1.00",
    }
    page = staff_client.post(url, data)
    assert page.status_code == 200 and not Refund.objects.exists()
    assert page.context["preview"].errors


def test_claim_button_on_an_unpaid_order(staff_client, emulator, connected_account, django_capture_on_commit_callbacks):
    make_product(sku="SKU-U", stock=5)
    offer = make_offer(emulator, price="80.00", stock=5, external_id="SKU-U")
    form = emulator.post("purchases", {"offer_id": offer, "paid": False})["checkout_form"]
    OrderEventCursor.objects.create(account=connected_account, last_event_id="0")
    order_import_new_events(account=connected_account)
    order = Order.objects.get()
    page = staff_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "allegro-claim-button" in page
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("admin:allegro_returns_claim", args=[order.pk]), {"claim_line": form["lineItems"][0]["id"]}
        )
    claim = RefundClaim.objects.get()
    assert claim.state == "failed" and claim.last_error  # Allegro's waiting period has not passed yet
    assert staff_client.get(reverse("admin:allegro_refundclaim_changelist")).status_code == 200
    assert staff_client.get(reverse("admin:allegro_refund_changelist")).status_code == 200
    assert staff_client.get(reverse("admin:allegro_returnscursor_changelist")).status_code == 200
