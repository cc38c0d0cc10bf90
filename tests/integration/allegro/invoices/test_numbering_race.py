"""Invoice numbers under concurrency: two processes with two threads each issue invoices for 12 orders at
the same moment; the numbers come out FV/1 … FV/12 of the month, none repeated and none skipped. In CI the
database is PostgreSQL (row locks of the month's counter); locally on SQLite the transactions' write lock
serialises the same code."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from allegro.accounts.models import AllegroAccount, AllegroApp, ConnectionState, Environment
from allegro.checkouts.models import AllegroCheckout
from allegro.invoices.models import InvoiceSequence, OrderInvoice
from orders.models import Order, OrderLine, OrderSource
from tests.integration.allegro.invoices.conftest import seller_data

ROOT = Path(__file__).resolve().parents[4]
WORKER = Path(__file__).resolve().parent / "numbering_worker.py"
PROCESSES = 2
THREADS = 2
ORDERS = 12


def _database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    return (
        f"postgres://{settings['USER']}:{settings['PASSWORD']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    )


def _allegro_orders(count: int) -> list[int]:
    app = AllegroApp(name="Bez sieci", environment=Environment.CUSTOM, client_id="x", api_url="http://127.0.0.1:9")
    app.client_secret = "y"
    app.save()
    account = AllegroAccount.objects.create(app=app, name="Konto", seller_id="1", state=ConnectionState.CONNECTED)
    seller_data(account)
    ids = []
    for n in range(count):
        form_id = str(uuid.uuid4())
        order = Order.objects.create(
            source=OrderSource.ALLEGRO, external_key=f"{account.pk}:{form_id}", total=Decimal("24.60")
        )
        OrderLine.objects.create(order=order, name=f"Towar {n}", quantity=2, unit_price=Decimal("12.30"))
        AllegroCheckout.objects.create(
            account=account, checkout_form_id=form_id, status="READY_FOR_PROCESSING", order=order, payload={}
        )
        ids.append(order.pk)
    return ids


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_numbers_never_repeat_and_leave_no_gap_under_concurrency():
    order_ids = _allegro_orders(ORDERS)
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "selly_allegro.settings_test",
        "PYTHONPATH": str(ROOT),
    }
    shares = [order_ids[i::PROCESSES] for i in range(PROCESSES)]
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), str(THREADS), ",".join(map(str, share))],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for share in shares
    ]
    try:
        for worker in workers:
            worker.stdin.write("go\n")
            worker.stdin.flush()
        results = [worker.stdout.readline().strip() for worker in workers]
    finally:
        for worker in workers:
            worker.stdin.close()
            worker.wait(timeout=120)
    assert results == ["ok"] * PROCESSES, results

    today = timezone.localdate()
    numbers = sorted(OrderInvoice.objects.values_list("number", flat=True), key=lambda n: int(n.split("/")[1]))
    assert numbers == [f"FV/{n}/{today:%m}/{today:%Y}" for n in range(1, ORDERS + 1)]
    assert InvoiceSequence.objects.get(year=today.year, month=today.month).last_number == ORDERS
    assert set(OrderInvoice.objects.values_list("order_id", flat=True)) == set(order_ids)
