"""Wysyłam z Allegro against the emulator: one order's shipment from the order page (the buyer's service, pickup
point or address, cash on delivery), its label, the tracking number on the Allegro order and the order marked sent;
the bulk job with one merged PDF, the protocol, per-order failures and their retry; courier pickup; cancelling;
and a create command repeated after a timeout that makes no second shipment on the emulator."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

import allegro.integration.client
from allegro.accounts.services.accounts import account_client
from allegro.checkouts.models import AllegroCheckout, OrderEventCursor
from allegro.checkouts.services.order_import import order_import_new_events
from allegro.core.models import EventLogEntry
from allegro.integration.client import AllegroRetryLater
from allegro.shipments.models import (
    PackageTemplate,
    ShipmentJob,
    ShipmentJobItem,
    ShipmentMethodSetting,
    ShipmentPickup,
    ShipmentSender,
    SwaShipment,
)
from allegro.shipments.services.shipments import shipment_draft, shipment_record, shipment_submit
from allegro.shipping.models import DeliveryMethodMapping
from orders.models import Order, OrderStatus
from shop.models import DeliveryMethod
from tests.emulator_support import make_offer
from tests.factories import make_product

pytestmark = pytest.mark.django_db

COURIER = "5d9c7838-e05f-4dec-afdd-58e884170ba7"  # Allegro Kurier24 InPost
LOCKER = "2488f7b7-5d1c-4d65-b85c-4cbcf253fd93"  # Allegro Paczkomaty InPost
COD_COURIER = "85c3ad2f-4ec1-446c-866e-63473ed10e26"  # Allegro Kurier24 InPost pobranie


@pytest.fixture
def shop(emulator, connected_account, settings):
    settings.ALLEGRO_SHIPMENT_POLL_SECONDS = 0.05
    emulator.post("shipment-management/settings", {"command_seconds": 0.1})
    make_product(sku="SKU-S", stock=100)
    offer = make_offer(emulator, external_id="SKU-S", stock=100)
    OrderEventCursor.objects.create(account=connected_account, last_event_id="0")
    ShipmentSender.objects.create(
        account=connected_account,
        name="Sklep Selly",
        street="ul. Magazynowa 7",
        postal_code="00-950",
        city="Warszawa",
        email="wysylka@example.com",
        phone="500600700",
    )
    PackageTemplate.objects.create(
        account=connected_account,
        name="Mała",
        length_cm=20,
        width_cm=15,
        height_cm=8,
        weight_kg="0.800",
        is_default=True,
    )
    return offer


def buy(emulator, account, offer, method: str = COURIER) -> Order:
    form = emulator.post("purchases", {"offer_id": offer, "delivery_method_id": method})["checkout_form"]
    order_import_new_events(account=account)
    return Order.objects.get(pk=AllegroCheckout.objects.get(checkout_form_id=form["id"]).order_id)


def committed(capture, call):
    """Run ``call`` and every on-commit callback it leads to (tasks enqueue their follow-ups after commit)."""
    with capture(execute=True) as callbacks:
        result = call()
    pending = list(callbacks)
    while pending:
        with capture(execute=True) as more:
            for callback in pending:
                callback()
        pending = list(more)
    return result


def emulator_shipments(emulator) -> list[dict]:
    return emulator.get("state/shipments")["shipments"]


def test_create_shipment_from_the_order_page(
    emulator, connected_account, shop, staff_client, django_capture_on_commit_callbacks
):
    order = buy(emulator, connected_account, shop)
    page = staff_client.get(reverse("admin:orders_order_change", args=[order.pk]))
    create_url = reverse("admin:allegro_swa_create", args=[order.pk])
    assert create_url in page.content.decode()

    form = staff_client.get(create_url)
    assert form.status_code == 200
    initial = form.context["form"].initial
    assert initial["delivery_method_id"] == COURIER and initial["point"] == ""
    assert initial["street"] == order.delivery_street and initial["cash_on_delivery"] is False
    assert initial["weight_kg"] == Decimal("0.800")  # the account's default package

    data = {k: v for k, v in initial.items() if v is not None and k not in ("cash_on_delivery", "template")}
    response = committed(django_capture_on_commit_callbacks, lambda: staff_client.post(create_url, data))
    assert response.status_code == 302, response.context["form"].errors if response.context else ""

    shipment = SwaShipment.objects.get()
    assert shipment.status == SwaShipment.Status.CREATED and shipment.carrier_id == "INPOST"
    assert shipment.waybill.startswith("62") and shipment.tracking_added
    order.refresh_from_db()
    assert order.status == OrderStatus.SENT and order.tracking_number == shipment.waybill
    [on_emulator] = emulator_shipments(emulator)
    assert on_emulator["commandId"] == str(shipment.command_id)
    assert on_emulator["receiver"]["street"] == order.delivery_street

    # The tracking number reached the Allegro order.
    checkout = AllegroCheckout.objects.get(order=order)
    client = account_client(account=connected_account)
    assert [s["waybill"] for s in client.get_shipments(checkout.checkout_form_id)] == [shipment.waybill]

    label = staff_client.get(reverse("admin:allegro_swa_label", args=[shipment.pk]))
    assert label.status_code == 200 and label["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(label.content))
    assert len(reader.pages) == 1 and shipment.waybill in reader.pages[0].extract_text()
    assert EventLogEntry.objects.filter(action="swa_shipment_created", order_id=order.pk).exists()

    again = staff_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert reverse("admin:allegro_swa_label", args=[shipment.pk]) in again and 'id="allegro-swa-create"' not in again


def test_a_locker_order_sends_to_its_pickup_point_and_cod_is_collected(emulator, connected_account, shop):
    locker = buy(emulator, connected_account, shop, LOCKER)
    draft = shipment_draft(order=locker)
    assert draft.point and draft.point == locker.pickup_point_id and draft.cod_amount is None
    shipment_submit(shipment=shipment_record(order=locker, draft=draft))
    cod = buy(emulator, connected_account, shop, COD_COURIER)
    cod_draft = shipment_draft(order=cod)
    assert cod_draft.cod_amount == cod.total and not cod_draft.point
    shipment_submit(shipment=shipment_record(order=cod, draft=cod_draft))
    by_reference = {s["referenceNumber"]: s for s in emulator_shipments(emulator)}
    assert by_reference[locker.number]["receiver"]["point"] == locker.pickup_point_id
    assert by_reference[cod.number]["cashOnDelivery"] == {"amount": f"{cod.total:.2f}", "currency": "PLN"}


def test_the_delivery_methods_package_is_the_default(emulator, connected_account, shop):
    kurier = DeliveryMethod.objects.create(name="Kurier InPost", price="14.99")
    DeliveryMethodMapping.objects.create(allegro_method_id=COURIER, delivery_method=kurier)
    order = buy(emulator, connected_account, shop)
    assert order.delivery_method == kurier
    big = PackageTemplate.objects.create(
        account=connected_account, name="Duża", length_cm=60, width_cm=40, height_cm=40, weight_kg="9.500"
    )
    ShipmentMethodSetting.objects.create(delivery_method=order.delivery_method, package_template=big)
    assert shipment_draft(order=order).package["weight_kg"] == Decimal("9.500")


def test_a_retry_after_a_timeout_sends_the_same_command_and_creates_nothing_twice(
    emulator, connected_account, shop, monkeypatch
):
    order = buy(emulator, connected_account, shop)
    shipment = shipment_record(order=order, draft=shipment_draft(order=order))
    monkeypatch.setattr(allegro.integration.client, "READ_TIMEOUT", 0.3)
    # Every attempt of the first round times out, yet the emulator carries each one out after the client gave up.
    emulator.add_fault("^/shipment-management/shipments/create-commands$", method="POST", delay_ms=800, times=4)
    with pytest.raises(AllegroRetryLater):
        shipment_submit(shipment=shipment)
    shipment.refresh_from_db()
    assert shipment.status == SwaShipment.Status.PENDING  # the command id is kept for the retry
    monkeypatch.setattr(allegro.integration.client, "READ_TIMEOUT", 30)
    import time

    time.sleep(1)  # the last delayed attempt reaches the emulator
    result = shipment_submit(shipment=SwaShipment.objects.get(pk=shipment.pk))
    assert result.shipment.status == SwaShipment.Status.CREATED
    assert len(emulator_shipments(emulator)) == 1
    creates = [c for c in emulator.get("state/shipments")["commands"] if c["kind"] == "CREATE"]
    assert [c["id"] for c in creates] == [str(shipment.command_id)]
    # A second record for the same order returns the existing shipment, not a new command.
    assert shipment_record(order=order, draft=shipment_draft(order=order)).pk == shipment.pk


def test_bulk_shipments_merged_labels_protocol_failures_retry_and_pickup(
    emulator, connected_account, shop, staff_client, django_capture_on_commit_callbacks
):
    orders = [buy(emulator, connected_account, shop) for _ in range(2)]
    broken = buy(emulator, connected_account, shop, LOCKER)
    point = broken.pickup_point_id
    Order.objects.filter(pk=broken.pk).update(pickup_point_id="")  # Allegro refuses a locker without its point
    selected = [o.pk for o in orders] + [broken.pk]

    response = committed(
        django_capture_on_commit_callbacks,
        lambda: staff_client.post(
            reverse("admin:orders_order_changelist"),
            {"action": "create_allegro_shipments", "_selected_action": selected, "index": 0},
        ),
    )
    job = ShipmentJob.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(
        reverse("admin:allegro_shipmentjob_progress", args=[job.pk])
    )
    assert (job.status, job.total, job.succeeded, job.failed) == (ShipmentJob.Status.DONE, 3, 2, 1)
    failed = job.items.get(result=ShipmentJobItem.Result.FAILED)
    assert failed.order_id == broken.pk and "punkt odbioru" in failed.message

    labels = staff_client.get(reverse("admin:allegro_shipmentjob_labels", args=[job.pk]))
    assert labels["Content-Type"] == "application/pdf" and len(PdfReader(io.BytesIO(labels.content)).pages) == 2
    protocol = staff_client.get(reverse("admin:allegro_shipmentjob_protocol", args=[job.pk]))
    assert protocol.status_code == 200 and protocol.content.startswith(b"%PDF")
    status = staff_client.get(reverse("allegro:shipment_job_status", args=[job.pk])).json()
    assert status["finished"] and status["succeeded"] == 2 and status["failed"] == 1

    page = staff_client.get(reverse("admin:allegro_shipmentjob_progress", args=[job.pk]))
    html = page.content.decode()
    assert "swa-retry" in html and "swa-pickup-form" in html and failed.message in html
    day = page.context["pickup_form"].fields["pickup_date"].choices[0][0]
    staff_client.post(reverse("admin:allegro_shipmentjob_pickup", args=[job.pk]), {"pickup_date": day})
    pickup = ShipmentPickup.objects.get()
    assert pickup.status == ShipmentPickup.Status.ORDERED and pickup.carrier_pickup_id
    assert str(pickup.pickup_date) == day and pickup.shipments.count() == 2
    [booked] = emulator.get("state/shipments")["pickups"]
    assert sorted(booked["shipmentIds"]) == sorted(pickup.shipments.values_list("allegro_id", flat=True))

    Order.objects.filter(pk=broken.pk).update(pickup_point_id=point)  # staff fix the order, then retry
    committed(
        django_capture_on_commit_callbacks,
        lambda: staff_client.post(reverse("admin:allegro_shipmentjob_retry", args=[job.pk])),
    )
    retry = ShipmentJob.objects.exclude(pk=job.pk).get()
    assert retry.retry_of_id == job.pk and (retry.total, retry.succeeded, retry.failed) == (1, 1, 0)
    assert len(emulator_shipments(emulator)) == 3
    assert set(Order.objects.filter(pk__in=selected).values_list("status", flat=True)) == {OrderStatus.SENT}


def test_cancel_a_shipment_before_pickup(emulator, connected_account, shop, staff_client):
    order = buy(emulator, connected_account, shop)
    shipment = shipment_submit(shipment=shipment_record(order=order, draft=shipment_draft(order=order))).shipment
    response = staff_client.post(reverse("admin:allegro_swa_cancel", args=[shipment.pk]))
    assert response.status_code == 302
    shipment.refresh_from_db()
    assert shipment.status == SwaShipment.Status.CANCELLED and shipment.cancel_command_id
    assert emulator_shipments(emulator)[0]["canceled"] is True
    assert EventLogEntry.objects.filter(action="swa_shipment_cancelled", order_id=order.pk).exists()
    # A cancelled shipment frees the order for a new one.
    page = staff_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert 'id="allegro-swa-create"' in page


def test_shipments_list_query_count_stays_flat(
    emulator, connected_account, shop, staff_client, django_assert_max_num_queries
):
    for _ in range(3):
        order = buy(emulator, connected_account, shop)
        shipment_record(order=order, draft=shipment_draft(order=order))
    with django_assert_max_num_queries(12):
        assert staff_client.get(reverse("admin:allegro_swashipment_changelist")).status_code == 200


def _form_fields(html: str, form_id: str) -> dict[str, str | list[str]]:
    """The values a browser would submit for the form ``form_id`` (inputs, checked boxes, selected options)."""
    from html.parser import HTMLParser

    class Fields(HTMLParser):
        def __init__(self):
            super().__init__()
            self.inside = False
            self.data: dict[str, list[str]] = {}
            self.select: str | None = None
            self.textarea: str | None = None

        def add(self, name, value):
            self.data.setdefault(name, []).append(value)

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "form":
                self.inside = a.get("id") == form_id
            if not self.inside or not a.get("name") and tag != "option":
                return
            if tag == "input" and a.get("type") not in ("submit", "button", "file"):
                if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                    return
                self.add(a["name"], a.get("value", "on" if a.get("type") == "checkbox" else ""))
            elif tag == "select":
                self.select = a["name"]
            elif tag == "option" and self.select and "selected" in a:
                self.add(self.select, a.get("value", ""))
            elif tag == "textarea":
                self.textarea = a["name"]
                self.add(a["name"], "")

        def handle_data(self, data):
            if self.textarea:
                self.data[self.textarea][-1] += data

        def handle_endtag(self, tag):
            if tag == "select":
                self.select = None
            elif tag == "textarea":
                self.textarea = None
            elif tag == "form":
                self.inside = False

    parser = Fields()
    parser.feed(html)
    return {k: v if len(v) > 1 else v[0] for k, v in parser.data.items()}


def test_the_order_form_still_saves_with_the_shipments_panel(emulator, connected_account, shop, staff_client):
    order = buy(emulator, connected_account, shop)
    shipment_submit(shipment=shipment_record(order=order, draft=shipment_draft(order=order)))
    url = reverse("admin:orders_order_change", args=[order.pk])
    data = _form_fields(staff_client.get(url).content.decode(), "order_form")
    assert any(k.endswith("TOTAL_FORMS") and k.startswith("allegro_parcels") for k in data)
    data["buyer_message"] = "Proszę dzwonić przed doręczeniem"
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    order.refresh_from_db()
    assert order.buyer_message == "Proszę dzwonić przed doręczeniem"
