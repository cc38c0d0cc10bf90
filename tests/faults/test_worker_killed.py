"""SIGKILL of the Celery worker in the middle of its work (a sync run, an order import, a mass listing), then the
worker started again as the supervisor would: nothing is lost, nothing stays stuck, nothing is done twice."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.db import connection

from allegro.core.models import Lease
from allegro.sync.models import SyncCommand, SyncRun
from shop.models import Product
from tests.faults.support import Buyer, Ledger, assert_invariants, beat_schedules, offers_setup, wait_until

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _sync_mid_run(account) -> SyncRun | None:
    """A sync run of the account that has sent commands to Allegro and not finished: the engine records them as
    sent before it waits for Allegro to carry them out (``command_task_seconds`` keeps that wait open)."""
    run = SyncRun.objects.filter(account=account, status=SyncRun.Status.RUNNING, finished_at__isnull=True).first()
    sent = run is not None and SyncCommand.objects.filter(run=run, sent_at__isnull=False).exists()
    connection.close()
    return run if sent else None


def test_worker_killed_mid_sync_the_next_run_takes_over_and_allegro_equals_the_shop(stack, emulator, account):
    products, _offers = offers_setup(emulator, account, 60, stock=50)
    beat_schedules(**{"allegro: sync queued offers": 5})
    # Slow answers and commands Allegro takes seconds to carry out: the kill lands while the run waits on them.
    emulator.set_settings(latency_ms=150, command_task_seconds=6)
    stack.start()
    for i, product in enumerate(Product.objects.filter(pk__in=[p.pk for p in products]).order_by("pk")):
        product.price = Decimal("100.00") + i  # scattered prices: bulk commands of many offers
        product.stock = 10 + i % 9
        product.save()
    stack.send("allegro.sync.tasks.sync_flush_task", account.pk)

    dead = wait_until(lambda: _sync_mid_run(account), 60)
    assert dead, "no sync run sent its commands:\n" + stack.log_text("worker")
    stack.kill_worker()
    killed_at = time.monotonic()
    stack.start_worker()
    emulator.set_settings(latency_ms=0, command_task_seconds=1)  # the faults are over

    def taken_over() -> bool:
        dead.refresh_from_db()
        done = SyncRun.objects.filter(account=account, taken_over=True, status=SyncRun.Status.DONE).exists()
        connection.close()
        return done and dead.status == SyncRun.Status.INTERRUPTED

    assert wait_until(taken_over, 120, every=1), (dead.status, stack.log_text("worker"))
    assert time.monotonic() - killed_at < 120
    assert Lease.objects.get(key=f"sync:{account.pk}").taken_over
    assert_invariants(emulator=emulator, ledger=None, account=account, stack=stack)


def _import_in_flight(account) -> bool:
    """The account's order import holds its lease and has already made orders: a kill now lands mid-import."""
    from django.utils import timezone

    from orders.models import Order

    held = Lease.objects.filter(key=f"import:{account.pk}", expires_at__gt=timezone.now()).exclude(owner="").exists()
    some = held and Order.objects.filter(external_key__startswith=f"{account.pk}:").exists()
    connection.close()
    return some


def test_worker_killed_mid_order_import_every_purchase_is_one_order(stack, emulator, account):
    products, offers = offers_setup(emulator, account, 8, stock=1000)
    ledger = Ledger(account_id=account.pk, initial_stock={p.pk: 1000 for p in products})
    beat_schedules(**{"allegro: sync queued offers": 5})
    emulator.set_settings(latency_ms=250)  # each journal read and checkout form takes a while
    stack.start()
    buyer = Buyer(emulator, ledger, [o.allegro_id for o in offers])
    buyer.start()
    try:
        for _kill in range(2):
            assert wait_until(lambda: _import_in_flight(account), 60, every=0.1), stack.log_text("worker")
            stack.kill_worker()
            time.sleep(1)
            stack.start_worker()
        time.sleep(3)  # purchases go on after the restart
    finally:
        buyer.stop()
    emulator.set_settings(latency_ms=0)
    assert len(ledger.purchases) >= 10
    assert_invariants(emulator=emulator, ledger=ledger, account=account, stack=stack)


def _kettles(account, n: int):
    """``n`` kettles (with an image each) in a shop category mapped to Allegro's electric kettles, ready to list."""
    from allegro.categories.models import CategoryForm, MappingEnvironment
    from allegro.categories.services.categories import category_mapping_set, category_parameters_fetch
    from allegro_emulator.products_data import KETTLE_GTINS
    from tests.factories import add_product_image, make_category, make_product, make_ready_to_list

    kettle, stan, new = "300407", "11323", "11323_1"
    make_ready_to_list(
        account,
        location_city="Poznań",
        location_post_code="60-166",
        gpsr_producer="Bosch Polska",
        gpsr_safety_information="Nie zanurzać w wodzie.",
    )
    category = make_category("Czajniki")
    category_mapping_set(
        category=category, environment=MappingEnvironment.CUSTOM, allegro_category_id=kettle, app=account.app
    )
    category_parameters_fetch(app=account.app, allegro_id=kettle)
    CategoryForm.objects.create(allegro_category_id=kettle, values=[{"id": stan, "valuesIds": [new]}])
    products = []
    for i in range(n):
        product = make_product(
            category=category, stock=7, sku=f"CZ-{i:03d}", brand="Bosch", ean=KETTLE_GTINS[0],
            description="<p>Czajnik elektryczny ze stali nierdzewnej, <b>1,7 l</b>.</p>",
        )  # fmt: skip
        add_product_image(product, name=f"czajnik-{product.pk}.png", color=(30, 120, 200))
        products.append(product)
    return category, products


def test_worker_killed_mid_mass_listing_the_job_finishes_with_one_offer_per_product(stack, emulator, account):
    from allegro.listing.models import ListingJob
    from allegro.listing.services.jobs import ListingOptions, listing_job_start

    category, products = _kettles(account, 20)
    beat_schedules(**{"allegro: resume mass listings": 10})
    emulator.set_settings(latency_ms=300)
    stack.start()
    job = listing_job_start(account=account, options=ListingOptions(), category=category)
    stack.send("allegro.listing.tasks.listing_job_run", job.pk)

    def some_listed() -> bool:
        job.refresh_from_db()
        connection.close()
        return job.succeeded >= 3 and job.finished_at is None

    assert wait_until(some_listed, 90), (job.status, job.succeeded, stack.log_text("worker"))
    stack.kill_worker()
    stack.start_worker()
    emulator.set_settings(latency_ms=0)

    def finished() -> bool:
        job.refresh_from_db()
        connection.close()
        return job.finished_at is not None

    assert wait_until(finished, 120, every=1), (job.status, job.done, job.total, stack.log_text("worker"))
    assert job.status == ListingJob.Status.DONE and job.succeeded == 20, (job.status, job.succeeded, job.failed)
    assert job.taken_over_at is not None  # the run after the kill took the dead run's lease over, and says so
    for product in products:
        on_allegro = emulator.get(f"state/offers?external_id={product.sku}")["offers"]
        assert len(on_allegro) == 1, (product.sku, on_allegro)
    assert_invariants(emulator=emulator, ledger=None, account=account, stack=stack)
