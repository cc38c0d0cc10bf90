"""The panel side of the order import: the Allegro purchase on the order page, the import status per
account, the quarantine with "Spróbuj ponownie", the backfill and the tracking-number form."""

from __future__ import annotations

import pytest
from django.urls import reverse

from allegro.checkouts.models import AllegroShipment, CheckoutQuarantine, OrderEventCursor
from allegro.checkouts.services.order_import import order_import_new_events
from orders.models import Order
from tests.emulator_support import make_offer
from tests.factories import make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(emulator, connected_account):
    make_product(sku="SKU-A", stock=10)
    offer = make_offer(emulator, external_id="SKU-A", stock=100)
    OrderEventCursor.objects.create(account=connected_account, last_event_id="0")
    form = emulator.post("purchases", {"offer_id": offer, "message": "Paczkomat przy Żabce"})["checkout_form"]
    broken = {**form, "id": "8c6e4f7a-1b2c-4d3e-9f00-aa11bb22cc33", "lineItems": []}
    emulator.post("checkout-forms", {"checkout_form": broken})
    order_import_new_events(account=connected_account)
    return form, broken


def test_order_page_shows_the_allegro_purchase(staff_client, imported):
    form, _ = imported
    order = Order.objects.get()
    page = staff_client.get(reverse("admin:orders_order_change", args=[order.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert form["id"] in html and form["buyer"]["login"] in html
    assert "Paczkomat przy Żabce" in html
    assert reverse("admin:allegro_orders_tracking", args=[order.pk]) in html


def test_import_status_list_and_import_now(
    staff_client, imported, connected_account, django_capture_on_commit_callbacks
):
    url = reverse("admin:allegro_ordereventcursor_changelist")
    page = staff_client.get(url)
    assert page.status_code == 200
    assert connected_account.name in page.content.decode()
    cursor = OrderEventCursor.objects.get()
    # The import runs as the synchronisation job's order step, enqueued after the request's commit.
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            url, {"action": "import_now", "_selected_action": [cursor.pk], "index": 0}, follow=True
        )
    assert response.status_code == 200
    assert OrderEventCursor.objects.get().last_import_at is not None


def test_quarantine_list_detail_and_retry(staff_client, imported, emulator):
    form, broken = imported
    quarantine = CheckoutQuarantine.objects.get()
    assert quarantine.checkout_form_id == broken["id"] and "lineItems" in quarantine.reason
    listing = staff_client.get(reverse("admin:allegro_checkoutquarantine_changelist"))
    assert broken["id"] in listing.content.decode()
    detail = staff_client.get(reverse("admin:allegro_checkoutquarantine_change", args=[quarantine.pk]))
    assert "allegro-quarantine-retry" in detail.content.decode()
    fixed = {**broken, "lineItems": [{**form["lineItems"][0], "id": "0b1e4f7a-1b2c-4d3e-9f00-aa11bb22cc33"}]}
    emulator.post("checkout-forms", {"checkout_form": fixed, "events": []})
    staff_client.post(reverse("admin:allegro_checkoutquarantine_retry", args=[quarantine.pk]))
    assert CheckoutQuarantine.objects.get().resolved_at is not None
    assert Order.objects.count() == 2


def test_backfill_form(staff_client, imported):
    url = reverse("admin:allegro_orders_backfill")
    assert staff_client.get(url).status_code == 200
    bad = staff_client.post(url, {"account": "", "date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert bad.status_code == 200 and Order.objects.count() == 1


def test_tracking_number_form(staff_client, imported, django_capture_on_commit_callbacks):
    order = Order.objects.get()
    url = reverse("admin:allegro_orders_tracking", args=[order.pk])
    page = staff_client.get(url)
    assert page.status_code == 200 and "INPOST" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, {"carrier_id": "INPOST", "waybill": "620000000000000000000009"})
    assert response.status_code == 302
    shipment = AllegroShipment.objects.get()
    assert shipment.sent_at is not None
    order.refresh_from_db()
    assert order.tracking_number == "620000000000000000000009"


def test_staff_without_permission_cannot_backfill(client, django_user_model, imported):
    user = django_user_model.objects.create_user("gosc", password="x", is_staff=True)
    client.force_login(user)
    assert client.get(reverse("admin:allegro_orders_backfill")).status_code == 403


def test_import_status_says_when_an_import_was_taken_over(staff_client, imported, connected_account):
    url = reverse("admin:allegro_ordereventcursor_changelist")
    cursor = OrderEventCursor.objects.get()
    assert "Ostatnie przejęcie" in staff_client.get(url).content.decode()
    OrderEventCursor.objects.filter(pk=cursor.pk).update(taken_over_at="2026-12-04T10:15:00+01:00")
    detail = staff_client.get(reverse("admin:allegro_ordereventcursor_change", args=[cursor.pk])).content.decode()
    assert "4 grudnia 2026 10:15" in detail
    assert "przerwanego importu" in detail  # the help text says what a take-over means
