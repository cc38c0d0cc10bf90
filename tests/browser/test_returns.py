"""From a buyer's return on the emulator to the refund on the order page, in a real Chromium: the import from
"Import zwrotów", the return in the list with its reason and message, "Akceptuj zwrot", the amount computed
and shown, "Zwróć …", and the refund (one, on Allegro) in the order's panel."""

import pytest
from django.urls import reverse

from allegro.checkouts.models import OrderEventCursor
from allegro.checkouts.services.order_import import order_import_new_events
from allegro.returns.models import CustomerReturn, Refund, RefundState, ReturnsCursor
from orders.models import Order
from tests.emulator_support import make_offer
from tests.factories import connect_account, make_emulator_app, make_product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_buyers_return_ends_in_a_refund_on_the_order_page(page, admin_login, emulator, screenshot):
    account = connect_account(emulator, make_emulator_app(emulator))
    make_product(sku="SKU-A", stock=10)
    make_product(sku="SKU-B", stock=5)
    first = make_offer(emulator, price="100.00", stock=50, external_id="SKU-A", name="Czajnik elektryczny")
    second = make_offer(emulator, price="25.50", stock=50, external_id="SKU-B", name="Kubek termiczny")
    form = emulator.post(
        "purchases", {"line_items": [{"offer_id": first, "quantity": 1}, {"offer_id": second, "quantity": 1}]}
    )["checkout_form"]
    OrderEventCursor.objects.create(account=account, last_event_id="0")
    order_import_new_events(account=account)
    order = Order.objects.get()
    item = {
        "line_item_id": form["lineItems"][1]["id"],
        "quantity": 1,
        "reason": "DAMAGED",
        "comment": "Pęknięte wieczko",
    }
    emulator.post("customer-returns", {"checkout_form_id": form["id"], "items": [item], "waybill": "AD00R28X72"})
    emulator.clock(2 * 3600)  # the buyer has sent the parcel: it is on its way, with its tracking number
    base = admin_login()

    page.goto(base + reverse("admin:allegro_returnscursor_changelist"))
    cursor = ReturnsCursor.objects.get(account=account)
    page.check(f"input[name=_selected_action][value='{cursor.pk}']")
    page.select_option("select[name=action]", "import_now")
    page.locator("button[name=index]").click()
    page.wait_for_selector(".messagelist .success")
    assert "nowe zwroty: 1" in page.locator(".messagelist").inner_text()

    page.goto(base + reverse("admin:allegro_customerreturn_changelist"))
    listing = page.locator("#result_list").inner_text()
    assert "Kubek termiczny" in listing and "Pęknięte wieczko" in listing and "AD00R28X72" in listing
    assert "czeka na decyzję" in listing and "uszkodzony" in listing and "w drodze" in listing
    screenshot("returns-01-lista-zwrotow")
    customer_return = CustomerReturn.objects.get()
    page.goto(base + reverse("admin:allegro_customerreturn_change", args=[customer_return.pk]))
    page.locator("#allegro-return-accept").click()

    page.wait_for_selector("#allegro-refund-form")
    line_b = order.lines.get(sku="SKU-B")
    assert page.input_value(f"#id_qty_{line_b.pk}") == "1"  # the returned piece is filled in
    page.locator("#allegro-refund-preview-button").click()
    page.wait_for_selector("#allegro-refund-total")
    assert page.locator("#allegro-refund-total").inner_text() == "25,50 PLN"
    confirm = page.locator("#allegro-refund-confirm")
    assert confirm.inner_text() == "Zwróć 25,50 PLN"
    screenshot("returns-02-zwrot-platnosci")
    confirm.click()

    page.wait_for_url(base + reverse("admin:orders_order_change", args=[order.pk]))
    panel = page.locator(".allegro-refund").first.inner_text()
    assert "25,50 PLN" in panel and "przyjęty przez Allegro" in panel
    screenshot("returns-03-zamowienie-ze-zwrotem")
    refund = Refund.objects.get()
    assert refund.state == RefundState.SENT and refund.customer_return == customer_return
    token = emulator.user_token()["access_token"]
    on_allegro = emulator.api(token).get(emulator.url("/payments/refunds"), params={"order.id": form["id"]}).json()
    assert [r["id"] for r in on_allegro["refunds"]] == [refund.allegro_id]
