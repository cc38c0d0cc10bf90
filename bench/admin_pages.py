"""Benchmark ("Scale of the panel"): every admin changelist, the dashboard and the typical filtered and
searched lists, on big data (100,000 products, 50,000 offers, 100,000 orders, 1,000,000 event-log rows).
Targets: each page ≤ 300 ms server time (median of 5 after one warm-up) on PostgreSQL, and the same number of
queries on page 1 and page 2 of every changelist (no N+1).

    python bench/admin_pages.py --database-url postgres://.../selly_bench [--seed] [--reset] [--runs 5]

Without a URL (or DATABASE_URL) it starts a throw-away PostgreSQL and seeds it (bench/seed_large.py) first.
--seed seeds the given database when its tables are empty (--reset: wipe and seed again). Requests go through
Django's test client as a superuser with DEBUG off; the time is measured around the request inside this
process (no network). --verbose prints the slowest queries of pages over the target. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import seed_large  # noqa: E402


def _pages(registry) -> list[tuple[str, str, str | None]]:
    """(label, url, page-2 url or None) for every changelist, the dashboard and the filtered/searched variants."""
    from django.urls import reverse

    from allegro.accounts.models import AllegroAccount
    from allegro.checkouts.models import CustomerAllegroIdentity
    from allegro.core.models import EventLogEntry
    from allegro.offers.models import Offer
    from orders.models import Order
    from shop.models import Category, Product

    pages: list[tuple[str, str, str | None]] = [("dashboard (admin index)", reverse("admin:index"), None)]
    for model, model_admin in registry.items():
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        pages.append((f"{opts.app_label}.{opts.model_name}", url, f"{url}?p=2"))

    def variant(label: str, name: str, params: dict) -> None:
        url = f"{reverse(name)}?{urlencode(params)}"
        pages.append((label, url, f"{url}&p=2"))

    product = Product.objects.order_by("pk").only("sku", "ean").first()
    root = Category.objects.filter(depth=1).order_by("path").first()
    if product is not None and root is not None:
        products = "admin:shop_product_changelist"
        variant("products: top category with subcategories", products, {"category": root.pk})
        variant("products: hidden", products, {"visible__exact": "0"})
        variant("products: out of stock", products, {"stock_state": "out"})
        variant(
            "products: category + visible + in stock",
            products,
            {"category": root.pk, "visible__exact": "1", "stock_state": "in"},
        )
        variant("products: search by SKU", products, {"q": product.sku})
        variant("products: search by EAN", products, {"q": product.ean or product.sku})
        variant("products: search by name word", products, {"q": "czajnik"})
        variant("products: not listed on Allegro", products, {"allegro": "unlisted"})
    order = Order.objects.order_by("-pk").only("number").first()
    if order is not None:
        orders = "admin:orders_order_changelist"
        variant("orders: status sent", orders, {"status__exact": "sent"})
        variant("orders: status new, source allegro", orders, {"status__exact": "new", "source__exact": "allegro"})
        variant("orders: search by number", orders, {"q": order.number})
        variant("orders: search by customer surname", orders, {"q": "Kowalski"})
        variant("orders: needs attention", orders, {"needs_attention__exact": "1"})
    account = AllegroAccount.objects.order_by("pk").first()
    offer = Offer.objects.exclude(allegro_id=None).order_by("pk").only("allegro_id", "external_id").first()
    if account is not None and offer is not None:
        offers = "admin:allegro_offer_changelist"
        variant("offers: account", offers, {"account__id__exact": account.pk})
        variant("offers: account + status ended", offers, {"account__id__exact": account.pk, "status": "ended"})
        variant("offers: status error", offers, {"status": "error"})
        variant("offers: search by offer id", offers, {"q": offer.allegro_id})
        variant("offers: search by SKU", offers, {"q": offer.external_id})
    event = EventLogEntry.objects.exclude(offer_id="").order_by("-pk").only("offer_id").first()
    if account is not None and event is not None:
        events = "admin:allegro_eventlogentry_changelist"
        variant("event log: account", events, {"account__id__exact": account.pk})
        variant("event log: kind order", events, {"kind__exact": "order"})
        variant("event log: account + kind error", events, {"account__id__exact": account.pk, "kind__exact": "error"})
        variant("event log: search by offer id", events, {"q": event.offer_id})
    identity = CustomerAllegroIdentity.objects.order_by("-pk").only("login").first()
    if identity is not None:
        customers = "admin:shop_customer_changelist"
        variant("customers: search by Allegro login", customers, {"q": identity.login})
        variant("customers: search by surname", customers, {"q": "Nowak"})
    return pages


def _measure(client, url: str, runs: int):
    """(status, median ms, queries, captured queries): a warm-up, one counted request, then ``runs`` timed ones."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm-up: caches, and rows some pages create on their first visit
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    captured = list(ctx.captured_queries)  # read now: a reconnect during the timed runs empties the log
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return response.status_code, round(statistics.median(times), 1), len(captured), captured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seed", action="store_true", help="seed the database first when it is empty")
    parser.add_argument("--reset", action="store_true", help="with --seed: wipe and seed again")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--target-ms", type=float, default=300.0)
    parser.add_argument("--only", default="", help="only pages whose label contains this text")
    parser.add_argument("--verbose", action="store_true", help="print the slowest queries of slow pages")
    args = parser.parse_args()

    import os

    scratch = not (args.database_url or os.environ.get("DATABASE_URL"))
    seed_large.configure(args.database_url)
    seed_large.django_ready()
    from django.contrib import admin
    from django.contrib.auth import get_user_model
    from django.core.signals import request_started
    from django.db import connection, reset_queries
    from django.test import Client

    from shop.models import Product

    if connection.vendor != "postgresql":
        raise SystemExit("admin_pages measures PostgreSQL: pass --database-url postgres://...")
    if scratch or args.reset or (args.seed and not Product.objects.exists()):
        print("Seeding (bench/seed_large.py defaults)...")
        seed_large.seed(
            products=100_000, offers=50_000, orders=100_000, events=1_000_000, customers=60_000, reset=args.reset
        )

    # Django empties the query log when a request starts, which breaks counting across requests.
    request_started.disconnect(reset_queries)
    user_model = get_user_model()
    user = user_model.objects.filter(username="bench-admin").first()
    if user is None:
        user = user_model.objects.create_superuser("bench-admin", "bench@example.pl", "bench-admin-password")
    client = Client()
    client.force_login(user)

    # The header's two figures (unread messages, the heartbeat banner) are cached for 10 s: a page counted just
    # as they expire showed two queries more than its page 2. Kept for the whole run, both pages count alike.
    import allegro.core.context_processors as banner
    import allegro.messages.context_processors as unread

    banner.CACHE_SECONDS = unread.UNREAD_CACHE_SECONDS = 3600

    results = []
    header = f"{'page':<48} {'status':>6} {'ms':>8} {'queries':>8} {'p2 q':>6}  verdict"
    print(header)
    print("-" * len(header))
    for label, url, page2 in _pages(admin.site._registry):
        if args.only and args.only not in label:
            continue
        status, ms, queries, captured = _measure(client, url, args.runs)
        page2_queries = None
        if page2 is not None:
            with_p2 = client.get(page2)
            if with_p2.status_code == 200:  # a list shorter than one page redirects with ?e=1
                from django.test.utils import CaptureQueriesContext

                with CaptureQueriesContext(connection) as ctx:
                    client.get(page2)
                page2_queries = len(ctx.captured_queries)
        problems = []
        if status != 200:
            problems.append(f"HTTP {status}")
        if ms > args.target_ms:
            problems.append("slow")
        if page2_queries is not None and page2_queries != queries:
            problems.append("queries differ on page 2")
        results.append(
            {
                "page": label,
                "url": url,
                "status": status,
                "median_ms": ms,
                "queries": queries,
                "page2_queries": page2_queries,
                "ok": not problems,
            }
        )
        p2 = "—" if page2_queries is None else str(page2_queries)
        print(
            f"{label[:48]:<48} {status:>6} {ms:>8.1f} {queries:>8} {p2:>6}  {'ok' if not problems else ', '.join(problems)}"
        )
        if args.verbose and problems:
            for q in sorted(captured, key=lambda q: -float(q["time"]))[:3]:
                print(f"      {float(q['time']) * 1000:7.1f} ms  {q['sql'][:400]}")
    failing = [r["page"] for r in results if not r["ok"]]
    print("-" * len(header))
    print(f"{len(results)} pages, {len(failing)} over target" + (f": {', '.join(failing)}" if failing else ""))
    print(
        json.dumps(
            {
                "benchmark": "admin_pages",
                "target_ms": args.target_ms,
                "pages": results,
                "failing": failing,
                "pass": not failing,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
