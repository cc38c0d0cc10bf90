"""Benchmark: time from an Allegro purchase to the shop order with a real Celery worker and
beat running, the import on the shipped schedule (every 5 s) unless --every says otherwise. Target:
p95 ≤ 10 s.

    python bench/order_latency.py [--purchases 30] [--spread 180] [--every 5] [--quick]

Starts the emulator, a scratch SQLite database (unless DATABASE_URL is set), `celery worker` and
`celery beat` with a private filesystem broker. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _orders_support as support  # noqa: E402

TARGET_P95 = 10.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--purchases", type=int, default=30)
    parser.add_argument("--spread", type=float, default=180.0, help="seconds over which purchases are spread")
    parser.add_argument("--every", type=int, default=None, help="import schedule in seconds (default: as shipped)")
    parser.add_argument("--quick", action="store_true", help="8 purchases over 30 s")
    args = parser.parse_args()
    if args.quick:
        args.purchases, args.spread = 8, 30.0

    support.settings_module(eager=False)
    support.django_ready()
    if args.every is None:
        from allegro.core.schedules import SCHEDULES

        args.every = next(s for _n, task, s, _d in SCHEDULES if task.endswith(".orders_import_all"))
    logging.getLogger("allegro").setLevel(logging.WARNING)
    from django.db import connection
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from orders.models import Order

    server, emulator = support.start_emulator()
    procs: list[subprocess.Popen] = []
    try:
        offers = support.shop_and_offers(emulator, count=5)
        account = support.connected_account(emulator)
        account.sync_import_orders = True
        account.save(update_fields=["sync_import_orders"])
        interval, _ = IntervalSchedule.objects.get_or_create(every=args.every, period=IntervalSchedule.SECONDS)
        PeriodicTask.objects.filter(task="allegro.checkouts.tasks.orders_import_all").update(interval=interval)
        PeriodicTask.objects.exclude(task="allegro.checkouts.tasks.orders_import_all").update(enabled=False)
        connection.close()  # SQLite: let the worker and beat write

        celery = [sys.executable, "-m", "celery", "-A", "selly_allegro"]
        logs = support.SCRATCH
        procs.append(
            subprocess.Popen(
                [*celery, "worker", "--pool", "solo", "--loglevel", "WARNING"],
                cwd=support.ROOT,
                stdout=open(logs / "worker.log", "w"),  # noqa: SIM115
                stderr=subprocess.STDOUT,
                env=os.environ.copy(),
            )
        )
        procs.append(
            subprocess.Popen(
                [*celery, "beat", "--loglevel", "WARNING", "--schedule", str(logs / "beat-schedule")],
                cwd=support.ROOT,
                stdout=open(logs / "beat.log", "w"),  # noqa: SIM115
                stderr=subprocess.STDOUT,
                env=os.environ.copy(),
            )
        )
        rnd = random.Random(5)
        gap = args.spread / max(1, args.purchases)
        bought: dict[str, float] = {}
        done: dict[str, float] = {}
        next_buy = time.monotonic() + 2
        deadline = time.monotonic() + args.spread + 120
        while time.monotonic() < deadline:
            now = time.monotonic()
            if len(bought) < args.purchases and now >= next_buy:
                result = emulator.post("purchases", {"offer_id": rnd.choice(offers), "quantity": rnd.randint(1, 2)})
                bought[f"{account.pk}:{result['checkout_form_id']}"] = time.monotonic()
                next_buy = now + gap * rnd.uniform(0.5, 1.5)
            pending = [key for key in bought if key not in done]
            if pending:
                for key in Order.objects.filter(external_key__in=pending).values_list("external_key", flat=True):
                    done[key] = time.monotonic()
                connection.close()
            if len(done) == args.purchases:
                break
            time.sleep(0.25)

        latencies = sorted(done[key] - bought[key] for key in done)
        missing = args.purchases - len(latencies)
        p50 = statistics.median(latencies) if latencies else float("inf")
        p95 = latencies[max(0, int(round(len(latencies) * 0.95)) - 1)] if latencies else float("inf")
        passed = missing == 0 and p95 <= TARGET_P95
        for name, value in [
            ("database", connection.vendor),
            ("import schedule s", args.every),
            ("purchases", args.purchases),
            ("spread over s", f"{args.spread:.0f}"),
            ("imported", len(latencies)),
            ("p50 s", f"{p50:.2f}"),
            ("p95 s", f"{p95:.2f}  (target ≤ {TARGET_P95:.0f})"),
            ("max s", f"{latencies[-1]:.2f}" if latencies else "—"),
        ]:
            print(f"{name:<22}{value}")
        print(
            json.dumps(
                {
                    "bench": "order_latency",
                    "database": connection.vendor,
                    "purchases": args.purchases,
                    "imported": len(latencies),
                    "schedule_s": args.every,
                    "p50_s": round(p50, 2),
                    "p95_s": round(p95, 2),
                    "pass": passed,
                }
            )
        )
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        server.stop()


if __name__ == "__main__":
    main()
