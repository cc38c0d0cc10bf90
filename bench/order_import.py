"""Benchmark: 5,000 Allegro purchases (1–3 lines each, 30% by returning buyers) on the emulator,
then ONE import. Targets (on PostgreSQL): ≥ 100 orders/s, ≤ 20 DB queries per order, < 300 MB peak.

    python bench/order_import.py [--purchases 5000]       # scratch SQLite, or DATABASE_URL=postgres://...

Starts its own emulator on a free port. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _orders_support as support  # noqa: E402


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

        self.savepoints = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        if sql.lstrip().upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO")):
            self.savepoints += 1
        return execute(sql, params, many, context)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--purchases", type=int, default=5000)
    args = parser.parse_args()

    support.settings_module(eager=True)
    support.django_ready()
    logging.getLogger("allegro").setLevel(logging.WARNING)
    from django.db import connection

    from allegro.checkouts.services.order_import import order_import_new_events
    from orders.models import Order
    from shop.models import Customer

    server, emulator = support.start_emulator()
    try:
        offers = support.shop_and_offers(emulator)
        account = support.connected_account(emulator)
        rnd = random.Random(9)
        purchases = []
        for _ in range(args.purchases):
            lines = [{"offer_id": o, "quantity": rnd.randint(1, 3)} for o in rnd.sample(offers, rnd.randint(1, 3))]
            purchase: dict = {"line_items": lines}
            if rnd.random() < 0.3:
                purchase["buyer"] = {"login": f"staly_klient_{rnd.randint(1, 400)}"}
            purchases.append(purchase)
        started = time.monotonic()
        for i in range(0, len(purchases), 500):
            body = emulator.post("purchases/bulk", {"purchases": purchases[i : i + 500]})
            assert body["failed"] == 0, body
        create_s = time.monotonic() - started

        counter = QueryCounter()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.monotonic()
        with connection.execute_wrapper(counter):
            result = order_import_new_events(account=account)
        elapsed = time.monotonic() - started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        orders = Order.objects.filter(source="allegro").count()
        customers = Customer.objects.count()
        rate = orders / elapsed if elapsed else 0.0
        per_order = counter.count / orders if orders else float("inf")
        ok = orders == args.purchases and result.quarantined == 0
        passed = ok and rate >= 100 and per_order <= 20 and peak_mb < 300
        rows = [
            ("database", connection.vendor),
            ("purchases", args.purchases),
            ("purchases created in s", f"{create_s:.1f}"),
            ("events read", result.events),
            ("orders imported", orders),
            ("customers", customers),
            ("quarantined", result.quarantined),
            ("import elapsed s", f"{elapsed:.2f}"),
            ("orders / s", f"{rate:.1f}  (target ≥ 100)"),
            ("DB queries", counter.count),
            ("queries / order", f"{per_order:.1f}  (target ≤ 20)"),
            ("  of which savepoints", f"{counter.savepoints / orders if orders else 0:.1f}"),
            ("peak RSS MB", f"{peak_mb:.0f}  (before import {rss_before:.0f}; target < 300)"),
        ]
        for name, value in rows:
            print(f"{name:<26}{value}")
        print(
            json.dumps(
                {
                    "bench": "order_import",
                    "database": connection.vendor,
                    "purchases": args.purchases,
                    "orders": orders,
                    "customers": customers,
                    "elapsed_s": round(elapsed, 3),
                    "orders_per_s": round(rate, 1),
                    "queries_per_order": round(per_order, 2),
                    "savepoints_per_order": round(counter.savepoints / orders, 2) if orders else None,
                    "peak_mb": round(peak_mb, 1),
                    "pass": passed,
                }
            )
        )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
