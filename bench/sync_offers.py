"""Sync engine throughput, not a test.

    .venv/bin/python bench/sync_offers.py [--offers 10000] [--prices 3000] [--stock 3000] [--zero 500] [--hidden 200]

Starts its own emulator (free port, temporary state) and, when ``redis-server`` exists, a throw-away Redis for the
shared rate limiter; uses a scratch SQLite database unless DATABASE_URL is given. Creates N active offers on the
emulator in one control call (POST /_emulator/offers/bulk) and the matching shop products and Offer rows with
bulk_create; changes prices (distinct values), stock levels, stock to 0 and hides products; queues them through
the shop's product_changed signal; runs the flush and checks the emulator's state against the shop.

Prints elapsed time, write calls, changed offers per write call, total calls, DB queries, the naive
one-PATCH-per-offer count; the last line is one JSON object with "pass".
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Environment:
    """Emulator, optional Redis and a scratch database; Django set up against them."""

    def __init__(self, *, tmp: Path, redis: bool = True) -> None:
        self.tmp = tmp
        self.redis_proc = None
        if redis and shutil.which("redis-server") and not os.environ.get("REDIS_URL"):
            port = free_port()
            self.redis_proc = subprocess.Popen(
                ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            os.environ["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
            time.sleep(0.3)
        os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp / 'bench.sqlite3'}")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "selly_allegro.settings_test")
        os.environ.setdefault("LOG_LEVEL", "WARNING")
        from tests.emulator_support import Emulator, EmulatorProcess

        self.server = EmulatorProcess(tmp / "emulator.sqlite3")
        self.server.start()
        self.emulator = Emulator(self.server, contract=None)
        import django

        django.setup()
        from django.conf import settings

        settings.ALLEGRO_SYNC_DEBOUNCE_SECONDS = None  # the bench runs the flush itself
        settings.ALLEGRO_429_WAIT_SECONDS = 1.0
        if not os.environ.get("DATABASE_URL", "").startswith("sqlite:///" + str(tmp)):
            return
        self._create_schema()

    @staticmethod
    def _create_schema() -> None:
        """The scratch database from the models (like the test suite's --nomigrations)."""
        from django.conf import settings
        from django.core.management import call_command

        class NoMigrations(dict):
            def __contains__(self, item):
                return True

            def __getitem__(self, item):
                return None

        settings.MIGRATION_MODULES = NoMigrations()
        call_command("migrate", run_syncdb=True, verbosity=0)

    def stop(self) -> None:
        self.server.stop()
        if self.redis_proc is not None:
            self.redis_proc.terminate()
            self.redis_proc.wait(5)


def connect_account(env: Environment):
    from datetime import timedelta

    from django.utils import timezone

    from allegro.accounts.models import AllegroAccount, AllegroApp, ConnectionState
    from allegro.accounts.models import Environment as Env

    emulator = env.emulator
    emulator.reset()
    app = AllegroApp(name="Emulator", environment=Env.CUSTOM, client_id="demo-client",
                     api_url=emulator.base_url, auth_url=emulator.base_url, upload_url=emulator.base_url)  # fmt: skip
    app.client_secret = "demo-secret"
    app.save()
    tokens = emulator.user_token(login="demo-seller")
    me = emulator.http.get(
        emulator.url("/me"),
        headers={
            "Authorization": f"Bearer {tokens['access_token']}",
            "Accept": "application/vnd.allegro.public.v1+json",
        },
        timeout=10,
    ).json()
    account = AllegroAccount(app=app, name="Bench", seller_id=str(me["id"]), login=me["login"])
    account.access_token = tokens["access_token"]
    account.refresh_token = tokens["refresh_token"]
    account.token_expires_at = timezone.now() + timedelta(seconds=tokens["expires_in"])
    account.state = ConnectionState.CONNECTED
    account.sync_prices = account.sync_stock = account.sync_close_sold_out = account.sync_renew_ended = True
    account.save()
    return account


def offers_setup(env: Environment, account, n: int):
    """n products and n ACTIVE offers (emulator bulk endpoint + bulk_create), confirmed values = Allegro's."""
    from allegro.offers.models import Offer, OfferStatus
    from shop.models import Product
    from tests.factories import make_category

    category = make_category("Bench")
    price = lambda i: Decimal(f"{100 + i % 900}.99")  # noqa: E731
    stock = lambda i: 5 + i % 10  # noqa: E731
    bodies = [
        {
            "name": f"Produkt {i}",
            "category": {"id": "257933"},
            "sellingMode": {"format": "BUY_NOW", "price": {"amount": f"{price(i)}", "currency": "PLN"}},
            "stock": {"available": stock(i), "unit": "UNIT"},
            "publication": {"status": "ACTIVE"},
            "external": {"id": f"B-{i}"},
        }
        for i in range(n)
    ]
    ids = env.emulator.post("offers/bulk", {"seller_id": account.seller_id, "offers": bodies, "validate": False, "events": False})["ids"]  # fmt: skip
    Product.objects.bulk_create(
        [
            Product(name=f"Produkt {i}", sku=f"B-{i}", price=price(i), stock=stock(i), category=category)
            for i in range(n)
        ],
        batch_size=1000,
    )
    products = list(Product.objects.filter(sku__startswith="B-").order_by("pk"))
    by_sku = {p.sku: p for p in products}
    Offer.objects.bulk_create(
        [
            Offer(
                account=account,
                product=by_sku[f"B-{i}"],
                allegro_id=oid,
                external_id=f"B-{i}",
                status=OfferStatus.ACTIVE,
                title=f"Produkt {i}",
                category_id="257933",
                price=price(i),
                quantity=stock(i),
                confirmed_price=price(i),
                confirmed_quantity=stock(i),
                confirmed_status="ACTIVE",
                renew_after_end=True,
            )  # fmt: skip
            for i, oid in enumerate(ids)
        ],
        batch_size=1000,
    )
    return products, ids


def emulator_matches_shop(env: Environment, account) -> tuple[int, list[str]]:
    """(offers checked, mismatches) — every offer's price, stock and status against the shop's targets."""
    from allegro.offers.models import Offer
    from allegro.sync.services.engine import (
        account_price_rounding,
        offer_target_price,
        offer_target_quantity,
        product_end_reason,
    )

    state = {o["id"]: o for o in env.emulator.get("state/offers")["offers"]}
    rounding = account_price_rounding(account=account)
    bad = []
    offers = Offer.objects.filter(account=account).select_related("product")
    for offer in offers:
        s = state[offer.allegro_id]
        if product_end_reason(product=offer.product):
            if s["status"] != "ENDED":
                bad.append(f"{offer.allegro_id}: {s['status']} should be ENDED")
            continue
        want_price = f"{offer_target_price(account=account, shop_price=offer.product.price, rounding=rounding):.2f}"
        want_stock = offer_target_quantity(account=account, product=offer.product)
        if (s["status"], s["price"], s["stock_available"]) != ("ACTIVE", want_price, want_stock):
            bad.append(
                f"{offer.allegro_id}: {s['status']} {s['price']} {s['stock_available']} != {want_price} {want_stock}"
            )
    return len(state), bad


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--offers", type=int, default=10_000)
    parser.add_argument("--prices", type=int, default=3000)
    parser.add_argument("--stock", type=int, default=3000)
    parser.add_argument("--zero", type=int, default=500)
    parser.add_argument("--hidden", type=int, default=200)
    parser.add_argument("--task-seconds", type=float, default=0.0, help="emulator command_task_seconds")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    env = Environment(tmp=tmp)
    try:
        return run(env, args)
    finally:
        env.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def run(env: Environment, args) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from allegro.sync.models import SyncCommand
    from allegro.sync.services.engine import sync_flush
    from shop.models import Product
    from shop.signals import product_changed

    account = connect_account(env)  # resets the emulator: settings after it
    env.emulator.set_settings(command_task_seconds=args.task_seconds, latency_ms=0)
    t0 = time.perf_counter()
    products, _ids = offers_setup(env, account, args.offers)
    setup_s = time.perf_counter() - t0

    rng = random.Random(8)
    order = list(range(len(products)))
    rng.shuffle(order)
    cut = [0]

    def take(k: int) -> list:
        chosen = [products[i] for i in order[cut[0] : cut[0] + k]]
        cut[0] += k
        return chosen

    priced, stocked, zeroed, hidden = take(args.prices), take(args.stock), take(args.zero), take(args.hidden)
    for i, p in enumerate(priced):
        p.price = Decimal("1000.00") + Decimal(i) / 100  # distinct values
    for p in stocked:
        new = rng.randint(1, 60)
        p.stock = new if new != p.stock else new + 61
    for p in zeroed:
        p.stock = 0
    for p in hidden:
        p.visible = False
    Product.objects.bulk_update(priced, ["price"], batch_size=1000)
    Product.objects.bulk_update(stocked + zeroed, ["stock"], batch_size=1000)
    Product.objects.bulk_update(hidden, ["visible"], batch_size=1000)
    changed = len(priced) + len(stocked) + len(zeroed) + len(hidden)
    for ids, fields in (
        ([p.pk for p in priced], {"price"}),
        ([p.pk for p in stocked + zeroed], {"stock"}),
        ([p.pk for p in hidden], {"visible"}),
    ):
        product_changed.send(sender=None, product_ids=frozenset(ids), fields=frozenset(fields), reason="bench")

    stats_before = env.emulator.stats()
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        runs = sync_flush(account=account)
    elapsed = time.perf_counter() - started
    stats_after = env.emulator.stats()
    run = runs[0]
    checked, mismatches = emulator_matches_shop(env, account)
    write_calls = run.counts.get("write_calls", 0)
    total_calls = run.api_calls
    db_queries = len(queries.captured_queries)
    commands = SyncCommand.objects.filter(run=run)
    by_kind = {k: commands.filter(kind=k).count() for k in ("price", "quantity", "bulk", "end", "activate")}
    figures = {
        "offers": args.offers,
        "changed_offers": changed,
        "setup_s": round(setup_s, 2),
        "elapsed_s": round(elapsed, 2),
        "write_calls": write_calls,
        "changed_per_write_call": round(changed / max(1, write_calls), 1),
        "total_calls": total_calls,
        "naive_patch_calls": changed,
        "db_queries": db_queries,
        "changed_per_db_query": round(changed / max(1, db_queries), 1),
        "commands": by_kind,
        "emulator_commands_run": stats_after.get("commands_run", 0) - stats_before.get("commands_run", 0),
        "mismatches": len(mismatches),
        "checked": checked,
        "redis_limiter": bool(os.environ.get("REDIS_URL")),
        "run_status": run.status,
        "errors": run.errors[:5],
    }
    figures["pass"] = bool(
        not mismatches
        and checked == args.offers
        and figures["changed_per_write_call"] >= 20
        and db_queries <= max(1, changed // 50)
        and elapsed <= 60
    )
    print(f"{'figure':<28} value")
    for key, value in figures.items():
        if key != "pass":
            print(f"{key:<28} {value}")
    for line in mismatches[:10]:
        print("mismatch:", line)
    print(json.dumps(figures))
    return 0 if figures["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
