"""A staff member sends five Allegro orders with "Wysyłam z Allegro" in a real Chromium: selects them on the orders
list, runs the action, watches the job's progress page (updated by static/allegro/shipments.js from the JSON status
view) finish, downloads one PDF with every label (five pages, checked with pypdf) and sees the orders marked sent.

The job runs in-process: the task is applied (eagerly) on commit in a background thread, so the page really polls a
job that is still running."""

import io
import threading

import pytest
from django.db import connection, transaction
from django.urls import reverse
from pypdf import PdfReader

from allegro.checkouts.models import OrderEventCursor
from allegro.checkouts.services.order_import import order_import_new_events
from allegro.shipments.models import PackageTemplate, ShipmentSender, SwaShipment
from orders.models import Order, OrderStatus
from tests.emulator_support import make_offer
from tests.factories import connect_account, make_emulator_app, make_product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def five_orders(emulator, settings):
    settings.ALLEGRO_SHIPMENT_POLL_SECONDS = 0.1
    emulator.post("shipment-management/settings", {"command_seconds": 0.3})
    account = connect_account(emulator, make_emulator_app(emulator), name="Sklep na Allegro")
    ShipmentSender.objects.create(
        account=account,
        name="Sklep Selly",
        street="ul. Magazynowa 7",
        postal_code="00-950",
        city="Warszawa",
        email="wysylka@example.com",
        phone="500600700",
    )
    PackageTemplate.objects.create(
        account=account, name="Standard", length_cm=30, width_cm=20, height_cm=10, weight_kg="1.500", is_default=True
    )
    make_product(sku="SKU-B", stock=50)
    offer = make_offer(emulator, external_id="SKU-B", stock=50)
    OrderEventCursor.objects.create(account=account, last_event_id="0")
    for method in ["5d9c7838-e05f-4dec-afdd-58e884170ba7"] * 3 + ["2488f7b7-5d1c-4d65-b85c-4cbcf253fd93"] * 2:
        emulator.post("purchases", {"offer_id": offer, "delivery_method_id": method})
    order_import_new_events(account=account)
    orders = list(Order.objects.order_by("pk"))
    assert len(orders) == 5
    return orders


@pytest.fixture
def run_in_background(monkeypatch):
    from allegro.shipments.tasks import swa_job_run as task

    threads = []

    def delay_on_commit(job_id):
        def run():
            try:
                task.apply(args=[job_id])
            finally:
                connection.close()

        def start():
            thread = threading.Thread(target=run, daemon=True)
            threads.append(thread)
            thread.start()

        transaction.on_commit(start)

    monkeypatch.setattr(task, "delay_on_commit", delay_on_commit)
    yield threads
    for thread in threads:
        thread.join(30)


def test_five_orders_get_labels_in_one_pdf_and_are_marked_sent(
    page, admin_login, five_orders, run_in_background, screenshot
):
    base = admin_login()
    page.goto(base + reverse("admin:orders_order_changelist"))
    for order in five_orders:
        page.check(f"input.action-select[value='{order.pk}']")
    page.select_option("select[name=action]", "create_allegro_shipments")
    page.click("button[name=index]")

    page.wait_for_url("**/progress/")
    assert page.locator("#swa-progress").count() == 1
    page.wait_for_selector("#swa-labels", timeout=60_000)  # the script reloads the page when the job ends
    assert page.locator("#swa-succeeded").inner_text() == "5"
    assert "Pobierz etykiety" in page.locator("#swa-labels").inner_text()
    screenshot("shipments-job")

    with page.expect_download() as info:
        page.click("#swa-labels")
    pdf = info.value.path().read_bytes()
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 5

    assert SwaShipment.objects.filter(status=SwaShipment.Status.CREATED).count() == 5
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.SENT}
    page.goto(base + reverse("admin:orders_order_changelist"))
    statuses = page.locator("td.field-status").all_inner_texts()
    assert statuses == ["wysłano"] * 5  # the status "sent" as the panel names it
