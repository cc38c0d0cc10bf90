"""The account's sync lease: a run that took over from a dead one says so (and marks the dead run interrupted),
and a run that lost its lease sends nothing more to Allegro."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from allegro.core.models import Lease
from allegro.core.services import leases
from allegro.sync.models import OfferSyncQueue, SyncCommand, SyncRun
from allegro.sync.services.steps import sync_flush
from shop.models import Product

from .test_sync import change, setup_offers, state, switches

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_auto_flush(settings):
    settings.ALLEGRO_SYNC_DEBOUNCE_SECONDS = None
    settings.ALLEGRO_COMMAND_WAIT_SECONDS = 20


def test_a_run_after_a_dead_one_takes_over_and_marks_it_interrupted(
    emulator, connected_account, django_capture_on_commit_callbacks
):
    emulator.set_settings(command_task_seconds=0)
    switches(connected_account)
    products, offers = setup_offers(emulator, connected_account, 2)
    dead = SyncRun.objects.create(account=connected_account, steps=["offers"])  # its worker was SIGKILLed
    Lease.objects.create(
        key=f"sync:{connected_account.pk}", owner="dead-worker", expires_at=timezone.now() - timedelta(seconds=1)
    )
    change(products, django_capture_on_commit_callbacks, **{"0": {"price": Decimal("120.00")}})
    [run] = sync_flush()
    assert run.status == SyncRun.Status.DONE, run.errors
    assert run.taken_over
    dead.refresh_from_db()
    assert dead.status == SyncRun.Status.INTERRUPTED and dead.finished_at is not None
    assert f"#{run.pk}" in dead.errors[-1]
    assert state(emulator)[offers[0].allegro_id]["price"] == "120.00"


def test_a_live_holder_keeps_the_next_run_out(emulator, connected_account, django_capture_on_commit_callbacks):
    switches(connected_account)
    products, _offers = setup_offers(emulator, connected_account, 1)
    Lease.objects.create(
        key=f"sync:{connected_account.pk}", owner="live-worker", expires_at=timezone.now() + timedelta(seconds=30)
    )
    change(products, django_capture_on_commit_callbacks, **{"0": {"stock": 3}})
    [run] = sync_flush()
    assert run.status == SyncRun.Status.SKIPPED
    assert OfferSyncQueue.objects.count() == 1  # kept for the next run


def test_a_run_that_lost_its_lease_sends_nothing_more(
    emulator, connected_account, django_capture_on_commit_callbacks, monkeypatch
):
    switches(connected_account)
    products, offers = setup_offers(emulator, connected_account, 3)
    change(products, django_capture_on_commit_callbacks, **{"0": {"stock": 4}, "1": {"stock": 2}})
    real_check = leases.HeldLease.check

    def lost_on_write(self):
        if self.key.startswith("sync:") and self._lost.is_set() is False and calls["n"] >= 1:
            self._mark_lost()
        calls["n"] += 1
        return real_check(self)

    calls = {"n": 0}
    monkeypatch.setattr(leases.HeldLease, "check", lost_on_write)
    since = emulator.requests()[-1]["seq"] if emulator.requests() else 0
    [run] = sync_flush()
    assert run.status == SyncRun.Status.INTERRUPTED, (run.status, run.errors)
    writes = [r for r in emulator.requests(since) if r["method"] in ("PUT", "POST", "PATCH", "DELETE")]
    assert writes == []  # the lease was lost before the first command went out
    assert not SyncCommand.objects.filter(sent_at__isnull=False).exists()
    s = state(emulator)
    assert s[offers[0].allegro_id]["stock_available"] == 5
    assert Product.objects.get(pk=products[0].pk).stock == 4
    assert OfferSyncQueue.objects.count() == 2  # the changes wait for the run that takes over
