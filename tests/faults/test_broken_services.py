"""Redis killed and started again under work in flight, and an Allegro that answers 429, 503 or slowly during sync
and order import: once the faults end, every purchase is one order, stock is right and Allegro equals the shop."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from shop.models import Product
from tests.faults.support import Buyer, Ledger, assert_invariants, beat_schedules, offers_setup, wait_until

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _reprice(products, step: int, *, same: bool = False) -> None:
    """A price change of every product, queued for the sync. Only the price is written: the worker reserves stock
    for the imported orders meanwhile, and a full save would write back the stock this process read."""
    for i, product in enumerate(Product.objects.filter(pk__in=[p.pk for p in products]).order_by("pk")):
        # Scattered prices go out in bulk modification commands, one price for all in a price-change command.
        product.price = Decimal("50.00") + step * 10 + (0 if same else i)
        product.save(update_fields=["price"])


def test_redis_killed_and_restarted_while_purchases_and_price_changes_flow(stack, emulator, account):
    products, offers = offers_setup(emulator, account, 8, stock=1000)
    ledger = Ledger(account_id=account.pk, initial_stock={p.pk: 1000 for p in products})
    beat_schedules(**{"allegro: sync queued offers": 5})
    emulator.set_settings(latency_ms=100, command_task_seconds=3)
    stack.start()
    buyer = Buyer(emulator, ledger, [o.allegro_id for o in offers])
    buyer.start()
    try:
        for cycle in range(2):
            time.sleep(4)
            _reprice(products, cycle)
            stack.send("allegro.sync.tasks.sync_flush_task", account.pk)
            time.sleep(2)  # the worker busy with the sync and the imports
            stack.restart_redis(away=3)  # kill -9, then the same port with the append-only file
        time.sleep(4)
        _reprice(products, 9)  # a change after the last restart must still reach Allegro
    finally:
        buyer.stop()
    emulator.set_settings(latency_ms=0, command_task_seconds=1)
    assert len(ledger.purchases) >= 10
    assert_invariants(emulator=emulator, ledger=ledger, account=account, stack=stack)
    assert "Unrecoverable error" not in stack.log_text("worker")
    assert stack.exits == [], stack.exits  # the worker and beat rode the restarts out


def test_429_503_and_slow_answers_during_sync_and_import(stack, emulator, account):
    products, offers = offers_setup(emulator, account, 8, stock=1000)
    ledger = Ledger(account_id=account.pk, initial_stock={p.pk: 1000 for p in products})
    beat_schedules(**{"allegro: sync queued offers": 5})
    stack.start()
    buyer = Buyer(emulator, ledger, [o.allegro_id for o in offers])
    buyer.start()
    try:
        time.sleep(2)
        emulator.add_fault("^/order/", status=503, times=6)
        emulator.add_fault("^/order/checkout-forms", status=429, times=4)
        emulator.add_fault("^/sale/offer-bulk-modification-commands$", method="POST", status=503, times=2)
        emulator.add_fault("^/sale/offer-bulk-modification-commands$", method="POST", status=429, times=1)
        emulator.add_fault("^/sale/offer-(price|quantity)-change-commands/", method="PUT", status=503, times=3)
        emulator.add_fault("^/sale/offer-price-change-commands/", method="PUT", status=429, times=2)
        emulator.add_fault("^/(order|sale)/", delay_ms=3000, times=6)  # slow answers
        _reprice(products, 1)
        stack.send("allegro.sync.tasks.sync_flush_task", account.pk)
        time.sleep(8)
        _reprice(products, 2, same=True)
        # Every fault was met by a call of the panel's (a fault no call reached would prove nothing).
        met = wait_until(lambda: not emulator.get("faults")["faults"], 60, every=1)
        assert met, emulator.get("faults")["faults"]
    finally:
        buyer.stop()
        emulator.clear_faults()
    assert len(ledger.purchases) >= 10
    assert_invariants(emulator=emulator, ledger=ledger, account=account, stack=stack)
    assert stack.exits == [], stack.exits
