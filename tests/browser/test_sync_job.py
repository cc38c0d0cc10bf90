""" "Synchronizuj aukcje" in a real Chromium: a buyer buys on the emulator (its control API), the staff member
clicks the dashboard's button with every sync switch off; the progress page follows the job to its end, the order
is in the shop, the offers are synchronised and the dashboard shows the summary."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from allegro.checkouts.models import OrderEventCursor
from allegro.sync import admin as sync_admin
from allegro.sync.models import SyncJob
from allegro.sync.services.jobs import sync_job_run
from orders.models import Order
from shop.models import Product
from tests.factories import connect_account, make_emulator_app
from tests.integration.allegro.sync.test_sync import setup_offers, state

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class _WorkerLater:
    """Stands in for Celery's worker: runs the job in another thread a moment after the request, so the page
    really shows a running job and follows it by polling (the eager test setting would finish it first)."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []

    def delay_on_commit(self, job_id: int) -> None:
        def work() -> None:
            try:
                sync_job_run(job=SyncJob.objects.get(pk=job_id))
            finally:
                connection.close()

        timer = threading.Timer(1.5, work)
        self.threads.append(timer)
        timer.start()


def test_one_click_imports_the_order_and_synchronises_offers(
    page, admin_login, emulator, settings, monkeypatch, screenshot
):
    settings.ALLEGRO_SYNC_DEBOUNCE_SECONDS = None
    settings.ALLEGRO_COMMAND_WAIT_SECONDS = 20
    emulator.set_settings(command_task_seconds=0)
    account = connect_account(emulator, make_emulator_app(emulator))
    for name in ("sync_import_orders", "sync_prices", "sync_stock", "sync_close_sold_out", "sync_renew_ended"):
        setattr(account, name, False)
    account.save()
    products, offers = setup_offers(emulator, account, 3)
    OrderEventCursor.objects.create(account=account, last_event_id="0")
    form = emulator.post("purchases", {"offer_id": offers[0].allegro_id})["checkout_form"]
    Product.objects.filter(pk=products[1].pk).update(price=Decimal("120.00"))
    Product.objects.filter(pk=products[2].pk).update(stock=0)
    worker = _WorkerLater()
    monkeypatch.setattr(sync_admin, "sync_job_run_task", worker)

    base = admin_login()
    page.goto(base + reverse("admin:index"))
    screenshot("sync-1-pulpit")
    page.click("#allegro-sync-all")
    job = SyncJob.objects.get()
    page.wait_for_url(base + reverse("admin:allegro_syncjob_progress", args=[job.pk]))
    assert page.locator("#sync-job").get_attribute("data-running") == "1"
    assert page.inner_text("#sync-job-status") in ("oczekuje", "w toku")
    # The page polls, then reloads itself once the job is done: the summary appears.
    page.wait_for_selector("#sync-job[data-running='0']", timeout=60_000)
    page.wait_for_selector("#sync-job-summary:not([hidden])")
    summary = page.inner_text("#sync-job-summary-text")
    screenshot("sync-2-postep-gotowe")
    for thread in worker.threads:
        thread.join(30)
    assert summary.startswith("1 nowe zamówienie, ") and "1 zakończona" in summary
    assert page.locator("#sync-job-accounts tbody tr").count() == 1
    assert "100%" in page.inner_text("#sync-job-accounts tbody tr")

    order = Order.objects.get()
    assert form["id"] in order.external_key
    remote = state(emulator)
    assert Decimal(remote[offers[1].allegro_id]["price"]) == Decimal("120.00")
    assert remote[offers[2].allegro_id]["status"] == "ENDED"

    page.goto(base + reverse("admin:orders_order_change", args=[order.pk]))
    assert form["id"] in page.content()
    page.goto(base + reverse("admin:index"))
    assert summary in page.inner_text("#allegro-last-sync")
    screenshot("sync-3-pulpit-podsumowanie")
