""" "Synchronizuj aukcje" as one background job: the orders step first, then the offer steps of every account,
one row per account on the progress page, a summary on the dashboard; "Importuj zamówienia teraz" and
``manage.py allegro_sync`` run the same job."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from allegro.checkouts.models import OrderEventCursor
from allegro.sync.models import SyncJob, SyncJobAccount, SyncRun
from allegro.sync.services.jobs import sync_job_run, sync_job_start, sync_job_summary
from allegro.sync.services.steps import SYNC_STEPS
from orders.models import Order
from shop.models import Product
from tests.integration.allegro.sync.test_sync import setup_offers, state

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_auto_flush(settings):
    settings.ALLEGRO_SYNC_DEBOUNCE_SECONDS = None
    settings.ALLEGRO_COMMAND_WAIT_SECONDS = 20


def all_switches_off(account):
    for name in ("sync_import_orders", "sync_prices", "sync_stock", "sync_close_sold_out", "sync_renew_ended"):
        setattr(account, name, False)
    account.save()


@pytest.fixture
def shop_with_purchase(emulator, connected_account):
    """Three offers: the first bought on Allegro, the second's product dearer in the shop, the third's sold out."""
    emulator.set_settings(command_task_seconds=0)
    all_switches_off(connected_account)
    products, offers = setup_offers(emulator, connected_account, 3)
    OrderEventCursor.objects.update_or_create(account=connected_account, defaults={"last_event_id": "0"})
    form = emulator.post("purchases", {"offer_id": offers[0].allegro_id})["checkout_form"]
    Product.objects.filter(pk=products[1].pk).update(price=Decimal("120.00"))
    Product.objects.filter(pk=products[2].pk).update(stock=0)
    return products, offers, form


def test_orders_step_is_first_in_the_one_registry():
    assert list(SYNC_STEPS)[0] == "orders"
    assert set(SYNC_STEPS) >= {"orders", "offers", "prices", "stock", "close", "renew", "reconcile"}


def test_one_click_imports_orders_and_syncs_offers_with_every_switch_off(
    emulator, connected_account, shop_with_purchase
):
    _products, offers, form = shop_with_purchase
    job = sync_job_run(job=sync_job_start())

    assert job.status == SyncJob.Status.DONE and job.finished_at is not None
    order = Order.objects.get()
    assert form["id"] in order.external_key
    remote = state(emulator)
    assert Decimal(remote[offers[1].allegro_id]["price"]) == Decimal("120.00")
    assert remote[offers[2].allegro_id]["status"] == "ENDED"
    assert job.counts["orders_created"] == 1 and job.counts["offers_ended"] == 1
    assert job.counts["offers_updated"] >= 1
    [item] = job.accounts.all()
    assert item.status == SyncJobAccount.Status.DONE and item.steps_done == len(SYNC_STEPS)
    run = SyncRun.objects.get()
    assert run.steps == list(SYNC_STEPS) and run.counts["orders_created"] == 1
    with translation.override("pl"):
        text = sync_job_summary(counts=job.counts)
    assert text.startswith("1 nowe zamówienie, ") and "1 zakończona" in text


def test_running_the_job_again_repeats_nothing(emulator, connected_account, shop_with_purchase):
    job = sync_job_start()
    sync_job_run(job=job)
    first_runs = SyncRun.objects.count()
    SyncJob.objects.filter(pk=job.pk).update(status=SyncJob.Status.RUNNING, finished_at=None)
    sync_job_run(job=SyncJob.objects.get(pk=job.pk))  # a redelivered task: the account's row is finished
    assert SyncRun.objects.count() == first_runs
    assert Order.objects.count() == 1


def test_preview_imports_no_orders_and_changes_nothing(emulator, connected_account, shop_with_purchase):
    _products, offers, _form = shop_with_purchase
    job = sync_job_run(job=sync_job_start(dry_run=True))
    assert Order.objects.count() == 0
    assert state(emulator)[offers[2].allegro_id]["status"] == "ACTIVE"
    run = SyncRun.objects.get()
    assert run.dry_run and "orders" not in run.steps and run.counts["would_end"] == 1
    assert job.status == SyncJob.Status.DONE


def test_an_account_waiting_for_authorisation_is_skipped_and_the_job_says_so(emulator, connected_account):
    connected_account.state = "needs_reauth"
    connected_account.save()
    job = sync_job_run(job=sync_job_start(accounts=[connected_account]))
    assert job.status == SyncJob.Status.FAILED
    assert job.accounts.get().status == SyncJobAccount.Status.SKIPPED
    assert not SyncRun.objects.exists()


def test_dashboard_button_starts_the_job_and_the_progress_page_shows_the_summary(
    emulator, connected_account, shop_with_purchase, staff_client, django_capture_on_commit_callbacks
):
    index = staff_client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:allegro_syncrun_run_all") in index and "Synchronizuj aukcje" in index
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("admin:allegro_syncrun_run_all"))
    job = SyncJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "admin:allegro_syncjob_progress", args=[job.pk]
    )
    status = staff_client.get(reverse("admin:allegro_syncjob_status", args=[job.pk])).json()
    assert status["finished"] and status["accounts"][0]["percent"] == 100
    assert status["summary"].startswith("1 nowe zamówienie")
    page = staff_client.get(response["Location"]).content.decode()
    assert status["summary"] in page and connected_account.name in page
    index = staff_client.get(reverse("admin:index")).content.decode()
    assert "Ostatnia synchronizacja" in index and status["summary"] in index


def test_the_button_needs_the_permission_and_a_post(staff_client, staff_user, connected_account):
    from django.contrib.auth.models import Permission

    url = reverse("admin:allegro_syncrun_run_all")
    assert staff_client.get(url).status_code == 302 and not SyncJob.objects.exists()
    staff_user.user_permissions.remove(Permission.objects.get(codename="run_sync"))
    assert staff_client.post(url).status_code == 403
    assert reverse("admin:allegro_syncrun_run_all") not in staff_client.get(reverse("admin:index")).content.decode()


def test_import_now_enqueues_the_orders_step_instead_of_importing_in_the_request(
    emulator, connected_account, shop_with_purchase, staff_client, django_capture_on_commit_callbacks
):
    cursor = OrderEventCursor.objects.get()
    url = reverse("admin:allegro_ordereventcursor_changelist")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = staff_client.post(url, {"action": "import_now", "_selected_action": [cursor.pk], "index": 0})
    job = SyncJob.objects.get()
    assert response.status_code == 302 and job.steps == ["orders"]
    assert Order.objects.count() == 0 and len(callbacks) == 1  # nothing imported inside the request
    callbacks[0]()
    assert Order.objects.count() == 1
    assert SyncJob.objects.get().status == SyncJob.Status.DONE


def test_management_command_runs_the_same_job(emulator, connected_account, shop_with_purchase):
    _products, offers, _form = shop_with_purchase
    out = io.StringIO()
    call_command("allegro_sync", "--account", connected_account.login, stdout=out)
    job = SyncJob.objects.get()
    assert job.trigger == SyncRun.Trigger.COMMAND and not job.forced and job.steps == list(SYNC_STEPS)
    assert Order.objects.count() == 1  # orders are imported although "import orders" is switched off
    # ...while the offer writers keep to the switches (all off): the sold-out offer stays on sale.
    assert state(emulator)[offers[2].allegro_id]["status"] == "ACTIVE"
    assert connected_account.name in out.getvalue()
