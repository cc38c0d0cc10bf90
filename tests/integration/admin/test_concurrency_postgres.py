"""Two workers reserving the last pieces at the same moment: the conditional UPDATE lets only
one of them win. Needs PostgreSQL (SQLite serialises writers, so it proves nothing there)."""

import threading

import pytest
from django.db import connection, connections

from shop.models import Product, StockMovement
from shop.services.stock import InsufficientStock, stock_reserve
from tests.factories import make_product


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(5))
def test_parallel_reservations_cannot_oversell(round_):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run through .ci/run or with DATABASE_URL=postgres://...")
    product = make_product(stock=3)
    barrier = threading.Barrier(6)
    outcomes: list[str] = []
    lock = threading.Lock()

    def buyer(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            stock_reserve(product=product, quantity=1, reference=f"race-{round_}-{n}")
            result = "ok"
        except InsufficientStock:
            result = "short"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=buyer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["ok"] * 3 + ["short"] * 3
    assert Product.objects.get(pk=product.pk).stock == 0
    assert StockMovement.objects.filter(product=product).count() == 3
